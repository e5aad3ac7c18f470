"""An SQS message body -> the CloudTrail records it carries, or the CloudTrail log objects it announces.

The four shapes CONTRACT.md lists (each as AWS writes it):
- an EventBridge event, `"detail-type": "AWS API Call via CloudTrail"`, whose `detail` is one record
  (EventBridge User Guide, "Events from AWS services"; only management events and, with a data-event selector,
  S3/KMS data events reach EventBridge);
- a bare CloudTrail record (an `eventName` and an `eventSource`);
- a CloudTrail log file, `{"Records": [record, ...]}` (CloudTrail User Guide, "CloudTrail log file examples");
- an S3 event notification `{"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name"}, "object": {"key"}}}]}`
  for a log object the trail wrote (S3 User Guide, "Event message structure"; keys are URL-encoded, `+` for a
  space); s3why reads the gzipped log file from the bucket.
Anything else is foreign: ignored and counted, never an error.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

MAX_BODY = 256 * 1024  # SQS's largest message
MAX_LOG_BYTES = 64 * 1024 * 1024  # a gunzipped CloudTrail log file (CloudTrail delivers files of a few MB)
MAX_LOG_OBJECT_BYTES = 16 * 1024 * 1024  # a gzipped log object as stored (its ContentLength), checked before reading
# Where a trail delivers a log file (CloudTrail User Guide, "Finding your CloudTrail log files" and "CloudTrail log
# file name format"): [prefix/]AWSLogs/[O-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
# ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz. Digest files (CloudTrail-Digest/) and Insights files
# (CloudTrail-Insight/) are not log files of events.
CLOUDTRAIL_LOG_KEY = re.compile(
    r"^(?:[^/]+/)*AWSLogs/(?:o-[a-z0-9]{10,32}/)?(\d{12})/CloudTrail/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"\1_CloudTrail_\2_\d{8}T\d{4}Z_[A-Za-z0-9]+\.json\.gz$"
)


@dataclass(frozen=True, slots=True)
class LogObject:
    bucket: str
    key: str


@dataclass(frozen=True, slots=True)
class Unpacked:
    records: tuple[Any, ...] = ()
    log_objects: tuple[LogObject, ...] = ()
    foreign: str | None = None  # why the body is none of the four shapes
    shape: str = field(default="")  # "eventbridge" | "record" | "log-file" | "s3-notification"


def unpack(body: str) -> Unpacked:
    """What one queue message carries."""
    if len(body) > MAX_BODY:
        return Unpacked(foreign="larger than an SQS message")
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        return Unpacked(foreign="not JSON")
    if not isinstance(data, dict):
        return Unpacked(foreign="not a JSON object")
    if "detail-type" in data:
        if data.get("detail-type") != "AWS API Call via CloudTrail" or not isinstance(data.get("detail"), dict):
            return Unpacked(foreign=f"an EventBridge event of another kind ({str(data.get('detail-type'))[:60]})")
        return Unpacked(records=(data["detail"],), shape="eventbridge")
    if "eventName" in data and "eventSource" in data:
        return Unpacked(records=(data,), shape="record")
    records = data.get("Records")
    if isinstance(records, list):
        if records and all(isinstance(r, dict) and r.get("eventSource") == "aws:s3" for r in records):
            objects = tuple(o for r in records if (o := _log_object(r)) is not None)
            if not objects:
                return Unpacked(foreign="an S3 event notification for no created object")
            return Unpacked(log_objects=objects, shape="s3-notification")
        return Unpacked(records=tuple(records), shape="log-file")
    if data.get("Event") == "s3:TestEvent":
        return Unpacked(foreign="S3's test event")
    return Unpacked(foreign="none of the four message shapes")


def _log_object(record: dict[str, Any]) -> LogObject | None:
    if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
        return None
    s3 = _obj(record.get("s3"))
    bucket = _obj(s3.get("bucket")).get("name")
    key = _obj(s3.get("object")).get("key")
    if not isinstance(bucket, str) or not isinstance(key, str):
        return None
    return LogObject(bucket, unquote_plus(key))


def read_log_file(raw: bytes) -> tuple[Any, ...]:
    """The records of a CloudTrail log file (gzipped JSON, as the trail delivers it; plain JSON accepted).
    Raises ValueError for a file that is not one."""
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
                raw = f.read(MAX_LOG_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"not a CloudTrail log file (broken gzip: {type(exc).__name__})") from None
        if len(raw) > MAX_LOG_BYTES:
            raise ValueError("log file larger than 64 MiB")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a CloudTrail log file ({type(exc).__name__})") from None
    records = data.get("Records") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise ValueError("not a CloudTrail log file (no Records list)")
    return tuple(records)


def is_cloudtrail_log_key(key: str) -> bool:
    """Is the key where a trail writes a log file of events."""
    return CLOUDTRAIL_LOG_KEY.fullmatch(key) is not None


def read_log_stream(body: Any) -> tuple[Any, ...]:
    """The records of a gzipped CloudTrail log file read from a stream (an S3 object's body), gunzipped at most
    MAX_LOG_BYTES + 1 bytes: the whole object is never held in memory. Raises ValueError for a file that is not
    one."""
    try:
        with gzip.GzipFile(fileobj=body) as f:
            raw = f.read(MAX_LOG_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"not a CloudTrail log file (broken gzip: {type(exc).__name__})") from None
    if len(raw) > MAX_LOG_BYTES:
        raise ValueError("log file larger than 64 MiB")
    return read_log_file(raw)


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object's value, or {} for anything else (a record's fields are not trusted to have their shape)."""
    return value if isinstance(value, dict) else {}
