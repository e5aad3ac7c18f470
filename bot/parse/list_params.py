"""Request parameters of a listing that are condition keys: `s3:prefix`, `s3:delimiter`, `s3:max-keys`.

S3 sets these keys from the ListObjects / ListObjectsV2 / ListObjectVersions request's query-string parameters
(Service Authorization Reference for Amazon S3: `s3:ListBucket` and `s3:ListBucketVersions` take `s3:delimiter`,
`s3:max-keys` and `s3:prefix`; S3 User Guide, "Limiting access to specific folders" with `s3:prefix`). The
parameters and their spellings come from botocore's S3 model: the member (`Prefix`, SDK parameter), its CLI
option (`--prefix`) and its query-string name (`prefix`, the key's own name). The high-level AWS CLI states them
through its path argument: `aws s3 ls s3://b/home/` lists with `Prefix=home/` and `Delimiter=/` (`--recursive`
drops the delimiter), and `aws s3 sync` / `cp|mv|rm --recursive` list with `Prefix=` the path's key
(awscli/customizations/s3: `_list_all_objects`, `BucketLister`).
"""

from __future__ import annotations

import re
import shlex
from functools import cache
from urllib.parse import unquote

from bot.parse.vocabulary import service_model, xform_name

# The operations whose authorization (s3:ListBucket, s3:ListBucketVersions) takes the listing keys.
_LISTINGS = ("ListObjects", "ListObjectsV2", "ListObjectVersions")
# Query-string parameters that are condition keys of those actions (Service Authorization Reference).
_KEYED = frozenset({"prefix", "delimiter", "max-keys"})
_HIGH_LEVEL = re.compile(r"(?:^|[\s$>#])aws (?:--[\w-]+(?:[ =]\S+)? )*s3 (ls|sync|cp|mv|rm)\s([^\n]{1,4096})")


@cache
def _members() -> tuple[tuple[str, str], ...]:
    """(member name, query-string name) of the listing operations' condition-key parameters, from botocore."""
    model = service_model("s3")
    if model is None:
        return ()
    found: dict[str, str] = {}
    for op in _LISTINGS:
        shape = model["shapes"][model["operations"][op]["input"]["shape"]]
        for name, member in shape["members"].items():
            if member.get("location") == "querystring" and member.get("locationName") in _KEYED:
                found[name] = member["locationName"]
    return tuple(found.items())


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    out: list[tuple[str, re.Pattern[str]]] = []
    for member, query in _members():
        option = xform_name(member, "-")
        out.append(
            (
                query,
                re.compile(
                    rf"(?:--{re.escape(option)}[ =][\"']?|[\"']?\b{member}[\"']?\s?[:=]\s?[\"']?"
                    rf"|[?&]{re.escape(query)}=)([^\s\"'&,)}}]{{1,1024}})"
                ),
            )
        )
    return tuple(out)


def _high_level(flat: str, bucket: str | None) -> list[tuple[str, str]]:
    """The listing keys the high-level CLI sets from its path argument in `bucket`."""
    found: list[tuple[str, str]] = []
    for m in _HIGH_LEVEL.finditer(flat):
        verb = m.group(1)
        try:
            words = shlex.split(m.group(2))
        except ValueError:
            words = m.group(2).split()
        recursive = "--recursive" in words or "-r" in words
        if verb in {"cp", "mv", "rm"} and not recursive:
            continue  # one object: no listing
        for word in words:
            if not word.startswith("s3://"):
                continue
            b, _, key = word[5:].partition("/")
            if bucket is not None and b != bucket:
                continue
            if key:
                found.append(("s3:prefix", key))
            if verb == "ls" and not recursive:
                found.append(("s3:delimiter", "/"))
    return found


# A program's variable, not a value: `paginate(Bucket=input_bucket, Prefix=prefix)` in a traceback's source line,
# `{Bucket: bucket, Prefix: prefix}` in JavaScript. A literal there is quoted.
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def _a_variable(flat: str, m: re.Match[str]) -> bool:
    """Whether a `Member=value` / `Member: value` match is an argument that names a variable: unquoted, an
    identifier, and followed by the next argument or the end of the call (or of the object literal)."""
    if flat[m.start()] in "?&-":
        return False  # a query string or a CLI option: the value itself
    quoted = flat[m.start(1) - 1] in "\"'"
    after = flat[m.end(1) : m.end(1) + 80].lstrip(" ")[:1]
    return not quoted and _IDENTIFIER.fullmatch(m.group(1)) is not None and after in (",", ")", "}")


def listing_keys(flat: str, operation: str | None, bucket: str | None) -> list[tuple[str, str]]:
    """(condition key, value) pairs a listing request's text states; nothing for any other operation."""
    if operation not in _LISTINGS:
        return []
    found: list[tuple[int, str, str]] = []
    for query, pattern in _patterns():
        for m in pattern.finditer(flat):
            if _a_variable(flat, m):
                continue
            value = unquote(m.group(1)) if flat[m.start()] in "?&" else m.group(1)
            found.append((m.start(), f"s3:{query}", value))
    found.sort()
    pairs = [(k, v) for _, k, v in found]
    if not any(k == "s3:prefix" for k, _ in pairs):
        pairs.extend(_high_level(flat, bucket))
    return list(dict.fromkeys(pairs))
