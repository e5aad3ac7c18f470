"""Invariants of the evaluation logic over generated policies and requests (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.support import ACCT, ALICE, BOB, OTHER, SESSION, decide

ACTIONS = st.sampled_from(["s3:GetObject", "s3:PutObject", "s3:Get*", "s3:*", "*", "s3:ListBucket"])
RESOURCES = st.sampled_from(
    [
        "*",
        "arn:aws:s3:::b1/*",
        "arn:aws:s3:::b1",
        "arn:aws:s3:::b*",
        "arn:aws:s3:::b1/${aws:username}/*",
        "arn:aws:s3:::b2/*",
    ]
)
PRINCIPALS = st.sampled_from(["*", {"AWS": ACCT}, {"AWS": OTHER}, {"AWS": ALICE}, {"AWS": BOB}, {"AWS": SESSION}])
CONDITIONS = st.sampled_from(
    [
        None,
        {"Bool": {"aws:SecureTransport": "true"}},
        {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
        {"StringEqualsIfExists": {"aws:PrincipalTag/team": "red"}},
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}},
        {"Null": {"aws:SourceVpce": "true"}},
    ]
)
CONTEXTS = st.fixed_dictionaries(
    {},
    optional={
        "aws:SecureTransport": st.sampled_from(["true", "false"]),
        "aws:SourceVpce": st.sampled_from(["vpce-1", "vpce-2"]),
        "aws:PrincipalTag/team": st.sampled_from(["red", "blue"]),
        "aws:SourceIp": st.sampled_from(["10.1.1.1", "192.0.2.1"]),
        "aws:TagKeys": st.lists(st.sampled_from(["a", "b"]), max_size=2),
    },
)


@st.composite
def statements(draw: st.DrawFn, *, principal: bool, effect: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Effect": effect or draw(st.sampled_from(["Allow", "Deny"])),
        "Action": draw(ACTIONS),
        "Resource": draw(RESOURCES),
    }
    if principal:
        out["Principal"] = draw(PRINCIPALS)
    cond = draw(CONDITIONS)
    if cond:
        out["Condition"] = cond
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    def policy(principal: bool) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": draw(st.lists(statements(principal=principal), min_size=1, max_size=4)),
        }

    scenario: dict[str, Any] = {
        "principal": draw(st.sampled_from([ALICE, SESSION, BOB])),
        "action": draw(st.sampled_from(["s3:GetObject", "s3:PutObject", "s3:ListBucket"])),
        "resource": draw(st.sampled_from(["arn:aws:s3:::b1/k", "arn:aws:s3:::b1", "arn:aws:s3:::b2/x"])),
        "owner": draw(st.sampled_from([ACCT, OTHER])),
        "identity": [policy(False) for _ in range(draw(st.integers(0, 2)))],
        "context": draw(CONTEXTS),
    }
    if draw(st.booleans()):
        scenario["resource_policy"] = policy(True)
    if draw(st.booleans()):
        scenario["boundary"] = policy(False)
    return scenario


RANK = {"allow": 2, "implicit-deny": 1, "explicit-deny": 0}


def _decision(s: dict[str, Any]) -> str:
    return decide(**s).decision.value


def _with_statement(s: dict[str, Any], where: str, extra: dict[str, Any]) -> dict[str, Any]:
    out = {**s, "identity": [dict(p) for p in s["identity"]]}
    if where == "identity":
        out["identity"] = [*out["identity"], {"Version": "2012-10-17", "Statement": [extra]}]
    else:
        base = s.get("resource_policy") or {"Version": "2012-10-17", "Statement": []}
        out["resource_policy"] = {**base, "Statement": [*base["Statement"], extra]}
    return out


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.data())
def test_adding_a_deny_never_turns_a_denial_into_an_allow(s: dict[str, Any], data: st.DataObject) -> None:
    where = data.draw(st.sampled_from(["identity", "resource"]))
    extra = data.draw(statements(principal=where == "resource", effect="Deny"))
    before, after = _decision(s), _decision(_with_statement(s, where, extra))
    assert RANK[after] <= RANK[before]


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.data())
def test_adding_an_allow_never_turns_an_allow_into_a_denial(s: dict[str, Any], data: st.DataObject) -> None:
    where = data.draw(st.sampled_from(["identity", "resource"]))
    extra = data.draw(statements(principal=where == "resource", effect="Allow"))
    before, after = _decision(s), _decision(_with_statement(s, where, extra))
    assert RANK[after] >= RANK[before]


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_the_decision_does_not_depend_on_statement_order(s: dict[str, Any], rnd: Any) -> None:
    def shuffled(policy: dict[str, Any]) -> dict[str, Any]:
        stmts = list(policy["Statement"])
        rnd.shuffle(stmts)
        return {**policy, "Statement": stmts}

    other = {**s, "identity": [shuffled(p) for p in reversed(s["identity"])]}
    if s.get("resource_policy"):
        other["resource_policy"] = shuffled(s["resource_policy"])
    if s.get("boundary"):
        other["boundary"] = shuffled(s["boundary"])
    assert _decision(other) == _decision(s)
