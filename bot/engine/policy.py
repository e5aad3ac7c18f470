"""Policy documents: parsed, validated as AWS validates them, and compiled once into matchers.

`Policy` -> `Statement` -> `PrincipalSpec` / `Condition`: small frozen values with query methods that read
like the domain (`statement.matches_action("s3:GetObject")`). The grammar follows the IAM User Guide's
"Grammar of the IAM JSON policy language" and "IAM JSON policy elements" pages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from bot.engine.conditions import Condition, parse_condition_block
from bot.engine.matching import Matcher, action_matcher, any_arn_matcher
from bot.engine.variables import Segment, has_variables, split_template
from bot.errors import PolicyError


class PolicyKind(StrEnum):
    IDENTITY = "identity"
    PERMISSIONS_BOUNDARY = "permissions-boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"
    RESOURCE = "resource"  # bucket, access point, key policy
    VPC_ENDPOINT = "vpc-endpoint"

    @property
    def takes_principal(self) -> bool:
        return self in (PolicyKind.RESOURCE, PolicyKind.VPC_ENDPOINT, PolicyKind.RCP)


VERSIONS = ("2012-10-17", "2008-10-17")
_ACTION_RE = re.compile(r"^[A-Za-z0-9*?_-]+:[A-Za-z0-9*?_-]+$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
)


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """The Principal (or NotPrincipal) element: `*`, or values per type (`AWS`, `Service`, ...)."""

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()

    def to_json(self) -> Any:
        if self.wildcard and not (self.aws or self.service or self.federated or self.canonical_user):
            return "*"
        out: dict[str, Any] = {}
        for name, values in (
            ("AWS", self.aws),
            ("Service", self.service),
            ("Federated", self.federated),
            ("CanonicalUser", self.canonical_user),
        ):
            if values:
                out[name] = values[0] if len(values) == 1 else list(values)
        return out


@dataclass(frozen=True, slots=True)
class ResourcePattern:
    text: str
    segments: tuple[Segment, ...] | None  # set when the pattern holds policy variables


@dataclass(frozen=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[ResourcePattern, ...] | None  # None: the element is absent (trust policies only)
    not_resource: bool
    principal: PrincipalSpec | None
    not_principal: bool
    conditions: tuple[Condition, ...]
    raw: dict[str, Any] = field(compare=False, repr=False)
    _action_matchers: tuple[Matcher, ...] = field(compare=False, repr=False, default=())
    # Resource patterns without variables, compiled into one matcher; patterns with variables are kept apart.
    static_resources: Matcher | None = field(compare=False, repr=False, default=None)
    templated_resources: tuple[ResourcePattern, ...] = field(compare=False, repr=False, default=())

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def label(self) -> str:
        return self.sid if self.sid else f"Statement[{self.index}]"

    def matches_action(self, action: str) -> bool:
        hit = any(m(action) for m in self._action_matchers)
        return hit != self.not_action


@dataclass(frozen=True)
class Policy:
    """One policy document, compiled. `name` says where it came from (file name, policy ARN, `bucket policy`)."""

    name: str
    kind: PolicyKind
    version: str | None
    statements: tuple[Statement, ...]
    document: dict[str, Any] = field(compare=False, repr=False)
    _by_action: dict[str, tuple[Statement, ...]] = field(default_factory=dict, compare=False, repr=False)
    # Per-policy memo for the evaluator (statements that apply to an action and a principal); bounded.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def variables_enabled(self) -> bool:
        return self.version == "2012-10-17"

    def renamed(self, name: str) -> Policy:
        """The same compiled policy under another name (sharing statements, action index and memo)."""
        if not hasattr(self, "__dict__"):  # pragma: no cover - a slotted Policy
            from dataclasses import replace

            return replace(self, name=name)
        copy = object.__new__(Policy)
        copy.__dict__.update(self.__dict__)  # a frozen dataclass's fields, set without its __init__'s work
        copy.__dict__["name"] = name
        return copy

    def statements_for_action(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction covers `action` (cached per action)."""
        key = action.lower()
        found = self._by_action.get(key)
        if found is None:
            found = tuple(s for s in self.statements if s.matches_action(action))
            if len(self._by_action) < 4096:
                self._by_action[key] = found
        return found


