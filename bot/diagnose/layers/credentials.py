"""Credentials: errors S3 (or STS) raises before it authorizes the request — an unknown or expired key, a bad
signature, a clock too far off, a suspended account. Like the other lookalikes (request_headers.py,
object_missing.py) they are not authorization denials: parse's explanation is the answer and no policy change
fixes them. S3 API Reference, "Error responses" (List of error codes)."""

from __future__ import annotations

from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import DENY, NOT_APPLICABLE
from bot.diagnose.stated import NOT_A_DENIAL, not_a_denial_cause
from bot.layers import LayerId


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    code = subject.req.error_code or ""
    if NOT_A_DENIAL.get(code) is LayerId.CREDENTIALS:
        summary, evidence = not_a_denial_cause(code, LayerId.CREDENTIALS)
        out.set(LayerId.CREDENTIALS, DENY, str(evidence["explanation"]))
        out.cause(LayerId.CREDENTIALS, "setting", summary, **evidence)
    else:
        out.set(LayerId.CREDENTIALS, NOT_APPLICABLE, "the credentials were accepted")
    return out.done()


CHECK = LayerCheck(
    name="credentials",
    layers=(LayerId.CREDENTIALS,),
    reads=("the error code in the text",),
    needs=Needs.TEXT,
    evaluate=evaluate,
)
