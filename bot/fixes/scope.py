"""How far a fix reaches: this object, its prefix, or the whole bucket — each said in words.

A fix that grants exactly the object that failed is useless to a workload (`aws s3 sync`, a mount, a job): the
next object fails the same way. The scopes s3why offers are the object, the deepest prefix the request shows
(the key up to its last `/`: the sync's destination), and every object of the bucket; the prefix is the default
when there is one, the bucket otherwise (a key at the bucket's root has no narrower workload scope).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.arn import Arn, s3_arn

OBJECT, PREFIX, BUCKET, EXACT = "object", "prefix", "bucket", "exact"

# How an action reads in a sentence ("lets etl-writer put any object under out/").
_VERBS = {
    "s3:GetObject": "read",
    "s3:GetObjectVersion": "read versions of",
    "s3:PutObject": "put",
    "s3:DeleteObject": "delete",
    "s3:DeleteObjectVersion": "delete versions of",
    "s3:PutObjectAcl": "set the ACL of",
    "s3:GetObjectAcl": "read the ACL of",
    "s3:GetObjectTagging": "read the tags of",
    "s3:PutObjectTagging": "tag",
    "s3:RestoreObject": "restore",
    "s3:AbortMultipartUpload": "abort uploads of",
    "s3:ListMultipartUploadParts": "list the parts of",
}


@dataclass(frozen=True)
class Scope:
    """One reach of a fix: `name` (object | prefix | bucket | exact), the Resource pattern of the S3 resource it
    grants (literal characters escaped for IAM), and the prefix it covers (for words and neighbours)."""

    name: str
    pattern: str
    prefix: str | None = None  # prefix scope: "out/"; bucket scope: ""; object scope: None


def literal(text: str) -> str:
    """Characters IAM reads as wildcards or variables in a Resource, written as the variables for themselves."""
    return "".join({"*": "${*}", "?": "${?}", "$": "${$}"}.get(ch, ch) for ch in text)


def deepest_prefix(key: str | None) -> str | None:
    """The key up to and including its last `/` (`out/2024/a.txt` -> `out/2024/`); None at the bucket's root."""
    if not key or "/" not in key.rstrip("/"):
        return None
    return key[: key.rstrip("/").rfind("/") + 1]


_DEEPEST = object()


def scopes_for(
    bucket: str | None, key: str | None, resource: str, prefix: str | object | None = _DEEPEST
) -> tuple[Scope, ...]:
    """The scopes to offer for a grant on `resource`, the default first.

    Object requests get object, prefix (the workload's stable prefix, bot/fixes/workload.py; the key's folder when
    not given) and bucket; anything else (a bucket-level action, an account-level one) has exactly one scope, the
    resource itself. A workload at the bucket's root (prefix "" or None) gets bucket and object.
    """
    from bot.diagnose.resolve import UNKNOWN_KEY

    parsed = Arn.parse(resource)
    partition = parsed.partition if parsed is not None else "aws"  # the request's: aws, aws-cn, aws-us-gov, ...
    if bucket and key is None and resource == s3_arn(bucket, UNKNOWN_KEY, partition):
        # The key is not known: evaluated on a stand-in, which never reaches a Resource. The bucket's objects.
        return (Scope(BUCKET, f"arn:{partition}:s3:::{literal(bucket)}/*", ""),)
    if not bucket or key is None or resource != s3_arn(bucket, key, partition):
        return (Scope(EXACT, _arn_literal(resource)),)
    head = f"arn:{partition}:s3:::{literal(bucket)}/"
    obj = Scope(OBJECT, head + literal(key))
    whole = Scope(BUCKET, head + "*", "")
    stable = deepest_prefix(key) if prefix is _DEEPEST else prefix
    if not isinstance(stable, str) or not stable:
        return (whole, obj)
    prefix = stable
    return (Scope(PREFIX, head + literal(prefix) + "*", prefix), obj, whole)


def _arn_literal(arn: str) -> str:
    head, sep, tail = arn.partition(":::")
    return head + sep + literal(tail) if sep else arn


def principal_name(principal: str) -> str:
    """The short name people use: the role or user name (`etl-writer`), else the ARN."""
    arn = Arn.parse(principal)
    if arn is None:
        return principal
    if arn.is_role_session and arn.role_name_of_session:
        return arn.role_name_of_session
    return arn.resource.rsplit("/", 1)[-1] if arn.resource else principal


def describe(
    scope: Scope, *, principal: str, actions: list[str], bucket: str | None, key: str | None, how: str = ""
) -> str:
    """The scope in words: "lets etl-writer put any object under out/ of team-data"; `how`: how the workload's
    prefix was found ("above the partition 2025/03/01/, which changes from run to run")."""
    who = principal_name(principal)
    verbs = [_VERBS.get(a, f"call {a} on") for a in actions] or ["use"]
    verb = " and ".join(dict.fromkeys(verbs))
    if scope.name == OBJECT:
        return f"lets {who} {verb} only s3://{bucket}/{key}"
    if scope.name == PREFIX:
        said = f"lets {who} {verb} any object under {scope.prefix} in {bucket}"
        return f"{said} ({how})" if how and how != "the folder of the object" else said
    if scope.name == BUCKET:
        return f"lets {who} {verb} any object in {bucket}"
    return f"lets {who} call {', '.join(actions)} on {scope.pattern}"
