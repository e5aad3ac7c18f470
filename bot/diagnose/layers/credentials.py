"""Credentials: errors S3 (or STS) raises before any policy is read — an unknown or expired key, a bad
signature, a clock too far off. They are not authorization denials: no policy change fixes them."""

from __future__ import annotations

from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import DENY, NOT_APPLICABLE
from bot.layers import LayerId
from bot.parse.lookalikes import LOOKALIKES

CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "RequestTimeTooSkewed",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "UnrecognizedClientException",
    }
)


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    code = subject.req.error_code or ""
    if code in CREDENTIAL_CODES:
        look = LOOKALIKES.get(code)
        summary = f"{code}: {look.title if look else 'the credentials were rejected'}"
        out.set(LayerId.CREDENTIALS, DENY, look.explanation if look else summary)
        out.cause(
            LayerId.CREDENTIALS, "setting", summary, error_code=code, explanation=look.explanation if look else None
        )
    else:
        out.set(
            LayerId.CREDENTIALS, NOT_APPLICABLE, "the credentials were accepted (the error is an authorization one)"
        )
    return out.done()


CHECK = LayerCheck(
    name="credentials",
    layers=(LayerId.CREDENTIALS,),
    reads=("the error code in the text",),
    needs=Needs.TEXT,
    evaluate=evaluate,
)
