"""Hand-written snapshots (AWS's own answer shapes) and `s3why diagnose --snapshot --json` for the corner tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

OWNER = "111111111111"
OTHER = "222222222222"
MGMT = "999999999999"
ORG = "o-exampleorg1"
BUCKET = "corner-bucket"
KEY = "data/report.csv"


def error(code: str, message: str = "") -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message or code}}


def bucket_part(
    *,
    policy: dict[str, Any] | None = None,
    bpa: dict[str, bool] | None = None,
    is_public: bool | None = None,
    owner: str = OWNER,
    encryption: dict[str, Any] | None = None,
    extra_calls: dict[str, Any] | None = None,
) -> dict[str, Any]:
    calls: dict[str, Any] = {
        "GetBucketLocation": {"LocationConstraint": None},
        "GetBucketPolicy": {"Policy": json.dumps(policy)} if policy is not None else error("NoSuchBucketPolicy"),
        "GetBucketPolicyStatus": {"PolicyStatus": {"IsPublic": is_public}}
        if is_public is not None
        else error("NoSuchBucketPolicy"),
        "GetBucketAcl": {
            "Owner": {"ID": "c" * 64},
            "Grants": [{"Grantee": {"ID": "c" * 64, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}],
        },
        "GetBucketOwnershipControls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}},
        "GetPublicAccessBlock": {"PublicAccessBlockConfiguration": bpa}
        if bpa is not None
        else error("NoSuchPublicAccessBlockConfiguration"),
        "GetBucketEncryption": {"ServerSideEncryptionConfiguration": encryption}
        if encryption is not None
        else error("ServerSideEncryptionConfigurationNotFoundError"),
        "GetObjectLockConfiguration": error("ObjectLockConfigurationNotFoundError"),
        "GetBucketRequestPayment": {"Payer": "BucketOwner"},
        "GetBucketVersioning": {},
    }
    calls.update(extra_calls or {})
    return {
        "name": BUCKET,
        "account": owner,
        "region": "us-east-1",
        "calls": calls,
        "account_calls": {"GetPublicAccessBlock": error("NoSuchPublicAccessBlockConfiguration")},
        "object": {
            "key": KEY,
            "calls": {
                "HeadObject": {"ContentLength": 10, "ServerSideEncryption": "AES256"},
                "GetObjectAcl": {"Owner": {"ID": "c" * 64}, "Grants": []},
            },
        },
    }


def role_part(arn: str, *, role_arn: str, policies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    name = role_arn.rsplit("/", 1)[-1]
    path = "/" + role_arn.split(":role/", 1)[1].rsplit("/", 1)[0] + "/" if role_arn.count("/") > 1 else "/"
    return {
        "arn": arn,
        "account": role_arn.split(":")[4],
        "kind": "role",
        "calls": {
            "GetRole": {"Role": {"Path": path, "RoleName": name, "RoleId": "AROAEXAMPLEID", "Arn": role_arn}},
            "ListRolePolicies": {"PolicyNames": list(policies), "IsTruncated": False},
            "ListAttachedRolePolicies": {"AttachedPolicies": [], "IsTruncated": False},
            "RolePolicies": {n: {"PolicyName": n, "PolicyDocument": d} for n, d in policies.items()},
            "Policies": {},
        },
    }


def user_part(arn: str, *, policies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    return {
        "arn": arn,
        "account": arn.split(":")[4],
        "kind": "user",
        "calls": {
            "GetUser": {"User": {"Path": "/", "UserName": name, "UserId": "AIDAEXAMPLEID", "Arn": arn}},
            "ListUserPolicies": {"PolicyNames": list(policies), "IsTruncated": False},
            "ListAttachedUserPolicies": {"AttachedPolicies": [], "IsTruncated": False},
            "UserPolicies": {n: {"PolicyName": n, "PolicyDocument": d} for n, d in policies.items()},
            "ListGroupsForUser": {"Groups": []},
            "Groups": {},
            "Policies": {},
        },
    }


def not_in_org(account: str) -> dict[str, Any]:
    return {"account": account, "calls": {"DescribeOrganization": error("AWSOrganizationsNotInUseException")}}


def in_org(
    account: str, *, scps: list[dict[str, Any]], rcps: list[dict[str, Any]], master: str = MGMT
) -> dict[str, Any]:
    def described(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
        return [
            {"Policy": {"PolicySummary": {"Id": f"p-{kind}{i}", "Name": f"{kind}-{i}"}, "Content": json.dumps(d)}}
            for i, d in enumerate(docs)
        ]

    full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return {
        "account": account,
        "calls": {
            "DescribeOrganization": {"Organization": {"Id": ORG, "MasterAccountId": master, "FeatureSet": "ALL"}}
        },
        "levels": [
            {
                "target": "r-ab12",
                "SERVICE_CONTROL_POLICY": described([full], "scp-root"),
                "RESOURCE_CONTROL_POLICY": [],
            },
            {
                "target": "ou-ab12-11111111",
                "SERVICE_CONTROL_POLICY": described([full], "scp-ou"),
                "RESOURCE_CONTROL_POLICY": [],
            },
            {
                "target": account,
                "SERVICE_CONTROL_POLICY": described([full, *scps], "scp"),
                "RESOURCE_CONTROL_POLICY": described(rcps, "rcp"),
            },
        ],
    }


def snapshot(
    *,
    principal: dict[str, Any] | None,
    bucket: dict[str, Any],
    organization: dict[str, Any],
    caller: str = OWNER,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"s3why_snapshot": 1, "caller": {"Account": caller}, "bucket": bucket}
    if principal is not None:
        out["principal"] = principal
    out["organization"] = organization
    out["kms"] = {}
    out.update(extra)
    return out


def diagnose_snapshot(tmp_path: Path, snap: dict[str, Any], text: str, *args: str) -> dict[str, Any]:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snap))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), "--json", *args],
        input=text,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (d,) = json.loads(proc.stdout)["diagnoses"]
    result: dict[str, Any] = d
    return result


def verdicts(d: dict[str, Any]) -> dict[str, str]:
    return {layer["layer"]: layer["verdict"] for layer in d["layers"]}


def denied_text(operation: str = "GetObject", principal: str = "", because: str = "") -> str:
    """An enriched AccessDenied; `because` is AWS's reason clause when a test means it (the diagnosis holds the
    answer to what the text states, issue 12 §1), none by default."""
    who = f" {principal}" if principal else ""
    return (
        f"An error occurred (AccessDenied) when calling the {operation} operation: User:{who} is not authorized "
        f'to perform: s3:{operation} on resource: "arn:aws:s3:::{BUCKET}/{KEY}"'
        + (f" because {because}" if because else "")
    )
