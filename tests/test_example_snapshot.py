"""docs/example-snapshot.json: valid by docs/snapshot.schema.json, diagnosable offline, complete by the schema's
own rule (`x-s3why-collected`), and each call that rule names is needed: without it the fact is "not collected"."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.account.view import UNKNOWN, account_view
from bot.diagnose import DiagnoseOptions, diagnose
from bot.parse import parse_text

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCHEMA = json.loads((DOCS / "snapshot.schema.json").read_text())
EXAMPLE = json.loads((DOCS / "example-snapshot.json").read_text())
SESSION = "arn:aws:sts::123456789012:assumed-role/app/run-1"
PASTE = (
    "download failed: s3://enc-data/x.csv to ./x.csv An error occurred (AccessDenied) when calling the GetObject "
    "operation: Access Denied"
)


def _diagnose(snapshot: dict[str, Any]) -> Any:
    request = parse_text(PASTE).requests[0]
    return diagnose(request, account_view(snapshot), DiagnoseOptions(principal=SESSION))


def test_the_example_is_valid_by_the_schema() -> None:
    jsonschema.validate(EXAMPLE, SCHEMA)


def test_the_example_diagnoses_offline_with_nothing_unknown() -> None:
    d = _diagnose(EXAMPLE)
    assert d.decision == "implicit-deny" and d.root_causes[0].layer.value == "kms"
    assert [r.layer.value for r in d.layers if r.verdict == "unknown"] == []
    assert account_view(EXAMPLE).unknowns() == []


def test_the_example_holds_every_call_the_schema_says_makes_it_collected() -> None:
    rules = SCHEMA["properties"]
    role = [c for c in rules["principal"]["x-s3why-collected"]["role"] if c.isalnum()]
    assert set(role) <= set(EXAMPLE["principal"]["calls"])
    bucket = rules["bucket"]["x-s3why-collected"]
    assert set(bucket["calls"]) <= set(EXAMPLE["bucket"]["calls"])
    assert set(bucket["account_calls"]) <= set(EXAMPLE["bucket"]["account_calls"])
    assert set(bucket["object.calls"]) <= set(EXAMPLE["bucket"]["object"]["calls"])
    for key in EXAMPLE["kms"].values():
        assert set(rules["kms"]["x-s3why-collected"]) <= set(key["calls"])


def _without(path: tuple[str, ...], call: str) -> dict[str, Any]:
    snap: dict[str, Any] = copy.deepcopy(EXAMPLE)
    node: Any = snap
    for part in path:
        node = node[part] if part != "*" else next(iter(node.values()))
    del node[call]
    return snap


BUCKET_RULES = SCHEMA["properties"]["bucket"]["x-s3why-collected"]


@pytest.mark.parametrize("call", BUCKET_RULES["calls"])
def test_a_bucket_call_left_out_is_not_collected(call: str) -> None:
    fact = account_view(_without(("bucket", "calls"), call)).bucket
    assert fact is not None
    assert fact.get(call).status == UNKNOWN and "not collected" in fact.get(call).detail


@pytest.mark.parametrize("call", SCHEMA["properties"]["kms"]["x-s3why-collected"])
def test_a_key_call_left_out_is_not_collected(call: str) -> None:
    key = next(iter(account_view(_without(("kms", "*", "calls"), call)).keys.values()))
    fact = {"DescribeKey": key.metadata, "GetKeyPolicy": key.policy, "ListGrants": key.grants}[call]
    assert fact.status == UNKNOWN and "not collected" in fact.detail


@pytest.mark.parametrize(("path", "call", "layer"), [
    (("bucket", "calls"), "GetBucketPolicy", "bucket-policy"),
    (("kms", "*", "calls"), "GetKeyPolicy", "kms"),
    (("principal", "calls"), "ListRolePolicies", "identity"),
    (("bucket", "object", "calls"), "HeadObject", "kms"),
])  # fmt: skip
def test_a_needed_call_left_out_makes_the_answer_unknown(path: tuple[str, ...], call: str, layer: str) -> None:
    d = _diagnose(_without(path, call))
    assert d.decision == "unknown" or d.layers[[r.layer.value for r in d.layers].index(layer)].verdict == "unknown"
    assert d.decision != "allow"
