"""Object Lock: a locked object version cannot be deleted or its retention weakened — a legal hold blocks
everyone, COMPLIANCE retention blocks everyone until its date, GOVERNANCE retention yields only to
s3:BypassGovernanceRetention with the x-amz-bypass-governance-retention header. S3 User Guide, "Locking objects
with Object Lock"."""

from __future__ import annotations

import datetime as dt

from bot.account.view import ABSENT
from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import ALLOW, DENY, NOT_APPLICABLE, UNKNOWN
from bot.diagnose.options import context_value
from bot.engine import AuthzRequest
from bot.engine import evaluate as evaluate_policies
from bot.layers import LayerId


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth, view, spec = subject.auth, subject.view, subject.spec
    if auth is None or view.bucket is None or spec is None:
        return out.done()
    ctx = subject.options.context
    lock_conf = view.bucket.get("GetObjectLockConfiguration")
    if lock_conf.status == ABSENT:
        out.set(LayerId.OBJECT_LOCK, NOT_APPLICABLE, "Object Lock is not enabled on the bucket")
        return out.done()
    obj = view.bucket.object
    version = context_value(ctx, "s3:versionid")
    if spec.operation not in ("DeleteObject", "DeleteObjects", "PutObjectRetention") or obj is None:
        out.set(
            LayerId.OBJECT_LOCK,
            ALLOW if lock_conf.present else UNKNOWN,
            "Object Lock blocks only deleting or weakening a locked version" if lock_conf.present else lock_conf.detail,
        )
        return out.done()
    if spec.operation.startswith("Delete") and version is None:
        out.set(
            LayerId.OBJECT_LOCK, ALLOW, "a delete without a version id only adds a delete marker: Object Lock allows it"
        )
        return out.done()
    hold, retention = obj.legal_hold, obj.retention
    if hold.present and hold.value.get("Status") == "ON":
        out.set(LayerId.OBJECT_LOCK, DENY, "the version is under a legal hold")
        out.cause(
            LayerId.OBJECT_LOCK,
            "setting",
            "the object version is under a legal hold: nobody can delete it until the "
            "hold is removed (s3:PutObjectLegalHold)",
            legal_hold="ON",
            version_id=version,
        )
        return out.done()
    if retention.present:
        mode = retention.value.get("Mode")
        until = _moment(retention.value.get("RetainUntilDate"))
        if mode not in ("GOVERNANCE", "COMPLIANCE") or until is None:
            # Retention is a mode and a date (S3 API Reference, ObjectLockRetention): without both s3why cannot
            # say what it blocks, and never guesses one.
            out.set(
                LayerId.OBJECT_LOCK,
                UNKNOWN,
                f"the version's retention could not be read as a mode and a date ({retention.value!r})",
            )
            return out.done()
        if until <= dt.datetime.now(dt.UTC):
            # "After the retain-until date has passed, the object version can be overwritten or deleted" (S3 User
            # Guide, "How S3 Object Lock works", Retention periods): an expired retention blocks nothing.
            out.set(
                LayerId.OBJECT_LOCK,
                ALLOW,
                f"the version's {mode} retention ended on {until.isoformat()}: it no longer blocks a delete",
            )
            return out.done()
        until_text = until.isoformat()
        if mode == "COMPLIANCE":
            out.set(LayerId.OBJECT_LOCK, DENY, f"COMPLIANCE retention until {until_text}")
            out.cause(
                LayerId.OBJECT_LOCK,
                "setting",
                f"the version is under COMPLIANCE retention until {until_text}: nobody, the root user included, can "
                "delete it or shorten the retention before then. This cannot be fixed by a policy change.",
                mode=mode,
                retain_until=until_text,
                version_id=version,
            )
            return out.done()
        bypass = context_value(ctx, "x-amz-bypass-governance-retention") == "true"
        request = AuthzRequest(auth.who, "s3:BypassGovernanceRetention", auth.resource, auth.owner, dict(auth.context))
        may_bypass = evaluate_policies(request, auth.policies).decision.value == "allow"
        if not (bypass and may_bypass):
            out.set(LayerId.OBJECT_LOCK, DENY, f"GOVERNANCE retention until {until_text}")
            out.cause(
                LayerId.OBJECT_LOCK,
                "setting",
                f"the version is under GOVERNANCE retention until {until_text}: deleting it needs "
                "s3:BypassGovernanceRetention "
                "and the x-amz-bypass-governance-retention: true header"
                + ("" if may_bypass else " (the principal lacks s3:BypassGovernanceRetention)"),
                mode=mode,
                retain_until=until_text,
                version_id=version,
                bypass_header=bypass,
                bypass_permission=may_bypass,
            )
            return out.done()
    out.set(
        LayerId.OBJECT_LOCK,
        ALLOW if retention.known else UNKNOWN,
        "the version is not locked" if retention.known else retention.detail,
    )
    return out.done()


def _moment(when: object) -> dt.datetime | None:
    """A RetainUntilDate as botocore gives it (a datetime) or as a snapshot stores it (ISO 8601); None when it is
    neither."""
    if isinstance(when, dt.datetime):
        moment = when
    elif isinstance(when, str):
        try:
            moment = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


CHECK = LayerCheck(
    name="object_lock",
    layers=(LayerId.OBJECT_LOCK,),
    reads=("GetObjectLockConfiguration", "GetObjectRetention", "GetObjectLegalHold", "s3:versionid"),
    needs=Needs.BUCKET,
    evaluate=evaluate,
)
