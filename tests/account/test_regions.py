"""Regions are checked against the partitions' lists before any client is made (issue 22 §3): one made-up region
in a paste fails only the calls that need it."""

from __future__ import annotations

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider, known_region
from bot.cache import MemoryCache
from bot.config import Config


def test_every_partition_s_regions_are_known_and_made_up_ones_are_not() -> None:
    for region in ("us-east-1", "eu-central-1", "cn-north-1", "us-gov-west-1"):
        assert known_region(region), region
    for region in ("us-east-9", "mars-1", "us-east-1.evil.example", "", "US-EAST-1"):
        assert not known_region(region), region


def test_a_call_in_an_unknown_region_makes_no_client_and_says_why() -> None:
    sessions = SessionProvider(Config())
    made: list[tuple[str, str, str | None]] = []
    real = sessions.client

    def counting(account: str, service: str, region: str | None = None) -> object:
        made.append((account, service, region))
        return real(account, service, region)

    sessions.client = counting  # type: ignore[method-assign,assignment]
    answer = Collector(sessions, MemoryCache()).call("111122223333", "kms", "GetKeyPolicy", "us-east-9", KeyId="k")
    assert answer["Error"]["Code"] == "UnknownRegion" and "us-east-9" in answer["Error"]["Message"]
    assert made == []
