"""The general path: entities found anywhere in one error's text by AWS's vocabulary and by shape.

The per-format rules in `extract` read what known tools print; this module catches what they miss. It finds:
- operation tokens in any spelling a tool uses (`GetObject`, `get_object`, `getObject`, `get-object`,
  `S3.GetObject`, `PutObjectAsync`, ...; see `vocabulary`), IAM action spellings (`s3:GetObject`) and
  infrastructure resource types (`aws_s3_bucket_policy`, `AWS::S3::BucketPolicy`);
- error codes the service models know (`AccessDenied`, `KMS.NotFoundException`, Java v2's `NoSuchKeyException`);
- buckets and keys: `s3://` URIs (also an access point or Multi-Region Access Point ARN as the bucket), S3 ARNs,
  SDK parameters in the styles tools log them (`Bucket='b'`, `bucket=b`, `"BucketName": "b"`, `bucket_name: b`,
  `Key=k`, `ObjectKey: k`), a `bucket/key` pair written right after an operation, and "bucket 'b'" in a sentence.

Then it assigns them to the one request the text describes by proximity and consistency: the operation is the
last one named before the error (else the first after it); a key goes with the bucket it was written with.
What the text only suggests (an IAM action, a resource type) is a candidate, never the operation; a masked or
elided value (`***`, `xxx`, `REDACTED`, `<bucket>`, `${BUCKET}`, `...`) is no value.

Every pattern starts with a literal or a short alternation of literals, and every repetition is bounded, with
character classes that cannot overlap what follows them: work is linear in the text's length.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from bot.parse import vocabulary as vocab
from bot.s3ops import SDK_ALIASES, canonical_operation

# A word as tools write names: letters first, then letters, digits, `_`, `.`, `:` and `-` (so `S3.PutObject`,
# `s3:GetObject`, `client.get_object`, `list-objects-v2` and `AWS::S3::BucketPolicy` are one word each).
_WORD = re.compile(r"[A-Za-z][\w.:-]{1,120}")
# The words that can name anything here: a lower-case or capitalised run, then an inner capital, `_`, `.`, `:` or
# `-` (so `the`, `Error` and `bucket` are skipped without a lookup). The two classes are disjoint: no backtracking.
_NAME_WORD = re.compile(r"[A-Za-z][a-z0-9]{0,120}[A-Z_.:-][\w.:-]{0,120}")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")
# Suffixes SDKs add to an operation's name: .NET `PutObjectAsync`, Go v1 `GetObjectWithContext`, Java/JS request
# and command classes (`PutObjectRequest`, `GetObjectCommand`), Go `GetObjectInput`, Rust `GetObjectError`.
_OP_SUFFIXES = ("WithContext", "Async", "Request", "Response", "Command", "Input", "Output", "Error")

# S3 bucket names (S3 User Guide, "General purpose bucket naming rules"): 3-63 characters, lower-case letters,
# digits, dots and hyphens, beginning and ending with a letter or digit. Legacy us-east-1 names may hold upper
# case and underscores (up to 255), and directory buckets end in `--x-s3`.
_BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]")
# A whole value that hides another: `xxx`, `XXXXXXXX`, `???`, `###`, `REDACTED`, `[masked]`, `<hidden>`; or a
# name with a masking word as one of its parts (`redacted-bucket`, `BUCKET_REDACTED`). A name only partly masked
# (`demo-xxxx-logs`) is still what the text states.
_WHOLE_MASK = re.compile(
    r"[\[(<]?(?i:x{3,}|\?{3,}|#{3,}|redacted|masked|hidden|removed|censored|obfuscated|sanitized|anonymi[sz]ed|"
    r"omitted|elided)[\])>]?"
)
_MASK_PART = re.compile(r"(?i:redacted|masked|censored|obfuscated|sanitized|anonymi[sz]ed|edited)")
_ELISION = ("…", "...", "***", "<", ">", "{", "}", "${", "%s")
_NO_VALUE = frozenset({"null", "none", "undefined", "nil", "-", "n/a"})


@lru_cache(maxsize=4096)
def is_masked(value: str) -> bool:
    """True for a value the poster hid or elided (`***`, `xxx`, `REDACTED`, `<bucket>`, `${BUCKET}`, `{bucket}`,
    `%s`, `...`, `$BUCKET`): such a value names nothing."""
    v = value.strip().strip("\"'`")
    if not v or v.strip(".…*-_ ") == "" or v.lower() in _NO_VALUE:
        return True
    if any(e in v for e in _ELISION) or (v[0] == "$" and v[1:2].isalpha()):
        return True
    if _WHOLE_MASK.fullmatch(v) is not None or (v[0] == "[" and v[-1] == "]"):
        return True
    parts = [p for p in re.split(r"[-_./]", v) if p]
    if any(_MASK_PART.fullmatch(part) is not None for part in parts):
        return True
    # `xxx.xxxxxxxx.com`: every part but a short suffix is x's.
    return len(parts) > 1 and all(_X_ONLY.fullmatch(p) is not None for p in parts[:-1]) and len(parts[-1]) <= 3


_X_ONLY = re.compile(r"(?i:x{2,})")

# A whole placeholder standing for a value or one path segment of it: `<bucket-name>`, `${VAR}`, `{name}`, `$KEY`,
# `%s`, `***`, `xxxx`, `REDACTED`, `[masked]`, `...`. A key that merely holds such characters inside a segment
# (`out/<!channel>&${*}/a.txt`) is a real key: S3 allows any UTF-8 in a key (S3 User Guide, "Naming objects").
_PLACEHOLDER = re.compile(
    r"<[^<>]{0,200}>|\$\{[^{}]{0,200}\}|\{[^{}]{0,200}\}|\$[A-Za-z_][A-Za-z0-9_]{0,100}|%[sd]|\*{1,}|\[[^\[\]]{0,200}\]"
)
# A glob over keys (`logs/*.gz`, `part-*`): a pattern from a policy or a command, not one object's key.
_GLOB_SEGMENT = re.compile(r"[\w.=-]{0,1000}\*[\w.*=-]{0,1000}")


@lru_cache(maxsize=4096)
def is_masked_key(key: str, *, elisions: bool = True) -> bool:
    """True for an object key the poster hid, elided or wrote as a pattern: the whole key or one of its path
    segments is a placeholder (`<key>`, `${KEY}`, `uploads/{id}/x`, `***`, `xxx/a.csv`, `REDACTED`, `data/.../a`,
    `logs/*.gz`); a key holding such characters among others (`out/<!channel>&${*}/a.txt`) is what the text states."""
    return _masked_path(key, globs=True, elisions=elisions)


def _masked_path(key: str, *, globs: bool, elisions: bool = True) -> bool:
    """`globs`: a segment written as a glob masks the path; `elisions`: so does a cut (`...`, `…`)."""
    v = key.strip().strip("\"'`")
    if not v or v.lower() in _NO_VALUE or _WHOLE_MASK.fullmatch(v) is not None:
        return True
    if elisions and "…" in v:
        return True
    segments = [seg for seg in v.split("/") if seg]
    if not segments:
        return False  # "/" alone: the root, which the caller treats as no key
    for seg in segments:
        stem = seg.rsplit(".", 1)[0] if "." in seg[1:] else seg  # `<name>.map`, `${id}.json`
        if (
            (elisions and (seg.strip(".") == "" or seg.startswith("...") or seg.endswith("...")))
            or (_PLACEHOLDER.fullmatch(stem) is not None and (globs or stem.strip("*")))
            or (seg[0] in "<{" and ">" not in seg and "}" not in seg)  # a placeholder cut at its space
            or (globs and _GLOB_SEGMENT.fullmatch(seg) is not None)
            or any(_MASK_PART.fullmatch(part) is not None for part in re.split(r"[-_.]", seg) if part)
        ):
            return True
    return False


_ARN_MASK = re.compile(r"[<>{}\[\]#]")


def stated_arn(value: str | None) -> str | None:
    """The ARN as the text states it, or None when it is no ARN or its account is masked (`arn:aws:sts::****:...`,
    `arn:aws:iam::<account-ID>:user/x`, `arn:aws:iam::4423XXXXXXXX:role/r`): an account is empty, `aws` or 12
    digits (IAM User Guide, "IAM ARNs")."""
    if value is None or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    if len(parts) < 6 or _ARN_MASK.search(value, 0, len(value) - len(parts[5])) is not None:
        return None
    # Only an S3 object's key may hold `<`, `{`, `[` or `#` (S3 User Guide, "Naming objects"): elsewhere they mask.
    named, _, key = parts[5].partition("/") if parts[2] == "s3" and not parts[3] else (parts[5], "", "")
    if (
        _ARN_MASK.search(named) is not None
        or _masked_path(named.replace(":", "/"), globs=False, elisions=False)
        or (key and _masked_path(key, globs=False, elisions=False))
    ):
        return None  # `role/<name>`, `<bucket>/a.txt`, `bucket/${key}`; a key merely holding `<` or `{` is stated
    account = parts[4]
    if account and account != "aws" and not (len(account) == 12 and account.isdigit()):
        return None
    return value


@dataclass(frozen=True, slots=True)
class Mention:
    """One entity at a position (characters into the flattened text)."""

    pos: int
    # "operation" | "phrased" (a tool's words that leave one) | "suggested" (candidates) | "action" | "iac" | "code"
    kind: str
    service: str = ""
    name: str = ""
    candidates: tuple[str, ...] = ()


@lru_cache(maxsize=16384)
def classify_word(word: str) -> tuple[str, str, str] | None:
    """(kind, service, name) for one word, or None: the vocabulary lookup, cached per distinct word."""
    w = word.rstrip(".:-")
    prefixed = vocab.prefixed_operations().get(w)
    if prefixed is not None:
        return "operation", prefixed.service, prefixed.name
    codes = vocab.error_codes()
    if w in codes:
        return "code", "", w
    if "aws-sdk:" in w:
        # Step Functions' AWS SDK integrations: arn:aws:states:::aws-sdk:SERVICE:apiAction (camel case).
        service, _, api = w.rsplit("aws-sdk:", 1)[1].partition(":")
        sdk_ops = vocab.operations().get(api.split(".", 1)[0], ())
        sdk_op = next((o for o in sdk_ops if o.service == service), None)
        return ("operation", sdk_op.service, sdk_op.name) if sdk_op is not None else None
    if ":" in w:
        if w.startswith(("aws_", "AWS::")) and (iac := vocab.iac_operation(w.split(".", 1)[0])) is not None:
            return "iac", iac.service, iac.name
        action = vocab.action_spelling(w)
        return ("action", action.service, action.name) if action is not None else None
    if w.startswith("aws_") and (iac := vocab.iac_operation(w.split(".", 1)[0])) is not None:
        return "iac", iac.service, iac.name
    last = w.rsplit(".", 1)[-1]
    # A class name is an AWS error code only in an AWS SDK's package (`java.nio.file.AccessDeniedException` is
    # Java's own, which hadoop-aws throws for any 403).
    aws_package = last == w or any(p in w.lower() for p in ("amazon", "aws", "kms.", "s3."))
    if last != w and last in codes and aws_package:
        return "code", "", last
    if last.endswith("Exception") and last.removesuffix("Exception") in codes and aws_package:
        return "code", "", last.removesuffix("Exception")  # Java v2: NoSuchKeyException is S3's NoSuchKey
    ops = vocab.operations()
    for candidate in dict.fromkeys((w, last)):
        for name in (candidate, *(candidate.removesuffix(s) for s in _OP_SUFFIXES if candidate.endswith(s))):
            named = ops.get(name)
            if named:
                return "operation", named[0].service, named[0].name
            # Names SDKs give methods that are no API operation (Java v1's getObjectMetadata, boto3's upload_file):
            # s3ops' one table of them.
            canon = canonical_operation(name.replace("_", "").replace("-", ""))
            if canon is not None and canon in SDK_ALIASES and name not in _NOT_CALLS:
                return "operation", "s3", SDK_ALIASES[canon]
    if "With" in last[1:]:
        # An Objective-C selector's first part names its first argument after `With` (`putObjectWithFile:`,
        # `getObjectWithRequest:`): the operation is what comes before, when the rest is one capitalised word.
        head, _, arg = last.partition("With")
        if head[:1].islower() and arg[:1].isupper() and arg.isalpha() and sum(c.isupper() for c in arg) == 1:
            named = ops.get(head)
            if named and named[0].service == "s3":
                return "operation", "s3", named[0].name
    named_after = _noun_verb_call(last)
    return ("operation", "s3", named_after) if named_after is not None else None


def _noun_verb_call(name: str) -> str | None:
    """A method named noun first, verb last (minio-go's `BucketExists`, `ObjectExists`): the one S3 operation with
    those nouns and the API verb the English verb stands for (exists -> Head), else None."""
    words = vocab.words_of(name)
    # The verb in its third-person form (`Exists`): a noun-first name ending in a bare verb is a thing
    # (`ObjectStore`), not a call.
    if len(words) < 2 or not name[:1].isupper() or not words[-1].endswith("s") or words[-1] in vocab.SYNONYMS:
        return None
    verbs = {v.lower() for v in vocab.verb_class(words[-1])}
    fits = [o for o in vocab.phrase_operations().exact.get(words[:-1], ()) if vocab.words_of(o)[0] in verbs]
    return fits[0] if len(fits) == 1 else None


_NOT_CALLS = frozenset({"upload", "Upload", "download", "Download"})


def mentions(flat: str) -> list[Mention]:
    """Every operation, action, resource type and error code named in the text, in order (the operations a
    tool names in its own words are `phrase_mentions`)."""
    out: list[Mention] = []
    # The distinct words are looked up once (C-speed findall and set); only the few that name something are then
    # found again, with their positions, by a substring scan.
    for word in set(_NAME_WORD.findall(flat)):
        hit = classify_word(word)
        if hit is None:
            continue
        idx = flat.find(word)
        while idx >= 0:
            whole = _NAME_WORD.match(flat, idx)
            if whole is not None and whole.end() == idx + len(word) and (idx == 0 or flat[idx - 1] not in _WORD_CHARS):
                kind, service, name = hit
                if kind == "action" and flat.endswith(_API_LABELS, 0, idx):
                    kind = "operation"  # CloudFormation's "API: s3:PutBucketPolicy Access Denied" names the API
                out.append(Mention(idx, kind, service, name))
            idx = flat.find(word, idx + len(word))
    if "x-id=" in flat:
        # The AWS SDKs for JavaScript v3 and others add the operation's name to the URL: `?x-id=PutObject`.
        for m in _X_ID.finditer(flat):
            hit = classify_word(m.group(1))
            if hit is not None and hit[0] == "operation":
                out.append(Mention(m.start(), *hit))
    out.sort(key=lambda m: m.pos)
    return out


# Words between a verb and its nouns that name nothing: "putting S3 Bucket (name) Policy", "get the object".
_FILLER = frozenset({"s3", "amazon", "aws", "the", "a", "an", "new", "your", "my", "this", "that", "its"})
# A preposition ends the noun phrase: "putting object in S3 bucket (b)", "uploading object to S3 bucket".
_PREPOSITIONS = frozenset({"to", "from", "in", "into", "for", "with", "at", "on", "of", "by", "using", "via", "while"})
_PHRASE_END = frozenset(":,.;!?")
# Words that join or point, never a name a poster typed: what follows "bucket name" in prose ("bucket name and key").
_FUNCTION_WORDS = _FILLER | _PREPOSITIONS | frozenset({"and", "or", "nor", "but", "is", "was", "are", "were"})
_PHRASE_WINDOW = 400  # characters either side of the error
# A run of letters: each is checked against the verbs (a set lookup is cheaper than a regex alternation of them).
_LETTERS = re.compile(r"[A-Za-z]{3,40}")


def _phrase_nouns(after: str) -> list[str]:
    """The first nouns after a verb, skipping filler and names in parentheses or quotes, up to a clause's end."""
    nouns: list[str] = []
    for raw in after.split()[:10]:
        if raw[0] in "(\"'`[<" or raw.lower() in _FILLER:
            if raw[-1] in _PHRASE_END:
                break
            continue
        word = raw.rstrip(":,.;!?)*_`'\"")
        if not word.isalpha() or word.lower() in _PREPOSITIONS or classify_word(word) is not None:
            break  # not a noun: a preposition, or a name the vocabulary knows (an error code glued after)
        low = word.lower()
        nouns.append(vocab.NOUN_SYNONYMS.get(low, low))
        if raw[-1] in _PHRASE_END or len(nouns) == 4:
            break
    return nouns


def _phrase_operation(verb: str, nouns: list[str], names: dict[str, object]) -> tuple[str, tuple[str, ...]] | None:
    """(kind, operations) for a verb and the nouns after it: `phrased` when they leave exactly one operation and
    every noun is the operation's, `suggested` (candidates) when several or when nouns are left over ("get object
    info"); None when they name none."""
    found = _phrase_match(verb, nouns, names)
    if found is not None and found[0] == "phrased" and _whole_resource(verb, nouns[: found[2]]):
        return "suggested", found[1]
    if found is None or found[0] != "phrased" or found[2] == len(nouns) or vocab.is_transfer_verb(verb):
        return (found[0], found[1]) if found is not None else None
    return "suggested", found[1]


# The nouns that name a whole bucket or object, no sub-resource of it.
_WHOLE_RESOURCES = (("bucket",), ("object",))


def _whole_resource(verb: str, nouns: list[str]) -> bool:
    """A tool's own verb, not the API's (`reading`, `checking`, `stat`), on a whole bucket or object: "error reading
    S3 Bucket" is the tool reading everything it manages about the bucket (HeadBucket, then its ACL, policy, ...),
    so it suggests an operation rather than naming one. A sub-resource ("reading the bucket lifecycle
    configuration") or the API's own verb ("getting object") still names the call; so do upload and download,
    whose object is the data itself."""
    if tuple(nouns) not in _WHOLE_RESOURCES or vocab.is_transfer_verb(verb):
        return False
    return verb.lower() not in vocab.api_verb_forms() and vocab.verb_class(verb) != ()


def _phrase_match(verb: str, nouns: list[str], names: dict[str, object]) -> tuple[str, tuple[str, ...], int] | None:
    tables = vocab.phrase_operations()
    classes = vocab.verb_class(verb)
    for n in range(len(nouns), 1, -1):
        # An SDK's own method name in words ("get object metadata": Java's getObjectMetadata, a HeadObject).
        for api in classes:
            alias = SDK_ALIASES.get(api + "".join(w.title() for w in nouns[:n]))
            if alias is not None:
                return "phrased", (alias,), n
        # The object's own call named by its API verb after the nouns ("getting object head": the object's HEAD,
        # HeadObject): the verb last, as in minio-go's BucketExists.
        inverted = nouns[n - 1].title() + "".join(w.title() for w in nouns[: n - 1])
        if inverted in names and vocab.words_of(inverted)[1:] == tuple(nouns[: n - 1]):
            return "phrased", (inverted,), n
    for n in range(len(nouns), 0, -1):
        variants = [tuple(nouns[:n])]
        if nouns[0] == "bucket" and n > 1:
            variants.append(tuple(nouns[1:n]))  # "S3 Bucket Object Lock configuration": ObjectLockConfiguration
        for said in variants:
            op = tables.stated.get((verb, *said))
            if op is not None:
                # "listing objects": ListObjectsV2 or the older ListObjects. Nouns the text shortened ("putting S3
                # policy" for PutBucketPolicy, "object version" for ...Versions) only suggest the operation.
                if op + "V2" in names:
                    return "suggested", (op + "V2", op), n
                return ("phrased" if vocab.words_of(op)[1:] == said else "suggested"), (op,), n
            if not classes:
                continue
            fits = [o for o in tables.exact.get(said, ()) if vocab.words_of(o)[0] in _lower(classes)]
            if len(fits) == 1:
                return "phrased", (fits[0],), n
            fits = fits or [o for o in tables.loose.get(said, ()) if vocab.words_of(o)[0] in _lower(classes)]
            if fits:
                return "suggested", tuple(dict.fromkeys(fits)), n
    if vocab.is_transfer_verb(verb) and classes and nouns[0] not in vocab.model_nouns():
        # "failed to upload state", "Upload error": what an upload or download moves, when it is none of S3's
        # nouns, is an object; but an upload may be one PUT or a multipart upload, so the words only suggest it.
        return "suggested", (f"{classes[0]}Object",), len(nouns)
    return None


def _lower(verbs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.lower() for v in verbs)


def phrase_mentions(flat: str, error_pos: int | None = None) -> list[Mention]:
    """Operations in a tool's words: "error putting object" (PutObject), "creating S3 Bucket (b) ACL"
    (PutBucketAcl: Terraform's verb is the resource's, the nouns are the API's), "reading bucket" (HeadBucket),
    "failed to upload state" (PutObject). A phrase that leaves one operation is `phrased` (the tool names that
    call in its words); one that leaves several ("listing objects": ListObjectsV2, ListObjects) is `suggested`."""
    model = vocab.service_model("s3")
    names = model["operations"] if model is not None else {}
    out: list[Mention] = []
    verbs = vocab.phrase_verbs()
    # A tool words the call it failed on just before (or right after) the error: read the text around it.
    lo, hi = (
        (max(0, error_pos - _PHRASE_WINDOW), error_pos + _PHRASE_WINDOW) if error_pos is not None else (0, len(flat))
    )
    lowered = flat[lo:hi].lower()
    present = verbs.intersection(_LETTERS.findall(lowered))
    starts: list[tuple[int, str]] = []
    for verb in present:  # each verb's whole-word occurrences, found by a substring scan
        idx = lowered.find(verb)
        while idx >= 0:
            end = idx + len(verb)
            if (idx == 0 or not lowered[idx - 1].isalnum()) and (end == len(lowered) or not lowered[end].isalnum()):
                starts.append((lo + idx, verb))
            idx = lowered.find(verb, end)
    for start, verb in sorted(starts):
        end = start + len(verb)
        nouns = _phrase_nouns(flat[end : end + 200])
        found = _phrase_operation(verb, nouns, names) if nouns else None
        if found is None:
            continue
        kind, ops = found
        if kind == "phrased" and not _names_the_failure(flat, start, error_pos):
            kind = "suggested"  # "to download objects", "can upload file": words about the task, not the failed call
        out.append(Mention(start, kind, "s3", ops[0] if kind == "phrased" else "", ops))
    return out


# How a tool words the call that failed: "error putting object", "failed to upload state", "unable to get file",
# "error while trying to read ...", right before the verb; or the verb's clause runs straight into the error
# ("Create S3 bucket b returned an error: AccessDenied", "get file: Access Denied").
_FAILURE_LEAD = re.compile(
    r"(?i:error|failed|failure|unable|cannot|can't|could ?not|couldn't|while|when)(?: (?:to|trying to|while|in))*"
    r"[\s:]{1,3}$"
)
_CLAUSE_TO_ERROR = 160  # characters from the verb to the error it led to, with no sentence between


def _names_the_failure(flat: str, start: int, error_pos: int | None) -> bool:
    if _FAILURE_LEAD.search(flat[max(0, start - 40) : start]) is not None:
        return True
    if error_pos is None or not 0 < error_pos - start <= _CLAUSE_TO_ERROR:
        return False
    between = flat[start:error_pos]
    return ". " not in between and "? " not in between and "! " not in between


_API_LABELS = ("API: ", "API:", "api: ")
_API_ACTION = re.compile(r"\b(?:API|api): ?[a-z0-9-]{2,20}:[A-Za-z0-9]{2,128}\b")
_X_ID = re.compile(r"[?&]x-id=([A-Za-z0-9]{1,64})")


def first_code(found: list[Mention]) -> str | None:
    """The first error code the text names."""
    return next((m.name for m in found if m.kind == "code"), None)


@dataclass(frozen=True, slots=True)
class OperationChoice:
    """The operation the text states (or None) and, where it only suggests some, the candidates."""

    operation: str | None = None
    service: str | None = None
    candidates: tuple[str, ...] = ()


def choose_operation(found: list[Mention], error_pos: int | None, flat: str = "") -> OperationChoice:
    """The operation named closest before the error (else the first after it); S3's before other services'.

    A tool's own words (`phrase_mentions` of `flat`), IAM actions and resource types only suggest operations:
    they become candidates when nothing names one.
    """
    stated = [m for m in found if m.kind == "operation"]
    if stated:
        s3 = [m for m in stated if m.service == "s3"]
        pool = s3 or stated
        if error_pos is not None:
            before = [m for m in pool if m.pos <= error_pos]
            pick = before[-1] if before else pool[0]
        else:
            names = list(dict.fromkeys(m.name for m in pool))
            if len(names) > 1:
                return OperationChoice(candidates=tuple(names[:6]))
            pick = pool[0]
        return OperationChoice(pick.name, pick.service)
    phrases = phrase_mentions(flat, error_pos) if flat else []
    phrased = [m for m in phrases if m.kind == "phrased"]
    if phrased:
        # A tool's words that leave one operation name the call: the last before the error, else the first after.
        before = [m for m in phrased if error_pos is None or m.pos <= error_pos]
        pick = before[-1] if before else phrased[0]
        return OperationChoice(pick.name, "s3")
    if (
        "_FAILED" in flat
        and (failed := _failed_resource_operation(found, flat)) is not None
        and _API_ACTION.search(flat) is None
    ):
        # (an event that names the API it was refused, `API: s3:ListBucket` under AWS::S3::Bucket, where that API
        # is no operation's name, says which of the handler's calls failed: the type's own call is not it, and the
        # operation stays open among the action's)
        return OperationChoice(failed.name, failed.service)
    suggested: list[str] = []
    for m in sorted([*found, *phrases], key=lambda m: m.pos) if flat else found:
        if m.kind == "suggested":
            suggested.extend(m.candidates)
        elif m.kind == "iac":
            suggested.append(m.name)
    return OperationChoice(candidates=tuple(dict.fromkeys(suggested))[:6])


# A CloudFormation stack event: the resource's status (`CREATE_FAILED`, `UPDATE_FAILED`) and its type
# (`AWS::S3::BucketPolicy`) in one row, in either order (CloudFormation User Guide, "Stack events").
_CFN_FAILED = re.compile(r"\b(?:CREATE|UPDATE)_FAILED\b")
_CFN_EVENT_SPAN = 200


def _failed_resource_operation(found: list[Mention], flat: str) -> Mention | None:
    """The operation a CloudFormation resource failing on create or update stated: its type's handler's call
    (`CREATE_FAILED | AWS::S3::BucketPolicy` -> PutBucketPolicy), when the events name one such type."""
    statuses = [m.start() for m in _CFN_FAILED.finditer(flat)]
    near = {
        (m.service, m.name): m
        for m in found
        if m.kind == "iac"
        and flat.startswith("AWS::", m.pos)
        and any(abs(m.pos - at) <= _CFN_EVENT_SPAN for at in statuses)
    }
    return next(iter(near.values())) if len(near) == 1 else None


# ---------------------------------------------------------------------------------------------------------
# Buckets and keys
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Place:
    """Where a request went, as one passage of the text states it. `resource_arn`: an access point's ARN."""

    pos: int
    bucket: str | None
    key: str | None = None
    resource_arn: str | None = None
    strength: int = 0  # higher is stronger: 3 URI/ARN, 2 parameter, 1 sentence


# s3://bucket/key and s3://arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/key (the AWS CLI's access point form;
# a Multi-Region Access Point's ARN has no region and a NAME ending in `.mrap`).
# `<` and `>` are kept inside the URI so that a masked part (`s3://logs-<hidden>/a.zip`) is seen as masked.
_S3_URI = re.compile(r"s3[an]?://([^\s\"'`|]{1,2400})")
_AP_ARN = re.compile(r"(arn:aws[a-z-]{0,20}:s3(?:-object-lambda)?:[a-z0-9-]{0,30}:\d{12}:accesspoint[/:][\w.-]{1,100})")
_S3_ARN = re.compile(r"arn:aws[a-z-]{0,20}:s3:::([^\s\"'`<>|,;()\[\]{}]{1,2400})")
_TRAILING = ".,;:)]}>\"'`*!?"


def _clean(value: str) -> str:
    return value.rstrip(_TRAILING)


def valid_bucket(name: str | None, *, short: bool = False) -> bool:
    """A bucket name S3 could have (naming rules above) that is not masked. `short`: also a one- or two-character
    name as people write for an example (`s3://b/k`), when the text states it in a strong form (a URI, an ARN)."""
    if name is None or is_masked(name):
        return False
    return (_SHORT_NAME if short else _BUCKET_NAME).fullmatch(name) is not None


_SHORT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,253}[A-Za-z0-9])?")


