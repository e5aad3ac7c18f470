"""Presigned URLs are authorized as their signer (issue 12 §4), through `s3why diagnose` against moto in server
mode: the signer is read from the URL and found with sts:GetAccessKeyInfo and iam:GetAccessKeyLastUsed; the URL's
lifetime is checked against the time of the error; --principal does not replace the signer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from tests.account.conftest import OWN, client
from tests.presigned_seed import ADMIN_ROLE, BUCKET, DENIED, KEY, USER_ARN, seed_signer


def _diagnose(text: str, *args: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bot", "diagnose", "--json", "--no-cache", *args]
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, env=dict(os.environ), check=False)
    assert out.returncode == 0, out.stderr
    (d,) = json.loads(out.stdout)["diagnoses"]
    return d  # type: ignore[no-any-return]


def _layer(d: dict[str, Any], layer: str) -> dict[str, Any]:
    return next(x for x in d["layers"] if x["layer"] == layer)


@pytest.mark.parametrize("version", ["s3v4", "s3"])  # X-Amz-Credential (SigV4), AWSAccessKeyId (SigV2)
def test_a_presigned_request_is_evaluated_as_its_signer_not_as_the_principal_given(moto: str, version: str) -> None:
    seed = seed_signer()
    text = f"curl '{seed.presign(version=version)}'\n{DENIED}"
    d = _diagnose(text, "--principal", ADMIN_ROLE, "--operation", "GetObject")
    # s3-admin may do anything in S3; the signer (apps/reporter) may only list the bucket.
    assert d["request"]["resolved"]["principal"] == USER_ARN
    assert d["request"]["signer"]["account"] == OWN and d["request"]["signer"]["user_arn"] == USER_ARN
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "identity"
    notes = " ".join(d["request"]["signer"]["notes"])
    assert "authorized as its signer" in notes and ADMIN_ROLE in notes
    iam_fixes = [p for f in d["fixes"] for p in f["patches"] if p["kind"] == "iam-policy"]
    assert iam_fixes and all("user/reporter" in p["target"] or "reporter" in p["target"] for p in iam_fixes)


def test_the_signer_is_named_when_no_principal_is_given(moto: str) -> None:
    seed = seed_signer(can_read=True)
    d = _diagnose(f"curl '{seed.presign()}'\n{DENIED}", "--operation", "GetObject")
    assert d["request"]["resolved"]["principal"] == USER_ARN  # the user's path comes from iam:GetUser
    assert d["request"]["bucket"] == BUCKET and d["request"]["key"] == KEY
    assert _layer(d, "presigned-url")["verdict"] == "allow"
    assert USER_ARN in _layer(d, "presigned-url")["detail"]


def _signed_at(url: str, when: str) -> str:
    """The URL as if signed at `when` (yyyymmddThhmmssZ): s3why reads the time, it never checks the signature."""
    old = url.split("X-Amz-Date=", 1)[1][:16]
    return url.replace(f"X-Amz-Date={old}", f"X-Amz-Date={when}")


def test_a_url_expired_before_the_server_time_is_the_cause_never_a_permission_fix(moto: str) -> None:
    seed = seed_signer(can_read=True)
    url = _signed_at(seed.presign(expires=60), "20261001T000000Z")
    server = "<ServerTime>2026-10-01T00:05:00Z</ServerTime>"
    d = _diagnose(
        f"curl '{url}'\n" + DENIED.replace("</RequestId>", f"</RequestId>{server}"), "--operation", "GetObject"
    )
    first = d["root_causes"][0]
    assert first["layer"] == "presigned-url", d["root_causes"]
    assert "2026-10-01T00:01:00Z" in first["summary"] and "server time 2026-10-01T00:05:00Z" in first["summary"]
    assert _layer(d, "presigned-url")["verdict"] == "deny" and d["decision"] != "allow"
    assert not [p for f in d["fixes"] for p in f["patches"] if p["kind"] in ("iam-policy", "bucket-policy")]
    # Still within its minute at the server time: not expired, and evaluated as the signer (who may read it).
    inside = f"curl '{url}'\n" + DENIED.replace(
        "</RequestId>", "</RequestId><ServerTime>2026-10-01T00:00:30Z</ServerTime>"
    )
    ok = _diagnose(inside, "--operation", "GetObject")
    assert _layer(ok, "presigned-url")["verdict"] == "allow"


def test_without_a_server_time_the_lifetime_is_compared_with_now(moto: str) -> None:
    seed = seed_signer(can_read=True)
    url = seed.presign(expires=60)
    stale = _signed_at(url, "20200101T000000Z")  # signed long ago (the text says so)
    # A bare 403 status line: no message, no time of its own, so only now can be compared with the lifetime.
    d = _diagnose(f"curl '{stale}'\nHTTP/1.1 403 Forbidden", "--operation", "GetObject")
    first = d["root_causes"][0]
    assert first["layer"] == "presigned-url" and "2020-01-01T00:01:00Z" in first["summary"]
    assert "now (the text gives no time of its own)" in first["summary"]
    # S3's body says "Access Denied", not "Request has expired": the URL was still valid when S3 refused it.
    said = _diagnose(f"curl '{stale}'\n{DENIED}", "--operation", "GetObject")
    assert not any(c["layer"] == "presigned-url" for c in said["root_causes"])
    assert "still valid when it was refused" in _layer(said, "presigned-url")["detail"]
    fresh = _diagnose(f"curl '{url}'\n{DENIED}", "--operation", "GetObject")
    assert _layer(fresh, "presigned-url")["verdict"] == "allow"
    assert "valid until" in _layer(fresh, "presigned-url")["detail"]


def _temporary_url() -> str:
    creds = client("sts").assume_role(RoleArn=ADMIN_ROLE, RoleSessionName="share")["Credentials"]
    import boto3

    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    config = Config(signature_version="s3v4")
    s3 = session.client("s3", region_name="us-east-1", endpoint_url="https://s3.us-east-1.amazonaws.com", config=config)
    return str(s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": KEY}, ExpiresIn=3600))


def test_a_temporary_signer_is_said_and_its_role_is_not_guessed(moto: str) -> None:
    seed_signer()
    url = _temporary_url()
    assert "X-Amz-Security-Token" in url and "ASIA" in url
    d = _diagnose(f"curl '{url}'\n{DENIED}", "--operation", "GetObject")
    notes = " ".join(d["request"]["signer"]["notes"])
    assert "temporary credentials" in notes and "stops working when that session ends" in notes
    assert "cannot be read from the key alone" in notes
    assert d["request"]["signer"]["account"] == OWN and d["request"]["signer"]["user_arn"] is None
    assert d["decision"] != "allow"
    assert "temporary credentials" in _layer(d, "presigned-url")["detail"]


def test_a_temporary_signer_is_evaluated_as_the_role_session_the_person_names(moto: str) -> None:
    seed_signer()
    url = _temporary_url()
    session = f"arn:aws:sts::{OWN}:assumed-role/s3-admin/share"
    d = _diagnose(f"curl '{url}'\n{DENIED}", "--operation", "GetObject", "--principal", session)
    assert d["request"]["resolved"]["principal"] == session
    assert _layer(d, "identity")["verdict"] == "allow"
    assert "temporary credentials" in " ".join(d["request"]["signer"]["notes"])


def test_a_snapshot_keeps_the_signer(moto: str, tmp_path: Path) -> None:
    seed = seed_signer()
    text = f"curl '{seed.presign()}'\n{DENIED}"
    snap = tmp_path / "snap.json"
    cmd = [sys.executable, "-m", "bot", "snapshot", "--out", str(snap)]
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, env=dict(os.environ), check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(snap.read_text())["signer"]["user_arn"] == USER_ARN
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}  # offline
    cmd = [sys.executable, "-m", "bot", "diagnose", "--json", "--snapshot", str(snap), "--operation", "GetObject"]
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr
    (d,) = json.loads(out.stdout)["diagnoses"]
    assert d["request"]["resolved"]["principal"] == USER_ARN


def test_a_url_expired_only_by_now_is_not_the_cause_when_the_text_states_another(moto: str) -> None:
    seed = seed_signer()
    stale = _signed_at(seed.presign(expires=60), "20200101T000000Z")
    said = (
        f"curl '{stale}'\nAn error occurred (AccessDenied) when calling the GetObject operation: User: {USER_ARN} is "
        f'not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::{BUCKET}/{KEY}" because no '
        "identity-based policy allows the s3:GetObject action"
    )
    d = _diagnose(said)
    assert d["root_causes"][0]["layer"] == "identity", d["root_causes"]
    assert _layer(d, "presigned-url")["verdict"] == "allow"
    assert "still valid when it was refused" in _layer(d, "presigned-url")["detail"]


def test_s3s_own_access_denied_body_shows_an_old_url_was_still_valid(moto: str) -> None:
    """S3 answers an expired presigned URL with "Request has expired" (S3 API Reference, "Authenticating Requests:
    Using Query Parameters"); its "Access Denied" body for an old URL means the URL was valid when refused, so the
    signer's policies decide, not the lifetime compared with today."""
    seed = seed_signer(can_read=False)
    stale = _signed_at(seed.presign(expires=60), "20200101T000000Z")
    d = _diagnose(f"curl '{stale}'\n{DENIED}", "--operation", "GetObject")
    presigned = _layer(d, "presigned-url")
    assert presigned["verdict"] == "allow"
    assert "S3 refused it with 'Access Denied', not 'Request has expired'" in presigned["detail"]
    assert d["root_causes"][0]["layer"] != "presigned-url"
