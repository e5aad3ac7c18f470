"""Tester finding 9: `can` on an object whose existence s3why did not read answers allow "if the object exists"
when every layer it read allows, and stays undecided when another unread thing could deny."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.fixes.support import SESSION, snapshot
from tests.fixes.test_scope_side_kms import ROOT_STATEMENT, _with_key

READS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}]}  # fmt: skip
NOT_READ = {"Error": {"Code": "NotRead", "Message": "s3why does not read object heads here"}}


def _snapshot(tmp_path: Path, policy: dict[str, Any]) -> str:
    snap = _with_key(snapshot(identity=[policy]), {"Version": "2012-10-17", "Statement": [ROOT_STATEMENT]}, encrypted=False)  # fmt: skip
    snap["bucket"]["object"]["calls"]["HeadObject"] = NOT_READ
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snap), encoding="utf-8")
    return str(path)


def test_a_head_of_an_unread_object_every_layer_allows_is_allowed_if_it_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = _snapshot(tmp_path, READS)
    assert main(["can", SESSION, "HeadObject", "s3://data-bucket/a/b.txt", "--snapshot", snap, "--json"]) == 0
    (d,) = json.loads(capsys.readouterr().out)["diagnoses"]
    assert d["decision"] == "allow"
    main(["can", SESSION, "HeadObject", "s3://data-bucket/a/b.txt", "--snapshot", snap])
    out = capsys.readouterr().out
    assert out.startswith("ALLOWED: every layer s3why read allows it, if the object exists"), out
    assert "allowed if the object exists: s3why did not read whether it does" in out


def test_an_unread_object_whose_encryption_could_deny_stays_undecided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = _snapshot(tmp_path, READS)
    main(["can", SESSION, "GetObject", "s3://data-bucket/a/b.txt", "--snapshot", snap, "--json"])
    (d,) = json.loads(capsys.readouterr().out)["diagnoses"]
    assert d["decision"] == "unknown"  # the object's own SSE-KMS key is not known: it could deny


def test_a_denied_head_is_still_denied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nothing = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
    snap = _snapshot(tmp_path, nothing)
    main(["can", SESSION, "HeadObject", "s3://data-bucket/a/b.txt", "--snapshot", snap, "--json"])
    (d,) = json.loads(capsys.readouterr().out)["diagnoses"]
    assert d["decision"] == "implicit-deny"
