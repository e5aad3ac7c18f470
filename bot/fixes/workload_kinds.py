"""The workload's next requests: the S3 operations the tool named in the paste performs on the bucket, from the
table `remediations/workloads/kinds.yaml` (each kind with its tool's documentation; issue 20 §1).

`aws s3 sync` from a bucket lists it and then downloads; into a bucket it lists and uploads; a mount heads, reads,
writes and deletes. A fix verified only for the failing request breaks on the next of these, so the fix grants
the ones the same layer denies too, and says so in words.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from bot.s3ops import lookup_operation

_DIRECTIONS = ("arguments", "operation", "both", "read", "write", "text")
_S3_URL = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/|$)")
# Options whose value is a path or a pattern, not a path argument of the command (aws s3 sync / cp).
_FILTERS = frozenset({"--exclude", "--include"})


class WorkloadTableError(ValueError):
    """remediations/workloads/kinds.yaml is malformed (the message names the kind and the field)."""


@dataclass(frozen=True)
class WorkloadKind:
    """One kind of workload: how a paste names its tool, the operations it performs on the bucket it reads and
    on the one it writes, options that add operations, and the documentation that says so."""

    id: str
    tool: str
    match: tuple[re.Pattern[str], ...]
    direction: str
    read: tuple[str, ...]
    write: tuple[str, ...]
    options: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]  # (flag, read ops, write ops)
    source: str
    # direction "text": the patterns that say the paste's command reads / writes the bucket (Redshift COPY / UNLOAD)
    sides: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = ()
    # the operation a denial in the tool's own error report is, per side (the step that moves the data)
    reports: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WorkloadOperations:
    """The operations a workload performs on one bucket, and in words which tool does what with it."""

    kind: WorkloadKind
    bucket: str
    role: str  # "reads", "writes", "reads and writes"
    operations: tuple[str, ...]
    reported: str | None = None  # the operation the tool's error reports on this side (None: not documented)

    def words(self) -> str:
        return f"{self.kind.tool} {self.role} {self.bucket}: {', '.join(self.operations)} (source: {self.kind.source})"


def _ops(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise WorkloadTableError(f"{where}: a list of operation names")
    for name in raw:
        if lookup_operation(name) is None:
            raise WorkloadTableError(f"{where}: {name!r} is not an S3 operation s3why knows")
    return tuple(raw)


def _kind(raw: Any) -> WorkloadKind:
    if not isinstance(raw, dict):
        raise WorkloadTableError("a kind must be a mapping")
    name = str(raw.get("id") or "?")
    unknown = set(raw) - {"id", "tool", "match", "direction", "read", "write", "options", "source", "sides", "reports"}
    if unknown:
        raise WorkloadTableError(f"kind {name}: unknown field {sorted(unknown)[0]!r}")
    for key in ("id", "tool", "match", "direction", "read", "write", "source"):
        if key not in raw:
            raise WorkloadTableError(f"kind {name}: missing {key!r}")
    if raw["direction"] not in _DIRECTIONS:
        raise WorkloadTableError(f"kind {name}: direction must be one of {', '.join(_DIRECTIONS)}")
    options = []
    for flag, extra in (raw.get("options") or {}).items():
        if not isinstance(extra, dict):
            raise WorkloadTableError(f"kind {name}: option {flag} must be a mapping")
        read = _ops(extra.get("read", []), f"kind {name} option {flag} read")
        write = _ops(extra.get("write", []), f"kind {name} option {flag} write")
        options.append((str(flag), read, write))
    sides = raw.get("sides") or {}
    if raw["direction"] == "text" and not sides:
        raise WorkloadTableError(f"kind {name}: direction text needs `sides` (read/write: patterns)")
    if not isinstance(sides, dict) or set(sides) - {"read", "write"}:
        raise WorkloadTableError(f"kind {name}: sides must map read/write to patterns")
    reports = raw.get("reports") or {}
    if not isinstance(reports, dict) or set(reports) - {"read", "write"}:
        raise WorkloadTableError(f"kind {name}: reports must map read/write to an operation")
    for side, op in reports.items():
        if op not in _ops(raw[side], f"kind {name} {side}"):
            raise WorkloadTableError(f"kind {name}: reports {side} {op!r} is not one of its {side} operations")
    return WorkloadKind(
        id=name,
        tool=str(raw["tool"]),
        match=tuple(re.compile(p, re.IGNORECASE) for p in raw["match"]),
        direction=raw["direction"],
        read=_ops(raw["read"], f"kind {name} read"),
        write=_ops(raw["write"], f"kind {name} write"),
        options=tuple(options),
        source=" ".join(str(raw["source"]).split()),
        sides=tuple((side, tuple(re.compile(p, re.IGNORECASE) for p in patterns)) for side, patterns in sides.items()),
        reports=tuple((str(side), str(op)) for side, op in reports.items()),
    )


@lru_cache(maxsize=1)
def workload_kinds() -> tuple[WorkloadKind, ...]:
    """The table, loaded once (validated: every operation is one s3why's operation table knows)."""
    from bot.fixes.catalogue import _home

    path = _home("remediations") / "workloads" / "kinds.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise WorkloadTableError(f"{path.name}: cannot read it ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("kinds"), list):
        raise WorkloadTableError(f"{path.name}: a mapping with a list `kinds`")
    return tuple(_kind(k) for k in raw["kinds"])


