"""Condition operators, one family at a time, with AWS's rules for missing keys, IfExists, sets and case.

Source for every expectation: IAM User Guide, "Condition operators", "Single-valued vs. multivalued
context keys" and "Policy variables" (see docs/semantics.md for the points where simulators disagree).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.support import cond_allows

CASES: list[tuple[str, dict[str, Any], dict[str, Any] | None, bool]] = [
    # --- String: Equals is case-sensitive; IgnoreCase is not; Like has * and ? wildcards -----------------
    ("StringEquals matches exactly", {"StringEquals": {"aws:PrincipalTag/team": "red"}}, {"aws:PrincipalTag/team": "red"}, True),
    ("StringEquals is case-sensitive", {"StringEquals": {"aws:PrincipalTag/team": "red"}}, {"aws:PrincipalTag/team": "Red"}, False),
    ("several values OR together", {"StringEquals": {"aws:PrincipalTag/team": ["blue", "red"]}}, {"aws:PrincipalTag/team": "red"}, True),
    ("key names are case-insensitive", {"StringEquals": {"AWS:principaltag/TEAM": "red"}}, {"aws:PrincipalTag/team": "red"}, True),
    ("StringEqualsIgnoreCase", {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}}, {"aws:PrincipalTag/team": "red"}, True),
    ("StringNotEqualsIgnoreCase", {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}}, {"aws:PrincipalTag/team": "red"}, False),
    ("StringLike star", {"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/a/b"}, True),
    ("StringLike question mark is one char", {"StringLike": {"s3:prefix": "a?c"}}, {"s3:prefix": "abbc"}, False),
    ("StringLike empty value matches empty prefix", {"StringLike": {"s3:prefix": ["", "home/*"]}}, {"s3:prefix": ""}, True),
    ("StringNotEquals: a value must match none (NOR)", {"StringNotEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}, {"aws:SourceVpce": "vpce-2"}, False),
    ("StringNotLike: none of the patterns", {"StringNotLike": {"s3:prefix": ["a*", "b*"]}}, {"s3:prefix": "c"}, True),
    # --- Missing keys -------------------------------------------------------------------------------------
    ("absent key: positive operator is false", {"StringEquals": {"aws:SourceVpce": "vpce-1"}}, None, False),
    ("absent key: negated operator is true", {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, None, True),
    ("absent key: IfExists is true", {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, None, True),
    ("present key: IfExists tests normally", {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, {"aws:SourceVpce": "vpce-9"}, False),
    ("absent key: ForAllValues is vacuously true", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, None, True),
    ("absent key: ForAnyValue is false", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, None, False),
    ("Null true: key absent", {"Null": {"aws:SourceVpce": "true"}}, None, True),
    ("Null true: key present", {"Null": {"aws:SourceVpce": "true"}}, {"aws:SourceVpce": "vpce-1"}, False),
    ("Null false: key present", {"Null": {"aws:SourceVpce": "false"}}, {"aws:SourceVpce": "vpce-1"}, True),
    # --- Set operators on multivalued keys ------------------------------------------------------------------
    ("ForAllValues: request set within policy set", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a"]}, True),
    ("ForAllValues: a value outside the policy set", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a", "c"]}, False),
    ("ForAllValues: empty request set is true", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": []}, True),
    ("ForAnyValue: one value in the policy set", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["c", "a"]}, True),
    ("ForAnyValue: empty request set is false", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": []}, False),
    ("ForAllValues negated: every value matches none", {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["b", "c"]}, True),
    ("ForAnyValue negated: some value matches none", {"ForAnyValue:StringNotLike": {"aws:TagKeys": ["a*"]}}, {"aws:TagKeys": ["ab", "zz"]}, True),
    ("plain operator on a multivalued key never matches", {"StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ["a"]}, False),
    # --- Numeric ------------------------------------------------------------------------------------------
    ("NumericLessThan", {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "120"}, True),
    ("NumericLessThanEquals boundary", {"NumericLessThanEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, True),
    ("NumericGreaterThan", {"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, False),
    ("NumericEquals decimals", {"NumericEquals": {"s3:TlsVersion": "1.2"}}, {"s3:TlsVersion": "1.20"}, True),
    ("NumericNotEquals absent key", {"NumericNotEquals": {"s3:max-keys": "10"}}, None, True),
    ("Numeric with a non-number request value is false", {"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}, False),
    # --- Date -------------------------------------------------------------------------------------------
    ("DateGreaterThan ISO 8601", {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2024-06-01T12:00:00Z"}, True),
    ("DateLessThan with epoch seconds", {"DateLessThan": {"aws:EpochTime": "1700000000"}}, {"aws:EpochTime": "1600000000"}, True),
    ("DateEquals across formats", {"DateEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "1577836800"}, True),
    ("DateNotEquals", {"DateNotEquals": {"aws:CurrentTime": "2020-01-01"}}, {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, False),
    # --- Bool, Binary ---------------------------------------------------------------------------------------
    ("Bool true", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
    ("Bool false on HTTPS", {"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
    ("Bool with a JSON boolean in the policy", {"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "true"}, True),
    ("BoolIfExists absent", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, None, True),
    ("BinaryEquals compares bytes", {"BinaryEquals": {"s3:x-amz-content-sha256": "QmluYXJ5VmFsdWU="}}, {"s3:x-amz-content-sha256": "QmluYXJ5VmFsdWU="}, True),
    # --- IP -------------------------------------------------------------------------------------------
    ("IpAddress IPv4 CIDR", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress bare address is /32", {"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, {"aws:SourceIp": "203.0.113.8"}, False),
    ("IpAddress IPv6", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8:1::5"}, True),
    ("IPv4 request never matches an IPv6 range", {"IpAddress": {"aws:SourceIp": "::/0"}}, {"aws:SourceIp": "10.0.0.1"}, False),
    ("NotIpAddress outside", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "192.0.2.1"}, True),
    ("NotIpAddress with the key absent (VPC endpoint traffic) is true", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, None, True),
    # --- ARN ------------------------------------------------------------------------------------------
    ("ArnLike per segment", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/alice"}}, None, True),
    ("ArnEquals also takes wildcards", {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/E*"}}, {"aws:SourceArn": "arn:aws:cloudfront::111111111111:distribution/E1"}, True),
    ("Arn * does not cross a colon", {"ArnLike": {"aws:SourceArn": "arn:aws:*"}}, {"aws:SourceArn": "arn:aws:sqs:us-east-1:111111111111:q"}, False),
    ("ArnNotLike", {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/*"}}, None, True),
    ("Arn operators on a non-ARN value are false", {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, {"aws:SourceArn": "not-an-arn"}, False),
    # --- Policy variables (2012-10-17) ---------------------------------------------------------------------
    ("variable substitutes", {"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}, {"aws:PrincipalTag/owner": "alice"}, True),
    ("variable default applies when absent", {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/dept, 'ops'}"}}, {"aws:PrincipalTag/team": "ops"}, True),
    ("unresolved variable: positive operator false", {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/dept}"}}, {"aws:PrincipalTag/team": "ops"}, False),
    ("unresolved variable: negated operator true", {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/dept}"}}, {"aws:PrincipalTag/team": "ops"}, True),
    ("escape ${*} is a literal star in Like", {"StringLike": {"s3:prefix": "a${*}"}}, {"s3:prefix": "abc"}, False),
    ("escape ${*} matches a literal star", {"StringLike": {"s3:prefix": "a${*}"}}, {"s3:prefix": "a*"}, True),
    ("a substituted value is literal in Like", {"StringLike": {"s3:prefix": "${aws:PrincipalTag/p}"}}, {"aws:PrincipalTag/p": "x*", "s3:prefix": "xyz"}, False),
    # --- Several operators and keys AND together -------------------------------------------------------------
    ("operators AND", {"Bool": {"aws:SecureTransport": "true"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SecureTransport": "true", "aws:SourceIp": "192.0.2.1"}, False),
    ("keys under one operator AND", {"StringEquals": {"aws:PrincipalTag/a": "1", "aws:PrincipalTag/b": "2"}}, {"aws:PrincipalTag/a": "1", "aws:PrincipalTag/b": "2"}, True),
]  # fmt: skip


@pytest.mark.parametrize(("title", "condition", "context", "allows"), CASES, ids=[c[0] for c in CASES])
def test_condition_operator(
    title: str, condition: dict[str, Any], context: dict[str, Any] | None, allows: bool
) -> None:
    assert cond_allows(condition, context) is allows, title


def test_variables_are_literal_in_2008_policies() -> None:
    from tests.engine.support import decide, doc, stmt

    cond = {"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}
    ctx = {"aws:PrincipalTag/owner": "${aws:username}"}
    assert decide(identity=[doc(stmt(Condition=cond), version="2008-10-17")], context=ctx).decision.value == "allow"
    assert decide(identity=[doc(stmt(Condition=cond))], context=ctx).decision.value == "implicit-deny"


def test_a_failed_condition_is_reported_with_both_values() -> None:
    from tests.engine.support import decide, doc, stmt

    result = decide(
        identity=[doc(stmt(Sid="OnlyFromOffice", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))],
        context={"aws:SourceIp": "192.0.2.1"},
    )
    identity = result.to_json()["layers"][3]
    assert identity["layer"] == "identity" and identity["verdict"] == "no-allow"
    (ref,) = identity["statements"]
    assert ref["sid"] == "OnlyFromOffice"
    assert ref["conditions"] == [
        {"operator": "IpAddress", "key": "aws:SourceIp", "policy_values": ["10.0.0.0/8"],
         "request_values": ["192.0.2.1"], "passed": False}
    ]  # fmt: skip


def test_absent_keys_that_decided_the_outcome_are_reported() -> None:
    from tests.engine.support import decide, doc, stmt

    result = decide(
        identity=[doc(stmt())],
        resource_policy=doc(stmt("Deny", Principal="*", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})),
    )
    assert result.decision.value == "explicit-deny"
    assert result.absent_keys == ("aws:SourceVpce",)
