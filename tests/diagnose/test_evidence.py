"""The error text is evidence (issue 12 §1): through `s3why diagnose --snapshot --json`, the answer agrees with
what the text states, says when s3why cannot reproduce it, and never answers `allow` against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES

SNAPSHOTS = FIXTURES / "snapshots"
ACCOUNT = "111122223333"
SCP_TEXT = (
    "An error occurred (AccessDenied) when calling the GetObject operation: User: "
    f"arn:aws:sts::{ACCOUNT}:assumed-role/etl/run-7 is not authorized to perform: s3:GetObject on resource: "
    '"arn:aws:s3:::lake-raw/x.parquet" with an explicit deny in a service control policy'
)
BOUNDARY_TEXT = (
    "An error occurred (AccessDenied) when calling the GetObject operation: User: "
    f"arn:aws:sts::{ACCOUNT}:assumed-role/trainer/job-1 is not authorized to perform: s3:GetObject on resource: "
    '"arn:aws:s3:::ml-data/features/2025.parquet" because no permissions boundary allows the s3:GetObject action'
)


def _run(text: str, snapshot: Path, *args: str, as_json: bool = True) -> Any:
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(snapshot), *args]
    if as_json:
        cmd.append("--json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr
    if not as_json:
        return out.stdout
    (d,) = json.loads(out.stdout)["diagnoses"]
    return d


def _with(tmp_path: Path, name: str, change: Any) -> Path:
    data = json.loads((SNAPSHOTS / name).read_text())
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_an_scp_denial_s3why_cannot_see_is_unknown_with_the_scp_first_and_what_s3why_lacks() -> None:
    d = _run(SCP_TEXT, SNAPSHOTS / "scp-no-organization.json")
    assert d["decision"] == "unknown"
    first = d["root_causes"][0]
    assert first["layer"] == "scp" and first["kind"] == "explicit"
    assert "organizations:ListPoliciesForTarget" in first["summary"] and ACCOUNT in first["summary"]
    assert first["evidence"]["reproduced"] is False
    stated = first["evidence"]["stated"]
    assert (stated["error_code"], stated["deny_kind"], stated["policy_type"]) == ("AccessDenied", "explicit", "scp")
    text = _run(SCP_TEXT, SNAPSHOTS / "scp-no-organization.json", as_json=False)
    assert "ALLOWED" not in text and "UNDECIDED" in text and "scp" in text.splitlines()[0]


def _org_allowing_everything(data: dict[str, Any]) -> None:
    full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    policy = {
        "Policy": {"PolicySummary": {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess"}, "Content": json.dumps(full)}
    }
    data["organization"] = {
        "principal_account": {
            "account": ACCOUNT,
            "calls": {"DescribeOrganization": {"Organization": {"Id": "o-example", "MasterAccountId": "999988887777"}}},
            "levels": [
                {"target": "r-root", "SERVICE_CONTROL_POLICY": [policy], "RESOURCE_CONTROL_POLICY": []},
                {"target": ACCOUNT, "SERVICE_CONTROL_POLICY": [policy], "RESOURCE_CONTROL_POLICY": []},
            ],
        }
    }


def test_an_scp_denial_the_scps_read_do_not_reproduce_is_unknown_never_allow(tmp_path: Path) -> None:
    d = _run(SCP_TEXT, _with(tmp_path, "scp-no-organization.json", _org_allowing_everything))
    assert d["decision"] == "unknown"
    first = d["root_causes"][0]
    assert first["layer"] == "scp"
    assert "the SCPs s3why read allow it" in first["summary"] and "another principal" in first["summary"]


def test_a_denial_everything_s3why_read_allows_is_unknown_never_allowed() -> None:
    generic = SCP_TEXT.split(" with an explicit deny")[0]
    d = _run(generic, SNAPSHOTS / "scp-no-organization.json")
    assert d["decision"] == "unknown" and d["root_causes"] == []
    text = _run(generic, SNAPSHOTS / "scp-no-organization.json", as_json=False)
    assert text.startswith("UNDECIDED: AWS denied it, but everything s3why read allows it")
    assert "ALLOWED" not in text and "a policy may have changed since" in text


def test_access_control_list_not_supported_is_object_ownership_first_even_with_every_bpa_setting_on() -> None:
    text = (
        "An error occurred (AccessControlListNotSupported) when calling the CreateMultipartUpload operation: "
        "The bucket does not allow ACLs"
    )
    d = _run(
        text,
        SNAPSHOTS / "acl-enforced-bpa-on.json",
        "--principal",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/uploader/run-1",
        "--context",
        "s3:x-amz-acl=public-read",
    )
    layers = [c["layer"] for c in d["root_causes"]]
    assert layers[0] == "object-ownership", layers
    assert "block-public-access" in layers  # still reported, after the layer the error code names
    assert d["root_causes"][0]["evidence"]["reproduced"] is True


def test_a_boundary_denial_outranks_the_missing_key_and_its_fix_is_verified() -> None:
    d = _run(BOUNDARY_TEXT, SNAPSHOTS / "boundary-missing-key.json")
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "permissions-boundary"
    assert all(c["layer"] != "object-missing" for c in d["root_causes"])  # authorized first, then looked up
    boundary_fixes = [f for f in d["fixes"] if f["layer"] == "permissions-boundary"]
    assert boundary_fixes and boundary_fixes[0]["verified"] is True, d["fixes"]


def test_no_such_key_is_not_an_access_denial_and_gets_no_fix() -> None:
    text = (
        "botocore.errorfactory.NoSuchKey: An error occurred (NoSuchKey) when calling the GetObject operation: "
        "The specified key does not exist."
    )
    args = ("--principal", f"arn:aws:sts::{ACCOUNT}:assumed-role/trainer/job-1")
    d = _run(text, SNAPSHOTS / "boundary-missing-key.json", *args)
    assert d["fixes"] == []
    assert d["decision"] == "unknown"
    first = d["root_causes"][0]
    assert first["layer"] == "object-missing" and first["evidence"]["not_a_denial"] is True
    assert "does not exist" in first["summary"] and "not an access denial" in first["summary"]
    verdicts = {x["layer"]: x["verdict"] for x in d["layers"]}
    assert verdicts["identity"] == "not-applicable"  # no permission was evaluated, so none is blamed
    text_report = _run(text, SNAPSHOTS / "boundary-missing-key.json", *args, as_json=False)
    assert text_report.startswith("NOT AN ACCESS DENIAL")
    assert "--principal" not in text_report  # no "which principal?" question for a lookalike


def test_a_signature_mismatch_carries_the_explanation_and_no_permission_fix() -> None:
    text = (
        "An error occurred (SignatureDoesNotMatch) when calling the PutObject operation: The request signature we "
        "calculated does not match the signature you provided. Check your key and signing method."
    )
    d = _run(text, SNAPSHOTS / "boundary-missing-key.json")
    assert d["fixes"] == [] and d["decision"] == "unknown"
    assert d["root_causes"][0]["layer"] == "credentials"
    assert "secret key" in d["root_causes"][0]["evidence"]["explanation"]


def _throttled(data: dict[str, Any]) -> None:
    calls = data["principal"]["calls"]
    calls["ListRolePolicies"] = {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}
    del calls["RolePolicies"]


def test_a_layer_s3why_could_not_read_makes_the_decision_unknown_not_a_named_denial(tmp_path: Path) -> None:
    generic = SCP_TEXT.split(" with an explicit deny")[0]
    d = _run(generic, _with(tmp_path, "scp-no-organization.json", _throttled))
    assert d["decision"] == "unknown"
    assert all(c["layer"] != "identity" for c in d["root_causes"])
    verdicts = {x["layer"]: x["verdict"] for x in d["layers"]}
    assert verdicts["identity"] == "unknown"


def test_an_upload_with_an_acl_is_denied_by_the_boundary_that_denies_put_object_acl() -> None:
    text = (
        "upload failed: ./report.csv to s3://shared-drop/in/report.csv An error occurred (AccessDenied) when "
        "calling the PutObject operation: Access Denied"
    )
    args = ("--principal", f"arn:aws:sts::{ACCOUNT}:assumed-role/publisher/run-3")
    acl = ("--context", "s3:x-amz-acl=bucket-owner-full-control")
    d = _run(text, SNAPSHOTS / "boundary-denies-acl.json", *args, *acl)
    assert d["decision"] == "explicit-deny"
    first = d["root_causes"][0]
    assert (first["layer"], first["kind"]) == ("permissions-boundary", "explicit")
    assert "s3:PutObjectAcl" in first["summary"] and first["evidence"]["action"] == "s3:PutObjectAcl"
    checks = {(a["action"], a["decision"]) for a in d["request"]["resolved"]["authorizations"]}
    assert checks == {("s3:PutObject", "allow"), ("s3:PutObjectAcl", "explicit-deny")}
    # Without the ACL header everything s3why read allows it: AWS's denial is not reproduced, so never "allow".
    assert _run(text, SNAPSHOTS / "boundary-denies-acl.json", *args)["decision"] == "unknown"


def test_the_action_aws_names_is_evaluated_as_an_authorization_the_operation_needed() -> None:
    # AWS's enriched message names s3:PutObjectAcl for a PutObject: the request needed it (an ACL header was
    # sent) even though the text carries no header; the boundary's Deny on it is the answer, not "unknown".
    text = (
        "upload failed: ./report.csv to s3://shared-drop/in/report.csv An error occurred (AccessDenied) when "
        f"calling the PutObject operation: User: arn:aws:sts::{ACCOUNT}:assumed-role/publisher/run-3 is not "
        'authorized to perform: s3:PutObjectAcl on resource: "arn:aws:s3:::shared-drop/in/report.csv" with an '
        "explicit deny in a permissions boundary"
    )
    d = _run(text, SNAPSHOTS / "boundary-denies-acl.json")
    assert d["decision"] == "explicit-deny"
    assert d["root_causes"][0]["layer"] == "permissions-boundary"
    checks = {(a["action"], a["decision"]) for a in d["request"]["resolved"]["authorizations"]}
    assert checks == {("s3:PutObject", "allow"), ("s3:PutObjectAcl", "explicit-deny")}


def test_an_action_the_operation_can_never_need_is_not_added() -> None:
    from bot.s3ops import lookup_operation, possible_authorization

    put, get = lookup_operation("PutObject"), lookup_operation("GetObject")
    assert put is not None and get is not None
    assert possible_authorization(put, "S3:putobjecttagging") == "s3:PutObjectTagging"
    assert possible_authorization(put, "s3:PutObjectLegalHold") == "s3:PutObjectLegalHold"
    assert possible_authorization(get, "s3:GetObjectVersion") == "s3:GetObjectVersion"
    assert possible_authorization(get, "s3:PutObjectAcl") is None
    assert possible_authorization(put, "s3:DeleteObject") is None


def test_the_diagnosis_lists_the_failing_authorizations_for_the_fixes() -> None:
    from bot.account.view import account_view
    from bot.diagnose import DiagnoseOptions, diagnose
    from bot.parse import parse_text

    (req,) = parse_text(
        "An error occurred (AccessDenied) when calling the CopyObject operation: Access Denied"
    ).requests
    snapshot = json.loads((SNAPSHOTS / "boundary-missing-key.json").read_text())
    options = DiagnoseOptions(
        principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/trainer/job-1",
        context={"s3:x-amz-copy-source": ("ml-data/features/2024.parquet",)},
    )
    d = diagnose(req, account_view(snapshot), options)
    failing = {(a["action"], a["resource"]) for a in d.failing_authorizations}
    # The role may read ml-data but its boundary allows only listing: both the read of the source and the write fail.
    assert ("s3:GetObject", "arn:aws:s3:::ml-data/features/2024.parquet") in failing
    assert any(action == "s3:PutObject" for action, _ in failing)


def test_the_stated_layer_s3why_holds_no_data_for_is_unread_not_inapplicable() -> None:
    d = _run(SCP_TEXT, SNAPSHOTS / "scp-no-organization.json")
    scp = next(x for x in d["layers"] if x["layer"] == "scp")
    assert scp["verdict"] == "unknown" and "ListPoliciesForTarget" in scp["detail"]


def test_a_statement_s3why_cannot_reproduce_gets_no_fix_it_could_only_pretend_to_verify() -> None:
    text = SCP_TEXT.replace(
        "with an explicit deny in a service control policy",
        "because no identity-based policy allows the s3:GetObject action",
    )
    d = _run(text, SNAPSHOTS / "scp-no-organization.json")
    assert d["decision"] == "unknown"
    first = d["root_causes"][0]
    assert first["layer"] == "identity" and "the identity-based policies s3why read allow it" in first["summary"]
    assert d["fixes"] == []  # the role already allows it in s3why's view: an Allow added would change nothing


def _no_key(data: dict[str, Any]) -> None:
    del data["target"]["key"]
    del data["bucket"]["object"]


def test_a_fix_for_an_unnamed_key_never_grants_or_verifies_the_stand_in_key(tmp_path: Path) -> None:
    text = "botocore.exceptions.ClientError: An error occurred (403) when calling the HeadObject operation: Forbidden"
    args = ("--principal", f"arn:aws:sts::{ACCOUNT}:assumed-role/trainer/job-1")
    d = _run(text, _with(tmp_path, "boundary-missing-key.json", _no_key), *args)
    fixes = [f for f in d["fixes"] if f["layer"] == "permissions-boundary"]
    assert fixes, d["fixes"]
    assert "s3why-unknown-key" not in json.dumps(d["fixes"])
    assert "arn:aws:s3:::ml-data/*" in json.dumps(fixes[0])
    assert fixes[0]["verified"] is False


def test_an_unconditional_deny_offers_dropping_the_acl_not_meeting_a_condition() -> None:
    text = (
        "upload failed: ./report.csv to s3://shared-drop/in/report.csv An error occurred (AccessDenied) when "
        "calling the PutObject operation: Access Denied"
    )
    args = ("--principal", f"arn:aws:sts::{ACCOUNT}:assumed-role/publisher/run-3", "--context", "s3:x-amz-acl=private")
    d = _run(text, SNAPSHOTS / "boundary-denies-acl.json", *args)
    (deny,) = [f for f in d["fixes"] if f["id"] == "explicit-deny"]
    assert "without an ACL" in json.dumps(deny)
    report = " ".join(_run(text, SNAPSHOTS / "boundary-denies-acl.json", *args, as_json=False).split())
    assert "Meet its condition" not in report and "no condition to meet" in report


def test_an_operation_name_of_another_api_yields_to_the_account_level_action_aws_names() -> None:
    """S3 Control's PutPublicAccessBlock authorizes s3:PutAccountPublicAccessBlock on Resource "*"; S3's own
    operation of that name is a bucket request. The action in AWS's message decides which API it was."""
    from bot.diagnose.resolve import operation_of
    from bot.parse import parse_text

    text = (
        "Error occurred while PutPublicAccessBlock on account 333344445555: AccessDenied: User: "
        "arn:aws:sts::333344445555:assumed-role/deployer/s is not authorized to perform: "
        's3:PutAccountPublicAccessBlock on resource: "*" with an explicit deny in a service control policy'
    )
    req = parse_text(text).requests[0]
    spec = operation_of(req)
    assert spec is not None and spec.primary_action == "s3:PutAccountPublicAccessBlock"
    # the same operation name with the bucket-level action stays the bucket operation
    bucket_req = parse_text(text.replace("s3:PutAccountPublicAccessBlock", "s3:PutBucketPublicAccessBlock")).requests[0]
    bucket_spec = operation_of(bucket_req)
    assert bucket_spec is not None and bucket_spec.primary_action == "s3:PutBucketPublicAccessBlock"
