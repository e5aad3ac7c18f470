"""Issue 20 §2-3: whose change each part of a fix is, and grants to an account s3why cannot place are advice only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.diagnose import DiagnoseOptions
from bot.fixes.model import Owner
from bot.fixes.owners import who_must_act
from bot.parse import parse_text
from bot.pipeline import Source, diagnose_and_fix
from tests.fixes.support import OTHER, OWN, SESSION, error_text, snapshot

VENDOR = f"arn:aws:sts::{OTHER}:assumed-role/vendor/run"
ALLOW_GET = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}]


def _vendor_snapshot() -> dict[str, Any]:
    """A vendor's role (another account) reads a bucket of s3why's own account; its IAM allows, no bucket grant."""
    snap = snapshot(identity=ALLOW_GET)
    snap["principal"].update({"arn": VENDOR, "account": OTHER})
    snap["principal"]["calls"]["GetRole"] = {"Role": {"Arn": f"arn:aws:iam::{OTHER}:role/vendor", "RoleName": "vendor"}}
    return snap


def _fixes(snap: dict[str, Any], principal: str, known: frozenset[str] = frozenset()) -> list[Any]:
    (req,) = parse_text(error_text("GetObject", "data-bucket", "a/b.txt")).requests
    found, _ = diagnose_and_fix(req, DiagnoseOptions(principal=principal), Source(snapshot=snap), known_accounts=known)
    return list(found.fixes)


def test_a_grant_to_an_account_in_neither_the_configuration_nor_the_organization_is_high_risk_advice() -> None:
    (fix,) = [f for f in _fixes(_vendor_snapshot(), VENDOR) if f.id == "bucket-allow"]
    assert fix.risk == "high" and fix.never_automatic and not fix.verified
    assert OTHER in fix.never_automatic and "neither" in fix.never_automatic
    (patch,) = fix.patches
    assert patch.owner is Owner.THIS_ACCOUNT  # the bucket policy is s3why's own account's to change


def test_the_same_grant_to_a_configured_account_is_an_ordinary_fix() -> None:
    (fix,) = [f for f in _fixes(_vendor_snapshot(), VENDOR, frozenset({OTHER})) if f.id == "bucket-allow"]
    assert fix.verified and not fix.never_automatic and fix.risk != "high"


def test_a_change_on_both_sides_is_one_fix_with_two_labelled_parts() -> None:
    snap = snapshot(owner=OTHER)  # s3why's own account's role reads a bucket of another (configured) account
    (fix,) = [f for f in _fixes(snap, SESSION, frozenset({OTHER})) if f.id == "bucket-allow"]
    assert sorted(p.kind for p in fix.patches) == ["bucket-policy", "iam-policy"]
    words = who_must_act(fix)
    assert words.startswith("part 1: ") and "part 2: " in words
    assert f"the caller's account {OWN}" in words and f"the resource owner's account {OTHER}" in words


def test_the_cli_says_whose_change_it_is_and_reads_the_configured_accounts(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(_vendor_snapshot()))
    base = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), "--principal", VENDOR]
    text = error_text("GetObject", "data-bucket", "a/b.txt")
    env = {k: v for k, v in os.environ.items() if k != "S3WHY_CONFIG"}
    shown = subprocess.run(base, input=text, capture_output=True, text=True, check=True, env=env).stdout
    flat = " ".join(shown.split())  # the text report wraps its lines
    assert "[high risk, advice only]" in flat and "in neither s3why's configuration nor the organization" in flat
    config = tmp_path / "s3why.yaml"
    config.write_text(f'accounts:\n  - id: "{OTHER}"\n')
    env["S3WHY_CONFIG"] = str(config)
    out = subprocess.run([*base, "--json"], input=text, capture_output=True, text=True, check=True, env=env).stdout
    (d,) = json.loads(out)["diagnoses"]
    fix = next(f for f in d["fixes"] if f["id"] == "bucket-allow")
    assert fix["verified"] is True and fix["risk"] != "high"
    assert set(fix) == {"id", "layer", "risk", "verified", "patches"}  # CONTRACT's keys, unchanged


def test_principal_star_and_the_accounts_its_conditions_name_are_read_as_grantees() -> None:
    # Principal "*" is everyone unless aws:PrincipalArn, aws:PrincipalAccount or an access point's ARN/account names
    # whose (IAM User Guide, global condition keys; S3 access point delegation): those accounts are the grantees
    from bot.fixes.model import Patch
    from bot.fixes.owners import _principal_accounts

    def grantees(principal: Any, condition: dict[str, Any] | None = None) -> set[str]:
        st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}
        if condition:
            st["Condition"] = condition
        doc = {"Version": "2012-10-17", "Statement": [st]}
        return _principal_accounts(Patch("arn:aws:s3:::data-bucket", "bucket-policy", doc, [], None))

    assert grantees("*") == {"*"}
    assert grantees({"AWS": "*"}, {"StringEquals": {"aws:PrincipalAccount": OTHER}}) == {OTHER}
    arn = f"arn:aws:iam::{OTHER}:role/vendor"
    assert grantees({"AWS": "*"}, {"ArnEquals": {"aws:PrincipalArn": arn}}) == {OTHER}
    point = f"arn:aws:s3:us-east-1:{OTHER}:accesspoint/ap"
    assert grantees({"AWS": "*"}, {"StringEquals": {"s3:DataAccessPointArn": point}}) == {OTHER}
    assert grantees({"AWS": [f"arn:aws:iam::{OWN}:root"]}) == {OWN}
    endpoint = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*"}]}
    assert _principal_accounts(Patch("vpce-1", "vpce-policy", endpoint, [], None, apply={"where": "vpce"})) == set()
