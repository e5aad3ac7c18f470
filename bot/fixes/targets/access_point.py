"""An S3 access point's policy (s3control). Size: 20 KB, as a bucket policy (S3 User Guide, "Configuring IAM
policies for using access points")."""

from __future__ import annotations

import json
from typing import Any

from bot.account.view import account_view, policy_doc
from bot.fixes.catalogue import render_text
from bot.fixes.model import Patch, PatchKind
from bot.fixes.targets.base import (
    ClientFor,
    PolicyTarget,
    SizeLimit,
    SizeUnit,
    TargetInput,
    Where,
    merge,
    region_of,
)


class AccessPointPolicy(PolicyTarget):
    where = Where.ACCESS_POINT
    catalogue_name = "access_point"
    patch_kind = PatchKind.ACCESS_POINT_POLICY
    cfn_type = "AWS::S3::AccessPoint"
    terraform_types = ("aws_s3control_access_point_policy", "aws_s3_access_point")
    cfn_property = "Policy"
    absent_codes = frozenset({"NoSuchAccessPointPolicy"})
    principal_types = ("AWS",)

    def size_limit(self, patch: Patch) -> SizeLimit:
        return SizeLimit(SizeUnit.BYTES, 20 * 1024)

    def patch(self, inp: TargetInput, statement: dict[str, Any]) -> Patch | None:
        view = account_view(inp.snapshot)
        if view.access_point is None:
            return None
        info, policy = view.access_point.get("GetAccessPoint"), view.access_point.get("GetAccessPointPolicy")
        if info is None or not info.present or policy is None or not policy.known:
            return None
        ap = inp.snapshot.get("access_point") or {}
        arn, name, account = str(ap.get("arn")), str(ap.get("name")), str(ap.get("account"))
        current = policy_doc(policy.value.get("Policy")) if policy.present else None
        document = merge(current, statement)
        values = {"target": arn, "account": account, "name": name, "document": document, "resource_name": "s3why_ap"}
        return Patch(
            arn,
            self.patch_kind,
            document,
            [render_text("commands/access-point-policy.sh.j2", values)],
            current,
            render_text("terraform/access-point-policy.tf.j2", values),
            render_text(
                "cloudformation/patch.json.j2",
                {"cfn_type": self.cfn_type, "cfn_properties": {"Name": name, "Policy": document}},
            ),
            {"where": self.where.value, "arn": arn, "name": name, "account": account},
        )

    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        snapshot["access_point"]["calls"]["GetAccessPointPolicy"] = {"Policy": json.dumps(patch.document)}

    def live_target(self, patch: Patch) -> str:
        return str(patch.apply.get("arn") or patch.target)

    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        s3c = client("s3control", region_of(target))
        return s3c.get_access_point_policy(AccountId=apply["account"], Name=apply["name"])["Policy"]

    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        s3c, account, name = client("s3control", region_of(target)), apply["account"], apply["name"]
        if text:
            return dict(s3c.put_access_point_policy(AccountId=account, Name=name, Policy=text))
        return dict(s3c.delete_access_point_policy(AccountId=account, Name=name))


TARGET = AccessPointPolicy()
