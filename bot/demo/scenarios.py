"""Broken setups, each built in the emulated AWS through boto3 as an operator would, with the error a person
would paste and the root cause a senior engineer would name.

Where moto does not model what AWS returns (AWS managed keys, objects owned by another account), the scenario
patches that one answer at the HTTP client (`patches`), and says so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from bot.config import AccountConfig, Config
from bot.demo.emulator import OTHER, OWN, client, session_in

Names = dict[str, str]
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
SESSION = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"
ROLE = f"arn:aws:iam::{OWN}:role/app"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@dataclass
class Scenario:
    name: str
    seed: Callable[[], Names]
    text: str
    layer: str
    kind: str | None = None
    decision: str | None = None
    principal: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    session_policy: dict[str, Any] | None = None
    other_account: bool = False
    org_reader: bool = False
    patches: dict[str, Callable[[dict[str, Any], Names], None]] = field(default_factory=dict)
    summary_has: str | None = None

    def config(self, names: Names, *, write_role: str | None = None, approvers: tuple[str, ...] = ()) -> Config:
        """The configuration an operator would write for this setup (and, for applying fixes, the write roles)."""

        def account(account_id: str, read: bool) -> AccountConfig:
            return AccountConfig(
                id=account_id,
                role_arn=f"arn:aws:iam::{account_id}:role/s3why-read" if read else None,
                write_role_arn=f"arn:aws:iam::{account_id}:role/{write_role}" if write_role else None,
                approvers=approvers,
            )

        accounts = [account(OWN, False)] if write_role else []
        if self.other_account:
            accounts.append(account(OTHER, True))
        if "member" in names:
            accounts.append(account(names["member"], True))
        org_role = f"arn:aws:iam::{OWN}:role/s3why-org-read" if self.org_reader else None
        # the emulated accounts' read roles opt in to object heads everywhere (objects.heads: all)
        return Config(accounts=tuple(accounts), organization_role_arn=org_role, object_heads="all")

    def client_hook(self, names: Names) -> Callable[[Any], None]:
        """Patches the answers moto does not model (see the module's docstring) into s3why's AWS clients."""

        def hook(made: Any) -> None:
            for operation, patch in self.patches.items():
                made.meta.events.register(
                    f"after-call.*.{operation}",
                    lambda parsed, patch=patch, **_: patch(parsed, names) if "Error" not in parsed else None,
                )

        return hook

    def formatted(self, names: Names) -> tuple[str, str | None, dict[str, tuple[str, ...]]]:
        """The pasted text, the principal and the context, with this seed's names filled in."""
        principal = fmt(self.principal, names) if self.principal else None
        return fmt(self.text, names), principal, {k: (fmt(v, names),) for k, v in self.context.items()}


def fmt(value: str, names: Names) -> str:
    return value.format(**names) if "{" in value else value


def role(
    *statements: dict[str, Any], boundary: dict[str, Any] | None = None, account_session: boto3.Session | None = None
) -> None:
    iam = client("iam", session=account_session)
    kwargs: dict[str, Any] = {}
    if boundary is not None:
        arn = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(boundary))["Policy"]["Arn"]
        kwargs["PermissionsBoundary"] = arn
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST, **kwargs)
    if statements:
        iam.put_role_policy(RoleName="app", PolicyName="app", PolicyDocument=doc(*statements))


def bucket(
    name: str, *, session: boto3.Session | None = None, objects: dict[str, bytes] | None = None, **kw: Any
) -> Any:
    s3 = client("s3", session=session)
    s3.create_bucket(Bucket=name, **kw)
    for key, body in (objects or {}).items():
        s3.put_object(Bucket=name, Key=key, Body=body)
    return s3


def download(bucket_name: str, key: str, code: str = "AccessDenied", message: str = "Access Denied") -> str:
    return (
        f"download failed: s3://{bucket_name}/{key} to ./{key.rsplit('/', 1)[-1]} An error occurred ({code}) when "
        f"calling the GetObject operation: {message}"
    )


def upload(bucket_name: str, key: str, code: str = "AccessDenied", message: str = "Access Denied") -> str:
    return (
        f"upload failed: ./{key.rsplit('/', 1)[-1]} to s3://{bucket_name}/{key} An error occurred ({code}) when "
        f"calling the PutObject operation: {message}"
    )


# --- the scenarios -----------------------------------------------------------------------------------------
def s_identity_missing_put() -> Names:
    role(allow("s3:GetObject", "arn:aws:s3:::team-data/*"))
    bucket("team-data")
    return {}


