"""A missing object. S3 authorizes before it looks the key up: a missing key is a cause of a 403 only when the
caller is authorized for the operation and lacks s3:ListBucket on the bucket; with s3:ListBucket the answer is
404 NoSuchKey, never 403. So it never outranks an authorization denial. A pasted NoSuchKey (or NoSuchBucket) is
not an access denial at all. S3 API Reference, GetObject and HeadObject, "Permissions"."""

from __future__ import annotations

from bot.account.view import ABSENT
from bot.arn import s3_arn
from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import DENY, NOT_APPLICABLE, UNKNOWN
from bot.diagnose.stated import NOT_A_DENIAL, not_a_denial_cause
from bot.engine import AuthzRequest
from bot.engine import evaluate as evaluate_policies
from bot.layers import LayerId

MISSING_OBJECT_OPS = frozenset({"GetObject", "HeadObject", "GetObjectAttributes"})


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    code = subject.req.error_code or ""
    if NOT_A_DENIAL.get(code) is LayerId.OBJECT_MISSING:
        summary, evidence = not_a_denial_cause(code, LayerId.OBJECT_MISSING)
        out.set(LayerId.OBJECT_MISSING, DENY, str(evidence["explanation"]))
        out.cause(LayerId.OBJECT_MISSING, "setting", summary, **evidence)
        return out.done()
    auth, view, spec = subject.auth, subject.view, subject.spec
    _nonexistent(subject, out)
    if view.bucket is not None and view.bucket.missing:
        return out.done()
    if auth is None or view.bucket is None or spec is None:
        return out.done()
    obj = view.bucket.object
    if spec.operation not in MISSING_OBJECT_OPS or obj is None:
        return out.done()
    if obj.head.status != ABSENT:
        out.set(
            LayerId.OBJECT_MISSING,
            NOT_APPLICABLE if obj.head.present else UNKNOWN,
            "the object exists" if obj.head.present else obj.head.detail,
        )
        return out.done()
    if auth.main.decision.value != "allow":
        # S3 refuses the request before it looks the key up: the missing key is not why it failed.
        out.set(
            LayerId.OBJECT_MISSING,
            NOT_APPLICABLE,
            "the object does not exist either, but S3 refuses the request before it looks the key up",
        )
        out.note(
            f"the key {obj.key} does not exist either: once the request is authorized S3 will answer 404 NoSuchKey "
            "(403 to a caller that may not list the bucket)"
        )
        return out.done()
    request = AuthzRequest(auth.who, "s3:ListBucket", s3_arn(view.bucket.name), auth.owner, dict(auth.context))
    if evaluate_policies(request, auth.policies).decision.value == "allow":
        out.set(
            LayerId.OBJECT_MISSING,
            NOT_APPLICABLE,
            "the object does not exist: S3 answers 404 NoSuchKey (not 403) to a caller that may list the bucket",
        )
        out.note(f"the key {obj.key} does not exist: this caller gets 404 NoSuchKey, not 403")
        return out.done()
    out.set(
        LayerId.OBJECT_MISSING, DENY, "the object does not exist, and without s3:ListBucket S3 says 403 instead of 404"
    )
    out.cause(
        LayerId.OBJECT_MISSING,
        "setting",
        f"the object {obj.key} does not exist; S3 answers 403 instead of 404 because the principal lacks "
        "s3:ListBucket on the bucket (check the key's spelling, case and prefix)",
        key=obj.key,
        list_bucket=False,
    )
    return out.done()


def _nonexistent(subject: Subject, out: Findings) -> None:
    """What s3why's reads found not to exist: a bucket (NoSuchBucket: bucket names are global, so no account owns
    it; S3 API Reference, "Error responses") or the principal's role or user (IAM's NoSuchEntity). Either is the
    likely cause, and never "another account's" or "no policy" (issue 19 §4)."""
    bucket = subject.view.bucket
    if bucket is not None and bucket.missing:
        out.set(LayerId.OBJECT_MISSING, DENY, f"the bucket {bucket.name} does not exist (NoSuchBucket)")
        out.cause(
            LayerId.OBJECT_MISSING,
            "setting",
            f"the bucket {bucket.name} does not exist: s3why's read of it answered NoSuchBucket, and bucket names "
            "are global, so no account owns it. Check the bucket name (spelling, the environment's variable, a "
            "bucket deleted or not created yet)",
            bucket=bucket.name,
            bucket_missing=True,
        )
    principal = subject.view.principal
    if principal is not None and principal.missing:
        what = "user" if principal.kind == "user" else "role"
        out.cause(
            LayerId.IDENTITY,
            "setting",
            f"the {what} behind {principal.arn} does not exist: IAM answered NoSuchEntity. A session of a deleted "
            f"{what} is refused, and a {what} re-created with the same name is a new principal that policies naming "
            "the old one no longer match; check which credentials the workload uses",
            principal=principal.arn,
            principal_missing=True,
        )


CHECK = LayerCheck(
    name="object_missing",
    layers=(LayerId.OBJECT_MISSING,),
    reads=("the error code in the text", "HeadObject", "s3:ListBucket on the bucket"),
    needs=Needs.TEXT,
    evaluate=evaluate,
)
