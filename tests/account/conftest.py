"""moto in server mode (so boto3's real HTTP stack runs), reset between tests, plus helpers to seed it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bot.demo.emulator import OTHER, OWN, client, emulated_aws, session_in

__all__ = ["OTHER", "OWN", "client", "session_in"]


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with emulated_aws() as url:
        yield url


@pytest.fixture
def moto(moto_url: str) -> Iterator[str]:
    """A clean emulated AWS for each test."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    yield moto_url
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)


def policy_json(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
