"""What the error text states, as facts the diagnosis must agree with.

AWS's enriched messages name the policy type that denied ("... with an explicit deny in a service control
policy", "... because no permissions boundary allows the s3:GetObject action"), sometimes the policy's ARN, and
for S3's own settings a reason ("... because public ACLs are prevented by the BlockPublicAcls setting in S3 Block
Public Access"). Some error codes are a layer's signature (AccessControlListNotSupported is Object Ownership's),
and some are not authorization denials at all (NoSuchKey, PermanentRedirect, SignatureDoesNotMatch, ...).
IAM User Guide, "Access denied error messages"; S3 API Reference, "Error responses".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.layers import LayerId
from bot.parse.lookalikes import LOOKALIKES, Lookalike
from bot.parse.model import DeniedRequest

# The policy types of `parse` -> the layers that can hold such a denial (the first is the one to name).
POLICY_TYPE_LAYERS: dict[str, tuple[LayerId, ...]] = {
    "identity": (LayerId.IDENTITY,),
    "resource": (LayerId.BUCKET_POLICY, LayerId.ACCESS_POINT_POLICY, LayerId.CLOUDFRONT, LayerId.BLOCK_PUBLIC_ACCESS),
    "scp": (LayerId.SCP,),
    "rcp": (LayerId.RCP,),
    "vpc-endpoint": (LayerId.VPC_ENDPOINT_POLICY,),
    "permissions-boundary": (LayerId.PERMISSIONS_BOUNDARY,),
    "session": (LayerId.SESSION_POLICY,),
}
POLICY_TYPE_WORDS: dict[str, str] = {
    "identity": "an identity-based policy",
    "resource": "a resource-based policy",
    "scp": "a service control policy",
    "rcp": "a resource control policy",
    "vpc-endpoint": "a VPC endpoint policy",
    "permissions-boundary": "a permissions boundary",
    "session": "a session policy",
}

# Error codes that are one layer's signature.
CODE_LAYERS: dict[str, tuple[LayerId, ...]] = {
    "AccessControlListNotSupported": (LayerId.OBJECT_OWNERSHIP,),
    "KMS.DisabledException": (LayerId.KMS,),
    "KMS.KMSInvalidStateException": (LayerId.KMS,),
    "KMS.NotFoundException": (LayerId.KMS,),
    "KMS.AccessDeniedException": (LayerId.KMS,),
}

# Reason clauses S3 writes for its own settings -> the layer.
REASON_LAYERS: tuple[tuple[str, tuple[LayerId, ...]], ...] = (
    ("blockpublicacls", (LayerId.BLOCK_PUBLIC_ACCESS,)),
    ("blockpublicpolicy", (LayerId.BLOCK_PUBLIC_ACCESS,)),
    ("restrictpublicbuckets", (LayerId.BLOCK_PUBLIC_ACCESS,)),
    ("ignorepublicacls", (LayerId.BLOCK_PUBLIC_ACCESS,)),
    ("block public access", (LayerId.BLOCK_PUBLIC_ACCESS,)),
    ("customer provided keys", (LayerId.REQUEST_HEADERS,)),
    ("sse-c", (LayerId.REQUEST_HEADERS,)),
    ("object ownership", (LayerId.OBJECT_OWNERSHIP,)),
    ("requester pays", (LayerId.REQUESTER_PAYS,)),
)

# Errors that are not an authorization denial: the layer that explains them (never a permission fix).
NOT_A_DENIAL: dict[str, LayerId] = {
    "NoSuchKey": LayerId.OBJECT_MISSING,
    "NoSuchBucket": LayerId.OBJECT_MISSING,
    "NoSuchVersion": LayerId.OBJECT_MISSING,
    "PermanentRedirect": LayerId.REQUEST_HEADERS,
    "TemporaryRedirect": LayerId.REQUEST_HEADERS,
    "AuthorizationHeaderMalformed": LayerId.REQUEST_HEADERS,
    "InvalidObjectState": LayerId.REQUEST_HEADERS,
    "MethodNotAllowed": LayerId.REQUEST_HEADERS,
    "InvalidAccessKeyId": LayerId.CREDENTIALS,
    "SignatureDoesNotMatch": LayerId.CREDENTIALS,
    "ExpiredToken": LayerId.CREDENTIALS,
    "ExpiredTokenException": LayerId.CREDENTIALS,
    "InvalidToken": LayerId.CREDENTIALS,
    "TokenRefreshRequired": LayerId.CREDENTIALS,
    "RequestTimeTooSkewed": LayerId.CREDENTIALS,
    "InvalidClientTokenId": LayerId.CREDENTIALS,
    "UnrecognizedClientException": LayerId.CREDENTIALS,
    "AllAccessDisabled": LayerId.CREDENTIALS,
    "AccountProblem": LayerId.CREDENTIALS,
}


@dataclass(frozen=True)
class StatedFacts:
    """The facts the text states. `layers`: the layers that can hold the denial it names, the one to name
    first; empty when the text names none. `lookalike`: set when the error is not an authorization denial."""

    error_code: str | None
    deny_kind: str | None  # explicit | implicit
    policy_type: str | None
    reason: str | None
    policy_arn: str | None
    authorization_id: str | None
    layers: tuple[LayerId, ...]
    lookalike: Lookalike | None
    lookalike_layer: LayerId | None

    @property
    def names_a_denial(self) -> bool:
        """Does the text say more than "access denied": which layer, or explicit vs implicit?"""
        return bool(self.layers) or self.deny_kind is not None

    def what_aws_says(self) -> str:
        """AWS's statement in words: "AWS says an explicit Deny in a service control policy denied this"."""
        if self.policy_type in POLICY_TYPE_WORDS:
            who = POLICY_TYPE_WORDS[self.policy_type]
            if self.deny_kind == "explicit":
                return f"AWS says an explicit Deny in {who} denied this"
            if self.deny_kind == "implicit":
                return f"AWS says no {who.split(' ', 1)[1]} allows this"
            return f"AWS says {who} denied this"
        if self.reason:
            return f"AWS says the request was denied because {self.reason}"
        if self.error_code in CODE_LAYERS:
            return f"AWS answered {self.error_code}"
        if self.deny_kind == "explicit":
            return "AWS says an explicit Deny denied this"
        if self.deny_kind == "implicit":
            return "AWS says no policy allows this"
        return "AWS denied this request"


