"""The AWS read calls s3why makes, in one table: the IAM action each needs, what "absent" looks like, and
which cache kind (TTL) its answer belongs to.

The shipped read policy (`policies/s3why-read.json`) must allow every action here; a test checks it with
s3why's own engine against the calls actually recorded while collecting.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallSpec:
    service: str
    operation: str
    action: str | None  # None: needs no permission (sts:GetCallerIdentity)
    kind: str  # cache kind: principal | bucket | object | kms | network | organization | account
    absent: frozenset[str] = frozenset()  # error codes that mean "there is none"


def _c(service: str, operation: str, action: str | None, kind: str, *absent: str) -> CallSpec:
    return CallSpec(service, operation, action, kind, frozenset(absent))


CALLS: dict[tuple[str, str], CallSpec] = {
    (c.service, c.operation): c
    for c in (
        _c("sts", "GetCallerIdentity", None, "account"),
        _c("sts", "AssumeRole", "sts:AssumeRole", "account"),
        # A presigned URL's signer (bot/account/signer.py): the key's account, then the IAM user that owns it
        _c("sts", "GetAccessKeyInfo", "sts:GetAccessKeyInfo", "principal"),
        _c("iam", "GetAccessKeyLastUsed", "iam:GetAccessKeyLastUsed", "principal", "NoSuchEntity"),
        # IAM: the principal
        _c("iam", "GetRole", "iam:GetRole", "principal", "NoSuchEntity"),
        _c("iam", "GetUser", "iam:GetUser", "principal", "NoSuchEntity"),
        _c("iam", "ListRolePolicies", "iam:ListRolePolicies", "principal", "NoSuchEntity"),
        _c("iam", "GetRolePolicy", "iam:GetRolePolicy", "principal", "NoSuchEntity"),
        _c("iam", "ListAttachedRolePolicies", "iam:ListAttachedRolePolicies", "principal", "NoSuchEntity"),
        _c("iam", "ListUserPolicies", "iam:ListUserPolicies", "principal", "NoSuchEntity"),
        _c("iam", "GetUserPolicy", "iam:GetUserPolicy", "principal", "NoSuchEntity"),
        _c("iam", "ListAttachedUserPolicies", "iam:ListAttachedUserPolicies", "principal", "NoSuchEntity"),
        _c("iam", "ListGroupsForUser", "iam:ListGroupsForUser", "principal", "NoSuchEntity"),
        _c("iam", "ListGroupPolicies", "iam:ListGroupPolicies", "principal", "NoSuchEntity"),
        _c("iam", "GetGroupPolicy", "iam:GetGroupPolicy", "principal", "NoSuchEntity"),
        _c("iam", "ListAttachedGroupPolicies", "iam:ListAttachedGroupPolicies", "principal", "NoSuchEntity"),
        _c("iam", "GetPolicy", "iam:GetPolicy", "principal", "NoSuchEntity"),
        _c("iam", "GetPolicyVersion", "iam:GetPolicyVersion", "principal", "NoSuchEntity"),
        # IAM Access Troubleshooter: AWS's record of a denial (bot/account/toolbox.py)
        _c(
            "iam-toolbox",
            "GetRequestAuthorizationDetails",
            "iam:GetRequestAuthorizationDetails",
            "principal",
            "ResourceNotFoundException",
        ),
        _c(
            "iam-toolbox",
            "GetRequestAuthorizationPolicy",
            "iam:GetRequestAuthorizationPolicy",
            "principal",
            "ResourceNotFoundException",
        ),
        # S3: the bucket
        _c("s3", "ListBuckets", "s3:ListAllMyBuckets", "account"),
        _c("s3", "GetBucketLocation", "s3:GetBucketLocation", "bucket", "NoSuchBucket"),
        _c("s3", "GetBucketPolicy", "s3:GetBucketPolicy", "bucket", "NoSuchBucketPolicy", "NoSuchBucket"),
        _c("s3", "GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", "bucket", "NoSuchBucketPolicy", "NoSuchBucket"),
        _c("s3", "GetBucketAcl", "s3:GetBucketAcl", "bucket", "NoSuchBucket"),
        _c(
            "s3",
            "GetBucketOwnershipControls",
            "s3:GetBucketOwnershipControls",
            "bucket",
            "OwnershipControlsNotFoundError",
            "NoSuchBucket",
        ),
        _c(
            "s3",
            "GetPublicAccessBlock",
            "s3:GetBucketPublicAccessBlock",
            "bucket",
            "NoSuchPublicAccessBlockConfiguration",
            "NoSuchBucket",
        ),
        _c(
            "s3",
            "GetBucketEncryption",
            "s3:GetEncryptionConfiguration",
            "bucket",
            "ServerSideEncryptionConfigurationNotFoundError",
            "NoSuchBucket",
        ),
        _c(
            "s3",
            "GetObjectLockConfiguration",
            "s3:GetBucketObjectLockConfiguration",
            "bucket",
            "ObjectLockConfigurationNotFoundError",
            "ObjectLockConfigurationNotFound",
            "NoSuchBucket",
        ),
        _c("s3", "GetBucketRequestPayment", "s3:GetBucketRequestPayment", "bucket", "NoSuchBucket"),
        _c("s3", "GetBucketVersioning", "s3:GetBucketVersioning", "bucket", "NoSuchBucket"),
        _c("s3", "GetBucketAbac", "s3:GetBucketAbac", "bucket", "NoSuchBucket"),
        _c("s3", "GetBucketTagging", "s3:GetBucketTagging", "bucket", "NoSuchTagSet", "NoSuchBucket"),
        # S3: the object
        _c("s3", "HeadObject", "s3:GetObject", "object", "404", "NoSuchKey", "NotFound", "NoSuchBucket"),
        _c("s3", "GetObjectAcl", "s3:GetObjectAcl", "object", "NoSuchKey", "NoSuchBucket"),
        _c(
            "s3",
            "GetObjectRetention",
            "s3:GetObjectRetention",
            "object",
            "NoSuchObjectLockConfiguration",
            "InvalidRequest",
            "NoSuchKey",
        ),
        _c(
            "s3",
            "GetObjectLegalHold",
            "s3:GetObjectLegalHold",
            "object",
            "NoSuchObjectLockConfiguration",
            "InvalidRequest",
            "NoSuchKey",
        ),
        # S3 Control: account Block Public Access, access points
        _c(
            "s3control",
            "GetPublicAccessBlock",
            "s3:GetAccountPublicAccessBlock",
            "account",
            "NoSuchPublicAccessBlockConfiguration",
        ),
        _c("s3control", "GetAccessPoint", "s3:GetAccessPoint", "bucket", "NoSuchAccessPoint"),
        _c(
            "s3control",
            "GetAccessPointPolicy",
            "s3:GetAccessPointPolicy",
            "bucket",
            "NoSuchAccessPointPolicy",
            "NoSuchAccessPoint",
        ),
        # Multi-Region Access Points (s3control; the control plane answers in us-west-2). Their "none" error codes
        # are not in botocore's model, so a missing one reads as an error that names AWS's code.
        _c("s3control", "GetMultiRegionAccessPoint", "s3:GetMultiRegionAccessPoint", "bucket"),
        _c("s3control", "GetMultiRegionAccessPointPolicy", "s3:GetMultiRegionAccessPointPolicy", "bucket"),
        # KMS
        _c("kms", "DescribeKey", "kms:DescribeKey", "kms", "NotFoundException"),
        _c("kms", "GetKeyPolicy", "kms:GetKeyPolicy", "kms", "NotFoundException"),
        _c("kms", "ListGrants", "kms:ListGrants", "kms", "NotFoundException"),
        _c("kms", "ListAliases", "kms:ListAliases", "kms", "NotFoundException"),
        _c("kms", "ListResourceTags", "kms:ListResourceTags", "kms", "NotFoundException"),
        # Network
        _c("ec2", "DescribeVpcEndpoints", "ec2:DescribeVpcEndpoints", "network", "InvalidVpcEndpointId.NotFound"),
        # Organizations
        _c(
            "organizations",
            "DescribeOrganization",
            "organizations:DescribeOrganization",
            "organization",
            "AWSOrganizationsNotInUseException",
        ),
        _c(
            "organizations",
            "ListParents",
            "organizations:ListParents",
            "organization",
            "ChildNotFoundException",
            "AccountNotFoundException",
        ),
        _c(
            "organizations",
            "ListPoliciesForTarget",
            "organizations:ListPoliciesForTarget",
            "organization",
            "TargetNotFoundException",
        ),
        _c(
            "organizations", "DescribePolicy", "organizations:DescribePolicy", "organization", "PolicyNotFoundException"
        ),
    )
}

# Error codes that mean "s3why's own role may not read this" (the result is unknown, not absent).
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403", "Forbidden", "AllAccessDisabled"}
)
# Error codes botocore retries (throttling) that still failed after every retry.
THROTTLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "SlowDown", "RequestLimitExceeded", "TooManyRequestsException"}
)


def spec_for(service: str, operation: str) -> CallSpec:
    found = CALLS.get((service, operation))
    if found is None:
        raise KeyError(f"{service}:{operation} is not in s3why's call catalogue")
    return found
