"""What s3why claims after applying a fix (issue 22 §1, attack finding 10): "now allowed" only when it read every
layer; a role session's policy lives only in the session, so for one the thread says which layers it did not read.
Signed clicks to the real Bolt app, the fake Web API, moto in server mode and a real Redis."""

from __future__ import annotations

import json

from bot.approve.store import PatchStore
from bot.demo.scenarios import s_identity_missing_put
from tests.account.conftest import client
from tests.approve.support import APPROVER, REQUESTER
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed
from tests.slack.test_approvals import JSON, PASTE, _approve_button, _click, approving

__all__ = ["approving"]


def test_an_applied_fix_for_a_role_session_names_the_session_policy_it_could_not_read(
    approving: tuple[Harness, str, PatchStore],
) -> None:
    h, endpoint, _ = approving
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvClaim"), JSON)[0] == 200
    _click(endpoint, "s3why_approve", _approve_button(h)["value"], APPROVER)
    said = json.dumps(h.fake.wait_for("chat.postMessage", 2)[-1].body["blocks"])
    assert "Applied by" in said
    assert "now allowed" not in said
    assert "allowed by every layer s3why read; not read: session-policy" in said
