"""A request through a Multi-Region Access Point or an access point alias through `s3why diagnose --snapshot ...
--json` (the CLI, in-process): the layer that refuses it, and a fix that names the resource the request really used
(the Multi-Region Access Point's ARN, the access point's ARN for its alias), verified on the patched snapshot
(issue 19 §3, issue 20 §3)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from bot.cli import main
from bot.field.build import compile_account
from bot.field.case import Case
from tests.diagnose.test_multi_region_access_points import MRAP, OTHER, OWNER, mrap_snapshot

ROLE = f"arn:aws:sts::{OTHER}:assumed-role/exporter/run-7"
AP_ALIAS = "reports-ap-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias"
AP_ARN = f"arn:aws:s3:us-east-1:{OWNER}:accesspoint/reports-ap"


def _run(tmp_path: Path, snapshot: dict[str, Any], text: str, *args: str) -> dict[str, Any]:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["diagnose", "--snapshot", str(path), "--json", *args, text])
    assert code == 0, err.getvalue()
    data: dict[str, Any] = json.loads(out.getvalue())
    return data["diagnoses"][0] if "diagnoses" in data else data


def test_a_multi_region_access_points_policy_is_fixed_on_its_own_arn(tmp_path: Path) -> None:
    snap = mrap_snapshot(caller_account=OTHER, mrap_policy=None, bucket_policy=_delegates_to(OWNER))
    snap["caller"] = {"Account": OWNER}  # s3why runs in the owner's account
    text = (
        f"$ aws s3 cp s3://{MRAP}/exports/2026/12/03/part-0001.parquet .\n"
        "fatal error: An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    )
    d = _run(tmp_path, snap, text, "--principal", ROLE, "--operation", "GetObject")
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "access-point-policy"
    fix = d["fixes"][0]
    assert fix["id"] == "multi-region-access-point-allow"
    patch = fix["patches"][0]
    assert patch["kind"] == "multi-region-access-point-policy" and patch["target"] == MRAP
    (statement,) = patch["document"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{OTHER}:role/exporter"}
    assert all(r.startswith(f"{MRAP}/object/") for r in statement["Resource"])
    assert "put-multi-region-access-point-policy --region us-west-2" in patch["commands"][0]


def test_a_bucket_that_does_not_honour_the_multi_region_access_point_gets_a_delegation_to_its_arn(
    tmp_path: Path,
) -> None:
    snap = mrap_snapshot(caller_account=OTHER, mrap_policy=_mrap_allows(), bucket_policy=None)
    snap["caller"] = {"Account": OWNER}
    text = (
        f"$ aws s3api get-object --bucket {MRAP} --key exports/2026/12/03/part-0001.parquet p.parquet\n"
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    )
    d = _run(tmp_path, snap, text, "--principal", ROLE)
    assert d["root_causes"][0]["layer"] == "bucket-policy"
    fix = d["fixes"][0]
    assert fix["id"] == "access-point-delegation"
    (statement,) = fix["patches"][0]["document"]["Statement"]
    assert statement["Condition"] == {"StringEquals": {"s3:DataAccessPointArn": MRAP}}


def test_a_request_to_an_access_point_alias_is_diagnosed_on_the_access_point_and_fixed_there(tmp_path: Path) -> None:
    snap = _alias_snapshot()
    text = (
        f"$ aws s3api get-object --bucket {AP_ALIAS} --key reports/2026/q4.csv q4.csv\n"
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    )
    d = _run(tmp_path, snap, text, "--principal", f"arn:aws:sts::{OWNER}:assumed-role/analyst/s1")
    # same account: the identity policy or the access point's could grant it; the request is evaluated on the
    # access point's ARN (the alias is only its bucket-style name), and so is every fix
    assert d["root_causes"][0]["layer"] == "identity"
    assert f"on {AP_ARN}/object/reports/2026/q4.csv" in d["root_causes"][0]["summary"]
    assert d["fixes"]
    for fix in d["fixes"]:
        for patch in fix["patches"]:
            resources = json.dumps(patch["document"])
            assert AP_ARN in resources and AP_ALIAS not in resources, patch


def _delegates_to(account: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": ["arn:aws:s3:::orders-us-east-1", "arn:aws:s3:::orders-us-east-1/*"],
                "Condition": {"StringEquals": {"s3:DataAccessPointAccount": account}},
            }
        ],
    }


def _mrap_allows() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:role/exporter"},
                "Action": "s3:GetObject",
                "Resource": f"{MRAP}/object/*",
            }
        ],
    }


def _alias_snapshot() -> dict[str, Any]:
    """An access point `reports-ap` whose policy grants another role; the analyst's identity policy names only the
    bucket, so nothing grants the request on the access point's ARN."""
    analyst = f"arn:aws:sts::{OWNER}:assumed-role/analyst/s1"
    case = Case.model_validate(
        {
            "id": "alias",
            "source": "https://example.invalid/t",
            "tool": "cli",
            "settled_by": "test",
            "text": "x",
            "account": {
                "principal": {
                    "arn": analyst,
                    "inline": {
                        "read": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}
                            ],
                        }
                    },
                },
                "access_point": {
                    "name": "reports-ap",
                    "account": OWNER,
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{OWNER}:role/etl"},
                                "Action": "s3:GetObject",
                                "Resource": f"{AP_ARN}/object/*",
                            }
                        ],
                    },
                },
                "bucket": {
                    "name": "reports",
                    "account": OWNER,
                    "policy": _delegating_bucket("reports"),
                    "object": {"key": "reports/2026/q4.csv"},
                },
            },
            "expected": {"layer": "access-point-policy", "decision": "implicit-deny"},
            "resolution": {"summary": "test"},
        }
    )
    snap = compile_account(case)
    snap["access_point"]["calls"]["GetAccessPoint"]["Alias"] = AP_ALIAS
    return snap


def _delegating_bucket(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"StringEquals": {"s3:DataAccessPointAccount": OWNER}},
            }
        ],
    }
