"""A user or role the snapshot holds nothing of (no principal section: a bucket-only, hand-written snapshot) has
unknown identity-based policies, never none (tester3 report, D9; CONTRACT: `unknown` "when a layer that could
decide it could not be read"). A service principal or an anonymous request has no identity policies to read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corners.support import BUCKET, KEY, OWNER, bucket_part, diagnose_snapshot, not_in_org, snapshot, verdicts

TEXT = (
    f"aws s3api head-object --bucket {BUCKET} --key {KEY}\n"
    "An error occurred (403) when calling the HeadObject operation: Forbidden"
)


@pytest.mark.parametrize(
    "principal",
    [f"arn:aws:iam::{OWNER}:role/app", f"arn:aws:sts::{OWNER}:assumed-role/app/run-1", f"arn:aws:iam::{OWNER}:user/u"],
)
def test_an_unread_user_or_role_leaves_the_identity_layer_unknown(tmp_path: Path, principal: str) -> None:
    snap = snapshot(principal=None, bucket=bucket_part(), organization={"principal_account": not_in_org(OWNER)})
    d = diagnose_snapshot(tmp_path, snap, TEXT, "--principal", principal)
    assert verdicts(d)["identity"] == "unknown", d["layers"]
    assert d["decision"] == "unknown"
    assert all(c["layer"] != "identity" for c in d["root_causes"]), d["root_causes"]
    assert not any(f["verified"] for f in d["fixes"])
