"""Each broken setup, diagnosed live against moto in server mode and again from the snapshot of that account
(through `s3why diagnose --snapshot --json`): the expected root cause comes first both times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.account.target import target_for
from bot.account.view import account_view
from bot.cache import MemoryCache
from bot.config import Config
from bot.demo.scenarios import SCENARIOS, Names, Scenario, fmt
from bot.diagnose import DiagnoseOptions, diagnose
from bot.layers import LayerId
from bot.parse import parse_text

CONTRACT_LAYERS = {layer.value for layer in LayerId}


def _config(s: Scenario, names: Names) -> Config:
    return s.config(names)


def _patcher(s: Scenario, names: Names) -> Any:
    return s.client_hook(names)


def _fmt(value: str, names: Names) -> str:
    return fmt(value, names)


def _run_live(s: Scenario) -> tuple[Any, dict[str, Any], Names]:
    names = s.seed()
    config = _config(s, names)
    collector = Collector(SessionProvider(config, client_hook=_patcher(s, names)), MemoryCache())
    (req,) = parse_text(_fmt(s.text, names)).requests
    context: dict[str, tuple[str, ...]] = {k: (_fmt(v, names),) for k, v in s.context.items()}
    principal = _fmt(s.principal, names) if s.principal else None
    target = target_for(
        req,
        principal=principal,
        vpce_id=context.get("aws:SourceVpce", (None,))[0],
        version_id=context.get("s3:versionid", (None,))[0],
    )
    snapshot = collector.collect(target)
    result = diagnose(
        req,
        account_view(snapshot),
        DiagnoseOptions(principal=principal, context=context, session_policy=s.session_policy),
    )
    return result, snapshot, names


def _check(s: Scenario, decision: str, causes: list[dict[str, Any]], layers: list[dict[str, Any]]) -> None:
    assert {layer["layer"] for layer in layers} == CONTRACT_LAYERS
    if s.decision in ("allow", "unknown") and not s.layer:
        # Everything s3why reads allows the request the text says was denied: never "allow" (CONTRACT).
        assert decision == "unknown", causes
        assert causes == []
        return
    assert decision in ("implicit-deny", "explicit-deny"), (decision, causes, layers)
    assert causes, layers
    first = causes[0]
    assert first["layer"] == s.layer, causes
    if s.kind is not None:
        assert first["kind"] == s.kind, first
    if s.summary_has is not None:
        assert s.summary_has in first["summary"], first["summary"]
    verdicts = {layer["layer"]: layer["verdict"] for layer in layers}
    assert verdicts[s.layer] in ("deny", "no-allow"), verdicts


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_live(moto: str, scenario: Scenario) -> None:
    result, _, _ = _run_live(scenario)
    data = result.to_json()
    _check(scenario, data["decision"], data["root_causes"], data["layers"])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_from_snapshot(moto: str, scenario: Scenario, tmp_path: Path) -> None:
    _, snapshot, names = _run_live(scenario)
    snap = tmp_path / "snapshot.json"
    snap.write_text(json.dumps(snapshot))
    args = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(snap), "--json"]
    if scenario.principal:
        args += ["--principal", _fmt(scenario.principal, names)]
    for k, v in scenario.context.items():
        args += ["--context", f"{k}={_fmt(v, names)}"]
    if scenario.session_policy is not None:
        policy = tmp_path / "session.json"
        policy.write_text(json.dumps(scenario.session_policy))
        args += ["--session-policy", str(policy)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}  # offline: no AWS at all
    out = subprocess.run(args, input=_fmt(scenario.text, names), capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"diagnoses"}
    (d,) = data["diagnoses"]
    assert set(d) == {"request", "decision", "root_causes", "layers", "fixes"}
    for cause in d["root_causes"]:
        assert set(cause) == {"layer", "kind", "summary", "evidence"}
        assert cause["kind"] in ("explicit", "implicit", "condition", "setting")
    for layer in d["layers"]:
        assert set(layer) == {"layer", "verdict", "detail"}
        assert layer["verdict"] in ("allow", "deny", "no-allow", "not-applicable", "unknown")
    _check(scenario, d["decision"], d["root_causes"], d["layers"])


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.layer], ids=lambda s: s.name)
def test_every_scenario_gets_a_verified_fix_or_a_reason(moto: str, scenario: Scenario) -> None:
    from bot.fixes import propose_fixes
    from bot.fixes.validity import patch_findings

    result, snapshot, names = _run_live(scenario)
    (req,) = parse_text(_fmt(scenario.text, names)).requests
    context: dict[str, tuple[str, ...]] = {k: (_fmt(v, names),) for k, v in scenario.context.items()}
    principal = _fmt(scenario.principal, names) if scenario.principal else None
    options = DiagnoseOptions(principal=principal, context=context, session_policy=scenario.session_policy)
    fixes = propose_fixes(req, snapshot, options, result)
    assert fixes, result.to_json()["root_causes"]
    assert any(f.verified for f in fixes) or all(f.never_automatic for f in fixes), [(f.id, f.reason) for f in fixes]
    for fix in fixes:
        if fix.never_automatic:
            assert len(fix.never_automatic) > 20  # a stated reason, in words
        for patch in fix.patches:
            if patch.kind == "setting":  # a bucket setting (Object Ownership, default encryption): no statements
                assert patch.document and not patch_findings(patch)
            elif patch.document is not None:
                assert "*" not in json.dumps(patch.document["Statement"][-1].get("Action"))  # never s3:* or *
                principal_el = patch.document["Statement"][-1].get("Principal")
                assert principal_el != "*" or patch.document["Statement"][-1].get("Condition")
