"""A presigned URL pasted in Slack (issue 12 §4): the first reply names the operation, bucket and key from the URL
and the signer as the principal (never `? by (unknown principal) on ?`), and says when --principal-like facts
would not apply. Signed requests to the real Bolt app, a fake Web API, moto and a real Redis."""

from __future__ import annotations

import json

from tests.account.conftest import OWN
from tests.presigned_seed import BUCKET, DENIED, KEY, USER_ARN, seed_signer
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed

JSON = "application/json"


def _answer(h: Harness, text: str) -> str:
    assert post_signed(h.endpoint, SECRET, event(message(text)), JSON)[0] == 200
    return json.dumps(h.fake.wait_for("chat.update")[-1].body["blocks"])


def test_the_first_reply_names_the_request_from_the_url_and_its_signer(harness: Harness) -> None:
    seed = seed_signer()
    url = seed.presign().replace("&", "&amp;")  # as Slack delivers it
    posted = _answer(harness, f"this link fails:\ncurl <{url}>\n{DENIED}")
    assert "(unknown principal)" not in posted and "an unknown principal" not in posted
    assert "on `?`" not in posted and "`?` by" not in posted
    assert f"`{USER_ARN}`" in posted  # the signer, read from the URL's key through STS and IAM
    assert f"arn:aws:s3:::{BUCKET}/{KEY}" in posted
    assert "GetObject" in posted
    assert "authorized as its signer" in posted


def test_the_principal_the_text_names_does_not_replace_the_signer(harness: Harness) -> None:
    seed = seed_signer()
    url = seed.presign().replace("&", "&amp;")
    session = f"arn:aws:sts::{OWN}:assumed-role/s3-admin/alice"  # may do anything in S3
    said = (
        f"curl -X GET <{url}>\nAn error occurred (AccessDenied) when calling the GetObject operation: User: "
        f'{session} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::{BUCKET}/{KEY}"'
    )
    posted = _answer(harness, said)
    assert f"by `{USER_ARN}`" in posted
    assert f"not as {session}" in posted, posted[:1500]
    assert "Denied" in json.loads(posted)[0]["text"]["text"]  # the signer may not read it; the session could
