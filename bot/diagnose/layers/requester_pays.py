"""Requester Pays: another account's request must accept the charges (x-amz-request-payer: requester), or S3
answers 403. S3 User Guide, "Using Requester Pays buckets"."""

from __future__ import annotations

from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import ALLOW, DENY, NOT_APPLICABLE, UNKNOWN
from bot.diagnose.options import context_value
from bot.layers import LayerId


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    bucket, auth = subject.view.bucket, subject.auth
    if bucket is None or auth is None:
        return out.done()
    fact = bucket.get("GetBucketRequestPayment")
    if not fact.present:
        out.set(LayerId.REQUESTER_PAYS, UNKNOWN if not fact.known else NOT_APPLICABLE, fact.detail)
    elif fact.value.get("Payer") != "Requester":
        out.set(LayerId.REQUESTER_PAYS, NOT_APPLICABLE, "the bucket owner pays")
    elif auth.who.account == auth.owner:
        out.set(LayerId.REQUESTER_PAYS, ALLOW, "Requester Pays: the bucket owner needs no header")
    elif context_value(subject.options.context, "x-amz-request-payer") == "requester":
        out.set(LayerId.REQUESTER_PAYS, ALLOW, "the request says x-amz-request-payer: requester")
    else:
        out.set(LayerId.REQUESTER_PAYS, DENY, "Requester Pays bucket, and the request does not accept the charges")
        out.cause(
            LayerId.REQUESTER_PAYS,
            "setting",
            "the bucket is Requester Pays: requests from other accounts must send x-amz-request-payer: requester "
            "(aws s3 --request-payer requester, RequestPayer='requester' in SDKs), or S3 answers 403",
            payer="Requester",
        )
    return out.done()


CHECK = LayerCheck(
    name="requester_pays",
    layers=(LayerId.REQUESTER_PAYS,),
    reads=("GetBucketRequestPayment", "x-amz-request-payer"),
    needs=Needs.BUCKET,
    evaluate=evaluate,
)
