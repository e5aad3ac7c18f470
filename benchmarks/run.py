"""s3why's benchmarks: one command, one table. `python -m benchmarks.run` (or `scripts/bench`).

Each figure is the median of several timed rounds on this machine; nothing here is a test.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from benchmarks.parse_corpus import (
    TARGET_STATED_RATE,
    TARGET_WRONG_WHEN_SILENT_RATE,
    load_corpus,
    messages_per_second,
    score_corpus,
)
from benchmarks.workloads import generated_cases, realistic_case, slack_message_40k
from bot.parse import parse_text
from bot.simulate_cli import _PolicyCache, case_from_json

Row = tuple[str, str, str]


def _median_seconds(fn: Callable[[], object], *, rounds: int = 7, inner: int = 1) -> float:
    fn()  # warm up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def bench_parse() -> list[Row]:
    from tests.conftest import FIXTURES, SHARED, load_jsonl

    big = slack_message_40k()
    worst = _median_seconds(lambda: parse_text(big), rounds=9)
    texts = [s["text"] for s in load_jsonl(SHARED / "samples" / "errors.jsonl")]
    texts += [s["text"] for s in load_jsonl(FIXTURES / "errors_own.jsonl")]
    per_batch = _median_seconds(lambda: [parse_text(t) for t in texts], rounds=7)
    corpus = load_corpus()
    score = score_corpus(corpus)
    t = score.total
    return [
        ("parse", "40,000-character Slack message", f"{worst * 1000:.1f} ms"),
        ("parse", f"real pasted errors ({len(texts)} samples)", f"{len(texts) / per_batch:,.0f} messages/s"),
        ("parse", f"corpus of real pastes ({t.texts} texts)", f"{messages_per_second(corpus):,.0f} messages/s"),
        (
            "parse",
            f"corpus: stated fields extracted (target {TARGET_STATED_RATE:.0%}; known misses count)",
            f"{t.stated_hit}/{t.stated} = {t.stated_rate:.1%}",
        ),
        (
            "parse",
            f"corpus: silent fields given a value (target <= {TARGET_WRONG_WHEN_SILENT_RATE:.0%})",
            f"{t.silent_wrong}/{t.silent} = {t.wrong_when_silent_rate:.1%}",
        ),
    ]


def bench_engine() -> list[Row]:
    from bot.engine import evaluate

    cache = _PolicyCache()
    request, policies = case_from_json(realistic_case(), 0, cache)
    n = 2000
    per = _median_seconds(lambda: [evaluate(request, policies) for _ in range(n)], rounds=5) / n
    cases = [case_from_json(c, i, cache) for i, c in enumerate(generated_cases(3000))]
    varied = _median_seconds(lambda: [evaluate(r, p) for r, p in cases], rounds=5) / len(cases)
    return [
        (
            "engine",
            "realistic set (3 identity, boundary, 2 SCP levels, 30-stmt bucket policy)",
            f"{1 / per:,.0f} evaluations/s",
        ),
        ("engine", "3,000 generated requests over that set, in process", f"{1 / varied:,.0f} evaluations/s"),
    ]


def main() -> int:
    rows: list[Row] = []
    from benchmarks.collect import bench_collect
    from benchmarks.diagnose import bench_diagnose
    from benchmarks.field import bench_field
    from benchmarks.memory import bench_memory
    from benchmarks.rounds import bench_rounds
    from benchmarks.slack import bench_slack
    from benchmarks.startup import bench_demo, bench_startup
    from benchmarks.versus import bench_versus

    for bench in (
        bench_demo,
        bench_rounds,
        bench_startup,
        bench_versus,
        bench_parse,
        bench_engine,
        bench_collect,
        bench_diagnose,
        bench_field,
        bench_slack,
        bench_memory,
    ):
        rows.extend(bench())
    widths = [max(len(r[i]) for r in [("area", "what", "figure"), *rows]) for i in range(3)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(("area", "what", "figure"), widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
