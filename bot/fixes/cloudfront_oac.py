"""A CloudFront origin access identity on SSE-KMS objects: move the distribution to origin access control.

An OAI cannot read objects encrypted with SSE-KMS; origin access control (OAC) can, when the bucket policy allows
the service principal `cloudfront.amazonaws.com` scoped to the distribution (`AWS:SourceArn`) and the key policy
lets the same principal, with the same condition, call `kms:Decrypt` (CloudFront Developer Guide, "Restricting
access to an Amazon S3 origin": "SSE-KMS ... OAI doesn't support", and its "Migrating from origin access identity
(OAI) to origin access control (OAC)" steps). That is one fix with two parts; it is verified by diagnosing the
request CloudFront will then make (as the service principal, from the distribution) on the patched account.

The distribution comes from the snapshot's `cloudfront` section (cloudfront:ListDistributions: the distribution
whose S3 origin is the bucket through this OAI) or from `aws:SourceArn` the person passes; without either, the
fix names no distribution and is advice.
"""

from __future__ import annotations

from typing import Any

from bot.diagnose import RootCause
from bot.engine.principal import PrincipalKind, parse_principal
from bot.fixes.context import FixContext, rediagnose, statement_sid
from bot.fixes.model import Fix, Risk
from bot.fixes.targets import BY_CATALOGUE_NAME, TargetInput
from bot.fixes.verify import apply_patches

CLOUDFRONT = "cloudfront.amazonaws.com"
_OAI_PREFIX = "CloudFront Origin Access Identity "


def oai_id(principal: str) -> str | None:
    """The OAI's id (E...) when `principal` is an origin access identity's ARN."""
    who = parse_principal(principal)
    if who.kind is not PrincipalKind.USER or who.account != "cloudfront":
        return None
    name = principal.rsplit("/", 1)[-1]
    return name[len(_OAI_PREFIX) :] if name.startswith(_OAI_PREFIX) else name


def distributions_through(snapshot: dict[str, Any], bucket: str, oai: str) -> list[str]:
    """ARNs of the distributions whose S3 origin is `bucket`, reached through origin access identity `oai`."""
    listing = (((snapshot.get("cloudfront") or {}).get("calls") or {}).get("ListDistributions") or {}).get(
        "DistributionList"
    ) or {}
    out = []
    for d in listing.get("Items") or []:
        for origin in (d.get("Origins") or {}).get("Items") or []:
            domain = str(origin.get("DomainName") or "")
            identity = str((origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or "")
            if domain.startswith(f"{bucket}.s3.") and identity.endswith(f"/{oai}") and d.get("ARN"):
                out.append(str(d["ARN"]))
                break
    return out


def _key_arn(cause: RootCause, c: FixContext) -> str | None:
    key = cause.evidence.get("key") or cause.evidence.get("key_arn")
    if isinstance(key, str) and key.startswith("arn:aws:kms:"):
        return key
    keys = list((c.snapshot.get("kms") or {}).keys())
    return keys[0] if len(keys) == 1 else None


def oac_migration(c: FixContext, cause: RootCause) -> Fix | None:
    """The OAI → OAC fix for a KMS denial of an OAI's request (None when the caller is no OAI)."""
    oai = oai_id(c.principal)
    if oai is None or cause.layer.value != "kms" or not c.bucket:
        return None
    stated = c.options.context.get("aws:SourceArn") or c.options.context.get("AWS:SourceArn") or ()
    sources = [s for s in stated if s.startswith("arn:aws:cloudfront::")] or distributions_through(
        c.snapshot, c.bucket, oai
    )
    key_arn = _key_arn(cause, c)
    title = "Move the distribution from the origin access identity to origin access control (OAC)"
    if len(sources) != 1 or key_arn is None:
        why = (
            "which distribution serves the bucket through this OAI is not known (pass --context "
            "aws:SourceArn=arn:aws:cloudfront::ACCOUNT:distribution/ID)"
            if len(sources) != 1
            else "the object's KMS key is not known"
        )
        return Fix(
            "cloudfront-oai-to-oac",
            "kms",
            Risk.MEDIUM,
            False,
            [],
            title,
            f"An origin access identity cannot read SSE-KMS objects; origin access control can. {why}.",
            never_automatic=why,
            reason="not fixed automatically",
        )
    source = sources[0]
    condition = {"StringEquals": {"AWS:SourceArn": source}}
    bucket_statement = {
        "Sid": statement_sid("oac-bucket", c.bucket, source),
        "Effect": "Allow",
        "Principal": {"Service": CLOUDFRONT},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{c.bucket}/*",
        "Condition": condition,
    }
    key_statement = {
        "Sid": statement_sid("oac-key", key_arn, source),
        "Effect": "Allow",
        "Principal": {"Service": CLOUDFRONT},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": condition,
    }
    bucket_patch = BY_CATALOGUE_NAME["bucket"].patch(TargetInput(c.snapshot, "", key_arn), bucket_statement)
    key_patch = BY_CATALOGUE_NAME["key"].patch(TargetInput(c.snapshot, "", key_arn), key_statement)
    patches = [p for p in (bucket_patch, key_patch) if p is not None]
    explanation = (
        f"An origin access identity ({oai}) cannot read SSE-KMS objects (CloudFront Developer Guide); origin "
        f"access control can. Part 1: the bucket policy allows {CLOUDFRONT} s3:GetObject on the bucket's objects, "
        f"only for {source}. Part 2: the key policy of {key_arn} lets {CLOUDFRONT} call kms:Decrypt, only for the "
        "same distribution. Then switch the distribution's origin to the OAC (CloudFront console or API) and "
        "remove the OAI's statement."
    )
    fix = Fix("cloudfront-oai-to-oac", "kms", Risk.MEDIUM, False, patches, title, explanation, side="resource")
    if len(patches) != 2:
        fix.reason = "s3why cannot see the bucket or key policy to change"
        return fix
    after = rediagnose(c, apply_patches(c.snapshot, patches), context={"aws:SourceArn": source}, principal=CLOUDFRONT)
    fix.verified = after.decision == "allow"
    fix.complete = fix.verified
    fix.reason = "" if fix.verified else f"the distribution's request is still {after.decision} on the patched account"
    return fix