def _key_or_none(key: str | None) -> str | None:
    if not key:
        return None
    key = unquote(_clean(key)) if "%" in key else _clean(key)
    return key if key and not is_masked_key(key) else None


def _object_arn(access_point: str, key: str | None) -> str:
    """The ARN S3 authorizes for an object through an access point: `<access point ARN>/object/<key>` (S3 User
    Guide, "Configuring IAM policies for using access points")."""
    return f"{access_point}/object/{key}" if key else access_point


def uri_places(flat: str) -> list[Place]:
    """`s3://` URIs, access point ARNs (with `/object/KEY` or after `s3://` with `/KEY`) and S3 ARNs."""
    out: list[Place] = []
    if "://" in flat:
        for m in _S3_URI.finditer(flat):
            rest = m.group(1)
            if rest.startswith("arn:") and (ap := _AP_ARN.match(rest)) is not None:
                key = _key_or_none(rest[ap.end() :].lstrip("/"))
                out.append(Place(m.start(), None, key, _object_arn(ap.group(1), key), 3))
                continue
            bucket, _, key = rest.partition("/")
            bucket = _clean(bucket)
            if valid_bucket(bucket):
                out.append(Place(m.start(), bucket, _key_or_none(key), None, 3))
            elif is_masked(bucket) and key:
                out.append(Place(m.start(), None, _key_or_none(key), None, 3))  # s3://***/key: the key stands
    if "arn:" in flat:
        for m in _AP_ARN.finditer(flat):
            tail = flat[m.end() : m.end() + 2100]
            key = _key_or_none(tail[len("/object/") :].split(" ", 1)[0]) if tail.startswith("/object/") else None
            out.append(Place(m.start(), None, key, _object_arn(m.group(1), key), 3))
        for m in _S3_ARN.finditer(flat):
            bucket, _, key = _clean(m.group(1)).partition("/")
            if valid_bucket(bucket):
                out.append(Place(m.start(), bucket, _key_or_none(key), None, 1))
    return out


