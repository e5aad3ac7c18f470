"""`s3why can anonymous ...`: "is this object public?" — an unsigned request, as `simulate --principal anonymous`
names it: only grants to everyone apply, Block Public Access decides, no principal is read and nothing is ever
granted to anonymous as a fix (docs/layers.md, anonymous requests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.slack.can import read_question
from tests.account.conftest import client, policy_json

SNAPSHOT = Path(__file__).resolve().parent.parent / "fixtures" / "snapshots" / "acl-enforced-bpa-on.json"
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::modern-bucket/*"}
    ],
}


def _snapshot(tmp_path: Path, *, public_policy: bool, restrict_public_buckets: bool) -> str:
    """The fixture's bucket (recorded for a role), with a public read policy or none, and Block Public Access off
    but for RestrictPublicBuckets when asked."""
    data = json.loads(SNAPSHOT.read_text())
    calls = data["bucket"]["calls"]
    if public_policy:
        calls["GetBucketPolicy"] = {"Policy": json.dumps(PUBLIC_READ)}
        calls["GetBucketPolicyStatus"] = {"PolicyStatus": {"IsPublic": True}}
    settings = calls["GetPublicAccessBlock"]["PublicAccessBlockConfiguration"]
    for name in settings:
        settings[name] = name == "RestrictPublicBuckets" and restrict_public_buckets
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(data))
    return str(path)


def _can(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["can", *argv, "--json"])
    (one,) = json.loads(capsys.readouterr().out)["diagnoses"]
    return code, one


@pytest.mark.parametrize("principal", ["anonymous", "*"])
def test_a_public_object_is_allowed_to_anonymous_from_a_snapshot_recorded_for_a_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], principal: str
) -> None:
    path = _snapshot(tmp_path, public_policy=True, restrict_public_buckets=False)
    code, d = _can(capsys, principal, "GetObject", "s3://modern-bucket/a.txt", "--snapshot", path)
    assert code == 0
    assert d["decision"] == "allow", d["root_causes"]
    assert d["request"]["principal_arn"] == "anonymous"
    assert d["request"]["resolved"]["principal_kind"] == "anonymous"


def test_restrict_public_buckets_denies_anonymous_the_public_policy_grant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _snapshot(tmp_path, public_policy=True, restrict_public_buckets=True)
    code, d = _can(capsys, "anonymous", "s3:GetObject", "arn:aws:s3:::modern-bucket/a.txt", "--snapshot", path)
    assert code == 0
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "block-public-access"


def test_a_private_bucket_denies_anonymous_and_grants_nothing_to_everyone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _snapshot(tmp_path, public_policy=False, restrict_public_buckets=False)
    code, d = _can(capsys, "anonymous", "GetObject", "s3://modern-bucket/a.txt", "--snapshot", path)
    assert code == 0
    assert d["decision"] == "implicit-deny"
    assert '"Principal": "*"' not in json.dumps(d["fixes"]) and '"*"' not in json.dumps(d["fixes"])


def test_live_anonymous_reads_no_principal_and_sees_the_public_grant(
    moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    config = tmp_path / "s3why.yaml"
    config.write_text("objects:\n  heads: all\n")
    monkeypatch.setenv("S3WHY_CONFIG", str(config))
    s3 = client("s3")
    s3.create_bucket(Bucket="site")
    s3.put_object(Bucket="site", Key="index.html", Body=b"<html/>")
    s3.put_public_access_block(
        Bucket="site",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    grant = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}
    s3.put_bucket_policy(Bucket="site", Policy=policy_json(grant))
    code, d = _can(capsys, "anonymous", "GetObject", "s3://site/index.html", "--no-cache")
    assert code == 0
    assert d["decision"] == "allow", d["root_causes"]


def test_slack_can_reads_anonymous_as_simulate_does() -> None:
    question = read_question("can anonymous GetObject s3://modern-bucket/a.txt")
    assert question.request.anonymous and question.request.principal_arn == "anonymous"
