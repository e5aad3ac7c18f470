"""Every line `s3why watch` writes to Slack, in one place. Values from CloudTrail are escaped for mrkdwn."""

from __future__ import annotations

from typing import Any

from bot.escape import mrkdwn
from bot.watch.groups import Cause, Totals


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:2900]}]}


def seen_line(cause: Cause, totals: Totals) -> str:
    where = f"{cause.bucket}/{cause.prefix}" if cause.prefix else cause.bucket
    account = f" in account {cause.account}" if cause.account else ""
    return (
        f":satellite_antenna: s3why watch: {totals.count} denied {plural(totals.count, 'request')} "
        f"({mrkdwn(cause.action)} by {mrkdwn(cause.caller)} on {mrkdwn(where)}{mrkdwn(account)}) since "
        f"{mrkdwn(totals.first)}"
    )


def group_header(cause: Cause, totals: Totals) -> dict[str, Any]:
    return _context(seen_line(cause, totals))


def tally(totals: Totals) -> tuple[str, list[dict[str, Any]]]:
    text = (
        f"{totals.count} {plural(totals.count, 'event')} in all, {totals.sessions} distinct "
        f"{plural(totals.sessions, 'session')}, {totals.objects} distinct {plural(totals.objects, 'object')}; "
        f"first seen {totals.first}, last seen {totals.last}"
    )
    return text, [_section(f":bar_chart: *Same cause since:* {mrkdwn(text)}")]


def still_denied(applied_at: str, last: str) -> tuple[str, list[dict[str, Any]]]:
    text = f"still denied after the fix: a denial at {last}, after the fix was applied at {applied_at}"
    return text, [_section(f":x: *Still denied after the fix* — a denial at {mrkdwn(last)}, after the fix was "
                           f"applied at {mrkdwn(applied_at)}.")]  # fmt: skip


def quiet_since(applied_at: str, minutes: int) -> tuple[str, list[dict[str, Any]]]:
    text = f"no denials since the fix (applied at {applied_at}; watched for {minutes} minutes)"
    return text, [_section(f":white_check_mark: *No denials since the fix* (applied at {mrkdwn(applied_at)}; "
                           f"watched for {minutes} minutes).")]  # fmt: skip


def digest(rows: list[tuple[Cause, Totals]]) -> tuple[str, list[dict[str, Any]]]:
    lines = [
        f"• {t.count} × {mrkdwn(c.action)} by {mrkdwn(c.caller)} on {mrkdwn(c.bucket)} — {mrkdwn(c.layer)}"
        for c, t in rows
    ]
    text = f"s3why watch: {len(rows)} {plural(len(rows), 'cause')} of access denials in the last day"
    return text, [_section(f"*{mrkdwn(text)}*"), _section("\n".join(lines) or "none")]


def plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"
