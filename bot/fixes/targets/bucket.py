"""The bucket policy. Size: 20 KB (S3 User Guide, "Bucket policies"; S3_AUTHZ.md §8)."""

from __future__ import annotations

import json
from typing import Any

from bot.account.view import account_view
from bot.arn import s3_arn
from bot.fixes.catalogue import render_text
from bot.fixes.model import Patch, PatchKind
from bot.fixes.targets.base import ClientFor, PolicyTarget, SizeLimit, SizeUnit, TargetInput, Where, merge


class BucketPolicy(PolicyTarget):
    where = Where.BUCKET
    catalogue_name = "bucket"
    patch_kind = PatchKind.BUCKET_POLICY
    cfn_type = "AWS::S3::BucketPolicy"
    terraform_types = ("aws_s3_bucket_policy",)
    cfn_ref = "Bucket"
    absent_codes = frozenset({"NoSuchBucketPolicy"})
    principal_types = ("AWS", "Service", "Federated", "CanonicalUser")

    def size_limit(self, patch: Patch) -> SizeLimit:
        return SizeLimit(SizeUnit.BYTES, 20 * 1024)

    def patch(self, inp: TargetInput, statement: dict[str, Any], *, at: int | None = None) -> Patch | None:
        view = account_view(inp.snapshot)
        if view.bucket is None or not view.bucket.policy.known:
            return None
        current = view.bucket.policy.value if view.bucket.policy.present else None
        document = merge(current, statement, at=at)
        name = view.bucket.name
        values = {
            "bucket": name,
            "document": document,
            "target": s3_arn(name),
            "resource_name": f"s3why_{name}".replace("-", "_").replace(".", "_"),
        }
        return Patch(
            s3_arn(name),
            self.patch_kind,
            document,
            [render_text("commands/bucket-policy.sh.j2", values)],
            current,
            render_text("terraform/bucket-policy.tf.j2", values),
            render_text(
                "cloudformation/patch.json.j2",
                {"cfn_type": self.cfn_type, "cfn_properties": {"Bucket": name, "PolicyDocument": document}},
            ),
            {"where": self.where.value, "bucket": name, "account": view.bucket.account},
        )

    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        snapshot["bucket"]["calls"]["GetBucketPolicy"] = {"Policy": json.dumps(patch.document)}

    def live_target(self, patch: Patch) -> str:
        return str(patch.apply.get("bucket") or patch.target)

    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        return client("s3", None).get_bucket_policy(Bucket=target)["Policy"]

    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        s3 = client("s3", None)
        return dict(
            s3.put_bucket_policy(Bucket=target, Policy=text) if text else s3.delete_bucket_policy(Bucket=target)
        )


TARGET = BucketPolicy()
