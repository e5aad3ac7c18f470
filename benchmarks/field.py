"""The field corpus's figures: s3why's layer, decision and fix accuracy on tests/field/cases, and the same figures
from each case's recorded first result (before any change made for it). `python -m benchmarks.field` prints the
per-case table too; `scripts/bench` prints the summary rows."""

from __future__ import annotations

from pathlib import Path

from bot.field.runner import Accuracy, accuracy, first_run_accuracy, run_corpus

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "field" / "cases"
Row = tuple[str, str, str]


def _pct(n: int, of: int) -> str:
    return f"{n}/{of} ({100 * n / of:.0f}%)" if of else "0/0"


def _rows(what: str, a: Accuracy) -> list[Row]:
    return [
        ("field", f"{what}: top layer right", _pct(a.layer, a.cases)),
        ("field", f"{what}: decision right", _pct(a.decision, a.cases)),
        ("field", f"{what}: first fix passes the fix-check", _pct(a.fix, a.cases)),
        ("field", f"{what}: all three right", _pct(a.all_three, a.cases)),
    ]


def bench_field() -> list[Row]:
    results = run_corpus(CORPUS)
    gaps = sum(1 for case, _ in results if case.known_gap)
    now = accuracy([r for _, r in results])
    first = first_run_accuracy([case for case, _ in results])
    return _rows(f"corpus now ({now.cases} cases, {gaps} known gaps)", now) + _rows(
        f"first runs ({first.cases} cases, before changes made for them)", first
    )


def main() -> int:
    results = run_corpus(CORPUS)
    for case, r in results:
        marks = " ".join("ok" if ok else "NO" for ok in (r.layer_ok, r.decision_ok, r.fix_ok))
        gap = f"  [known gap: {case.known_gap}]" if case.known_gap else ""
        print(f"{marks}  {case.id}: {r.layer} / {r.decision} / fix {r.fix.value}{gap}")
    for area, what, figure in bench_field():
        print(f"{area}  {what}: {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
