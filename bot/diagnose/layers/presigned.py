"""Presigned URLs: a presigned request is authorized with its signer's permissions at the time of the request,
and only while the URL's lifetime lasts: SigV4 X-Amz-Date + X-Amz-Expires (at most 604800 s), SigV2 Expires
(epoch seconds), and never beyond the signing credentials. S3 User Guide, "Sharing objects with presigned URLs";
S3 API Reference, "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)".

The time of the error is S3's `<ServerTime>` when the text carries it, else the time the text gives (the response's
Date header, a log timestamp); only a text with no time of its own is compared with now, and s3why says so. S3
checks the lifetime first and answers an expired URL with "Request has expired": an error with another message
("Access Denied") was refused while the URL was still valid, whatever today's clock says.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.diagnose.layers.base import Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import ALLOW, DENY, NOT_APPLICABLE
from bot.diagnose.options import context_value
from bot.layers import LayerId
from bot.parse.model import PresignedUrl

_RESIGN = "presign it again (a lifetime of at most 7 days, and no longer than the signing credentials live)"


def _now() -> datetime:
    return datetime.now(UTC)


def _moment(text: str | None) -> datetime | None:
    """An ISO 8601 time, in UTC when it states no offset (the caller decides what a missing offset means)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# A log timestamp without an offset may be in any time zone: UTC-12 to UTC+14.
_ZONE_SLACK = timedelta(hours=14)


def _naive(text: str) -> bool:
    return _moment(text) is not None and datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is None


def lifetime(signed: PresignedUrl, now: Callable[[], datetime] = _now) -> tuple[bool | None, str]:
    """Whether the URL had expired when the request was refused (None: the URL states no lifetime, or the text's
    time cannot tell), and how s3why knows: against S3's <ServerTime>, else the time the text gives (the response's
    Date header, a log timestamp), else now."""
    expires_at = _moment(signed.expires_at)
    if expires_at is None:
        return None, "the URL states no expiry time"
    server, stated = _moment(signed.server_time), _moment(signed.stated_time)
    if server is not None:
        when, against = server, f"S3's server time {signed.server_time}"
    elif stated is not None and signed.stated_time is not None:
        against = f"the time the text gives, {signed.stated_time}"
        if _naive(signed.stated_time):
            against += " (no time zone)"
            if stated - _ZONE_SLACK < expires_at <= stated + _ZONE_SLACK:
                return None, f"the URL expires at {signed.expires_at}: {against} cannot tell whether it had expired"
        when = stated
    else:
        when, against = now(), "now (the text gives no time of its own)"
    if when >= expires_at:
        return True, f"the URL expired at {signed.expires_at}, before {against}"
    return False, f"the URL is valid until {signed.expires_at} (compared with {against})"


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    signed = subject.req.presigned
    expired, how = lifetime(signed) if signed is not None else (None, "")
    temporary = signed is not None and (signed.temporary_credentials or (signed.access_key_id or "").startswith("ASIA"))
    session = (
        "; it was signed with temporary credentials, so it also stopped working when that session ended"
        if temporary
        else ""
    )
    # S3 checks a presigned URL's lifetime before any policy and answers "Request has expired" (S3 API Reference,
    # "Authenticating Requests: Using Query Parameters"): when the lifetime is only compared with now, a text that
    # states another reason for the denial shows the URL was still valid when it was refused.
    # S3's own error body for the refusal is such a statement too: any <Message> other than "Request has expired".
    by_now_only = expired and signed is not None and signed.server_time is None and signed.stated_time is None
    s3_message = signed.s3_message if signed is not None else None
    refused_otherwise = s3_message is not None and "request has expired" not in s3_message.lower()
    other_reason = subject.req.policy_type is not None or subject.req.reason is not None or refused_otherwise
    if by_now_only and other_reason and not subject.req.presigned_expired:
        stated = (
            f"S3 refused it with {s3_message!r}, not 'Request has expired'"
            if refused_otherwise and subject.req.policy_type is None and subject.req.reason is None
            else "the error states another reason"
        )
        out.set(
            LayerId.PRESIGNED_URL,
            ALLOW,
            f"{how}; {stated}, so the URL was still valid when it was refused{session}",
        )
    elif subject.req.presigned_expired or expired:
        detail = how if expired else "the presigned URL's lifetime ran out (Request has expired)"
        out.set(LayerId.PRESIGNED_URL, DENY, detail + session)
        out.cause(
            LayerId.PRESIGNED_URL,
            "setting",
            f"the presigned URL expired ({detail}): {_RESIGN}",
        )
    elif signed is not None:
        who = f" ({subject.principal_arn})" if subject.principal_arn else ""
        out.set(
            LayerId.PRESIGNED_URL,
            ALLOW,
            f"a presigned URL is authorized as its signer{who}, not as whoever sends it; {how}{session}",
        )
    elif context_value(subject.options.context, "s3:authType") == "REST-QUERY-STRING":
        out.set(LayerId.PRESIGNED_URL, ALLOW, "a presigned URL is authorized with its signer's current permissions")
    else:
        out.set(LayerId.PRESIGNED_URL, NOT_APPLICABLE, "not a presigned request (pass s3:authType=REST-QUERY-STRING)")
    return out.done()


CHECK = LayerCheck(
    name="presigned",
    layers=(LayerId.PRESIGNED_URL,),
    reads=("the URL's signer and lifetime in the text (X-Amz-Date, X-Amz-Expires, Expires, ServerTime)", "s3:authType"),
    needs=Needs.TEXT,
    evaluate=evaluate,
)
