"""A customer managed policy (today: the principal's permissions boundary), written as a new default version.

Size: 6,144 characters, white space not counted (IAM User Guide, "IAM and AWS STS quotas").
"""

from __future__ import annotations

from typing import Any

from bot.account.view import account_view
from bot.engine.policy import PolicyKind
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
)


class ManagedPolicy(PolicyTarget):
    where = Where.MANAGED
    catalogue_name = "boundary"
    patch_kind = PatchKind.IAM_POLICY
    cfn_type = "AWS::IAM::ManagedPolicy"
    terraform_types = ("aws_iam_policy",)
    absent_codes = frozenset({"NoSuchEntity"})
    has_principal = False
    policy_kind = PolicyKind.PERMISSIONS_BOUNDARY

    def size_limit(self, patch: Patch) -> SizeLimit:
        return SizeLimit(SizeUnit.NONSPACE, 6_144)

    def patch(self, inp: TargetInput, statement: dict[str, Any]) -> Patch | None:
        view = account_view(inp.snapshot)
        if view.principal is None or view.principal.boundary is None:
            return None
        arn = view.principal.boundary.name
        document = merge(view.principal.boundary.document, statement)
        values = {"target": arn, "document": document, "resource_name": "s3why_boundary"}
        return Patch(
            arn,
            self.patch_kind,
            document,
            [render_text("commands/managed-policy.sh.j2", values)],
            view.principal.boundary.document,
            render_text("terraform/managed-policy.tf.j2", values),
            render_text(
                "cloudformation/patch.json.j2",
                {"cfn_type": self.cfn_type, "cfn_properties": {"PolicyDocument": document}},
            ),
            {"where": self.where.value, "arn": arn},
        )

    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        policies = snapshot["principal"]["calls"].setdefault("Policies", {})
        policies.setdefault(patch.apply["arn"], {})["GetPolicyVersion"] = {
            "PolicyVersion": {"Document": patch.document}
        }

    def live_target(self, patch: Patch) -> str:
        return str(patch.apply.get("arn") or patch.target)

    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        iam = client("iam", None)
        version = iam.get_policy(PolicyArn=target)["Policy"]["DefaultVersionId"]
        return iam.get_policy_version(PolicyArn=target, VersionId=version)["PolicyVersion"]["Document"]

    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        if text is None:
            raise WriteRefused("a managed policy version cannot be removed this way")
        iam = client("iam", None)
        deleted = make_room(iam, target)
        out = dict(iam.create_policy_version(PolicyArn=target, PolicyDocument=text, SetAsDefault=True))
        if deleted:
            out["DeletedVersion"] = deleted
        return out


MAX_VERSIONS = 5  # IAM User Guide, "Versioning IAM policies": a managed policy keeps at most five versions


def make_room(iam: Any, policy_arn: str) -> str | None:
    """Delete the oldest non-default version when the policy already has five, so that a new one can be created
    (CreatePolicyVersion fails with LimitExceeded otherwise); the deleted version's id, or None."""
    versions = iam.list_policy_versions(PolicyArn=policy_arn)["Versions"]
    if len(versions) < MAX_VERSIONS:
        return None
    older = sorted((v for v in versions if not v.get("IsDefaultVersion")), key=lambda v: v["CreateDate"])
    if not older:
        return None
    version = str(older[0]["VersionId"])
    iam.delete_policy_version(PolicyArn=policy_arn, VersionId=version)
    return version


TARGET = ManagedPolicy()