@lru_cache(maxsize=1)
def _param_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """`NAME = VALUE` / `NAME: VALUE` / `"NAME": "VALUE"` / `NAME => 'VALUE'` for the bucket and key parameter
    spellings the S3 model gives (see `vocabulary.parameter_names`)."""
    buckets, keys = vocab.parameter_names()

    def build(names: tuple[str, ...]) -> re.Pattern[str]:
        alt = "|".join(re.escape(n) for n in names)
        return re.compile(
            r"(?<![\w-])(?:" + alt + r")[\"']?\s{0,3}(?:=>|[:=])\s{0,3}[\[(]?\s{0,2}(?:b(?=[\"']))?"
            r"([\"'`]?)([^\s\"'`,;)\]}]{1,2048})"
        )

    return build(buckets), build(keys)


# Unquoted parameter values that are code, not data: a variable or attribute (`Bucket=bucket_name`,
# `Bucket=self.bucket`, `bucket: str` in a signature shown by a traceback).
_CODE_WORDS = frozenset(
    {"str", "string", "String", "int", "bool", "Optional", "Any", "None", "self", "this", "cls", "config", "cfg",
     "settings", "os", "env", "args", "kwargs", "params", "options", "opts", "event", "context", "props", "bucket",
     "key", "name", "path", "value", "obj", "req", "request", "input", "data", "file", "filename", "prefix"}
)  # fmt: skip


