"""A bucket's default encryption (a setting target, not a policy).

Default encryption applies to objects written after the change; existing objects keep the key they were written
with until they are copied again (S3 User Guide, "Setting default server-side encryption behavior for Amazon S3
buckets": "changes to the default encryption ... apply only to new objects"). S3 API Reference,
PutBucketEncryption; `SSEAlgorithm` is one of AES256, aws:kms, aws:kms:dsse (botocore's ServerSideEncryption enum).
"""

from __future__ import annotations

import json
from typing import Any

from bot.account.view import account_view
from bot.fixes.catalogue import render_text
from bot.fixes.model import Patch, PatchKind
from bot.fixes.targets.base import ClientFor, PolicyTarget, SizeLimit, SizeUnit, TargetInput, Where

_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def configuration(algorithm: str, kms_key: str | None, bucket_key: bool) -> dict[str, Any]:
    """The setting as GetBucketEncryption returns it (and PutBucketEncryption takes it)."""
    by_default: dict[str, Any] = {"SSEAlgorithm": algorithm}
    if kms_key:
        by_default["KMSMasterKeyID"] = kms_key
    rule = {"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bucket_key}
    return {"ServerSideEncryptionConfiguration": {"Rules": [rule]}}


class DefaultEncryption(PolicyTarget):
    where = Where.DEFAULT_ENCRYPTION
    catalogue_name = "default_encryption"
    patch_kind = PatchKind.SETTING
    cfn_type = "AWS::S3::Bucket"
    terraform_types = ("aws_s3_bucket_server_side_encryption_configuration",)
    cfn_property = "BucketEncryption"
    absent_codes = frozenset({"ServerSideEncryptionConfigurationNotFoundError"})
    has_principal = False
    setting = True

    def size_limit(self, patch: Patch) -> SizeLimit:
        return SizeLimit(SizeUnit.BYTES, 2048)  # one rule; no documented limit applies

    def setting_findings(self, document: dict[str, Any]) -> list[str]:
        rules = (document.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        out = []
        for rule in rules:
            by_default = (rule or {}).get("ApplyServerSideEncryptionByDefault") or {}
            algorithm = by_default.get("SSEAlgorithm")
            if algorithm not in _ALGORITHMS:
                out.append(f"SSEAlgorithm must be one of {', '.join(_ALGORITHMS)}")
            if by_default.get("KMSMasterKeyID") and algorithm == "AES256":
                out.append("KMSMasterKeyID is only for aws:kms or aws:kms:dsse")
        return out or ([] if rules else ["no encryption rule"])

    def cfn_value(self, document: dict[str, Any]) -> Any:
        """AWS::S3::Bucket BucketEncryption: {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault":
        ..., "BucketKeyEnabled": ...}]} (CloudFormation spells the rule differently from the S3 API)."""
        rules = (document.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        return {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": r.get("ApplyServerSideEncryptionByDefault"), **_bucket_key(r)}
                for r in rules
            ]
        }

    def patch(self, inp: TargetInput, statement: dict[str, Any]) -> Patch | None:
        return None  # a setting holds no statements: see `setting_patch`

    def setting_patch(self, inp: TargetInput, algorithm: str, kms_key: str, bucket_key: bool) -> Patch | None:
        """The patch that makes `kms_key` the bucket's default (None when s3why did not read the setting)."""
        view = account_view(inp.snapshot)
        if view.bucket is None:
            return None
        fact = view.bucket.get("GetBucketEncryption")
        if not fact.known:
            return None
        before = fact.value if fact.present else None
        document = configuration(algorithm, kms_key, bucket_key)
        name = view.bucket.name
        values = {
            "bucket": name,
            "document": document,
            "algorithm": algorithm,
            "kms_key": kms_key,
            "bucket_key": bucket_key,
            "resource_name": f"s3why_{name}_encryption".replace("-", "_").replace(".", "_"),
        }
        cfn: dict[str, Any] = {"BucketName": name, self.cfn_property: self.cfn_value(document)}
        return Patch(
            f"arn:aws:s3:::{name}",
            self.patch_kind,
            document,
            [render_text("commands/default-encryption.sh.j2", values)],
            before,
            render_text("terraform/default-encryption.tf.j2", values),
            render_text("cloudformation/patch.json.j2", {"cfn_type": self.cfn_type, "cfn_properties": cfn}),
            {"where": self.where.value, "bucket": name, "account": view.bucket.account},
        )

    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        snapshot["bucket"]["calls"]["GetBucketEncryption"] = patch.document

    def live_target(self, patch: Patch) -> str:
        return str(patch.apply.get("bucket") or patch.target)

    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        got = client("s3", None).get_bucket_encryption(Bucket=target)
        return {"ServerSideEncryptionConfiguration": got["ServerSideEncryptionConfiguration"]}

    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        s3 = client("s3", None)
        if text is None:
            return dict(s3.delete_bucket_encryption(Bucket=target))
        config = json.loads(text)["ServerSideEncryptionConfiguration"]
        return dict(s3.put_bucket_encryption(Bucket=target, ServerSideEncryptionConfiguration=config))


def _bucket_key(rule: dict[str, Any]) -> dict[str, Any]:
    return {"BucketKeyEnabled": bool(rule.get("BucketKeyEnabled"))}


TARGET = DefaultEncryption()
