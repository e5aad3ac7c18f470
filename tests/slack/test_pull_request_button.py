"""The pull-request button opens the pull request of the fix it is shown under: under the second error of a
message, that error's fix (never the first error's), and only the change the answer showed. Through the real Bolt
app: signed requests, the fake Web API, moto in server mode, a fake GitHub and real Redis."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.approve.store import PatchStore
from bot.config import IacConfig, TerraformIac
from bot.demo.scenarios import s_identity_missing_put
from bot.diagnose import Diagnosis
from bot.fixes import diagnosis_with_scope
from bot.fixes.model import Risk
from bot.iac.fake_github import fake_github
from bot.slack import app as slack_app
from tests.account.conftest import client
from tests.approve.support import APPROVER, REQUESTER, config
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import PASTE, SESSION

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
TREE = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"
DELETE = (
    "delete failed: s3://team-data/out/b.txt An error occurred (AccessDenied) when calling the DeleteObject "
    f"operation: User: {SESSION} is not authorized to perform: s3:DeleteObject on resource: "
    '"arn:aws:s3:::team-data/out/b.txt" because no identity-based policy allows the s3:DeleteObject action'
)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def _checkout(tmp_path: Path) -> Path:
    remote, checkout = tmp_path / "remote.git", tmp_path / "infra"
    _git("init", "-q", "--bare", "-b", "main", str(remote))
    _git("clone", "-q", str(remote), str(checkout))
    shutil.copytree(TREE, checkout, dirs_exist_ok=True)
    _git("-C", str(checkout), "checkout", "-q", "-b", "main")
    _git("-C", str(checkout), "add", ".")
    _git("-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "infra")
    _git("-C", str(checkout), "push", "-q", "origin", "main")
    return checkout


def _pr_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "s3why_iac_pr"]


def test_the_button_under_the_second_error_opens_the_second_errors_pull_request(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = _checkout(tmp_path)
    cfg = replace(config(), iac=IacConfig(terraform=TerraformIac(path=str(checkout), github_repo="acme/infra")))
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    with fake_github() as gh:
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        endpoint, httpd = start_app(
            harness.slack_url, harness.store, harness.gate, cfg, PatchStore(redis_client, prefix=redis_prefix)
        )
        try:
            paste = message(f"{PASTE}\n\n{DELETE}", user=REQUESTER)
            assert post_signed(endpoint, SECRET, event(paste, event_id="EvPr2"), JSON)[0] == 200
            second = next(
                c.body
                for c in harness.fake.wait_for("chat.postMessage", 2)
                if c.body.get("blocks") and "DeleteObject" in json.dumps(c.body["blocks"])
            )
            (button,) = _pr_buttons(second["blocks"])
            body = block_action(
                {"type": "button", "action_id": "s3why_iac_pr", "value": button["value"]},
                "1800000000.000002",
                user=APPROVER,
            )
            assert post_signed(endpoint, SECRET, body, FORM)[0] == 200
            harness.fake.wait_for("chat.postMessage", 3)
        finally:
            httpd.shutdown()
        (pull,) = gh.pulls
    changed = _git("--git-dir", str(checkout / ".." / "remote.git"), "show", f"{pull['head']}:iam.tf")
    assert "s3:DeleteObject" in changed and "s3:PutObject" not in changed, changed


def test_a_button_whose_fix_changed_since_the_answer_opens_nothing(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = _checkout(tmp_path)
    cfg = replace(config(), iac=IacConfig(terraform=TerraformIac(path=str(checkout), github_repo="acme/infra")))
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    with fake_github() as gh:
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        endpoint, httpd = start_app(
            harness.slack_url, harness.store, harness.gate, cfg, PatchStore(redis_client, prefix=redis_prefix)
        )
        try:
            assert (
                post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvPr3"), JSON)[0] == 200
            )
            (button,) = _pr_buttons(harness.fake.wait_for("chat.update")[-1].body["blocks"])
            run_id, index, which, _ = button["value"].split("|")
            forged = f"{run_id}|{index}|{which}|{'0' * 20}"  # a change other than the one computed now
            body = block_action(
                {"type": "button", "action_id": "s3why_iac_pr", "value": forged}, "1800000000.000002", user=APPROVER
            )
            assert post_signed(endpoint, SECRET, body, FORM)[0] == 200
            refusal = harness.fake.wait_for("chat.postEphemeral")[-1].body
            assert refusal["user"] == APPROVER
        finally:
            httpd.shutdown()
        assert gh.pulls == []


def test_a_pull_request_nobody_asked_for_needs_a_second_approver(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = _checkout(tmp_path)
    cfg = replace(config(), iac=IacConfig(terraform=TerraformIac(path=str(checkout), github_repo="acme/infra")))
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    with fake_github() as gh:
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        endpoint, httpd = start_app(
            harness.slack_url, harness.store, harness.gate, cfg, PatchStore(redis_client, prefix=redis_prefix)
        )
        try:
            assert (
                post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvPr4"), JSON)[0] == 200
            )
            (button,) = _pr_buttons(harness.fake.wait_for("chat.update")[-1].body["blocks"])
            run_id = button["value"].split("|")[0]
            stored = harness.store.get(f"run:{run_id}")
            assert stored is not None
            harness.store.put(f"run:{run_id}", {**stored, "requester": None, "requesters": []})  # as watch stores it

            def click(user: str) -> None:
                action = {"type": "button", "action_id": "s3why_iac_pr", "value": button["value"]}
                assert (
                    post_signed(endpoint, SECRET, block_action(action, "1800000000.000002", user=user), FORM)[0] == 200
                )

            click(APPROVER)
            asked = harness.fake.wait_for("chat.postMessage", 2)[-1].body
            assert f"<@{APPROVER}> asks for this pull request" in asked["text"]
            assert gh.pulls == []
            click(REQUESTER)  # another approver (the run has no requester now)
            opened = harness.fake.wait_for("chat.postMessage", 3)[-1].body
            assert "https://github.example/acme/infra/pull/1" in opened["text"]
        finally:
            httpd.shutdown()
        assert len(gh.pulls) == 1


@pytest.mark.parametrize(
    "change",
    [{"risk": Risk.HIGH}, {"never_automatic": "an explicit deny decides"}],
    ids=["high-risk", "advice-only"],
)
def test_a_click_on_a_fix_that_became_high_risk_or_advice_only_opens_nothing(
    change: dict[str, Any],
    harness: Harness,
    redis_client: redis.Redis,
    redis_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A3-7: the click checks the fix computed now as a live proposal is checked (the button's value carries only
    the fix's id and change, which a high-risk or advice-only fix of the same change shares)."""
    checkout = _checkout(tmp_path)
    cfg = replace(config(), iac=IacConfig(terraform=TerraformIac(path=str(checkout), github_repo="acme/infra")))
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    with fake_github() as gh:
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        endpoint, httpd = start_app(
            harness.slack_url, harness.store, harness.gate, cfg, PatchStore(redis_client, prefix=redis_prefix)
        )
        try:
            assert (
                post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvPr4"), JSON)[0] == 200
            )
            (button,) = _pr_buttons(harness.fake.wait_for("chat.update")[-1].body["blocks"])
            scoped = diagnosis_with_scope

            def riskier(d: Diagnosis, scope: str | None) -> Diagnosis:
                d = scoped(d, scope)
                return replace(d, fixes=tuple(replace(f, **change) for f in d.fixes))

            monkeypatch.setattr(slack_app, "diagnosis_with_scope", riskier)
            body = block_action(
                {"type": "button", "action_id": "s3why_iac_pr", "value": button["value"]},
                "1800000000.000002",
                user=APPROVER,
            )
            assert post_signed(endpoint, SECRET, body, FORM)[0] == 200
            said = harness.fake.wait_for("chat.postEphemeral")[-1].body
            assert said["user"] == APPROVER and "Not opened" in said["text"], said
        finally:
            httpd.shutdown()
        assert gh.pulls == []
