"""Go services' S3 errors: velero-plugin-for-aws's "error putting object KEY: ..." with its logfmt `bucket=`
field, and the objstore S3 client Thanos, Cortex and Loki use ("stat s3 object", "upload s3 object", ...)."""

from __future__ import annotations

import pytest

from bot.parse import parse_text

VELERO = (
    'time="2024-07-30T15:02:11Z" level=error msg="Error uploading log file" backup=velero/b2 bucket=velero-dev '
    'error="rpc error: code = Unknown desc = error putting object backups/b2/b2-logs.gz: operation error S3: '
    'PutObject, https response error StatusCode: 403, RequestID: 4Z7Y1X9W3V5U8T2S, api error AccessDenied: Access Denied"'
)
VELERO_V1 = (
    'level=error msg="backup failed" error="rpc error: code = Unknown desc = error getting object '
    'backups/nightly/velero-backup.json: AccessDenied: Access Denied\\n\\tstatus code: 403, request id: VMR0P517BVGX8KTN"'
)
THANOS_STAT = (
    'level=error caller=shipper.go:165 msg="shipping failed" block=01CH0N8K0M9HAZ3DKN60Z8RR7G '
    'err="check exists: stat s3 object: Access Denied."'
)
THANOS_UPLOAD = 'caller=sidecar.go:277 err="upload 01F4029SF12WKX9MDT5SDG56PN: upload debug meta file: upload s3 object: Access Denied"'
TAGGING = 'error="error putting object tagging backups/b2/x.gz: AccessDenied: Access Denied"'

CASES = [
    (VELERO, "PutObject", "velero-dev", "backups/b2/b2-logs.gz"),
    (VELERO_V1, "GetObject", None, "backups/nightly/velero-backup.json"),
    (THANOS_UPLOAD, "PutObject", None, None),
]


@pytest.mark.parametrize(
    ("text", "operation", "bucket", "key"),
    CASES,
    ids=["velero-v2-sdk", "velero-v1-sdk", "thanos-upload"],
)
def test_a_go_service_log_names_the_operation_and_the_key(
    text: str, operation: str, bucket: str | None, key: str | None
) -> None:
    req = parse_text(text).requests[0]
    assert (req.operation, req.bucket, req.key) == (operation, bucket, key)


def test_a_sub_resource_call_is_not_read_as_the_object_call() -> None:
    req = parse_text(TAGGING).requests[0]
    assert req.operation != "PutObject" and req.key != "tagging"


def test_objstores_stat_only_suggests_a_head() -> None:
    # "stat" is POSIX's word, not S3's: the corpus README counts it as a suggestion (corpus b14-021).
    req = parse_text(THANOS_STAT).requests[0]
    assert (req.operation, req.operation_candidates) == (None, ("HeadObject",))
