"""The configuration file (`S3WHY_CONFIG`, YAML): accounts and roles, the organization, channels, approval,
cache TTLs, infrastructure as code. Secrets never live here (environment only).

The file fails closed: it is read node by node with the line of every key and list item recorded, then validated
by strict pydantic models (a quoted boolean, an unquoted account id, an unknown key, a duplicate account, a value
out of range are all errors). Every error is reported as ``FILE:LINE: reason``, LINE being the offending key's own
line. What the rest of s3why reads is the plain frozen `Config` below, never the YAML. The schema and the YAML
reader live in `bot/config_schema.py`, imported only when a file is read (pydantic is not needed to start).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.cache import DEFAULT_TTLS
from bot.errors import UsageError

MAX_PROPOSAL_TTL_HOURS = 24 * 30
MAX_CACHE_TTL_SECONDS = 7 * 24 * 3600
# A role carrying this tag (any value) is s3why's own: fixes never target it (docs/approvals.md).
S3WHY_ROLE_TAG = "s3why:role"
# A bucket tagged with this key and the value "true" opts in to s3why reading its object heads (HeadObject, which
# needs s3:GetObject): without it s3why reads configuration only, never objects (policies/README.md).
OBJECT_HEADS_TAG = "s3why:object-heads"


@dataclass(frozen=True)
class ConfigIssue:
    """One thing wrong with the file: the line it is on (None: the file as a whole) and why, in words."""

    line: int | None
    reason: str


class ConfigError(UsageError):
    """A configuration file that cannot be used. `issues` holds every error found, in line order; the message
    (one line) is the first of them, ``FILE:LINE: reason``, and how many more there are."""

    def __init__(self, path: str, issues: list[ConfigIssue]) -> None:
        self.path = path
        self.issues = sorted(issues, key=lambda i: (i.line or 0, i.reason))
        first = self.lines()[0]
        more = len(self.issues) - 1
        super().__init__(first + (f" (and {more} more: run `s3why config check {path}`)" if more > 0 else ""))

    def lines(self) -> list[str]:
        """One ``FILE:LINE: reason`` line per error."""
        return [f"{self.path}:{i.line}: {i.reason}" if i.line else f"{self.path}: {i.reason}" for i in self.issues]


# --- the values the rest of s3why reads ------------------------------------------------------------------------
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
        """Who may approve a fix of this risk: nobody for a high-risk fix (or a risk s3why does not know) — such
        fixes are never applied, whatever `approvers` lists (A3-7)."""
        if str(risk) not in ("low", "medium"):
            return ()
        return self.approvers_by_risk.get(str(risk), self.approvers)


@dataclass(frozen=True)
class ChannelConfig:
    account: str | None = None
    mode: str = "auto"  # auto | mention | off
    slash_reply: str = "thread"  # thread (a message in the channel, answered in its thread) | ephemeral
    # None: any account; otherwise the only accounts a diagnosis asked here may look into
    accounts: tuple[str, ...] | None = None
    # empty: anyone in the channel; otherwise the only users (U…/W…) or user groups (S…) who may ask here
    askers: tuple[str, ...] = ()


@dataclass(frozen=True)
class TerraformIac:
    """`iac.terraform`: where policies are defined in Terraform; fixes there become pull requests."""

    path: str  # an existing directory, absolute (a relative path in the file is resolved against the file's)
    github_repo: str | None = None  # owner/name; the token comes from GITHUB_TOKEN
    base_branch: str = "main"


@dataclass(frozen=True)
class CloudFormationIac:
    """`iac.cloudformation`: a target a stack manages (tag aws:cloudformation:stack-name) gets its fix as a
    template change; s3why writes its live policy only in the accounts listed here."""

    live_apply_accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class IacConfig:
    """`iac:`: policies managed as code. Empty: every fix is a live policy change."""

    terraform: TerraformIac | None = None
    cloudformation: CloudFormationIac | None = None


@dataclass(frozen=True)
class WatchRoute:
    """`watch.routes[]`: a group goes to `channel` when its account is `account`, or when its bucket carries the
    tag `bucket_tag` (`KEY=VALUE`, split into `tag_key`, `tag_value`)."""

    channel: str
    account: str | None = None
    tag_key: str | None = None
    tag_value: str | None = None

    def matches(self, account: str | None, bucket_tags: dict[str, str]) -> bool:
        if self.account is not None:
            return account == self.account
        return self.tag_key is not None and bucket_tags.get(self.tag_key) == self.tag_value


@dataclass(frozen=True)
class WatchConfig:
    """`watch:` (`s3why watch`, docs/watch.md)."""

    queue_url: str | None = None
    default_channel: str | None = None
    routes: tuple[WatchRoute, ...] = ()
    group_window_minutes: int = 60  # a cause seen again after this long without it starts a new message
    update_seconds: int = 30  # at most one thread update per group in this long
    fix_quiet_minutes: int = 60  # after an applied fix: this long without a denial -> "no denials since the fix"
    visibility_timeout_seconds: int = 120  # SQS: how long a received message is hidden while it is diagnosed
    digest_hour_utc: int | None = None  # a daily digest per channel at this hour (UTC); None: no digest
    # the buckets the trails deliver their log files to: the only buckets whose objects an S3 event notification
    # makes watch read (empty: S3 notifications are ignored and counted)
    trail_buckets: tuple[str, ...] = ()

    def channel_for(self, account: str | None, bucket_tags: dict[str, str]) -> str | None:
        """The first route that matches, else the default channel (None: nowhere to post)."""
        return next((r.channel for r in self.routes if r.matches(account, bucket_tags)), self.default_channel)


@dataclass(frozen=True)
class Config:
    accounts: tuple[AccountConfig, ...] = ()
    organization_role_arn: str | None = None
    # the organization's member accounts (`organization.accounts`): with `accounts`, the only accounts a fix may
    # grant access to (docs/approvals.md)
    organization_accounts: tuple[str, ...] = ()
    channels: dict[str, ChannelConfig] = field(default_factory=dict)
    self_approval: bool = False
    proposal_ttl_hours: float = 24.0
    dry_run: bool = False  # every account: check everything, write nothing
    cache_ttls: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_TTLS))
    iac: IacConfig = field(default_factory=IacConfig)
    # `objects.heads`: "opt-in" (object heads only in the buckets listed in `objects.head_buckets` or tagged
    # OBJECT_HEADS_TAG) or "all" (a read role with s3:GetObject everywhere, e.g. the demo's emulated accounts)
    object_heads: str = "opt-in"
    object_head_buckets: tuple[str, ...] = ()

    def reads_object_heads(self, bucket: str, tags: dict[str, str]) -> bool:
        """Does s3why read object heads (HeadObject) in this bucket: all of them, listed, or tagged
        `s3why:object-heads=true`."""
        if self.object_heads == "all" or bucket in self.object_head_buckets:
            return True
        return tags.get(OBJECT_HEADS_TAG, "").lower() == "true"

    watch: WatchConfig = field(default_factory=WatchConfig)

    def account(self, account_id: str) -> AccountConfig | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def known_accounts(self) -> frozenset[str]:
        """The accounts s3why may grant access to: the configured ones and the organization's listed members."""
        return frozenset({a.id for a in self.accounts} | set(self.organization_accounts))

    def own_role_arns(self) -> frozenset[str]:
        """The roles s3why itself uses (read, write, organization): fixes never target them."""
        arns = {a.role_arn for a in self.accounts} | {a.write_role_arn for a in self.accounts}
        arns.add(self.organization_role_arn)
        return frozenset(a for a in arns if a)


