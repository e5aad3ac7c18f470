"""`/s3why can` obeys the channel's rules like every other way of asking: who may ask there, which accounts a
question there may involve, `mode: "off"`, and each person's rate limit. Through the real Bolt app: signed
requests, the fake Web API, moto in server mode and a real Redis."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import redis

from bot.approve.store import PatchStore
from bot.config import ChannelConfig, Config
from bot.demo.scenarios import s_identity_missing_put
from tests.account.conftest import OTHER, OWN
from tests.approve.support import REQUESTER, STRANGER, config
from tests.slack.conftest import SECRET, Harness, start_app, wait_for_log
from tests.slack.signed import post_signed, slash

FORM = "application/x-www-form-urlencoded"
QUESTION = f"can arn:aws:iam::{OWN}:role/app PutObject s3://team-data/out/a.txt"


@pytest.fixture
def app_with(harness: Harness, redis_client: redis.Redis, redis_prefix: str) -> Iterator[Callable[..., str]]:
    servers = []

    def start(cfg: Config, **options: object) -> str:
        endpoint, httpd = start_app(
            harness.slack_url, harness.store, harness.gate, cfg, PatchStore(redis_client, prefix=redis_prefix),
            **options,
        )  # fmt: skip
        servers.append(httpd)
        return endpoint

    yield start
    for httpd in servers:
        httpd.shutdown()


def _channel(**settings: object) -> Config:
    return replace(config(), channels={"C111": ChannelConfig(**settings)})  # type: ignore[arg-type]


def _ask(endpoint: str, user: str = REQUESTER, text: str = QUESTION) -> None:
    assert post_signed(endpoint, SECRET, slash(text, "http://127.0.0.1:1/unused", user=user), FORM)[0] == 200


def test_a_question_about_an_account_outside_the_channel_s_list_shows_nothing_of_it(
    harness: Harness, app_with: Callable[..., str]
) -> None:
    endpoint = app_with(_channel(accounts=(OTHER,)))
    s_identity_missing_put()
    _ask(endpoint)
    refusal = harness.fake.wait_for("chat.postEphemeral")[0].body
    assert refusal["user"] == REQUESTER and f"involves {OWN}" in refusal["text"]
    posted = json.dumps([c.body for c in harness.fake.of("chat.postMessage")])
    assert "Root cause" not in posted and "team-data" not in posted


def test_only_the_channel_s_askers_may_ask_a_question(harness: Harness, app_with: Callable[..., str]) -> None:
    endpoint = app_with(_channel(askers=(REQUESTER,)))
    s_identity_missing_put()
    _ask(endpoint, user=STRANGER)
    refusal = harness.fake.wait_for("chat.postEphemeral")[0].body
    assert refusal["user"] == STRANGER and "askers" in refusal["text"]
    assert harness.fake.of("chat.postMessage") == []


def test_a_channel_set_off_answers_no_question(
    harness: Harness, app_with: Callable[..., str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="s3why.slack")
    endpoint = app_with(_channel(mode="off"))
    s_identity_missing_put()
    _ask(endpoint)
    wait_for_log(caplog, "question not taken")
    assert harness.fake.of("chat.postMessage") == []


def test_questions_spend_the_askers_rate_limit(harness: Harness, app_with: Callable[..., str]) -> None:
    endpoint = app_with(config(), runs_per_user_minute=1)
    s_identity_missing_put()
    _ask(endpoint)
    _ask(endpoint)
    refusal = harness.fake.wait_for("chat.postEphemeral")[0].body
    assert refusal["user"] == REQUESTER and "times in the last minute" in refusal["text"]
    harness.fake.wait_for("chat.postMessage", 2)  # the first question and its answer
    assert len([c for c in harness.fake.of("chat.postMessage") if not c.body.get("thread_ts")]) == 1


def test_a_channel_with_ephemeral_answers_answers_a_question_only_to_the_asker(
    harness: Harness, app_with: Callable[..., str]
) -> None:
    endpoint = app_with(_channel(slash_reply="ephemeral"))
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, slash(QUESTION, f"{harness.slack_url}/response/7"), FORM)[0] == 200
    answer = harness.fake.wait_for("response/7")[0].body
    assert answer["response_type"] == "ephemeral" and "identity" in json.dumps(answer["blocks"])
    assert harness.fake.of("chat.postMessage") == []
