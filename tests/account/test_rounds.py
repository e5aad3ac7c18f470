"""The cold collection's chain of sequential AWS rounds, counted on a logical clock.

Each AWS call is one tick of its thread's logical time, a task starts at its submitter's time and a wait for an
answer moves the waiter to the time that answer was ready (benchmarks/call_clock.py). The count is the depth of
the chain of reads that waited for another's answer, from the program's own order of waits: the same on any
machine under any load, never a measure of seconds. (`scripts/bench` also times it through a latency proxy.)
"""

from __future__ import annotations

from concurrent.futures import Future

from benchmarks.call_clock import CallClock
from benchmarks.latency_proxy import Interval, sequential_rounds
from benchmarks.rounds import BOUND, counted_collection, seed_sse_kms_upload


def test_rounds_are_the_depth_of_the_chain_of_intervals() -> None:
    def iv(start: float, end: float) -> Interval:
        return Interval(start, end, "s3", "x")

    assert sequential_rounds([]) == 0
    assert sequential_rounds([iv(0, 1), iv(0.1, 1.1), iv(0.2, 1.0)]) == 1  # overlapping: one round
    assert sequential_rounds([iv(0, 1), iv(1.05, 2), iv(0.5, 1.5), iv(2.1, 3)]) == 3
    assert sequential_rounds([iv(0, 1), iv(1.0, 2)]) == 2  # began as the other ended: it waited for it


def test_the_logical_clock_counts_waits_for_answers_not_seconds() -> None:
    clock = CallClock()
    calls: list[str] = []

    def call(name: str) -> str:  # what botocore's before-send does: one tick of the calling thread
        clock._on_send(event_name=f"before-send.s3.{name}")
        calls.append(name)
        return name

    def chain(pool: object, first: str, then: str) -> str:
        call(first)
        return call(then)  # waits for `first` in the same task: one round more

    clock.reset()
    with clock.executor(4) as pool:
        a = pool.submit(call, "A")  # round 1
        b = pool.submit(chain, pool, "B", "C")  # B in round 1, C in round 2
        a.result()
        d = pool.submit(call, "D")  # starts after A's answer: round 2
        e: Future[str] = pool.submit(lambda: (b.result(), call("E"))[1])  # after C: round 3
        d.result(), e.result()
    assert clock.rounds == 3
    assert clock.rounds_of() == [["s3:A", "s3:B"], ["s3:C", "s3:D"], ["s3:E"]]
    assert sorted(calls) == ["A", "B", "C", "D", "E"]


def test_a_cold_same_account_sse_kms_upload_needs_at_most_four_sequential_rounds(moto: str) -> None:
    text = seed_sse_kms_upload()
    measured = counted_collection(text)
    snapshot = measured.snapshot
    # The whole picture was read: identity, the role's three policies, the bucket, the object, the key.
    operations = {t.operation for t in measured.clock.ticks}
    assert {"GetCallerIdentity", "GetRole", "GetRolePolicy", "GetPolicyVersion", "GetKeyPolicy"} <= operations
    assert len(snapshot["principal"]["calls"]["Policies"]) == 2  # attached policy and boundary
    assert "GetBucketEncryption" in snapshot["bucket"]["calls"] and "object" in snapshot["bucket"]
    assert len(snapshot["kms"]) == 2  # the key the text names, and the alias the bucket's encryption names
    # identity -> bucket location -> bucket configuration (and the role's policy versions) -> at most a key policy
    rounds = measured.clock.rounds_of()
    assert rounds[0] == ["sts:GetCallerIdentity"], rounds  # every session and cache key needs it first
    assert measured.rounds <= BOUND, rounds
    assert counted_collection(text).clock.rounds_of() == rounds  # a second new process: the same count, call for call
