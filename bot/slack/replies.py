"""What a reply in a diagnosis's thread says: the facts s3why asked for (issue 12 §2).

s3why asks in the thread for what the error text does not say — who made the call, which operation, which object,
how the request was sent. A reply that names any of these continues the diagnosis with them; a reply that names
none is ordinary conversation and is left alone. Pure: text in, facts out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.s3ops import S3_OPERATIONS

_PRINCIPAL = re.compile(
    r"\barn:aws[a-z-]*:(?:iam::\d{12}:(?:role|user)/[\w+=,.@/-]{1,512}"
    r"|sts::\d{12}:assumed-role/[\w+=,.@-]{1,64}/[\w+=,.@-]{1,64})"
)
_S3_URL = re.compile(r"\bs3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/([^\s<>`'\"|]{1,1024}))?")
_VPCE = re.compile(r"\bvpce-[0-9a-f]{8,17}\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,40}")
_OPERATIONS = {name.lower(): name for name in S3_OPERATIONS}
# Plain words people use for the usual operations, only when no operation name is given.
_VERBS = {
    "download": "GetObject",
    "downloading": "GetObject",
    "read": "GetObject",
    "reading": "GetObject",
    "upload": "PutObject",
    "uploading": "PutObject",
    "write": "PutObject",
    "writing": "PutObject",
    "delete": "DeleteObject",
    "deleting": "DeleteObject",
    "list": "ListObjectsV2",
    "listing": "ListObjectsV2",
}
_HTTP = re.compile(r"\b(?:plain\s+http|over\s+http|http://)", re.IGNORECASE)
_HTTPS = re.compile(r"\b(?:over\s+https|https://|via\s+https|tls)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReplyFacts:
    """The facts a reply names; every field None/empty when it names nothing s3why asked for."""

    principal: str | None = None
    operation: str | None = None  # an operation named as such ("GetObject")
    operation_guess: str | None = None  # from a plain verb ("uploading"): used only when s3why asked which
    bucket: str | None = None
    key: str | None = None
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any((self.principal, self.operation, self.operation_guess, self.bucket, self.key, self.context))


def reply_facts(text: str) -> ReplyFacts:
    """Read a thread reply (as Slack delivers it; `<...>` links unwrapped first) for the facts s3why asks about."""
    text = re.sub(r"<([^<>|\s]{1,2048})(?:\|[^<>]{0,512})?>", r"\1", text[:4000])
    principal = m.group(0) if (m := _PRINCIPAL.search(text)) else None
    bucket = key = None
    if m := _S3_URL.search(text):
        bucket, key = m.group(1), m.group(2) or None
    operation = None
    words = _WORD.findall(text)
    for w in words:
        if w.lower() in _OPERATIONS:
            operation = _OPERATIONS[w.lower()]
            break
    guess = None if operation else next((_VERBS[w.lower()] for w in words if w.lower() in _VERBS), None)
    context: dict[str, tuple[str, ...]] = {}
    if _HTTP.search(text):
        context["aws:SecureTransport"] = ("false",)
    elif _HTTPS.search(text):
        context["aws:SecureTransport"] = ("true",)
    if m := _VPCE.search(text):
        context["aws:SourceVpce"] = (m.group(0),)
    return ReplyFacts(principal, operation, guess, bucket, key, context)
