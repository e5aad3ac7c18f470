"""The pull-request path has the live path's checks and escapes pasted names for GitHub markdown (issue 22 §1)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.approve.flow import ineligibility, proposal_for
from bot.config import IacConfig, TerraformIac
from bot.escape import github_markdown
from bot.fixes.model import Fix, Patch, Risk
from bot.iac.approve import approve_pull_request
from bot.iac.github import pull_request_body
from tests.account.conftest import OTHER, OWN
from tests.approve.support import APPROVER, REQUESTER, config

UNESCAPED = re.compile(r"(?<!\\)[\[\]()@#<>*`]")
HOSTILE = "team-data](https://evil.example) @octocat #1 <img src=x> *bold* `code`\nsecond line"


def _fix(principal: str) -> Fix:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject",
                                 "Resource": "arn:aws:s3:::partner-drop/*"}  # fmt: skip
    patch = Patch(
        target="partner-drop",
        kind="iac-change",
        document={"Version": "2012-10-17", "Statement": [statement]},
        commands=[],
        before=None,
        apply={"where": "terraform", "live": {"where": "bucket", "bucket": "partner-drop", "account": OTHER}},
        iac={"tool": "terraform", "file": "s3.tf", "diff": "+ statement"},
    )
    return Fix("bucket-allow", "bucket-policy", "medium", True, [patch], HOSTILE, "grant it")


def test_a_pull_request_granting_an_outside_account_or_a_root_is_never_opened() -> None:
    cfg = config()
    cfg = type(cfg)(
        accounts=cfg.accounts, iac=IacConfig(terraform=TerraformIac(path="/nonexistent", github_repo="a/b"))
    )
    for principal, said in (
        ("arn:aws:iam::444455556666:role/exfil", "neither configured nor a listed member"),
        (f"arn:aws:iam::{OWN}:root", "root of account"),
    ):
        done, message = approve_pull_request(
            fix=_fix(principal), verdict="v", cause="c", user=APPROVER, requester=REQUESTER, config=cfg, account=OTHER
        )
        assert not done and said in message and message.startswith("Not opened")


def test_a_pull_request_is_opened_only_for_a_fix_a_live_proposal_could_be_made_of() -> None:
    """A3-7: the pull-request path checks eligibility with the live path's own function (risk, advice only)."""
    cfg = config()
    cfg = type(cfg)(
        accounts=tuple(replace(a, approvers_by_risk={}) for a in cfg.accounts),
        iac=IacConfig(terraform=TerraformIac(path="/nonexistent", github_repo="a/b")),
    )
    grant = _fix(f"arn:aws:iam::{OWN}:role/app")
    for fix, said in (
        (replace(grant, risk=Risk.HIGH), "high risk"),
        (replace(grant, risk="critical"), "critical risk"),
        (replace(grant, never_automatic="an explicit deny decides"), "advice only"),
    ):
        assert (
            ineligibility(fix) is not None
            and proposal_for(fix, requester=REQUESTER, channel="C1", thread_ts="1.1", run_id="r", request={}) is None
        )
        done, message = approve_pull_request(
            fix=fix, verdict="v", cause="c", user=APPROVER, requester=REQUESTER, config=cfg, account=OTHER
        )
        assert not done and said in message and message.startswith("Not opened"), message


def test_nobody_approves_a_high_risk_fix_whatever_approvers_lists() -> None:
    account = config().account(OTHER)
    assert account is not None and APPROVER in account.approvers
    assert account.approvers_for("high") == () and account.approvers_for("unknown") == ()
    assert account.approvers_for("low") == account.approvers


def test_everyone_who_asked_is_held_to_the_two_person_rule() -> None:
    done, message = approve_pull_request(
        fix=_fix(f"arn:aws:iam::{OWN}:role/app"), verdict="v", cause="c", user=APPROVER, requester=REQUESTER,
        config=config(), account=OTHER, requesters=(APPROVER,),
    )  # fmt: skip
    assert not done and "two-person rule" in message


def test_pasted_names_are_escaped_for_github_markdown() -> None:
    shown = github_markdown(HOSTILE)
    assert "\n" not in shown
    assert not UNESCAPED.search(shown)  # every character that starts markup is backslash-escaped
    body = pull_request_body(
        verdict=HOSTILE, cause=HOSTILE, scope=HOSTILE, verified=False, reason=HOSTILE, diff="+ a", changes=(HOSTILE,)
    )
    own = ("**", "(s3why parsed the patched file again and evaluated the policy it defines)")
    prose = body.split("```diff")[0]
    for text in own:  # s3why's own markup aside
        prose = prose.replace(text, "")
    assert not UNESCAPED.search(prose)
    assert body.count("\\@octocat") == 5


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_math_and_bidirectional_controls_are_neutralised_in_titles_and_bodies() -> None:
    hostile = "team-$\\color{red}{approved}$-data $$x$$ \u202eatad-maet\u202c and \u2066iso\u2069"
    shown = github_markdown(hostile)
    assert not re.search(r"(?<!\\)\$", shown)  # GitHub renders `$...$` as math: every `$` escaped
    assert not any(c in shown for c in BIDI)
    assert "atad\\-maet" in shown  # the text stays, in the order it was written
    body = pull_request_body(
        verdict=hostile, cause=hostile, scope=hostile, verified=False, reason=hostile, diff=f"+ {hostile}",
        changes=(hostile,),
    )  # fmt: skip
    assert not any(c in body for c in BIDI)
    assert "<U+202E>atad-maet<U+202C>" in body.split("```diff")[1]  # in the diff, written out for the reviewer
    assert not re.search(r"(?<!\\)\$", body.split("```diff")[0])
