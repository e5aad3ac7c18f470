"""The schema of `S3WHY_CONFIG` (strict pydantic models) and the YAML reader that records every key's line.

Imported only when a configuration file is read (`bot.config.parse_config`). Every error becomes a
`ConfigIssue(line, reason)`, the line being the offending key's own (a missing key: its mapping's).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.cache import DEFAULT_TTLS
from bot.config import (
    MAX_CACHE_TTL_SECONDS,
    MAX_PROPOSAL_TTL_HOURS,
    AccountConfig,
    ChannelConfig,
    CloudFormationIac,
    Config,
    ConfigError,
    ConfigIssue,
    IacConfig,
    TerraformIac,
    WatchConfig,
    WatchRoute,
)

_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_SLACK_ID = re.compile(r"^[UWS][A-Za-z0-9_]{1,30}$")  # user (U, W on Enterprise Grid) or user group (S)
_CHANNEL_ID = re.compile(r"^[CGD][A-Za-z0-9_]{1,30}$")
# GitHub: an owner is alphanumerics and single hyphens (39 at most); a repository name is [A-Za-z0-9._-] (100)
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_SECRET_KEY = re.compile(r"(secret|token|password|passwd|access_key|private_key|signing)", re.IGNORECASE)


def _strict_model() -> ConfigDict:
    return ConfigDict(strict=True, extra="forbid", frozen=True)


def _check_github_repo(value: str) -> str:
    if not _GITHUB_REPO.fullmatch(value) or value.split("/")[1] in (".", ".."):
        raise ValueError("github_repo is owner/name, e.g. acme/infra")
    return value


def _check_branch(value: str) -> str:
    """A branch name git accepts (git-check-ref-format): no spaces, control characters, ~^:?*[\\, `..`, `@{`,
    no leading `-` or `/`, no trailing `/`, `.` or `.lock`."""
    bad = (
        not value
        or len(value) > 255
        or re.search(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//", value) is not None
        or value.startswith(("-", "/", "."))
        or value.endswith(("/", ".", ".lock"))
        or value == "@"
    )
    if bad:
        raise ValueError("base_branch is not a branch name git accepts")
    return value


def _check_path(value: str) -> str:
    if not value.strip():
        raise ValueError("path is empty: give the checkout that holds the .tf files")
    return value


class _TerraformIac(BaseModel):
    """`iac.terraform`: where policies are defined in Terraform; fixes there become pull requests."""

    model_config = _strict_model()

    path: Annotated[str, AfterValidator(_check_path)]  # a directory (relative: to the configuration file's)
    github_repo: Annotated[str, AfterValidator(_check_github_repo)] | None = None  # owner/name; GITHUB_TOKEN
    base_branch: Annotated[str, AfterValidator(_check_branch)] = "main"


def _check_account_text(value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise ValueError("an account id is 12 digits in quotes")
    return value


class _CloudFormationIac(BaseModel):
    """`iac.cloudformation`: s3why writes the live policy of a stack-managed target only in these accounts."""

    model_config = _strict_model()

    live_apply_accounts: list[Annotated[str, AfterValidator(_check_account_text)]] = []


class _Iac(BaseModel):
    """`iac:`: policies managed as code. Empty: every fix is a live policy change."""

    model_config = _strict_model()

    terraform: _TerraformIac | None = None
    cloudformation: _CloudFormationIac | None = None


# --- the file's schema (strict) --------------------------------------------------------------------------------
def _account_id(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError('an account id is 12 digits in quotes, e.g. "012345678901", not true or false')
    if isinstance(value, int | float):
        raise ValueError(
            'an account id must be quoted, e.g. "012345678901": unquoted, YAML reads it as a number '
            "(leading zeros are lost, and a leading 0 makes it octal)"
        )
    if isinstance(value, str) and not _ACCOUNT.fullmatch(value):
        shown = repr(value) if len(value) <= 20 and value.isprintable() else "this value"
        raise ValueError(f"{shown} is not an account id (12 digits, quoted)")
    return value


def _role_arn(value: str) -> str:
    if not _ROLE_ARN.fullmatch(value):
        raise ValueError("not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    return value


def _slack_id(value: str) -> str:
    if not _SLACK_ID.fullmatch(value):
        raise ValueError("not a Slack user id (U…/W…) or user-group id (S…)")
    return value


def _channel_id(value: str) -> str:
    if not _CHANNEL_ID.fullmatch(value):
        raise ValueError("not a Slack channel id (C…, G… or D…)")
    return value


def _mode(value: object) -> object:
    if value is False:  # YAML 1.1 reads an unquoted off (and no) as false
        raise ValueError('write "off" in quotes: unquoted, YAML reads off as false')
    return value


AccountId = Annotated[str, BeforeValidator(_account_id)]
RoleArn = Annotated[str, AfterValidator(_role_arn)]
SlackId = Annotated[str, AfterValidator(_slack_id)]
ChannelId = Annotated[str, AfterValidator(_channel_id)]
CacheSeconds = Annotated[int, Field(ge=0, le=MAX_CACHE_TTL_SECONDS)]


class _ApproversByRisk(BaseModel):
    model_config = _strict_model()

    low: list[SlackId] | None = None
    medium: list[SlackId] | None = None  # high-risk fixes are never applied


class _Account(BaseModel):
    model_config = _strict_model()

    id: AccountId
    name: str | None = None
    role_arn: RoleArn | None = None
    external_id: Annotated[str, Field(min_length=2, max_length=1224)] | None = None
    write_role_arn: RoleArn | None = None
    approvers: list[SlackId] | None = None
    approvers_by_risk: _ApproversByRisk | None = None
    dry_run: bool = False


class _Organization(BaseModel):
    model_config = _strict_model()

    role_arn: RoleArn | None = None
    accounts: list[AccountId] | None = None  # member accounts a fix may grant to (besides `accounts:`)


class _Channel(BaseModel):
    model_config = _strict_model()

    account: AccountId | None = None
    mode: Annotated[Literal["auto", "mention", "off"], BeforeValidator(_mode)] = "auto"
    slash_reply: Literal["thread", "ephemeral"] = "thread"
    accounts: list[AccountId] | None = None  # the only accounts this channel may ask about
    askers: list[SlackId] | None = None  # the only users (or user groups' members) who may ask here

    @field_validator("askers")
    @classmethod
    def _askers_name_someone(cls, value: list[str] | None) -> list[str] | None:
        # An empty list would read as "no restriction": everyone could ask where the file meant to restrict it.
        if value is not None and not value:
            raise ValueError("askers is empty: name the users or user groups who may ask, or leave the key out")
        return value


class _Approval(BaseModel):
    model_config = _strict_model()

    self_approval: bool = False
    proposal_ttl_hours: Annotated[float, Field(ge=0.1, le=MAX_PROPOSAL_TTL_HOURS, allow_inf_nan=False)] = 24.0
    dry_run: bool = False


class _TtlSeconds(BaseModel):
    model_config = _strict_model()

    principal: CacheSeconds | None = None
    bucket: CacheSeconds | None = None
    object: CacheSeconds | None = None
    kms: CacheSeconds | None = None
    network: CacheSeconds | None = None
    organization: CacheSeconds | None = None
    account: CacheSeconds | None = None


class _Cache(BaseModel):
    model_config = _strict_model()

    ttl_seconds: _TtlSeconds | None = None


class _Objects(BaseModel):
    model_config = _strict_model()

    heads: Literal["opt-in", "all"] = "opt-in"
    head_buckets: list[Annotated[str, Field(min_length=3, max_length=63)]] | None = None


_QUEUE_URL = re.compile(r"^https?://[A-Za-z0-9.:-]{1,253}(?::\d{1,5})?/\d{12}/[A-Za-z0-9_-]{1,80}(?:\.fifo)?$")
_BUCKET_TAG = re.compile(r"^[^=]{1,128}=[^=]{0,256}$")


def _queue_url(value: str) -> str:
    if not _QUEUE_URL.fullmatch(value):
        raise ValueError("must be an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)")
    return value


# S3 User Guide, "General purpose bucket naming rules": 3-63 characters, lowercase letters, digits, dots and
# hyphens, beginning and ending with a letter or digit.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _bucket_name(value: str) -> str:
    if not _BUCKET_NAME.fullmatch(value) or ".." in value:
        raise ValueError("must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)")
    return value


def _bucket_tag(value: str) -> str:
    if not _BUCKET_TAG.fullmatch(value):
        raise ValueError("must be KEY=VALUE (a bucket tag, e.g. team=payments)")
    return value


class _WatchRoute(BaseModel):
    model_config = _strict_model()

    channel: ChannelId
    account: AccountId | None = None
    bucket_tag: Annotated[str, AfterValidator(_bucket_tag)] | None = None

    @model_validator(mode="after")
    def _one_match(self) -> _WatchRoute:
        if (self.account is None) == (self.bucket_tag is None):
            raise ValueError("a route matches on exactly one of account or bucket_tag")
        return self


class _Watch(BaseModel):
    model_config = _strict_model()

    queue_url: Annotated[str, AfterValidator(_queue_url)] | None = None
    default_channel: ChannelId | None = None
    routes: list[_WatchRoute] | None = None
    group_window_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 60
    update_seconds: Annotated[int, Field(ge=1, le=3600)] = 30
    fix_quiet_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 60
    visibility_timeout_seconds: Annotated[int, Field(ge=10, le=43200)] = 120  # SQS's range is 0 to 12 hours
    digest_hour_utc: Annotated[int, Field(ge=0, le=23)] | None = None
    trail_buckets: list[Annotated[str, AfterValidator(_bucket_name)]] | None = None


class _File(BaseModel):
    model_config = _strict_model()

    objects: _Objects | None = None
    accounts: list[_Account] | None = None
    organization: _Organization | None = None
    channels: dict[ChannelId, _Channel] | None = None
    approval: _Approval | None = None
    cache: _Cache | None = None
    iac: _Iac | None = None
    watch: _Watch | None = None


def _known_keys() -> set[str]:
    models: list[type[BaseModel]] = [_File, _Account, _ApproversByRisk, _Organization, _Channel, _Approval]
    models += [_TtlSeconds, _Cache, _Iac, _TerraformIac, _CloudFormationIac, _Objects, _Watch, _WatchRoute]
    return {name for m in models for name in m.model_fields}


# --- reading YAML with a line for every key ---------------------------------------------------------------------
Where = tuple[str | int, ...]


MAX_NODES = 100_000
MAX_DEPTH = 32


class _TooBig(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _Reader:
    """Builds plain Python values from the YAML node tree (safe tags only), recording the line of every mapping
    key and list item by its path, and refusing duplicate keys (YAML parsers keep the last one silently)."""

    def __init__(self, text: str) -> None:
        self.loader = yaml.SafeLoader(text)
        self.lines: dict[Where, int] = {(): 1}
        self.budget = MAX_NODES
        self.issues: list[ConfigIssue] = []
        # YAML 1.1 words read as booleans (yes, no, on, off, True, FALSE, ...): path -> the word as written
        self.loose_bools: dict[Where, str] = {}
        self.plain_strings: set[Where] = set()  # strings written without quotes

    def read(self) -> Any:
        try:
            node = self.loader.get_single_node()
            return None if node is None else self._value(node, ())
        except _TooBig as exc:
            self.issues.append(ConfigIssue(exc.line, "the file expands to too many values (anchors and aliases?)"))
            return None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "unreadable"
            self.issues.append(ConfigIssue(mark.line + 1 if mark else None, f"not valid YAML ({problem})"))
            return None
        except yaml.YAMLError as exc:
            self.issues.append(ConfigIssue(None, f"not valid YAML ({type(exc).__name__})"))
            return None
        finally:
            self.loader.dispose()

    def _value(self, node: yaml.Node, where: Where) -> Any:
        line = node.start_mark.line + 1
        self.budget -= 1
        if self.budget < 0 or len(where) > MAX_DEPTH:  # aliases can make a small file expand without end
            raise _TooBig(line)
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                self.issues.append(ConfigIssue(line, _tag_reason(node.tag)))
                return None
            self.loader.flatten_mapping(node)  # `<<: *anchor` merges
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    self.issues.append(ConfigIssue(key_line, "a key must be a plain name, not a list or mapping"))
                    continue
                key = self.loader.construct_object(key_node)
                if key in out:
                    first = self.lines.get((*where, key))
                    self.issues.append(ConfigIssue(key_line, f"duplicate key {key!r} (first on line {first})"))
                    continue
                self.lines[(*where, key)] = key_line
                out[key] = self._value(value_node, (*where, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.issues.append(ConfigIssue(line, _tag_reason(node.tag)))
                return None
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*where, index)] = item.start_mark.line + 1
                items.append(self._value(item, (*where, index)))
            return items
        if node.tag not in _SCALAR_TAGS:
            self.issues.append(ConfigIssue(line, _tag_reason(node.tag)))
            return None
        value = self.loader.construct_object(node)
        if isinstance(value, bool) and node.value not in ("true", "false"):
            self.loose_bools[where] = node.value
        elif isinstance(value, str) and isinstance(node, yaml.ScalarNode) and node.style is None:
            self.plain_strings.add(where)
        return value

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """The line of the deepest key or item of `loc` the file has (a missing key: its mapping's line)."""
        path: list[Any] = []
        best = self.lines.get(())
        for part in loc:
            path.append(part)
            found = self.lines.get(tuple(path))
            if found is None:
                continue
            best = found
        return best


_YAML_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_YAML_TAG}{name}" for name in ("null", "bool", "int", "float", "str", "timestamp", "binary")}


def _tag_reason(tag: str) -> str:
    """Why a node with an explicit tag (!!python/object/apply:..., !custom) is refused: the file is plain data."""
    shown = "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag
    if len(shown) > 80 or not shown.isprintable():
        shown = shown[:80].encode("unicode_escape").decode("ascii") + "..."
    return f"the tag {shown} is not allowed (plain YAML only)"


def _dotted(where: tuple[Any, ...]) -> str:
    out = ""
    for part in where:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "[")):
            out += f".{part}" if out else part
    return out


