"""Malformed documents get a precise message (which statement, which field, what is wrong)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import PolicyKind, parse_policy
from bot.errors import PolicyError

GOOD = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}

BAD: list[tuple[Any, PolicyKind, str, str]] = [
    ("{not json", PolicyKind.IDENTITY, "", "not valid JSON"),
    ([], PolicyKind.IDENTITY, "", "must be a JSON object"),
    ({"Version": "2012-10-17"}, PolicyKind.IDENTITY, "", "has no Statement"),
    ({"Version": "2020-01-01", "Statement": [GOOD]}, PolicyKind.IDENTITY, "Version", "Version must be"),
    ({"Statement": "x"}, PolicyKind.IDENTITY, "Statement", "object or a list"),
    ({"Statement": [GOOD, {**GOOD, "Effect": "allow"}]}, PolicyKind.IDENTITY, "Statement[1].Effect", "Effect must be"),
    ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, PolicyKind.IDENTITY, "Statement[0]", "Action and NotAction"),
    ({"Statement": [{**GOOD, "NotAction": "s3:*"}]}, PolicyKind.IDENTITY, "Statement[0]", "Action and NotAction"),
    ({"Statement": [{**GOOD, "Action": "GetObject"}]}, PolicyKind.IDENTITY, "Statement[0].Action", "SERVICE:ACTION"),
    ({"Statement": [{**GOOD, "Action": []}]}, PolicyKind.IDENTITY, "Statement[0].Action", "empty list"),
    ({"Statement": [{**GOOD, "Resource": 5}]}, PolicyKind.IDENTITY, "Statement[0].Resource", "string or a list"),
    ({"Statement": [{**GOOD, "Resource": "bucket/*"}]}, PolicyKind.IDENTITY, "Statement[0].Resource", "expected an ARN"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, PolicyKind.IDENTITY, "Statement[0]", "Resource or NotResource"),
    ({"Statement": [{**GOOD, "Principal": "*"}]}, PolicyKind.IDENTITY, "Statement[0].Principal", "not allowed in a identity"),
    ({"Statement": [GOOD]}, PolicyKind.RESOURCE, "Statement[0]", "needs Principal"),
    ({"Statement": [{**GOOD, "NotPrincipal": {"AWS": "*"}}]}, PolicyKind.RESOURCE, "Statement[0].NotPrincipal", "only be used with"),
    ({"Statement": [{**GOOD, "Principal": {"AWS": "arn:aws:iam::1:role/*"}}]}, PolicyKind.RESOURCE, "Statement[0].Principal.AWS", "wildcards are not allowed"),
    ({"Statement": [{**GOOD, "Principal": {"Group": "x"}}]}, PolicyKind.RESOURCE, "Statement[0].Principal", "unknown principal type"),
    ({"Statement": [{**GOOD, "Condition": {"StringEqualz": {"a": "b"}}}]}, PolicyKind.IDENTITY, "Statement[0].Condition.StringEqualz", "unknown condition operator"),
    ({"Statement": [{**GOOD, "Condition": {"NullIfExists": {"a": "true"}}}]}, PolicyKind.IDENTITY, "Statement[0].Condition.NullIfExists", "IfExists"),
    ({"Statement": [{**GOOD, "Condition": {"Null": {"a": "yes"}}}]}, PolicyKind.IDENTITY, "Statement[0].Condition.Null.a", "true"),
    ({"Statement": [{**GOOD, "Condition": {"StringEquals": {"a": {"b": 1}}}}]}, PolicyKind.IDENTITY, "Statement[0].Condition.StringEquals.a", "strings, numbers or booleans"),
    ({"Statement": [{**GOOD, "Condition": {"ForEvery:StringEquals": {"a": "b"}}}]}, PolicyKind.IDENTITY, "Statement[0].Condition.ForEvery:StringEquals", "set operators"),
    ({"Version": "2012-10-17", "Statement": [{**GOOD, "Effect": "Deny", "Principal": {"AWS": "123456789012"}}]}, PolicyKind.RCP, "Statement[0].Principal", "must be \"*\""),
    ({"Statement": [{**GOOD, "Effect": "Deny", "Principal": "*"}]}, PolicyKind.RCP, "Version", "2012-10-17"),
    ({"Version": "2012-10-17", "Statement": [{**GOOD, "Principal": "*"}]}, PolicyKind.RCP, "Statement[0].Effect", "may only Deny"),
    ({"Version": "2012-10-17", "Statement": [{**GOOD, "Effect": "Deny", "Principal": "*", "Action": "*"}]}, PolicyKind.RCP, "Statement[0].Action", "cannot use Action"),
    ({"Statement": [{**GOOD, "Sid": 3}]}, PolicyKind.IDENTITY, "Statement[0].Sid", "Sid must be a string"),
    ({"Statement": [{**GOOD, "Effects": "Allow"}]}, PolicyKind.IDENTITY, "Statement[0]", "unknown element"),
]  # fmt: skip


@pytest.mark.parametrize(("document", "kind", "where", "message"), BAD, ids=[b[3] + "-" + b[2] for b in BAD])
def test_malformed_policy_is_rejected_with_its_place(document: Any, kind: PolicyKind, where: str, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(document, name="p.json", kind=kind)
    assert err.value.where == where
    assert message in err.value.reason
    assert str(err.value).startswith("p.json: ")


def test_a_single_statement_object_and_string_values_are_accepted() -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": GOOD})
    assert len(policy.statements) == 1
    assert policy.statements[0].matches_action("S3:GETOBJECT")


def test_unique_id_principals_of_deleted_entities_are_accepted_and_match_nobody() -> None:
    from tests.engine.support import decide, doc, stmt

    rp = doc(stmt(Principal={"AWS": "AIDAJQABLZS4A3QDU576Q"}))
    assert decide(resource_policy=rp).decision.value == "implicit-deny"
