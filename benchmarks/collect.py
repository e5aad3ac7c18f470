"""Cold and warm collection of a cross-account SSE-KMS request against an emulated AWS (moto, in process),
with an injected per-call latency. Reports the calls made, the cold time against the serial sum of the same
calls and the dependency-chain lower bound, and the warm time.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from typing import Any

from benchmarks.run import Row
from bot.demo.emulator import start_emulated_aws

LATENCY = 0.05
OWN, OTHER = "123456789012", "222222222222"
# The longest chain of calls that depend on each other for this request, in a running bot (its own identity
# and the other account's role session already known): the other account's bucket list (who owns the bucket)
# -> bucket location (its region) -> HeadObject (the object's key) -> the key's policy.
CHAIN_DEPTH = 4


def _seed(url: str) -> dict[str, str]:
    import boto3

    from bot.account.sessions import make_client

    base = boto3.Session()
    creds = make_client(base, "sts", "us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{OTHER}:role/s3why-read", RoleSessionName="seed"
    )["Credentials"]
    other = boto3.Session(
        creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region_name="us-east-1"
    )
    iam = make_client(base, "iam", "us-east-1")
    iam.create_role(RoleName="etl", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.put_role_policy(RoleName="etl", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))  # fmt: skip
    kms = make_client(other, "kms", "us-east-1")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    s3 = make_client(other, "s3", "us-east-1")
    s3.create_bucket(Bucket="partner-data")
    s3.put_object(Bucket="partner-data", Key="in/x.csv", Body=b"a,b", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
    return {"principal": f"arn:aws:sts::{OWN}:assumed-role/etl/run-1", "bucket": "partner-data", "key": "in/x.csv"}


def bench_collect() -> list[Row]:
    from bot.account.collector import Collector, Target
    from bot.account.sessions import SessionProvider
    from bot.cache import MemoryCache
    from bot.config import AccountConfig, Config

    moto_url, stop_aws = start_emulated_aws()
    try:
        seeded = _seed(moto_url)
        config = Config(accounts=(AccountConfig(id=OTHER, role_arn=f"arn:aws:iam::{OTHER}:role/s3why-read"),))
        target = Target(principal_arn=seeded["principal"], bucket=seeded["bucket"], key=seeded["key"])
        counter = {"n": 0}
        lock = threading.Lock()

        def hook(made: Any) -> None:
            def delay(**_: Any) -> None:
                with lock:
                    counter["n"] += 1
                time.sleep(LATENCY)

            made.meta.events.register("before-send.*.*", delay)

        # A running bot: its sessions and clients exist (the first diagnosis of a process also pays for
        # GetCallerIdentity, AssumeRole and client creation, reported separately).
        sessions = SessionProvider(config, client_hook=hook)
        start = time.perf_counter()
        Collector(sessions, MemoryCache()).collect(target)
        first = time.perf_counter() - start
        colds, warms, calls = [], [], []
        for _ in range(5):
            collector = Collector(sessions, MemoryCache())
            before = counter["n"]
            start = time.perf_counter()
            collector.collect(target)
            colds.append(time.perf_counter() - start)
            calls.append(counter["n"] - before)
            before = counter["n"]
            start = time.perf_counter()
            collector.collect(target)
            warms.append(time.perf_counter() - start)
            assert counter["n"] == before, "a warm collection made AWS calls"
    finally:
        stop_aws()
    cold, warm, n = statistics.median(colds), statistics.median(warms), int(statistics.median(calls))
    bound = CHAIN_DEPTH * LATENCY
    return [
        (
            "collect",
            f"cross-account SSE-KMS request, cold cache, {LATENCY * 1000:.0f} ms per AWS call",
            f"{cold * 1000:.0f} ms ({n} calls; serial sum {n * LATENCY * 1000:.0f} ms)",
        ),
        ("collect", "the same, first request of a new process (identity, role, clients)", f"{first * 1000:.0f} ms"),
        (
            "collect",
            f"cold vs dependency-chain lower bound ({CHAIN_DEPTH} calls deep = {bound * 1000:.0f} ms)",
            f"{cold / bound:.2f} x",
        ),
        ("collect", "warm (every answer cached), same request", f"{warm * 1000:.2f} ms, 0 AWS calls"),
    ]
