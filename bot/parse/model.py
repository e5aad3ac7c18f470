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
    "operation_candidates",
    "stated_context",
    "presigned",
)


@dataclass(frozen=True, slots=True)
class PresignedUrl:
    """What a presigned URL's query string says about its signer (never the signature or the token).

    SigV4 (S3 API Reference, "Authenticating Requests: Using Query Parameters"): X-Amz-Credential =
    AKID/YYYYMMDD/REGION/SERVICE/aws4_request, X-Amz-Date (YYYYMMDD'T'HHMMSS'Z'), X-Amz-Expires (seconds, at most
    604800), X-Amz-Security-Token when the signer used temporary credentials. SigV2: AWSAccessKeyId, Expires (epoch
    seconds), x-amz-security-token.
    """

    signature_version: str  # "v4" | "v2"
    access_key_id: str | None = None
    signed_at: str | None = None  # ISO 8601 UTC, e.g. "2026-11-30T10:00:00Z" (SigV4 only)
    expires_seconds: int | None = None  # X-Amz-Expires (SigV4 only)
    expires_at: str | None = None  # ISO 8601 UTC: signed_at + expires_seconds, or SigV2's Expires
    temporary_credentials: bool = False  # a security token rides along: the URL dies with the session
    region: str | None = None  # the credential scope's region (SigV4)
    scheme: str | None = None  # "https" | "http"
    server_time: str | None = None  # S3's <ServerTime> in a "Request has expired" body: when the request was refused
    # A time the text gives for the request when S3's <ServerTime> is absent: the response's HTTP Date header (UTC),
    # or a log line's timestamp (ISO 8601; without an offset when the log gives none); not in the JSON contract.
    stated_time: str | None = field(default=None, compare=False)
    # S3's own <Message> in the error body that refused the URL (e.g. "Access Denied"); not in the JSON contract.
    s3_message: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("s3_message", None)
        data.pop("stated_time", None)
        return data


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
    # Where the text narrows the operation to a few but cannot tell which (e.g. `aws s3 cp s3://b/k .` fails on
    # HeadObject or GetObject); empty when `operation` is known or nothing narrows it.
    operation_candidates: tuple[str, ...] = ()
    # Request-context keys the text itself states (key -> values), e.g. a CloudTrail record's vpcEndpointId as
    # aws:SourceVpce, an `http://` request URL as aws:SecureTransport=false, an `x-amz-acl` header as s3:x-amz-acl.
    stated_context: tuple[tuple[str, tuple[str, ...]], ...] = ()
    presigned: PresignedUrl | None = None
    # Not part of the JSON contract: what the diagnosis may still use.
    anonymous: bool = field(default=False, compare=False)
    presigned_expired: bool = field(default=False, compare=False)  # "Request has expired"

    @property
    def context(self) -> dict[str, list[str]]:
        """`stated_context` as a mapping, each key's values in the order the text states them."""
        return {k: list(v) for k, v in self.stated_context}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if isinstance(data.get("presigned"), dict):
            data["presigned"].pop("s3_message", None)  # not in the JSON contract (PresignedUrl.to_json)
        data["operation_candidates"] = list(self.operation_candidates)
        data["stated_context"] = self.context
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