def _literal(m: re.Match[str], *, bucket: bool) -> bool:
    """Is this parameter's value written out (quoted, or unquoted but shaped like a bucket name / an object path)?"""
    quote, value = m.group(1), _clean(m.group(2))
    if quote:
        return True
    first = re.split(r"[.\[(]", value, maxsplit=1)[0]
    if first in _CODE_WORDS or value in _CODE_WORDS or "(" in value:
        return False
    before, after = m.string[m.start() - 1 : m.start()], m.string[m.end() : m.end() + 1]
    if before and before in "\"'" and after == before and "=" in m.group(0):
        return True  # a quoted assignment, as command lines pass settings: -backend-config="key=prod"
    if bucket:
        return value.startswith("arn:") or _MODERN_BUCKET.fullmatch(value) is not None
    return "/" in value or "." in value  # a bare word is more likely a variable than a key


_MODERN_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _around(hits: list[tuple[int, str]], pos: int) -> list[tuple[int, str]]:
    """The hit just before and just after `pos` (hits sorted by position): the only ones that can be nearest."""
    i = bisect.bisect_left(hits, (pos, ""))
    return hits[max(0, i - 1) : i + 1]


def param_places(flat: str) -> list[Place]:
    """Buckets named by SDK parameters; each with the key parameter written closest to it (within 300 characters),
    a key never taken from another bucket's parameters."""
    low = flat.lower()
    if "bucket" not in low:
        return []
    bucket_re, key_re = _param_patterns()
    bucket_hits = [(m.start(), _clean(m.group(2))) for m in bucket_re.finditer(flat) if _literal(m, bucket=True)]
    bucket_hits = [(p, b) for p, b in bucket_hits if valid_bucket(b) or b.startswith("arn:") or is_masked(b)]
    if not bucket_hits:
        return []
    key_hits = [(m.start(), m.group(2)) for m in key_re.finditer(flat) if _literal(m, bucket=False)]
    out: list[Place] = []
    for i, (pos, bucket) in enumerate(bucket_hits):
        lo = bucket_hits[i - 1][0] if i else pos - 300
        hi = bucket_hits[i + 1][0] if i + 1 < len(bucket_hits) else pos + 300
        near = [(abs(kp - pos), k) for kp, k in _around(key_hits, pos) if max(lo, pos - 300) < kp < min(hi, pos + 300)]
        key = _key_or_none(min(near)[1]) if near else None
        if key is not None and key.startswith("arn:"):
            key = None  # a KMS key ARN, not an object key
        if bucket.startswith("arn:"):
            ap = _AP_ARN.match(bucket)
            if ap is not None:
                out.append(Place(pos, None, key, ap.group(1), 2))
            continue
        out.append(Place(pos, None if is_masked(bucket) else bucket, key, None, 2))
    return out


