"""A bucket's Object Ownership setting (a setting target, not a policy).

`BucketOwnerEnforced` disables ACLs: the bucket owner owns every object in the bucket, existing ones included, and
only policies decide access. AWS refuses the change (`InvalidBucketAclWithObjectOwnership`) while the bucket ACL
grants anyone other than the owner. S3 User Guide, "Controlling ownership of objects and disabling ACLs for your
bucket" and "Prerequisites for disabling ACLs"; S3 API Reference, PutBucketOwnershipControls.
"""

from __future__ import annotations

from typing import Any

from bot.account.view import account_view
from bot.fixes.catalogue import render_text
from bot.fixes.model import Patch, PatchKind
from bot.fixes.targets.base import ClientFor, PolicyTarget, SizeLimit, SizeUnit, TargetInput, Where

ENFORCED = "BucketOwnerEnforced"
_VALUES = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")  # botocore: ObjectOwnership's enum


def controls(ownership: str) -> dict[str, Any]:
    """The setting as GetBucketOwnershipControls returns it (and PutBucketOwnershipControls takes it)."""
    return {"OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]}}


class OwnershipControls(PolicyTarget):
    where = Where.OWNERSHIP
    catalogue_name = "ownership"
    patch_kind = PatchKind.SETTING
    cfn_type = "AWS::S3::Bucket"
    terraform_types = ("aws_s3_bucket_ownership_controls",)
    cfn_property = "OwnershipControls"
    absent_codes = frozenset({"OwnershipControlsNotFoundError"})
    has_principal = False
    setting = True

    def size_limit(self, patch: Patch) -> SizeLimit:
        return SizeLimit(SizeUnit.BYTES, 1024)  # one rule; no documented limit applies

    def setting_findings(self, document: dict[str, Any]) -> list[str]:
        rules = (document.get("OwnershipControls") or {}).get("Rules") or []
        values = [r.get("ObjectOwnership") for r in rules if isinstance(r, dict)]
        if len(values) != 1 or values[0] not in _VALUES:
            return [f"ObjectOwnership must be exactly one of {', '.join(_VALUES)}"]
        return []

    def cfn_value(self, document: dict[str, Any]) -> Any:
        return document.get("OwnershipControls")  # AWS::S3::Bucket OwnershipControls: {"Rules": [...]}

    def patch(self, inp: TargetInput, statement: dict[str, Any]) -> Patch | None:
        return None  # a setting holds no statements: see `setting_patch`

    def setting_patch(self, inp: TargetInput, ownership: str) -> Patch | None:
        """The patch that sets Object Ownership to `ownership` (None when s3why did not read the bucket)."""
        view = account_view(inp.snapshot)
        if view.bucket is None:
            return None
        fact = view.bucket.get("GetBucketOwnershipControls")
        if not fact.known:
            return None
        before = fact.value if fact.present else None
        document = controls(ownership)
        name = view.bucket.name
        values = {
            "bucket": name,
            "document": document,
            "ownership": ownership,
            "resource_name": f"s3why_{name}_ownership".replace("-", "_").replace(".", "_"),
        }
        return Patch(
            f"arn:aws:s3:::{name}",
            self.patch_kind,
            document,
            [render_text("commands/ownership-controls.sh.j2", values)],
            before,
            render_text("terraform/ownership-controls.tf.j2", values),
            render_text(
                "cloudformation/patch.json.j2",
                {
                    "cfn_type": self.cfn_type,
                    "cfn_properties": {"BucketName": name, self.cfn_property: self.cfn_value(document)},
                },
            ),
            {"where": self.where.value, "bucket": name, "account": view.bucket.account},
        )

    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        snapshot["bucket"]["calls"]["GetBucketOwnershipControls"] = patch.document

    def live_target(self, patch: Patch) -> str:
        return str(patch.apply.get("bucket") or patch.target)

    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        got = client("s3", None).get_bucket_ownership_controls(Bucket=target)
        return {"OwnershipControls": got["OwnershipControls"]}

    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        import json

        s3 = client("s3", None)
        if text is None:
            return dict(s3.delete_bucket_ownership_controls(Bucket=target))
        document = json.loads(text)
        return dict(s3.put_bucket_ownership_controls(Bucket=target, OwnershipControls=document["OwnershipControls"]))


TARGET = OwnershipControls()
