"""An object ACL that grants the request is a grant (tester3 report, D7).

S3 User Guide, "Access control list (ACL) overview": READ on an object "Allows grantee to read the object data and
its metadata"; the AllUsers group is anyone, AuthenticatedUsers any signed AWS request. S3_AUTHZ.md §1: "When ACLs
are enabled, an ACL grant is just another way to satisfy these actions". IgnorePublicAcls "causes Amazon S3 to ignore
all public ACLs on this bucket and objects in this bucket" (S3 API Reference, PublicAccessBlockConfiguration), and
BucketOwnerEnforced disables ACLs. A grant to a canonical user s3why cannot map to an account is undecided.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.corners.support import (
    BUCKET,
    KEY,
    OTHER,
    OWNER,
    bucket_part,
    diagnose_snapshot,
    not_in_org,
    role_part,
    snapshot,
    verdicts,
)

OWNER_ID = "c" * 64  # bucket_part's bucket owner
ALL_USERS = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}
ROLE = f"arn:aws:iam::{OTHER}:role/reader"
SESSION = f"arn:aws:sts::{OTHER}:assumed-role/reader/run-1"
ANONYMOUS_TEXT = (
    f"curl https://{BUCKET}.s3.amazonaws.com/{KEY}\n"
    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
)
SIGNED_TEXT = (
    f"download failed: s3://{BUCKET}/{KEY} to ./report.csv An error occurred (AccessDenied) when calling the "
    "GetObject operation: Access Denied"
)


def _snap(
    grants: list[dict[str, Any]], *, ownership: str = "ObjectWriter", bpa: dict[str, bool] | None = None
) -> dict[str, Any]:
    bucket = bucket_part(
        bpa=bpa,
        extra_calls={"GetBucketOwnershipControls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]}}},
    )
    owner_grant = {"Grantee": {"ID": OWNER_ID, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    bucket["object"]["calls"]["GetObjectAcl"] = {"Owner": {"ID": OWNER_ID}, "Grants": [owner_grant, *grants]}
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    snap = snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"reader": identity}),
        bucket=bucket,
        organization={"principal_account": not_in_org(OTHER), "resource_account": not_in_org(OWNER)},
        caller=OWNER,
    )
    snap["target"] = {"principal_arn": None, "bucket": BUCKET, "key": KEY}
    return snap


def _anonymous(snap: dict[str, Any]) -> dict[str, Any]:
    del snap["principal"]
    return snap


def test_a_public_read_object_acl_grants_an_anonymous_read(tmp_path: Path) -> None:
    d = diagnose_snapshot(tmp_path, _anonymous(_snap([{"Grantee": ALL_USERS, "Permission": "READ"}])), ANONYMOUS_TEXT)
    assert verdicts(d)["acl"] == "allow"
    assert all(c["layer"] != "bucket-policy" for c in d["root_causes"]), d["root_causes"]
    assert d["decision"] == "unknown"  # AWS denied what everything s3why read allows: never "allow", never a denial


def test_ignore_public_acls_is_named_when_it_voids_the_grant(tmp_path: Path) -> None:
    bpa = {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    snap = _anonymous(_snap([{"Grantee": ALL_USERS, "Permission": "READ"}], bpa=bpa))
    d = diagnose_snapshot(tmp_path, snap, ANONYMOUS_TEXT)
    assert d["decision"] == "implicit-deny"
    cause = d["root_causes"][0]
    assert cause["layer"] == "block-public-access" and cause["kind"] == "setting", d["root_causes"]
    assert "IgnorePublicAcls" in cause["summary"]
    assert verdicts(d)["block-public-access"] == "deny"


def test_acls_disabled_grant_nothing(tmp_path: Path) -> None:
    snap = _anonymous(_snap([{"Grantee": ALL_USERS, "Permission": "READ"}], ownership="BucketOwnerEnforced"))
    d = diagnose_snapshot(tmp_path, snap, ANONYMOUS_TEXT)
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "bucket-policy"


def test_a_grant_to_an_unknown_canonical_user_is_undecided(tmp_path: Path) -> None:
    other = {"Grantee": {"ID": "e" * 64, "Type": "CanonicalUser"}, "Permission": "READ"}
    d = diagnose_snapshot(tmp_path, _snap([other]), SIGNED_TEXT, "--principal", SESSION)
    assert d["decision"] == "unknown", d["root_causes"]
    assert verdicts(d)["acl"] == "unknown"
    assert not any(f["verified"] for f in d["fixes"])


def test_an_acl_granting_only_its_owner_leaves_the_bucket_policy_as_the_cause(tmp_path: Path) -> None:
    d = diagnose_snapshot(tmp_path, _snap([]), SIGNED_TEXT, "--principal", SESSION)
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "bucket-policy"