# -----------------------------------------------------------------------------------------------------------
# Parsing and validation
# -----------------------------------------------------------------------------------------------------------
def _string_list(value: Any, *, source: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, list) and not value:
        raise PolicyError("must not be an empty list", source=source, where=where)
    raise PolicyError(f"must be a string or a list of strings, not {_json_type(value)}", source=source, where=where)


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _parse_principal(value: Any, *, source: str, where: str) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(wildcard=True)
    if not isinstance(value, dict) or not value:
        raise PolicyError('must be "*" or an object such as {"AWS": "arn:..."}', source=source, where=where)
    fields: dict[str, tuple[str, ...]] = {}
    wildcard = False
    for ptype, pvalue in value.items():
        names = _string_list(pvalue, source=source, where=f"{where}.{ptype}")
        if ptype not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(
                f"unknown principal type {ptype!r} (expected AWS, Service, Federated or CanonicalUser)",
                source=source,
                where=where,
            )
        if ptype == "AWS":
            for n in names:
                if n == "*":
                    wildcard = True
                elif not (_ACCOUNT_RE.match(n) or n.startswith("arn:")):
                    # AWS stores a deleted principal as its unique id (AIDA.../AROA...): it matches nobody.
                    if not re.match(r"^A[A-Z0-9]{15,127}$", n):
                        raise PolicyError(
                            f'invalid AWS principal {n!r}: use an account id, an ARN or "*"',
                            source=source,
                            where=f"{where}.AWS",
                        )
                elif n.startswith("arn:") and "*" in n:
                    raise PolicyError(
                        f"invalid principal {n!r}: wildcards are not allowed inside principal ARNs "
                        '(use "*" with an aws:PrincipalArn condition)',
                        source=source,
                        where=f"{where}.AWS",
                    )
        fields[ptype] = names
    return PrincipalSpec(
        wildcard=wildcard,
        aws=tuple(n for n in fields.get("AWS", ()) if n != "*"),
        service=fields.get("Service", ()),
        federated=fields.get("Federated", ()),
        canonical_user=fields.get("CanonicalUser", ()),
    )


def _parse_statement(raw: Any, index: int, *, kind: PolicyKind, variables: bool, source: str, where: str) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyError(f"must be an object, not {_json_type(raw)}", source=source, where=where)
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError(f"unknown element {sorted(unknown)[0]!r}", source=source, where=where)

    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError("Sid must be a string", source=source, where=f"{where}.Sid")

    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(
            f'Effect must be "Allow" or "Deny", not {json.dumps(effect)}',
            source=source,
            where=f"{where}.Effect",
        )

    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError("needs exactly one of Action and NotAction", source=source, where=where)
    action_key = "Action" if "Action" in raw else "NotAction"
    actions = _string_list(raw[action_key], source=source, where=f"{where}.{action_key}")
    for a in actions:
        if a != "*" and not _ACTION_RE.match(a):
            raise PolicyError(
                f'invalid action {a!r}: expected SERVICE:ACTION such as s3:GetObject, or "*"',
                source=source,
                where=f"{where}.{action_key}",
            )

    has_res = "Resource" in raw or "NotResource" in raw
    if "Resource" in raw and "NotResource" in raw:
        raise PolicyError("has both Resource and NotResource", source=source, where=where)
    resources: tuple[ResourcePattern, ...] | None = None
    not_resource = False
    if has_res:
        res_key = "Resource" if "Resource" in raw else "NotResource"
        not_resource = res_key == "NotResource"
        texts = _string_list(raw[res_key], source=source, where=f"{where}.{res_key}")
        for t in texts:
            if t != "*" and not t.startswith("arn:") and "${" not in t.split(":", 1)[0]:
                raise PolicyError(
                    f'invalid resource {t!r}: expected an ARN or "*"',
                    source=source,
                    where=f"{where}.{res_key}",
                )
        resources = tuple(
            ResourcePattern(t, split_template(t) if variables and has_variables(t) else None) for t in texts
        )
    else:
        raise PolicyError("needs Resource or NotResource", source=source, where=where)

    principal: PrincipalSpec | None = None
    not_principal = False
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError("has both Principal and NotPrincipal", source=source, where=where)
    if has_principal and not kind.takes_principal:
        el = "Principal" if "Principal" in raw else "NotPrincipal"
        raise PolicyError(
            f"{el} is not allowed in a {kind.value} policy (it applies to whoever it is attached to)",
            source=source,
            where=f"{where}.{el}",
        )
    if kind.takes_principal:
        if not has_principal:
            raise PolicyError(f"a {kind.value} policy statement needs Principal", source=source, where=where)
        el = "Principal" if "Principal" in raw else "NotPrincipal"
        not_principal = el == "NotPrincipal"
        principal = _parse_principal(raw[el], source=source, where=f"{where}.{el}")
        if not_principal and effect == "Allow":
            raise PolicyError(
                'NotPrincipal may only be used with "Effect": "Deny"',
                source=source,
                where=f"{where}.NotPrincipal",
            )
        if kind is PolicyKind.RCP and (not_principal or not principal.wildcard or principal.aws):
            raise PolicyError('an RCP statement\'s Principal must be "*"', source=source, where=f"{where}.{el}")
    if kind is PolicyKind.RCP:
        # Organizations, "RCP syntax": custom RCPs deny only, name actions (no NotAction, no bare "*").
        if effect != "Allow" and action_key == "NotAction":
            raise PolicyError("NotAction is not supported in an RCP", source=source, where=f"{where}.NotAction")
        if effect == "Allow":
            raise PolicyError(
                "an RCP may only Deny (Allow is reserved to RCPFullAWSAccess, which AWS attaches itself)",
                source=source,
                where=f"{where}.Effect",
            )
        if "*" in actions:
            raise PolicyError('an RCP cannot use Action "*"; name the service', source=source, where=f"{where}.Action")

    cond_raw = raw.get("Condition")
    conditions = parse_condition_block(cond_raw, variables=variables, source=source, where=f"{where}.Condition")

    return Statement(
        index=index,
        sid=sid,
        effect=effect,
        actions=actions,
        not_action=action_key == "NotAction",
        resources=resources,
        not_resource=not_resource,
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
        raw=raw,
        _action_matchers=tuple(action_matcher(a) for a in actions),
        static_resources=any_arn_matcher(static)
        if (static := tuple(r.text for r in resources if r.segments is None))
        else None,
        templated_resources=tuple(r for r in resources if r.segments is not None),
    )


