"""Issue 20 §2: IAM Access Analyzer's checks on a patched policy, through a local fake of its API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.diagnose import DiagnoseOptions
from bot.parse import parse_text
from bot.pipeline import Source, diagnose_and_fix
from tests.fixes.analyzer_fake import FakeAnalyzer
from tests.fixes.support import OTHER, SESSION, error_text, snapshot

TEXT = error_text("GetObject", "data-bucket", "a/b.txt")


def _bucket_fix() -> Any:
    (req,) = parse_text(TEXT).requests
    found, _ = diagnose_and_fix(req, DiagnoseOptions(principal=SESSION), Source(snapshot=snapshot(owner=OTHER)))
    return next(f for f in found.fixes if f.id == "bucket-allow")


def test_access_analyzer_is_asked_about_each_patch_and_its_new_access_is_shown(analyzer: FakeAnalyzer) -> None:
    fix = _bucket_fix()
    assert fix.verified
    assert any(f.startswith("Access Analyzer: new access — statement S3why") for f in fix.findings)
    paths = [p for p, _ in analyzer.requests]
    assert {"/policy/validation", "/policy/check-no-public-access", "/policy/check-no-new-access"} <= set(paths)
    validate = next(
        b for p, b in analyzer.requests if p == "/policy/validation" and b["policyType"] == "RESOURCE_POLICY"
    )
    assert validate["validatePolicyResourceType"] == "AWS::S3::Bucket"


def test_a_security_warning_keeps_a_fix_from_being_verified(analyzer: FakeAnalyzer) -> None:
    analyzer.findings = [
        {
            "findingType": "SECURITY_WARNING",
            "issueCode": "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            "findingDetails": "a test finding",
            "learnMoreLink": "https://docs.aws.amazon.com/",
            "locations": [],
        }
    ]
    fix = _bucket_fix()
    assert not fix.verified
    assert "Access Analyzer SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE" in fix.reason


def test_the_cli_shows_access_analyzers_findings(analyzer: FakeAnalyzer, tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot(owner=OTHER)))
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), "--principal", SESSION]
    out = subprocess.run(cmd, input=TEXT, capture_output=True, text=True, check=True).stdout
    assert "Access Analyzer: new access" in out
