"""`s3why can PRINCIPAL ACTION RESOURCE`: the request asked about, as the diagnosis reads it (no error text).

CONTRACT.md: PRINCIPAL is an IAM user, role, role-session or root ARN, or `anonymous` (as `simulate --principal`
names it: an unsigned request, which only public grants can allow and Block Public Access can void); ACTION an
IAM action (`s3:GetObject`) or an S3 API operation (`GetObject`: every authorization it needs is checked, as for
a pasted error); RESOURCE an ARN (bucket, object, access point) or an `s3://bucket[/key]` URI. No text is
evidence: the answer is `allow` only when every layer s3why read allows (`DiagnoseOptions(text_is_evidence=False)`).
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from bot.arn import Arn
from bot.diagnose.branches import when
from bot.diagnose.model import Diagnosis, RootCause
from bot.diagnose.options import DiagnoseOptions
from bot.diagnose.resolve import operation_of
from bot.engine.principal import PrincipalKind, is_anonymous, parse_principal
from bot.errors import UsageError
from bot.layers import LayerId
from bot.parse.model import DeniedRequest
from bot.parse.secrets import redact_secrets
from bot.s3ops import S3_OPERATIONS, lookup_operation

SOURCE_FORMAT = "s3why-can"
# Principals a request can be made as (IAM User Guide, "IAM identifiers"): users, roles and their sessions,
# federated users, an account's root user.
_CALLERS = frozenset(
    {
        PrincipalKind.USER,
        PrincipalKind.ROLE,
        PrincipalKind.ROLE_SESSION,
        PrincipalKind.ROOT,
        PrincipalKind.FEDERATED_USER,
    }
)


def asked_request(principal: str, action: str, resource: str) -> DeniedRequest:
    """The request `s3why can` evaluates. Raises UsageError (one line) for a principal, action or resource it
    cannot be. Every value is redacted (bot/parse/secrets.py) before anything echoes, stores or logs it."""
    principal, action, resource = (redact_secrets(v) for v in (principal, action, resource))
    anonymous = is_anonymous(principal)
    who = parse_principal(principal.strip())
    if not anonymous and (not principal.strip().startswith("arn:") or who.kind not in _CALLERS or not who.account):
        raise UsageError(
            f"{principal!r} is not a caller's ARN: give an IAM user, role, role-session or root ARN "
            "(arn:aws:iam::111122223333:role/NAME), or anonymous for an unsigned request"
        )
    bucket, key, resource_arn = _resource(resource.strip())
    operation, iam_action = _action(action.strip())
    req = DeniedRequest(
        source_format=SOURCE_FORMAT,
        service="s3",
        operation=operation,
        action=iam_action,
        bucket=bucket,
        key=key,
        principal_arn="anonymous" if anonymous else principal.strip(),
        resource_arn=resource_arn,
        # A request nothing signs (S3 User Guide, "Authenticating requests"): no principal's data is read.
        anonymous=anonymous,
    )
    spec = operation_of(req)
    if spec is None:
        raise UsageError(f"{action}: no S3 API operation needs this action; give an S3 operation (GetObject)")
    if key is not None and resource.strip().lower().startswith("s3://") and spec.primary_action in _LISTINGS:
        # `s3://BUCKET/PREFIX` on a listing is what `aws s3 ls s3://BUCKET/PREFIX` asks: the objects under that
        # prefix (ListObjectsV2's `prefix`, the s3:prefix condition key), not an object.
        req = replace(req, key=None, stated_context=(("s3:prefix", (key,)),))
    return req


# Listings whose request names a prefix (S3 Service Authorization Reference: s3:prefix is a condition key of
# s3:ListBucket and s3:ListBucketVersions).
_LISTINGS = frozenset({"s3:ListBucket", "s3:ListBucketVersions"})


def can_options(principal: str, context: dict[str, tuple[str, ...]]) -> DiagnoseOptions:
    """Options for a question, not an error: nothing is stated, so nothing is reconciled."""
    return DiagnoseOptions(principal=principal, context=context, text_is_evidence=False)


def _action(text: str) -> tuple[str | None, str | None]:
    """(operation, IAM action): an operation name wins; an IAM action is kept as asked."""
    if ":" in text:
        service, _, name = text.partition(":")
        if service.lower() != "s3" or not name:
            raise UsageError(f"{text}: s3why can answers for S3 actions (s3:GetObject) or S3 operations (GetObject)")
        known = {spec.primary_action.lower() for spec in S3_OPERATIONS.values()}
        if text.lower() not in known:
            near = difflib.get_close_matches(text, sorted({s.primary_action for s in S3_OPERATIONS.values()}), n=3)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise UsageError(f"{text}: not an S3 action s3why knows{hint}")
        return None, "s3:" + name
    spec = lookup_operation(text)
    if spec is None:
        near = difflib.get_close_matches(text, list(S3_OPERATIONS), n=3)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise UsageError(f"{text}: not an S3 API operation or IAM action s3why knows{hint}")
    return spec.operation, None


def _resource(text: str) -> tuple[str | None, str | None, str | None]:
    """(bucket, key, resource ARN) of an S3 ARN or an s3:// URI."""
    _, _, query = text.partition("?")
    if any(p.split("=", 1)[0].strip().lower().startswith("x-amz-") for p in query.split("&")):
        raise UsageError(
            "the resource carries a presigned URL's X-Amz-* query (a credential): give s3://BUCKET/KEY without it"
        )
    if text.lower().startswith("s3://"):
        rest = text[5:]
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise UsageError(f"{text}: an s3:// URI names a bucket (s3://BUCKET[/KEY])")
        return bucket, key or None, None
    arn = Arn.parse(text)
    if arn is None or arn.service not in ("s3", "s3express"):
        raise UsageError(f"{text!r} is not an S3 resource: give an ARN (arn:aws:s3:::BUCKET/KEY) or s3://BUCKET/KEY")
    if arn.is_s3_bucket_or_object:
        bucket, _, key = arn.resource.partition("/")
        return bucket, key or None, None
    if arn.resource.startswith("accesspoint/"):
        object_key = arn.resource.split("/object/", 1)[1] if "/object/" in arn.resource else None
        return None, object_key, text
    raise UsageError(f"{text}: s3why can answers for buckets, objects and access points")