# "bucket 'name'", "bucket: name", "bucket named name", "in the bucket name-2024": a sentence relaying S3's
# refusal. An unquoted name must look like one (a digit, dot or hyphen in it), so "bucket policy" is no bucket.
_BUCKET_SENTENCE = re.compile(
    r"\b[Bb]ucket(?: named| name| called)?:? ?(?:([\"'`\u2018\u201c])([^\s\"'`\u2019\u201d]{3,255})[\"'`\u2019\u201d]"
    r"|([a-z0-9][a-z0-9-]{0,61}[.\d-][a-z0-9.-]{0,62})(?![\w/.-]|:\S))"
)
# A bucket's sub-resource for the bucket, then the cause: the Terraform AWS provider's "error creating S3 bucket ACL
# for NAME: CAUSE" (its messages' `for %s: %w`). As in a sentence, the unquoted name must look like one (a digit, dot
# or hyphen in it): "Bucket Policy for compliance:" names no bucket.
_BUCKET_PART_FOR = re.compile(
    r"\b[Bb]ucket(?: [A-Z][A-Za-z]{1,30}){1,3} for ([a-z0-9][a-z0-9-]{0,61}[.\d-][a-z0-9.-]{0,61}[a-z0-9]): "
)
_QUOTES = "\"'`\u2018\u201c"
_NAME_MARK = re.compile(r"[.\d-]")
# The name quoted in front of the word: "existence of 'fluxcd' bucket", "the \"logs-1\" S3 bucket".
_QUOTED_BUCKET = re.compile(
    r"[\"'`\u2018\u201c]([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])[\"'`\u2019\u201d] (?:(?:S3|s3|Amazon S3) )?[Bb]ucket\b"
)


