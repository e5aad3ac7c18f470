"""The configuration file (`S3WHY_CONFIG`, YAML): accounts and roles, the organization, channels, approval,
cache TTLs. Validated at start; every error names the line it is on. Secrets never live here (environment only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.cache import DEFAULT_TTLS
from bot.errors import UsageError
from bot.iac.settings import IacSettings, parse_iac

_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


class ConfigError(UsageError):
    """A configuration file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class AccountConfig:
    id: str
    name: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    write_role_arn: str | None = None
    approvers: tuple[str, ...] = ()
    dry_run: bool = False
    # optional, per risk level: who may approve fixes of that risk (instead of `approvers`)
    approvers_by_risk: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    def approvers_for(self, risk: str) -> tuple[str, ...]:
        return self.approvers_by_risk.get(risk, self.approvers)


@dataclass(frozen=True)
class ChannelConfig:
    account: str | None = None
    mode: str = "auto"  # auto | mention | off
    slash_reply: str = "thread"  # thread (a message in the channel, answered in its thread) | ephemeral


@dataclass(frozen=True)
class Config:
    accounts: tuple[AccountConfig, ...] = ()
    organization_role_arn: str | None = None
    channels: dict[str, ChannelConfig] = field(default_factory=dict)
    self_approval: bool = False
    proposal_ttl_hours: float = 24.0
    dry_run: bool = False  # every account: check everything, write nothing
    cache_ttls: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_TTLS))
    iac: IacSettings = field(default_factory=IacSettings)  # where policies are defined as code (bot/iac)

    def account(self, account_id: str) -> AccountConfig | None:
        return next((a for a in self.accounts if a.id == account_id), None)


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers where each mapping started, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _err(path: str, line: Any, message: str) -> ConfigError:
    where = f"{path}, line {line}" if isinstance(line, int) else path
    return ConfigError(f"configuration {where}: {message}")


def _str(data: dict[str, Any], key: str, path: str, *, pattern: re.Pattern[str] | None = None) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and key in ("id", "account"):
        value = f"{value:012d}"
    if not isinstance(value, str):
        raise _err(path, data.get("__line__"), f"{key} must be a string")
    if pattern is not None and not pattern.match(value):
        raise _err(path, data.get("__line__"), f"{key} {value!r} is not valid")
    return value


_SECRET_KEY = re.compile(r"(secret|token|password|passwd|access_key|private_key|signing)", re.IGNORECASE)


def _refuse_secrets(node: Any, path: str, line: Any = None) -> None:
    """Secrets come only from the environment: a configuration file that holds one is refused, naming where."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "__line__" and _SECRET_KEY.search(key):
                raise _err(
                    path,
                    node.get("__line__", line),
                    f"{key!r} looks like a secret: secrets come only from the environment "
                    "(SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, AWS credentials)",
                )
            _refuse_secrets(value, path, node.get("__line__", line))
    elif isinstance(node, list):
        for item in node:
            _refuse_secrets(item, path, line)


def parse_config(text: str, path: str = "S3WHY_CONFIG") -> Config:
    try:
        raw = yaml.load(text, Loader=_LineLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise _err(path, line, f"not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(raw, dict):
        raise _err(path, None, "the top level must be a mapping")
    _refuse_secrets(raw, path)
    known = {"accounts", "organization", "channels", "approval", "cache", "iac", "__line__"}
    for key in raw:
        if key not in known:
            raise _err(
                path, raw.get("__line__"), f"unknown key {key!r} (expected one of {sorted(known - {'__line__'})})"
            )

    accounts: list[AccountConfig] = []
    for item in raw.get("accounts") or []:
        if not isinstance(item, dict):
            raise _err(path, raw.get("__line__"), "each account must be a mapping")
        account_id = _str(item, "id", path, pattern=_ACCOUNT)
        if account_id is None:
            raise _err(path, item.get("__line__"), "an account needs an id (12 digits)")
        approvers = item.get("approvers") or []
        if not isinstance(approvers, list) or not all(isinstance(a, str) for a in approvers):
            raise _err(path, item.get("__line__"), "approvers must be a list of Slack user or group ids")
        by_risk: dict[str, tuple[str, ...]] = {}
        for risk, ids in (item.get("approvers_by_risk") or {}).items():
            if risk == "__line__":
                continue
            if risk not in ("low", "medium") or not isinstance(ids, list) or not all(isinstance(a, str) for a in ids):
                raise _err(
                    path,
                    item.get("__line__"),
                    "approvers_by_risk maps low or medium (high-risk fixes are never applied) to a list of ids",
                )
            by_risk[risk] = tuple(ids)
        accounts.append(
            AccountConfig(
                id=account_id,
                name=_str(item, "name", path),
                role_arn=_str(item, "role_arn", path, pattern=_ROLE_ARN),
                external_id=_str(item, "external_id", path),
                write_role_arn=_str(item, "write_role_arn", path, pattern=_ROLE_ARN),
                approvers=tuple(approvers),
                dry_run=bool(item.get("dry_run", False)),
                approvers_by_risk=by_risk,
            )
        )
    org = raw.get("organization") or {}
    channels: dict[str, ChannelConfig] = {}
    for channel_id, item in (raw.get("channels") or {}).items():
        if channel_id == "__line__":
            continue
        if not isinstance(item, dict):
            raise _err(path, raw["channels"].get("__line__"), f"channel {channel_id} must be a mapping")
        mode = item.get("mode", "auto")
        if mode not in ("auto", "mention", "off"):
            raise _err(path, item.get("__line__"), f"channel {channel_id}: mode must be auto, mention or off")
        slash_reply = item.get("slash_reply", "thread")
        if slash_reply not in ("thread", "ephemeral"):
            raise _err(path, item.get("__line__"), f"channel {channel_id}: slash_reply must be thread or ephemeral")
        channels[str(channel_id)] = ChannelConfig(
            account=_str(item, "account", path, pattern=_ACCOUNT), mode=mode, slash_reply=slash_reply
        )
    approval = raw.get("approval") or {}
    ttls = dict(DEFAULT_TTLS)
    for kind, seconds in ((raw.get("cache") or {}).get("ttl_seconds") or {}).items():
        if kind == "__line__":
            continue
        if kind not in DEFAULT_TTLS or not isinstance(seconds, int) or seconds < 0:
            raise _err(path, raw["cache"].get("__line__"), f"cache.ttl_seconds.{kind} must be a known kind and seconds")
        ttls[kind] = seconds
    return Config(
        accounts=tuple(accounts),
        organization_role_arn=_str(org, "role_arn", path, pattern=_ROLE_ARN) if isinstance(org, dict) else None,
        channels=channels,
        self_approval=bool(approval.get("self_approval", False)),
        proposal_ttl_hours=float(approval.get("proposal_ttl_hours", 24)),
        dry_run=bool(approval.get("dry_run", False)),
        cache_ttls=ttls,
        iac=parse_iac(raw.get("iac"), path, _err),
    )


def load_config(path: str | None) -> Config:
    """The configuration at `path` (`S3WHY_CONFIG`); the empty configuration when no path is given."""
    if not path:
        return Config()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"configuration {path}: cannot read it ({exc.strerror})") from None
    return parse_config(text, path)
