"""`s3why snapshot`: record the account data a diagnosis reads, for offline use. Thin: parse, collect, write."""

from __future__ import annotations

import argparse
import os
import sys

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.account.signer import signer_view
from bot.account.snapshot import dump_snapshot
from bot.account.target import target_for
from bot.cache import NoCache, cache_from_env
from bot.config import load_config
from bot.errors import S3whyError, UsageError


def add_snapshot_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", metavar="TEXT", help="the pasted error (default: standard input, or none)")
    p.add_argument("--principal", metavar="ARN", help="who made the request, when the text does not say")
    p.add_argument("--bucket")
    p.add_argument("--key")
    p.add_argument("--version-id")
    p.add_argument("--vpce", metavar="VPCE_ID", help="the VPC endpoint the request went through")
    p.add_argument("--access-point", metavar="ARN")
    p.add_argument("--kms-key", metavar="ARN", action="append", default=[])
    p.add_argument("--out", metavar="FILE", help="write the snapshot here (default: standard output)")
    p.add_argument("--no-cache", action="store_true", help="read everything live")
    p.add_argument("--json", action="store_true", help="(the snapshot is JSON either way)")


def run_snapshot(args: argparse.Namespace, read_text: object) -> int:
    from bot.parse import parse_text

    request = None
    text = args.text
    if text is None and sys.stdin is not None and not sys.stdin.isatty():
        # the error on standard input, with or without --principal / --bucket (which name what the text leaves out)
        try:
            text = sys.stdin.read() or None
        except (OSError, ValueError):
            text = None  # no readable standard input (closed, or a harness's): the options alone say what to read
    if text:
        parsed = parse_text(text)
        request = parsed.requests[0] if parsed.requests else None
    config = load_config(os.environ.get("S3WHY_CONFIG"))
    cache = NoCache() if args.no_cache else cache_from_env(os.environ.get("REDIS_URL"), config.cache_ttls)
    collector = Collector(SessionProvider(config), cache)
    signed = None
    if request is not None and request.presigned is not None:  # a presigned URL: record its signer's view
        try:
            signed = signer_view(request, args.principal, collector=collector)
        except (ClientError, BotoCoreError, NoCredentialsError) as exc:
            raise S3whyError(f"AWS could not be read: {type(exc).__name__}") from None
    target = target_for(
        request,
        principal=signed.principal if signed is not None else args.principal,
        bucket=args.bucket,
        key=args.key,
        vpce_id=args.vpce,
        access_point_arn=args.access_point,
        kms_key_arns=tuple(args.kms_key),
        version_id=args.version_id,
    )
    if not (target.principal_arn or target.bucket):
        raise UsageError("nothing to record: give a pasted error, --bucket or --principal")
    try:
        snapshot = collector.collect(target)
    except NoCredentialsError:
        raise S3whyError("no AWS credentials found (set AWS_PROFILE or the usual AWS_* variables)") from None
    except (ClientError, BotoCoreError) as exc:
        raise S3whyError(f"AWS could not be read: {type(exc).__name__}: {exc}") from None
    if signed is not None and signed.signer is not None:
        snapshot["signer"] = signed.signer.to_json()
    out = dump_snapshot(snapshot) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(out)
        print(f"s3why: snapshot written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(out)
    return 0
