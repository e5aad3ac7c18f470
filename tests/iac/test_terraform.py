"""Terraform: the resource that defines a policy, in every form a file writes it, and a minimal patch in that form."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest

from bot.iac.hcltext import hcl_escape
from bot.iac.terraform import Target, find_policy, load_tree, patch_policy

TREE = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"
STATEMENT = {
    "Sid": "S3whyabc",
    "Effect": "Allow",
    "Action": ["s3:PutObject"],
    "Resource": ["arn:aws:s3:::team-data/out/${*}/*", "arn:aws:s3:::team-data/%{x}"],
}
KMS_STATEMENT = {
    "Sid": "S3whykms",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
    "Action": ["kms:Decrypt"],
    "Resource": "*",
    "Condition": {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::team-data/*"]},
    },
}

CASES = [
    (Target("principal-inline", "role", "app"), "iam.tf", "aws_iam_role_policy", "jsonencode", STATEMENT),
    (Target("principal-inline", "user", "alice"), "users.tf", "aws_iam_user_policy", "heredoc", STATEMENT),
    (Target("group", name="readers"), "users.tf", "aws_iam_group_policy", "document", STATEMENT),
    (Target("principal-inline", "role", "etl-writer"), "managed.tf", "aws_iam_policy", "document", STATEMENT),
    (Target("managed", name="etl-writer-s3"), "managed.tf", "aws_iam_policy", "document", STATEMENT),
    (Target("bucket", name="team-data"), "bucket.tf", "aws_s3_bucket_policy", "heredoc", {**STATEMENT, "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}}),
    (Target("key", aliases=("alias/team-data",)), "bucket.tf", "aws_kms_key", "jsonencode", KMS_STATEMENT),
    (Target("vpce", name="vpce-0abc1234"), "network.tf", "aws_vpc_endpoint_policy", "jsonencode", {**STATEMENT, "Principal": "*", "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app"}}}),
    (Target("access-point", name="team-ap"), "network.tf", "aws_s3control_access_point_policy", "document", {**STATEMENT, "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}}),
]  # fmt: skip


@pytest.mark.parametrize(("target", "file", "rtype", "form", "statement"), CASES)
def test_each_resource_form_is_found_and_patched_in_its_own_form(
    tmp_path: Path, target: Target, file: str, rtype: str, form: str, statement: dict[str, Any]
) -> None:
    root = tmp_path / "infra"
    shutil.copytree(TREE, root)
    tree = load_tree(root)
    assert tree.problems == []
    policy = find_policy(tree, target)
    assert policy is not None and policy.file.name == file and policy.rtype == rtype and policy.form == form
    patch = patch_policy(tree, policy, statement)
    # Verified for the code: the patched file, parsed again, defines the old statements plus exactly this one.
    old = policy.document["Statement"]
    new = patch.after["Statement"]
    assert new[: len(old)] == old
    added = new[len(old) :]
    assert len(added) == 1
    normalised = dict(added[0])
    expected = dict(statement)
    if form == "document":  # the data source always writes lists
        expected = {
            k: (v if isinstance(v, (list, dict)) or k in ("Sid", "Effect") else [v]) for k, v in expected.items()
        }
        expected["Condition"] = {
            t: {k: (v if isinstance(v, list) else [v]) for k, v in kv.items()}
            for t, kv in statement.get("Condition", {}).items()
        } or None
        if expected["Condition"] is None:
            del expected["Condition"]
        if isinstance(statement.get("Principal"), dict):
            expected["Principal"] = {t: [v] if isinstance(v, str) else v for t, v in statement["Principal"].items()}
    assert normalised == expected
    # Minimal: the diff only adds lines (a comma at most changes on the line before), in the file's form.
    removed = [line for line in patch.diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert all(
        line.rstrip().rstrip(",") + "," == line.rstrip() + "," or line.rstrip().endswith("}") for line in removed
    )
    assert len(removed) <= 1
    assert patch.path.endswith(file)
    if form == "jsonencode":
        assert 'Sid      = "S3why' in patch.diff or 'Sid       = "S3why' in patch.diff
    if form == "heredoc":
        assert '"Sid": "S3why' in patch.diff
    if form == "document":
        assert "statement {" in patch.diff
    # Interpolation-looking text in values stays literal in HCL: `$${` and `%%{`.
    assert "$${*}" in patch.after_text or "kms:Decrypt" in patch.after_text
    if "%{x}" in str(statement):
        assert "%%{x}" in patch.after_text
    hcl2.loads(patch.after_text)  # parses again


def test_hcl_escape_makes_interpolations_literal() -> None:
    assert hcl_escape('a"${b}%{c}\\') == 'a\\"$${b}%%{c}\\\\'


def test_a_tree_that_does_not_define_the_target_finds_nothing_and_bad_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "bad.tf").write_text('resource "x" {\n')
    tree = load_tree(tmp_path)
    assert tree.problems == ["bad.tf: not valid HCL (UnexpectedToken)"] or tree.problems[0].startswith(
        "bad.tf: not valid HCL"
    )
    assert find_policy(load_tree(TREE), Target("bucket", name="another-bucket")) is None
