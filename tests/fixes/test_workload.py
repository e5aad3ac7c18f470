"""Issue 20 §1: a grant covers the workload — the stable prefix above date partitions, run ids and uuids, or the
root of the sync in the paste — and its "next object" check uses a sibling in another partition."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.diagnose import DiagnoseOptions
from bot.fixes.workload import sibling_key, workload_of
from bot.parse import parse_text
from bot.pipeline import Source, diagnose_and_fix
from tests.fixes.support import SESSION, snapshot

NIGHTLY = "exports/2025/03/01/part-0001.parquet"


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        (NIGHTLY, "exports/"),
        ("warehouse/sales/orders/dt=2025-03-01/part-0.parquet", "warehouse/sales/orders/"),
        ("logs/year=2025/month=03/day=01/x.gz", "logs/"),
        ("jobs/run-20250301-1/out.csv", "jobs/"),
        ("data/3f2a9c1e-1b2c-4d5e-8f90-123456789abc/file.json", "data/"),
        ("backup/1709251200/db.sql", "backup/"),
        ("raw/2025-03-01T04:00:00Z/a.json", "raw/"),
        ("2025-03-01/x.csv", ""),
        ("out/a.txt", "out/"),
        ("reports/date/x.csv", "reports/date/"),  # the word "date" is a folder name, not a partition
    ],
)
def test_the_stable_prefix_stops_above_what_changes_from_run_to_run(key: str, prefix: str) -> None:
    assert workload_of("data-bucket", key).prefix == prefix


def test_the_paste_gives_the_sync_root_and_the_folder_above_several_keys() -> None:
    paste = "$ aws s3 sync ./out s3://data-bucket/exports/\nupload failed: ./x to s3://data-bucket/exports/team/a/x.csv"
    found = workload_of("data-bucket", "exports/team/a/x.csv", paste)
    assert found.prefix == "exports/" and "aws s3 sync" in found.how
    two = (
        "upload failed: ./a to s3://data-bucket/tables/orders/part-0.csv\n"
        "upload failed: ./b to s3://data-bucket/tables/customers/part-0.csv"
    )
    assert workload_of("data-bucket", "tables/orders/part-0.csv", two).prefix == "tables/"


def test_the_next_object_is_in_another_partition() -> None:
    assert sibling_key(NIGHTLY, "exports/") == "exports/2026/04/02/s3why-next-part-0001.parquet"
    assert sibling_key("logs/year=2025/month=12/x.gz", "logs/") == "logs/year=2026/month=01/s3why-next-x.gz"


def _fix(key: str, paste_extra: str = "") -> Any:
    text = (
        f"{paste_extra}upload failed: ./a to s3://data-bucket/{key} An error occurred (AccessDenied) when calling "
        "the PutObject operation: Access Denied"
    )
    (req,) = parse_text(text).requests
    found, _ = diagnose_and_fix(req, DiagnoseOptions(principal=SESSION), Source(snapshot=snapshot(key=key)), paste=text)
    (fix,) = found.fixes
    return fix


def test_a_nightly_exports_grant_covers_next_months_partition_and_says_so() -> None:
    fix = _fix(NIGHTLY)
    assert fix.scope == "prefix" and fix.verified
    statement = fix.patches[0].document["Statement"][-1]
    assert statement["Resource"] == ["arn:aws:s3:::data-bucket/exports/*"]
    prefix = next(s for s in fix.scopes if s.name == "prefix")
    assert "above the partition 2025/03/01/" in prefix.description
    assert "s3://data-bucket/exports/2026/04/02/s3why-next-part-0001.parquet" in prefix.workload
    assert "is allowed" in prefix.workload
    obj = next(s for s in fix.scopes if s.name == "object")
    assert "still be denied" in obj.workload


def test_the_cli_shows_the_workload_scope(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot(key=NIGHTLY)))
    text = (
        f"upload failed: ./a to s3://data-bucket/{NIGHTLY} An error occurred (AccessDenied) when calling the "
        "PutObject operation: Access Denied"
    )
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), "--principal", SESSION]
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, check=True).stdout
    flat = " ".join(out.split())
    assert "* prefix: lets app put any object under exports/ in data-bucket (above the partition 2025/03/01/" in flat
    assert "arn:aws:s3:::data-bucket/exports/*" in out