# "key 'a/b.csv'", "object `a/b.csv`": quoted, written within 200 characters of the bucket.
_KEY_SENTENCE = re.compile(
    r"\b(?:[Kk]ey|[Oo]bject)(?: named| called)?:? ?[\"'`\u2018\u201c]([^\"'`\u2019\u201d\n]{1,1024})[\"'`\u2019\u201d]"
)
_REGION_NAME = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]{4,10}-\d")


def sentence_places(flat: str) -> list[Place]:
    """A bucket named in a sentence ("bucket 'b'", "bucket b-2024"), with a quoted key written beside it."""
    if "ucket" not in flat:
        return []
    out: list[Place] = []
    found = [(m.start(), m.end(), m.group(2) or m.group(3) or "") for m in _BUCKET_SENTENCE.finditer(flat)]
    found.extend((m.start(), m.end(), m.group(1)) for m in _QUOTED_BUCKET.finditer(flat))
    if " for " in flat:
        found.extend((m.start(), m.end(), m.group(1)) for m in _BUCKET_PART_FOR.finditer(flat))
    for start, end, raw in sorted(found):
        name = _clean(raw)
        if not valid_bucket(name) or _REGION_NAME.fullmatch(name) is not None:
            continue
        unquoted = raw == flat[end - len(raw) : end] and flat[end - len(raw) - 1 : end - len(raw)] not in _QUOTES
        if unquoted and _NAME_MARK.search(name) is None:
            continue  # unquoted, its digit, dot or hyphen was only the sentence's full stop: "the bucket path."
        window = _KEY_SENTENCE.finditer(flat, max(0, start - 200), end + 200)
        keys = [k for k in window if k.end() <= start or k.start() >= end]
        near = min(keys, key=lambda k: abs(k.start() - start), default=None)
        out.append(Place(start, name, _key_or_none(near.group(1)) if near is not None else None, None, 1))
    return out


_PAIR = re.compile(
    r"\s(?:on |for |to |from |at |of |in )?(?:s3://)?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/([^\s\"'`<>]{1,2048})"
)


# A literal bucket name as the call's argument (a variable such as `(request)` is no name: it has no digit, dot or
# hyphen).
_PAREN_BUCKET = re.compile(r"\(([a-z0-9][a-z0-9-]{0,61}[.\d-][a-z0-9.-]{0,61}[a-z0-9])\)")


