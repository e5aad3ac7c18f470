"""Issue 20 §3/§4: the field's alternatives where a grant cannot help — S3 settings as fix targets (Object
Ownership, default encryption), the governance bypass in two parts, a Deny narrowed by the request's network path,
a stale unique-id principal restored — each verified, on field-corpus accounts (tests/field/cases)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.account.view import account_view
from bot.field.build import compile_account
from bot.field.case import Case, load_case
from bot.field.runner import diagnose_case
from bot.fixes import apply_patches
from bot.fixes.model import Fix
from bot.fixes.targets import TARGETS, Where
from bot.fixes.validity import patch_findings

CASES = Path(__file__).resolve().parents[1] / "field" / "cases"


def _case(name: str) -> Case:
    return load_case(CASES / f"{name}.yaml")


def _fixes(case: Case, snapshot: dict[str, Any] | None = None) -> list[Fix]:
    _, fixes, _ = diagnose_case(case, snapshot)
    return fixes


def test_a_foreign_owned_object_is_fixed_by_enforcing_bucket_owner_ownership() -> None:
    case = _case("cli-object-writer-foreign-owned-object")
    first = _fixes(case)[0]
    assert first.id == "object-ownership-enforced" and first.verified and not first.never_automatic
    (patch,) = first.patches
    assert patch.kind == "setting" and patch.apply["where"] == Where.OWNERSHIP.value
    assert patch.document == {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}
    assert patch.before == {"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}
    assert "put-bucket-ownership-controls" in patch.commands[0]
    assert "aws_s3_bucket_ownership_controls" in patch.terraform
    cfn = json.loads(patch.cloudformation)
    assert cfn["Type"] == "AWS::S3::Bucket"
    assert cfn["Properties"]["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "AccessControlListNotSupported" in first.explanation  # says what else it changes


def test_bucket_owner_enforced_is_not_offered_while_the_bucket_acl_grants_another_account() -> None:
    case = _case("cli-object-writer-foreign-owned-object")
    snap = compile_account(case)
    acl = snap["bucket"]["calls"]["GetBucketAcl"]
    acl["Grants"].append(
        {"Grantee": {"ID": "9" * 64, "Type": "CanonicalUser"}, "Permission": "WRITE"}
    )  # another account may write: AWS refuses the setting until this grant moves to the bucket policy
    fixes = _fixes(case, snap)
    ownership = next(f for f in fixes if f.id == "object-ownership-enforced")
    assert not ownership.verified and not ownership.patches
    assert "InvalidBucketAclWithObjectOwnership" in ownership.reason
    assert fixes[0] is not ownership or not fixes[0].verified


def test_another_accounts_aws_managed_key_is_fixed_by_a_customer_managed_key_in_two_parts() -> None:
    case = _case("cli-aws-managed-key-cross-account-read")
    first = _fixes(case)[0]
    assert first.id == "kms-customer-managed-key" and first.verified and first.new_objects
    setting, grant = first.patches
    cmk = "arn:aws:kms:eu-west-1:111122223333:key/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
    rule = setting.document["ServerSideEncryptionConfiguration"]["Rules"][0] if setting.document else {}
    assert setting.apply["where"] == Where.DEFAULT_ENCRYPTION.value
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": cmk}
    assert grant.kind == "key-policy" and grant.target == cmk
    by_default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": cmk}
    assert json.loads(setting.cloudformation)["Properties"]["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": False}]
    }
    added = grant.document["Statement"][-1] if grant.document else {}
    assert added["Principal"] == {"AWS": "arn:aws:iam::444455556666:role/ingest-worker"}
    assert added["Action"] == ["kms:Decrypt"]
    assert added["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
    # Existing objects keep aws/s3: the explanation says so and how to copy them again.
    assert "existing objects keep aws/s3" in first.explanation and "--sse-kms-key-id" in first.explanation


def test_without_a_customer_managed_key_the_fix_says_what_to_create_and_applies_nothing() -> None:
    case = _case("cli-aws-managed-key-cross-account-read")
    snap = compile_account(case)
    snap["kms"] = {arn: k for arn, k in snap["kms"].items() if "9a8b7c6d" in arn}  # only aws/s3
    cmk = next(f for f in _fixes(case, snap) if f.id == "kms-customer-managed-key")
    assert not cmk.verified and not cmk.patches and "create one" in cmk.reason


def test_governance_retention_is_fixed_by_the_bypass_permission_and_the_bypass_header_together() -> None:
    case = _case("cli-object-lock-governance-delete-version")
    first = _fixes(case)[0]
    assert first.id == "object-lock-bypass-governance" and first.verified
    identity, header = first.patches
    added = identity.document["Statement"][-1] if identity.document else {}
    assert added["Action"] == "s3:BypassGovernanceRetention"
    assert added["Resource"] == "arn:aws:s3:::audit-ledger-prod/2024/q1/ledger.parquet"
    assert header.kind == "request-change"
    assert header.apply["context"] == {"x-amz-bypass-governance-retention": "true"}
    assert "AWS CLI: aws s3api delete-object ... --bypass-governance-retention" in header.commands  # a bare flag


def test_compliance_retention_has_no_bypass_fix() -> None:
    case = _case("cli-object-lock-governance-delete-version")
    snap = compile_account(case)
    head = snap["bucket"]["object"]["calls"]["HeadObject"]
    head["ObjectLockMode"] = "COMPLIANCE"
    snap["bucket"]["object"]["calls"].pop("GetObjectRetention", None)
    fixes = _fixes(case, snap)
    assert all(f.id != "object-lock-bypass-governance" for f in fixes)
    assert not any(f.verified and any(p.document for p in f.patches) for f in fixes)


def test_a_source_ip_deny_is_narrowed_for_the_endpoint_path_never_removed() -> None:
    case = _case("ec2-bucket-policy-sourceip-behind-gateway-endpoint")
    first = _fixes(case)[0]
    assert first.id == "deny-exempt-network-path" and first.verified
    (patch,) = first.patches
    statements = patch.document["Statement"] if patch.document else []
    deny = next(s for s in statements if s.get("Sid") == "OfficeAndNatOnly")
    assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*"
    assert deny["Condition"]["NotIpAddress"] == {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.17/32"]}
    assert deny["Condition"]["StringNotEquals"] == {"aws:SourceVpce": "vpce-0f1e2d3c4b5a69788"}
    assert len(statements) == 2 and patch_findings(patch) == []  # the Allow kept, nothing added
    # The Deny still applies off the endpoint: a request from an address outside the list is denied as before.
    from bot.diagnose import DiagnoseOptions
    from bot.diagnose.core import diagnose
    from bot.parse.model import DeniedRequest

    patched = apply_patches(compile_account(case), first.patches)
    req = DeniedRequest(
        service="s3",
        operation="GetObject",
        bucket="corp-build-cache",
        key="gradle/caches-8.5.tar.gz",
        principal_arn="arn:aws:sts::111122223333:assumed-role/build-runner/i-0f9e8d7c6b5a43210",
    )
    outside = DiagnoseOptions(context={"aws:SourceIp": ("192.0.2.10",)}, text_is_evidence=False)
    assert diagnose(req, account_view(patched), outside).decision == "explicit-deny"


def test_a_stale_unique_id_principal_is_restored_with_every_action_of_its_statement() -> None:
    case = _case("sso-permission-set-recreated-bucket-policy-stale-principal")
    first = _fixes(case)[0]
    assert first.id == "restore-stale-principal" and first.verified
    (patch,) = first.patches
    statements = patch.document["Statement"] if patch.document else []
    restored = next(s for s in statements if s.get("Sid") == "AnalystsFromProd")
    role = "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataAnalyst_abcdef0123456789"
    assert restored["Principal"] == {"AWS": role}
    assert restored["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert "AROAXYZ1234567890ABCD" not in json.dumps(patch.document)
    assert "ArnLike aws:PrincipalArn" in first.explanation  # an Identity Center role is re-created again


def test_setting_targets_are_registered_checked_and_put_where_the_view_reads_them() -> None:
    case = _case("cli-object-writer-foreign-owned-object")
    first = _fixes(case)[0]
    target = TARGETS[Where.OWNERSHIP]
    assert target.setting and target.cfn_type == "AWS::S3::Bucket"
    bad = copy.deepcopy(first.patches[0])
    bad.document = {"OwnershipControls": {"Rules": [{"ObjectOwnership": "Everyone"}]}}
    assert patch_findings(bad) and not patch_findings(first.patches[0])
    patched = apply_patches(compile_account(case), first.patches)
    bucket = account_view(patched).bucket
    assert bucket is not None
    assert bucket.get("GetBucketOwnershipControls").value == first.patches[0].document
    enc = TARGETS[Where.DEFAULT_ENCRYPTION]
    assert enc.setting_findings({"ServerSideEncryptionConfiguration": {"Rules": [{}]}})


def test_the_cli_offers_the_ownership_setting_as_the_verified_first_fix(tmp_path: Path) -> None:
    case = _case("cli-object-writer-foreign-owned-object")
    snap = tmp_path / "snapshot.json"
    snap.write_text(json.dumps(compile_account(case)))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "diagnose",
            "--snapshot",
            str(snap),
            "--json",
            "--principal",
            str(case.reporter_knows.principal),
            case.text,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    first = json.loads(out.stdout)["diagnoses"][0]["fixes"][0]
    assert first["id"] == "object-ownership-enforced" and first["verified"] is True
    assert [p["kind"] for p in first["patches"]] == ["setting"]


def test_the_cli_offers_the_governance_bypass_in_two_parts(tmp_path: Path) -> None:
    case = _case("cli-object-lock-governance-delete-version")
    snap = tmp_path / "snapshot.json"
    snap.write_text(json.dumps(compile_account(case)))
    out = subprocess.run(
        [
            *(sys.executable, "-m", "bot", "diagnose", "--snapshot", str(snap), "--json"),
            *("--principal", str(case.reporter_knows.principal), case.text),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    first = json.loads(out.stdout)["diagnoses"][0]["fixes"][0]
    assert first["id"] == "object-lock-bypass-governance" and first["verified"] is True
    assert [p["kind"] for p in first["patches"]] == ["iam-policy", "request-change"]


def test_an_unconditional_deny_on_the_tagging_action_offers_the_upload_without_its_tags() -> None:
    from bot.account.view import account_view as view_of
    from bot.diagnose import DiagnoseOptions, diagnose
    from bot.fixes import propose_fixes
    from bot.parse import parse_text
    from tests.fixes.support import ROLE, SESSION, error_text, snapshot

    allow = {"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectTagging"], "Resource": "*"}
    deny = {"Sid": "NoTags", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObjectTagging"}
    deny["Resource"] = "arn:aws:s3:::data-bucket/*"
    snap = snapshot(
        identity=[{"Version": "2012-10-17", "Statement": [allow]}],
        bucket_policy={"Version": "2012-10-17", "Statement": [deny]},
    )
    options = DiagnoseOptions(principal=SESSION, context={"s3:x-amz-tagging": ("team=etl",)})
    (req,) = parse_text(error_text("PutObject", "data-bucket", "a/b.txt")).requests
    d = diagnose(req, view_of(snap), options)
    assert d.decision == "explicit-deny" and ROLE
    drops = [
        p
        for f in propose_fixes(req, snap, options, d)
        for p in f.patches
        if p.kind == "request-change" and p.apply.get("context") == {"s3:x-amz-tagging": None}
    ]
    assert drops and "x-amz-tagging (--tagging)" in drops[0].commands[0]


def test_an_acl_refused_by_a_bucket_with_acls_disabled_offers_the_upload_without_the_acl() -> None:
    case = _case("cli-multipart-upload-acl-public-read-acls-disabled")  # the text never says which ACL was sent
    first = _fixes(case)[0]
    # The upload without any ACL: neither x-amz-acl nor an x-amz-grant-* header (S3 User Guide, "Controlling
    # ownership of objects": with ACLs disabled, only bucket-owner-full-control or no ACL is accepted).
    drops = [
        p
        for p in first.patches
        if p.kind == "request-change"
        and "s3:x-amz-acl" in p.apply.get("context", {})
        and all(v is None for v in p.apply["context"].values())
    ]
    assert drops and "do not send an ACL" in drops[0].commands[0]
    assert set(drops[0].apply["context"]) >= {"s3:x-amz-acl", "s3:x-amz-grant-full-control", "s3:x-amz-grant-read"}


def test_object_actions_listed_on_the_bucket_arn_are_all_granted_on_its_objects() -> None:
    # The statement lists PutObject, GetObject and DeleteObject (and ListBucket) on the bucket's ARN: every object
    # action of it is denied, so the fix gives all of them the bucket's objects, not only the failing PutObject.
    case = _case("ecmwf-delivery-role-object-actions-on-bucket-arn")
    first = _fixes(case)[0]
    assert first.id == "object-actions-on-objects" and first.verified
    (patch,) = first.patches
    assert patch.document is not None
    (added,) = patch.document["Statement"]
    assert sorted(added["Action"]) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]  # never s3:ListBucket
    assert added["Resource"] == ["arn:aws:s3:::ocf-ecmwf-uk-landing/*"]
    assert "Statement[0] of inline:ecmwf-delivery" in first.title


def test_a_conditional_statement_on_the_bucket_arn_is_not_rewritten_without_its_condition() -> None:
    case = _case("ecmwf-delivery-role-object-actions-on-bucket-arn")
    assert case.account.principal is not None
    statement = dict(case.account.principal.inline["ecmwf-delivery"]["Statement"][0])
    statement["Condition"] = {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}
    inline = {"ecmwf-delivery": {"Version": "2012-10-17", "Statement": [statement]}}
    principal = case.account.principal.model_copy(update={"inline": inline})
    changed = case.model_copy(update={"account": case.account.model_copy(update={"principal": principal})})
    assert all(f.id != "object-actions-on-objects" for f in _fixes(changed))


def test_a_missing_key_behind_an_origin_access_identity_gets_its_list_grant_in_the_bucket_policy() -> None:
    # An OAI has no identity policy: S3 answers 404 instead of 403 once the bucket policy lets it list the bucket
    # (S3 API Reference, GetObject, "Permissions"); the grant is to the OAI, which belongs to the distribution's
    # account, so it is an ordinary, verified fix, not advice about an unknown account "cloudfront".
    case = _case("cdk-cloudfront-oai-missing-object-403-without-listbucket")
    first = _fixes(case)[0]
    assert first.id == "object-missing-list-bucket" and first.verified and not first.never_automatic
    (patch,) = first.patches
    assert patch.apply["where"] == "bucket" and patch.document is not None
    added = patch.document["Statement"][-1]
    assert added["Principal"] == {"AWS": case.reporter_knows.principal}
    assert (added["Action"], added["Resource"]) == ("s3:ListBucket", "arn:aws:s3:::" + str(case.reporter_knows.bucket))


def test_a_missing_key_for_a_role_keeps_the_list_grant_on_its_identity_side() -> None:
    from bot.diagnose import DiagnoseOptions, diagnose
    from bot.fixes import propose_fixes
    from bot.parse import parse_text
    from tests.fixes.support import SESSION, error_text, snapshot

    allow = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-bucket/*"}
    snap = snapshot(identity=[{"Version": "2012-10-17", "Statement": [allow]}])
    snap["bucket"]["object"]["calls"] = {
        "HeadObject": {"Error": {"Code": "404", "Message": "Not Found"}},
        "GetObjectAcl": {"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}},
    }
    options = DiagnoseOptions(principal=SESSION)
    (req,) = parse_text(error_text("GetObject", "data-bucket", "a/b.txt")).requests
    d = diagnose(req, account_view(snap), options)
    assert d.root_causes[0].layer.value == "object-missing"
    ids = [f.id for f in propose_fixes(req, snap, options, d)]
    assert "object-missing-list" in ids and "object-missing-list-bucket" not in ids
