"""From a parsed request (and what the person adds) to what must be collected."""

from __future__ import annotations

from bot.account.collector import Target
from bot.arn import Arn
from bot.engine.principal import is_anonymous
from bot.parse.model import DeniedRequest


def target_for(
    request: DeniedRequest | None,
    *,
    principal: str | None = None,
    bucket: str | None = None,
    key: str | None = None,
    vpce_id: str | None = None,
    access_point_arn: str | None = None,
    kms_key_arns: tuple[str, ...] = (),
    version_id: str | None = None,
    account: str | None = None,
    authorization_id: str | None = None,
) -> Target:
    keys = list(kms_key_arns)
    if request is not None:
        principal = principal or request.principal_arn
        authorization_id = authorization_id or request.authorization_id
        bucket = bucket or request.bucket
        key = key if key is not None else request.key
        resource = Arn.parse(request.resource_arn) if request.resource_arn else None
        if resource is not None and resource.service == "s3express" and resource.resource.startswith("bucket/"):
            bucket = bucket or resource.resource.split("/", 1)[1]  # a directory bucket's CreateSession denial
        if resource is not None and resource.service == "kms" and str(resource) not in keys:
            keys.append(str(resource))
        if resource is not None and resource.service == "s3" and resource.resource.startswith("accesspoint/"):
            access_point_arn = access_point_arn or str(resource)
            if key is None and "/object/" in resource.resource:
                key = resource.resource.split("/object/", 1)[1]
    if is_anonymous(principal):
        principal = None  # an unsigned request: no principal's policies to read
    return Target(
        principal_arn=principal,
        bucket=bucket,
        key=key,
        version_id=version_id,
        vpce_id=vpce_id,
        access_point_arn=access_point_arn,
        kms_key_arns=tuple(keys),
        account=account,
        authorization_id=authorization_id,
    )
