"""Issue 15: in Slack, approving a fix for a Terraform-managed policy opens a pull request and posts its link;
s3why never writes the live policy."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import redis

from bot.approve.store import PatchStore
from bot.config import IacConfig, TerraformIac
from bot.demo.scenarios import s_identity_missing_put
from bot.iac.fake_github import fake_github
from tests.account.conftest import client
from tests.approve.support import APPROVER, REQUESTER, STRANGER, config
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import PASTE

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
TREE = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def test_approving_a_terraform_fix_opens_a_pull_request_and_posts_its_link(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote, checkout = tmp_path / "remote.git", tmp_path / "infra"
    _git("init", "-q", "--bare", "-b", "main", str(remote))
    _git("clone", "-q", str(remote), str(checkout))
    shutil.copytree(TREE, checkout, dirs_exist_ok=True)
    _git("-C", str(checkout), "checkout", "-q", "-b", "main")
    _git("-C", str(checkout), "add", ".")
    _git("-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "infra")
    _git("-C", str(checkout), "push", "-q", "origin", "main")
    cfg = replace(config(), iac=IacConfig(terraform=TerraformIac(path=str(checkout), github_repo="acme/infra")))
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    with fake_github() as gh:
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        patches = PatchStore(redis_client, prefix=redis_prefix)
        endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, cfg, patches)
        try:
            assert (
                post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvIac"), JSON)[0] == 200
            )
            blocks = harness.fake.wait_for("chat.update")[-1].body["blocks"]
            shown = json.dumps(blocks)
            assert "iac-change" in shown and "iam.tf" in shown, shown[-3000:]
            assert "verified" in shown, shown[-3000:]
            buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
            assert not any(e["action_id"] == "s3why_approve" for e in buttons)  # no live write is offered
            pr_button = next(e for e in buttons if e["action_id"] == "s3why_iac_pr")

            def click(user: str) -> None:
                body = block_action(
                    {"type": "button", "action_id": "s3why_iac_pr", "value": pr_button["value"]},
                    "1800000000.000001",
                    user=user,
                    thread_ts="1700000000.000100",  # a reply in the thread of the paste, as s3why's answer is
                )
                assert post_signed(endpoint, SECRET, body, FORM)[0] == 200

            click(STRANGER)
            click(REQUESTER)
            refusals = [c.body["text"] for c in harness.fake.wait_for("chat.postEphemeral", 2)]
            assert any("only the approvers" in t for t in refusals) and any("two-person rule" in t for t in refusals)
            assert gh.pulls == []
            click(APPROVER)
            posted = harness.fake.wait_for("chat.postMessage", 2)[-1].body
            assert posted["thread_ts"] == "1700000000.000100"
            assert "https://github.example/acme/infra/pull/1" in posted["text"]
        finally:
            httpd.shutdown()
        (pull,) = gh.pulls
        assert "Root cause" in pull["body"] and "Verification:** verified" in pull["body"]
        assert "**Grants:** inline policy of arn\\:aws\\:iam" in pull["body"]  # escaped for GitHub markdown
        # the pull-request path leaves the same audit trail as a live apply
        audit = [(e["action"], e["actor"]) for e in patches.audit_entries()]
        assert audit == [("refused", STRANGER), ("refused", REQUESTER), ("pull-request", APPROVER)]
    assert "s3:PutObject" in _git("--git-dir", str(remote), "show", f"{pull['head']}:iam.tf")
    # The live policy is untouched: nothing was written to the role.
    assert client("iam").list_role_policies(RoleName="app")["PolicyNames"] == ["app"]
