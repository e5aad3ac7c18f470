"""CloudFront origin access control: the bucket policy must allow cloudfront.amazonaws.com for the calling
distribution (aws:SourceArn). CloudFront Developer Guide, "Restricting access to an Amazon S3 origin"."""

from __future__ import annotations

from bot.diagnose.evidence import values_in_words
from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import ALLOW, NO_ALLOW, NOT_APPLICABLE
from bot.engine.principal import PrincipalKind
from bot.layers import LayerId


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth = subject.auth
    if auth is None:
        return out.done()
    who, main, bucket_policy = auth.who, auth.main, auth.bucket_policy
    if who.kind is not PrincipalKind.SERVICE or who.service != "cloudfront.amazonaws.com":
        out.set(LayerId.CLOUDFRONT, NOT_APPLICABLE, "not a CloudFront origin request")
        return out.done()
    if main.decision.value == "allow":
        out.set(LayerId.CLOUDFRONT, ALLOW, "the bucket policy admits this distribution")
        return out.done()
    out.supersedes.add(LayerId.BUCKET_POLICY)
    for st in bucket_policy.statements if bucket_policy else ():
        if st.is_allow and st.principal is not None and "cloudfront.amazonaws.com" in st.principal.service:
            source = next((c for c in st.conditions if c.key.lower() == "aws:sourcearn"), None)
            layer = main.layer(LayerId.BUCKET_POLICY)
            got = None
            for ref in layer.statements if layer else ():
                for c in ref.conditions:
                    if c.key.lower() == "aws:sourcearn":
                        got = c.request_values
            out.set(LayerId.CLOUDFRONT, NO_ALLOW, "the OAC statement names another distribution")
            out.cause(
                LayerId.CLOUDFRONT,
                "condition",
                f"the bucket policy's CloudFront (OAC) statement {st.label} admits "
                f"{values_in_words(source.values) if source else 'no distribution'}, but the request comes from "
                f"{', '.join(got) if got else 'a distribution s3why was not told (pass aws:SourceArn)'}",
                sid=st.sid,
                statement=st.raw,
                expected=list(source.values) if source else None,
                request=list(got) if got else None,
            )
            return out.done()
    out.set(LayerId.CLOUDFRONT, NO_ALLOW, "no bucket policy statement admits CloudFront")
    out.cause(LayerId.CLOUDFRONT, "implicit", "no bucket policy statement allows cloudfront.amazonaws.com (OAC)")
    return out.done()


CHECK = LayerCheck(
    name="cloudfront",
    layers=(LayerId.CLOUDFRONT,),
    reads=("GetBucketPolicy", "aws:SourceArn"),
    needs=Needs.AUTHORIZATION,
    evaluate=evaluate,
)
