"""Changes on the request side (HTTPS, a header, the requester-pays flag, presigning again)."""

from __future__ import annotations

from bot.arn import s3_arn
from bot.diagnose import RootCause
from bot.fixes.context import (
    FixContext,
)
from bot.fixes.model import Patch


def request_changes(cause: RootCause, c: FixContext) -> list[Patch]:
    """Changes on the request side that a diagnosis showed would work (the alternatives it evaluated)."""
    out = []
    for alt in cause.evidence.get("alternatives") or []:
        if alt.get("decision") != "allow":
            continue
        ((key, value),) = alt["context"].items()
        what = {
            "aws:SecureTransport": "send the request over HTTPS",
            "s3:x-amz-server-side-encryption": (
                f"send the header x-amz-server-side-encryption: {value} (aws s3 cp --sse {value})"
            ),
            "aws:SourceVpce": f"send the request through the VPC endpoint {value}",
        }.get(key, f"make the request with {key} = {value if value is not None else '(absent)'}")
        out.append(Patch("request", "request-change", None, [what], apply={"context": {key: value}}))
    layer = cause.layer.value
    acl = cause.evidence.get("request_acl")
    if layer in ("block-public-access", "object-ownership") and acl:
        out.append(
            Patch(
                "request",
                "request-change",
                None,
                ["drop the ACL header (--acl / x-amz-acl), or send bucket-owner-full-control"],
                apply={"context": {"s3:x-amz-acl": None}},
            )
        )
    if layer == "requester-pays":
        out.append(
            Patch(
                "request",
                "request-change",
                None,
                ["add --request-payer requester (RequestPayer='requester')"],
                apply={"context": {"x-amz-request-payer": "requester"}},
            )
        )
    if layer == "presigned-url":
        out.append(
            Patch(
                "request",
                "request-change",
                None,
                ["presign the URL again (aws s3 presign --expires-in SECONDS)"],
                apply={"context": {"s3why:presigned-again": "true"}},
            )
        )
    if layer == "kms" and "AWS managed key" in cause.summary:
        bucket, key = c.bucket or "BUCKET", c.req.key or "KEY"
        out.append(
            Patch(
                s3_arn(bucket, key),
                "request-change",
                None,
                [
                    f"aws s3 cp s3://{bucket}/{key} s3://{bucket}/{key} --sse aws:kms "
                    "--sse-kms-key-id <customer-managed-key-arn>"
                ],
                apply={},
            )
        )
    return out