def _is_write(operation: str | None) -> bool:
    spec = lookup_operation(operation) if operation else None
    return spec is not None and any(
        a.split(":", 1)[1].startswith(("Put", "Delete", "Abort", "Restore", "Replicate")) for a in spec.actions
    )


def _path_arguments(line: str, start: int) -> list[str]:
    """The path arguments of an `aws s3 sync` / `cp` command from `start`: s3:// URLs and local paths, in order
    (an option's value is not one: `--exclude 'logs/*'`, `--request-payer requester`)."""
    try:
        words = shlex.split(line[start:])
    except ValueError:
        words = line[start:].split()
    out: list[str] = []
    for i, word in enumerate(words[3:], start=3):  # after "aws s3 VERB"
        if word.startswith("-") or words[i - 1] in _FILTERS:
            continue
        if word.startswith(("s3://", "/", ".", "~")) or "/" in word:
            out.append(word)
    return out


def _roles_from_arguments(paste: str, bucket: str, kind: WorkloadKind) -> tuple[set[str], str]:
    """("read"/"write" for the bucket, the matching command line) from the command's path arguments."""
    roles: set[str] = set()
    for line in paste.splitlines():
        m = next((p.search(line) for p in kind.match if p.search(line)), None)
        if m is None:
            continue
        paths = _path_arguments(line, m.start())
        for position, path in enumerate(paths[:2]):
            url = _S3_URL.match(path)
            if url and url.group(1) == bucket:
                roles.add("read" if position == 0 else "write")
        if roles:
            return roles, line
    return roles, ""


def _sides_in(paste: str, kind: WorkloadKind) -> set[str]:
    """The sides ("read", "write") the kind's `sides` patterns find in the paste."""
    return {side for side, patterns in kind.sides if any(p.search(paste) for p in patterns)}


def workload_operations(paste: str, bucket: str | None, operation: str | None) -> WorkloadOperations | None:
    """The operations the workload in the paste performs on `bucket` (None when no kind of the table names its
    tool there, or when the paste does not say which side of the command the bucket is on)."""
    if not bucket or not paste:
        return None
    for kind in workload_kinds():
        if not any(p.search(paste) for p in kind.match):
            continue
        line = paste
        if kind.direction == "arguments":
            roles, line = _roles_from_arguments(paste, bucket, kind)
        elif kind.direction == "operation":
            roles = {"write" if _is_write(operation) else "read"}
        elif kind.direction in ("read", "write"):
            roles = {kind.direction}
        elif kind.direction == "text":
            roles = _sides_in(paste, kind)
        else:
            roles = {"read", "write"}
        if not roles:
            continue
        ops = [*(kind.read if "read" in roles else ()), *(kind.write if "write" in roles else ())]
        for flag, read, write in kind.options:
            if re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", line):
                ops += [*(read if "read" in roles else ()), *(write if "write" in roles else ())]
        role = "reads and writes" if roles == {"read", "write"} else ("reads" if "read" in roles else "writes")
        # the step the paste reports: its one side, or (a tool that does both) the side `sides` finds in the paste
        step = roles if len(roles) == 1 else _sides_in(paste, kind)
        reported = dict(kind.reports).get(next(iter(step))) if len(step) == 1 else None
        return WorkloadOperations(kind, bucket, role, tuple(dict.fromkeys(ops)), reported)
    return None
