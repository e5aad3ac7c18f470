"""An emulated AWS for the demo and the tests: moto in server mode on a free local port, so boto3's real HTTP
stack runs, and helpers to build broken setups in it as an operator would."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3

from bot.account.sessions import make_client

OWN = "123456789012"  # moto's default account
OTHER = "222222222222"
_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION")


def start_emulated_aws() -> tuple[str, Callable[[], None]]:
    """Start moto on 127.0.0.1 (a free port), empty, and point boto3 at it; returns its URL and how to stop it
    (which puts the environment back)."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # pragma: no cover - depends on the install
        from bot.errors import UsageError

        raise UsageError("the emulated AWS needs moto: pip install 'moto[server]' (scripts/test installs it)") from exc
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto's state belongs to the process, shared by every server started in it: begin with an empty account.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).read()
    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="AKIAFAKEFAKEFAKEFAKE",
        AWS_SECRET_ACCESS_KEY="fake-secret",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )

    def stop() -> None:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    return url, stop


@contextmanager
def emulated_aws() -> Iterator[str]:
    """`start_emulated_aws` for a `with` block."""
    url, stop = start_emulated_aws()
    try:
        yield url
    finally:
        stop()


_OWN_CLIENTS: dict[tuple[str, str, str], Any] = {}


def client(service: str, region: str = "us-east-1", session: boto3.Session | None = None) -> Any:
    """A client in the emulated account `session` belongs to (default: the account of the environment's keys,
    one client per service and region for each emulator, as building one costs more than most calls)."""
    if session is not None:
        return make_client(session, service, region)
    key = (os.environ.get("AWS_ENDPOINT_URL", ""), service, region)
    found = _OWN_CLIENTS.get(key)
    if found is None:
        found = _OWN_CLIENTS.setdefault(key, make_client(boto3.Session(), service, region))
    return found


def session_in(account: str) -> boto3.Session:
    """A session in another emulated account (moto maps assumed-role credentials to the role's account)."""
    creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/s3why-read", RoleSessionName="seed")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
