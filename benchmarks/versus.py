"""`s3why simulate --cases` against @cloud-copilot/iam-simulate on the same 3,000 generated cases, both as whole
processes (start, read, evaluate, print), wall-clock and CPU time (user + system, from the kernel's accounting of
each child process: steadier than wall-clock on a shared machine).

iam-simulate is AGPL: it is installed (`npm install --no-save`, as scripts/crosscheck does) and run only here, as
a separate process; none of its code is part of s3why. Without node (or without the npm registry) only s3why's
figures are printed.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.workloads import generated_cases

ROOT = Path(__file__).resolve().parent.parent
CROSSCHECK = ROOT / "scripts" / "crosscheck"
PACKAGE = CROSSCHECK / "node_modules" / "@cloud-copilot" / "iam-simulate"
CASES = 3000
Row = tuple[str, str, str]


def _timed(cmd: list[str], *, cwd: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `cmd`, its output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(cmd: list[str], runs: int, *, cwd: Path | None = None) -> tuple[float, float]:
    samples = [_timed(cmd, cwd=cwd) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def iam_simulate_available() -> str | None:
    """None when iam-simulate can run here; otherwise why not (installing it first when npm can)."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not PACKAGE.exists():
        if shutil.which("npm") is None:
            return "npm is not installed"
        done = subprocess.run(
            ["npm", "install", "--no-save", "--no-audit", "--no-fund", "@cloud-copilot/iam-simulate"],
            cwd=CROSSCHECK,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not PACKAGE.exists():
            return "npm could not install @cloud-copilot/iam-simulate"
    return None


def repeated_cases(distinct: int = 300, times: int = 10) -> list[dict[str, object]]:
    """`distinct` generated S3 requests, each `times` times, in a shuffled order (issue 23's workload: a watch
    burst asks the engine the same few questions again and again)."""
    import random

    cases = [c for c in generated_cases(distinct, seed=23) for _ in range(times)]
    random.Random(23).shuffle(cases)
    return cases


def bench_versus(runs: int = 3) -> list[Row]:
    rows = _versus(generated_cases(CASES), f"{CASES:,} generated cases", runs)
    return rows + _versus(repeated_cases(), "300 distinct generated requests x 10", runs)


def _versus(cases: list[dict[str, object]], what: str, runs: int) -> list[Row]:
    n = len(cases)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.json"
        path.write_text(json.dumps(cases))
        size = path.stat().st_size / 1e6
        command = [sys.executable, "-m", "bot", "simulate", "--cases", str(path), "--json"]
        ours = _median(command, runs, cwd=ROOT)
        rows: list[Row] = [
            (
                "simulate --cases",
                f"s3why: {what} ({size:.0f} MB of JSON), whole process",
                f"{ours[0]:.2f} s wall, {ours[1]:.2f} s CPU = {n / ours[0]:,.0f} cases/s",
            )
        ]
        why_not = iam_simulate_available()
        if why_not is not None:
            rows.append(("simulate --cases", "@cloud-copilot/iam-simulate on the same cases", f"not run: {why_not}"))
            return rows
        theirs = _median(["node", "run.mjs", str(path)], max(1, runs - 1), cwd=CROSSCHECK)
    rows += [
        (
            "simulate --cases",
            f"@cloud-copilot/iam-simulate (node) on the same {what}, whole process",
            f"{theirs[0]:.2f} s wall, {theirs[1]:.2f} s CPU = {n / theirs[0]:,.0f} cases/s",
        ),
        (
            "simulate --cases",
            f"s3why's speed over iam-simulate's, {what} (wall-clock; CPU time)",
            f"{theirs[0] / ours[0]:.1f}x; {theirs[1] / ours[1]:.1f}x",
        ),
    ]
    return rows


if __name__ == "__main__":
    for row in bench_versus():
        print(" | ".join(row))
