"""One message or one user cannot starve the others (issue 22 §3): a cap on the errors diagnosed per message (said
when it bites) and a per-user rate limit, through the real Bolt app with signed requests and a real Redis."""

from __future__ import annotations

import json

from bot.demo.scenarios import s_identity_missing_put
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import event, message, post_signed
from tests.slack.test_approvals import JSON, PASTE


def test_a_message_with_more_errors_than_the_cap_says_so(harness: Harness) -> None:
    s_identity_missing_put()
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, errors_per_message=2)
    try:
        many = "\n\n".join([PASTE.replace("a.txt", f"f{i}.txt") for i in range(4)])
        assert post_signed(endpoint, SECRET, event(message(many), event_id="EvMany"), JSON)[0] == 200
        posts = harness.fake.wait_for("chat.postMessage", 3)  # progress, the note, the second answer
        said = json.dumps([p.body for p in posts])
        assert "holds 4 AWS errors: s3why answers the first 2 (2 not looked at)" in said
    finally:
        httpd.shutdown()
    answers = [p for p in harness.fake.of("chat.postMessage") if "Root cause" in json.dumps(p.body.get("blocks"))]
    assert len(answers) == 1  # the first answer is the updated progress message; one more, no third or fourth


def test_one_user_asking_too_often_is_told_to_wait(harness: Harness) -> None:
    s_identity_missing_put()
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, runs_per_user_minute=1)
    try:
        for n in (1, 2):
            inner = message(PASTE, user="U_BUSY", ts=f"1700000000.00{n}000")
            assert post_signed(endpoint, SECRET, event(inner, event_id=f"EvBusy{n}"), JSON)[0] == 200
        told = harness.fake.wait_for("chat.postEphemeral")[0].body
        assert told["user"] == "U_BUSY" and "wait a moment" in told["text"]
        assert len(harness.fake.of("chat.postMessage")) == 1  # only the first run was started
        other = message(PASTE, user="U_OTHER", ts="1700000000.009000")
        assert post_signed(endpoint, SECRET, event(other, event_id="EvOther"), JSON)[0] == 200
        assert len(harness.fake.wait_for("chat.postMessage", 2)) == 2  # someone else is not held up
    finally:
        httpd.shutdown()