def _walk(value: Any, where: Where = ()) -> Iterator[tuple[Where, Any, Any]]:
    """Every (path, key, value) of the raw file, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*where, key), key, item
            yield from _walk(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*where, index), index, item
            yield from _walk(item, (*where, index))


def _secrets(raw: Any, reader: _Reader) -> dict[Where, ConfigIssue]:
    """Secrets come only from the environment: a key named like one, or a value that is a credential, is refused
    on its own line (never repeating the value)."""
    from bot.parse.secrets import find_secrets

    issues: dict[Where, ConfigIssue] = {}
    for where, key, value in _walk(raw):
        line = reader.line_of(where)
        if isinstance(key, str) and _SECRET_KEY.search(key):
            issues[where] = ConfigIssue(
                line,
                f"{key!r} looks like a secret: secrets come only from the environment "
                "(SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, GITHUB_TOKEN, AWS credentials)",
            )
        elif isinstance(value, str) and find_secrets(value):
            issues[where] = ConfigIssue(
                line,
                f"{_dotted(where)} holds a credential: remove it from the file (and rotate it); "
                "secrets come only from the environment",
            )
    return issues


_TYPE_WORDS = {
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "dict_type": "must be a mapping (key: value)",
    "model_type": "must be a mapping (key: value)",
    "model_attributes_type": "must be a mapping (key: value)",
    "list_type": "must be a list",
    "missing": "is required",
}


def _reason(error: Any, known: set[str], plain: bool = False) -> str:
    """The error in words; `plain`: the value was written without quotes."""
    loc = tuple(error["loc"])
    kind, value = error["type"], error.get("input")
    name = _dotted(loc) or "the file"
    if kind == "extra_forbidden":
        key = loc[-1]
        if len(loc) >= 2 and loc[-2] == "approvers_by_risk":
            return f"{name}: approvers_by_risk takes low or medium (high-risk fixes are never applied)"
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {key!r} in {_dotted(loc[:-1]) or 'the top level'}{hint}: a typo would be ignored"
    if kind == "bool_type" and isinstance(value, str) and plain:
        return f"{name} must be true or false, spelled exactly so (not {value[:10]!r})"
    if kind == "bool_type" and isinstance(value, str):
        return f"{name} must be true or false without quotes (the string {value[:10]!r} is not a boolean)"
    if kind in ("string_type", "int_type", "float_type") and isinstance(value, bool):
        return f"{name} {_TYPE_WORDS[kind]}, not true or false"
    if kind == "string_type" and isinstance(value, int | float):
        return f"{name} must be a string: put it in quotes"
    if kind == "float_type" and isinstance(value, float) and not math.isfinite(value):
        return f"{name} must be a finite number"
    if kind == "finite_number":
        return f"{name} must be a finite number"
    if kind in _TYPE_WORDS:
        return f"{name} {_TYPE_WORDS[kind]}"
    if kind == "value_error":
        return f"{name}: {str(error['msg']).removeprefix('Value error, ')}"
    if kind in ("greater_than", "greater_than_equal", "less_than_equal", "less_than"):
        return f"{name}: {str(error['msg']).replace('Input should be', 'must be')}"
    if kind in ("literal_error", "string_too_short", "string_too_long"):
        return f"{name}: {str(error['msg']).replace('Input should be', 'must be')}"
    return f"{name}: {error['msg']}"


def build_config(text: str, path: str, base_dir: Path | None) -> Config:
    """The configuration in `text` (read from `path`); ConfigError naming every wrong line otherwise."""
    reader = _Reader(text)
    raw = reader.read()
    if reader.issues:
        raise ConfigError(path, reader.issues)
    if raw is None:
        return Config()
    if not isinstance(raw, dict):
        raise ConfigError(path, [ConfigIssue(1, "the top level must be a mapping (accounts:, channels:, ...)")])
    secrets = _secrets(raw, reader)
    issues = list(secrets.values())
    failed: set[Where] = set()
    parsed: _File | None = None
    try:
        parsed = _File.model_validate(raw, strict=True)
    except ValidationError as exc:
        known = _known_keys()
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            failed.add(loc)
            if loc in secrets:
                continue  # already refused as a secret (never as a mere unknown key)
            issues.append(ConfigIssue(reader.line_of(loc), _reason(error, known, loc in reader.plain_strings)))
    issues += _loose_booleans(reader, failed)
    issues += _cross_checks(raw, reader, base_dir)  # on the raw file: reported alongside the field errors
    if issues or parsed is None:
        raise ConfigError(path, issues)
    return _config(parsed, base_dir)


def _bool_keys() -> set[str]:
    models: list[type[BaseModel]] = [_File, _Account, _ApproversByRisk, _Organization, _Channel, _Approval]
    models += [_TtlSeconds, _Cache, _Iac, _TerraformIac, _CloudFormationIac, _Objects, _Watch, _WatchRoute]
    return {name for m in models for name, f in m.model_fields.items() if f.annotation is bool}


def _loose_booleans(reader: _Reader, failed: set[Where]) -> list[ConfigIssue]:
    """A boolean setting spelled other than true or false (yes, no, on, off, True, FALSE, ...): YAML 1.1 reads
    these words as booleans, so `self_approval: yes` would quietly turn the two-person rule off; s3why takes
    only the YAML 1.2 spellings (https://yaml.org/spec/1.2.2/#1032-tag-resolution)."""
    keys = _bool_keys()
    return [
        ConfigIssue(
            reader.line_of(where),
            f"{_dotted(where)} must be true or false, spelled exactly so (not {word[:10]!r}, which YAML 1.1 "
            "reads as a boolean)",
        )
        for where, word in reader.loose_bools.items()
        if where and where[-1] in keys and where not in failed
    ]


def _cross_checks(raw: dict[Any, Any], reader: _Reader, base_dir: Path | None) -> list[ConfigIssue]:
    """What no single field shows: an account listed twice, a role in another account than its entry's, an
    iac.terraform.path that is not a directory. Read from the raw file, checking only values whose own field is
    valid, so these are reported in the same run as the field errors."""
    issues = []
    seen: dict[str, int] = {}
    accounts = raw.get("accounts")
    for index, account in enumerate(accounts if isinstance(accounts, list) else []):
        if not isinstance(account, dict):
            continue
        account_id = account.get("id")
        if not isinstance(account_id, str) or not _ACCOUNT.fullmatch(account_id):
            continue  # the field error says it
        line = reader.line_of(("accounts", index, "id"))
        if account_id in seen:
            issues.append(
                ConfigIssue(line, f"account {account_id} is listed twice (first at accounts[{seen[account_id]}])")
            )
        else:
            seen[account_id] = index
        for key in ("role_arn", "write_role_arn"):
            arn = account.get(key)
            if isinstance(arn, str) and _ROLE_ARN.fullmatch(arn) and arn.split(":")[4] != account_id:
                issues.append(
                    ConfigIssue(
                        reader.line_of(("accounts", index, key)),
                        f"accounts[{index}].{key} is a role in another account than {account_id}",
                    )
                )
    iac = raw.get("iac")
    terraform = iac.get("terraform") if isinstance(iac, dict) else None
    tf_path = terraform.get("path") if isinstance(terraform, dict) else None
    if isinstance(tf_path, str) and tf_path.strip() and not ((base_dir or Path.cwd()) / tf_path).is_dir():
        issues.append(
            ConfigIssue(
                reader.line_of(("iac", "terraform", "path")),
                "iac.terraform.path is not a directory: give the checkout that holds the .tf files",
            )
        )
    return issues


def _config(parsed: _File, base_dir: Path | None) -> Config:
    accounts = []
    for a in parsed.accounts or []:
        by_risk = a.approvers_by_risk
        risks = {k: tuple(v) for k, v in (by_risk.model_dump() if by_risk else {}).items() if v is not None}
        accounts.append(
            AccountConfig(
                id=a.id,
                name=a.name,
                role_arn=a.role_arn,
                external_id=a.external_id,
                write_role_arn=a.write_role_arn,
                approvers=tuple(a.approvers or ()),
                dry_run=a.dry_run,
                approvers_by_risk=risks,
            )
        )
    approval = parsed.approval or _Approval()
    ttls = dict(DEFAULT_TTLS)
    if parsed.cache and parsed.cache.ttl_seconds:
        ttls.update({k: v for k, v in parsed.cache.ttl_seconds.model_dump().items() if v is not None})
    terraform: TerraformIac | None = None
    cloudformation: CloudFormationIac | None = None
    if parsed.iac is not None and parsed.iac.terraform is not None:
        t = parsed.iac.terraform
        resolved = str(((base_dir or Path.cwd()) / t.path).resolve())
        terraform = TerraformIac(path=resolved, github_repo=t.github_repo, base_branch=t.base_branch)
    if parsed.iac is not None and parsed.iac.cloudformation is not None:
        cloudformation = CloudFormationIac(tuple(parsed.iac.cloudformation.live_apply_accounts))
    iac = IacConfig(terraform, cloudformation)
    return Config(
        watch=_watch_config(parsed.watch),
        accounts=tuple(accounts),
        organization_role_arn=parsed.organization.role_arn if parsed.organization else None,
        organization_accounts=tuple(parsed.organization.accounts or ()) if parsed.organization else (),
        channels={
            k: ChannelConfig(
                account=c.account,
                mode=c.mode,
                slash_reply=c.slash_reply,
                accounts=tuple(c.accounts) if c.accounts is not None else None,
                askers=tuple(c.askers or ()),
            )
            for k, c in (parsed.channels or {}).items()
        },
        self_approval=approval.self_approval,
        proposal_ttl_hours=approval.proposal_ttl_hours,
        dry_run=approval.dry_run,
        cache_ttls=ttls,
        iac=iac,
        object_heads=parsed.objects.heads if parsed.objects else "opt-in",
        object_head_buckets=tuple(parsed.objects.head_buckets or ()) if parsed.objects else (),
    )


def _watch_config(w: _Watch | None) -> WatchConfig:
    if w is None:
        return WatchConfig()
    routes = []
    for r in w.routes or []:
        key, _, value = (r.bucket_tag or "").partition("=")
        routes.append(WatchRoute(r.channel, r.account, key if r.bucket_tag else None, value if r.bucket_tag else None))
    return WatchConfig(
        queue_url=w.queue_url,
        default_channel=w.default_channel,
        routes=tuple(routes),
        group_window_minutes=w.group_window_minutes,
        update_seconds=w.update_seconds,
        fix_quiet_minutes=w.fix_quiet_minutes,
        visibility_timeout_seconds=w.visibility_timeout_seconds,
        digest_hour_utc=w.digest_hour_utc,
        trail_buckets=tuple(w.trail_buckets or ()),
    )
