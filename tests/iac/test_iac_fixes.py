"""Issue 15: fixes for targets managed as code are iac-change patches, verified against the changed code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import hcl2

from bot.account.collector import Collector, Target
from bot.account.sessions import SessionProvider
from bot.account.view import account_view
from bot.cache import MemoryCache
from bot.config import Config
from bot.diagnose import DiagnoseOptions, diagnose
from bot.fixes import propose_fixes
from bot.iac.fixes import IacOptions, with_iac
from bot.parse import parse_text
from tests.account.conftest import OWN, client, policy_json
from tests.fixes.support import ROLE, SESSION, error_text, snapshot

TREE = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"
LIVE_APP = {"Version": "2012-10-17", "Statement": [{"Sid": "ReadTeamData", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::team-data/*"}]}  # fmt: skip


def _snap_path(tmp_path: Path) -> Path:
    snap = snapshot(bucket="team-data", key="out/a.txt")
    calls = snap["principal"]["calls"]
    calls["ListRolePolicies"] = {"PolicyNames": ["app"]}
    calls["RolePolicies"] = {"app": {"PolicyName": "app", "PolicyDocument": LIVE_APP}}
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snap))
    return path


def test_diagnose_with_terraform_dir_gives_an_iac_change_to_the_file_that_defines_the_policy(tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    shutil.copytree(TREE, infra)
    before = (infra / "iam.tf").read_text()
    text = error_text("PutObject", "team-data", "out/a.txt")
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(_snap_path(tmp_path)), "--principal", SESSION]
    out = subprocess.run(
        [*cmd, "--terraform-dir", str(infra), "--json"], input=text, capture_output=True, text=True, check=True
    )
    (d,) = json.loads(out.stdout)["diagnoses"]
    fix = d["fixes"][0]
    assert fix["verified"] is True
    (patch,) = fix["patches"]
    assert patch["kind"] == "iac-change" and patch["tool"] == "terraform" and patch["file"] == "iam.tf"
    assert patch["target"] == ROLE
    assert '+        Action   = ["s3:PutObject"]' in patch["diff"]
    assert '+        Resource = ["arn:aws:s3:::team-data/out/*"]' in patch["diff"]  # the prefix scope
    assert (infra / "iam.tf").read_text() == before  # nothing written to the checkout
    # The diff applies to the file with git, and the result parses and holds the statement.
    subprocess.run(["git", "init", "-q", str(infra)], check=True)
    (tmp_path / "p.diff").write_text(patch["diff"])
    subprocess.run(["git", "-C", str(infra), "apply", str(tmp_path / "p.diff")], check=True)
    assert "s3:PutObject" in json.dumps(hcl2.loads((infra / "iam.tf").read_text()))
    # Without the tree: the live patch, as before.
    plain = subprocess.run([*cmd, "--json"], input=text, capture_output=True, text=True, check=True)
    assert json.loads(plain.stdout)["diagnoses"][0]["fixes"][0]["patches"][0]["kind"] == "iam-policy"


def test_a_terraform_dir_that_is_not_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    text = error_text("PutObject", "team-data", "out/a.txt")
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(_snap_path(tmp_path)), "--principal", SESSION]
    out = subprocess.run([*cmd, "--terraform-dir", str(tmp_path / "nope")], input=text, capture_output=True, text=True)
    assert out.returncode == 2 and "not a directory" in out.stderr and "Traceback" not in out.stderr


def test_code_that_would_still_deny_is_not_verified(tmp_path: Path) -> None:
    """The code defines a Deny the live policy lacks: the code's policy after the patch still denies."""
    infra = tmp_path / "infra"
    shutil.copytree(TREE, infra)
    tf = infra / "iam.tf"
    tf.write_text(
        tf.read_text().replace(
            'Sid      = "ReadTeamData"',
            'Sid = "NoOut"\n        Effect = "Deny"\n        NotAction = ["s3:GetObject"]\n        NotResource = ["arn:aws:s3:::x"]\n      },\n      {\n        Sid      = "ReadTeamData"',
        )
    )
    snap = json.loads(_snap_path(tmp_path).read_text())
    (req,) = parse_text(error_text("PutObject", "team-data", "out/a.txt")).requests
    options = DiagnoseOptions(principal=SESSION)
    d = diagnose(req, account_view(snap), options)
    fixes = with_iac(propose_fixes(req, snap, options, d), req, snap, options, IacOptions(str(infra)))
    iac = next(f for f in fixes if any(p.kind == "iac-change" for p in f.patches))
    assert not iac.verified
    assert "iam.tf defines after the change" in iac.reason and "denies" in iac.reason


