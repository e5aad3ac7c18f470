"""IAM Access Analyzer's policy checks on a patched document, when s3why may ask (issue 20 §2).

`ValidatePolicy` (grammar and best practice: ERROR and SECURITY_WARNING findings block a fix, WARNING and
SUGGESTION are shown), `CheckNoPublicAccess` for targets Access Analyzer can check (a FAIL blocks: s3why never
proposes public access) and `CheckNoNewAccess` against the current document (shown: a grant adds access by
design, and the reasons say what it adds). API: botocore's `accessanalyzer` model, rest-json. Opt-in with
`S3WHY_ACCESS_ANALYZER=1` (the caller's credentials need access-analyzer:ValidatePolicy, CheckNoPublicAccess and
CheckNoNewAccess); when a call fails, the fix says Access Analyzer was not asked, and why, in one line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.fixes.model import Patch
from bot.fixes.targets import Where, target_of

_BLOCKING = frozenset({"ERROR", "SECURITY_WARNING"})
# Access Analyzer's resource types per target (botocore: ValidatePolicyResourceType, AccessCheckResourceType).
_VALIDATE_TYPE = {
    Where.BUCKET: "AWS::S3::Bucket",
    Where.ACCESS_POINT: "AWS::S3::AccessPoint",
    Where.MULTI_REGION_ACCESS_POINT: "AWS::S3::MultiRegionAccessPoint",
}  # CheckNoPublicAccess has no Multi-Region Access Point type
_ACCESS_CHECK_TYPE = {
    Where.BUCKET: "AWS::S3::Bucket",
    Where.ACCESS_POINT: "AWS::S3::AccessPoint",
    Where.KEY: "AWS::KMS::Key",
}
_EMPTY = {"Version": "2012-10-17", "Statement": []}


@dataclass
class Review:
    """What Access Analyzer said of one patch: `blocking` findings keep it from being verified."""

    blocking: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)


@dataclass
class AccessAnalyzer:
    """Access Analyzer's checks through a boto3 `accessanalyzer` client."""

    client: Any

    def review(self, patch: Patch) -> Review:
        out = Review()
        target = target_of(patch)
        if target is None or patch.document is None or target.setting:
            return out  # Access Analyzer checks policies; a setting is checked by its target
        policy_type = "RESOURCE_POLICY" if target.has_principal else "IDENTITY_POLICY"
        document = json.dumps(patch.document)
        try:
            args: dict[str, Any] = {"policyDocument": document, "policyType": policy_type}
            if target.where in _VALIDATE_TYPE:
                args["validatePolicyResourceType"] = _VALIDATE_TYPE[target.where]
            for page in self.client.get_paginator("validate_policy").paginate(**args):
                for f in page.get("findings", []):
                    text = f"Access Analyzer {f['findingType']} {f['issueCode']}: {f['findingDetails']}"
                    (out.blocking if f["findingType"] in _BLOCKING else out.shown).append(text)
            if target.where in _ACCESS_CHECK_TYPE:
                public = self.client.check_no_public_access(
                    policyDocument=document, resourceType=_ACCESS_CHECK_TYPE[target.where]
                )
                if public.get("result") == "FAIL":
                    out.blocking.append(
                        f"Access Analyzer: the patched policy allows public access ({public.get('message', '')})"
                    )
            new = self.client.check_no_new_access(
                newPolicyDocument=document,
                existingPolicyDocument=json.dumps(patch.before or _EMPTY),
                policyType=policy_type,
            )
            if new.get("result") == "FAIL":
                reasons = "; ".join(
                    str(r.get("description", "")) for r in new.get("reasons", []) if r.get("description")
                )
                out.shown.append("Access Analyzer: new access — " + (reasons or str(new.get("message", ""))))
        except (ClientError, BotoCoreError) as exc:
            out.shown.append(f"Access Analyzer was not asked: {type(exc).__name__}: {str(exc)[:160]}")
        return out


def analyzer_from_env(region: str | None = None) -> AccessAnalyzer | None:
    """Access Analyzer when `S3WHY_ACCESS_ANALYZER=1` (its endpoint as botocore resolves it, including
    AWS_ENDPOINT_URL_ACCESSANALYZER); None otherwise."""
    if os.environ.get("S3WHY_ACCESS_ANALYZER", "").lower() not in ("1", "true", "on"):
        return None
    import boto3

    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return AccessAnalyzer(boto3.client("accessanalyzer", region_name=region))
