"""Live collection against moto in server mode (boto3's real HTTP stack), through the cache."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from bot.account.collector import Collector, Target
from bot.account.sessions import SessionProvider
from bot.account.view import ABSENT, PRESENT, UNKNOWN, account_view
from bot.cache import MemoryCache
from bot.config import AccountConfig, Config
from tests.account.conftest import OTHER, OWN, client, policy_json, session_in
from tests.account.seed import seed_everything, seed_organization


class CallLog:
    """Records every AWS call s3why's clients make (botocore's before-call event), and can inject answers."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.inject: dict[str, list[tuple[int, bytes]]] = {}  # operation -> queued (status, body) answers
        self._lock = threading.Lock()

    def hook(self, made: Any) -> None:
        service = made.meta.service_model.service_name
        made.meta.events.register("before-call.*.*", lambda model, **_: self._record(service, model.name))
        made.meta.events.register("before-send.*.*", self._before_send)

    def _record(self, service: str, operation: str) -> None:
        with self._lock:
            self.calls.append((service, operation))

    def _before_send(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            queue = self.inject.get(operation)
            if not queue:
                return None
            status, body = queue.pop(0)

        class _Raw:
            def stream(self, **_: Any) -> Any:
                yield body

        return AWSResponse(request.url, status, {"Content-Type": "application/xml"}, _Raw())

    def count(self) -> Counter[tuple[str, str]]:
        return Counter(self.calls)


def make_collector(config: Config | None = None, cache: Any = None) -> tuple[Collector, CallLog]:
    log = CallLog()
    sessions = SessionProvider(config or Config(object_heads="all"), client_hook=log.hook)
    return Collector(sessions, cache if cache is not None else MemoryCache()), log


def test_collects_every_item_a_request_needs(moto: str) -> None:
    seeded = seed_everything()
    seed_organization()
    collector, _ = make_collector()
    snapshot = collector.collect(
        Target(principal_arn=seeded.session_arn, bucket=seeded.bucket, key=seeded.key, vpce_id=seeded.vpce_id)
    )
    view = account_view(snapshot)
    p = view.principal
    assert p is not None
    assert p.role_arn == f"arn:aws:iam::{OWN}:role/service/app"  # the path comes from GetRole
    assert {x.name for x in p.policies} == {"inline:write-raw", seeded.policy_arn}
    assert p.boundary is not None and p.boundary.name == seeded.boundary_arn
    assert p.tags == {"team": "red"}
    b = view.bucket
    assert b is not None and b.account == OWN and b.region == "us-east-1"
    assert b.policy.present and b.policy.value["Statement"][0]["Sid"] == "DenyOutsideVpce"
    for name in ("GetBucketAcl", "GetBucketOwnershipControls", "GetPublicAccessBlock", "GetBucketEncryption",
                 "GetObjectLockConfiguration", "GetBucketPolicyStatus", "GetBucketRequestPayment", "account:GetPublicAccessBlock"):  # fmt: skip
        assert b.get(name).status == PRESENT, name
    assert b.object is not None and b.object.head.present
    assert b.object.kms_key_id == seeded.kms_key_arn
    key = view.keys[seeded.kms_key_arn]
    assert key.policy.present and key.policy.value["Statement"][0]["Sid"] == "Root"
    assert key.metadata.value["KeyManager"] == "CUSTOMER"
    assert key.grants.present and key.grants.value[0]["Operations"] == ["Decrypt"]
    assert (
        view.vpc_endpoint is not None
        and view.vpc_endpoint.value["Statement"][0]["Resource"] == "arn:aws:s3:::data-lake/*"
    )
    org = view.organizations["principal_account"]
    assert [level.target for level in org.levels][-1] == OWN
    root_scps = [x.name for x in org.levels[0].scps.value]
    assert "deny-delete" in root_scps


def test_user_principals_bring_their_groups_policies(moto: str) -> None:
    seeded = seed_everything()
    collector, _ = make_collector()
    view = account_view(collector.collect(Target(principal_arn=seeded.user_arn)))
    assert view.principal is not None
    names = {p.name for p in view.principal.policies}
    assert names == {"inline:own", "group:analysts:list", seeded.policy_arn}


def test_absent_configuration_is_absent_not_unknown(moto: str) -> None:
    client("s3").create_bucket(Bucket="bare-bucket")
    collector, _ = make_collector()
    view = account_view(collector.collect(Target(bucket="bare-bucket")))
    b = view.bucket
    assert b is not None
    for name in ("GetBucketPolicy", "GetBucketOwnershipControls", "GetPublicAccessBlock", "GetObjectLockConfiguration"):
        assert b.get(name).status == ABSENT, (name, b.get(name))
    assert b.policy.status == ABSENT


def test_s3why_own_lookup_denied_is_unknown_and_names_the_permission(moto: str) -> None:
    seed_everything()
    collector, log = make_collector()
    denied = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
    log.inject["GetBucketPolicy"] = [(403, denied)]
    view = account_view(collector.collect(Target(bucket="data-lake")))
    assert view.bucket is not None
    policy = view.bucket.policy
    assert policy.status == UNKNOWN
    assert policy.permission == "s3:GetBucketPolicy"
    assert "s3:GetBucketPolicy" in policy.detail and OWN in policy.detail
    assert policy in view.unknowns()


def test_throttling_is_retried(moto: str) -> None:
    seed_everything()
    collector, log = make_collector()
    slow = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
    log.inject["GetBucketAcl"] = [(503, slow), (503, slow)]
    view = account_view(collector.collect(Target(bucket="data-lake")))
    assert view.bucket is not None and view.bucket.get("GetBucketAcl").present
    assert log.count()[("s3", "GetBucketAcl")] == 1  # one call, retried inside botocore
    assert not log.inject["GetBucketAcl"]


def test_another_account_is_read_through_its_configured_role(moto: str) -> None:
    other = session_in(OTHER)
    client("s3", session=other).create_bucket(Bucket="partner-bucket")
    client("s3", session=other).put_bucket_policy(
        Bucket="partner-bucket",
        Policy=policy_json(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::partner-bucket/*",
            }
        ),
    )
    config = Config(
        accounts=(AccountConfig(id=OTHER, role_arn=f"arn:aws:iam::{OTHER}:role/s3why-read", external_id="xyz"),)
    )
    collector, log = make_collector(config)
    view = account_view(
        collector.collect(Target(principal_arn=f"arn:aws:iam::{OWN}:user/nobody", bucket="partner-bucket"))
    )
    assert view.bucket is not None and view.bucket.account == OTHER
    assert view.bucket.policy.present
    assert ("sts", "AssumeRole") in log.calls


def test_an_account_hint_reads_that_account_first_and_falls_back(moto: str) -> None:
    client("s3", session=session_in(OTHER)).create_bucket(Bucket="partner-only")
    client("s3").create_bucket(Bucket="own-only")
    config = Config(accounts=(AccountConfig(id=OTHER, role_arn=f"arn:aws:iam::{OTHER}:role/s3why-read"),))
    collector, log = make_collector(config)
    view = account_view(collector.collect(Target(bucket="partner-only", account=OTHER)))
    assert view.bucket is not None and view.bucket.account == OTHER
    assert log.count()[("s3", "ListBuckets")] == 1  # found in the hinted account: no other list read
    wrong_hint = account_view(collector.collect(Target(bucket="own-only", account=OTHER)))
    assert wrong_hint.bucket is not None and wrong_hint.bucket.account == OWN
    assert log.count()[("s3", "ListBuckets")] == 2  # the hinted list came from the cache; then the own account's


def test_an_unconfigured_account_is_reported_as_not_visible(moto: str) -> None:
    other = session_in(OTHER)
    client("s3", session=other).create_bucket(Bucket="stranger-bucket")
    collector, _ = make_collector()
    view = account_view(collector.collect(Target(bucket="stranger-bucket")))
    assert view.bucket is not None and view.bucket.account is None
    assert not view.bucket.get("account:GetPublicAccessBlock").known


def test_a_warm_collection_makes_no_aws_call(moto: str) -> None:
    seeded = seed_everything()
    collector, log = make_collector()
    target = Target(principal_arn=seeded.session_arn, bucket=seeded.bucket, key=seeded.key)
    first = collector.collect(target)
    cold_calls = len(log.calls)
    second = collector.collect(target)
    assert cold_calls > 20
    assert len(log.calls) == cold_calls, log.calls[cold_calls:]
    assert account_view(first) == account_view(second)


def test_absent_answers_are_cached_and_denials_are_not(moto: str) -> None:
    client("s3").create_bucket(Bucket="bare-bucket")
    collector, log = make_collector()
    log.inject["GetBucketAcl"] = [(403, b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>")]
    collector.collect(Target(bucket="bare-bucket"))
    collector.collect(Target(bucket="bare-bucket"))
    counts = log.count()
    assert counts[("s3", "GetBucketPolicy")] == 1  # NoSuchBucketPolicy: cached
    assert counts[("s3", "GetBucketAcl")] == 2  # a denial is asked again


def test_entries_expire_with_their_ttl(moto: str) -> None:
    now = [1000.0]
    cache = MemoryCache({"bucket": 120}, clock=lambda: now[0])
    client("s3").create_bucket(Bucket="bare-bucket")
    collector, log = make_collector(cache=cache)
    collector.collect(Target(bucket="bare-bucket"))
    now[0] += 60
    collector.collect(Target(bucket="bare-bucket"))
    assert log.count()[("s3", "GetBucketPolicy")] == 1
    now[0] += 61
    collector.collect(Target(bucket="bare-bucket"))
    assert log.count()[("s3", "GetBucketPolicy")] == 2


def test_invalidation_rereads_what_s3why_changed(moto: str) -> None:
    client("s3").create_bucket(Bucket="bare-bucket")
    collector, _ = make_collector()
    assert account_view(collector.collect(Target(bucket="bare-bucket"))).bucket.policy.status == ABSENT  # type: ignore[union-attr]
    client("s3").put_bucket_policy(
        Bucket="bare-bucket",
        Policy=policy_json(
            {
                "Effect": "Allow",
                "Principal": {"AWS": OWN},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::bare-bucket/*",
            }
        ),
    )
    assert account_view(collector.collect(Target(bucket="bare-bucket"))).bucket.policy.status == ABSENT  # type: ignore[union-attr]
    assert collector.invalidate(account=OWN, resource="bare-bucket") >= 1
    assert account_view(collector.collect(Target(bucket="bare-bucket"))).bucket.policy.present  # type: ignore[union-attr]


def test_concurrent_collections_share_one_aws_call(moto: str) -> None:
    seed_everything()
    collector, log = make_collector()
    barrier = threading.Barrier(6)

    def run() -> None:
        barrier.wait()
        collector.collect(Target(bucket="data-lake"))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.count()[("s3", "GetBucketPolicy")] == 1


@pytest.mark.parametrize("missing", ["GetRole", "GetKeyPolicy"])
def test_denied_identity_and_key_reads_are_reported(moto: str, missing: str) -> None:
    seeded = seed_everything()
    collector, log = make_collector()
    body = (
        b'{"__type": "AccessDeniedException", "message": "no"}'
        if missing == "GetKeyPolicy"
        else (b"<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>")
    )
    log.inject[missing] = [(400 if missing == "GetKeyPolicy" else 403, body)]
    view = account_view(
        collector.collect(Target(principal_arn=seeded.session_arn, bucket=seeded.bucket, key=seeded.key))
    )
    details = " ".join(u.detail for u in view.unknowns())
    assert ("iam:GetRole" if missing == "GetRole" else "kms:GetKeyPolicy") in details


def test_a_throttling_burst_beyond_the_retries_is_unknown_not_cached_and_recovers(moto: str) -> None:
    seed_everything()
    collector, log = make_collector()
    slow = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
    log.inject["GetBucketPolicy"] = [(503, slow)] * 8  # more than botocore's attempts: the call fails
    view = account_view(collector.collect(Target(bucket="data-lake")))
    assert view.bucket is not None
    policy = view.bucket.policy
    assert not policy.known and "SlowDown" in policy.detail, policy.detail
    for operation in log.inject:
        log.inject[operation] = []  # the burst is over
    again = account_view(collector.collect(Target(bucket="data-lake")))
    assert again.bucket is not None and again.bucket.policy.known  # the throttled answer was not cached
