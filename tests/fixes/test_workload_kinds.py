"""Issue 20 §1: a fix grants the workload's next requests — the operations the tool named in the paste performs
(remediations/workloads/kinds.yaml, each with its documentation) — that the same layer denies, exactly those
actions, and says so; the folder a workload writes is at the level the account already grants its siblings."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.diagnose import DiagnoseOptions
from bot.fixes.workload import sibling_grant_prefix, sibling_key, workload_of
from bot.fixes.workload_kinds import workload_kinds, workload_operations
from bot.parse import parse_text
from bot.pipeline import Source, diagnose_and_fix
from bot.s3ops import lookup_operation
from tests.fixes.support import SESSION, snapshot


def test_every_kind_names_known_operations_a_direction_and_its_documentation() -> None:
    kinds = workload_kinds()
    assert {k.id for k in kinds} >= {"aws-s3-sync", "aws-s3-cp-recursive", "s3fs", "mountpoint-s3", "hadoop-s3a"}
    for kind in kinds:
        assert kind.source.startswith("https://"), kind.id
        for op in (*kind.read, *kind.write, *(o for _, r, w in kind.options for o in (*r, *w))):
            assert lookup_operation(op) is not None, (kind.id, op)


@pytest.mark.parametrize(
    ("paste", "bucket", "operation", "role", "ops"),
    [
        (
            "aws s3 sync --request-payer requester s3://snap-bucket/bsc/ /data/bsc/",
            "snap-bucket",
            "ListObjectsV2",
            "reads",
            ("ListObjectsV2", "GetObject"),
        ),
        (
            "aws s3 sync ./site s3://web-bucket/ --delete --exclude 'logs/*'",
            "web-bucket",
            "PutObject",
            "writes",
            ("ListObjectsV2", "PutObject", "DeleteObject"),
        ),
        (
            "aws s3 cp s3://src-bucket/a/ s3://dst-bucket/b/ --recursive",
            "dst-bucket",
            "PutObject",
            "writes",
            ("PutObject",),
        ),
        (
            "aws s3 cp s3://src-bucket/a/ s3://dst-bucket/b/ --recursive",
            "src-bucket",
            "GetObject",
            "reads",
            ("ListObjectsV2", "GetObject"),
        ),
        (
            "s3fs[2143]: s3fs.cpp:s3fs_getattr(810): [path=/a]",
            "mnt-bucket",
            "HeadObject",
            "reads and writes",
            ("ListObjectsV2", "HeadObject", "GetObject", "PutObject", "DeleteObject"),
        ),
        (
            "mount-s3 mnt-bucket /mnt --allow-delete",
            "mnt-bucket",
            "GetObject",
            "reads and writes",
            ("ListObjectsV2", "HeadObject", "GetObject", "PutObject", "DeleteObject"),
        ),
        (
            "mount-s3 mnt-bucket /mnt",
            "mnt-bucket",
            "GetObject",
            "reads and writes",
            ("ListObjectsV2", "HeadObject", "GetObject", "PutObject"),
        ),
        (
            "java.nio.file.AccessDeniedException: s3a://lake-bucket/t/x.parquet: getFileStatus",
            "lake-bucket",
            "HeadObject",
            "reads",
            ("ListObjectsV2", "HeadObject", "GetObject"),
        ),
        (
            "org.apache.hadoop.fs.s3a.S3AFileSystem: PUT s3a://lake-bucket/t/x",
            "lake-bucket",
            "PutObject",
            "writes",
            ("ListObjectsV2", "HeadObject", "GetObject", "PutObject", "DeleteObject"),
        ),
    ],
)
def test_the_workloads_operations_follow_the_tool_and_the_side_of_the_bucket(
    paste: str, bucket: str, operation: str, role: str, ops: tuple[str, ...]
) -> None:
    found = workload_operations(paste, bucket, operation)
    assert found is not None
    assert (found.role, found.operations) == (role, ops)
    assert found.kind.source in found.words()


def test_no_tool_in_the_paste_or_another_bucket_is_no_workload() -> None:
    assert (
        workload_operations("An error occurred (AccessDenied) when calling the PutObject", "b-bucket", "PutObject")
        is None
    )
    assert workload_operations("aws s3 sync s3://one-bucket/a/ /tmp/a/", "two-bucket", "ListObjectsV2") is None


def _diagnose(text: str, snap: dict[str, Any], context: dict[str, tuple[str, ...]] | None = None) -> Any:
    (req,) = parse_text(text).requests
    options = DiagnoseOptions(principal=SESSION, context=context or {})
    found, _ = diagnose_and_fix(req, options, Source(snapshot=snap), paste=text)
    return next(f for f in found.fixes if f.id == "identity-allow")


SYNC = (
    "$ aws s3 sync s3://data-bucket/exports/daily/ /srv/exports/\n"
    "fatal error: An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied"
)


def test_a_sync_listing_fix_also_grants_the_downloads_under_the_sync_root_and_says_so() -> None:
    fix = _diagnose(SYNC, snapshot(key=None))
    assert fix.verified
    statements = fix.patches[0].document["Statement"]
    grants = {tuple(s["Action"]): s["Resource"] for s in statements}
    assert grants == {
        ("s3:ListBucket",): ["arn:aws:s3:::data-bucket"],
        ("s3:GetObject",): ["arn:aws:s3:::data-bucket/exports/daily/*"],
    }
    assert "aws s3 sync reads data-bucket: ListObjectsV2, GetObject" in fix.explanation
    assert "s3:GetObject on any object under s3://data-bucket/exports/daily/" in fix.explanation


def test_a_download_the_account_already_allows_is_not_granted_again() -> None:
    allowed = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-bucket/*"}
    fix = _diagnose(SYNC, snapshot(key=None, identity=[{"Version": "2012-10-17", "Statement": [allowed]}]))
    added = [s for s in fix.patches[0].document["Statement"] if s.get("Sid", "").startswith("S3why")]
    assert [s["Action"] for s in added] == [["s3:ListBucket"]]
    assert "already allowed" in fix.explanation


def test_a_mount_fix_grants_its_reads_writes_and_deletes_on_the_same_objects() -> None:
    key = "sites/www/db.sql.gz"
    text = (
        "s3fs[2143]: curl.cpp:RequestPerform(1940): HTTP response code 403, returning EPERM. "
        f"<Error><Code>AccessDenied</Code></Error> s3fs[2143]: s3fs.cpp:s3fs_getattr(810): [path=/{key}]"
    )
    (req,) = parse_text(text).requests
    req = replace(req, bucket="data-bucket", key=key, operation="HeadObject", action=None)
    listing = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data-bucket"}
    snap = snapshot(key=key, identity=[{"Version": "2012-10-17", "Statement": [listing]}])
    found, _ = diagnose_and_fix(req, DiagnoseOptions(principal=SESSION), Source(snapshot=snap), paste=text)
    fix = next(f for f in found.fixes if f.id == "identity-allow")
    assert fix.verified and fix.scope == "prefix"
    document = fix.patches[0].document
    assert document is not None
    added = document["Statement"][-1]
    assert added["Action"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]  # ListBucket: already allowed
    assert added["Resource"] == ["arn:aws:s3:::data-bucket/sites/www/*"]
    chosen = next(s for s in fix.scopes if s.name == "prefix")
    assert "the workload's next PutObject" in chosen.workload and "still denied" not in chosen.workload


def test_the_workloads_folder_is_at_the_level_the_account_grants_its_siblings() -> None:
    head = "arn:aws:s3:::land-bucket"
    manual = {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": f"{head}/team/manual/*"}
    key = "team/counters/vendor-a/2024-09-06.csv"
    assert sibling_grant_prefix([manual], "land-bucket", key, ["s3:PutObject"]) == ("team/counters/", "team/manual/")
    # the key's own ancestor, another action, a folder with nothing in common: no say
    assert sibling_grant_prefix([manual], "land-bucket", key, ["s3:GetObject"]) is None
    other = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{head}/elsewhere/x/*"}
    assert sibling_grant_prefix([other], "land-bucket", key, ["s3:PutObject"]) is None
    found = workload_of("land-bucket", key, "", None, ("team/counters/", "team/manual/"))
    assert found.prefix == "team/counters/" and found.other_folder
    assert "s3://land-bucket/team/manual/*" in found.how
    assert sibling_key(key, "team/counters/", True) == "team/counters/s3why-other-vendor-a/s3why-next-2024-09-06.csv"


def test_the_cli_says_what_the_sync_does_next(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot(key=None)))
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), "--principal", SESSION]
    out = subprocess.run(cmd, input=SYNC, capture_output=True, text=True, check=True).stdout
    flat = " ".join(out.split())
    assert "The workload's next requests are granted with it: aws s3 sync reads data-bucket" in flat
    assert "arn:aws:s3:::data-bucket/exports/daily/*" in out


LOKI = (
    'level=error ts=2021-05-14T08:21:37.512Z caller=table_manager.go:233 msg="error syncing tables" '
    'err="AccessDenied: Access Denied\\n\\tstatus code: 403, request id: 1D9E4B7A3C2F0856"\n'
    'level=error ts=2021-05-14T08:21:37.512Z caller=log.go:106 msg="error running loki" err="AccessDenied"'
)


def _bucket_only(text: str) -> Any:
    (req,) = parse_text(text).requests
    req = replace(req, bucket="data-bucket")
    objects = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data-bucket/*"}
    snap = snapshot(key=None, identity=[{"Version": "2012-10-17", "Statement": [objects]}])
    found, _ = diagnose_and_fix(req, DiagnoseOptions(principal=SESSION), Source(snapshot=snap), paste=text)
    return found


def test_an_open_operation_is_the_one_candidate_the_named_tool_performs_and_is_fixed() -> None:
    found = _bucket_only(LOKI)
    assert found.request["operation"] == "ListObjectsV2"
    assert any("Grafana Loki (object storage) performs only ListObjectsV2" in n for n in found.notes)
    fix = next(f for f in found.fixes if f.id == "identity-allow")
    assert fix.verified
    added = [s for s in (fix.patches[0].document or {})["Statement"] if s["Sid"].startswith("S3why")]
    # the listing, and what Loki does next that the account does not allow yet (its compactor deletes chunks)
    assert [(s["Action"], s["Resource"]) for s in added] == [
        (["s3:ListBucket"], ["arn:aws:s3:::data-bucket"]),
        (["s3:DeleteObject"], ["arn:aws:s3:::data-bucket/*"]),
    ]


def test_without_a_tool_that_decides_the_operation_stays_open_and_the_answer_says_what_decides() -> None:
    found = _bucket_only(LOKI.replace("loki", "svc"))
    assert not found.fixes
    assert any("name it (--operation OP" in n for n in found.notes)


def test_the_cli_fixes_the_listing_loki_makes_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot(key=None)))
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), "--principal", SESSION]
    out = subprocess.run([*cmd, "--bucket", "data-bucket"], input=LOKI, capture_output=True, text=True).stdout
    flat = " ".join(out.split())
    assert "Grafana Loki (object storage) performs only ListObjectsV2 on data-bucket" in flat
    assert "verified] Allow the request in the principal's identity-based policy" in flat


# AWS services as workloads: the S3 access each service's guide documents for the role it runs as.
FIREHOSE = (
    '{"deliveryStreamARN":"arn:aws:firehose:us-east-1:111122223333:deliverystream/clicks",'
    '"destination":"arn:aws:s3:::data-bucket","deliveryStreamVersionId":3,'
    '"message":"Access was denied. Ensure that the trust policy for the provided IAM role allows Firehose to assume '
    'the role, and the access policy allows access to the S3 bucket.","errorCode":"S3.AccessDenied"}'
)
UNLOAD = (
    "dev=# UNLOAD ('select * from sales') TO 's3://data-bucket/sales/2024-05/part_' IAM_ROLE "
    "'arn:aws:iam::111122223333:role/app' FORMAT PARQUET;\n"
    "ERROR:  S3ServiceException:Access Denied,Status 403,Error AccessDenied,Rid 5ZS1M2X8K3J7H4G6,CanRetry 1\n"
    "  context:   Failed to initialize S3 output stream. S3 path: s3://data-bucket/sales/2024-05/part_0000_part_00.parquet"
)
COPY = (
    "dev=# COPY sales FROM 's3://data-bucket/sales/2024-05/' IAM_ROLE 'arn:aws:iam::111122223333:role/app';\n"
    "ERROR:  S3ServiceException:Access Denied,Status 403,Error AccessDenied,Rid 5ZS1M2X8K3J7H4G6,CanRetry 1"
)


@pytest.mark.parametrize(
    ("paste", "role", "ops", "reported"),
    [
        (
            FIREHOSE,
            "writes",
            (
                "PutObject",
                "GetBucketLocation",
                "ListObjectsV2",
                "ListMultipartUploads",
                "GetObject",
                "AbortMultipartUpload",
            ),
            "PutObject",
        ),
        (
            "ERROR : Error Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied) retrieving "
            "file at s3://data-bucket/orders/x.parquet. Tables created did not infer schemas from this file.",
            "reads",
            ("ListObjectsV2", "GetObject"),
            "GetObject",
        ),
        (UNLOAD, "writes", ("ListObjectsV2", "PutObject"), "PutObject"),
        (COPY, "reads", ("ListObjectsV2", "GetObject"), "GetObject"),
        (
            "An error occurred (InsufficientS3BucketPolicyException) when calling the CreateTrail operation: "
            "Incorrect S3 bucket policy is detected for bucket: data-bucket",
            "writes",
            ("GetBucketAcl", "PutObject"),
            "PutObject",
        ),
    ],
)
def test_an_aws_service_is_a_workload_with_the_operations_its_guide_documents(
    paste: str, role: str, ops: tuple[str, ...], reported: str
) -> None:
    found = workload_operations(paste, "data-bucket", None)
    assert found is not None
    assert (found.role, found.operations, found.reported) == (role, ops, reported)
    assert found.kind.source.startswith("https://docs.aws.amazon.com/")


def test_a_firehose_delivery_error_is_its_putobject_and_the_fix_grants_the_deliveries() -> None:
    (req,) = parse_text(FIREHOSE).requests
    assert req.operation is None and req.key is None  # the record names neither: the candidates are bucket-level
    objects = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::data-bucket/*"}
    snap = snapshot(key=None, identity=[{"Version": "2012-10-17", "Statement": [objects]}])
    found, _ = diagnose_and_fix(req, DiagnoseOptions(principal=SESSION), Source(snapshot=snap), paste=FIREHOSE)
    assert found.request["operation"] == "PutObject"
    assert any("a denial in its error report is its PutObject" in n for n in found.notes)
    fix = next(f for f in found.fixes if f.id == "identity-allow")
    # The record names no object: tried on a stand-in key, the fix says so rather than claim it was verified.
    assert not fix.verified and "names no key" in fix.reason
    granted = {(a, r) for s in (fix.patches[0].document or {})["Statement"] for a in _actions(s) for r in s["Resource"]}
    # The deliveries and what Firehose does beside them (its guide), exactly: no delete, nothing beyond the bucket.
    assert granted == {
        ("s3:PutObject", "arn:aws:s3:::data-bucket/*"),
        ("s3:AbortMultipartUpload", "arn:aws:s3:::data-bucket/*"),
        ("s3:GetBucketLocation", "arn:aws:s3:::data-bucket"),
        ("s3:ListBucket", "arn:aws:s3:::data-bucket"),
        ("s3:ListBucketMultipartUploads", "arn:aws:s3:::data-bucket"),
    }


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [str(a) for a in action] if isinstance(action, list) else [str(action)]


def test_a_redshift_unload_is_the_write_of_the_file_not_a_read_of_it() -> None:
    (req,) = parse_text(UNLOAD).requests
    snap = snapshot(key="sales/2024-05/part_0000_part_00.parquet")
    found, _ = diagnose_and_fix(req, DiagnoseOptions(principal=SESSION), Source(snapshot=snap), paste=UNLOAD)
    assert found.request["operation"] == "PutObject"
    assert any(f.verified for f in found.fixes)


def test_the_cli_names_the_service_and_the_operation_its_report_stands_for(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot(key=None)))
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), "--principal", SESSION]
    out = subprocess.run(cmd, input=FIREHOSE, capture_output=True, text=True, check=True).stdout
    flat = " ".join(out.split())
    assert "Amazon Data Firehose (S3 destination) writes data-bucket, and a denial in its error report is its" in flat
    assert "Allow the request in the principal's identity-based policy" in flat
    assert "the text names no key, so s3why could only try it on a stand-in key" in flat


FIELD = Path(__file__).parent.parent / "field" / "cases"


def _field_cli(tmp_path: Path, case_id: str, *args: str) -> tuple[dict[str, Any], str]:
    """`s3why diagnose --snapshot` on a field case's text and account: (the JSON diagnosis, the report in words)."""
    from bot.field.build import compile_account
    from bot.field.case import load_case

    case = load_case(FIELD / f"{case_id}.yaml")
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(compile_account(case)))
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), *args]
    out = subprocess.run([*cmd, "--json"], input=case.text, capture_output=True, text=True, check=True).stdout
    report = subprocess.run(cmd, input=case.text, capture_output=True, text=True, check=True).stdout
    (found,) = json.loads(out)["diagnoses"]
    return dict(found), " ".join(report.split())