def parse_policy(document: Any, *, name: str = "policy", kind: PolicyKind = PolicyKind.IDENTITY) -> Policy:
    """Parse and validate one policy document (a dict, or its JSON text). Raises PolicyError with its place."""
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise PolicyError(
                f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source=name
            ) from None
    if not isinstance(document, dict):
        raise PolicyError(f"a policy document must be a JSON object, not {_json_type(document)}", source=name)
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        raise PolicyError(f"unknown top-level element {sorted(unknown)[0]!r}", source=name)
    version = document.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError(
            f'Version must be "2012-10-17" or "2008-10-17", not {json.dumps(version)}',
            source=name,
            where="Version",
        )
    if "Statement" not in document:
        raise PolicyError("has no Statement", source=name)
    raw_statements = document["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise PolicyError("Statement must be an object or a list of objects", source=name, where="Statement")
    if kind is PolicyKind.RCP and version != "2012-10-17":
        raise PolicyError('an RCP needs "Version": "2012-10-17"', source=name, where="Version")
    variables = version == "2012-10-17"
    statements = tuple(
        _parse_statement(raw, i, kind=kind, variables=variables, source=name, where=f"Statement[{i}]")
        for i, raw in enumerate(raw_statements)
    )
    return Policy(name=name, kind=kind, version=version, statements=statements, document=document)


PolicyKey = tuple[PolicyKind, bytes | str]


def policy_key(document: Any, kind: PolicyKind) -> PolicyKey | None:
    """The content key of a policy document: its kind and canonical JSON (sorted keys, compact), or None when the
    value is not JSON. Two documents with the same key compile to the same statements."""
    try:
        return (kind, orjson.dumps(document, option=orjson.OPT_SORT_KEYS))
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        pass
    try:  # what orjson does not take (an integer beyond 64 bits, ...) the standard encoder may
        return (kind, json.dumps(document, sort_keys=True, separators=(",", ":")))
    except (TypeError, ValueError):
        return None


class PolicyCompiler:
    """Compiles each distinct policy document once, keyed by content (`policy_key`): what many requests share
    (a bucket policy, an SCP level) is parsed, validated and turned into matchers once per process.

    A policy reached under another name is a renamed shallow copy sharing the compiled statements and the
    evaluator's memo. Bounded: beyond `max_size` documents the oldest is forgotten.
    """

    def __init__(self, max_size: int = 100_000) -> None:
        self.max_size = max_size
        self._compiled: dict[PolicyKey, Policy] = {}

    def compile(self, document: Any, *, name: str, kind: PolicyKind) -> Policy:
        key = policy_key(document, kind)
        if key is None:
            return parse_policy(document, name=name, kind=kind)
        found = self._compiled.get(key)
        if found is None:
            found = parse_policy(document, name=name, kind=kind)
            if len(self._compiled) >= self.max_size:
                self._compiled.pop(next(iter(self._compiled)))
            self._compiled[key] = found
        return found if found.name == name else found.renamed(name)


_PROCESS_COMPILER = PolicyCompiler(max_size=2048)


def compiled_policy(document: Any, *, name: str, kind: PolicyKind) -> Policy:
    """`parse_policy`, memoized on the document's content for the process: a diagnosis re-reads the same
    policies often."""
    return _PROCESS_COMPILER.compile(document, name=name, kind=kind)
