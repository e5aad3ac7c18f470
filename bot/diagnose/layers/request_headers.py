"""Request pre-checks on the request's headers, before any policy. Today: SSE-C blocked by default: a bucket
whose default encryption lists `BlockedEncryptionTypes: SSE-C` refuses writes
that carry SSE-C headers with 403 AccessDenied — a setting, not a policy (S3 User Guide, "Blocking or unblocking
SSE-C for a general purpose bucket"). The rule itself lives in `bot.diagnose.s3_newer`."""

from __future__ import annotations

from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import DENY
from bot.diagnose.s3_newer import sse_c_blocked
from bot.layers import LayerId


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    bucket, spec = subject.view.bucket, subject.spec
    if bucket is None or spec is None or subject.auth is None:
        return out.done()
    block = sse_c_blocked(bucket, spec.operation, subject.options.context)
    if block is not None:
        out.set(LayerId.REQUEST_HEADERS, DENY, block.detail)
        out.cause(LayerId.REQUEST_HEADERS, "setting", block.summary, **block.evidence)
    return out.done()


CHECK = LayerCheck(
    name="request_headers",
    layers=(LayerId.REQUEST_HEADERS,),
    reads=("GetBucketEncryption", "x-amz-server-side-encryption-customer-algorithm"),
    needs=Needs.BUCKET,
    evaluate=evaluate,
)
