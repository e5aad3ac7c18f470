"""The one ARN parser: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (the resource part may hold colons)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn | None:
        """Parse an ARN; None when the text is not one."""
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
            return None
        return cls(parts[1], parts[2], parts[3], parts[4], parts[5])

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """The part of the resource before the first `/` or `:` (e.g. `role`, `assumed-role`, `key`)."""
        for i, ch in enumerate(self.resource):
            if ch in "/:":
                return self.resource[:i]
        return self.resource

    # --- S3 -------------------------------------------------------------------------------------------
    @property
    def is_s3_bucket_or_object(self) -> bool:
        return self.service == "s3" and not self.region and not self.account and bool(self.resource)

    @property
    def s3_bucket(self) -> str | None:
        """The bucket of an `arn:aws:s3:::bucket[/key]` ARN."""
        if not self.is_s3_bucket_or_object:
            return None
        return self.resource.split("/", 1)[0]

    @property
    def s3_key(self) -> str | None:
        """The object key of an `arn:aws:s3:::bucket/key` ARN (None for a bucket ARN)."""
        if not self.is_s3_bucket_or_object or "/" not in self.resource:
            return None
        return self.resource.split("/", 1)[1]

    # --- IAM / STS principals -------------------------------------------------------------------------
    @property
    def is_role_session(self) -> bool:
        return self.service == "sts" and self.resource.startswith("assumed-role/")

    @property
    def role_name_of_session(self) -> str | None:
        if not self.is_role_session:
            return None
        parts = self.resource.split("/")
        return parts[1] if len(parts) >= 3 else None

    @property
    def session_name(self) -> str | None:
        if not self.is_role_session:
            return None
        parts = self.resource.split("/", 2)
        return parts[2] if len(parts) == 3 else None


def s3_arn(bucket: str, key: str | None = None, partition: str = "aws") -> str:
    """The ARN S3 authorizes against: `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key` (key as stored)."""
    return f"arn:{partition}:s3:::{bucket}" if key is None else f"arn:{partition}:s3:::{bucket}/{key}"
