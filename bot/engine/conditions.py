"""Condition operators, as the IAM User Guide defines them ("IAM JSON policy elements: Condition operators",
"Single-valued vs. multivalued context keys", "Set operators for multivalued context keys").

Rules implemented here:
- operators AND together, keys under one operator AND together, values of one key OR together; for negated
  operators (`StringNotEquals`, `NotIpAddress`, ...) a value must match *none* of the policy's values;
- a key absent from the request context makes every operator false, except negated operators (true),
  `...IfExists` (true), `Null` (tests presence), `ForAllValues:` (true) and `ForAnyValue:` (false);
- `ForAllValues:` is true when every request value satisfies the operator against some policy value
  (vacuously true for an empty set); `ForAnyValue:` when at least one does;
- key names are case-insensitive; value comparison follows the operator;
- policy variables substitute only in String and ARN operators (and `Bool`), and only in 2012-10-17 policies.
"""

from __future__ import annotations

import base64
import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from bot.engine.matching import arn_condition_matcher, wildcard
from bot.engine.variables import Lookup, Segment, has_variables, render, split_template
from bot.errors import PolicyError

# base operator -> (family, negated)
_OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("string", False),
    "StringNotEquals": ("string", True),
    "StringEqualsIgnoreCase": ("string-ci", False),
    "StringNotEqualsIgnoreCase": ("string-ci", True),
    "StringLike": ("string-like", False),
    "StringNotLike": ("string-like", True),
    "NumericEquals": ("num-eq", False),
    "NumericNotEquals": ("num-eq", True),
    "NumericLessThan": ("num-lt", False),
    "NumericLessThanEquals": ("num-le", False),
    "NumericGreaterThan": ("num-gt", False),
    "NumericGreaterThanEquals": ("num-ge", False),
    "DateEquals": ("date-eq", False),
    "DateNotEquals": ("date-eq", True),
    "DateLessThan": ("date-lt", False),
    "DateLessThanEquals": ("date-le", False),
    "DateGreaterThan": ("date-gt", False),
    "DateGreaterThanEquals": ("date-ge", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("binary", False),
    "IpAddress": ("ip", False),
    "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False),
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "Null": ("null", False),
}
_BY_LOWER = {name.lower(): name for name in _OPERATORS}
_VARIABLE_FAMILIES = frozenset({"string", "string-ci", "string-like", "arn", "bool"})
_PATTERN_FAMILIES = frozenset({"string-like", "arn"})
SET_OPERATORS = ("ForAllValues", "ForAnyValue")

# Context keys whose type is ArrayOf... (IAM global condition keys; Service Authorization Reference for S3
# and KMS). "Multivalued context keys require a condition set operator": a plain operator never matches them.
MULTIVALUED_KEYS = frozenset(
    {
        "aws:tagkeys",
        "aws:principalorgpaths",
        "aws:resourceorgpaths",
        "aws:sourceorgpaths",
        "aws:calledvia",
        "aws:principalservicenameslist",
        "s3:requestobjecttagkeys",
        "kms:encryptioncontextkeys",
        "kms:grantoperations",
    }
)


@dataclass(frozen=True, slots=True)
class ConditionOutcome:
    """How one condition (operator + key) evaluated, for explanations and the fixer."""

    operator: str
    key: str
    policy_values: tuple[str, ...]
    request_values: tuple[str, ...] | None  # None: the key was absent from the request context
    passed: bool

    @property
    def key_absent(self) -> bool:
        return self.request_values is None

    def to_json(self) -> dict[str, Any]:
        return {
            "operator": self.operator,
            "key": self.key,
            "policy_values": list(self.policy_values),
            "request_values": None if self.request_values is None else list(self.request_values),
            "passed": self.passed,
        }


