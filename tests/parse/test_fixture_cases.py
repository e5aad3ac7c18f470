"""Real-shaped pastes under tests/fixtures/parse/*.jsonl parse to exactly the fields each case states.

Each line: {"id": ..., "source": where the shape comes from, "text": the paste, "expected": {key: value}}; keys
are those of `s3why parse --json` (lists for tuples). A case may also say "requests": N (default 1).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.parse import parse_text
from tests.conftest import FIXTURES, load_jsonl

CASE_FILES = sorted((FIXTURES / "parse").glob("*.jsonl"))
CASES = [case for path in CASE_FILES for case in load_jsonl(path)]


def test_fixture_case_files_are_present() -> None:
    assert len(CASE_FILES) >= 1 and len(CASES) >= 8


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_paste_parses_to_its_expected_fields(case: dict[str, Any]) -> None:
    result = parse_text(case["text"])
    assert len(result.requests) == case.get("requests", 1), [r.to_json() for r in result.requests]
    got = result.requests[0].to_json()
    mismatched = {k: (got.get(k, "<missing>"), v) for k, v in case["expected"].items() if got.get(k, "<missing>") != v}
    assert not mismatched, f"{case['id']}: (got, expected) {mismatched}"
