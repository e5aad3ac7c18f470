"""Snapshot files: the account data one diagnosis reads, as JSON whose parts are AWS's own API answers.

A snapshot can be recorded live (`s3why snapshot`) or written by hand from AWS CLI output: each `calls` entry
holds what `aws <service> <operation>` printed (or `{"Error": {"Code": ..., "Message": ...}}`). The format is
described by `docs/snapshot.schema.json`; `load_snapshot` checks the parts the diagnosis relies on and names
the first thing that is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.errors import UsageError

SNAPSHOT_VERSION = 1
_SECTIONS: dict[str, type] = {
    "target": dict,
    "caller": dict,
    "principal": dict,
    "bucket": dict,
    "kms": dict,
    "vpc_endpoint": dict,
    "access_point": dict,
    "multi_region_access_point": dict,
    "organization": dict,
    "authorization": dict,  # AWS's record of the denial (bot/account/toolbox.py)
}


class SnapshotError(UsageError):
    """A snapshot file that cannot be read; the message says where."""


def validate_snapshot(data: Any, source: str = "snapshot") -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SnapshotError(f"{source}: a snapshot is a JSON object")
    version = data.get("s3why_snapshot")
    if version != SNAPSHOT_VERSION:
        raise SnapshotError(f"{source}: s3why_snapshot must be {SNAPSHOT_VERSION}, not {json.dumps(version)}")
    for name, kind in _SECTIONS.items():
        if name in data and data[name] is not None and not isinstance(data[name], kind):
            raise SnapshotError(f"{source}: {name} must be an object")
    for name in ("principal", "bucket", "vpc_endpoint", "access_point", "multi_region_access_point"):
        part = data.get(name)
        if isinstance(part, dict) and "calls" in part and not isinstance(part["calls"], dict):
            raise SnapshotError(f"{source}: {name}.calls must be an object of AWS answers")
    bucket = data.get("bucket")
    if isinstance(bucket, dict):
        if not isinstance(bucket.get("name"), str):
            raise SnapshotError(f"{source}: bucket.name must be a string")
        obj = bucket.get("object")
        if obj is not None and (not isinstance(obj, dict) or not isinstance(obj.get("key"), str)):
            raise SnapshotError(f"{source}: bucket.object must be an object with a key")
    for arn, key in (data.get("kms") or {}).items():
        if not isinstance(key, dict) or not isinstance(key.get("calls", {}), dict):
            raise SnapshotError(f"{source}: kms[{arn!r}] must be an object with calls")
    return data


def load_snapshot(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"snapshot {path}: cannot read it ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"snapshot {path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    return validate_snapshot(data, f"snapshot {path}")


def dump_snapshot(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False, default=str)
