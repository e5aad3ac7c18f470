"""`simulate --cases` evaluates a repeated request once: each result still names its own case, errors still say
which case, and the answers equal those of evaluating every case on its own."""

from __future__ import annotations

import json
from typing import Any

import orjson

from bot.simulate_cli import CaseResults, _PolicyCache
from tests.engine.support import ALICE, doc, stmt


def _case(action: str = "s3:GetObject", **extra: Any) -> dict[str, Any]:
    return {
        "principal": ALICE,
        "action": action,
        "resource": "arn:aws:s3:::b/k",
        "identity_policies": [doc(stmt())],
        "resource_policy": doc(stmt("Deny", Principal="*", Condition={"Bool": {"aws:SecureTransport": "false"}})),
        **extra,
    }


def _results(cases: list[Any]) -> list[dict[str, Any]]:
    out = CaseResults(_PolicyCache())
    for i, c in enumerate(cases):
        out.add(i, c)
    return [json.loads(j) for j in out.json]


def test_a_repeated_case_names_its_own_index_and_equals_evaluating_it_alone() -> None:
    deny = _case(context={"aws:SecureTransport": "false"})
    cases = [deny, _case(), deny, _case("s3:PutObject"), deny]
    got = _results(cases)
    assert [r["decision"] for r in got] == ["explicit-deny", "allow", "explicit-deny", "implicit-deny", "explicit-deny"]
    for i in (0, 2, 4):
        names = {s["policy"] for layer in got[i]["layers"] for s in layer["statements"]}
        assert names and all(n.startswith(f"case {i}.") for n in names), names
    fresh = CaseResults(_PolicyCache())
    fresh.add(4, deny)
    assert got[4] == json.loads(fresh.json[0])


def test_a_repeated_bad_case_names_each_index() -> None:
    bad = {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "identity_policies": [7]}
    out = CaseResults(_PolicyCache())
    for i in range(2):
        out.add(i, bad)
    assert [i for i, _ in out.errors] == [0, 1]
    assert out.errors[0][1].startswith("case 0") and out.errors[1][1].startswith("case 1")
    refused = str(out.refusal())
    assert "\x00" not in refused and refused.endswith("(and 1 more case: 1)")


def test_a_case_holding_a_nul_is_evaluated_on_its_own() -> None:
    odd = _case(context={"aws:SecureTransport": "true", "aws:userid": "a\x00case\x00b"})
    got = _results([odd, odd])
    assert got[0]["decision"] == got[1]["decision"] == "allow"
    assert b"\\u0000" in orjson.dumps(odd)