class RequestValues:
    """The request context as the condition evaluator reads it: lower-cased key -> values, or absent."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, tuple[str, ...]]) -> None:
        self._values = values

    def get(self, key_lower: str) -> tuple[str, ...] | None:
        return self._values.get(key_lower)

    def single(self, key: str) -> str | None:
        """The value of a single-valued key (policy variables); None when absent or multi-valued."""
        vals = self._values.get(key.lower())
        if vals is None or len(vals) != 1:
            return None
        return vals[0]


# ---------------------------------------------------------------------------------------------------------
# Value comparison, by family (positive form)
# ---------------------------------------------------------------------------------------------------------
def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


@lru_cache(maxsize=16384)
def _date(text: str) -> float | None:
    t = text.strip()
    num = _number(t)
    if num is not None:
        return num  # epoch seconds
    try:
        dt = datetime.fromisoformat(t.replace("z", "Z"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


@lru_cache(maxsize=16384)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _ip_in(request: str, policy: str) -> bool:
    net = _network(policy)
    req = _network(request)
    if net is None or req is None or net.version != req.version:
        return False
    return req.subnet_of(net)  # type: ignore[arg-type]


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


def _compare(family: str) -> Callable[[str, str], bool]:
    """(request value, policy value) -> does the positive operator hold."""
    if family == "string":
        return lambda r, p: r == p
    if family == "string-ci":
        return lambda r, p: r.casefold() == p.casefold()
    if family == "string-like":
        return lambda r, p: wildcard(p)(r)
    if family == "arn":
        return lambda r, p: arn_condition_matcher(p)(r)
    if family == "bool":
        return lambda r, p: r.lower() == p.lower()
    if family == "binary":

        def binary(r: str, p: str) -> bool:
            rb, pb = _b64(r), _b64(p)
            return rb is not None and rb == pb

        return binary
    if family == "ip":
        return _ip_in
    if family.startswith(("num-", "date-")):
        parse = _number if family.startswith("num-") else _date
        op = family.split("-", 1)[1]
        cmp: Callable[[float, float], bool] = {
            "eq": lambda a, b: a == b,
            "lt": lambda a, b: a < b,
            "le": lambda a, b: a <= b,
            "gt": lambda a, b: a > b,
            "ge": lambda a, b: a >= b,
        }[op]

        def numeric(r: str, p: str) -> bool:
            a, b = parse(r), parse(p)
            return a is not None and b is not None and cmp(a, b)

        return numeric
    raise AssertionError(family)


_COMPARATORS = {family: _compare(family) for family, _ in set(_OPERATORS.values()) if family != "null"}


# ---------------------------------------------------------------------------------------------------------
# One condition: operator + key + values
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Condition:
    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    base: str  # canonical base operator, e.g. "StringLike"
    set_operator: str | None
    if_exists: bool
    key: str  # as written
    key_lower: str
    values: tuple[str, ...]
    templates: tuple[tuple[Segment, ...] | None, ...]  # per value, when it holds policy variables
    family: str
    negated: bool
    multivalued_key: bool

    def _policy_values(self, lookup: Lookup) -> tuple[str | None, ...]:
        if not any(self.templates):
            return self.values
        pattern = self.family in _PATTERN_FAMILIES
        return tuple(
            v if t is None else render(t, lookup, for_pattern=pattern)
            for v, t in zip(self.values, self.templates, strict=True)
        )

    def evaluate(self, ctx: RequestValues, lookup: Lookup) -> ConditionOutcome:
        present = ctx.get(self.key_lower)
        passed = self._evaluate(present, lookup)
        return ConditionOutcome(self.operator, self.key, self.values, present, passed)

    def _evaluate(self, present: tuple[str, ...] | None, lookup: Lookup) -> bool:
        family = self.family
        if family == "null":
            want_absent = [v.lower() == "true" for v in self.values]
            return any(w == (present is None) for w in want_absent)
        if present is None:
            if self.if_exists or self.set_operator == "ForAllValues":
                return True
            if self.set_operator == "ForAnyValue":
                return False
            return self.negated
        set_op = self.set_operator
        if set_op is None:
            # A plain operator on a multivalued key (an ArrayOf... key) does not match, negated or not.
            if self.multivalued_key:
                return False
            if not present:
                return self.negated
        compare = _COMPARATORS[family]
        policy_values = self._policy_values(lookup)
        negated = self.negated
        results = []
        for value in present:
            # An unresolvable variable leaves a policy value that matches nothing.
            hit = False
            for p in policy_values:
                if p is not None and compare(value, p):
                    hit = True
                    break
            results.append(not hit if negated else hit)
        if set_op == "ForAllValues":
            return all(results)
        if set_op == "ForAnyValue":
            return any(results)
        # A single-valued key given several values: a positive operator holds if any value matches, a
        # negated one if none does.
        return all(results) if negated else any(results)


def _stringify(value: Any, *, source: str, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    raise PolicyError("condition values must be strings, numbers or booleans", source=source, where=where)


def parse_operator(text: str, *, source: str, where: str) -> tuple[str, str | None, bool]:
    """`ForAnyValue:StringLikeIfExists` -> ("StringLike", "ForAnyValue", True)."""
    set_op = None
    name = text
    if ":" in text:
        prefix, name = text.split(":", 1)
        match = [s for s in SET_OPERATORS if s.lower() == prefix.lower()]
        if not match:
            raise PolicyError(
                f"unknown condition operator {text!r} (set operators are ForAllValues: and ForAnyValue:)",
                source=source,
                where=where,
            )
        set_op = match[0]
    if_exists = False
    base = _BY_LOWER.get(name.lower())
    if base is None and name.lower().endswith("ifexists"):
        base = _BY_LOWER.get(name[: -len("IfExists")].lower())
        if_exists = base is not None
    if base is None:
        raise PolicyError(f"unknown condition operator {text!r}", source=source, where=where)
    if base == "Null" and if_exists:
        raise PolicyError("Null cannot be combined with IfExists", source=source, where=where)
    return base, set_op, if_exists


def parse_condition_block(raw: Any, *, variables: bool, source: str, where: str) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise PolicyError("Condition must be an object of operators", source=source, where=where)
    out: list[Condition] = []
    for op_text, keys in raw.items():
        op_where = f"{where}.{op_text}"
        base, set_op, if_exists = parse_operator(op_text, source=source, where=op_where)
        if not isinstance(keys, dict) or not keys:
            raise PolicyError("must be an object of condition keys and values", source=source, where=op_where)
        family = _OPERATORS[base][0]
        for key, value in keys.items():
            key_where = f"{op_where}.{key}"
            items = value if isinstance(value, list) else [value]
            values = tuple(_stringify(v, source=source, where=key_where) for v in items)
            if family == "null" and any(v.lower() not in ("true", "false") for v in values):
                raise PolicyError('Null takes "true" or "false"', source=source, where=key_where)
            templates = tuple(
                split_template(v) if variables and family in _VARIABLE_FAMILIES and has_variables(v) else None
                for v in values
            )
            family, negated = _OPERATORS[base]
            out.append(
                Condition(
                    op_text,
                    base,
                    set_op,
                    if_exists,
                    key,
                    key.lower(),
                    values,
                    templates,
                    family,
                    negated,
                    key.lower() in MULTIVALUED_KEYS,
                )
            )
    return tuple(out)
