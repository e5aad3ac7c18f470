"""CloudTrail event records (JSON, as the console's "Event record" or a trail's log file shows them).

Fields read (CloudTrail User Guide, "CloudTrail record contents"): eventSource, eventName, awsRegion,
sourceIPAddress, errorCode, errorMessage, requestParameters (bucketName, key, Host, and S3's request headers such
as x-amz-acl), userIdentity (type, arn, accountId), vpcEndpointId, vpcEndpointAccountId, requestID, tlsDetails,
resources, additionalEventData (SignatureVersion, AuthenticationMethod). Read by field from the flattened text,
not with a JSON parser: pastes are often cut short or wrapped, and each pattern is bounded, so a hostile text
costs one pass.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

_STRING = r"\"([^\"\\]{0,2048})\""


def _field(name: str) -> re.Pattern[str]:
    return re.compile(r"\"" + name + r"\" ?: ?" + _STRING)


_EVENT_NAME = _field("eventName")
_EVENT_SOURCE = _field("eventSource")
_REGION = _field("awsRegion")
_SOURCE_IP = _field("sourceIPAddress")
_ERROR_CODE = _field("errorCode")
_VPCE = _field("vpcEndpointId")
_VPCE_ACCOUNT = _field("vpcEndpointAccountId")
_BUCKET = _field("bucketName")
_KEY = _field("key")
_RESOURCE_ARN = re.compile(r"\"ARN\" ?: ?\"(arn:[^\"\\]{1,2048})\"")  # the first of "resources"
_SIGNATURE_VERSION = _field("SignatureVersion")
_AUTH_METHOD = _field("AuthenticationMethod")
# userIdentity's own arn: the first "arn" before any nested object (sessionIssuer's arn is the role's).
_IDENTITY = re.compile(r"\"userIdentity\" ?: ?\{([^{}]{0,4096})")
_IDENTITY_ARN = _field("arn")
_IDENTITY_ACCOUNT = _field("accountId")
_IDENTITY_TYPE = _field("type")

# s3:signatureversion and s3:authType values (S3 User Guide, "Amazon S3 condition key examples").
_SIGNATURE_VERSIONS = {"SigV4": "AWS4-HMAC-SHA256", "SigV2": "AWS"}
_AUTH_TYPES = {"AuthHeader": "REST-HEADER", "QueryString": "REST-QUERY-STRING", "POST": "POST"}


@dataclass(frozen=True, slots=True)
class TrailRecord:
    event_name: str | None = None
    service: str | None = None  # from eventSource: "s3.amazonaws.com" -> "s3"
    error_code: str | None = None
    region: str | None = None
    bucket: str | None = None
    key: str | None = None
    principal_arn: str | None = None
    resource_arn: str | None = None
    anonymous: bool = False
    context: tuple[tuple[str, str], ...] = ()


def is_record(flat: str) -> bool:
    return '"eventName"' in flat and ('"eventSource"' in flat or '"userIdentity"' in flat)


def read_record(flat: str) -> TrailRecord:
    """The first record's fields in `flat` (one chunk of the paste, whitespace collapsed)."""

    def get(pattern: re.Pattern[str], text: str = flat) -> str | None:
        m = pattern.search(text)
        return m.group(1) if m is not None and m.group(1) else None

    source = get(_EVENT_SOURCE)
    service = source.split(".", 1)[0] if source and source.endswith(".amazonaws.com") else None
    principal = None
    anonymous = False
    if (ident := _IDENTITY.search(flat)) is not None:
        body = ident.group(1)
        principal = get(_IDENTITY_ARN, body)
        anonymous = get(_IDENTITY_ACCOUNT, body) == "ANONYMOUS_PRINCIPAL" or get(_IDENTITY_TYPE, body) == "Anonymous"
    context: list[tuple[str, str]] = []
    if (vpce := get(_VPCE)) is not None:
        context.append(("aws:SourceVpce", vpce))
    if (vpce_account := get(_VPCE_ACCOUNT)) is not None and vpce_account.isdigit():
        context.append(("aws:VpceAccount", vpce_account))
    if (ip := get(_SOURCE_IP)) is not None and _is_ip(ip):
        # Through a VPC endpoint the request carries no aws:SourceIp; the caller's private address is
        # aws:VpcSourceIp (IAM User Guide, "AWS global condition context keys", Availability of each key).
        context.append(("aws:VpcSourceIp" if vpce is not None else "aws:SourceIp", ip))
    if '"tlsDetails"' in flat:  # CloudTrail records TLS details only for requests that used TLS
        context.append(("aws:SecureTransport", "true"))
    if (version := _SIGNATURE_VERSIONS.get(get(_SIGNATURE_VERSION) or "")) is not None:
        context.append(("s3:signatureversion", version))
    if (auth := _AUTH_TYPES.get(get(_AUTH_METHOD) or "")) is not None:
        context.append(("s3:authType", auth))
    return TrailRecord(
        event_name=get(_EVENT_NAME),
        service=service,
        error_code=get(_ERROR_CODE),
        region=get(_REGION),
        bucket=get(_BUCKET),
        key=get(_KEY),
        principal_arn=principal if principal and principal.startswith("arn:") else None,
        resource_arn=get(_RESOURCE_ARN) if '"resources"' in flat else None,
        anonymous=anonymous,
        context=tuple(context),
    )


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