def as_question(d: Diagnosis) -> Diagnosis:
    """The diagnosis as an answer to a question, not to an error: a request property not given that decides the
    outcome (a branch denies) makes an `allow` `unknown`, naming which value leads where; no note speaks of an
    error text."""
    notes = [
        n.replace("(the text cannot tell)", "(not given)")
        for n in d.notes
        if not n.startswith(("no AWS record: ", "every layer s3why can see allows this request"))
        and "where the error happened" not in n
        and not n.startswith(
            (
                "- stale or cached",
                "- another object version",
                "- a change that has not",
                "- request properties s3why assumed",
            )
        )
    ]
    decision, causes = d.decision, d.root_causes
    deciding = [b for b in d.branches if any(o["decision"] != "allow" for o in b["outcomes"])]
    if decision == "allow" and deciding:
        b = deciding[0]
        parts = [
            ("allowed " if o["decision"] == "allow" else f"denied{' by ' + o['by'] if o.get('by') else ''} ")
            + when(b["key"], o["value"])
            for o in b["outcomes"]
        ]
        layer = next((o.get("layer") for o in b["outcomes"] if o["decision"] != "allow"), None)
        summary = f"allowed only for some values of {b['key']}, which was not given: {'; '.join(parts)}"
        evidence = {"branches": list(d.branches), "condition_key": b["key"]}
        layer_id = LayerId(layer) if layer in {x.value for x in LayerId} else LayerId.BUCKET_POLICY
        decision, causes = "unknown", (RootCause(layer_id, "condition", summary, evidence), *causes)
        notes.append(f"give {b['key']}=VALUE (--context on the command line) for a definite answer")
    if decision == "unknown" and _only_existence_unread(d):
        # Every layer s3why read allows it; only whether the object exists was not read (object heads need
        # s3:GetObject, which the read role does not have by default). Authorization does not depend on it: an
        # authorized request for a missing key gets 404 NoSuchKey (403 to a caller without s3:ListBucket; S3 API
        # Reference, GetObject and HeadObject, "Permissions").
        decision = "allow"
        report = d.layer(LayerId.OBJECT_MISSING)
        notes.insert(
            0,
            "allowed if the object exists: s3why did not read whether it does"
            + (f" ({report.detail})" if report.detail else "")
            + "; for a key that does not exist S3 answers 404 NoSuchKey, or 403 without s3:ListBucket on the bucket",
        )
    return replace(d, decision=decision, root_causes=causes, notes=tuple(notes))


def _only_existence_unread(d: Diagnosis) -> bool:
    """Whether the one thing the answer lacks is the object's existence: no root cause, no branch that denies,
    every layer allows or does not apply but the object-missing one, which is unknown."""
    if d.root_causes or any(any(o["decision"] != "allow" for o in b["outcomes"]) for b in d.branches):
        return False
    others = [r for r in d.layers if r.layer is not LayerId.OBJECT_MISSING]
    missing = [r for r in d.layers if r.layer is LayerId.OBJECT_MISSING]
    return (
        bool(missing)
        and all(r.verdict == "unknown" for r in missing)
        and all(r.verdict in ("allow", "not-applicable") for r in others)
        and any(r.verdict == "allow" for r in others)
        and all(a.get("decision") == "allow" for a in d.authorizations)
    )
