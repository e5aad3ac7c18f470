"""Snapshots: `s3why snapshot` records one from a live (emulated) account; the schema describes it; bad files
are named precisely; a snapshot gives the same account view as the live collection it came from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from bot.account.collector import Target
from bot.account.snapshot import SnapshotError, load_snapshot, validate_snapshot
from bot.account.view import account_view
from tests.account.conftest import client
from tests.account.seed import seed_everything
from tests.account.test_collector import make_collector

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "snapshot.schema.json").read_text())


def test_snapshot_command_records_a_live_account(moto: str, tmp_path: Path) -> None:
    seeded = seed_everything()
    out = tmp_path / "snap.json"
    text = (
        f"download failed: s3://{seeded.bucket}/{seeded.key} to ./x An error occurred (AccessDenied) when calling "
        f"the GetObject operation: User: {seeded.session_arn} is not authorized to perform: kms:Decrypt on resource: "
        f"{seeded.kms_key_arn} because no identity-based policy allows the kms:Decrypt action"
    )
    # the bucket opts in to object heads by its tag (no configuration file here)
    client("s3").put_bucket_tagging(
        Bucket=seeded.bucket, Tagging={"TagSet": [{"Key": "s3why:object-heads", "Value": "true"}]}
    )
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "snapshot", "--out", str(out)],
        input=text,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    view = account_view(load_snapshot(str(out)))
    assert view.principal is not None and view.principal.role_arn is not None
    assert view.bucket is not None and view.bucket.object is not None and view.bucket.object.head.present
    assert seeded.kms_key_arn in view.keys


def test_a_snapshot_gives_the_same_view_as_the_live_collection(moto: str, tmp_path: Path) -> None:
    seeded = seed_everything()
    collector, _ = make_collector()
    live = collector.collect(Target(principal_arn=seeded.user_arn, bucket=seeded.bucket, key=seeded.key))
    path = tmp_path / "s.json"
    path.write_text(json.dumps(live))
    assert account_view(load_snapshot(str(path))) == account_view(live)


def test_a_hand_written_snapshot_from_cli_output_is_read() -> None:
    data = {
        "s3why_snapshot": 1,
        "bucket": {
            "name": "b",
            "account": "111122223333",
            "calls": {
                "GetBucketPolicy": {"Policy": '{"Version":"2012-10-17","Statement":[]}'},
                "GetBucketOwnershipControls": {"Error": {"Code": "OwnershipControlsNotFoundError", "Message": "none"}},
                "GetBucketAcl": {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}},
            },
        },
    }
    jsonschema.validate(data, SCHEMA)
    view = account_view(validate_snapshot(data))
    assert view.bucket is not None
    assert view.bucket.policy.value == {"Version": "2012-10-17", "Statement": []}
    assert view.bucket.get("GetBucketOwnershipControls").status == "absent"
    acl = view.bucket.get("GetBucketAcl")
    assert acl.status == "unknown" and acl.permission == "s3:GetBucketAcl"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "is a JSON object"),
        ('{"s3why_snapshot": 2}', "s3why_snapshot must be 1"),
        ('{"s3why_snapshot": 1, "bucket": []}', "bucket must be an object"),
        ('{"s3why_snapshot": 1, "bucket": {"calls": {}}}', "bucket.name"),
        ('{"s3why_snapshot": 1, "principal": {"arn": "x", "calls": []}}', "principal.calls"),
    ],
)
def test_a_bad_snapshot_file_is_named_precisely(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SnapshotError) as err:
        load_snapshot(str(path))
    assert message in str(err.value)


def test_snapshot_without_anything_to_record_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "snapshot"], input="", capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "nothing to record" in result.stderr


def test_snapshot_reads_the_text_on_standard_input_beside_principal(moto: str, tmp_path: Path) -> None:
    seeded = seed_everything()
    out = tmp_path / "snap.json"
    text = (
        f"download failed: s3://{seeded.bucket}/{seeded.key} to ./x An error occurred (AccessDenied) when calling "
        "the GetObject operation: Access Denied"
    )
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "snapshot", "--principal", seeded.session_arn, "--out", str(out)],
        input=text,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["bucket"]["name"] == seeded.bucket
    assert data["principal"]["arn"] == seeded.session_arn
