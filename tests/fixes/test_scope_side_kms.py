"""Issue 15: the right scope, the KMS grant, the smallest change, verification that explains itself."""

from __future__ import annotations

import json
from typing import Any

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions, diagnose
from bot.fixes import apply_patches, propose_fixes
from bot.fixes.scope import deepest_prefix, scopes_for
from bot.parse import parse_text
from tests.fixes.support import OTHER, OWN, ROLE, SESSION, error_text, snapshot

OPTIONS = DiagnoseOptions(principal=SESSION)
AFTER = DiagnoseOptions(principal=SESSION, text_is_evidence=False)  # the same request, on the patched account
KEY = f"arn:aws:kms:us-east-1:{OWN}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALLOW_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
ROOT_STATEMENT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"}, "Action": "kms:*", "Resource": "*"}  # fmt: skip


def _with_key(snap: dict[str, Any], key_policy: dict[str, Any], *, key_arn: str = KEY, bucket_key: bool = False,
              encrypted: bool = True) -> dict[str, Any]:  # fmt: skip
    account = key_arn.split(":")[4]
    if encrypted:
        head = snap["bucket"]["object"]["calls"]["HeadObject"]
        head.update({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_arn, "BucketKeyEnabled": bucket_key})
    snap["bucket"]["calls"]["GetBucketEncryption"] = {
        "ServerSideEncryptionConfiguration": {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": bucket_key,
                }
            ]
        }
    }
    snap["kms"] = {
        key_arn: {
            "account": account,
            "calls": {
                "DescribeKey": {"KeyMetadata": {"Arn": key_arn, "KeyState": "Enabled", "KeyManager": "CUSTOMER"}},
                "GetKeyPolicy": {"Policy": json.dumps(key_policy)},
                "ListGrants": {"Grants": []},
                "ListAliases": {"Aliases": []},
                "ListResourceTags": {"Tags": []},
            },
        }
    }
    return snap


def _fixes(snap: dict[str, Any], text: str) -> tuple[Any, list[Any]]:
    (req,) = parse_text(text).requests
    d = diagnose(req, account_view(snap), OPTIONS)
    return d, propose_fixes(req, snap, OPTIONS, d)


def test_deepest_prefix_is_the_key_up_to_its_last_slash() -> None:
    assert deepest_prefix("out/2024/a.txt") == "out/2024/"
    assert deepest_prefix("a.txt") is None
    assert [s.name for s in scopes_for("b", "a.txt", "arn:aws:s3:::b/a.txt")] == ["bucket", "object"]
    assert [s.name for s in scopes_for("b", None, "arn:aws:s3:::b")] == ["exact"]


