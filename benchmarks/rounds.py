"""The cold diagnosis's chain of sequential AWS rounds, measured through a latency-injecting proxy.

Scenario: a same-account SSE-KMS upload (`aws s3 cp ... --sse aws:kms` denied on kms:GenerateDataKey), diagnosed
by a new process: nothing cached, s3why's own identity not yet known. The collector reads the role (inline,
attached and boundary policies), the bucket (location, then its configuration and the object), the key named in
the text and the bucket's default key (named by its alias). The bound is 4 rounds: identity -> bucket location -> bucket
configuration -> the key policy a configuration names.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks.call_clock import CallClock
from benchmarks.latency_proxy import Interval, LatencyProxy, rounds_of, sequential_rounds

OWN = "123456789012"  # moto's default account
BOUND = 4
BUCKET = "acme-reports"
KEY = "reports/2026/11/report.csv"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_sse_kms_upload() -> str:
    """Builds the setup in the emulated account (boto3 pointed at it); returns the error a person would paste."""
    from bot.demo.emulator import client

    iam, kms, s3 = client("iam"), client("kms"), client("s3")
    trust = _doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    boundary = iam.create_policy(PolicyName="etl-boundary", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}))["Policy"]["Arn"]  # fmt: skip
    managed = iam.create_policy(PolicyName="etl-write", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}))["Policy"]["Arn"]  # fmt: skip
    iam.create_role(RoleName="etl-writer", AssumeRolePolicyDocument=trust, PermissionsBoundary=boundary)
    iam.attach_role_policy(RoleName="etl-writer", PolicyArn=managed)
    iam.put_role_policy(RoleName="etl-writer", PolicyName="kms-use", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"}))  # fmt: skip
    key = kms.create_key(Description="reports")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/reports", TargetKeyId=key)
    s3.create_bucket(Bucket=BUCKET)
    # The bucket names its key by alias ARN (as a Terraform `kms_master_key_id = aws_kms_alias.x.arn` does), the
    # error by key ARN: the bucket's answer brings a key reference the text did not hold.
    alias_arn = key.split(":key/")[0] + ":alias/reports"
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": alias_arn}}
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [rule]})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_doc({"Sid": "Writers", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OWN}:role/etl-writer"}, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*"}))  # fmt: skip
    return (
        f"upload failed: ./report.csv to s3://{BUCKET}/{KEY} An error occurred (AccessDenied) when calling the "
        f"PutObject operation: User: arn:aws:sts::{OWN}:assumed-role/etl-writer/i-0abc123 is not authorized to "
        f'perform: kms:GenerateDataKey on resource: "{key}" because no resource-based policy allows the '
        "kms:GenerateDataKey action"
    )


@dataclass(frozen=True)
class ColdCollection:
    snapshot: dict[str, Any]
    intervals: list[Interval]
    seconds: float

    @property
    def rounds(self) -> int:
        return sequential_rounds(self.intervals)


@contextmanager
def behind_proxy(moto_url: str, latency: float) -> Iterator[LatencyProxy]:
    """boto3 clients made inside the block talk to moto through the proxy."""
    saved = os.environ.get("AWS_ENDPOINT_URL")
    with LatencyProxy(moto_url, latency=latency) as proxy:
        os.environ["AWS_ENDPOINT_URL"] = proxy.url
        try:
            yield proxy
        finally:
            if saved is None:
                os.environ.pop("AWS_ENDPOINT_URL", None)
            else:
                os.environ["AWS_ENDPOINT_URL"] = saved


def cold_collection(error_text: str, proxy: LatencyProxy) -> ColdCollection:
    """One collection as a new process makes it (new sessions, empty cache), through `proxy`."""
    from bot.account.collector import Collector
    from bot.account.sessions import SessionProvider
    from bot.account.target import target_for
    from bot.cache import MemoryCache
    from bot.config import Config
    from bot.parse import parse_text

    request = parse_text(error_text).requests[0]
    collector = Collector(SessionProvider(Config()), MemoryCache())
    proxy.reset()
    start = time.perf_counter()
    snapshot = collector.collect(target_for(request))
    return ColdCollection(snapshot, list(proxy.intervals), time.perf_counter() - start)


@dataclass(frozen=True)
class CountedCollection:
    snapshot: dict[str, Any]
    clock: CallClock

    @property
    def rounds(self) -> int:
        return self.clock.rounds


def counted_collection(error_text: str) -> CountedCollection:
    """One collection as a new process makes it (new sessions, empty cache), its rounds of AWS calls counted on a
    logical clock (benchmarks/call_clock.py): the same count on any machine, under any load."""
    from bot.account.collector import Collector
    from bot.account.sessions import SessionProvider
    from bot.account.target import target_for
    from bot.cache import MemoryCache
    from bot.config import Config
    from bot.parse import parse_text

    request = parse_text(error_text).requests[0]
    clock = CallClock()
    sessions = SessionProvider(Config(), client_hook=clock.client_hook)
    collector = Collector(sessions, MemoryCache(), executor=clock.executor)
    clock.reset()
    snapshot = collector.collect(target_for(request))
    return CountedCollection(snapshot, clock)


def bench_rounds(latency: float = 0.1, runs: int = 5) -> list[tuple[str, str, str]]:
    from bot.demo.emulator import emulated_aws

    with emulated_aws() as url:
        text = seed_sse_kms_upload()
        with behind_proxy(url, latency) as proxy:
            cold_collection(text, proxy)  # the emulator loads each service's code on its first call: not s3why's
            measured = [cold_collection(text, proxy) for _ in range(runs)]
    counts = sorted(r.rounds for r in measured)
    typical = next(r for r in measured if r.rounds == counts[len(counts) // 2])
    waves = " -> ".join(f"{len(r)}" for r in rounds_of(typical.intervals))
    return [
        (
            "collect",
            f"cold diagnosis, same-account SSE-KMS upload, {latency * 1000:.0f} ms injected per AWS request "
            f"(latency proxy): sequential AWS rounds (bound {BOUND}), median of {runs} new processes' collections",
            f"{typical.rounds} rounds (all runs: {', '.join(map(str, counts))}; requests per round {waves}; "
            f"{len(typical.intervals)} requests in {typical.seconds * 1000:.0f} ms)",
        )
    ]


if __name__ == "__main__":
    from benchmarks.latency_proxy import rounds_of as _rounds
    from bot.demo.emulator import emulated_aws as _aws

    with _aws() as _url:
        _text = seed_sse_kms_upload()
        with behind_proxy(_url, 0.1) as _proxy:
            _run = cold_collection(_text, _proxy)
    for _n, _ops in enumerate(_rounds(_run.intervals), 1):
        print(_n, _ops)
    print(f"{_run.rounds} rounds, {_run.seconds * 1000:.0f} ms")
