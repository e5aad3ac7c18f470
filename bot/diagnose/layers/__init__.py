"""Every layer check, registered in AWS's order: the orchestrator runs them in this order and merges what they
find (a later check's verdict on a layer replaces an earlier one's: KMS reports an SCP that denies the key, the
access point reports the bucket's side of a request through it).

AWS's order (S3_AUTHZ.md §0): the credentials and the signature first, then Requester Pays, then the policy
layers (explicit denies anywhere, RCPs and SCPs, the VPC endpoint, the grant by identity and resource policies,
the permissions boundary and the session policy) with the access point and CloudFront's origin access on the
resource side, then S3's own settings (Block Public Access, Object Ownership and ACLs, Object Lock), KMS, and
last whether the object exists.
"""

from __future__ import annotations

from bot.diagnose.layers import (
    access_point,
    block_public_access,
    cloudfront,
    credentials,
    engine,
    kms,
    object_lock,
    object_missing,
    ownership_and_acl,
    presigned,
    request_headers,
    requester_pays,
)
from bot.diagnose.layers.base import LayerCheck

LAYERS: tuple[LayerCheck, ...] = (
    credentials.CHECK,
    presigned.CHECK,
    request_headers.CHECK,
    requester_pays.CHECK,
    engine.CHECK,
    access_point.CHECK,
    cloudfront.CHECK,
    block_public_access.CHECK,
    ownership_and_acl.CHECK,
    object_lock.CHECK,
    kms.CHECK,
    object_missing.CHECK,
)

__all__ = ["LAYERS", "LayerCheck"]