def test_a_role_managed_by_a_cloudformation_stack_gets_the_template_change_and_no_live_write(moto: str) -> None:
    iam = client("iam")
    iam.create_role(
        RoleName="app",
        AssumeRolePolicyDocument="{}",
        Tags=[
            {"Key": "aws:cloudformation:stack-name", "Value": "data-app"},
            {"Key": "aws:cloudformation:logical-id", "Value": "AppRole"},
        ],
    )
    iam.put_role_policy(
        RoleName="app",
        PolicyName="app",
        PolicyDocument=policy_json(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::team-data/*"}
        ),
    )
    client("s3").create_bucket(Bucket="team-data")
    session = f"arn:aws:sts::{OWN}:assumed-role/app/run"
    collector = Collector(SessionProvider(Config()), MemoryCache())
    snap = collector.collect(Target(principal_arn=session, bucket="team-data", key="out/a.txt"))
    (req,) = parse_text(error_text("PutObject", "team-data", "out/a.txt")).requests
    options = DiagnoseOptions(principal=session)
    d = diagnose(req, account_view(snap), options)
    fixes = with_iac(propose_fixes(req, snap, options, d), req, snap, options, IacOptions())
    first = fixes[0]
    (patch,) = first.patches
    assert patch.kind == "iac-change" and patch.iac is not None and patch.iac["tool"] == "cloudformation"
    assert "data-app" in patch.iac["file"] and "AppRolePolicy" in patch.iac["diff"]
    assert '"s3:PutObject"' in patch.iac["diff"]
    assert first.verified
    from bot.approve.flow import proposal_for

    # Live apply is refused: no proposal to write the live policy.
    assert proposal_for(first, requester=None, channel="C", thread_ts="1", run_id="r", request={}) is None
    # Unless the account's configuration allows it.
    allowed = with_iac(
        propose_fixes(req, snap, options, d), req, snap, options, IacOptions(cloudformation_live_apply=frozenset({OWN}))
    )
    assert allowed[0].patches[0].kind == "iam-policy"


def test_a_bucket_tagged_by_a_stack_is_read_and_managed_by_it(moto: str) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="team-data")
    # CloudFormation sets these system tags itself (S3 refuses them from a requester): set them as the stack would.
    from moto.s3.models import s3_backends

    s3_backends[OWN]["aws"].put_bucket_tagging(
        "team-data", {"aws:cloudformation:stack-name": "storage", "aws:cloudformation:logical-id": "DataBucket"}
    )
    s3.put_bucket_policy(
        Bucket="team-data",
        Policy=policy_json(
            {
                "Sid": "Reader",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OWN}:role/reader"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::team-data/*",
            }
        ),
    )
    client("iam").create_role(RoleName="app", AssumeRolePolicyDocument="{}")
    session = f"arn:aws:sts::{OWN}:assumed-role/app/run"
    snap = Collector(SessionProvider(Config()), MemoryCache()).collect(
        Target(principal_arn=session, bucket="team-data", key="out/a.txt")
    )
    assert snap["bucket"]["calls"]["GetBucketTagging"]["TagSet"]
    (req,) = parse_text(error_text("PutObject", "team-data", "out/a.txt")).requests
    options = DiagnoseOptions(principal=session)
    d = diagnose(req, account_view(snap), options)
    fixes = with_iac(propose_fixes(req, snap, options, d), req, snap, options, IacOptions())
    bucket_fix = next(f for f in fixes if f.id == "bucket-allow-same-account")
    iac = bucket_fix.patches[0].iac
    assert bucket_fix.patches[0].kind == "iac-change" and iac is not None
    assert "storage" in iac["file"] and "AWS::S3::BucketPolicy" in iac["diff"]


def test_every_scope_of_a_terraform_fix_is_in_the_codes_form(tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    shutil.copytree(TREE, infra)
    snap = json.loads(_snap_path(tmp_path).read_text())
    (req,) = parse_text(error_text("PutObject", "team-data", "out/a.txt")).requests
    options = DiagnoseOptions(principal=SESSION)
    d = diagnose(req, account_view(snap), options)
    (fix,) = with_iac(propose_fixes(req, snap, options, d), req, snap, options, IacOptions(str(infra)))
    assert [s.name for s in fix.scopes] == ["prefix", "object", "bucket"]
    obj = fix.with_scope("object")
    assert obj.verified and obj.patches[0].kind == "iac-change"
    assert '+        Resource = ["arn:aws:s3:::team-data/out/a.txt"]' in obj.patches[0].diff
