"""Object heads are read only where a bucket opts in (issue 22 §2): HeadObject is authorized as s3:GetObject,
which the shipped read role does not have. Without the opt-in the answer says what stayed unread."""

from __future__ import annotations

from dataclasses import replace

from bot.account.collector import Target
from bot.account.view import account_view
from bot.config import Config
from bot.demo.scenarios import SCENARIOS, fmt
from bot.diagnose import DiagnoseOptions, diagnose
from bot.diagnose.render import diagnosis_text
from bot.parse import parse_text
from tests.account.conftest import client
from tests.account.seed import seed_everything
from tests.account.test_collector import make_collector

KMS = next(s for s in SCENARIOS if s.name == "KMS key policy not granting kms:Decrypt")


def _head_calls(calls: list[tuple[str, str]]) -> int:
    return sum(1 for c in calls if c == ("s3", "HeadObject"))


def test_without_the_opt_in_no_object_is_read_and_the_answer_says_so(moto: str) -> None:
    names = KMS.seed()
    config = replace(KMS.config(names), object_heads="opt-in")
    collector, log = make_collector(config)
    (req,) = parse_text(fmt(KMS.text, names)).requests
    principal = fmt(KMS.principal, names) if KMS.principal else None
    snapshot = collector.collect(Target(principal_arn=principal or req.principal_arn, bucket=req.bucket, key=req.key))
    assert _head_calls(log.calls) == 0
    assert {("s3", "GetObjectAcl"), ("s3", "GetObjectRetention"), ("s3", "GetObjectLegalHold")} <= set(log.calls)
    d = diagnose(req, account_view(snapshot), DiagnoseOptions(principal=principal))
    text = diagnosis_text(d, width=400)
    assert "does not read object heads" in text and "s3why:object-heads=true" in text


def test_a_listed_or_tagged_bucket_opts_in(moto: str) -> None:
    seeded = seed_everything()
    target = Target(principal_arn=seeded.user_arn, bucket=seeded.bucket, key=seeded.key)
    collector, log = make_collector(Config(object_head_buckets=(seeded.bucket,)))
    assert account_view(collector.collect(target)).bucket.object.head.present  # type: ignore[union-attr]
    assert _head_calls(log.calls) == 1
    tag = {"TagSet": [{"Key": "s3why:object-heads", "Value": "true"}]}
    client("s3").put_bucket_tagging(Bucket=seeded.bucket, Tagging=tag)
    collector, log = make_collector(Config())
    assert account_view(collector.collect(target)).bucket.object.head.present  # type: ignore[union-attr]
    assert _head_calls(log.calls) == 1
    client("s3").delete_bucket_tagging(Bucket=seeded.bucket)
    collector, log = make_collector(Config())
    assert not account_view(collector.collect(target)).bucket.object.head.present  # type: ignore[union-attr]
    assert _head_calls(log.calls) == 0
