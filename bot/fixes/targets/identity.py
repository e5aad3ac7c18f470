"""The principal's inline policy `s3why-fixes` (a role's or a user's): where s3why puts identity-side grants.

Size: a role's inline policies 10,240 characters, a user's 2,048 (white space not counted; IAM User Guide,
"IAM and AWS STS quotas").
"""

from __future__ import annotations

from typing import Any

from bot.engine.policy import PolicyKind
from bot.fixes.catalogue import render_text
from bot.fixes.model import Patch, PatchKind
from bot.fixes.targets.base import ClientFor, PolicyTarget, SizeLimit, SizeUnit, TargetInput, Where, merge

FIX_POLICY_NAME = "s3why-fixes"


class PrincipalInline(PolicyTarget):
    where = Where.PRINCIPAL_INLINE
    catalogue_name = "principal"
    patch_kind = PatchKind.IAM_POLICY
    cfn_type = "AWS::IAM::RolePolicy"
    terraform_types = ("aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_policy")
    cfn_ref = "RoleName"
    absent_codes = frozenset({"NoSuchEntity"})
    has_principal = False
    policy_kind = PolicyKind.IDENTITY

    def size_limit(self, patch: Patch) -> SizeLimit:
        return SizeLimit(SizeUnit.NONSPACE, 10_240 if patch.apply.get("kind") == "role" else 2_048)

    def patch(self, inp: TargetInput, statement: dict[str, Any]) -> Patch | None:
        principal = inp.snapshot.get("principal") or {}
        kind = principal.get("kind")
        if kind not in ("role", "user"):
            return None
        calls = principal.get("calls") or {}
        inline_key = "RolePolicies" if kind == "role" else "UserPolicies"
        current = ((calls.get(inline_key) or {}).get(FIX_POLICY_NAME) or {}).get("PolicyDocument")
        document = merge(current, statement)
        name = inp.principal_policy_arn.rsplit("/", 1)[-1]
        entity = "Role" if kind == "role" else "User"
        values = {
            "entity_kind": kind,
            "entity_name": name,
            "policy_name": FIX_POLICY_NAME,
            "document": document,
            "target": inp.principal_policy_arn,
            "resource_name": f"s3why_{name}".replace("-", "_"),
        }
        return Patch(
            target=inp.principal_policy_arn,
            kind=self.patch_kind,
            document=document,
            commands=[render_text("commands/iam-policy.sh.j2", values)],
            before=current,
            terraform=render_text("terraform/iam-policy.tf.j2", values),
            cloudformation=render_text(
                "cloudformation/patch.json.j2",
                {
                    "cfn_type": f"AWS::IAM::{entity}Policy",
                    "cfn_properties": {
                        "PolicyName": FIX_POLICY_NAME,
                        f"{entity}Name": name,
                        "PolicyDocument": document,
                    },
                },
            ),
            apply={"where": self.where.value, "name": FIX_POLICY_NAME, "inline_key": inline_key, "kind": kind},
        )

    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        name = patch.apply["name"]
        calls = snapshot["principal"].setdefault("calls", {})
        calls.setdefault(patch.apply["inline_key"], {})[name] = {"PolicyName": name, "PolicyDocument": patch.document}
        listing = "ListRolePolicies" if patch.apply["kind"] == "role" else "ListUserPolicies"
        names = calls.setdefault(listing, {"PolicyNames": []}).setdefault("PolicyNames", [])
        if name not in names:
            names.append(name)

    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        iam, name = client("iam", None), target.rsplit("/", 1)[-1]
        if apply["kind"] == "role":
            return iam.get_role_policy(RoleName=name, PolicyName=apply["name"])["PolicyDocument"]
        return iam.get_user_policy(UserName=name, PolicyName=apply["name"])["PolicyDocument"]

    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        iam, name, policy = client("iam", None), target.rsplit("/", 1)[-1], apply["name"]
        if apply["kind"] == "role":
            if text:
                return dict(iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=text))
            return dict(iam.delete_role_policy(RoleName=name, PolicyName=policy))
        if text:
            return dict(iam.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=text))
        return dict(iam.delete_user_policy(UserName=name, PolicyName=policy))


TARGET = PrincipalInline()
