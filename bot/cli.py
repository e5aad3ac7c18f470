"""The `s3why` command line (CONTRACT.md). Thin: read input, call the core, render, pick the exit status."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot import __version__
from bot.errors import S3whyError, UsageError
from bot.render import dumps, parse_text_report

MAX_STDIN_BYTES = 8 * 1024 * 1024


def _read_text(arg: str | None) -> str:
    """The TEXT argument, or standard input when it is absent or `-`."""
    if arg is not None and arg != "-":
        return arg
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no text given: pass the error as an argument or pipe it on standard input")
    data = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
    if len(data) > MAX_STDIN_BYTES:
        raise UsageError(f"standard input is larger than {MAX_STDIN_BYTES // (1024 * 1024)} MiB; paste the error only")
    return data.decode("utf-8-sig", errors="replace")


def _cmd_parse(args: argparse.Namespace) -> int:
    from bot.parse import parse_text

    text = _read_text(args.text)
    if not text.strip():
        raise UsageError("the text is empty: paste the error message")
    result = parse_text(text)
    if any(w.kind == "binary" for w in result.warnings):
        raise UsageError("the input looks like binary data, not an error message")
    if args.json:
        sys.stdout.write(dumps(result.to_json()) + "\n")
    else:
        sys.stdout.write(parse_text_report(result))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from bot.simulate_cli import run_simulate

    return run_simulate(args)


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from bot.diagnose_cli import run_diagnose

    text = _read_text(args.text)
    if not text.strip():
        raise UsageError("the text is empty: paste the error message")
    return run_diagnose(args, text)


def _cmd_serve(args: argparse.Namespace) -> int:
    from bot.slack.server import serve

    return serve(args.port)


def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo.run import run_demo, run_demo_slack

    if args.slack:
        return run_demo_slack(only=args.scenario, port=args.port)
    return run_demo(only=args.scenario, as_json=args.json)


def _cmd_config_check(args: argparse.Namespace) -> int:
    from bot.config_cli import run_config_check

    return run_config_check(args)


def _cmd_audit(args: argparse.Namespace) -> int:
    import json

    import redis

    from bot.approve.store import PatchStore
    from bot.cache import redis_client

    url = os.environ.get("REDIS_URL")
    if not url:
        raise UsageError("s3why audit reads the audit stream in Redis: set REDIS_URL")
    try:
        entries = PatchStore(redis_client(url)).audit_entries(count=args.limit)
    except redis.RedisError as exc:
        raise UsageError(f"cannot read the audit stream at REDIS_URL ({type(exc).__name__})") from None
    if args.json:
        print(json.dumps({"entries": entries}, indent=2))
        return 0
    if not entries:
        print("no audit entries")
    for e in entries:
        line = f"{e.get('at', '')}  {e.get('action', ''):<12} {e.get('actor') or '-':<12} {e.get('accounts', '')}  "
        print(line + f"{e.get('targets', '')}  {e.get('fix', '')}".rstrip())
        if args.diffs and e.get("diff"):
            print("    " + e["diff"].replace("\n", "\n    "))
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from bot.account_cli import run_snapshot

    return run_snapshot(args, _read_text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="s3why",
        description="Explain S3 Access Denied errors, layer by layer, and propose verified fixes.",
    )
    parser.add_argument("--version", action="version", version=f"s3why {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("parse", help="parse pasted text into the denied requests it describes")
    p.add_argument("text", nargs="?", metavar="TEXT", help="the pasted text (default: standard input)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=_cmd_parse)

    from bot.simulate_cli import add_simulate_arguments

    s = sub.add_parser("simulate", help="evaluate one request (or --cases) against policy files")
    add_simulate_arguments(s)
    s.set_defaults(func=_cmd_simulate)

    from bot.account_cli import add_snapshot_arguments

    snap = sub.add_parser("snapshot", help="record the account data a diagnosis reads, for offline use")
    add_snapshot_arguments(snap)
    snap.set_defaults(func=_cmd_snapshot)

    from bot.diagnose_cli import add_diagnose_arguments

    diag = sub.add_parser("diagnose", help="parse, collect and diagnose a denied request")
    add_diagnose_arguments(diag)
    diag.set_defaults(func=_cmd_diagnose)

    srv = sub.add_parser("serve", help="run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP)")
    srv.add_argument("--port", type=int, default=3000)
    srv.set_defaults(func=_cmd_serve)

    conf = sub.add_parser("config", help="check the configuration file (S3WHY_CONFIG)")
    conf_sub = conf.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = conf_sub.add_parser("check", help="validate FILE (default S3WHY_CONFIG) and print it as s3why uses it")
    check.add_argument("file", nargs="?", metavar="FILE", help="the configuration file (default: S3WHY_CONFIG)")
    check.add_argument("--json", action="store_true", help="print one JSON document")
    check.set_defaults(func=_cmd_config_check)

    aud = sub.add_parser("audit", help="list proposals, approvals, applies, failures and rollbacks (REDIS_URL)")
    aud.add_argument("--limit", type=int, default=1000, help="at most this many entries, oldest first")
    aud.add_argument("--diffs", action="store_true", help="show each change's diff")
    aud.add_argument("--json", action="store_true", help="print JSON")
    aud.set_defaults(func=_cmd_audit)

    demo = sub.add_parser("demo", help="the whole pipeline on an emulated AWS account (no Slack, AWS or Redis)")
    demo.add_argument("--scenario", help="only the scenarios whose name contains this")
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.add_argument(
        "--slack",
        action="store_true",
        help="serve one setup's emulated account behind the Slack app (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET; "
        "SLACK_APP_TOKEN for Socket Mode, else HTTP on --port)",
    )
    demo.add_argument("--port", type=int, default=3000, help="HTTP port for --slack without SLACK_APP_TOKEN")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except S3whyError as exc:
        print(f"s3why: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("s3why: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: never a traceback for a user
        print(f"s3why: internal error ({type(exc).__name__}); please report it", file=sys.stderr)
        if os.environ.get("S3WHY_DEBUG"):
            raise
        return 1
