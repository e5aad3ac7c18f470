"""The workload behind a denied request: the stable prefix its objects live under, learned from the key and the
paste (issue 20 §1).

One failing key is one object of a job that writes or reads many: a nightly export writes `exports/2025/03/01/…`
today and `exports/2025/04/01/…` next month. A grant must admit the workload's next object, so the prefix it
covers stops above the first path segment that changes from run to run:
- date partitions: `2025/03/01/`, `2025-03-01`, `20250301`, `dt=2025-03-01`, `year=2025/month=03/`, ISO times;
- Hive-style partitions (`k=v`: the value changes per partition), run and job ids, UUIDs, long hex digests,
  epoch timestamps and other long numbers;
- the root of an `aws s3 sync` or `aws s3 cp --recursive` named in the paste (everything the command writes);
- the common prefix of several keys of the same bucket in the paste (per-table folders -> the folder above).
The "next object" check uses a sibling in *another* partition (`sibling_key`), so a grant of one date folder
fails it.
"""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import dataclass
from typing import Any

_DATE = re.compile(
    r"^(?:(?:19|20)\d\d(?:[-_]?(?:0[1-9]|1[0-2])(?:[-_]?(?:0[1-9]|[12]\d|3[01]))?)?"  # 2025, 2025-03, 20250301
    r"(?:[tT ]?\d\d(?::?\d\d){0,2}(?:\.\d+)?[zZ]?)?)$"  # an ISO time after the date
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{12,}$")  # a digest or a commit
_NUMBER = re.compile(r"^\d{6,}$")  # epoch seconds or milliseconds, a build number
_RUN = re.compile(r"^(?:run|job|batch|build|attempt|execution|exec|task|session|ingest)[-_.]?\S*\d\S*$", re.I)
_SHORT_NUMBER = re.compile(r"^\d{1,2}$")  # month, day, hour after a year
_PARTITION_WORDS = {"year", "month", "day", "hour", "minute", "date", "dt", "ds", "ts"}
_S3_URL = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(\S*)")


def varying(segments: list[str]) -> list[bool]:
    """For each path segment, whether it changes from run to run (see the module's list)."""
    out: list[bool] = []
    for seg in segments:
        out.append(varies(seg, after_varying=bool(out and out[-1])))
    return out


def varies(segment: str, *, after_varying: bool = False) -> bool:
    """Whether a path segment is one that changes from run to run (see the module's list); `after_varying`: the
    segment before it does (a month or a day after a year)."""
    name, eq, _ = segment.partition("=")
    if eq:
        return True  # a Hive partition: year=2025, dt=2025-03-01, region=eu-west-1, run_id=…
    if name.lower() in _PARTITION_WORDS:
        return False  # the word itself ("date/"): a folder name
    if _DATE.match(segment) or _UUID.match(segment) or _HEX.match(segment) or _NUMBER.match(segment):
        return True
    if _RUN.match(segment):
        return True
    # 03/ or 01/ right after a date segment: the month, the day, the hour.
    return bool(_SHORT_NUMBER.match(segment) and after_varying)


@dataclass(frozen=True)
class Workload:
    """The stable prefix of the workload ("" = the bucket's root, None = no key) and how it was found, in words."""

    prefix: str | None
    how: str  # "above the date partition 2025/03/01/", "the root of the aws s3 sync in the paste", ...
    partitioned: bool = False  # the key has segments that change per run below the prefix
    other_folder: bool = False  # the folders below the prefix are the workload's too (the next object: another)


NO_WORKLOAD = Workload(None, "")


def _roots(paste: str, bucket: str) -> list[str]:
    """Prefixes of `bucket` that an `aws s3 sync` or `aws s3 cp --recursive` in the paste writes or reads."""
    out: list[str] = []
    for line in paste.splitlines():
        if "aws s3 sync" not in line and not ("aws s3 cp" in line and "--recursive" in line):
            continue
        try:
            words = shlex.split(line[line.index("aws s3") :])
        except ValueError:
            words = line[line.index("aws s3") :].split()
        for word in words:
            m = _S3_URL.match(word + ("/" if word.count("/") == 2 else ""))
            if m and m.group(1) == bucket:
                prefix = m.group(2)
                out.append(prefix if not prefix or prefix.endswith("/") else prefix + "/")
    return out


def _keys(paste: str, bucket: str) -> list[str]:
    return [m.group(2) for m in _S3_URL.finditer(paste) if m.group(1) == bucket and m.group(2)]


def granted_prefix(statements: list[dict[str, Any]], bucket: str, key: str, actions: list[str]) -> str | None:
    """The prefix the account already grants the workload's actions on (the existing Allow statements for one of
    `actions` on this bucket's objects that cover `key`; the most specific): the scope a reviewer expects the new
    grant to match. An object action granted on the bucket's own ARN (a common mistake: the grant meant the
    bucket's objects) counts as the whole bucket. None when no statement says."""
    from bot.engine.matching import action_matcher

    head = f"arn:aws:s3:::{bucket}"
    found: list[str] = []
    for st in statements:
        if st.get("Effect") != "Allow" or "NotAction" in st or "NotResource" in st:
            continue
        granted = [a for a in _list(st.get("Action")) if isinstance(a, str)]
        if not any(action_matcher(g)(a) for g in granted for a in actions):
            continue
        for resource in _list(st.get("Resource")):
            if not isinstance(resource, str):
                continue
            if resource == head:
                found.append("")  # an object action on the bucket's ARN: the bucket's objects were meant
            elif resource.startswith(head + "/") and resource.endswith("*") and "*" not in resource[:-1]:
                prefix = resource[len(head) + 1 : -1]
                if key.startswith(prefix) and (not prefix or prefix.endswith("/")):
                    found.append(prefix)
    return max(found, key=len) if found else None


def sibling_grant_prefix(
    statements: list[dict[str, Any]], bucket: str, key: str, actions: list[str]
) -> tuple[str, str] | None:
    """The workload's folder at the depth the account already grants these actions to the principal: a grant on
    `area/manual/*` beside a denied `area/traffic-counters/vendor/x.csv` says the account grants per folder under
    `area/`, so the folder the workload writes is `area/traffic-counters/` (its sub-folders — vendors, tables,
    sources — are the workload's, like its partitions). Only a sibling of one of the key's ancestors counts (the
    same parent, one segment more, not the key's own folder). (The workload's folder, the sibling grant's prefix);
    None when no grant says."""
    from bot.engine.matching import action_matcher

    head = f"arn:aws:s3:::{bucket}/"
    folder = key.split("/")[:-1]
    found: list[tuple[int, str, str]] = []
    for st in statements:
        if st.get("Effect") != "Allow" or "NotAction" in st or "NotResource" in st:
            continue
        granted = [a for a in _list(st.get("Action")) if isinstance(a, str)]
        if not any(action_matcher(g)(a) for g in granted for a in actions):
            continue
        for resource in _list(st.get("Resource")):
            if not isinstance(resource, str) or not resource.startswith(head) or not resource.endswith("/*"):
                continue
            prefix = resource[len(head) : -1]
            if any(ch in prefix for ch in "*?$"):
                continue
            segments = prefix.rstrip("/").split("/")
            common = next((i for i, (a, b) in enumerate(zip(segments, folder, strict=False)) if a != b), None)
            if common is None or common == 0 or len(segments) != common + 1 or len(folder) <= len(segments):
                continue  # the key's own ancestor, nothing shared, not a sibling, or already the key's folder
            found.append((common, "/".join(folder[: len(segments)]) + "/", prefix))
    best = max(found) if found else None
    return (best[1], best[2]) if best else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def workload_of(
    bucket: str | None,
    key: str | None,
    paste: str = "",
    granted: str | None = None,
    sibling: tuple[str, str] | None = None,
) -> Workload:
    """The workload's stable prefix for `key` in `bucket`, from the paste (a sync root, other keys), the prefix
    the account already grants (`granted`, see `granted_prefix`), the depth at which it grants the principal's
    sibling folders (`sibling`, see `sibling_grant_prefix`) and the key."""
    if not bucket:
        return Workload(None, "")
    if key is None:
        # A listing or another bucket-level request: the objects the workload then reads or writes are under the
        # root of the sync in the paste, when there is one.
        roots = sorted(_roots(paste, bucket), key=len)
        where = f"s3://{bucket}/{roots[0]}" if roots else ""
        return (
            Workload(roots[0], f"the root of the aws s3 sync / cp --recursive in the paste ({where})")
            if roots
            else NO_WORKLOAD
        )
    found = _workload_of(bucket, key, paste)
    if granted is not None and (found.prefix is None or found.prefix.startswith(granted)) and found.prefix != granted:
        where = f"s3://{bucket}/{granted}"
        return Workload(granted, f"the prefix the account already grants these actions on ({where})", True)
    from_root = found.how.startswith("the root of")
    folder, beside = sibling or ("", "")
    if sibling and not from_root and found.prefix and found.prefix.startswith(folder) and found.prefix != folder:
        how = f"the folder level at which the account already grants these actions: s3://{bucket}/{beside}*"
        return Workload(folder, how, True, other_folder=True)
    return found


def _workload_of(bucket: str, key: str, paste: str) -> Workload:
    parts = key.split("/")[:-1]
    first = next((i for i, v in enumerate(varying(parts)) if v), None)
    partitioned = first is not None
    for root in sorted(_roots(paste, bucket), key=len):
        if key.startswith(root):
            where = f"s3://{bucket}/{root}"
            return Workload(root, f"the root of the aws s3 sync / cp --recursive in the paste ({where})", partitioned)
    if first is not None:
        prefix = "/".join(parts[:first]) + "/" if first else ""
        changing = "/".join(parts[first:]) + "/"
        return Workload(prefix, f"above the partition {changing}, which changes from run to run", True)
    others = [k for k in _keys(paste, bucket) if not k.endswith("/") and not _same_object(k, key)]
    if others:
        folders = [k.split("/")[:-1] for k in (key, *others)]
        shared = [seg for seg, *rest in zip(*folders, strict=False) if all(r == seg for r in rest)]
        common = "".join(f"{seg}/" for seg in _leading(shared, folders[0]))
        deepest = key[: key.rfind("/") + 1] if "/" in key else ""
        if common != deepest:
            return Workload(common, f"the folder above the {len(others) + 1} objects named in the paste")
    if "/" not in key.rstrip("/"):
        return Workload(None, "")
    return Workload(key[: key.rstrip("/").rfind("/") + 1], "the folder of the object")


def _same_object(mentioned: str, key: str) -> bool:
    """A mention of the key itself: equal, cut at white space, or written with HTML entities (Slack's &amp;)."""
    a, b = html.unescape(html.unescape(mentioned)), html.unescape(html.unescape(key))
    return a == b or b.startswith(a) or a.startswith(b) or mentioned == key


def _leading(shared: list[str], folder: list[str]) -> list[str]:
    """The segments of `folder` up to the first that is not in `shared` at the same place."""
    out: list[str] = []
    for a, b in zip(shared, folder, strict=False):
        if a != b:
            break
        out.append(a)
    return out


def sibling_key(key: str, prefix: str, other_folder: bool = False) -> str:
    """A key of the same workload in *another* partition: every segment that changes from run to run, changed
    (2025/03/01 -> 2026/04/02, a uuid -> another), and the file name kept; `prefix` kept as it is.
    `other_folder`: the first folder below the prefix is another one too (`vendor-a/` -> `s3why-other-vendor-a/`)."""
    rest = key[len(prefix) :]
    segments = rest.split("/")
    changed: list[str] = []
    for i, (seg, changes) in enumerate(zip(segments[:-1], varying(segments[:-1]), strict=True)):
        if other_folder and i == 0 and not changes:
            seg = f"s3why-other-{seg}"
        elif changes:
            seg = re.sub(r"\d+", lambda m: _next_number(m.group(0)), seg)
            seg = re.sub(r"(?<![0-9])[a-fA-F](?=[0-9a-fA-F]*\d)", "0", seg) if _HEX.match(seg) else seg
        changed.append(seg)
    base = segments[-1] or "object"
    name = f"s3why-next-{base}"
    return prefix + "/".join([*changed, name])


def _next_number(digits: str) -> str:
    value = int(digits) + 1
    if len(digits) == 2 and 1 <= int(digits) <= 12:
        value = int(digits) % 12 + 1  # a month (or day) stays one: 03 -> 04, 12 -> 01
    return str(value % (10 ** len(digits))).zfill(len(digits))
