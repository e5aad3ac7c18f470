"""Each distinct policy document is compiled once per process, keyed by its content (canonical JSON)."""

from __future__ import annotations

from typing import Any

from bot.engine import AuthzRequest, PolicyKind, PolicySet, evaluate
from bot.engine.policy import PolicyCompiler, policy_key

BUCKET_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyHttp",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Principal": {"AWS": "111122223333"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        },
    ],
}


def reordered(value: Any) -> Any:
    """The same document with every object's keys in reverse order (a fresh copy, as a new case carries)."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def test_the_same_content_is_compiled_once_whatever_its_key_order_or_name() -> None:
    compiler = PolicyCompiler()
    first = compiler.compile(BUCKET_POLICY, name="case 0.resource_policy", kind=PolicyKind.RESOURCE)
    again = compiler.compile(reordered(BUCKET_POLICY), name="case 1.resource_policy", kind=PolicyKind.RESOURCE)
    assert again.statements is first.statements  # compiled once, shared
    assert again.memo is first.memo
    assert (first.name, again.name) == ("case 0.resource_policy", "case 1.resource_policy")
    assert policy_key(BUCKET_POLICY, PolicyKind.RESOURCE) == policy_key(reordered(BUCKET_POLICY), PolicyKind.RESOURCE)


def test_other_content_or_kind_is_compiled_apart() -> None:
    compiler = PolicyCompiler()
    base = compiler.compile(BUCKET_POLICY, name="p", kind=PolicyKind.RESOURCE)
    other = dict(BUCKET_POLICY, Statement=BUCKET_POLICY["Statement"][1:])
    assert compiler.compile(other, name="p", kind=PolicyKind.RESOURCE).statements is not base.statements
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    as_identity = compiler.compile(identity, name="p", kind=PolicyKind.IDENTITY)
    as_boundary = compiler.compile(identity, name="p", kind=PolicyKind.PERMISSIONS_BOUNDARY)
    assert as_boundary.kind is PolicyKind.PERMISSIONS_BOUNDARY and as_identity.kind is PolicyKind.IDENTITY


def test_a_shared_compilation_answers_with_each_case_s_own_name() -> None:
    compiler = PolicyCompiler()
    request = AuthzRequest.build(
        principal="arn:aws:iam::111122223333:user/alice",
        action="s3:GetObject",
        resource="arn:aws:s3:::b/k",
        resource_owner="111122223333",
        context={"aws:SecureTransport": "false"},
    )
    reasons = []
    for i in range(3):
        policy = compiler.compile(reordered(BUCKET_POLICY), name=f"case {i}", kind=PolicyKind.RESOURCE)
        result = evaluate(request, PolicySet(resource=policy))
        reasons.append(result.reason)
        assert result.decision.value == "explicit-deny"
    assert reasons == [f"explicit Deny in case {i} (DenyHttp)" for i in range(3)]


def test_a_bounded_compiler_forgets_the_oldest() -> None:
    compiler = PolicyCompiler(max_size=2)
    docs = [
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": f"s3:Get{n}", "Resource": "*"}]}
        for n in ("A", "B", "C")
    ]
    first = compiler.compile(docs[0], name="a", kind=PolicyKind.IDENTITY)
    for d in docs[1:]:
        compiler.compile(d, name="x", kind=PolicyKind.IDENTITY)
    assert compiler.compile(docs[0], name="a", kind=PolicyKind.IDENTITY).statements is not first.statements