def test_a_key_policy_that_delegates_to_iam_gets_only_an_iam_change_with_decrypt_for_a_read() -> None:
    snap = _with_key(snapshot(identity=[ALLOW_S3]), {"Version": "2012-10-17", "Statement": [ROOT_STATEMENT]})
    text = error_text("GetObject", "data-bucket", "a/b.txt")
    d, fixes = _fixes(snap, text)
    assert d.root_causes[0].layer.value == "kms"
    first = fixes[0]
    assert first.verified, first.reason
    assert [(p.kind, p.target) for p in first.patches] == [("iam-policy", ROLE)]  # never the key policy
    added = first.patches[0].document["Statement"][-1]
    assert added["Action"] == ["kms:Decrypt"]  # a read needs Decrypt, not GenerateDataKey
    assert added["Resource"] == KEY
    assert added["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    assert added["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == ["arn:aws:s3:::data-bucket/*"]
    assert all(p.kind != "key-policy" for f in fixes for p in f.patches)
    # The next object of the same workload decrypts too (the context is every object, not this one).
    patched = apply_patches(snap, first.patches)
    (req,) = parse_text(error_text("GetObject", "data-bucket", "a/next.txt")).requests
    assert diagnose(req, account_view(patched), AFTER).decision == "allow"


def test_a_key_policy_without_delegation_is_changed_alone_scoped_to_the_buckets_objects() -> None:
    admin = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:role/admin"}, "Action": "kms:*", "Resource": "*"}  # fmt: skip
    snap = _with_key(snapshot(identity=[ALLOW_S3]), {"Version": "2012-10-17", "Statement": [admin]})
    _, fixes = _fixes(snap, error_text("GetObject", "data-bucket", "a/b.txt"))
    first = fixes[0]
    assert first.verified, first.reason
    assert [p.kind for p in first.patches] == ["key-policy"]
    added = first.patches[0].document["Statement"][-1]
    assert added["Principal"] == {"AWS": ROLE} and added["Action"] == ["kms:Decrypt"]
    cond = added["Condition"]
    assert cond["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == ["arn:aws:s3:::data-bucket/*"]
    assert "a/b.txt" not in json.dumps(cond)  # never one object's ARN
    assert cond["StringEquals"]["kms:ViaService"] == "s3.us-east-1.amazonaws.com"


def test_with_bucket_keys_the_context_is_the_bucket_arn() -> None:
    admin = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:role/admin"}, "Action": "kms:*", "Resource": "*"}  # fmt: skip
    snap = _with_key(snapshot(identity=[ALLOW_S3]), {"Version": "2012-10-17", "Statement": [admin]}, bucket_key=True)
    _, fixes = _fixes(snap, error_text("GetObject", "data-bucket", "a/b.txt"))
    cond = fixes[0].patches[0].document["Statement"][-1]["Condition"]
    assert cond["StringEquals"] == {
        "kms:ViaService": "s3.us-east-1.amazonaws.com",
        "kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::data-bucket"],
    }
    assert fixes[0].verified, fixes[0].reason


def test_a_write_gets_generate_data_key_and_a_multipart_upload_decrypt_too() -> None:
    snap = _with_key(
        snapshot(identity=[ALLOW_S3], key=None),
        {"Version": "2012-10-17", "Statement": [ROOT_STATEMENT]},
        encrypted=False,
    )
    _, fixes = _fixes(snap, error_text("PutObject", "data-bucket", "a/b.txt"))
    assert fixes[0].patches[0].document["Statement"][-1]["Action"] == ["kms:GenerateDataKey"]
    _, fixes = _fixes(snap, error_text("CreateMultipartUpload", "data-bucket", "a/b.txt"))
    assert sorted(fixes[0].patches[0].document["Statement"][-1]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_a_key_in_another_account_changes_both_sides_only_when_both_lack_the_grant() -> None:
    other_key = KEY.replace(OWN, OTHER)
    owner_root = {**ROOT_STATEMENT, "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}}
    snap = _with_key(
        snapshot(identity=[ALLOW_S3]), {"Version": "2012-10-17", "Statement": [owner_root]}, key_arn=other_key
    )
    _, fixes = _fixes(snap, error_text("GetObject", "data-bucket", "a/b.txt"))
    assert sorted(p.kind for p in fixes[0].patches) == ["iam-policy", "key-policy"]
    assert fixes[0].verified, fixes[0].reason
    # The key's account already admits this account: only the IAM side changes.
    admits = {**ROOT_STATEMENT, "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"}, "Action": "kms:Decrypt"}
    snap = _with_key(
        snapshot(identity=[ALLOW_S3]), {"Version": "2012-10-17", "Statement": [owner_root, admits]}, key_arn=other_key
    )
    _, fixes = _fixes(snap, error_text("GetObject", "data-bucket", "a/b.txt"))
    assert [p.kind for p in fixes[0].patches] == ["iam-policy"]
    assert fixes[0].verified, fixes[0].reason


def test_in_one_account_the_side_with_similar_grants_is_changed() -> None:
    grants = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:role/reader"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-bucket/*"},
    ]}  # fmt: skip
    _, fixes = _fixes(snapshot(bucket_policy=grants), error_text("PutObject", "data-bucket", "a/b.txt"))
    first = fixes[0]
    assert first.id == "bucket-allow-same-account" and first.verified, first.reason
    assert [p.kind for p in first.patches] == ["bucket-policy"]
    assert first.patches[0].document["Statement"][-1]["Principal"] == {"AWS": ROLE}
    assert any(f.id == "identity-allow" for f in fixes[1:])
    # Without such grants, the identity-based policy is the side: and only it.
    _, fixes = _fixes(snapshot(), error_text("PutObject", "data-bucket", "a/b.txt"))
    assert [f.id for f in fixes] == ["identity-allow"]
    assert [p.kind for p in fixes[0].patches] == ["iam-policy"]


def test_a_neighbour_change_is_named_in_words_and_only_when_an_added_statement_applies() -> None:
    from bot.fixes.context import FixContext as _Ctx
    from bot.fixes.verify import neighbours as _neighbours

    snap = snapshot()
    text = error_text("PutObject", "data-bucket", "a/b.txt")
    _, (fix,) = _fixes(snap, text)
    # Every scope is verified: no neighbour outside the scope changes, and the words name concrete requests.
    assert all(s.verified for s in fix.scopes)
    prefix = next(s for s in fix.scopes if s.name == "prefix")
    assert "s3://data-bucket/a/s3why-next-b.txt" in prefix.workload and "allowed" in prefix.workload
    obj = next(s for s in fix.scopes if s.name == "object")
    assert "still be denied" in obj.workload
    (req,) = parse_text(text).requests
    d = diagnose(req, account_view(snap), OPTIONS)
    c = _Ctx(
        req, snap, OPTIONS, d, SESSION, ROLE, ["s3:PutObject"], "arn:aws:s3:::data-bucket/a/b.txt", "data-bucket", OWN
    )
    words = [n.words for n in _neighbours(c, "prefix")]
    assert any(w == "DeleteObject (s3:DeleteObject) on s3://data-bucket/a/b.txt by app" for w in words)
    assert any("outside a/" in w and "s3://data-bucket/s3why-elsewhere/b.txt" in w for w in words)


def test_a_grant_too_wide_names_the_neighbour_that_changes() -> None:
    """A bucket-wide Allow for PutObject AND DeleteObject would change the DeleteObject neighbour: said in words."""
    from bot.fixes.context import FixContext as _Ctx
    from bot.fixes.model import Fix
    from bot.fixes.verify import verify_fixes as _verify

    snap = snapshot()
    text = error_text("PutObject", "data-bucket", "a/b.txt")
    (req,) = parse_text(text).requests
    d = diagnose(req, account_view(snap), OPTIONS)
    _, (fix,) = _fixes(snap, text)
    patch = fix.with_scope("object").patches[0]
    wide = json.loads(json.dumps(patch.document))
    wide["Statement"][-1]["Action"] = ["s3:PutObject", "s3:DeleteObject"]
    patch.document = wide
    probe = Fix("identity-allow", "identity", "low", False, [patch], "t", "e")
    c = _Ctx(
        req, snap, OPTIONS, d, SESSION, ROLE, ["s3:PutObject"], "arn:aws:s3:::data-bucket/a/b.txt", "data-bucket", OWN
    )
    _verify([probe], c)
    assert not probe.verified
    assert probe.reason.startswith(
        "not verified: it would also change DeleteObject (s3:DeleteObject) on s3://data-bucket/a/b.txt by app would become allowed"
    )
    assert "another role" not in probe.reason  # the role's own policy cannot apply to another principal


def test_a_setting_s3why_could_not_read_is_said_so_not_still_denies() -> None:
    snap = snapshot()
    snap["bucket"]["calls"]["GetBucketPolicy"] = {"Error": {"Code": "AccessDenied", "Message": "no"}}
    _, fixes = _fixes(snap, error_text("PutObject", "data-bucket", "a/b.txt"))
    unverified = [f for f in fixes if not f.verified and f.patches]
    assert unverified, [(f.id, f.verified, f.reason) for f in fixes]
    assert all("still denies" not in f.reason for f in unverified)
    # what was checked, and whose layer could not be read (the bucket's policy)
    said = "not verified: allowed by every layer s3why can read; the bucket owner's layers are not readable"
    assert any(f.reason.startswith(said) and "GetBucketPolicy" in f.reason for f in unverified)


def test_a_fix_that_authorizes_the_request_is_verified_even_if_the_key_is_then_missing() -> None:
    snap = snapshot()
    snap["bucket"]["object"]["calls"]["HeadObject"] = {"Error": {"Code": "404", "Message": "Not Found"}}
    _, fixes = _fixes(snap, error_text("GetObject", "data-bucket", "a/b.txt"))
    grant = next(f for f in fixes if f.id == "identity-allow")
    assert grant.verified, grant.reason


def test_across_accounts_the_fix_shown_first_works_on_its_own() -> None:
    """Both sides must allow: the first fix carries both (bucket policy and identity), not one half of the pair."""
    snap = snapshot(owner=OTHER)
    _, fixes = _fixes(snap, error_text("GetObject", "data-bucket", "a/b.txt"))
    first = fixes[0]
    assert first.id == "bucket-allow" and first.verified and first.complete
    assert sorted(p.kind for p in first.patches) == ["bucket-policy", "iam-policy"]
    patched = apply_patches(snap, first.patches)
    for key in ("a/b.txt", "a/next.txt"):  # the request, and the next one of the workload
        (req,) = parse_text(error_text("GetObject", "data-bucket", key)).requests
        assert diagnose(req, account_view(patched), AFTER).decision == "allow", key


def test_every_failing_authorization_on_the_resource_is_granted() -> None:
    """Issue 12 §3: an upload with an ACL header also needs s3:PutObjectAcl; the fix grants both."""
    from dataclasses import replace

    snap = snapshot()
    (req,) = parse_text(error_text("PutObject", "data-bucket", "a/b.txt")).requests
    d = diagnose(req, account_view(snap), OPTIONS)
    resolved = dict(d.request["resolved"])
    resolved["authorizations"] = [
        {"action": "s3:PutObject", "resource": "arn:aws:s3:::data-bucket/a/b.txt", "decision": "implicit-deny"},
        {"action": "s3:PutObjectAcl", "resource": "arn:aws:s3:::data-bucket/a/b.txt", "decision": "implicit-deny"},
    ]
    d = replace(d, request={**d.request, "resolved": resolved})
    (fix,) = propose_fixes(req, snap, OPTIONS, d)
    document = fix.patches[0].document
    assert document is not None and fix.verified
    assert document["Statement"][-1]["Action"] == ["s3:PutObject", "s3:PutObjectAcl"]


TF_SAVE = (
    "Error: Failed to save state\n\n"
    "Error saving state: failed to upload state: AccessDenied: Access Denied\n"
    "\tstatus code: 403, request id: 6Q2N8V0K3B7D1F4H, host id: kW9m2Xb7q0Zr5Yt3Vn8Lp1Jc6Hd4Gf0Sa2Ue9Oi7Rw5Ty3=\n"
)


def _tf_fix(text: str, operation: str | None = None) -> Any:
    from dataclasses import replace

    from bot.pipeline import Source, diagnose_and_fix

    snap = _with_key(
        snapshot(identity=[ALLOW_S3], key="network/terraform.tfstate"),
        {"Version": "2012-10-17", "Statement": [ROOT_STATEMENT]},
    )
    (req,) = parse_text(text).requests
    req = replace(req, bucket="data-bucket", key="network/terraform.tfstate")  # --bucket / --key
    if operation is not None:  # --operation: the text only suggests an upload
        req = replace(req, operation=operation, action=f"s3:{operation}", operation_candidates=())
    found, _ = diagnose_and_fix(req, OPTIONS, Source(snapshot=snap), paste=text)
    return found.fixes[0]


def test_a_workload_that_writes_and_reads_back_gets_the_kms_actions_of_both() -> None:
    # Terraform's backend reads the state it writes (its documentation, remediations/workloads/kinds.yaml): the
    # key grant that lets the save through must let the next plan read it.
    fix = _tf_fix(TF_SAVE)
    assert fix.verified
    statement = fix.patches[0].document["Statement"][-1]
    assert statement["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert "The workload's next requests use the key too and are granted with it" in fix.explanation
    assert "GetObject (kms:Decrypt)" in fix.explanation


def test_without_a_workload_the_write_gets_only_what_it_asks_kms_for() -> None:
    text = TF_SAVE.replace("Failed to save state", "upload failed").replace("saving state", "saving")
    fix = _tf_fix(text, operation="PutObject")
    assert fix.patches[0].document["Statement"][-1]["Action"] == ["kms:GenerateDataKey"]
