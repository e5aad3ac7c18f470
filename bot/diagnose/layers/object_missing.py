"""A missing object: S3 authorizes before it looks the key up, so a missing key answers 403 only to a caller
that is authorized for the operation and lacks s3:ListBucket on the bucket (with it, the answer is 404
NoSuchKey). S3 API Reference, GetObject "Permissions"."""

from __future__ import annotations

from bot.account.view import ABSENT
from bot.arn import s3_arn
from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import DENY, NOT_APPLICABLE, UNKNOWN
from bot.engine import AuthzRequest
from bot.engine import evaluate as evaluate_policies
from bot.layers import LayerId

MISSING_OBJECT_OPS = frozenset({"GetObject", "HeadObject", "GetObjectAttributes"})


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth, view, spec = subject.auth, subject.view, subject.spec
    if auth is None or view.bucket is None or spec is None or auth.main.decision.value == "explicit-deny":
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
    request = AuthzRequest(auth.who, "s3:ListBucket", s3_arn(view.bucket.name), auth.owner, dict(auth.context))
    can_list = evaluate_policies(request, auth.policies).decision.value == "allow"
    if can_list:
        out.set(LayerId.OBJECT_MISSING, DENY, "the object does not exist (S3 answers 404 NoSuchKey to this principal)")
        out.cause(LayerId.OBJECT_MISSING, "setting", f"the object {obj.key} does not exist", key=obj.key)
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


CHECK = LayerCheck(
    name="object_missing",
    layers=(LayerId.OBJECT_MISSING,),
    reads=("HeadObject", "s3:ListBucket on the bucket"),
    needs=Needs.BUCKET,
    evaluate=evaluate,
)
