"""`s3why watch` (CONTRACT.md): wire the SQS loop to boto3, Redis, the collector and Slack; print the summary.

Needs REDIS_URL (what processes share), SLACK_BOT_TOKEN (SLACK_API_URL for another Web API), a queue URL
(`--queue-url` or `watch.queue_url`) and a channel (`watch.default_channel` or routes). AWS through boto3's
standard configuration chain (`AWS_ENDPOINT_URL_SQS` points it at an emulator).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from typing import Any

from bot.errors import UsageError


def add_watch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--queue-url", metavar="URL", help="the SQS queue (default: watch.queue_url in the configuration)")
    p.add_argument("--once", action="store_true", help="drain the queue until it is empty, then exit")
    p.add_argument("--json", action="store_true", help="with --once: print one summary object")


def run_watch(args: argparse.Namespace) -> int:
    import boto3
    import redis

    from bot.cache import key_root, redis_client
    from bot.config import load_config
    from bot.logs import configure as configure_logs
    from bot.watch.groups import GroupStore
    from bot.watch.slack_out import ChannelPoster, watch_client
    from bot.watch.wiring import Wiring
    from bot.watch.worker import Watcher

    config = load_config(os.environ.get("S3WHY_CONFIG"))
    queue_url = args.queue_url or config.watch.queue_url
    if not queue_url:
        raise UsageError("no queue: pass --queue-url URL or set watch.queue_url in the configuration")
    if args.json and not args.once:
        raise UsageError("--json prints the summary of a drain: use it with --once")
    url = os.environ.get("REDIS_URL")
    if not url:
        raise UsageError("s3why watch shares its groups between processes in Redis: set REDIS_URL")
    token = os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        raise UsageError("s3why watch posts to Slack: set SLACK_BOT_TOKEN")
    if not config.watch.default_channel and not config.watch.routes:
        raise UsageError("s3why watch has nowhere to post: set watch.default_channel (or watch.routes)")
    configure_logs(json_lines=os.environ.get("S3WHY_LOG_FORMAT", "json") != "text")
    base = os.environ.get("SLACK_API_URL")
    client = watch_client(token, (base if base.endswith("/") else base + "/") if base else None)
    r = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=2)
    try:
        r.ping()
    except redis.RedisError as exc:
        raise UsageError(f"cannot reach Redis at REDIS_URL ({type(exc).__name__})") from None
    # S3WHY_REDIS_NAMESPACE: several deployments (or tests) on one Redis, each under its own keys
    ns = os.environ.get("S3WHY_REDIS_NAMESPACE", "")
    store = GroupStore(r, prefix=f"{key_root()}s3why:watch:{ns}", window_seconds=config.watch.group_window_minutes * 60)
    wiring = Wiring.from_config(config, redis_url=url, fast_redis=redis_client(url), namespace=ns)
    watcher = Watcher(
        sqs=boto3.client("sqs"),
        s3=boto3.client("s3"),
        queue_url=queue_url,
        store=store,
        poster=ChannelPoster(client, r, prefix=store.prefix),
        config=config.watch,
        diagnose=wiring.diagnose,
        render=wiring.render,
        propose=wiring.propose if wiring.approvals is not None else None,
        applied_at=wiring.applied_at,
        known_accounts=config.known_accounts(),
    )
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())  # finish the message in hand, then stop
    summary = _run(watcher, once=args.once, stop=stop)
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        print(_summary_line(summary), file=sys.stderr)
    return 0


def _run(watcher: Any, *, once: bool, stop: threading.Event) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from bot.errors import S3whyError

    try:
        return dict(watcher.run(once=once, stop=stop).to_json())
    except NoCredentialsError:
        raise S3whyError("no AWS credentials found (set AWS_PROFILE or the usual AWS_* variables)") from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise S3whyError(f"the queue could not be read ({code or type(exc).__name__})") from None
    except BotoCoreError as exc:
        raise S3whyError(f"the queue could not be read ({type(exc).__name__})") from None


def _summary_line(s: dict[str, Any]) -> str:
    return (
        f"s3why watch: {s['events']} events, {s['diagnosed']} diagnosed, {s['groups']} groups, {s['posted']} posted, "
        f"{s['updated']} updated, {s['ignored']} ignored ({s['noise']} known noise)"
    )
