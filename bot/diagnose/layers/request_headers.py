"""The request itself: headers the bucket refuses whatever the policies say — an upload with customer-provided
keys (SSE-C) to a bucket that blocks SSE-C (S3 User Guide, "Blocking or unblocking SSE-C for a general purpose
bucket"; the rule lives in bot/diagnose/s3_newer.py) — and errors about where or what the request asked that
are not access denials (a redirect to the bucket's region, a signature for another region, an archived object:
S3 API Reference, "Error responses")."""

from __future__ import annotations

from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import DENY
from bot.diagnose.s3_newer import sse_c_blocked
from bot.diagnose.stated import NOT_A_DENIAL, not_a_denial_cause
from bot.layers import LayerId


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    code = subject.req.error_code or ""
    if NOT_A_DENIAL.get(code) is LayerId.REQUEST_HEADERS:
        summary, evidence = not_a_denial_cause(code, LayerId.REQUEST_HEADERS)
        out.set(LayerId.REQUEST_HEADERS, DENY, str(evidence["explanation"]))
        out.cause(LayerId.REQUEST_HEADERS, "setting", summary, **evidence)
        return out.done()
    bucket, spec = subject.view.bucket, subject.spec
    if subject.auth is None or bucket is None or spec is None:
        return out.done()
    sse_c = sse_c_blocked(bucket, spec.operation, subject.options.context)
    if sse_c is not None:
        out.set(LayerId.REQUEST_HEADERS, DENY, sse_c.detail)
        out.cause(LayerId.REQUEST_HEADERS, "setting", sse_c.summary, **sse_c.evidence)
    return out.done()


CHECK = LayerCheck(
    name="request_headers",
    layers=(LayerId.REQUEST_HEADERS,),
    reads=(
        "the error code in the text",
        "GetBucketEncryption (BlockedEncryptionTypes)",
        "s3:x-amz-server-side-encryption-customer-algorithm",
    ),
    needs=Needs.TEXT,
    evaluate=evaluate,
)
