"""Evidence from the engine's answer: the statement and condition behind a verdict, re-evaluation with other
context values (the branches a context key the text cannot tell leads to)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.diagnose.header_values import accepted_values
from bot.engine import AuthzRequest, EvaluationResult, PolicySet, Principal, evaluate
from bot.layers import LayerId

if TYPE_CHECKING:  # the layer checks import this module: no import back at run time
    from bot.diagnose.layers.base import Findings

_DECISION_RANK = {"explicit-deny": 0, "implicit-deny": 1, "allow": 2}

# A value for a key that a policy tests only for presence (`Null`): the operand "true"/"false" says whether the key
# is absent, it is never a value the request carries (IAM User Guide, "Condition operator to check existence of
# condition keys").
ANY_VALUE = "(any value)"


# The network path decides which address keys exist (IAM User Guide, "AWS global condition context keys",
# Availability): over the internet a request carries aws:SourceIp and none of the VPC keys; through a VPC endpoint
# it carries aws:SourceVpce, aws:SourceVpc and aws:VpcSourceIp and no aws:SourceIp.
_PUBLIC_PATH = frozenset({"aws:sourceip"})
_VPC_PATH = frozenset({"aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip"})


def possible_on_the_path(key: str, value: str | None, context: dict[str, tuple[str, ...]]) -> bool:
    """Whether `key` = `value` can occur with the keys the request is known to carry."""
    if value is None:
        return True
    present = {k.lower() for k, v in context.items() if v}
    if key.lower() in _PUBLIC_PATH:
        return not present & _VPC_PATH
    if key.lower() in _VPC_PATH:
        return not present & _PUBLIC_PATH
    return True


def present_value(key: str) -> str:
    """A value standing for "the key is present": one S3 accepts for its header when the model lists them
    (s3:x-amz-server-side-encryption -> AES256), else ANY_VALUE."""
    return next(iter(accepted_values(key)), ANY_VALUE)


def is_null_check(operator: str) -> bool:
    """`Null` (with or without a set operator): its operand is a presence test, not a value."""
    return operator.rsplit(":", 1)[-1] == "Null"


def values_in_words(values: list[str] | tuple[str, ...]) -> str:
    """Policy or request values as prose: `a`, `a or b` — never a Python list."""
    shown = [str(v) for v in values]
    if not shown:
        return "no value"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " or " + shown[-1]


def condition_in_words(cond: dict[str, Any]) -> tuple[str, str]:
    """(what the condition tests, what the request had), in words, from an evidence `condition` dict.

    `Null k: true` reads "k absent", `Null k: false` reads "k present"; other operators read
    "OPERATOR KEY VALUES".
    """
    got = "absent" if cond.get("request_values") is None else values_in_words(cond["request_values"])
    operator, key, wanted = cond["operator"], cond["key"], list(cond.get("policy_values") or [])
    if is_null_check(operator):
        absent = [v.lower() == "true" for v in wanted]
        if absent and all(absent):
            return f"{key} absent (Null: true)", got
        if absent and not any(absent):
            return f"{key} present (Null: false)", got
    return f"{operator} {key} {values_in_words(wanted)}", got


def statement_json(policy_doc: Any, index: int) -> Any:
    """Statement `index` of a policy document as written (a lone statement object counts as index 0)."""
    statements = policy_doc.get("Statement") if isinstance(policy_doc, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list) and 0 <= index < len(statements):
        return statements[index]
    return None


def evidence(result: EvaluationResult, layer_id: LayerId, documents: dict[str, Any]) -> dict[str, Any]:
    """The statement and failing condition behind one engine layer's verdict ({} when no statement decided)."""
    layer = result.layer(layer_id)
    if layer is None or not layer.statements:
        return {}
    ref = layer.statements[0]
    out: dict[str, Any] = {"policy": ref.policy, "sid": ref.sid, "statement_index": ref.index}
    doc = documents.get(ref.policy)
    if doc is not None:
        out["statement"] = statement_json(doc, ref.index)
    failing = list(ref.conditions) if ref.matched else [c for c in ref.conditions if not c.passed]
    if failing:
        c = failing[0]
        out["condition"] = {
            "operator": c.operator,
            "key": c.key,
            "policy_values": list(c.policy_values),
            "request_values": None if c.request_values is None else list(c.request_values),
        }
    return out


def worst(results: list[EvaluationResult]) -> EvaluationResult:
    """The most restrictive of several evaluations (explicit deny < implicit deny < allow)."""
    return min(results, key=lambda r: _DECISION_RANK[r.decision.value])


def evaluate_all(
    who: Principal,
    actions: tuple[str, ...],
    resource: str,
    owner: str | None,
    ctx: dict[str, tuple[str, ...]],
    policies: PolicySet,
) -> EvaluationResult:
    """Every action an operation needs on one resource; the worst decision stands."""
    return worst([evaluate(AuthzRequest(who, action, resource, owner, dict(ctx)), policies) for action in actions])


def reevaluate(
    who: Principal,
    actions: tuple[str, ...],
    resource: str,
    owner: str | None,
    ctx: dict[str, tuple[str, ...]],
    extra: dict[str, tuple[str, ...] | None],
    policies: PolicySet,
) -> str:
    """The decision with some context keys set (a value) or removed (None)."""
    context = dict(ctx)
    for k, v in extra.items():
        if v is None:
            context.pop(k, None)
        else:
            context[k] = v
    decision = "allow"
    for action in actions:
        d = evaluate(AuthzRequest(who, action, resource, owner, context), policies).decision.value
        if d == "explicit-deny" or (d == "implicit-deny" and decision == "allow"):
            decision = d
    return decision


_BOOL_KEYS = ("aws:securetransport", "aws:viaawsservice", "aws:multifactorauthpresent", "aws:principalisawsservice")


def alternatives(
    out: Findings,
    result: EvaluationResult,
    *,
    request_builder: Any,
    request_context: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """For context keys the text cannot tell that decided the outcome, say which value leads where (on the
    last cause the check found)."""
    if not out.causes:
        return
    request_context = request_context or {}
    cause = out.causes[-1]
    keys = set(result.absent_keys)
    cond = cause.evidence.get("condition")
    if cond:
        keys.add(cond["key"])
    outcomes = []
    for key in sorted(keys, key=str.lower):
        values: list[str | None] = []
        if key.lower() in _BOOL_KEYS:
            values = ["true", "false"]
        elif cond and cond["key"] == key and is_null_check(cond["operator"]):
            values = [present_value(key), None]  # Null tests presence: its operand is no value of the key
        elif cond and cond["key"] == key:
            values = [v for v in cond["policy_values"] if "*" not in v and "${" not in v][:3]
            values.append(None)
        else:
            continue
        for value in values:
            if not possible_on_the_path(key, value, request_context):
                continue  # e.g. an aws:SourceIp for a request that came through a VPC endpoint
            decision = request_builder({key: None if value is None else (value,)})
            outcomes.append({"context": {key: value}, "decision": decision})
    if outcomes and len({o["decision"] for o in outcomes}) > 1:
        ev = dict(cause.evidence)
        ev["alternatives"] = outcomes
        out.causes[-1] = replace(cause, evidence=ev)