def s_arn_confusion() -> Names:
    role(allow("s3:ListBucket", "arn:aws:s3:::team-data/*"), allow("s3:GetObject", "arn:aws:s3:::team-data/*"))
    bucket("team-data")
    return {}


def s_bucket_deny_principal_arn() -> Names:
    role(allow("s3:GetObject", "arn:aws:s3:::locked-data/*"))
    s3 = bucket("locked-data", objects={"report.csv": b"a,b"})
    s3.put_bucket_policy(Bucket="locked-data", Policy=doc({
        "Sid": "OnlyAdmins", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::locked-data", "arn:aws:s3:::locked-data/*"],
        "Condition": {"StringNotEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{OWN}:role/admin"]}}}))  # fmt: skip
    return {}


def s_sse_kms_header() -> Names:
    role(allow("s3:PutObject", "arn:aws:s3:::secure-drop/*"))
    s3 = bucket("secure-drop")
    s3.put_bucket_policy(Bucket="secure-drop", Policy=doc({
        "Sid": "RequireKms", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::secure-drop/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}))  # fmt: skip
    return {}


def s_secure_transport() -> Names:
    role(allow("s3:GetObject", "arn:aws:s3:::tls-only/*"))
    s3 = bucket("tls-only", objects={"a.txt": b"x"})
    s3.put_bucket_policy(Bucket="tls-only", Policy=doc({
        "Sid": "DenyHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))  # fmt: skip
    return {}


def _kms_bucket(policy: dict[str, Any]) -> Names:
    kms = client("kms")
    key = kms.create_key(Description="data key")["KeyMetadata"]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    s3 = bucket("enc-data")
    s3.put_object(Bucket="enc-data", Key="x.csv", Body=b"a", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    role(allow("s3:GetObject", "arn:aws:s3:::enc-data/*"), allow(["kms:Decrypt", "kms:GenerateDataKey"], key["Arn"]))
    return {"key": key["Arn"]}


def s_kms_not_granting() -> Names:
    return _kms_bucket({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:user/admin"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "ReadOnlyForIam", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
         "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"}]})  # fmt: skip


def s_kms_no_delegation() -> Names:
    return _kms_bucket({"Version": "2012-10-17", "Statement": [
        {"Sid": "AdminsOnly", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:user/admin"}, "Action": "kms:*", "Resource": "*"}]})  # fmt: skip


def s_aws_s3_cross_account() -> Names:
    other = session_in(OTHER)
    kms_b = client("kms", session=other)
    managed = kms_b.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    s3 = bucket("partner-share", session=other)
    s3.put_object(Bucket="partner-share", Key="in/x.csv", Body=b"a", ServerSideEncryption="aws:kms")
    s3.put_bucket_policy(Bucket="partner-share", Policy=doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:GetObject",
                                                             "Resource": "arn:aws:s3:::partner-share/*"}))  # fmt: skip
    role(allow("s3:GetObject", "arn:aws:s3:::partner-share/*"), allow("kms:Decrypt", "*"))
    return {"key": managed}


def _managed_key_head(answer: dict[str, Any], names: Names) -> None:
    answer["SSEKMSKeyId"] = names["key"]  # AWS names aws/s3's key here; moto leaves it out


def _managed_key_meta(answer: dict[str, Any], names: Names) -> None:
    answer["KeyMetadata"]["KeyManager"] = "AWS"  # moto models aws/s3 as a customer managed key


def s_cross_account_one_side() -> Names:
    other = session_in(OTHER)
    bucket("partner-drop", session=other, objects={"in/x.csv": b"a"})
    role(allow("s3:GetObject", "arn:aws:s3:::partner-drop/*"))
    return {}


def s_bpa_public_upload() -> Names:
    role(allow(["s3:PutObject", "s3:PutObjectAcl"], "arn:aws:s3:::web-assets/*"))
    s3 = bucket("web-assets", ObjectOwnership="ObjectWriter")
    s3.put_public_access_block(Bucket="web-assets", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})  # fmt: skip
    return {}


def s_restrict_public_buckets() -> Names:
    other = session_in(OTHER)
    s3 = bucket("open-data-b", session=other, objects={"x.csv": b"a"})
    s3.put_bucket_policy(Bucket="open-data-b", Policy=doc({"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                           "Resource": "arn:aws:s3:::open-data-b/*"}))  # fmt: skip
    s3.put_public_access_block(Bucket="open-data-b", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})  # fmt: skip
    role(allow("s3:GetObject", "arn:aws:s3:::open-data-b/*"))
    return {}


FOREIGN_ID = "f" * 64


def s_object_owned_elsewhere() -> Names:
    role(allow("s3:GetObject", "arn:aws:s3:::shared-inbox/*"))
    bucket("shared-inbox", objects={"drop/x.csv": b"a"}, ObjectOwnership="ObjectWriter")
    return {}


def _foreign_owner(answer: dict[str, Any], names: Names) -> None:
    # The object was written by another account without bucket-owner-full-control: it owns it, and its ACL
    # grants only itself (moto gives every account the same canonical id).
    answer["Owner"] = {"ID": FOREIGN_ID}
    answer["Grants"] = [{"Grantee": {"ID": FOREIGN_ID, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]


def s_acl_with_enforced() -> Names:
    role(allow(["s3:PutObject", "s3:PutObjectAcl"], "arn:aws:s3:::modern-bucket/*"))
    bucket("modern-bucket", ObjectOwnership="BucketOwnerEnforced")
    return {}


def s_object_lock() -> Names:
    role(allow(["s3:DeleteObject", "s3:DeleteObjectVersion"], "arn:aws:s3:::vault-records/*"))
    s3 = bucket("vault-records", ObjectLockEnabledForBucket=True)
    version = s3.put_object(Bucket="vault-records", Key="ledger.csv", Body=b"a")["VersionId"]
    s3.put_object_retention(Bucket="vault-records", Key="ledger.csv", VersionId=version,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": dt.datetime(2099, 1, 1, tzinfo=dt.UTC)})  # fmt: skip
    return {"version": version}


def s_vpc_endpoint() -> Names:
    role(allow("s3:GetObject", "arn:aws:s3:::team-data/*"))
    bucket("team-data", objects={"a.txt": b"x"})
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
                                   PolicyDocument=doc({"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                                       "Resource": ["arn:aws:s3:::other-bucket", "arn:aws:s3:::other-bucket/*"]}))["VpcEndpoint"]["VpcEndpointId"]  # fmt: skip
    return {"vpce": vpce}


def s_access_point() -> Names:
    ap_arn = f"arn:aws:s3:us-east-1:{OWN}:accesspoint/reports"
    role(allow("s3:GetObject", f"{ap_arn}/object/*"))
    bucket("report-store", objects={"q1.csv": b"a"})
    s3c = client("s3control")
    s3c.create_access_point(AccountId=OWN, Name="reports", Bucket="report-store")
    s3c.put_access_point_policy(AccountId=OWN, Name="reports", Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:GetObject", "Resource": f"{ap_arn}/object/*"}))  # fmt: skip
    return {"ap": ap_arn}


def s_access_point_policy_not_granting() -> Names:
    """Another account's access point whose policy names someone else (its bucket delegates to access points)."""
    other = session_in(OTHER)
    ap_arn = f"arn:aws:s3:us-east-1:{OTHER}:accesspoint/readers"
    role(allow("s3:GetObject", f"{ap_arn}/object/*"))
    s3 = bucket("shared-store", session=other, objects={"q2.csv": b"a"})
    s3.put_bucket_policy(Bucket="shared-store", Policy=doc({
        "Sid": "DelegateToAccessPoints", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
        "Resource": ["arn:aws:s3:::shared-store", "arn:aws:s3:::shared-store/*"],
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": OTHER}}}))  # fmt: skip
    s3c = client("s3control", session=other)
    s3c.create_access_point(AccountId=OTHER, Name="readers", Bucket="shared-store")
    s3c.put_access_point_policy(AccountId=OTHER, Name="readers", Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:role/analyst"}, "Action": "s3:GetObject",
         "Resource": f"{ap_arn}/object/*"}))  # fmt: skip
    return {"ap": ap_arn}


def _member_account_with_org(scp: dict[str, Any] | None, rcp: dict[str, Any] | None) -> Names:
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    member = org.create_account(AccountName="data", Email="data@example.com")["CreateAccountStatus"]["AccountId"]
    if scp is not None:
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        pid = org.create_policy(
            Name="guardrail", Description="", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(scp)
        )["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=pid, TargetId=root)
    if rcp is not None:
        org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
        pid = org.create_policy(
            Name="perimeter", Description="", Type="RESOURCE_CONTROL_POLICY", Content=json.dumps(rcp)
        )["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=pid, TargetId=root)
    return {"member": member, "org": org.describe_organization()["Organization"]["Id"]}


def s_scp_deny() -> Names:
    names = _member_account_with_org({"Version": "2012-10-17", "Statement": [
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}, None)  # fmt: skip
    member = session_in(names["member"])
    bucket("member-data", session=member, objects={"x.csv": b"a"})
    role(allow("s3:DeleteObject", "arn:aws:s3:::member-data/*"), account_session=member)
    return names


def s_scp_kms_key_tag() -> Names:
    names = _member_account_with_org({"Version": "2012-10-17", "Statement": [
        {"Sid": "Allow", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "OnlyTaggedKeys", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:ResourceTag/data-class": "approved"}}}]}, None)  # fmt: skip
    member = session_in(names["member"])
    kms = client("kms", session=member)
    key = kms.create_key(Tags=[{"TagKey": "data-class", "TagValue": "legacy"}])["KeyMetadata"]["Arn"]
    s3 = bucket("member-enc", session=member)
    s3.put_object(Bucket="member-enc", Key="x.csv", Body=b"a", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    role(allow("s3:GetObject", "arn:aws:s3:::member-enc/*"), allow("kms:Decrypt", key), account_session=member)
    names["key"] = key
    return names


def s_rcp_deny() -> Names:
    names = _member_account_with_org(None, None)
    org_id = names["org"]
    org = client("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    rcp = {"Version": "2012-10-17", "Statement": [{"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id}}}]}  # fmt: skip
    pid = org.create_policy(Name="perimeter", Description="", Type="RESOURCE_CONTROL_POLICY", Content=json.dumps(rcp))[
        "Policy"
    ]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=pid, TargetId=root)
    member = session_in(names["member"])
    s3 = bucket("perimeter-data", session=member, objects={"x.csv": b"a"})
    s3.put_bucket_policy(Bucket="perimeter-data", Policy=doc({"Effect": "Allow", "Principal": {"AWS": "333333333333"}, "Action": "s3:GetObject",
                                                              "Resource": "arn:aws:s3:::perimeter-data/*"}))  # fmt: skip
    return names


def s_boundary() -> Names:
    role(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::team-data/*"),
         boundary={"Version": "2012-10-17", "Statement": [allow("s3:GetObject", "*")]})  # fmt: skip
    bucket("team-data")
    return {}


def s_session_policy() -> Names:
    role(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::team-data/*"))
    bucket("team-data", objects={"a.txt": b"x"})
    return {}


def s_missing_object() -> Names:
    role(allow("s3:GetObject", "arn:aws:s3:::team-data/*"))
    bucket("team-data", objects={"reports/2024.csv": b"x"})
    return {}


def s_presigned_expired() -> Names:
    bucket("share-links", objects={"report.pdf": b"x"})
    return {}


def s_cloudfront() -> Names:
    s3 = bucket("site-origin", objects={"index.html": b"<html/>"})
    s3.put_bucket_policy(Bucket="site-origin", Policy=doc({
        "Sid": "AllowCloudFrontOAC", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::site-origin/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{OWN}:distribution/E1OLDDIST"}}}))  # fmt: skip
    return {}


def s_all_allowed() -> Names:
    role(allow("s3:GetObject", "arn:aws:s3:::team-data/*"))
    bucket("team-data", objects={"a.txt": b"x"})
    return {}


SCENARIOS: list[Scenario] = [
    Scenario("identity policy missing s3:PutObject", s_identity_missing_put,
             upload("team-data", "out/a.txt", message=f'User: {SESSION} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::team-data/out/a.txt" because no identity-based policy allows the s3:PutObject action'),
             "identity", "implicit"),
    Scenario("bucket/object ARN confusion", s_arn_confusion,
             "$ aws s3 ls s3://team-data/\nAn error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied",
             "identity", "implicit", principal=SESSION, summary_has="bucket ARN"),
    Scenario("bucket policy explicit deny on aws:PrincipalArn", s_bucket_deny_principal_arn, download("locked-data", "report.csv"),
             "bucket-policy", "explicit", principal=SESSION),
    Scenario("bucket policy demanding SSE-KMS headers", s_sse_kms_header, upload("secure-drop", "in/a.txt"),
             "bucket-policy", "explicit", principal=SESSION),
    Scenario("aws:SecureTransport false", s_secure_transport, download("tls-only", "a.txt"), "bucket-policy", "explicit",
             principal=SESSION, context={"aws:SecureTransport": "false"}),
    Scenario("KMS key policy not granting kms:Decrypt", s_kms_not_granting, download("enc-data", "x.csv"), "kms", principal=SESSION),
    Scenario("KMS key policy not delegating to IAM", s_kms_no_delegation, download("enc-data", "x.csv"), "kms", principal=SESSION,
             summary_has="delegates"),
    Scenario("aws/s3 key across accounts", s_aws_s3_cross_account, download("partner-share", "in/x.csv"), "kms", "setting",
             principal=SESSION, other_account=True, patches={"HeadObject": _managed_key_head, "DescribeKey": _managed_key_meta}),
    Scenario("cross-account with only one side allowing", s_cross_account_one_side, download("partner-drop", "in/x.csv"),
             "bucket-policy", "implicit", principal=SESSION, other_account=True),
    Scenario("BPA blocking a public-read upload", s_bpa_public_upload, upload("web-assets", "img/logo.png"), "block-public-access",
             "setting", principal=SESSION, context={"s3:x-amz-acl": "public-read"}),
    Scenario("BPA RestrictPublicBuckets ignoring a public policy", s_restrict_public_buckets, download("open-data-b", "x.csv"),
             "block-public-access", "setting", principal=SESSION, other_account=True),
    Scenario("object owned by another account under ObjectWriter", s_object_owned_elsewhere, download("shared-inbox", "drop/x.csv"),
             "acl", "setting", principal=SESSION, patches={"GetObjectAcl": _foreign_owner}),
    Scenario("ACL header with BucketOwnerEnforced", s_acl_with_enforced,
             upload("modern-bucket", "a.txt", code="AccessControlListNotSupported", message="The bucket does not allow ACLs"),
             "object-ownership", "setting", principal=SESSION, context={"s3:x-amz-acl": "public-read"}),
    Scenario("Object Lock compliance retention on delete", s_object_lock,
             "delete failed: s3://vault-records/ledger.csv An error occurred (AccessDenied) when calling the DeleteObject operation: Access Denied",
             "object-lock", "setting", principal=SESSION, context={"s3:versionid": "{version}"}),
    Scenario("VPC endpoint policy listing other buckets", s_vpc_endpoint,
             f'User: {SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::team-data/a.txt" because no VPC endpoint policy allows the s3:GetObject action',
             "vpc-endpoint-policy", context={"aws:SourceVpce": "{vpce}"}),
    Scenario("access point policy without bucket delegation", s_access_point,
             f'An error occurred (AccessDenied) when calling the GetObject operation: User: {SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:us-east-1:{OWN}:accesspoint/reports/object/q1.csv"',
             "bucket-policy", summary_has="delegate"),
    Scenario("access point policy not granting the principal", s_access_point_policy_not_granting,
             f'An error occurred (AccessDenied) when calling the GetObject operation: User: {SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:us-east-1:{OTHER}:accesspoint/readers/object/q2.csv"',
             "access-point-policy", "implicit", other_account=True),
    Scenario("SCP deny", s_scp_deny,
             "delete failed: s3://member-data/x.csv An error occurred (AccessDenied) when calling the DeleteObject operation: Access Denied",
             "scp", "explicit", principal="arn:aws:sts::{member}:assumed-role/app/run-1", org_reader=True),
    Scenario("SCP deny on a KMS key by its tag", s_scp_kms_key_tag, download("member-enc", "x.csv"), "scp", "explicit",
             principal="arn:aws:sts::{member}:assumed-role/app/run-1", org_reader=True, summary_has="kms:Decrypt"),
    Scenario("RCP deny", s_rcp_deny, download("perimeter-data", "x.csv"), "rcp", "explicit",
             principal="arn:aws:iam::333333333333:user/partner", org_reader=True),
    Scenario("permissions boundary", s_boundary, upload("team-data", "out/a.txt"), "permissions-boundary", "implicit", principal=SESSION),
    Scenario("session policy", s_session_policy, upload("team-data", "out/a.txt"), "session-policy", "implicit", principal=SESSION,
             session_policy={"Version": "2012-10-17", "Statement": [allow("s3:GetObject", "*")]}),
    Scenario("missing object without s3:ListBucket", s_missing_object, download("team-data", "reports/2025.csv"), "object-missing",
             "setting", principal=SESSION),
    Scenario("expired presigned URL", s_presigned_expired,
             "curl 'https://share-links.s3.amazonaws.com/report.pdf'\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>300</X-Amz-Expires><Expires>2024-01-01T00:05:00Z</Expires><ServerTime>2024-01-02T00:00:00Z</ServerTime></Error>",
             "presigned-url", "setting"),
    Scenario("CloudFront OAC bucket policy with the wrong AWS:SourceArn", s_cloudfront, download("site-origin", "index.html"),
             "cloudfront", "condition", principal="cloudfront.amazonaws.com",
             context={"aws:SourceArn": f"arn:aws:cloudfront::{OWN}:distribution/E2NEWDIST"}),
    Scenario("a request that everything allows", s_all_allowed, download("team-data", "a.txt"), "", decision="unknown", principal=SESSION),
]  # fmt: skip
