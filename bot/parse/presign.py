"""Presigned URLs: the signer and the lifetime a URL's query string states (never its signature or token).

SigV4 query authentication (S3 API Reference, "Authenticating Requests: Using Query Parameters (AWS Signature
Version 4)"): X-Amz-Algorithm=AWS4-HMAC-SHA256, X-Amz-Credential=<access key id>/<yyyymmdd>/<region>/s3/aws4_request,
X-Amz-Date=<yyyymmddThhmmssZ>, X-Amz-Expires=<seconds, 1..604800>, X-Amz-SignedHeaders, X-Amz-Signature, and
X-Amz-Security-Token when the signer used temporary credentials. SigV2 ("Query string request authentication
alternative"): AWSAccessKeyId, Expires=<epoch seconds>, Signature, x-amz-security-token.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from bot.parse.model import PresignedUrl

# A URL with a query string; `&amp;` (as Slack and HTML deliver `&`) is undone before the query is read.
# The whole URL is one token (so a match never rescans another's text); its query is split off in Python.
_URL = re.compile(r"(https?)://([^\s\"'`<>|]{1,8192})")
_PARAM = re.compile(r"(?:^|&)([A-Za-z-]{1,40})=([^&]{0,2048})")
_MARKERS = ("x-amz-credential=", "awsaccesskeyid=")


def find_presigned(text: str) -> list[tuple[tuple[str, str], PresignedUrl]]:
    """Every presigned URL in `text` (raw, not yet redacted): ((host, path), what its query states), in order."""
    low = text.lower()
    if not any(marker in low for marker in _MARKERS):
        return []
    out: list[tuple[tuple[str, str], PresignedUrl]] = []
    for m in _URL.finditer(text.replace("&amp;", "&")):
        scheme, (where, _, query) = m.group(1), m.group(2).partition("?")
        if not query:
            continue
        params = {k.lower(): unquote(v) for k, v in _PARAM.findall(query)}
        signed = _presigned(scheme, params)
        if signed is not None:
            host, _, path = where.partition("/")
            out.append(((host.lower(), unquote(path)), signed))
    return out


def _presigned(scheme: str, params: dict[str, str]) -> PresignedUrl | None:
    temporary = "x-amz-security-token" in params
    if "x-amz-credential" in params:
        scope = params["x-amz-credential"].split("/")
        akid = scope[0] if _is_key_id(scope[0]) else None
        region = scope[2] if len(scope) >= 5 and scope[2] else None
        signed_at = _amz_date(params.get("x-amz-date", ""))
        expires = params.get("x-amz-expires", "")
        seconds = int(expires) if expires.isdigit() and len(expires) <= 9 else None
        expires_at = signed_at + timedelta(seconds=seconds) if signed_at is not None and seconds is not None else None
        return PresignedUrl(
            signature_version="v4",
            access_key_id=akid,
            signed_at=_iso(signed_at),
            expires_seconds=seconds,
            expires_at=_iso(expires_at),
            temporary_credentials=temporary,
            region=region,
            scheme=scheme,
        )
    if "awsaccesskeyid" in params:
        akid = params["awsaccesskeyid"]
        expires = params.get("expires", "")
        epoch = int(expires) if expires.isdigit() and len(expires) <= 12 else None
        return PresignedUrl(
            signature_version="v2",
            access_key_id=akid if _is_key_id(akid) else None,
            expires_at=_iso(datetime.fromtimestamp(epoch, UTC)) if epoch is not None else None,
            temporary_credentials=temporary,
            scheme=scheme,
        )
    return None


# IAM API Reference (AccessKeyMetadata): an access key id is 16 to 128 characters; AWS's own are AKIA/ASIA + 16.
_KEY_ID = re.compile(r"^(?:AKIA|ASIA)[A-Z0-9]{12,124}$")


def _is_key_id(value: str) -> bool:
    return _KEY_ID.match(value) is not None


def _amz_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None
