"""Find and redact AWS credentials people paste by accident.

Every pattern starts with a literal or a fixed-width class and has bounded repetition, so scanning is linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parse.model import ParseWarning


@dataclass(frozen=True, slots=True)
class SecretSpan:
    kind: str
    start: int
    end: int


_B64 = r"A-Za-z0-9/+"
# (kind, literals of which one must be in the lower-cased text, pattern, group holding the secret)
_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str], int], ...] = (
    (
        "aws-access-key-id",
        ("akia", "asia", "agpa", "aida", "aroa", "anpa", "abia", "acca"),
        re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Z0-9])"),
        1,
    ),
    (
        "aws-secret-access-key",
        ("secret",),
        re.compile(
            r"(?i:secret[_ -]?(?:access[_ -]?)?key|SecretAccessKey|aws_secret)[\"']?\s{0,5}[:=]\s{0,5}[\"']?"
            rf"([{_B64}]{{40}})(?![{_B64}=])"
        ),
        1,
    ),
    (
        "aws-session-token",
        ("token",),
        re.compile(
            r"(?i:session[_ -]?token|security[_ -]?token|SessionToken)[\"']?\s{0,5}[:=]\s{0,5}[\"']?"
            rf"([{_B64}=%]{{40,4096}})"
        ),
        1,
    ),
    ("aws-session-token", ("x-amz-security-token",), re.compile(r"(?i:X-Amz-Security-Token)=([^&\s\"'<>]{1,4096})"), 1),
    (
        "aws-session-token",
        ("fwogzxivyxdze", "iqojb3jpz2lu"),
        re.compile(rf"\b((?:FwoGZXIvYXdzE|IQoJb3JpZ2luX2Vj|IQoJb3JpZ2lu)[{_B64}=]{{20,4096}})"),
        1,
    ),
    ("presigned-signature", ("x-amz-signature",), re.compile(r"(?i:X-Amz-Signature)=([0-9a-fA-F]{16,128})"), 1),
    ("presigned-credential", ("x-amz-credential",), re.compile(r"(?i:X-Amz-Credential)=([^&\s\"'<>]{1,512})"), 1),
    ("presigned-signature", ("signature=",), re.compile(r"[?&]Signature=([^&\s\"'<>]{8,256})"), 1),
)

_MESSAGES = {
    "aws-access-key-id": "an AWS access key id was pasted; it is redacted. Deactivate and rotate the key if its secret "
    "was exposed too.",
    "aws-secret-access-key": "an AWS secret access key was pasted; it is redacted. Rotate it now: anyone who saw it "
    "can act as its owner.",
    "aws-session-token": "an AWS session token was pasted; it is redacted. Revoke the session (or let it expire) and "
    "avoid pasting credentials.",
    "presigned-signature": "a presigned URL's signature was pasted; it is redacted. Anyone with the full URL can "
    "use it until it expires.",
    "presigned-credential": "a presigned URL's credential scope (it holds the access key id) was pasted; it is "
    "redacted.",
}


# Candidate tokens for a bare secret key: runs of base64 characters, checked in Python (one linear scan).
_B64_RUN = re.compile(r"[A-Za-z0-9/+=]{40,}")


def _bare_secret_keys(text: str) -> list[SecretSpan]:
    """A 40-character secret access key on its own: exactly 40 base64 characters, mixed case and a digit."""
    out: list[SecretSpan] = []
    for m in _B64_RUN.finditer(text):
        token = m.group(0)
        if (
            len(token) == 40
            and "=" not in token
            and "//" not in token
            and not token.startswith("/")
            and not token.endswith("/")
            and any(c.islower() for c in token)
            and any(c.isupper() for c in token)
            and any(c.isdigit() for c in token)
        ):
            out.append(SecretSpan("aws-secret-access-key", m.start(), m.end()))
    return out


def find_secrets(text: str) -> list[SecretSpan]:
    """All credential spans in the text, without overlaps, in order."""
    found: list[SecretSpan] = _bare_secret_keys(text)
    low = text.lower()
    for kind, literals, pattern, group in _PATTERNS:
        if not any(lit in low for lit in literals):
            continue
        for m in pattern.finditer(text):
            found.append(SecretSpan(kind, m.start(group), m.end(group)))
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    merged: list[SecretSpan] = []
    for span in found:
        if merged and span.start < merged[-1].end:
            continue  # the longer, earlier span already covers it
        merged.append(span)
    return merged


def redact(text: str, spans: list[SecretSpan]) -> str:
    """The text with each secret span replaced by `[REDACTED:kind]`."""
    out: list[str] = []
    pos = 0
    for span in spans:
        out.append(text[pos : span.start])
        out.append(f"[REDACTED:{span.kind}]")
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def secret_warnings(spans: list[SecretSpan]) -> list[ParseWarning]:
    return [
        ParseWarning(kind="secret", message=_MESSAGES[s.kind], secret_type=s.kind, start=s.start, end=s.end)
        for s in spans
    ]
