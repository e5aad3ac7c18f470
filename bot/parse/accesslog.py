"""S3 server access log records: one line per request S3 served, in AWS's documented field order.

Source: S3 User Guide, "Amazon S3 server access log format": bucket_owner bucket [time] remote_ip requester
request_id operation key "request_uri" http_status error_code bytes_sent object_size total_time turn_around_time
"referer" "user_agent" version_id host_id signature_version cipher_suite auth_type host_header tls_version
access_point_arn acl_required. `operation` is `REST.<METHOD>.<RESOURCE>` (or `WEBSITE.`, `BATCH.`, `S3.`); a field
with no value is `-`. The operation's API name comes from the request line (method, path and sub-resource), the
way S3's own API reference defines each operation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from bot.parse import operations as ops

# Fields: a quoted string, a bracketed time, or a run of non-space characters.
_FIELD = re.compile(r"\"[^\"\n]{0,8192}\"|\[[^\]\n]{0,64}\]|[^\s\"\[]{1,8192}")
_OPERATION = re.compile(r"(?:REST|WEBSITE|BATCH|S3)\.[A-Z]{1,10}\.[A-Z_]{1,40}")


@dataclass(frozen=True, slots=True)
class AccessLogRecord:
    """What one access log line states about the request it records (None where the field is `-`)."""

    bucket: str
    key: str | None
    request_id: str | None
    operation: str | None
    http_status: int | None
    error_code: str | None
    requester: str | None
    host: str | None


def _value(field: str) -> str | None:
    return None if field in ("-", '"-"') else field


def read_access_log(text: str) -> AccessLogRecord | None:
    """The first access log record in the text whose request failed (a 4xx/5xx status), or None."""
    if " REST." not in text and " WEBSITE." not in text and " BATCH." not in text:
        return None
    for line in text.splitlines():
        if " REST." not in line and " WEBSITE." not in line and " BATCH." not in line:
            continue
        fields = _FIELD.findall(line)
        record = _record(fields)
        if record is not None:
            return record
    return None


def _record(fields: list[str]) -> AccessLogRecord | None:
    for i, field in enumerate(fields):
        if i < 5 or _OPERATION.fullmatch(field) is None or i + 4 >= len(fields):
            continue
        if not fields[i - 4].startswith("[") or not fields[i + 2].startswith('"'):
            continue
        status = fields[i + 3]
        if not status.isdigit() or not status.startswith(("4", "5")):
            continue
        bucket, requester, request_id = fields[i - 5], fields[i - 2], fields[i - 1]
        key = _value(fields[i + 1])
        request_line = fields[i + 2].strip('"').split(" ")
        operation = None
        if len(request_line) >= 2 and request_line[0] in ops.METHOD_NAMES:
            _path, _, query = request_line[1].partition("?")
            operation = ops.http_operation(request_line[0], has_bucket=True, has_key=key is not None, query=query)
        host = next((f for f in fields[i + 5 :] if f.endswith((".amazonaws.com", ".amazonaws.com.cn"))), None)
        return AccessLogRecord(
            bucket=bucket,
            key=unquote(key) if key is not None and "%" in key else key,
            request_id=_value(request_id),
            operation=operation,
            http_status=int(status),
            error_code=_value(fields[i + 4]),
            requester=_value(requester),
            host=host,
        )
    return None
