"""CLI start-up and the demo: whole processes, timed from outside (median of several runs)."""

from __future__ import annotations

import hashlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Row = tuple[str, str, str]


def _median_wall(cmd: list[str], *, runs: int, stdin: str | None = None) -> tuple[float, float]:
    """Median (wall seconds, CPU seconds: user + system, the kernel's count for the child) of `runs` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, input=stdin, text=True, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def bench_startup(runs: int = 9) -> list[Row]:
    """`s3why parse` and `s3why simulate` on one small input: start, import, work, print, exit."""
    text = (ROOT / "bot" / "data" / "sample_error.txt").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp) / "p.json"
        policy.write_text(
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
        )
        bare = _median_wall([sys.executable, "-c", "pass"], runs=runs)
        parse = _median_wall([sys.executable, "-m", "bot", "parse", "--json"], runs=runs, stdin=text)
        simulate = _median_wall(
            [sys.executable, "-m", "bot", "simulate", "--principal", "arn:aws:iam::111122223333:user/a",
             "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k", "--identity-policy", str(policy), "--json"],
            runs=runs,
        )  # fmt: skip
    return [
        (
            "cli start",
            "`s3why parse --json` on one pasted error, whole process (wall; CPU)",
            f"{parse[0]:.2f} s; {parse[1]:.2f} s",
        ),
        (
            "cli start",
            "`s3why simulate --json` on one request and one policy, whole process (wall; CPU)",
            f"{simulate[0]:.2f} s; {simulate[1]:.2f} s",
        ),
        ("cli start", "the bare interpreter, `python -c pass` (wall; CPU)", f"{bare[0]:.2f} s; {bare[1]:.2f} s"),
    ]


def _installed() -> bool:
    """Whether scripts/demo's install step is done for this tree (its stamp: pyproject.toml and constraints)."""
    stamp = ROOT / ".venv" / ".s3why-installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes())
    return stamp.exists() and stamp.read_text().strip() == want.hexdigest()


def bench_demo() -> list[Row]:
    """`scripts/demo`, warm (installed): every setup built, diagnosed, fixed and checked again."""
    cmd = ["bash", str(ROOT / "scripts" / "demo")]
    if not _installed():  # a run that installs first is not the figure
        subprocess.run(cmd, check=False, capture_output=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, check=False, capture_output=True, text=True)
    took = time.perf_counter() - start
    what = "`scripts/demo`, warm: every setup built, diagnosed, fixed and checked again, end to end"
    if done.returncode != 0:
        return [("demo", what, f"failed (exit {done.returncode}) after {took:.0f} s")]
    return [("demo", what, f"{took:.0f} s")]