def load_config(path: str | None) -> Config:
    """The configuration at `path` (`S3WHY_CONFIG`); the empty configuration when no path is given."""
    if not path:
        return Config()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [ConfigIssue(None, f"cannot read it ({exc.strerror})")]) from None
    except UnicodeDecodeError:
        raise ConfigError(path, [ConfigIssue(None, "cannot read it (not UTF-8 text)")]) from None
    return parse_config(text, path, base_dir=Path(path).resolve().parent)


def parse_config(text: str, path: str = "S3WHY_CONFIG", *, base_dir: Path | None = None) -> Config:
    """The configuration in `text` (read from `path`); ConfigError naming every wrong line otherwise.

    `base_dir` resolves a relative `iac.terraform.path` (default: the current directory)."""
    from bot.config_schema import build_config

    return build_config(text, path, base_dir)


def effective(config: Config) -> dict[str, Any]:
    """The configuration as s3why will use it (defaults filled in), fit to print: never a secret (the external
    id, which a role's trust policy checks, is shown only as set)."""
    return {
        "accounts": [
            {
                "id": a.id,
                "name": a.name,
                "role_arn": a.role_arn,
                "external_id": "(set)" if a.external_id else None,
                "write_role_arn": a.write_role_arn,
                "approvers": list(a.approvers),
                "approvers_by_risk": {k: list(v) for k, v in a.approvers_by_risk.items()},
                "dry_run": a.dry_run,
            }
            for a in config.accounts
        ],
        "organization": {"role_arn": config.organization_role_arn, "accounts": list(config.organization_accounts)},
        "channels": {
            k: {
                "account": c.account,
                "mode": c.mode,
                "slash_reply": c.slash_reply,
                "accounts": list(c.accounts) if c.accounts is not None else None,
                "askers": list(c.askers),
            }
            for k, c in config.channels.items()
        },
        "approval": {
            "self_approval": config.self_approval,
            "proposal_ttl_hours": config.proposal_ttl_hours,
            "dry_run": config.dry_run,
        },
        "cache": {"ttl_seconds": dict(config.cache_ttls)},
        "iac": asdict(config.iac),
        "objects": {"heads": config.object_heads, "head_buckets": list(config.object_head_buckets)},
        "watch": {
            "queue_url": config.watch.queue_url,
            "default_channel": config.watch.default_channel,
            "routes": [
                {"channel": r.channel, "account": r.account}
                if r.account
                else {"channel": r.channel, "bucket_tag": f"{r.tag_key}={r.tag_value}"}
                for r in config.watch.routes
            ],
            "group_window_minutes": config.watch.group_window_minutes,
            "update_seconds": config.watch.update_seconds,
            "fix_quiet_minutes": config.watch.fix_quiet_minutes,
            "visibility_timeout_seconds": config.watch.visibility_timeout_seconds,
            "digest_hour_utc": config.watch.digest_hour_utc,
            "trail_buckets": list(config.watch.trail_buckets),
        },
    }
