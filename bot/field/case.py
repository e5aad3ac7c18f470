"""A field case file (tests/field/README.md describes the format): strict models, loud errors with the file name.

Policy documents stay plain JSON objects (they are checked by s3why's own parser when the case runs)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import UsageError

Document = dict[str, Any]
ACCOUNT_PATTERN = r"^[0-9]{12}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseError(UsageError):
    """A case file that is not a valid case; the message starts with the file name."""


class Decision(StrEnum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit-deny"
    EXPLICIT_DENY = "explicit-deny"
    UNKNOWN = "unknown"


class FixOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NONE = "none"  # s3why offered no fix where the thread had one


LayerName = Literal[
    "identity",
    "permissions-boundary",
    "session-policy",
    "scp",
    "rcp",
    "bucket-policy",
    "access-point-policy",
    "vpc-endpoint-policy",
    "kms",
    "block-public-access",
    "acl",
    "object-ownership",
    "object-lock",
    "presigned-url",
    "requester-pays",
    "cloudfront",
    "object-missing",
    "credentials",
    "request-headers",
]


# --- account: the compact description build.py compiles --------------------------------------------------------
class Boundary(_Strict):
    arn: str
    document: Document


class Group(_Strict):
    inline: dict[str, Document] = Field(default_factory=dict)
    managed: dict[str, Document] = Field(default_factory=dict)


class PrincipalSpec(_Strict):
    """The caller: an IAM role (or a session of one) or user. `unreadable`: s3why's role may not read it."""

    arn: str
    path: str = "/"
    inline: dict[str, Document] = Field(default_factory=dict)
    managed: dict[str, Document] = Field(default_factory=dict)  # policy ARN -> document
    boundary: Boundary | None = None
    groups: dict[str, Group] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    session_policy: Document | None = None  # passed with AssumeRole (s3why diagnose --session-policy)
    unreadable: bool = False


class ObjectSpec(_Strict):
    """The object the request names. `owner`: the account that owns it (default: the bucket's)."""

    key: str
    missing: bool = False
    owner: str | None = Field(default=None, pattern=ACCOUNT_PATTERN)
    sse: Literal["AES256", "aws:kms", "aws:kms:dsse"] | None = None
    kms_key: str | None = None
    bucket_key: bool = False
    lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] | None = None
    retain_until: str | None = None
    legal_hold: bool = False
    public_read_acl: bool = False


class EncryptionSpec(_Strict):
    algorithm: Literal["AES256", "aws:kms", "aws:kms:dsse"]
    kms_key: str | None = None
    bucket_key: bool = False


class ObjectLockSpec(_Strict):
    mode: Literal["GOVERNANCE", "COMPLIANCE"] | None = None
    days: int | None = None


class PublicAccessBlock(_Strict):
    BlockPublicAcls: bool = False
    IgnorePublicAcls: bool = False
    BlockPublicPolicy: bool = False
    RestrictPublicBuckets: bool = False


class BucketSpec(_Strict):
    """The bucket the request names, as the thread describes it; None fields are absent settings."""

    name: str
    account: str = Field(pattern=ACCOUNT_PATTERN)
    region: str = "us-east-1"
    policy: Document | None = None
    public_access_block: PublicAccessBlock | None = None
    account_public_access_block: PublicAccessBlock | None = None
    ownership: Literal["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"] | None = "BucketOwnerEnforced"
    public_read_acl: bool = False
    encryption: EncryptionSpec | None = None
    versioning: Literal["Enabled", "Suspended"] | None = None
    object_lock: ObjectLockSpec | None = None
    requester_pays: bool = False
    tags: dict[str, str] = Field(default_factory=dict)
    object: ObjectSpec | None = None
    unreadable: list[str] = Field(default_factory=list)  # s3api calls that answer AccessDenied to s3why


class KeySpec(_Strict):
    arn: str
    policy: Document | None = None
    manager: Literal["CUSTOMER", "AWS"] = "CUSTOMER"
    aliases: list[str] = Field(default_factory=list)
    grants: list[Document] = Field(default_factory=list)
    enabled: bool = True
    unreadable: bool = False


class OrgLevel(_Strict):
    target: str
    scps: list[Document] = Field(default_factory=list)
    rcps: list[Document] = Field(default_factory=list)


class OrgSpec(_Strict):
    """An account's organization: `member: false` not in one; `unreadable: true` in one whose policies s3why
    cannot read; else its path with the SCPs/RCPs at each level (FullAWSAccess at the root is implied)."""

    member: bool = True
    unreadable: bool = False
    management_account: str = Field(default="999999999999", pattern=ACCOUNT_PATTERN)
    id: str = "o-exampleorg1"
    levels: list[OrgLevel] = Field(default_factory=list)


class VpcEndpointSpec(_Strict):
    id: str
    account: str = Field(pattern=ACCOUNT_PATTERN)
    policy: Document | None = None


