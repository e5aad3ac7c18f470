"""A Multi-Region Access Point's policy (s3control). Its control-plane requests go to us-west-2 ("All requests to
create or maintain Multi-Region Access Points are routed to the US West (Oregon) Region": S3 User Guide, "Making
requests through a Multi-Region Access Point"); PutMultiRegionAccessPointPolicy is asynchronous and takes
`Details={"Name", "Policy"}` (botocore's s3control model). GetMultiRegionAccessPointPolicy answers the document in
force as `Policy.Established.Policy`. Size: 20 KB, as an access point's policy."""

from __future__ import annotations

import json
import uuid
from typing import Any

from bot.account.view import account_view, policy_doc
from bot.fixes.catalogue import render_text
from bot.fixes.model import Patch, PatchKind
from bot.fixes.targets.base import ClientFor, PolicyTarget, SizeLimit, SizeUnit, TargetInput, Where, merge

CONTROL_REGION = "us-west-2"


class MultiRegionAccessPointPolicy(PolicyTarget):
    where = Where.MULTI_REGION_ACCESS_POINT
    catalogue_name = "multi_region_access_point"
    patch_kind = PatchKind.MULTI_REGION_ACCESS_POINT_POLICY
    cfn_type = "AWS::S3::MultiRegionAccessPointPolicy"
    terraform_types = ("aws_s3control_multi_region_access_point_policy",)
    cfn_property = "Policy"
    absent_codes = frozenset()
    principal_types = ("AWS",)

    def size_limit(self, patch: Patch) -> SizeLimit:
        return SizeLimit(SizeUnit.BYTES, 20 * 1024)

    def patch(self, inp: TargetInput, statement: dict[str, Any]) -> Patch | None:
        view = account_view(inp.snapshot)
        if view.multi_region_access_point is None:
            return None
        info = view.multi_region_access_point.get("GetMultiRegionAccessPoint")
        policy = view.multi_region_access_point.get("GetMultiRegionAccessPointPolicy")
        if info is None or not info.present or policy is None or not policy.known:
            return None
        m = inp.snapshot.get("multi_region_access_point") or {}
        report = info.value.get("AccessPoint") or {}
        arn, account = str(m.get("arn")), str(m.get("account"))
        name = str(report.get("Name") or m.get("name"))
        current = established(policy.value) if policy.present else None
        document = merge(current, statement)
        values = {"target": arn, "account": account, "name": name, "document": document, "resource_name": "s3why_mrap"}
        return Patch(
            arn,
            self.patch_kind,
            document,
            [render_text("commands/multi-region-access-point-policy.sh.j2", values)],
            current,
            render_text("terraform/multi-region-access-point-policy.tf.j2", values),
            render_text(
                "cloudformation/patch.json.j2",
                {"cfn_type": self.cfn_type, "cfn_properties": {"MrapName": name, "Policy": document}},
            ),
            {"where": self.where.value, "arn": arn, "name": name, "account": account},
        )

    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        calls = snapshot["multi_region_access_point"]["calls"]
        calls["GetMultiRegionAccessPointPolicy"] = {"Policy": {"Established": {"Policy": json.dumps(patch.document)}}}

    def live_target(self, patch: Patch) -> str:
        return str(patch.apply.get("arn") or patch.target)

    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        s3c = client("s3control", CONTROL_REGION)
        answer = s3c.get_multi_region_access_point_policy(AccountId=apply["account"], Name=apply["name"])
        return ((answer.get("Policy") or {}).get("Established") or {}).get("Policy")

    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        # A Multi-Region Access Point always has a policy (there is no Delete call): an empty one is not written.
        s3c = client("s3control", CONTROL_REGION)
        return dict(
            s3c.put_multi_region_access_point_policy(
                AccountId=apply["account"],
                ClientToken=str(uuid.uuid4()),
                Details={
                    "Name": apply["name"],
                    "Policy": text or json.dumps({"Version": "2012-10-17", "Statement": []}),
                },
            )
        )


def established(answer: dict[str, Any]) -> dict[str, Any] | None:
    """The document in force from a GetMultiRegionAccessPointPolicy answer (None when it holds none)."""
    text = ((answer.get("Policy") or {}).get("Established") or {}).get("Policy")
    return policy_doc(text) if text else None


TARGET = MultiRegionAccessPointPolicy()
