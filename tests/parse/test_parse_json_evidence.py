"""`s3why parse --json` prints the evidence fields (policy_arn, authorization_id, reason) and the inferred request
facts (operation candidates, stated context, presigned signer), null/empty when the text does not say."""

from __future__ import annotations

import json
import subprocess
import sys

SCP = "arn:aws:organizations::111111111111:policy/o-exampleorg/service_control_policy/p-examplepolicy"
ENRICHED = (
    "An error occurred (AccessDenied) when calling the GetObject operation: User: "
    "arn:aws:sts::111122223333:assumed-role/etl/run-7 is not authorized to perform: s3:GetObject on resource: "
    f'"arn:aws:s3:::lake-raw/x.parquet" with an explicit deny in a service control policy: {SCP}. Go to '
    "https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/a1b2c3d4e5 for "
    "complete details, or call the GetRequestAuthorizationDetails API with the following authorization id: a1b2c3d4e5"
)


def _parse_json(text: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "parse", "--json"], input=text, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    (req,) = json.loads(out.stdout)["requests"]
    assert isinstance(req, dict)
    return req


def test_parse_json_prints_policy_arn_authorization_id_and_reason() -> None:
    req = _parse_json(ENRICHED)
    assert req["policy_arn"] == SCP
    assert req["authorization_id"] == "a1b2c3d4e5"
    assert req["reason"] == "an explicit deny in a service control policy"
    assert req["operation_candidates"] == []


def test_parse_json_prints_nulls_when_the_text_names_no_policy_or_record() -> None:
    req = _parse_json("An error occurred (AccessDenied) when calling the PutObject operation: Access Denied")
    assert (req["policy_arn"], req["authorization_id"], req["reason"], req["presigned"]) == (None, None, None, None)
    assert req["stated_context"] == {}


def test_presigned_signature_and_token_never_reach_the_output() -> None:
    token = "IQoJb3JpZ2luX2VjEXAMPLETOKENVALUE0123456789abcdefghijklmnop"
    signature = "9f3c1d2e4b5a69788776655443322110ffeeddccbbaa99887766554433221100"
    url = (
        "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAXAMPLEKEY0000001%2F"
        f"20261130%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261130T100000Z&X-Amz-Expires=60&X-Amz-Security-Token="
        f"{token}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
    )
    out = subprocess.run(
        [sys.executable, "-m", "bot", "parse", "--json"],
        input=f"GET {url}\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert token not in out.stdout and signature not in out.stdout
    (req,) = json.loads(out.stdout)["requests"]
    assert req["presigned"]["access_key_id"] == "ASIAXAMPLEKEY0000001"
    assert req["presigned"]["temporary_credentials"] is True
    assert req["operation"] == "GetObject"


def test_parse_text_output_shows_candidates_and_context_readably() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "parse"],
        input="$ aws s3 cp s3://ml-data/m.onnx . --sse aws:kms\ndownload failed: s3://ml-data/m.onnx to ./m.onnx Access Denied",
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "candidates   HeadObject, GetObject" in out.stdout
    assert "context      s3:x-amz-server-side-encryption=aws:kms" in out.stdout
