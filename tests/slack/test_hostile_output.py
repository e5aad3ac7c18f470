"""Hostile names through the real Slack app: nothing a person pasted comes back as a live mention or link, in any
block or notification text s3why posts (answer, layer list, fixes in every format, echo, report, outcome, diff)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import hcl2
import pytest
import redis
import yaml

from bot.approve.store import PatchStore
from bot.demo.scenarios import s_identity_missing_put
from tests.account.conftest import client
from tests.approve.support import APPROVER, REQUESTER, config
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import block_action, event, message, post_signed, slash

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
SESSION = "arn:aws:sts::123456789012:assumed-role/app/run-1"
# As Slack delivers what a person typed: `<`, `>` and `&` escaped. The parser unescapes them. The hostile part is
# a folder, so it is in every scope a fix offers (the object, or its prefix).
TYPED = "out/&lt;!channel&gt;&lt;https://evil.example/login|Approve&gt;&lt;@UVICTIM&gt;&amp;amp;${*}%{if true}x%{endif}/a.txt"
KEY = "out/<!channel><https://evil.example/login|Approve><@UVICTIM>&amp;${*}%{if true}x%{endif}/a.txt"
PASTE = (
    f"upload failed: ./a.txt to s3://team-data/{TYPED} An error occurred (AccessDenied) when calling the PutObject "
    f'operation: User: {SESSION} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::team-data/{TYPED}" '
    "because no identity-based policy allows the s3:PutObject action"
)
MENTIONS = re.compile(r"<@(?:U_ALICE|U_BOB)>")  # the people s3why itself names (the asker, the approver)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def assert_nothing_live(fake: FakeSlack) -> None:
    """No `<` or `>` in anything posted (text, blocks, every field) but s3why's own mentions of the people."""
    for call in fake.calls:
        for s in _strings(call.body):
            rest = MENTIONS.sub("", s)
            assert "<" not in rest and ">" not in rest, f"{call.method}: live markup in {s[:300]!r}"
            assert "<!channel>" not in s and "<https://evil" not in s and "<@UVICTIM>" not in s


def _code_blocks(blocks: list[dict[str, Any]]) -> list[str]:
    """The code blocks of a message as a person sees them (Slack decodes &amp; &lt; &gt; for display)."""
    text = "\n".join(b["text"]["text"] for b in blocks if b.get("type") == "section")
    return [html.unescape(m) for m in re.findall(r"```(.*?)```", text, re.DOTALL)]


@pytest.fixture
def approving(harness: Harness, redis_client: redis.Redis, redis_prefix: str) -> Iterator[tuple[Harness, str]]:
    patches = PatchStore(redis_client, prefix=redis_prefix)
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, config(), patches)
    yield harness, endpoint
    httpd.shutdown()


def _select_format(endpoint: str, blocks: list[dict[str, Any]], ts: str, fmt: str) -> None:
    actions = next(b for b in blocks if b.get("block_id") == "s3why_actions")["elements"]
    select = next(e for e in actions if e["type"] == "static_select")
    option = next(o for o in select["options"] if o["value"].endswith(f"|{fmt}"))
    action = {"type": "static_select", "action_id": "s3why_fix_format", "selected_option": option}
    assert post_signed(endpoint, SECRET, block_action(action, ts), FORM)[0] == 200


def test_a_hostile_key_is_shown_literally_everywhere_and_fixes_parse_back(approving: tuple[Harness, str]) -> None:
    h, endpoint = approving
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvHostile"), JSON)[0] == 200
    answer = h.fake.wait_for("chat.update")[-1].body
    shown = "&lt;!channel&gt;&lt;https://evil.example/login|Approve&gt;"  # literal, as a person typed it
    assert shown in json.dumps(answer["blocks"][:2]) and "<" not in answer["text"]  # the head and the request line
    assert_nothing_live(h.fake)

    # Terraform: the fix's HCL parses, and the key comes back with `${` and `%{` escaped, never live.
    _select_format(endpoint, answer["blocks"], str(answer["ts"]), "terraform")
    tf = h.fake.wait_for("chat.update", 2)[-1].body
    code = next(c for c in _code_blocks(tf["blocks"]) if "jsonencode" in c)
    assert "$${*}" in code and "%%{if true}" in code
    hcl2.loads(code + "\n")  # raises on a live interpolation or an unbalanced directive
    # CloudFormation: JSON that a YAML parser reads back with the key intact.
    _select_format(endpoint, answer["blocks"], str(answer["ts"]), "cloudformation")
    cfn = h.fake.wait_for("chat.update", 3)[-1].body
    template = yaml.safe_load(next(c for c in _code_blocks(cfn["blocks"]) if '"Type"' in c))
    resources = json.dumps(template["Properties"]["PolicyDocument"])
    assert "out/<!channel><https://evil.example/login|Approve><@UVICTIM>&amp;" in resources
    assert_nothing_live(h.fake)

    # The approval's outcome and the diff it shows: still literal.
    button = next(
        e
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "s3why_approve"
    )
    body = block_action(
        {"type": "button", "action_id": "s3why_approve", "value": button["value"]},
        "1800000000.000001",
        user=APPROVER,
        thread_ts="1700000000.000100",  # a reply in the thread of the paste, as s3why's answer is
    )
    assert post_signed(endpoint, SECRET, body, FORM)[0] == 200
    outcome = next(c.body for c in h.fake.wait_for("chat.postMessage", 2) if "Applied by" in json.dumps(c.body))
    assert f"Applied by <@{APPROVER}>" in outcome["text"]  # s3why's own mention of the approver stays live
    assert "&lt;!channel&gt;" in json.dumps(outcome["blocks"])  # the diff shows the key, escaped
    assert_nothing_live(h.fake)


def test_the_slash_echo_and_the_report_show_markup_literally(harness: Harness) -> None:
    s_identity_missing_put()
    harness.fake.refuse_uploads = True  # the full report comes as messages
    # A real @channel and link as Slack delivers them (not escaped), beside typed ones (escaped).
    text = PASTE + " <!channel> <https://evil.example/x|Click> <!subteam^S123|@admins>"
    status, ack = post_signed(harness.endpoint, SECRET, slash(text, f"{harness.slack_url}/response/1"), FORM)
    assert status == 200 and "<" not in ack.replace("<@", "")
    echo = harness.fake.wait_for("chat.postMessage")[0].body["text"]
    assert echo.startswith("<@U_ALICE> asked s3why")
    assert "channel" not in echo and "evil.example" not in echo and "team-data" not in echo  # never the paste
    answer = harness.fake.wait_for("chat.update")[-1].body
    actions = next(b for b in answer["blocks"] if b.get("block_id") == "s3why_actions")["elements"]
    click = {"type": "button", "action_id": "s3why_full_report", "value": actions[0]["value"]}
    thread = harness.fake.wait_for("chat.postMessage", 2)[1].body["thread_ts"]  # the answer is in the echo's thread
    assert (
        post_signed(harness.endpoint, SECRET, block_action(click, str(answer["ts"]), thread_ts=thread), FORM)[0] == 200
    )
    report = harness.fake.wait_for("chat.postMessage", 3)[-1].body
    assert "Layers" in json.dumps(report["blocks"]) and "&lt;!channel&gt;" in json.dumps(report["blocks"])
    assert_nothing_live(harness.fake)
