"""Structured logs: one JSON object a line (time, level, logger, message, and any `extra` fields such as the
diagnosis's request id), never a secret, never a request body, never a traceback, never a huge line.

s3why builds its own messages from redacted text. `SafeRecords` is the net under everything else that logs
(slack-bolt, slack-sdk, botocore): it runs before any handler formats a record, cuts request bodies out of the
Slack libraries' messages (Bolt's "Invalid request signature detected (... body: ...)" and "Unhandled request
(...)" lines carry the raw body), redacts credentials (bot/parse/secrets.py) and caps each line.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import Any

from bot.parse.secrets import redact_secrets

MAX_MESSAGE_CHARS = 2000  # a refused 50 MB delivery must not become a 50 MB log line
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Where a Slack library's message starts quoting the request: its body, a payload, a dict or bytes repr.
_BODY_START = re.compile(r"body\s*[:=]|payload\s*[:=]|\(\s*[{\[]|[{\[]\s*['\"]|\bb['\"]", re.IGNORECASE)
_FROM_SLACK_LIBRARIES = ("slack_bolt", "slack_sdk")


def _without_body(message: str) -> str:
    m = _BODY_START.search(message)
    return message if m is None else message[: m.start()].rstrip(" (,:") + " [request body not logged]"


def _safe(text: str) -> str:
    """Redacted, on one bounded window (a secret cut in two at the limit is still found whole)."""
    window = redact_secrets(text[: MAX_MESSAGE_CHARS + 4096])
    return window if len(window) <= MAX_MESSAGE_CHARS else window[:MAX_MESSAGE_CHARS] + " [cut]"


class SafeRecords(logging.Filter):
    """Rewrites each record in place: no request body, no credential, no line longer than MAX_MESSAGE_CHARS."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_s3why_safe", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string: keep the template, never crash the caller
            message = str(record.msg)
        if record.name.startswith(_FROM_SLACK_LIBRARIES):
            message = _without_body(message)
        record.msg, record.args = _safe(message), None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            described = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            record.s3why_error = _safe(described.splitlines()[0])
            record.exc_info, record.exc_text = None, None  # one line, never a traceback
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and not key.startswith("_") and isinstance(value, str):
                setattr(record, key, _safe(value))
        record._s3why_safe = True
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out["error" if key == "s3why_error" else key] = value
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(out, default=str)


def safe_logger(name: str = "slack_bolt.App") -> logging.Logger:
    """A logger whose records pass SafeRecords; given to Bolt (`App(logger=...)`), which copies its filters to
    every logger it makes, so Bolt's lines are safe whatever handlers the process has."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, SafeRecords) for f in logger.filters):
        logger.addFilter(SafeRecords())
    return logger


def configure(level: int = logging.INFO, *, json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(SafeRecords())
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
