"""moto in server mode (so boto3's real HTTP stack runs), reset between tests, plus helpers to seed it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from bot.account.sessions import make_client

OWN = "123456789012"  # moto's default account
OTHER = "222222222222"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="AKIAFAKEFAKEFAKEFAKE",
        AWS_SECRET_ACCESS_KEY="fake-secret",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )
    yield url
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def moto(moto_url: str) -> Iterator[str]:
    """A clean emulated AWS for each test."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    yield moto_url
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)


def client(service: str, region: str = "us-east-1", session: boto3.Session | None = None) -> Any:
    return make_client(session or boto3.Session(), service, region)


def session_in(account: str) -> boto3.Session:
    """A session in another emulated account (moto maps assumed-role credentials to the role's account)."""
    iam = client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/s3why-read", RoleSessionName="seed")[
        "Credentials"
    ]
    del iam, trust
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def policy_json(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
