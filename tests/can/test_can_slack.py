"""`/s3why can …` through the real Bolt app (signed requests, threaded WSGI on port 0), the fake Slack Web API,
moto in server mode and real Redis: the answer in a thread; a question that cannot be asked, one line in the ack."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from wsgiref.simple_server import make_server

import pytest
import redis
from slack_sdk import WebClient

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.cache import MemoryCache
from bot.config import Config
from bot.slack.app import Store, create_app
from bot.slack.runner import LiveDiagnoser
from bot.slack.server import _Quiet, wsgi_app
from tests.account.conftest import OWN, client, moto, moto_url, policy_json
from tests.slack.conftest import SECRET, AppServer, fake_slack
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import post_signed, slash

__all__ = ["fake_slack", "moto", "moto_url"]
FORM = "application/x-www-form-urlencoded"
TRUST = policy_json({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


@pytest.fixture
def app_url(
    moto: str, fake_slack: tuple[FakeSlack, str], redis_client: redis.Redis, redis_prefix: str
) -> Iterator[str]:
    _, url = fake_slack
    diagnoser = LiveDiagnoser(Collector(SessionProvider(Config(object_heads="all")), MemoryCache()))
    app = create_app(
        client=WebClient(token="xoxb-test", base_url=f"{url}/api/"),
        signing_secret=SECRET,
        config=Config(),
        store=Store(redis_client, prefix=redis_prefix),
        diagnoser=diagnoser,
        asker=diagnoser.can,
    )
    httpd = make_server("127.0.0.1", 0, wsgi_app(app), server_class=AppServer, handler_class=_Quiet)
    httpd.app = app
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/slack/events"
    httpd.shutdown()


def _seed(grant: str) -> None:
    iam, s3 = client("iam"), client("s3")
    s3.create_bucket(Bucket="reports")
    s3.put_object(Bucket="reports", Key="q3.csv", Body=b"a,b\n")
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(
        RoleName="reader",
        PolicyName="p",
        PolicyDocument=policy_json({"Effect": "Allow", "Action": grant, "Resource": "arn:aws:s3:::reports/*"}),
    )


@pytest.mark.parametrize(("grant", "headline"), [("s3:GetObject", "Allowed"), ("s3:PutObject", "Denied")])
def test_slash_can_answers_in_a_thread(
    app_url: str, fake_slack: tuple[FakeSlack, str], grant: str, headline: str
) -> None:
    fake, url = fake_slack
    _seed(grant)
    question = f"can arn:aws:iam::{OWN}:role/reader GetObject s3://reports/q3.csv"
    status, ack = post_signed(app_url, SECRET, slash(question, f"{url}/response/1"), FORM)
    assert status == 200 and "Checking every layer" in ack
    parent, answer = fake.wait_for("chat.postMessage", count=2, timeout=60)[:2]
    assert "asked: can" in parent.body["text"]
    assert answer.body["thread_ts"] == "1800000000.000001"
    assert answer.body["text"].startswith(headline), answer.body["text"]
    assert "identity" in json.dumps(answer.body["blocks"])


def test_slash_can_that_cannot_be_asked_says_why_in_the_ack(app_url: str, fake_slack: tuple[FakeSlack, str]) -> None:
    fake, url = fake_slack
    status, ack = post_signed(app_url, SECRET, slash("can bob GetObject s3://b/k", f"{url}/response/2"), FORM)
    assert status == 200 and "not a caller's ARN" in ack
    status, ack = post_signed(app_url, SECRET, slash("can arn:aws:iam::1:role/x", f"{url}/response/3"), FORM)
    assert "usage: `/s3why can" in ack
    assert fake.of("chat.postMessage") == []


def test_slash_can_with_a_presigned_query_is_refused_and_never_echoes_the_token(
    app_url: str, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, url = fake_slack
    token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampleexampleexampleexampleexample"
    question = (
        f"can arn:aws:iam::{OWN}:role/reader GetObject s3://team-data/a.txt?X-Amz-Security-Token={token}"
        f"&X-Amz-Signature={'ab' * 32}"
    )
    status, ack = post_signed(app_url, SECRET, slash(question, f"{url}/response/4"), FORM)
    assert status == 200 and "X-Amz-*" in ack and ack.count("\n") == 0, ack
    assert token[:12] not in ack and "abab" not in ack
    posted = json.dumps([c.body for c in fake.of("chat.postMessage")])
    assert token[:12] not in posted and "abab" not in posted


def test_slash_can_redacts_a_credential_pasted_in_a_key(app_url: str, fake_slack: tuple[FakeSlack, str]) -> None:
    fake, url = fake_slack
    _seed("s3:GetObject")
    secret = "AKIAIOSFODNN7EXAMPLE"
    status, ack = post_signed(
        app_url,
        SECRET,
        slash(f"can arn:aws:iam::{OWN}:role/reader GetObject s3://reports/{secret}", f"{url}/r/5"),
        FORM,
    )
    assert status == 200
    messages = fake.wait_for("chat.postMessage", count=2, timeout=60)
    posted = json.dumps([m.body for m in messages])
    assert secret not in posted and secret not in ack and "REDACTED" in posted


def test_slash_can_names_what_the_question_does_not_give_not_an_error_text(
    app_url: str, fake_slack: tuple[FakeSlack, str]
) -> None:
    """`can` has no error text: a request property that decides the answer is what the question did not give."""
    fake, url = fake_slack
    _seed("s3:GetObject")
    deny_http = {
        "Sid": "DenyHttp",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::reports/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    client("s3").put_bucket_policy(Bucket="reports", Policy=policy_json(deny_http))
    post_signed(
        app_url,
        SECRET,
        slash(f"can arn:aws:iam::{OWN}:role/reader GetObject s3://reports/q3.csv", f"{url}/response/1"),
        FORM,
    )
    answer = fake.wait_for("chat.postMessage", count=2, timeout=60)[1]
    blocks = json.dumps(answer.body["blocks"])
    assert "What the question does not give" in blocks and "aws:SecureTransport (not given)" in blocks
    assert "What the text cannot tell" not in blocks and "the text cannot tell" not in blocks


def test_slash_can_on_a_bucket_that_does_not_exist_says_so(app_url: str, fake_slack: tuple[FakeSlack, str]) -> None:
    """A NoSuchBucket read is "does not exist" (the likely cause), never "another account's" or "no policy"."""
    fake, url = fake_slack
    _seed("s3:GetObject")
    post_signed(
        app_url,
        SECRET,
        slash(f"can arn:aws:iam::{OWN}:role/reader GetObject s3://reprots/q3.csv", f"{url}/response/1"),
        FORM,
    )
    answer = fake.wait_for("chat.postMessage", count=2, timeout=60)[1]
    blocks = json.dumps(answer.body["blocks"])
    assert "the bucket reprots does not exist" in blocks, blocks
    assert "cross-account" not in blocks and "no policy" not in blocks and "another account" not in blocks
