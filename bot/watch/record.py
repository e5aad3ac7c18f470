"""One CloudTrail record -> the denied S3 request it describes, with the record's own facts as stated context, or
the reason it is not one s3why posts.

Record fields (CloudTrail User Guide, "CloudTrail record contents"): eventID, eventTime, eventSource, eventName,
errorCode, userIdentity (type, arn, invokedBy, sessionContext.sessionIssuer.arn), sourceIPAddress, userAgent,
vpcEndpointId, vpcEndpointAccountId, tlsDetails, additionalEventData (S3: CipherSuite, SignatureVersion,
AuthenticationMethod), requestParameters, recipientAccountId, readOnly, sessionCredentialFromConsole.
The request's fields are read with the parser's own CloudTrail reader (`bot.parse.cloudtrail.read_record`); the
network facts are re-derived here by AWS's rules for which condition keys a request carries:

- through a VPC endpoint (`vpcEndpointId`): `aws:SourceVpce` (and `aws:VpceAccount`); the address is the
  private one, `aws:VpcSourceIp`, and `aws:SourceIp` is absent ("aws:SourceIp is always included in the request,
  except for requests that use an Amazon VPC endpoint"; IAM User Guide, global condition keys);
- TLS: `tlsDetails` or S3's `additionalEventData.CipherSuite` -> `aws:SecureTransport=true` (a record without them
  states nothing: its absence is not documented as plain HTTP), `tlsDetails.tlsVersion` -> `s3:TlsVersion`;
- `sourceIPAddress` -> `aws:SourceIp` only when it is an address (an AWS service writes its own name there), the
  call did not go through an endpoint and no AWS service made it for the caller (`userIdentity.invokedBy`).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from bot.arn import Arn
from bot.parse.cloudtrail import read_record
from bot.parse.model import DeniedRequest
from bot.s3ops import ResourceKind, lookup_operation

# errorCode values that are an access denial (S3 API Reference "Error responses"; KMS API "Common errors";
# S3's AllAccessDisabled: "All access to this Amazon S3 resource has been disabled").
DENIAL_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AllAccessDisabled",
        "KMS.AccessDeniedException",
    }
)
SOURCES = {"s3.amazonaws.com": "s3", "kms.amazonaws.com": "kms", "s3express.amazonaws.com": "s3express"}
# KMS operations S3 calls with the caller's identity when it reads or writes an SSE-KMS object (S3 User Guide,
# "Using server-side encryption with AWS KMS keys": GetObject -> kms:Decrypt, PutObject -> kms:GenerateDataKey),
# recognised by the encryption context S3 sets: {"aws:s3:arn": "arn:aws:s3:::bucket/key"}.
_KMS_VIA_S3 = {"Decrypt": "GetObject", "GenerateDataKey": "PutObject", "ReEncrypt": "CopyObject"}
_CONSOLE_AGENTS = ("console.amazonaws.com", "signin.amazonaws.com", "[s3console", "aws internal")


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A denied S3 request read from one CloudTrail record."""

    event_id: str
    event_time: str  # ISO 8601 UTC, as CloudTrail writes it
    account: str | None  # recipientAccountId: whose CloudTrail recorded it
    caller: str  # the role (not the session), user or root: what groups events
    session: str  # the ARN as CloudTrail wrote it (a role session's own ARN)
    request: DeniedRequest
    noise: str | None = None  # why a person need not see it (counted, not posted)

    @property
    def object_arn(self) -> str | None:
        r = self.request
        return f"arn:aws:s3:::{r.bucket}/{r.key}" if r.bucket and r.key else None


@dataclass(frozen=True, slots=True)
class Ignored:
    reason: str  # "not-a-denial" | "not-s3-or-kms" | "kms-not-s3" | "malformed" | "no-principal" | "issuer-mismatch"
    # | "account-mismatch"


