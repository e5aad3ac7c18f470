"""The `s3why` command line (CONTRACT.md). Thin: read input, call the core, render, pick the exit status."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from bot import __version__
from bot.errors import S3whyError, UsageError

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
    from bot.render import dumps, parse_text_report

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
    import gc

    from bot.simulate_cli import run_simulate

    # A batch of --cases builds millions of short-lived, acyclic values (the cases file, compiled policies,
    # results): reference counting frees them; the cyclic collector would only rescan them, again and again
    # (about three quarters of the run's time on 3,000 cases). The process ends when the command does.
    gc.disable()
    try:
        return run_simulate(args)
    finally:
        gc.enable()


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from bot.diagnose_cli import run_diagnose

    text = _read_text(args.text)
    if not text.strip():
        raise UsageError("the text is empty: paste the error message")
    return run_diagnose(args, text)


def _cmd_can(args: argparse.Namespace) -> int:
    from bot.can_cli import run_can

    return run_can(args)


def _cmd_watch(args: argparse.Namespace) -> int:
    from bot.watch.cli import run_watch

    return run_watch(args)


def _cmd_serve(args: argparse.Namespace) -> int:
    from bot.slack.server import serve

    return serve(args.port)


def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo.run import run_demo, run_demo_slack

    if args.slack:
        return run_demo_slack(only=args.scenario, port=args.port, approvers=tuple(args.approver or ()))
    return run_demo(only=args.scenario, as_json=args.json, full=args.full)


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


def _parse_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", metavar="TEXT", help="the pasted text (default: standard input)")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def _simulate_arguments(p: argparse.ArgumentParser) -> None:
    from bot.simulate_cli import add_simulate_arguments

    add_simulate_arguments(p)


def _snapshot_arguments(p: argparse.ArgumentParser) -> None:
    from bot.account_cli import add_snapshot_arguments

    add_snapshot_arguments(p)


def _diagnose_arguments(p: argparse.ArgumentParser) -> None:
    from bot.diagnose_cli import add_diagnose_arguments

    add_diagnose_arguments(p)


def _can_arguments(p: argparse.ArgumentParser) -> None:
    from bot.can_cli import add_can_arguments

    add_can_arguments(p)


def _watch_arguments(p: argparse.ArgumentParser) -> None:
    from bot.watch.cli import add_watch_arguments

    add_watch_arguments(p)


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=3000)


def _config_arguments(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate FILE (default S3WHY_CONFIG) and print it as s3why uses it")
    check.add_argument("file", nargs="?", metavar="FILE", help="the configuration file (default: S3WHY_CONFIG)")
    check.add_argument("--json", action="store_true", help="print one JSON document")
    check.set_defaults(func=_cmd_config_check)


def _audit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=1000, help="at most this many entries, oldest first")
    p.add_argument("--diffs", action="store_true", help="show each change's diff")
    p.add_argument("--json", action="store_true", help="print JSON")


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", help="only the scenarios whose name contains this")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--full", action="store_true", help="print each setup's full report (default: a compact answer)")
    p.add_argument(
        "--slack",
        action="store_true",
        help="serve one setup's emulated account behind the Slack app (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET; "
        "SLACK_APP_TOKEN for Socket Mode, else HTTP on --port)",
    )
    p.add_argument("--port", type=int, default=3000, help="HTTP port for --slack without SLACK_APP_TOKEN")
    p.add_argument(
        "--approver",
        action="append",
        metavar="SLACK_ID",
        help="with --slack and REDIS_URL: a Slack user (or user group) id who may approve and roll back the demo's "
        "fixes (repeatable; default S3WHY_DEMO_APPROVERS)",
    )


@dataclass(frozen=True, slots=True)
class Command:
    """One subcommand. `arguments` and `run` import what the command needs when they are called, so a command
    starts without loading the others' dependencies (boto3, Bolt, Jinja, Redis, moto)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: tuple[Command, ...] = (
    Command("parse", "parse pasted text into the denied requests it describes", _parse_arguments, _cmd_parse),
    Command("simulate", "evaluate one request (or --cases) against policy files", _simulate_arguments, _cmd_simulate),
    Command(
        "snapshot", "record the account data a diagnosis reads, for offline use", _snapshot_arguments, _cmd_snapshot
    ),
    Command("diagnose", "parse, collect and diagnose a denied request", _diagnose_arguments, _cmd_diagnose),
    Command("can", "is PRINCIPAL allowed ACTION on RESOURCE now? every layer, no error text", _can_arguments, _cmd_can),
    Command(
        "watch", "diagnose AccessDenied events from an SQS queue and post each cause once", _watch_arguments, _cmd_watch
    ),
    Command("serve", "run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP)", _serve_arguments, _cmd_serve),
    Command("config", "check the configuration file (S3WHY_CONFIG)", _config_arguments, _cmd_config_check),
    Command(
        "audit",
        "list proposals, approvals, applies, failures and rollbacks (REDIS_URL)",
        _audit_arguments,
        _cmd_audit,
    ),
    Command(
        "demo", "the whole pipeline on an emulated AWS account (no Slack, AWS or Redis)", _demo_arguments, _cmd_demo
    ),
)


class _OneLineParser(argparse.ArgumentParser):
    """Bad usage is one line on standard error and exit 2 (CONTRACT), with where to look for the rest."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `only`, the other commands are listed but their arguments are not loaded."""
    parser = _OneLineParser(
        prog="s3why",
        description="Explain S3 Access Denied errors, layer by layer, and propose verified fixes.",
    )
    parser.add_argument("--version", action="version", version=f"s3why {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    sub.required = True
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.help)
        if only is None or only == command.name:
            command.arguments(p)
        p.set_defaults(func=command.run)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """The subcommand in `argv` (the first word that is not an option: s3why's own options take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # this process is the s3why command (python -m bot, the console script)
        from bot.process import mark_standalone

        mark_standalone()
    words = list(sys.argv[1:] if argv is None else argv)
    name = _command_name(words)
    parser = build_parser(name or "")  # only the command being run loads its arguments (none for --help)
    args = parser.parse_args(words)
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
