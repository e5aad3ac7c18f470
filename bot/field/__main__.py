"""`python -m bot.field build CASE.yaml` prints the compiled snapshot; `python -m bot.field run CASE.yaml...`
prints s3why's result on each case; `python -m bot.field record CASE.yaml...` writes each case's `first_result`
(only where it has none: a first result is never rewritten)."""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from pathlib import Path

from bot.account.snapshot import dump_snapshot
from bot.errors import UsageError
from bot.field.build import compile_account
from bot.field.case import load_case
from bot.field.runner import CaseResult, run_case


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def first_result_block(result: CaseResult, commit: str, today: datetime.date) -> str:
    layer = result.layer if result.layer is not None else "null"
    return (
        "first_result:\n"
        f"  date: {today.isoformat()}\n"
        f'  commit: "{commit}"\n'
        f"  layer: {layer}\n"
        f"  decision: {result.decision}\n"
        f"  fix: {result.fix.value}\n"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bot.field")
    p.add_argument("command", choices=("build", "run", "record"))
    p.add_argument("cases", nargs="+", type=Path)
    args = p.parse_args(argv)
    try:
        cases = [(path, load_case(path)) for path in args.cases]
        if args.command == "build":
            for _, case in cases:
                sys.stdout.write(dump_snapshot(compile_account(case)) + "\n")
            return 0
        commit, today = _commit(), datetime.datetime.now(datetime.UTC).date()
        for path, case in cases:
            r = run_case(case)
            marks = "".join("ok " if ok else "NO " for ok in (r.layer_ok, r.decision_ok, r.fix_ok))
            print(f"{marks} {case.id}: {r.layer} {r.decision} fix={r.fix.value} ({r.fix_reason})")
            if args.command == "record" and case.first_result is None:
                text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
                path.write_text(text + first_result_block(r, commit, today), encoding="utf-8")
    except UsageError as exc:
        print(f"s3why field: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
