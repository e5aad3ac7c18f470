"""A cause's alternative values on a key the sender cannot set (the resource's account and tags, the Region, the
time: bot/engine/context.py:set_by_aws, the same list that keeps them out of request-side fixes) are said as what
the outcome depends on, never as "if aws:RequestedRegion were eu-west-1", which reads as a request to send; a key
AWS puts in every request is never shown absent. Keys the request can change keep their "if ... were" lines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.answer import answer
from bot.diagnose import DiagnoseOptions, Diagnosis
from bot.diagnose.render import diagnosis_text
from bot.engine.context import sender_cannot_set, set_by_aws
from bot.fixes import request as request_fixes
from bot.parse import parse_text
from bot.slack.blocks import diagnosis_blocks
from tests.corners.support import BUCKET, KEY, OWNER, bucket_part, not_in_org, role_part, snapshot

ROLE = f"arn:aws:iam::{OWNER}:role/app"
SESSION = f"arn:aws:sts::{OWNER}:assumed-role/app/run-1"
TEXT = (
    f"download failed: s3://{BUCKET}/{KEY} to ./report.csv An error occurred (AccessDenied) when calling the "
    "GetObject operation: Access Denied"
)


def _diagnosis(condition: dict[str, Any], context: dict[str, tuple[str, ...]] | None = None) -> Diagnosis:
    deny = {
        "Sid": "Guard",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        "Condition": condition,
    }
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    snap = snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"app": identity}),
        bucket=bucket_part(policy={"Version": "2012-10-17", "Statement": [deny]}),
        organization={"principal_account": not_in_org(OWNER)},
    )
    snap["target"] = {"principal_arn": SESSION, "bucket": BUCKET, "key": KEY}
    (req,) = parse_text(TEXT).requests
    return answer(req, DiagnoseOptions(principal=SESSION, context=context or {}), snap)


def _slack(d: Diagnosis, *, private: bool) -> str:
    return json.dumps(diagnosis_blocks(d, "run", private_documents=private))


@pytest.mark.parametrize(
    ("condition", "key", "context", "says"),
    [
        (
            {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
            "aws:RequestedRegion",
            None,
            "aws:RequestedRegion is the Region S3 serves the bucket in, not something the request can change: "
            "allow if it is eu-west-1",
        ),
        (
            {"StringNotEquals": {"aws:ResourceAccount": "555555555555"}},
            "aws:ResourceAccount",
            None,
            "aws:ResourceAccount is the account that owns the resource, not something the request can change: "
            "allow if it is 555555555555",
        ),
        (
            {"StringNotEquals": {"aws:ResourceTag/team": "data"}},
            "aws:ResourceTag/team",
            {"aws:ResourceTag/team": ("web",)},
            "aws:ResourceTag/team is a tag of the resource, not something the request can change: allow if it is "
            "data; explicit-deny if it is absent",
        ),
    ],
)
def test_an_alternative_on_a_key_the_sender_cannot_set_says_what_the_outcome_depends_on(
    condition: dict[str, Any], key: str, context: dict[str, tuple[str, ...]] | None, says: str
) -> None:
    d = _diagnosis(condition, context)
    assert d.decision == "explicit-deny"
    text = " ".join(diagnosis_text(d, width=400).split())
    assert says in text, text
    assert f"if {key} were" not in text
    # A key in every request's context is never absent: no line says what happens without it.
    if key != "aws:ResourceTag/team":
        assert "if it is absent" not in text
    shown = _slack(d, private=False)
    assert f"if `{key}` were" not in shown and f"`{key}` is {set_by_aws(key)}" in shown
    value = next(iter(condition.values()))[key]
    (line,) = [x for x in _slack(d, private=True).split("\\n") if x.startswith(f"\\u2022 `{key}` is")]
    assert "*allow* if it is another value" in line and value not in line, line


def test_a_key_the_request_can_change_keeps_its_if_it_were_line() -> None:
    d = _diagnosis({"Bool": {"aws:SecureTransport": "false"}})
    text = diagnosis_text(d, width=400)
    assert "if aws:SecureTransport were true: allow" in text
    assert "not something the request can change" not in text


def test_fixes_and_wording_read_one_list_of_keys_the_sender_cannot_set() -> None:
    assert vars(request_fixes)["sender_cannot_set"] is sender_cannot_set  # not a copy of the list
    for key in ("aws:CurrentTime", "s3:ExistingObjectTag/class", "aws:ResourceOrgID", "aws:TokenIssueTime"):
        assert sender_cannot_set(key) and set_by_aws(key)
    for key in ("aws:SecureTransport", "aws:SourceVpce", "s3:x-amz-acl", "aws:PrincipalTag/team"):
        assert not sender_cannot_set(key)
