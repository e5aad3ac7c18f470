"""moto in server mode (SQS, S3, IAM through boto3), real Redis under a namespace of the test's own, the fake
Slack Web API; a seeded account with two causes of denial."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.cache import RedisCache, key_root
from bot.config import Config, WatchConfig, WatchRoute
from bot.watch.groups import GroupStore
from bot.watch.slack_out import ChannelPoster, watch_client
from bot.watch.wiring import Wiring
from bot.watch.worker import Watcher
from tests.account.conftest import client, moto, moto_url, policy_json
from tests.slack.conftest import fake_slack
from tests.slack.fake_slack import FakeSlack

__all__ = ["fake_slack", "moto", "moto_url"]
ROOT = Path(__file__).resolve().parents[2]
TRUST = policy_json({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


@pytest.fixture
def namespace(redis_client: redis.Redis) -> Iterator[str]:
    """Every key s3why writes in this test carries this namespace; all are deleted afterwards."""
    ns = f"s3why-test-{uuid.uuid4().hex}:"
    yield ns
    for key in redis_client.scan_iter(match=f"*{ns}*"):
        redis_client.delete(key)


def seed_account() -> None:
    """`lake`: role etl has no S3 permission (identity), role reporter is denied by the bucket policy's
    DenyReporter statement; bucket `lake-logs` holds CloudTrail log objects; `team=payments` tags `pay`."""
    iam, s3 = client("iam"), client("s3")
    for bucket in ("lake", "lake-logs", "pay"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="lake", Key="raw/2026/12/03/part-0.parquet", Body=b"x")
    s3.put_bucket_tagging(Bucket="pay", Tagging={"TagSet": [{"Key": "team", "Value": "payments"}]})
    iam.create_role(RoleName="etl", AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName="reporter", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(
        RoleName="reporter",
        PolicyName="read",
        PolicyDocument=policy_json({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
    )
    deny = {
        "Sid": "DenyReporter",
        "Effect": "Deny",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/reporter"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::lake/*",
    }
    s3.put_bucket_policy(Bucket="lake", Policy=policy_json(deny))


@dataclass
class Env:
    moto: str
    fake: FakeSlack
    slack_url: str
    r: redis.Redis
    ns: str
    queue_url: str
    tmp: Path

    def sqs(self) -> Any:
        return client("sqs")

    def send(self, *bodies: str) -> None:
        for body in bodies:
            self.sqs().send_message(QueueUrl=self.queue_url, MessageBody=body)

    def in_queue(self) -> int:
        attrs = self.sqs().get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def store(self, window_minutes: int = 60) -> GroupStore:
        return GroupStore(self.r, prefix=f"{key_root()}s3why:watch:{self.ns}", window_seconds=window_minutes * 60)

    def watcher(self, config: WatchConfig | None = None, **kw: Any) -> Watcher:
        config = config or WatchConfig(default_channel="C0WATCH", visibility_timeout_seconds=10, update_seconds=1)
        store = self.store(config.group_window_minutes)
        collector = Collector(SessionProvider(Config(object_heads="all")), RedisCache(self.r, namespace=self.ns))
        wiring = Wiring(collector)
        poster = ChannelPoster(watch_client("xoxb-test", f"{self.slack_url}/api/"), self.r, prefix=store.prefix)
        return Watcher(
            sqs=client("sqs"),
            s3=client("s3"),
            queue_url=self.queue_url,
            store=store,
            poster=poster,
            config=config,
            diagnose=wiring.diagnose,
            render=wiring.render,
            **kw,
        )

    def config_file(self, extra: str = "") -> Path:
        path = self.tmp / "s3why.yaml"
        path.write_text(
            "objects:\n  heads: all\n"
            "watch:\n  default_channel: C0WATCH\n  visibility_timeout_seconds: 10\n  update_seconds: 1\n" + extra
        )
        return path

    def process(self, *args: str) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": f"{self.slack_url}/api/",
            "S3WHY_CONFIG": str(self.config_file()),
            "S3WHY_REDIS_NAMESPACE": self.ns,
            "S3WHY_LOG_FORMAT": "text",
        }
        cmd = [sys.executable, "-m", "bot", "watch", "--queue-url", self.queue_url, *args]
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def top_level_posts(self) -> list[dict[str, Any]]:
        return [c.body for c in self.fake.of("chat.postMessage") if not c.body.get("thread_ts")]


@pytest.fixture
def env(
    moto: str,
    fake_slack: tuple[FakeSlack, str],
    redis_client: redis.Redis,
    namespace: str,
    tmp_path: Path,
) -> Env:
    seed_account()
    queue = client("sqs").create_queue(QueueName="s3why-access-denied", Attributes={"VisibilityTimeout": "10"})
    fake, url = fake_slack
    return Env(moto, fake, url, redis_client, namespace, queue["QueueUrl"], tmp_path)


__all__ += ["Env", "WatchRoute"]
