"""The shipped EventBridge rule (CloudFormation and Terraform) sends exactly the errors `s3why watch` diagnoses,
from the sources it reads; the queue policy admits only this organization's rule roles."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from bot.watch.record import DENIAL_CODES, SOURCES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "watch"


class _CfnLoader(yaml.SafeLoader):
    """CloudFormation's short forms (!Ref, !Sub, ...) as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _tag)


def _cfn(name: str) -> dict[str, Any]:
    return dict(yaml.load((DEPLOY / name).read_text(), Loader=_CfnLoader))


def test_cloudformation_rule_matches_what_watch_reads() -> None:
    pattern = _cfn("rule.cfn.yaml")["Resources"]["Rule"]["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
    assert set(pattern["detail"]["errorCode"]) == DENIAL_CODES
    assert set(pattern["detail"]["eventSource"]) <= set(SOURCES)


def test_terraform_rule_matches_what_watch_reads() -> None:
    text = (DEPLOY / "terraform" / "main.tf").read_text()
    codes = re.search(r"errorCode\s*=\s*(\[[^\]]*\])", text)
    sources = re.search(r"eventSource\s*=\s*(\[[^\]]*\])", text)
    assert codes is not None and sources is not None
    assert set(json.loads(codes.group(1))) == DENIAL_CODES
    assert set(json.loads(sources.group(1))) <= set(SOURCES)


def test_the_queue_policy_admits_only_the_organizations_rule_roles() -> None:
    policy = _cfn("queue.cfn.yaml")["Resources"]["QueuePolicy"]["Properties"]["PolicyDocument"]
    for statement in policy["Statement"]:
        if not isinstance(statement, dict) or "Sid" not in statement:
            continue  # the optional trail-bucket statement (!If)
        assert statement["Action"] == "sqs:SendMessage"
        assert statement.get("Condition"), statement  # never open to the world
    org = next(s for s in policy["Statement"] if s.get("Sid") == "RuleRolesOfTheOrganization")
    assert org["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}
