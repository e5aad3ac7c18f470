"""A KMS key's policy (always present: it cannot be removed). Size: 32 KB (KMS Developer Guide, "Key policies")."""

from __future__ import annotations

import json
from typing import Any

from bot.account.view import account_view
from bot.fixes.catalogue import render_text
from bot.fixes.model import Patch, PatchKind
from bot.fixes.targets.base import (
    ClientFor,
    PolicyTarget,
    SizeLimit,
    SizeUnit,
    TargetInput,
    Where,
    WriteRefused,
    merge,
    region_of,
)


class KeyPolicy(PolicyTarget):
    where = Where.KEY
    catalogue_name = "key"
    patch_kind = PatchKind.KEY_POLICY
    cfn_type = "AWS::KMS::Key"
    terraform_types = ("aws_kms_key", "aws_kms_key_policy")
    cfn_property = "KeyPolicy"
    principal_types = ("AWS", "Service")  # KMS key policies name AWS principals and services

    def size_limit(self, patch: Patch) -> SizeLimit:
        return SizeLimit(SizeUnit.BYTES, 32 * 1024)

    def patch(self, inp: TargetInput, statement: dict[str, Any]) -> Patch | None:
        view = account_view(inp.snapshot)
        key = view.keys.get(inp.key_arn)
        if key is None or not key.policy.present:
            return None
        document = merge(key.policy.value, statement)
        values = {"target": inp.key_arn, "document": document, "resource_name": "s3why_key_policy"}
        return Patch(
            inp.key_arn,
            self.patch_kind,
            document,
            [render_text("commands/key-policy.sh.j2", values)],
            key.policy.value,
            render_text("terraform/key-policy.tf.j2", values),
            render_text(
                "cloudformation/patch.json.j2", {"cfn_type": self.cfn_type, "cfn_properties": {"KeyPolicy": document}}
            ),
            {"where": self.where.value, "arn": inp.key_arn},
        )

    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        snapshot["kms"][patch.apply["arn"]]["calls"]["GetKeyPolicy"] = {"Policy": json.dumps(patch.document)}

    def live_target(self, patch: Patch) -> str:
        return str(patch.apply.get("arn") or patch.target)

    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        return client("kms", region_of(target)).get_key_policy(KeyId=target, PolicyName="default")["Policy"]

    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        if text is None:
            raise WriteRefused("a key policy cannot be removed")
        kms = client("kms", region_of(target))
        return dict(kms.put_key_policy(KeyId=target, PolicyName="default", Policy=text))


TARGET = KeyPolicy()
