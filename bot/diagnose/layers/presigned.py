"""Presigned URLs: a presigned request is authorized with its signer's permissions at the time of the request,
and only while the URL's lifetime (X-Amz-Expires, at most 7 days, and never beyond the signing credentials)
lasts. S3 User Guide, "Sharing objects with presigned URLs"."""

from __future__ import annotations

from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import ALLOW, DENY, NOT_APPLICABLE
from bot.diagnose.options import context_value
from bot.layers import LayerId


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    if subject.req.presigned_expired:
        out.set(LayerId.PRESIGNED_URL, DENY, "the presigned URL's lifetime ran out (Request has expired)")
        out.cause(
            LayerId.PRESIGNED_URL,
            "setting",
            "the presigned URL expired: presign it again (a lifetime of at most 7 days, and no longer than the "
            "signing credentials live)",
        )
    elif context_value(subject.options.context, "s3:authType") == "REST-QUERY-STRING":
        out.set(LayerId.PRESIGNED_URL, ALLOW, "a presigned URL is authorized with its signer's current permissions")
    else:
        out.set(LayerId.PRESIGNED_URL, NOT_APPLICABLE, "not a presigned request (pass s3:authType=REST-QUERY-STRING)")
    return out.done()


CHECK = LayerCheck(
    name="presigned",
    layers=(LayerId.PRESIGNED_URL,),
    reads=("the URL's signature fields in the text", "s3:authType"),
    needs=Needs.TEXT,
    evaluate=evaluate,
)
