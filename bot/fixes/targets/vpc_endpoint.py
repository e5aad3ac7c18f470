"""A gateway or interface VPC endpoint's policy. Size: 20,480 characters, white space included (VPC User Guide,
"Control access to VPC endpoints using endpoint policies")."""

from __future__ import annotations

import json
from typing import Any

from bot.account.view import account_view
from bot.engine.policy import PolicyKind
from bot.fixes.catalogue import render_text
from bot.fixes.model import Patch, PatchKind
from bot.fixes.targets.base import ClientFor, PolicyTarget, SizeLimit, SizeUnit, TargetInput, Where, merge


class VpcEndpointPolicy(PolicyTarget):
    where = Where.VPC_ENDPOINT
    catalogue_name = "vpc_endpoint"
    patch_kind = PatchKind.VPC_ENDPOINT_POLICY
    cfn_type = "AWS::EC2::VPCEndpoint"
    terraform_types = ("aws_vpc_endpoint", "aws_vpc_endpoint_policy")
    principal_types = ("AWS",)
    policy_kind = PolicyKind.VPC_ENDPOINT
    # A gateway endpoint's statements name Principal "*" (scoped by Resource or aws:PrincipalArn): "For gateway
    # endpoints, you must set the Principal element to *" (AWS PrivateLink guide, "Principals for gateway
    # endpoints"). Such a statement lets requests through; the bucket's and the caller's policies still decide.
    grants_access = False

    def size_limit(self, patch: Patch) -> SizeLimit:
        return SizeLimit(SizeUnit.CHARS, 20_480)

    def patch(self, inp: TargetInput, statement: dict[str, Any]) -> Patch | None:
        view = account_view(inp.snapshot)
        vpce = inp.snapshot.get("vpc_endpoint") or {}
        if view.vpc_endpoint is None or not view.vpc_endpoint.present:
            return None
        document = merge(view.vpc_endpoint.value, statement)
        target = str(vpce.get("id"))
        values = {"target": target, "document": document, "resource_name": "s3why_endpoint"}
        return Patch(
            target,
            self.patch_kind,
            document,
            [render_text("commands/vpc-endpoint-policy.sh.j2", values)],
            view.vpc_endpoint.value,
            render_text("terraform/vpc-endpoint-policy.tf.j2", values),
            render_text(
                "cloudformation/patch.json.j2",
                {"cfn_type": self.cfn_type, "cfn_properties": {"PolicyDocument": document}},
            ),
            {"where": self.where.value, "id": target, "account": vpce.get("account")},
        )

    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        snapshot["vpc_endpoint"]["calls"]["DescribeVpcEndpoints"] = {
            "VpcEndpoints": [{"PolicyDocument": json.dumps(patch.document)}]
        }

    def live_target(self, patch: Patch) -> str:
        return str(patch.apply.get("id") or patch.target)

    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        found = client("ec2", None).describe_vpc_endpoints(VpcEndpointIds=[target])["VpcEndpoints"]
        return found[0].get("PolicyDocument") if found else None

    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        ec2 = client("ec2", None)
        if text:
            return dict(ec2.modify_vpc_endpoint(VpcEndpointId=target, PolicyDocument=text))
        return dict(ec2.modify_vpc_endpoint(VpcEndpointId=target, ResetPolicy=True))


TARGET = VpcEndpointPolicy()
