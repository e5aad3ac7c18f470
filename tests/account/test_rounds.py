"""The cold collection's chain of sequential AWS rounds, measured through a latency-injecting proxy.

The proxy delays every request and records when it ran; the number of rounds is the depth of the longest chain
of requests each started after the previous one ended (computed from the recorded intervals, never from the
elapsed time), so it counts the reads that waited for another's answer.
"""

from __future__ import annotations

from benchmarks.latency_proxy import Interval, sequential_rounds
from benchmarks.rounds import BOUND, behind_proxy, cold_collection, seed_sse_kms_upload

LATENCY = 0.25  # far above the client's own per-call work, even on a loaded machine


def test_rounds_are_the_depth_of_the_chain_of_intervals() -> None:
    def iv(start: float, end: float) -> Interval:
        return Interval(start, end, "s3", "x")

    assert sequential_rounds([]) == 0
    assert sequential_rounds([iv(0, 1), iv(0.1, 1.1), iv(0.2, 1.0)]) == 1  # overlapping: one round
    assert sequential_rounds([iv(0, 1), iv(1.05, 2), iv(0.5, 1.5), iv(2.1, 3)]) == 3
    assert sequential_rounds([iv(0, 1), iv(1.0, 2)]) == 2  # began as the other ended: it waited for it


def test_a_cold_same_account_sse_kms_upload_needs_at_most_four_sequential_rounds(moto: str) -> None:
    text = seed_sse_kms_upload()
    with behind_proxy(moto, LATENCY) as proxy:
        cold_collection(text, proxy)  # the emulator loads each service's code on its first call: not s3why's time
        measured = cold_collection(text, proxy)
    snapshot = measured.snapshot
    # The whole picture was read: identity, the role's three policies, the bucket, the object, the key.
    operations = {i.operation for i in measured.intervals}
    assert {"GetCallerIdentity", "GetRole", "GetRolePolicy", "GetPolicyVersion", "GetKeyPolicy"} <= operations
    assert len(snapshot["principal"]["calls"]["Policies"]) == 2  # attached policy and boundary
    assert "GetBucketEncryption" in snapshot["bucket"]["calls"] and "object" in snapshot["bucket"]
    assert len(snapshot["kms"]) == 2  # the key the text names, and the alias the bucket's encryption names
    # identity -> bucket location -> bucket configuration (and the role's policy versions) -> at most a key policy
    assert measured.rounds <= BOUND, measured.intervals