class AccessPointSpec(_Strict):
    name: str
    account: str = Field(pattern=ACCOUNT_PATTERN)
    policy: Document | None = None
    network_origin: Literal["Internet", "VPC"] = "Internet"
    vpc_id: str | None = None


class SignerSpec(_Strict):
    """A presigned URL's signer (S3 authorizes the URL's request as it, not as whoever pastes or uses the URL):
    the URL's access key id and the principal that owns it (a user for an AKIA key; a role or role session for an
    ASIA key). Its policies are the `principal:` section, which then describes the signer (possibly another
    account's or a vendor's, or `unreadable`)."""

    access_key_id: str = Field(pattern=r"^[A-Z0-9]{16,128}$")  # IAM API Reference: 16 to 128 characters
    arn: str


class DistributionSpec(_Strict):
    """A CloudFront distribution with the bucket as its S3 origin; `oai`: the origin access identity's id when it
    reaches the bucket through one (None: origin access control or a public origin)."""

    id: str
    oai: str | None = None


class CloudFrontSpec(_Strict):
    distributions: list[DistributionSpec] = Field(default_factory=list)


class AccountSpec(_Strict):
    principal: PrincipalSpec | None = None
    # Other principals the thread describes (a partner's uploader role): not in the snapshot s3why reads (it reads
    # the caller), used by the fix-check to evaluate their `must_allow` requests with their own policies.
    others: list[PrincipalSpec] = Field(default_factory=list)
    signer: SignerSpec | None = None
    cloudfront: CloudFrontSpec | None = None
    bucket: BucketSpec | None = None
    kms: list[KeySpec] = Field(default_factory=list)
    organization: dict[Literal["principal_account", "resource_account"], OrgSpec] = Field(default_factory=dict)
    vpc_endpoint: VpcEndpointSpec | None = None
    access_point: AccessPointSpec | None = None


# --- the rest of the case ---------------------------------------------------------------------------------------
class ReporterKnows(_Strict):
    principal: str | None = None
    context: dict[str, str | list[str]] = Field(default_factory=dict)
    operation: str | None = None
    bucket: str | None = None
    key: str | None = None


class Expected(_Strict):
    layer: LayerName
    decision: Decision


class Change(_Strict):
    """One document change or setting that resolved the thread (`kind` is a CONTRACT patch kind)."""

    target: str
    kind: Literal[
        "iam-policy",
        "bucket-policy",
        "key-policy",
        "vpc-endpoint-policy",
        "access-point-policy",
        "setting",
    ]
    add_statements: list[Document] = Field(default_factory=list)
    remove_sids: list[str] = Field(default_factory=list)
    setting: dict[str, Any] = Field(default_factory=dict)


class WorkloadRequest(_Strict):
    """A request the workload makes that must be allowed after the fix: an S3 operation (preferred: its KMS and
    other authorizations are checked too) or an IAM action, on an S3 ARN."""

    principal: str
    resource: str
    operation: str | None = None
    action: str | None = None
    context: dict[str, str | list[str]] = Field(default_factory=dict)

    @field_validator("action")
    @classmethod
    def _service_action(cls, v: str | None) -> str | None:
        if v is not None and ":" not in v:
            raise ValueError(f"action {v!r} must be SERVICE:Name")
        return v


class Resolution(_Strict):
    summary: str
    fixable: bool = True  # False: no change s3why could make resolves it (a lookalike, the org admins' SCP, ...)
    changes: list[Change] = Field(default_factory=list)
    request_change: dict[str, Any] = Field(default_factory=dict)  # {context: {KEY: VALUE or null}}
    must_allow: list[WorkloadRequest] = Field(default_factory=list)
    must_not_widen: bool = True


class FirstResult(_Strict):
    date: date
    commit: str
    layer: str | None
    decision: str
    fix: FixOutcome


class Case(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    source: str = Field(pattern=r"^https?://")
    tool: str
    settled_by: str
    text: str
    reporter_knows: ReporterKnows = Field(default_factory=ReporterKnows)
    account: AccountSpec
    expected: Expected
    resolution: Resolution
    first_result: FirstResult | None = None
    known_gap: str | None = None  # shown as a strict xfail with this reason; counted as a failure


def load_case(path: Path) -> Case:
    """The case in `path`; CaseError naming the file (and the field) when it is not a valid case."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaseError(f"{path}: cannot read it as YAML ({type(exc).__name__}: {str(exc)[:200]})") from None
    try:
        case = Case.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise CaseError(f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s))") from None
    if case.id != path.stem:
        raise CaseError(f"{path}: id {case.id!r} must be the file name without .yaml")
    return case


def load_cases(directory: Path) -> list[Case]:
    return [load_case(p) for p in sorted(directory.glob("*.yaml"))]
