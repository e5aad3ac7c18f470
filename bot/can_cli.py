"""`s3why can PRINCIPAL ACTION RESOURCE` on the command line: build the request, read the account (live or a
snapshot), answer through `bot.answer`, render as `diagnose` does. Thin."""

from __future__ import annotations

import argparse
import sys

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from bot.errors import S3whyError, UsageError


def add_can_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "principal",
        metavar="PRINCIPAL",
        help="IAM user, role, role-session or root ARN, or anonymous (an unsigned request)",
    )
    p.add_argument("action", metavar="ACTION", help="an IAM action (s3:GetObject) or S3 operation (GetObject)")
    p.add_argument("resource", metavar="RESOURCE", help="an S3 ARN or s3://bucket[/key]")
    p.add_argument("--context", metavar="KEY=VALUE", action="append", default=[], help="request context keys")
    p.add_argument("--snapshot", metavar="FILE", help="read the account data from this snapshot (offline)")
    p.add_argument("--no-cache", action="store_true", help="read everything live and refresh the cache")
    p.add_argument(
        "--fix-format",
        choices=("cli", "terraform", "cloudformation", "json"),
        default="cli",
        help="how the text report shows each fix",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")


def run_can(args: argparse.Namespace) -> int:
    """Exit 0 whatever the decision (CONTRACT); 2 for a request that cannot be asked or an unusable snapshot."""
    from bot.account.snapshot import load_snapshot
    from bot.answer import answer, collect_for
    from bot.can import as_question, asked_request, can_options
    from bot.diagnose.render import diagnosis_text
    from bot.diagnose_cli import _context, _live_collector, check_snapshot_holds
    from bot.parse.secrets import redact_secrets
    from bot.render import dumps

    req = asked_request(args.principal, args.action, args.resource)
    options = can_options(req.principal_arn or "", _context([redact_secrets(c) for c in args.context]))
    if args.snapshot:
        data = load_snapshot(args.snapshot)
        check_snapshot_holds(data, req, options.principal, args.snapshot, retarget=False)
    else:
        try:
            data = collect_for(req, options, _live_collector(args.no_cache))
        except NoCredentialsError:
            raise S3whyError("no AWS credentials found (set AWS_PROFILE or the usual AWS_* variables)") from None
        except (ClientError, BotoCoreError) as exc:
            raise S3whyError(f"AWS could not be read: {type(exc).__name__}: {exc}") from None
    try:
        found = as_question(answer(req, options, data))
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        if not args.snapshot:
            raise
        raise UsageError(
            f"snapshot {args.snapshot}: a section does not have the shape AWS returns ({type(exc).__name__}); "
            "see docs/snapshot.schema.json"
        ) from None
    if args.json:
        sys.stdout.write(dumps({"diagnoses": [found.to_json()]}) + "\n")
    else:
        sys.stdout.write(diagnosis_text(found, args.fix_format))
    return 0