def read_event(record: Any) -> WatchEvent | Ignored:
    """The denied request in one CloudTrail record (a JSON object), or why it is ignored."""
    if not isinstance(record, dict) or not isinstance(record.get("eventName"), str):
        return Ignored("malformed")
    service = SOURCES.get(str(record.get("eventSource")))
    if service is None:
        return Ignored("not-s3-or-kms")
    code = str(record.get("errorCode") or "")
    if code not in DENIAL_CODES:
        return Ignored("not-a-denial")
    event_id = record.get("eventID")
    if not isinstance(event_id, str) or not event_id:
        return Ignored("malformed")
    identity = _obj(record.get("userIdentity"))
    fields = read_record(json.dumps(record))
    operation, bucket, key = _s3_request(record, service, fields.bucket, fields.key)
    if operation is None:
        return Ignored("kms-not-s3")
    session = fields.principal_arn or ""
    if not _issuer_is_the_sessions_role(identity, session):
        return Ignored("issuer-mismatch")
    if not _recipient_is_a_party(record, identity):
        return Ignored("account-mismatch")
    caller = _caller(identity, session) or _text(identity.get("invokedBy"))  # an AWS service: its own name
    if not caller and not fields.anonymous:
        return Ignored("no-principal")
    spec = lookup_operation(operation)
    request = DeniedRequest(
        source_format="cloudtrail",
        service="s3" if service == "kms" else service,
        error_code=code,
        http_status=403,
        operation=spec.operation if spec else operation,
        action=spec.primary_action if spec else None,
        bucket=bucket,
        key=key,
        principal_arn=session or None,
        resource_arn=None,
        request_id=_text(record.get("requestID")),
        region=_text(record.get("awsRegion")),
        stated_context=stated_context(record),
        anonymous=fields.anonymous,
    )
    return WatchEvent(
        event_id=event_id,
        event_time=str(record.get("eventTime") or ""),
        account=_text(record.get("recipientAccountId")),
        caller=caller or "anonymous",
        session=session or "anonymous",
        request=request,
        noise=noise_of(record, identity, caller, spec.resource if spec else None),
    )