def stated_facts(req: DeniedRequest) -> StatedFacts:
    """Read what the text states (fields the parser may not provide are read defensively)."""
    code = req.error_code
    reason = getattr(req, "reason", None)
    policy_type = req.policy_type
    layers: tuple[LayerId, ...] = ()
    if policy_type in POLICY_TYPE_LAYERS:
        layers = POLICY_TYPE_LAYERS[policy_type]
        if policy_type == "resource" and _about_kms(req):
            layers = (LayerId.KMS, *layers)
        if policy_type == "identity" and _about_kms(req):
            layers = (*layers, LayerId.KMS)
    elif code in CODE_LAYERS:
        layers = CODE_LAYERS[code]
    if not layers and reason:
        low = reason.lower()
        layers = next((found for phrase, found in REASON_LAYERS if phrase in low), ())
    look = LOOKALIKES.get(code or "") if code in NOT_A_DENIAL else None
    return StatedFacts(
        error_code=code,
        deny_kind=req.deny_kind,
        policy_type=policy_type,
        reason=reason,
        policy_arn=getattr(req, "policy_arn", None),
        authorization_id=getattr(req, "authorization_id", None),
        layers=layers,
        lookalike=look,
        lookalike_layer=NOT_A_DENIAL.get(code or "") if code else None,
    )


def _about_kms(req: DeniedRequest) -> bool:
    return req.service == "kms" or (req.action or "").lower().startswith("kms:") or ":kms:" in (req.resource_arn or "")


def not_a_denial_cause(code: str, layer: LayerId) -> tuple[str, dict[str, object]]:
    """The summary and evidence of an error that is not an authorization denial, with parse's explanation."""
    look = LOOKALIKES.get(code)
    title = look.title if look else "not an authorization error"
    explanation = look.explanation if look else f"{code} is not an access denial: no policy change fixes it."
    summary = f"not an access denial: {code}, {title}. {explanation}"
    return summary, {"error_code": code, "explanation": explanation, "not_a_denial": True}
