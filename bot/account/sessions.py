"""boto3 sessions and clients: one session per account (the bot's own, or a configured role assumed with its
external id), regional clients, adaptive retries, and the standard configuration chain (profiles,
`AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), so s3why runs against an emulator as well.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.loaders
from botocore.config import Config as BotoConfig

from bot.bounded import LruDict
from bot.config import Config
from bot.metrics import time_aws_calls

ClientHook = Callable[[Any], None]


def _uses_custom_endpoint() -> bool:
    return any(k == "AWS_ENDPOINT_URL" or k.startswith("AWS_ENDPOINT_URL_") for k in os.environ)


def boto_config(service: str) -> BotoConfig:
    custom = _uses_custom_endpoint()
    kwargs: dict[str, Any] = {
        "retries": {"mode": "adaptive", "max_attempts": 6},
        "connect_timeout": 5,
        "read_timeout": 15,
        "max_pool_connections": 32,
        "user_agent_extra": "s3why",
    }
    if service == "s3" and custom:
        kwargs["s3"] = {"addressing_style": "path"}  # emulators and S3-compatible endpoints
    if service == "s3control" and custom:
        kwargs["inject_host_prefix"] = False  # no {AccountId}. host prefix in front of a local endpoint
    return BotoConfig(**kwargs)


class SessionProvider:
    """Sessions per account, and clients per (account, service, region), created once and shared (bounded)."""

    def __init__(
        self,
        config: Config,
        *,
        base_session: boto3.Session | None = None,
        client_hook: ClientHook | None = None,
        session_name: str = "s3why",
        max_clients: int = 512,
        max_sessions: int = 256,
    ) -> None:
        """`max_clients`, `max_sessions`: the most kept (least recently used dropped; made again when needed)."""
        self.config = config
        self.base = base_session or boto3.Session()
        self.client_hook = client_hook
        self.session_name = session_name
        self._own_account: str | None = None
        self._sessions: LruDict[str, boto3.Session | None] = LruDict(max_sessions)
        # Clients by (account, service, region); the bot's own account is `_SELF`, so its clients can be made
        # while its identity is still being asked for (see `prepare`).
        self._clients: LruDict[tuple[str, str, str], Any] = LruDict(max_clients)
        self._lock = threading.Lock()
        self._identity_lock = threading.Lock()
        self._making = threading.Lock()  # one client made at a time: boto3 sessions are not thread-safe

    @property
    def default_region(self) -> str:
        return self.base.region_name or os.environ.get("AWS_REGION") or "us-east-1"

    def own_account(self) -> str:
        if self._own_account is None:
            with self._identity_lock:
                if self._own_account is None:
                    sts = self._client_in(_SELF, self.base, "sts", self.default_region)
                    self._own_account = str(sts.get_caller_identity()["Account"])
        return self._own_account

    def prepare(self, services: tuple[str, ...]) -> None:
        """Make the bot's own clients for `services` (default region) ahead of need, e.g. while its identity
        is being asked for: making a client costs tens of milliseconds of CPU, which would otherwise delay the
        calls that wait for it. The STS client comes first, so the identity call is not kept waiting."""
        for service in ("sts", *services):
            self._client_in(_SELF, self.base, service, self.default_region)

    def readable_accounts(self) -> list[str]:
        """The bot's own account and every configured account it can assume a role in."""
        ids = [self.own_account()]
        ids.extend(a.id for a in self.config.accounts if a.role_arn and a.id not in ids)
        return ids

    def session_for(self, account_id: str) -> boto3.Session | None:
        """A session in `account_id`: the bot's own, an assumed configured role, or None (not configured)."""
        if account_id == self.own_account():
            return self.base
        with self._lock:
            if account_id in self._sessions:
                return self._sessions[account_id]
        account = self.config.account(account_id)
        session: boto3.Session | None = None
        if account is not None and account.role_arn:
            sts = self._client_in(_SELF, self.base, "sts", self.default_region)
            params: dict[str, Any] = {"RoleArn": account.role_arn, "RoleSessionName": self.session_name}
            if account.external_id:
                params["ExternalId"] = account.external_id
            creds = sts.assume_role(**params)["Credentials"]
            session = boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                region_name=self.default_region,
            )
        with self._lock:
            self._sessions[account_id] = session
        return session

    def client(self, account_id: str, service: str, region: str | None = None) -> Any | None:
        region = region or self.default_region
        owner = _SELF if account_id == self.own_account() else account_id
        with self._lock:
            found = self._clients.get((owner, service, region))
        if found is not None:
            return found
        session = self.session_for(account_id)
        if session is None:
            return None
        return self._client_in(owner, session, service, region)

    def _client_in(self, owner: str, session: boto3.Session, service: str, region: str) -> Any:
        """The client for (owner, service, region), made once."""
        key = (owner, service, region)
        with self._lock:
            found = self._clients.get(key)
        if found is not None:
            return found
        with self._making:
            with self._lock:
                found = self._clients.get(key)
            if found is None:
                found = self._make_client(session, service, region)
                with self._lock:
                    self._clients[key] = found
        return found

    def _make_client(self, session: boto3.Session, service: str, region: str) -> Any:
        made = make_client(session, service, region)
        if self.client_hook is not None:
            self.client_hook(made)
        return made


_SELF = "self"  # the key of the bot's own account in the client table

_ACCOUNT_HOST_PREFIX = re.compile(r"^(https?://)\d{12}\.")


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    """S3 Control's endpoint rules put `{AccountId}.` in front of the host, which a local endpoint cannot serve."""
    request.url = _ACCOUNT_HOST_PREFIX.sub(r"\1", request.url)


_MODELS = botocore.loaders.create_loader()  # one per process: botocore's JSON models are read and parsed once


@functools.lru_cache(maxsize=1)
def _partition_regions() -> frozenset[str]:
    """Every region of every AWS partition, from botocore's endpoint data (endpoints.json, shipped in botocore)."""
    data = _MODELS.load_data("endpoints")
    return frozenset(r for p in data.get("partitions", []) for r in (p.get("regions") or {}))


def known_region(region: str) -> bool:
    """A region one of AWS's partitions lists (aws, aws-cn, aws-us-gov, ...): checked before any client is made,
    so a made-up region from a paste costs nothing and fails only the calls that need it."""
    return region in _partition_regions()


def make_client(session: boto3.Session, service: str, region: str) -> Any:
    """A client with s3why's configuration (retries, timeouts, emulator-friendly addressing).

    Every session shares one model loader: a new session (an assumed role, an approval's write role) otherwise
    re-reads and re-parses botocore's endpoint rules and service models, about 0.3 s of CPU a client."""
    if session._session.get_component("data_loader") is not _MODELS:
        session._session.register_component("data_loader", _MODELS)
    made = session.client(service, region_name=region, config=boto_config(service))
    time_aws_calls(made, service)  # s3why_aws_call_seconds{service, operation}
    if service == "s3control" and _uses_custom_endpoint():
        made.meta.events.register("before-sign.s3-control.*", _strip_account_host_prefix)
    return made
