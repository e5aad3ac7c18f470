"""The field corpus: every case in tests/field/cases is one test (layer, decision and fix-check).

A case s3why cannot get right yet carries a visible `known_gap: REASON`: it runs as a strict xfail with that
reason (it fails loudly once it passes, so the gap is then removed) and counts as a failure in the figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.field.case import Case, load_case
from bot.field.runner import run_case

CASES = Path(__file__).parent / "cases"
_PATHS = sorted(CASES.glob("*.yaml"))


def _param(path: Path) -> object:
    case = load_case(path)
    marks = [pytest.mark.xfail(strict=True, reason=f"known gap: {case.known_gap}")] if case.known_gap else []
    return pytest.param(case, id=case.id, marks=marks)


def test_the_corpus_is_not_empty() -> None:
    assert len(_PATHS) >= 1


@pytest.mark.parametrize("case", [_param(p) for p in _PATHS])
def test_field_case(case: Case) -> None:
    r = run_case(case)
    wrong = []
    if not r.layer_ok:
        wrong.append(f"layer {r.layer}, expected {case.expected.layer}")
    if not r.decision_ok:
        wrong.append(f"decision {r.decision}, expected {case.expected.decision.value}")
    if not r.fix_ok:
        wrong.append(f"fix {r.fix.value}: {r.fix_reason}")
    assert not wrong, f"{case.id} ({case.source}): " + "; ".join(wrong)