def stated_context(record: dict[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The request-context keys the record states, by AWS's rules for which keys a request carries."""
    out: dict[str, tuple[str, ...]] = {}
    identity = _obj(record.get("userIdentity"))
    vpce = _text(record.get("vpcEndpointId"))
    address = _text(record.get("sourceIPAddress"))
    is_address = address is not None and _is_ip(address)
    if vpce:
        out["aws:SourceVpce"] = (vpce,)
        vpce_account = _text(record.get("vpcEndpointAccountId"))
        if vpce_account and vpce_account.isdigit():
            out["aws:VpceAccount"] = (vpce_account,)
        if is_address and address is not None:
            out["aws:VpcSourceIp"] = (address,)
    elif is_address and address is not None and not identity.get("invokedBy"):
        out["aws:SourceIp"] = (address,)
    tls = _obj(record.get("tlsDetails"))
    extra = _obj(record.get("additionalEventData"))
    cipher = extra.get("CipherSuite") or extra.get("cipherSuite")
    if tls or cipher:
        out["aws:SecureTransport"] = ("true",)
    version = str(tls.get("tlsVersion") or "")
    if version.startswith("TLSv"):
        out["s3:TlsVersion"] = (version.removeprefix("TLSv"),)
    signature = {"SigV4": "AWS4-HMAC-SHA256", "SigV2": "AWS"}.get(str(extra.get("SignatureVersion") or ""))
    if signature:
        out["s3:signatureversion"] = (signature,)
    auth = {"AuthHeader": "REST-HEADER", "QueryString": "REST-QUERY-STRING", "POST": "POST"}.get(
        str(extra.get("AuthenticationMethod") or "")
    )
    if auth:
        out["s3:authType"] = (auth,)
    return tuple(out.items())


def noise_of(
    record: dict[str, Any], identity: dict[str, Any], caller: str | None, resource: ResourceKind | None
) -> str | None:
    """Known noise, counted not posted: AWS services acting for themselves (an AWS service principal, a
    service-linked role under /aws-service-role/), and the console's read-only probes of a bucket's settings
    (the S3 console reads every configuration when a page opens; a denial there is what the page shows)."""
    if identity.get("type") == "AWSService":
        return "aws-service"
    if caller and ":role/aws-service-role/" in caller:
        return "service-linked-role"
    agent = str(record.get("userAgent") or "").lower()
    from_console = str(record.get("sessionCredentialFromConsole") or "").lower() == "true" or any(
        a in agent for a in _CONSOLE_AGENTS
    )
    read_only = record.get("readOnly") is True or str(record.get("readOnly")).lower() == "true"
    if from_console and read_only and resource in (ResourceKind.BUCKET, ResourceKind.ACCOUNT):
        return "console-probe"
    return None


def _s3_request(
    record: dict[str, Any], service: str, bucket: str | None, key: str | None
) -> tuple[str | None, str | None, str | None]:
    name = str(record["eventName"])
    if service != "kms":
        return name, bucket, key
    params = _obj(record.get("requestParameters"))
    context = _obj(params.get("encryptionContext"))
    arn = Arn.parse(str(context.get("aws:s3:arn") or ""))
    if arn is None or not arn.is_s3_bucket_or_object or name not in _KMS_VIA_S3:
        return None, None, None
    b, _, k = arn.resource.partition("/")
    return _KMS_VIA_S3[name], b, k or None


def _role_of(arn: str) -> tuple[str, str, str] | None:
    """(partition, account, role name) of a role ARN (any path) or of an assumed-role session ARN."""
    parsed = Arn.parse(arn)
    if parsed is None or not parsed.account:
        return None
    if parsed.service == "iam" and parsed.resource.startswith("role/"):
        return parsed.partition, parsed.account, parsed.resource.rsplit("/", 1)[-1]
    if parsed.service == "sts" and parsed.resource.startswith("assumed-role/"):
        parts = parsed.resource.split("/")
        return (parsed.partition, parsed.account, parts[1]) if len(parts) >= 3 and parts[1] else None
    return None


def _issuer_is_the_sessions_role(identity: dict[str, Any], session: str) -> bool:
    """A role's session names its role twice: `arn` (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) and
    `sessionContext.sessionIssuer.arn` (arn:aws:iam::ACCOUNT:role/PATH/ROLE). The issuer decides the group and the
    role a fix grants to, so a record where they name different roles or accounts is not taken."""
    issuer = _obj(_obj(identity.get("sessionContext")).get("sessionIssuer"))
    if issuer.get("type") != "Role" or "arn" not in issuer:
        return True
    named = _role_of(issuer["arn"]) if isinstance(issuer["arn"], str) else None
    return named is not None and named == _role_of(session)


def _recipient_is_a_party(record: dict[str, Any], identity: dict[str, Any]) -> bool:
    """`recipientAccountId` decides the channel and the account s3why reads. CloudTrail delivers an event to the
    caller's account and to the resource owner's account (CloudTrail User Guide, "CloudTrail userIdentity element":
    the recipient may differ from `userIdentity.accountId` in cross-account resource access), so the recipient must
    be one of the accounts the record names as a party — the caller's (`userIdentity.accountId`) or a resource
    owner's (`resources[].accountId`) — when it names any."""
    recipient = record.get("recipientAccountId")
    if recipient is None:
        return True
    parties = {identity.get("accountId")}
    resources = record.get("resources")
    for r in resources if isinstance(resources, list) else []:
        parties.add(_obj(r).get("accountId"))
    named = {p for p in parties if isinstance(p, str) and p}
    return not named or recipient in named


def _caller(identity: dict[str, Any], session: str) -> str | None:
    """The role behind a session (sessionContext.sessionIssuer.arn, with its path), else the caller's ARN."""
    context = _obj(identity.get("sessionContext"))
    issuer = _obj(context.get("sessionIssuer"))
    if issuer.get("type") == "Role" and isinstance(issuer.get("arn"), str):
        return str(issuer["arn"])
    arn = Arn.parse(session) if session else None
    if arn is not None and arn.service == "sts" and arn.resource.startswith("assumed-role/"):
        role = arn.resource.split("/")[1]
        return f"arn:{arn.partition}:iam::{arn.account}:role/{role}"
    return session or None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object's value, or {} for anything else (a record's fields are not trusted to have their shape)."""
    return value if isinstance(value, dict) else {}
