"""Every kind of principal in Slack (issue 19 §2/§4, issue 20 §3): signed requests to the real Bolt app, the fake
Web API, moto and a real Redis. A shared node role gets the workload's own identity first; a bucket that does not
exist is said not to exist. (The CloudFront OAI -> OAC fix is covered through the CLI in
tests/diagnose/test_principal_kinds_cli.py: the parser does not yet read an OAI's ARN, which holds spaces, from a
pasted "User: ..." line, so a Slack paste cannot name it.)"""

from __future__ import annotations

import json
from typing import Any

from bot.demo.scenarios import TRUST, allow, bucket, doc
from tests.account.conftest import OWN, client
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed


def _answer(h: Harness, text: str, event_id: str) -> list[dict[str, Any]]:
    assert post_signed(h.endpoint, SECRET, event(message(text), event_id=event_id), "application/json")[0] == 200
    blocks: list[dict[str, Any]] = h.fake.wait_for("chat.update")[-1].body["blocks"]
    return blocks


def test_a_pods_denial_as_the_node_role_gets_the_workloads_own_identity_first(harness: Harness) -> None:
    iam = client("iam")
    iam.create_role(RoleName="eks-node-role", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(
        RoleName="eks-node-role", PolicyName="ecr", PolicyDocument=doc(allow("ecr:GetAuthorizationToken", "*"))
    )
    s3 = bucket("es-snapshots", objects={"snap-1.dat": b"x"})
    s3.put_bucket_policy(Bucket="es-snapshots", Policy=doc({
        "Sid": "SnapshotsIrsa", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:role/es-snapshots-irsa"},
        "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::es-snapshots/*"}))  # fmt: skip
    paste = (
        "pod elasticsearch-0: repository verification failed: amazon_s3_exception: User: "
        f"arn:aws:sts::{OWN}:assumed-role/eks-node-role/i-0a1b2c3d4e5f67890 is not authorized to perform: "
        's3:GetObject on resource: "arn:aws:s3:::es-snapshots/snap-1.dat" because no identity-based policy allows '
        "the s3:GetObject action (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied)"
    )
    text = json.dumps(_answer(harness, paste, "PkNodeRole"))
    first = text.index("Use the workload")
    assert "es-snapshots-irsa" in text[first:]
    widened = text.find("eks-node-role is shared: every pod on the node gets it")
    assert widened == -1 or widened > first  # widening the node role, if offered, comes after and says who gets it


def test_a_bucket_that_does_not_exist_is_said_to_not_exist(harness: Harness) -> None:
    iam = client("iam")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    paste = (
        "download failed: s3://reprots-prod/q3.csv to ./q3.csv An error occurred (AccessDenied) when calling the "
        f"GetObject operation: User: arn:aws:sts::{OWN}:assumed-role/app/run-1 is not authorized to perform: "
        's3:GetObject on resource: "arn:aws:s3:::reprots-prod/q3.csv"'
    )
    text = json.dumps(_answer(harness, paste, "PkNoBucket"))
    assert "the bucket reprots-prod does not exist" in text, text
    assert "cross-account" not in text and "another account" not in text