def test_the_cli_reads_a_gitlab_cache_upload_as_the_put_of_the_cache_by_the_snapshots_only_principal(
    tmp_path: Path,
) -> None:
    found, report = _field_cli(tmp_path, "gitlab-runner-docker-executor-cache-presigned-no-policy")
    assert found["request"]["operation"] == "PutObject"
    assert set(found["request"]["from_snapshot"]) == {"principal"}
    assert "the text names no principal: s3why used the only one snapshot" in report
    assert "GitLab Runner distributed cache (S3) reads and writes" in report
    assert "a denial in its error report is its PutObject" in report
    fix = found["fixes"][0]
    assert fix["verified"] and fix["layer"] == "identity"


def test_the_cli_reads_terraforms_inspecting_states_as_the_listing_of_the_bucket(tmp_path: Path) -> None:
    principal = "arn:aws:iam::585858797979:user/github-provider-ci"
    found, report = _field_cli(
        tmp_path, "tf-s3-backend-object-permissions-without-listbucket", "--principal", principal
    )
    assert "it acts on the bucket, not on human/providers/github" in report
    assert (found["request"]["operation"], found["request"]["key"]) == ("ListObjectsV2", None)
    # the bucket came from the snapshot; its object is not claimed, the listing does not act on it
    assert found["request"]["from_snapshot"] == {"bucket": "xyz-terraform"}
    assert found["root_causes"][0]["layer"] == "identity"
    assert found["fixes"][0]["verified"]