def pair_places(flat: str, found: list[Mention]) -> list[Place]:
    """A `bucket/key` pair written right after an operation's name (`PutObject my-bucket/a/b.txt`)."""
    out: list[Place] = []
    for m in found:
        if m.kind != "operation":
            continue
        word = _WORD.match(flat, m.pos)
        if word is not None and (pm := _PAREN_BUCKET.match(flat, word.end())) is not None:
            out.append(Place(pm.start(1), pm.group(1), None, None, 2))  # S3::getBucketLocation(my-bucket)
            continue
        end = flat.find(" ", m.pos)
        if end < 0:
            continue
        pm = _PAIR.match(flat, end)
        if pm is not None and valid_bucket(pm.group(1)) and "://" not in pm.group(2):
            out.append(Place(pm.start(1), pm.group(1), _key_or_none(pm.group(2)), None, 2))
    return out


def choose_place(places: list[Place], error_pos: int | None) -> Place | None:
    """The strongest statement of where the request went; among equals, the one closest to the error."""
    named = [p for p in places if p.bucket is not None or p.resource_arn is not None]
    if not named:
        # Only keys whose bucket the poster masked: the key is still what the text states.
        keyed = [p for p in places if p.key is not None]
        return max(keyed, key=lambda p: p.strength) if keyed else None
    anchor = error_pos if error_pos is not None else 0
    best = max(named, key=lambda p: (p.strength, -abs(p.pos - anchor)))
    if best.key is None:
        # The same bucket written elsewhere with its key (an ARN in a message, a URI in a command).
        for p in sorted(named, key=lambda p: abs(p.pos - anchor)):
            if p.key is not None and p.bucket == best.bucket and p.resource_arn == best.resource_arn:
                return Place(best.pos, best.bucket, p.key, best.resource_arn, best.strength)
    return best


# "bucket archives, key /a/b", "Bucket: b, Key: k", "bucket b and object k": a bucket and its key written as a
# pair in prose or a tool's message.
_PROSE_PAIR = re.compile(
    r"\b[Bb]ucket(?: name)?[:=]? [\"'`\[]?([A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9])[\"'`\]]?,? (?:and )?"
    r"(?:[Kk]ey|[Oo]bject(?: key)?|[Pp]ath)[:=]? [\"'`\[]?([^\s\"'`\]]{1,2048})"
)
# "object KEY", "object \"KEY\"", "object [KEY]": a path-like name (a `/` or a file extension in it) after the word
# (not "file", which tracebacks use for source files, nor "key", which KMS keys share).
_OBJECT_PHRASE = re.compile(r"\b[Oo]bject(?: key| name)?:? [\"'`\[]?([^\s\"'`\[\]]{1,2048})")
_PATH_LIKE = re.compile(r"/.|\.[A-Za-z0-9]{1,10}$")
# Host and path logged as two fields (Ruby's Excon `:host => "b.s3.amazonaws.com"`, `:path => "/k"`, JSON logs).
_HOST_FIELD = re.compile(r"(?<![\w-])[:\"']?(?i:host)[\"']?\s{0,3}(?:=>|[:=])\s{0,3}[\"']?([A-Za-z0-9.-]{1,300})")
_PATH_FIELD = re.compile(r"(?<![\w-])[:\"']?(?i:path)[\"']?\s{0,3}(?:=>|[:=])\s{0,3}[\"'](/[^\"'\s]{0,2048})[\"']")


def prose_places(flat: str) -> list[Place]:
    if "ucket" not in flat:
        return []
    out: list[Place] = []
    for m in _PROSE_PAIR.finditer(flat):
        bucket = _clean(m.group(1))
        if bucket.lower() in _FUNCTION_WORDS:
            continue  # "by giving its bucket name and key name": English, not a name
        if valid_bucket(bucket) and _REGION_NAME.fullmatch(bucket) is None:
            out.append(Place(m.start(), bucket, _key_or_none(m.group(2)), None, 2))
    return out


def object_keys(flat: str) -> list[tuple[int, str]]:
    """Keys a message names as the object it worked on (`error putting object a/b.json`, `object [a/b.dat]`)."""
    out: list[tuple[int, str]] = []
    if "bject" not in flat:
        return out
    for m in _OBJECT_PHRASE.finditer(flat):
        key = _key_or_none(m.group(1))
        if key is None or _PATH_LIKE.search(key) is None:
            continue
        if (
            key is not None
            and "://" not in key
            and not key.startswith(("./", "~/", "../", "arn:"))
            and ":\\" not in key
        ):
            out.append((m.start(), key))
    return out


def host_path_fields(flat: str) -> tuple[str, str] | None:
    """(host, path) of a request logged as two fields of one record, the first host with a path near it."""
    paths = [(m.start(), m.group(1)) for m in _PATH_FIELD.finditer(flat)]
    for hm in _HOST_FIELD.finditer(flat):
        near = [
            (abs(pos - hm.start()), path) for pos, path in _around(paths, hm.start()) if abs(pos - hm.start()) < 1500
        ]
        if near:
            return hm.group(1), min(near)[1]
    return None


def host_path_places(flat: str, parse_host: Callable[[str], tuple[str | None, str | None, bool] | None]) -> list[Place]:
    """An S3 endpoint host and a request path logged as two fields of one record."""
    if "ost" not in flat or "ath" not in flat:
        return []
    out: list[Place] = []
    paths = [(m.start(), m.group(1)) for m in _PATH_FIELD.finditer(flat)]
    for hm in _HOST_FIELD.finditer(flat):
        parsed = parse_host(hm.group(1))
        near = [
            (abs(pos - hm.start()), path) for pos, path in _around(paths, hm.start()) if abs(pos - hm.start()) < 1500
        ]
        if parsed is None or not near:
            continue
        bucket, _region, path_style = parsed
        path = unquote(min(near)[1].split("?", 1)[0]).lstrip("/")
        if path_style:
            bucket, _, path = path.partition("/")
        if valid_bucket(bucket):
            out.append(Place(hm.start(), bucket, _key_or_none(path), None, 3))
    return out


# A host the text shows receiving requests signed for S3 (a `Host:` header, and a SigV4 credential scope
# `.../s3/aws4_request`): an S3-compatible endpoint (MinIO, Ceph), which clients address path-style.
_SIGNED_HOST = re.compile(r"\b[Hh]ost: ?([A-Za-z0-9.-]{1,300})")
# No `:` in the path, so that a scan stops at the next URL's scheme (linear on a text of many URLs).
_HOST_URL = re.compile(r"https?://([A-Za-z0-9.-]{1,300})(?::\d{1,5})?/([^\s\"'`<>|\]\[)(:]{1,2048})")


