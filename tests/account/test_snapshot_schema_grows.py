"""The snapshot schema grows without breaking: every snapshot recorded in the repository still validates and loads,
and one with a Multi-Region Access Point does too (issue 19 §3)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from bot.account.snapshot import SnapshotError, load_snapshot, validate_snapshot
from bot.account.view import account_view
from tests.diagnose.test_multi_region_access_points import MRAP, OTHER, mrap_snapshot

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "snapshot.schema.json").read_text())
RECORDED = sorted(
    p
    for p in [*(ROOT / "tests").rglob("*.json"), *(ROOT / "docs").glob("*.json")]
    if p.name != "snapshot.schema.json" and '"s3why_snapshot"' in p.read_text(encoding="utf-8")
)


def test_the_repository_holds_recorded_snapshots() -> None:
    assert len(RECORDED) >= 5, RECORDED


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_recorded_snapshot_still_validates_and_loads(path: Path) -> None:
    data = load_snapshot(str(path))
    jsonschema.validate(data, SCHEMA)
    view = account_view(data)
    assert view.multi_region_access_point is None  # none of them has one: the new part is optional


def test_a_snapshot_with_a_multi_region_access_point_validates_and_reads_as_one(tmp_path: Path) -> None:
    snap = mrap_snapshot(caller_account=OTHER, mrap_policy=None, bucket_policy=None)
    jsonschema.validate(snap, SCHEMA)
    path = tmp_path / "mrap.json"
    path.write_text(json.dumps(snap))
    view = account_view(load_snapshot(str(path)))
    assert view.multi_region_access_point is not None
    info = view.multi_region_access_point["GetMultiRegionAccessPoint"]
    assert info.present and info.value["AccessPoint"]["Alias"] == MRAP.rsplit("/", 1)[1]


def test_a_multi_region_access_point_part_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(SnapshotError, match="multi_region_access_point"):
        validate_snapshot({"s3why_snapshot": 1, "multi_region_access_point": ["not", "an", "object"]})
    with pytest.raises(SnapshotError, match=r"multi_region_access_point\.calls"):
        validate_snapshot({"s3why_snapshot": 1, "multi_region_access_point": {"calls": []}})
