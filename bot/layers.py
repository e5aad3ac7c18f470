"""Closed vocabularies shared by every stage: layer ids (CONTRACT.md), verdicts, decisions."""

from __future__ import annotations

from enum import StrEnum


class LayerId(StrEnum):
    IDENTITY = "identity"
    PERMISSIONS_BOUNDARY = "permissions-boundary"
    SESSION_POLICY = "session-policy"
    SCP = "scp"
    RCP = "rcp"
    BUCKET_POLICY = "bucket-policy"
    ACCESS_POINT_POLICY = "access-point-policy"
    VPC_ENDPOINT_POLICY = "vpc-endpoint-policy"
    KMS = "kms"
    BLOCK_PUBLIC_ACCESS = "block-public-access"
    ACL = "acl"
    OBJECT_OWNERSHIP = "object-ownership"
    OBJECT_LOCK = "object-lock"
    PRESIGNED_URL = "presigned-url"
    REQUESTER_PAYS = "requester-pays"
    CLOUDFRONT = "cloudfront"
    OBJECT_MISSING = "object-missing"
    CREDENTIALS = "credentials"
    REQUEST_HEADERS = "request-headers"


class Decision(StrEnum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit-deny"
    EXPLICIT_DENY = "explicit-deny"


class Verdict(StrEnum):
    """A layer's verdict in `simulate` output."""

    ALLOW = "allow"
    DENY = "deny"  # an explicit Deny statement matched
    NO_ALLOW = "no-allow"  # the layer had to allow and did not
    NOT_APPLICABLE = "not-applicable"
