"""Buckets a paste names outside a URL or an SDK parameter: in prose, in a repository URL, in configuration."""

from __future__ import annotations

import pytest

from bot.parse import parse_text


def _bucket_key(text: str) -> tuple[str | None, str | None]:
    requests = parse_text(text).requests
    assert requests, text
    return requests[0].bucket, requests[0].key


@pytest.mark.parametrize(
    ("text", "bucket"),
    [
        ("msg=\"failed to confirm existence of 'fluxcd' bucket: Access Denied.\"", "fluxcd"),
        ('error: the "logs" S3 bucket refused: AccessDenied: Access Denied', "logs"),
        (
            "Failed to read S3 object a.txt from bucket lake-raw-1: An error occurred (AccessDenied) when calling "
            "the GetObject operation: Access Denied",
            "lake-raw-1",
        ),
    ],
)
def test_a_bucket_named_in_prose(text: str, bucket: str) -> None:
    assert _bucket_key(text)[0] == bucket


@pytest.mark.parametrize(
    ("repo", "bucket"),
    [
        ("s3:http://172.31.0.1:9000/mybucket", "mybucket"),
        ("s3:https://minio.local/backups/restic/host-1", "backups"),
        ("s3:s3.amazonaws.com/my-bkup/restic/hostname123", "my-bkup"),
        ("s3:https://s3.amazonaws.com/my-bkup/restic/hostname123", "my-bkup"),
    ],
)
def test_a_restic_repository_names_its_bucket_and_no_key(repo: str, bucket: str) -> None:
    # restic docs, "Preparing a new repository": what follows the bucket is the repository's prefix.
    text = f"RESTIC_REPOSITORY={repo}\nFatal: unable to open config file: Stat: Access Denied."
    assert _bucket_key(text) == (bucket, None)


def test_an_arn_or_an_action_is_no_restic_repository() -> None:
    text = "AccessDenied: not allowed s3:GetObject/x on arn:aws:s3:::real-bucket-1/k"
    assert _bucket_key(text)[0] != "x"


@pytest.mark.parametrize(
    "setting",
    [
        "-e REGISTRY_STORAGE_S3_BUCKET=mubucket",
        "S3_BUCKET_NAME: mubucket",
        'storage.bucket = "mubucket"',
        "s3-bucket: mubucket",
    ],
)
def test_a_bucket_set_in_configuration(setting: str) -> None:
    assert _bucket_key(f"{setting}\nfails with AccessDenied during docker push") == ("mubucket", None)


def test_a_bare_bucket_setting_word_is_not_a_name() -> None:
    # The setting's name alone, with no prefix, stays to the rules that already read `bucket=` and `Bucket: '...'`.
    requests = parse_text("CFG_BUCKET=arn:aws:s3:::x AccessDenied: Access Denied").requests
    assert requests and requests[0].bucket != "arn"


@pytest.mark.parametrize(
    ("command", "bucket"),
    [
        ("./mc mb local/mybucket", "mybucket"),
        ("mc ls tmatest123/tmatest123", "tmatest123"),
        ("mc rb --force play/old-bucket-1", "old-bucket-1"),
    ],
)
def test_minio_client_targets_name_alias_then_bucket(command: str, bucket: str) -> None:
    text = f"$ {command}\nmc: <ERROR> Unable to make bucket. Access Denied."
    assert _bucket_key(text) == (bucket, None)


def test_a_local_source_of_mc_cp_is_no_bucket() -> None:
    requests = parse_text("$ mc cp photos/cat.jpg play/pics-1/\nmc: <ERROR> Access Denied.").requests
    assert requests and requests[0].bucket != "cat.jpg" and requests[0].bucket != "photos"


def test_a_quoted_command_line_assignment_states_its_key() -> None:
    text = '`terraform init -backend-config="bucket=state-eu-2" -backend-config="key=network"`\nError refreshing state: AccessDenied: Access Denied\n\tstatus code: 403, request id: '
    (request,) = parse_text(text).requests
    assert (request.bucket, request.key) == ("state-eu-2", "network")


def test_an_unquoted_bare_word_key_is_still_a_variable() -> None:
    text = "s3.get_object(Bucket='state-eu-2', Key=network)\nAn error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    (request,) = parse_text(text).requests
    assert request.key is None


def test_a_providers_bucket_sub_resource_for_a_name_states_the_bucket() -> None:
    text = "Error: error putting S3 Bucket Versioning for logs-archive-eu-1: AccessDenied: Access Denied\n\tstatus code: 403, request id: Q1W2E3R4T5Y6U7I8"
    (request,) = parse_text(text).requests
    assert request.bucket == "logs-archive-eu-1"


def test_a_bucket_word_for_a_purpose_is_no_bucket() -> None:
    text = "We use the Bucket Policy for compliance: AccessDenied: Access Denied\n\tstatus code: 403, request id: Q1W2E3R4T5Y6U7I8"
    (request,) = parse_text(text).requests
    assert request.bucket is None


SIGNED_TRACE = (
    "mc: <ERROR> Failed to copy `https://store.internal.example:9000/media-2/photos/cat.jpg`. Access Denied.\n"
    "mc: <DEBUG> HEAD /media-2/photos/dog.jpg HTTP/1.1\nHost: store.internal.example:9000\n"
    "Authorization: AWS4-HMAC-SHA256 Credential=MINIOUSER/20240101/us-east-1/{service}/aws4_request, "
    "SignedHeaders=host, Signature=**REDACTED**\n"
)


def test_a_path_style_url_on_a_host_signed_for_s3_states_bucket_and_key() -> None:
    assert _bucket_key(SIGNED_TRACE.format(service="s3")) == ("media-2", "photos/cat.jpg")


def test_a_url_on_a_host_signed_for_another_service_states_no_bucket() -> None:
    (request,) = parse_text(SIGNED_TRACE.format(service="execute-api")).requests
    assert request.bucket != "media-2"


def test_clickhouses_s3_table_function_on_a_compatible_host_is_path_style() -> None:
    text = (
        "SELECT count() FROM s3 ('https://objects.example.net:9000/lake-raw-7/events/2024.parquet', 'Parquet')\n"
        "Code: 499. DB::Exception: Failed to get object info: No response body.. HTTP response code: 403"
    )
    assert _bucket_key(text) == ("lake-raw-7", "events/2024.parquet")


def test_clickhouses_s3_table_function_on_aws_is_read_as_aws_addresses_it() -> None:
    text = (
        "SELECT count() FROM s3('https://lake-raw-7.s3.eu-west-1.amazonaws.com/events/2024.parquet')\n"
        "Code: 499. DB::Exception: Failed to get object info: No response body.. HTTP response code: 403"
    )
    assert _bucket_key(text) == ("lake-raw-7", "events/2024.parquet")


def test_a_sentences_full_stop_does_not_make_a_word_a_bucket_name() -> None:
    text = "store put chunk: AccessDenied: Owner may not write to the bucket path.\n\tstatus code: 403, request id: 77"
    (request,) = parse_text(text).requests
    assert request.bucket is None


def test_an_unquoted_name_with_a_hyphen_before_the_full_stop_is_still_a_bucket() -> None:
    text = "store put chunk: AccessDenied: Owner may not write to the bucket loki-chunks.\n\tstatus code: 403, request id: 77"
    (request,) = parse_text(text).requests
    assert request.bucket == "loki-chunks"
