"""Terminal rendering of s3why's results (JSON output is each value's `to_json`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `dumps` is used by commands that never parse text: they do not load the parser
    from bot.parse.model import ParseResult

_LABELS = {
    "source_format": "format",
    "service": "service",
    "error_code": "error code",
    "http_status": "HTTP status",
    "operation": "operation",
    "action": "IAM action",
    "bucket": "bucket",
    "key": "key",
    "principal_arn": "principal",
    "resource_arn": "resource",
    "deny_kind": "deny",
    "policy_type": "policy type",
    "request_id": "request id",
    "region": "region",
    "policy_arn": "policy ARN",
    "authorization_id": "authz ID",
    "reason": "reason",
    "operation_candidates": "candidates",
    "stated_context": "context",
    "presigned": "presigned",
}


def dumps(data: Any) -> str:
    """The one JSON encoder for s3why's output."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)


def _shown(value: Any) -> str:
    """A parsed value for the terminal: lists joined, mappings as `key=value` pairs (empty parts left out)."""
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_shown(v)}" for k, v in value.items() if v not in (None, False, [], {}))
    return str(value)


def parse_text_report(result: ParseResult) -> str:
    from bot.parse.model import REQUEST_KEYS

    lines: list[str] = []
    for i, req in enumerate(result.requests, 1):
        data = req.to_json()
        lines.append(
            f"Request {i}: {data['error_code'] or ('access denied' if data.get('deny_kind') else 'unknown error')}"
            + (f" on {data['operation']}" if data["operation"] else "")
        )
        width = max(len(v) for v in _LABELS.values())
        for key in REQUEST_KEYS:
            if data[key] not in (None, [], {}):
                lines.append(f"  {_LABELS[key]:<{width}}  {_shown(data[key])}")
        lines.append("")
    for w in result.warnings:
        marker = {"secret": "SECRET", "lookalike": "NOTE", "no-error": "NOTE"}.get(w.kind, "WARNING")
        where = f" (characters {w.start}-{w.end})" if w.start is not None else ""
        lines.append(f"{marker}: {w.message}{where}")
    return "\n".join(lines).rstrip() + "\n"
