"""What a channel member who is not an approver sees (issue 22 §1, attack findings 1 and 8), through the real Bolt
app with approvers configured: never an access key owner's user name, never another statement of a policy."""

from __future__ import annotations

import json
import re

from bot.approve.store import PatchStore
from tests.account.conftest import OWN
from tests.approve.support import STRANGER
from tests.presigned_seed import DENIED, seed_signer
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed
from tests.slack.test_approvals import JSON, approving

__all__ = ["approving"]
Approving = tuple[Harness, str, PatchStore]


def test_the_key_owner_s_user_name_is_nowhere_in_what_a_stranger_sees(approving: Approving) -> None:
    h, endpoint, _ = approving
    url = seed_signer().presign().replace("&", "&amp;")  # as Slack delivers it
    paste = f"this link fails:\ncurl <{url}>\n{DENIED}"
    assert post_signed(endpoint, SECRET, event(message(paste, user=STRANGER), event_id="EvOwnerName"), JSON)[0] == 200
    answer = h.fake.wait_for("chat.update")[-1].body
    posted = h.fake.everything_posted()
    assert not re.search(r"(?<![\w-])reporter(?![\w-])", posted)  # the IAM user apps/reporter, in no words
    assert f"an IAM user of {OWN}" in json.dumps(answer) and "(key owner)" in json.dumps(answer)
    options = [o for b in answer["blocks"] for o in (b.get("accessory") or {}).get("options", [])]
    assert options and all(len(o["text"]["text"]) <= 75 for o in options)
