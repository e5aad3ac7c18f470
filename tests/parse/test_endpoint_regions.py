"""Regions read from AWS endpoint hosts, by botocore's endpoints.json (every partition's regions and DNS suffixes)."""

from __future__ import annotations

import pytest

from bot.parse import parse_text
from bot.parse.vocabulary import endpoint_region, partitions

# Hostname forms endpoints.json's templates produce ({service}.{region}.{dnsSuffix} and its dualstack / fips
# variants), S3's virtual-hosted form, and the legacy dash form the S3 User Guide lists ("Legacy endpoints").
_FORMS = (
    "s3.{region}.{suffix}",
    "s3-{region}.amazonaws.com",
    "bucket-1.s3.{region}.{suffix}",
    "s3.dualstack.{region}.{suffix}",
    "sts.{region}.{suffix}:443",
    "kms-fips.{region}.{suffix}",
)


def test_every_partition_region_is_read_from_every_hostname_form() -> None:
    known = partitions()
    assert "us-east-1" in known.regions and "cn-north-1" in known.regions and ".amazonaws.com" in known.suffixes
    for region in sorted(known.regions):
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        for form in _FORMS:
            host = form.format(region=region, suffix=suffix)
            assert endpoint_region(host) == region, host


@pytest.mark.parametrize(
    "host", ["s3.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com", "s3.example.com", "us-west-9.amazonaws.com"]
)
def test_global_and_foreign_hosts_name_no_region(host: str) -> None:
    assert endpoint_region(host) is None


@pytest.mark.parametrize(
    ("text", "region"),
    [
        (
            "thanos sidecar --s3.endpoint s3-us-west-1.amazonaws.com --s3.bucket b1\n"
            'err="check exists: stat s3 object: Access Denied."',
            "us-west-1",
        ),
        (
            "<endpoint>https://s3.eu-central-1.amazonaws.com:443</endpoint>\n"
            "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            "eu-central-1",
        ),
        (
            'Error executing "AssumeRole" on "https://sts.ap-southeast-2.amazonaws.com"; AWS HTTP error: '
            "`403 Forbidden` AccessDenied (client): not authorized to perform: sts:AssumeRole",
            "ap-southeast-2",
        ),
    ],
)
def test_a_paste_names_its_region_through_its_endpoint(text: str, region: str) -> None:
    requests = parse_text(text).requests
    assert requests and requests[0].region == region


def test_a_global_endpoint_states_no_region() -> None:
    requests = parse_text("GET https://s3.amazonaws.com/bucket-1/k 403 (Forbidden) AccessDenied").requests
    assert requests and requests[0].region is None
