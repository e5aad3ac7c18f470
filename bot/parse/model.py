"""Values the parser produces: plain, frozen, JSON-ready."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The keys of one parsed request, in CONTRACT.md's order.
REQUEST_KEYS: tuple[str, ...] = (
    "source_format",
    "service",
    "error_code",
    "http_status",
    "operation",
    "action",
    "bucket",
    "key",
    "principal_arn",
    "resource_arn",
    "deny_kind",
    "policy_type",
    "request_id",
    "region",
    "policy_arn",
    "authorization_id",
    "reason",
)


@dataclass(frozen=True, slots=True)
class DeniedRequest:
    """One failed request described by pasted text; None where the text does not say."""

    source_format: str | None = None
    service: str | None = None
    error_code: str | None = None
    http_status: int | None = None
    operation: str | None = None
    action: str | None = None
    bucket: str | None = None
    key: str | None = None
    principal_arn: str | None = None
    resource_arn: str | None = None
    deny_kind: str | None = None
    policy_type: str | None = None
    request_id: str | None = None
    region: str | None = None
    # The policy an enriched message names as the one that denied ("... in a service control policy: ARN").
    policy_arn: str | None = None
    # AWS's record of the denial (IAM Access Troubleshooter): from "... authorization id: ID" or the console link.
    authorization_id: str | None = None
    # The clause after "because" / "with" in an enriched message, without the policy ARN or the link sentence:
    # e.g. "public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access".
    reason: str | None = None
    # Not part of the JSON contract: what the diagnosis may still use.
    anonymous: bool = field(default=False, compare=False)
    presigned_expired: bool = field(default=False, compare=False)  # "Request has expired"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: data[k] for k in REQUEST_KEYS}


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something the person should know about the text: a pasted secret, a lookalike error, no error at all."""

    kind: str  # "secret" | "lookalike" | "no-error" | "truncated" | "binary"
    message: str
    secret_type: str | None = None
    start: int | None = None  # position in the text as given (characters)
    end: int | None = None
    request_index: int | None = None
    error_code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True, slots=True)
class ParseResult:
    requests: tuple[DeniedRequest, ...]
    warnings: tuple[ParseWarning, ...]
    redacted_text: str  # the text with every secret replaced; the only form s3why stores, logs or echoes

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": [r.to_json() for r in self.requests],
            "warnings": [w.to_json() for w in self.warnings],
        }

    @property
    def secrets(self) -> tuple[ParseWarning, ...]:
        return tuple(w for w in self.warnings if w.kind == "secret")