def signed_host_places(
    flat: str, parse_host: Callable[[str], tuple[str | None, str | None, bool] | None]
) -> list[Place]:
    """Path-style URLs (`https://minio.example.com/BUCKET/KEY`) on a host that is not AWS's but that the text shows
    receiving requests signed for S3."""
    if "/s3/aws4_request" not in flat or "ost:" not in flat:
        return []
    hosts = {m.group(1).lower() for m in _SIGNED_HOST.finditer(flat)}
    out: list[Place] = []
    for m in _HOST_URL.finditer(flat):
        host = m.group(1).lower()
        if host not in hosts or parse_host(host) is not None:
            continue
        bucket, _, key = unquote(m.group(2).split("?", 1)[0].split("#", 1)[0]).partition("/")
        if valid_bucket(bucket):
            out.append(Place(m.start(), bucket, _key_or_none(key), None, 3))
    return out


# ClickHouse's `s3('URL', ...)` table function (and `s3Cluster`): the URL of one object, which for an S3-compatible
# endpoint (OCI, MinIO) is path-style, `https://HOST/BUCKET/KEY` (ClickHouse docs, "s3 Table Function").
_S3_TABLE_FUNCTION = re.compile(r"\bs3(?:Cluster)? ?\( ?'https?://([^'\s/]{1,300})/([^'\s]{1,2048})'")


def table_function_places(
    flat: str, parse_host: Callable[[str], tuple[str | None, str | None, bool] | None]
) -> list[Place]:
    """The bucket and key of an `s3('https://HOST/BUCKET/KEY', ...)` table function on a host that is not AWS's
    (AWS's own hosts are read as every S3 endpoint is)."""
    if "'http" not in flat or "s3" not in flat:
        return []
    out: list[Place] = []
    for m in _S3_TABLE_FUNCTION.finditer(flat):
        if parse_host(m.group(1).split(":", 1)[0]) is not None:
            continue
        bucket, _, key = unquote(m.group(2).split("?", 1)[0]).partition("/")
        if valid_bucket(bucket):
            out.append(Place(m.start(), bucket, _key_or_none(key), None, 3))
    return out


def places(flat: str, found: list[Mention]) -> list[Place]:
    """Every statement of a bucket (or access point) and key in the text."""
    return [
        *uri_places(flat),
        *param_places(flat),
        *prose_places(flat),
        *pair_places(flat, found),
        *sentence_places(flat),
    ]


# ---------------------------------------------------------------------------------------------------------
# Which service refused: the SDKs name it
# ---------------------------------------------------------------------------------------------------------
# Java SDK v1/v2 "(Service: Amazon S3; ...)", "(Service: LakeFormation, ...)"; the exception's package
# `software.amazon.awssdk.services.<id>.model.` / `com.amazonaws.services.<id>.model.`.
_SERVICE_LABEL = re.compile(r"\(Service: ([A-Za-z][A-Za-z0-9 ]{0,40}?)[;,)]")
_SERVICE_PACKAGE = re.compile(
    r"(?:software\.amazon\.awssdk\.services|com\.amazonaws\.services)\.([a-z0-9]{2,40})\.model\."
)


# The AWS SDK for JavaScript v2's request logger names the client's serviceIdentifier: "[AWS s3 403 0.7s 0 retries]".
_JS_LOGGER_SERVICE = re.compile(r"\[AWS ([a-z0-9-]{2,40}) [45]\d\d [\d.]{1,12}s \d{1,3} retries\]")


# The AWS SDK for iOS's NSError domains: com.amazonaws.AWS<Service>[<Component>]ErrorDomain (AWSS3ErrorDomain,
# AWSS3TransferUtilityErrorDomain, AWSSTSErrorDomain, AWSCognitoIdentityErrorDomain).
_IOS_DOMAIN = re.compile(r"Domain=com\.amazonaws\.AWS([A-Z][A-Za-z0-9]{0,80})ErrorDomain\b")


def _leading_service(name: str, known: frozenset[str]) -> str | None:
    """The longest leading run of capitalised words in `name` that squashes to a botocore service id."""
    ends = [i for i in range(1, len(name) + 1) if i == len(name) or name[i].isupper()]
    for end in reversed(ends):
        if (sid := name[:end].lower()) in known:
            return sid
    return None


def refusing_service(flat: str) -> str | None:
    """The botocore service id of the service the text says refused (`lakeformation`, `rekognition`, `s3`), from
    the SDK's service label or the exception's package; None when the text names none botocore knows."""
    names: list[str] = []
    if "(Service: " in flat:
        names.extend(m.group(1) for m in _SERVICE_LABEL.finditer(flat))
    if ".model." in flat:
        names.extend(m.group(1) for m in _SERVICE_PACKAGE.finditer(flat))
    if "retries]" in flat:
        names.extend(m.group(1) for m in _JS_LOGGER_SERVICE.finditer(flat))
    known = vocab.service_ids()
    if "Domain=com.amazonaws.AWS" in flat:
        names.extend(s for m in _IOS_DOMAIN.finditer(flat) if (s := _leading_service(m.group(1), known)) is not None)
    labels = vocab.service_labels()
    for name in names:
        squashed = name.lower().replace(" ", "")
        sid = re.sub(r"^(?:amazon|aws)", "", squashed)
        if sid in known:
            return sid
        if squashed in labels:
            return labels[squashed]  # Java v1's client name: AWSSecurityTokenService is sts
    return None


# The service that answered, from its own endpoint: a query-protocol error's namespace (`<ErrorResponse
# xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`), or the host of the request the text shows refused
# (`HEAD request to https://111122223333.dkr.ecr.us-west-2.amazonaws.com/v2/...`): SERVICE[.REGION].amazonaws.com.
_XMLNS_SERVICE = re.compile(r"xmlns=\\?\"https?://([a-z0-9-]{2,40})\.amazonaws\.com/doc/")
_AWS_HOST = re.compile(r"([a-z0-9.-]{1,200})\.amazonaws\.com(?:\.cn)?(?![\w.-])")


def endpoint_service(flat: str, request_url: str | None) -> tuple[str, str | None] | None:
    """(botocore service id, region or None) of the service whose endpoint answered, when it is not S3."""
    known = vocab.service_ids()
    if "xmlns=" in flat and (m := _XMLNS_SERVICE.search(flat)) is not None and m.group(1) in known:
        return (m.group(1), None) if m.group(1) != "s3" else None
    host = request_url.split("://", 1)[-1].split("/", 1)[0].lower() if request_url else ""
    hm = _AWS_HOST.fullmatch(host.split(":", 1)[0]) if host else None
    if hm is None:
        return None
    labels = hm.group(1).split(".")
    for i in range(len(labels) - 1, -1, -1):
        if labels[i] in known and not labels[i].startswith("s3"):
            region = labels[i + 1] if i + 1 < len(labels) and _REGION_NAME.fullmatch(labels[i + 1]) else None
            return labels[i], region
    return None
