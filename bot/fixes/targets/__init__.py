"""The policy targets, one module each, in one table (see `base.PolicyTarget`).

where             catalogue      module            size limit                 CloudFormation type
principal-inline  principal      identity.py       10,240 / 2,048 non-space   AWS::IAM::RolePolicy / UserPolicy
managed           boundary       managed.py        6,144 non-space            AWS::IAM::ManagedPolicy
bucket            bucket         bucket.py         20 KB                      AWS::S3::BucketPolicy
key               key            key.py            32 KB                      AWS::KMS::Key
vpce              vpc_endpoint   vpc_endpoint.py   20,480 characters          AWS::EC2::VPCEndpoint
access-point      access_point   access_point.py   20 KB                      AWS::S3::AccessPoint
multi-region-access-point (multi_region_access_point, multi_region_access_point.py): 20 KB,
                  AWS::S3::MultiRegionAccessPointPolicy
ownership-controls    (setting)  ownership.py  -                          AWS::S3::Bucket OwnershipControls
default-encryption    (setting)  encryption.py -                          AWS::S3::Bucket BucketEncryption
"""

from __future__ import annotations

from typing import Any

from bot.fixes.model import Patch
from bot.fixes.targets import (
    access_point,
    bucket,
    encryption,
    identity,
    key,
    managed,
    multi_region_access_point,
    ownership,
    vpc_endpoint,
)
from bot.fixes.targets.base import (
    ClientFor,
    PolicyTarget,
    SizeLimit,
    TargetInput,
    Where,
    WriteRefused,
    merge,
)
from bot.fixes.targets.identity import FIX_POLICY_NAME

TARGETS: dict[Where, PolicyTarget] = {
    m.TARGET.where: m.TARGET
    for m in (
        identity,
        managed,
        bucket,
        key,
        vpc_endpoint,
        access_point,
        multi_region_access_point,
        ownership,
        encryption,
    )
}
BY_CATALOGUE_NAME: dict[str, PolicyTarget] = {t.catalogue_name: t for t in TARGETS.values()}


def target_of(patch: Patch) -> PolicyTarget | None:
    """The target a patch writes (None: a request-side change, a setting, an IaC change)."""
    where = patch.apply.get("where")
    try:
        return TARGETS[Where(where)] if isinstance(where, str) else None
    except ValueError:
        return None


def target_for(where: str) -> PolicyTarget | None:
    try:
        return TARGETS[Where(where)]
    except ValueError:
        return None


def put_patches(snapshot: dict[str, Any], patches: list[Patch]) -> None:
    """Put each patch's document into `snapshot` (a copy the caller owns)."""
    for p in patches:
        target = target_of(p)
        if target is not None:
            target.put(snapshot, p)


__all__ = [
    "BY_CATALOGUE_NAME",
    "FIX_POLICY_NAME",
    "TARGETS",
    "ClientFor",
    "PolicyTarget",
    "SizeLimit",
    "TargetInput",
    "Where",
    "WriteRefused",
    "merge",
    "put_patches",
    "target_for",
    "target_of",
]
