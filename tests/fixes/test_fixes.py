"""Fixes: least privilege, merged deterministically, within AWS's limits, verified by diagnosing again."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions, diagnose
from bot.engine import PolicyKind, parse_policy
from bot.fixes import apply_patches, propose_fixes
from bot.fixes.catalogue import CatalogueError, _entry, catalogue
from bot.parse import parse_text
from tests.fixes.support import OTHER, OWN, ROLE, SESSION, error_text, snapshot

OPTIONS = DiagnoseOptions(principal=SESSION)
AFTER = DiagnoseOptions(principal=SESSION, text_is_evidence=False)  # the same request, on the patched account


def _fixes(snap: dict[str, Any], text: str, options: DiagnoseOptions = OPTIONS) -> tuple[Any, list[Any]]:
    (req,) = parse_text(text).requests
    d = diagnose(req, account_view(snap), options)
    return d, propose_fixes(req, snap, options, d)


def _decision(snap: dict[str, Any], text: str, principal: str = SESSION) -> str:
    (req,) = parse_text(text).requests
    # the same request against the (patched) account: the text described the account before the change
    return diagnose(req, account_view(snap), DiagnoseOptions(principal=principal, text_is_evidence=False)).decision


def test_identity_fix_grants_exactly_the_action_on_the_prefix_by_default_with_object_and_bucket_scopes() -> None:
    snap = snapshot(
        identity=[
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ]
    )
    _, fixes = _fixes(snap, error_text("PutObject", "data-bucket", "a/b.txt"))
    (fix,) = fixes
    assert fix.id == "identity-allow" and fix.verified and fix.risk == "low"
    (patch,) = fix.patches
    assert patch.kind == "iam-policy" and patch.target == ROLE  # the role, never the session
    added = patch.document["Statement"][-1]
    assert added["Action"] == ["s3:PutObject"]
    assert added["Resource"] == ["arn:aws:s3:::data-bucket/a/*"]  # the prefix the key shows: the workload's
    assert fix.scope == "prefix"
    assert [s.name for s in fix.scopes] == ["prefix", "object", "bucket"]
    assert all(s.verified for s in fix.scopes)
    words = {s.name: s.description for s in fix.scopes}
    assert words["prefix"] == "lets app put any object under a/ in data-bucket"
    assert words["object"] == "lets app put only s3://data-bucket/a/b.txt"
    obj = fix.with_scope("object")
    assert obj.patches[0].document["Statement"][-1]["Resource"] == ["arn:aws:s3:::data-bucket/a/b.txt"]
    assert fix.with_scope("bucket").patches[0].document["Statement"][-1]["Resource"] == ["arn:aws:s3:::data-bucket/*"]
    assert added["Sid"].startswith("S3why")
    assert "put-role-policy" in patch.commands[0] and "--role-name app" in patch.commands[0]
    assert "+" in patch.diff and "s3:PutObject" in patch.diff
    assert 'resource "aws_iam_role_policy"' in patch.terraform
    assert json.loads(patch.cloudformation)["Type"] == "AWS::IAM::RolePolicy"


def test_applying_the_same_fix_twice_changes_nothing() -> None:
    snap = snapshot()
    text = error_text("GetObject", "data-bucket", "a/b.txt")
    _, (fix,) = _fixes(snap, text)
    once = apply_patches(snap, fix.patches)
    (req,) = parse_text(text).requests
    # Proposed again against the patched account, the same Sid is replaced in place, not appended.
    from bot.fixes.targets import merge as _merge

    statement = fix.patches[0].document["Statement"][-1]
    doc = once["principal"]["calls"]["RolePolicies"]["s3why-fixes"]["PolicyDocument"]
    assert _merge(doc, statement) == doc
    assert diagnose(req, account_view(once), AFTER).decision == "allow"


def test_cross_account_fix_sets_both_sides() -> None:
    snap = snapshot(owner=OTHER)
    d, fixes = _fixes(snap, error_text("GetObject", "data-bucket", "a/b.txt"))
    assert d.root_causes[0].layer.value in ("identity", "bucket-policy")
    bucket_fix = next(f for f in fixes if f.id == "bucket-allow")
    kinds = sorted(p.kind for p in bucket_fix.patches)
    assert kinds == ["bucket-policy", "iam-policy"]
    grant = next(p for p in bucket_fix.patches if p.kind == "bucket-policy").document["Statement"][-1]
    assert grant["Principal"] == {"AWS": ROLE}
    assert bucket_fix.verified and bucket_fix.risk == "medium"


def test_a_fix_that_would_pass_the_size_limit_is_not_shown_as_verified() -> None:
    filler = [{"Sid": f"Pad{i}", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:role/r{i}"}, "Action": "s3:GetObject",
               "Resource": f"arn:aws:s3:::data-bucket/{'x' * 120}/{i}"} for i in range(95)]  # fmt: skip
    snap = snapshot(owner=OTHER, bucket_policy={"Version": "2012-10-17", "Statement": filler})
    _, fixes = _fixes(snap, error_text("GetObject", "data-bucket", "a/b.txt"))
    bucket_fix = next(f for f in fixes if f.id == "bucket-allow")
    assert not bucket_fix.verified
    assert "split it" in bucket_fix.reason


def test_explicit_denies_are_never_fixed_automatically_but_request_changes_are_verified() -> None:
    deny = {"Version": "2012-10-17", "Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::data-bucket/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}  # fmt: skip
    identity = [
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    ]
    snap = snapshot(identity=identity, bucket_policy=deny)
    options = DiagnoseOptions(principal=SESSION, context={"aws:SecureTransport": ("false",)})
    _, (fix,) = _fixes(snap, error_text("GetObject", "data-bucket", "a/b.txt"), options)
    assert fix.never_automatic and "never removes" in fix.never_automatic
    assert all(p.kind == "request-change" and p.document is None for p in fix.patches)
    assert fix.patches[0].commands == ["send the request over HTTPS"]
    assert fix.verified and fix.risk == "low"


def test_catalogue_entries_are_validated_at_load(tmp_path: Path) -> None:
    assert {"identity-allow", "bucket-allow", "kms-key-allow", "vpce-allow"} <= set(catalogue())
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nlayer: identity\ntitle: t\nrisk: extreme\nexplanation: e\nwhen: {}\n")
    with pytest.raises(CatalogueError, match="risk"):
        _entry(bad)
    bad.write_text("id: x\nlayer: identity\ntitle: t\nrisk: low\nexplanation: e\nwhen: {}\n")
    with pytest.raises(CatalogueError, match="never_automatic"):
        _entry(bad)


HOSTILE = st.lists(
    st.sampled_from([*"ab\"'\\\n{}%$é😀 /*?", "{{", "}}", "${aws:username}", "{% raw %}"]), min_size=1, max_size=12
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=HOSTILE)
def test_documents_stay_exact_and_valid_for_hostile_keys(key: str) -> None:
    snap = snapshot(key=key)
    (req,) = parse_text(error_text("GetObject", "data-bucket", "k")).requests
    from dataclasses import replace

    req = replace(req, key=key)
    d = diagnose(req, account_view(snap), OPTIONS)
    fixes = propose_fixes(req, snap, OPTIONS, d)
    assert fixes, d.to_json()
    for fix in fixes:
        for patch in [p for choice in fix.scopes for p in choice.patches] or fix.patches:
            if patch.document is None:
                continue
            assert json.loads(json.dumps(patch.document)) == patch.document
            parse_policy(patch.document, name="fix", kind=PolicyKind.IDENTITY)
            argv = shlex.split(patch.commands[0])
            assert json.loads(argv[-1]) == patch.document  # the shell command carries the exact document
    # The object scope matches exactly this key: a wildcard or a variable in the name stays literal.
    chosen = [f.with_scope("object") for f in fixes]
    patched = apply_patches(snap, [p for f in chosen if f.verified for p in f.patches])
    assert diagnose(req, account_view(patched), AFTER).decision == "allow"
    sibling = key.replace("*", "zz").replace("?", "q").replace("${aws:username}", "app")
    if sibling == key:
        sibling = key + "-x"
    assert diagnose(replace(req, key=sibling), account_view(patched), AFTER).decision != "allow"


ACTIONS = {"GetObject": "s3:GetObject", "PutObject": "s3:PutObject", "DeleteObject": "s3:DeleteObject"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    missing=st.sampled_from(sorted(ACTIONS)),
    granted=st.sets(st.sampled_from(sorted(ACTIONS))),
    cross=st.booleans(),
)
def test_verified_fixes_allow_exactly_the_request(missing: str, granted: set[str], cross: bool) -> None:
    granted.discard(missing)
    identity = (
        [
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [ACTIONS[a] for a in sorted(granted)],
                        "Resource": "arn:aws:s3:::data-bucket/*",
                    }
                ],
            }
        ]
        if granted
        else []
    )
    snap = snapshot(identity=identity, owner=OTHER if cross else OWN)
    text = error_text(missing, "data-bucket", "a/b.txt")
    _, fixes = _fixes(snap, text)
    verified = [f for f in fixes if f.verified and not f.never_automatic]
    assert verified
    patched = apply_patches(snap, [p for f in verified for p in f.patches])
    assert _decision(patched, text) == "allow"
    # Nothing neighbouring changes: other actions, other objects, other buckets, other principals.
    for op in ACTIONS:
        if op != missing:
            t = error_text(op, "data-bucket", "a/b.txt")
            assert _decision(patched, t) == _decision(snap, t), op
    # The default scope is the prefix: the next object of the workload works, one outside the prefix does not.
    assert _decision(patched, error_text(missing, "data-bucket", "a/other.txt")) == "allow"
    for t in (error_text(missing, "data-bucket", "b.txt"), error_text(missing, "data-bucket", "ab/c.txt")):
        assert _decision(patched, t) == _decision(snap, t)
    other_principal = f"arn:aws:iam::{OWN}:role/someone-else"
    stripped = {k: v for k, v in patched.items() if k != "principal"}
    before = {k: v for k, v in snap.items() if k != "principal"}
    assert _decision(stripped, text, other_principal) == _decision(before, text, other_principal)


def test_diagnose_cli_prints_fixes_in_json_and_text(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot()))
    text = error_text("PutObject", "data-bucket", "a/b.txt")
    base = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), "--principal", SESSION]
    out = subprocess.run([*base, "--json"], input=text, capture_output=True, text=True, check=True)
    (d,) = json.loads(out.stdout)["diagnoses"]
    (fix,) = d["fixes"]
    assert set(fix) == {"id", "layer", "risk", "verified", "patches"}
    assert set(fix["patches"][0]) == {"target", "kind", "document", "commands"}
    assert fix["verified"] is True
    shown = subprocess.run(base, input=text, capture_output=True, text=True, check=True).stdout
    assert (
        "Fixes" in shown and "[low risk, verified]" in shown and "+" in shown and "$ aws iam put-role-policy" in shown
    )
    tf = subprocess.run(
        [*base, "--fix-format", "terraform"], input=text, capture_output=True, text=True, check=True
    ).stdout
    assert 'resource "aws_iam_role_policy"' in tf
