"""Pasted text -> the denied requests it describes (`s3why parse`).

The text may hold several errors, each spread over several lines (tracebacks, wrapped messages, an XML body
after a log line). Lines that start an error ("anchor" lines) cut the text into chunks; neighbouring chunks
that describe the same request (no conflicting code, operation, request id, bucket, key or principal) are
merged, and each merged group is read once more as a whole. Total work stays linear in the text's length.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import replace
from datetime import datetime

from bot.parse.entities import classify_word
from bot.parse.extract import KNOWN_CODES, MESSAGE_CODES, REASON_THEN_CODE, extract_request
from bot.parse.lookalikes import LOOKALIKES
from bot.parse.model import DeniedRequest, ParseResult, ParseWarning, PresignedUrl
from bot.parse.normalize import looks_binary, normalize
from bot.parse.presign import find_presigned
from bot.parse.secrets import find_secrets, redact, secret_warnings

__all__ = ["MAX_INPUT_CHARS", "DeniedRequest", "ParseResult", "ParseWarning", "parse_text"]

MAX_INPUT_CHARS = 2_000_000  # beyond this, the rest of the text is not read (and a warning says so)

# Literals that mark a line as (part of) an error. Found with str.find, a C-speed scan, so that finding every
# anchor costs a few linear passes however long the paste is.
_ANCHOR_LITERALS: tuple[str, ...] = (
    "An error occurred (",
    "A client error (",  # botocore before 1.4 (the AWS CLI 1.x of 2015): "A client error (403) occurred when ..."
    ") when calling the ",
    "(Service: ",
    "operation error ",
    "is not authorized to perform",
    "<Code>",
    "Error Code",
    'Error executing "',
    "S3::",
    "AccessDeniedException",
    "ode: '",
    "{Code: ",
    "S3 error: ",
    "S3Exception",
    "AmazonServiceException",
    "Request has expired",
    "Access to bucket '",
    "Insufficient permissions",
    "You don't have permission",
    "Access Denied",
    "AccessDenied",  # a code relayed in a sentence ("S3 returned AccessDenied for ...")
    "Access denied",
    "access denied",
    " (client): ",
    '"errorCode"',  # CloudTrail records
    '"eventVersion"',  # the first field of every CloudTrail record: one record per chunk
    'code: Some("',  # the AWS SDK for Rust's ErrorMetadata
    "Error from cloudfront",
    "Error from CloudFront",
    "failed to put file",
    "Failed to copy: ",
    "mc: <ERROR>",
    "403 Forbidden",
    "Access denied when writing output",  # Athena
    "HttpErrorResponseException",  # the AWS SDK for .NET's (and Unity's) exception for an HTTP error response
    "::Errors::",  # the AWS SDK for Ruby's error classes: Aws::S3::Errors::Forbidden
    "Excon::Error",  # Ruby's Excon (fog's HTTP client): Excon::Error::Forbidden, Excon::Errors::NotFound
    "Domain=com.amazonaws.",  # the AWS SDK for iOS's NSError: "Error Domain=com.amazonaws.AWSS3ErrorDomain Code=..."
)
# Anchors that need a pattern, each behind a literal that must be present first.
_ANCHOR_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("tatus code: ", re.compile(r"[Ss]tatus code: \d{3}, [Rr]equest id")),
    ("HTTP/", re.compile(r"HTTP/[123](?:\.[01])? [45]\d\d")),
    # s3fs-fuse, the AWS SDK for C++ ("No response body. Response code: 403" when the error has no body)
    ("esponse code", re.compile(r"(?:HTTP r|\bR)esponse code:? [45]\d\d\b")),
    ("HTTP Error ", re.compile(r"HTTP Error [45]\d\d: ")),  # Python's urllib (cfn-response)
    ("googleapi: Error ", re.compile(r"googleapi: Error [45]\d\d\b")),  # Google's Go clients (a GCS lookalike)
    ("tatus code: ", re.compile(r"(?m)^Status code: [45]\d\d$")),  # cfn-response's reply to the presigned PUT
    # An HTTP error status however a tool logs it: "(HTTP 403)", "status: 403", "Status 403", "status=403".
    ("HTTP ", re.compile(r"\bHTTP [45]\d\d\b")),
    ("(Forbidden)", re.compile(r"[45]\d\d \(Forbidden\)")),  # browser consoles: "PUT https://... 403 (Forbidden)"
    ("(Bad Request)", re.compile(r"[45]\d\d \(Bad Request\)")),
    # The reason, then its code (Apple's NSHTTPURLResponse wording: "Request failed: forbidden (403)").
    ("orbidden (", re.compile(REASON_THEN_CODE)),
    ("nauthorized (", re.compile(REASON_THEN_CODE)),
    # A status's reason as the code when S3's response had no body (HEAD): the JS SDK's "Forbidden: null".
    ("Forbidden: ", re.compile(r"(?<![.\w])(?<!\d )Forbidden: ")),
    ("retries]", re.compile(r"\[AWS [a-z0-9-]{2,40} [45]\d\d [\d.]{1,12}s \d{1,3} retries\]")),  # JS SDK v2 logger
    ("tatus", re.compile(r"[Ss]tatus(?:[ _-]?[Cc]ode)?[\"']?\s?[:=]?\s?[45]\d\d\b")),
)


# S3's documented error messages mark an error however a tool wraps them (a code it renames, none at all).
_ALL_ANCHOR_LITERALS = (
    *_ANCHOR_LITERALS,
    *(code + ":" for code in KNOWN_CODES),
    *(message for message, _ in MESSAGE_CODES if message not in _ANCHOR_LITERALS),
)


def _anchor_positions(text: str) -> list[int]:
    positions: list[int] = []
    for literal in _ALL_ANCHOR_LITERALS:
        idx = text.find(literal)
        while idx >= 0:
            positions.append(idx)
            idx = text.find(literal, idx + 1)
    for literal, pattern in _ANCHOR_PATTERNS:
        if literal in text:
            positions.extend(m.start() for m in pattern.finditer(text))
    if not positions:
        # No known marker: a code only the service models declare may still be the error.
        positions.extend(_model_code_positions(text))
    positions.sort()
    return positions


# Where a code the models declare can be read: `CODE: message` (the SDKs' form), or a name ending in one of the
# two words most modelled codes end with (`ObjectNotInActiveTierError`, Java v2's `NoSuchKeyException`). Each
# pattern starts at a capital and its classes stop where the literal after them starts: no backtracking.
_CODE_COLON = re.compile(r"([A-Z][A-Za-z0-9]{2,80}(?:\.[A-Z][A-Za-z0-9]{2,80})?): ")
_CODE_NAME = re.compile(r"([A-Z][A-Za-z0-9.]{0,100}(?:Exception|Error))\b")


def _model_code_positions(text: str) -> list[int]:
    """Where an error code the service models declare is written, checked against the vocabulary."""
    out: list[int] = []
    for needed, pattern in ((": ", _CODE_COLON), ("Exception", _CODE_NAME), ("Error", _CODE_NAME)):
        if needed not in text:
            continue
        # Distinct words first (the known codes are anchored already); positions only for a new code.
        if all(w in _KNOWN_CODE_SET or not _is_code(w) for w in set(pattern.findall(text))):
            continue
        out.extend(
            m.start()
            for m in pattern.finditer(text)
            if (m.start() == 0 or not text[m.start() - 1].isalnum()) and _is_code(m.group(1))
        )
    return out


_KNOWN_CODE_SET = frozenset(KNOWN_CODES)


def _is_code(word: str) -> bool:
    hit = classify_word(word)
    return hit is not None and hit[0] == "code"


_GENERIC_DENIAL = frozenset({"AccessDenied", "AccessDeniedException", "Forbidden", "403", "403 Forbidden"})
_COMPARED = ("operation", "request_id", "bucket", "key", "principal_arn", "resource_arn")


def _compatible(a: DeniedRequest, b: DeniedRequest) -> bool:
    """Could these two chunks describe the same request?"""
    if a.request_id is not None and a.request_id == b.request_id and None in (a.operation, b.operation):
        return True  # a request id names one request (Redshift prints the same refusal as ERROR and as DETAIL)
    for name in _COMPARED:
        va, vb = getattr(a, name), getattr(b, name)
        if va is not None and vb is not None and va != vb:
            return False
    ca, cb = a.error_code, b.error_code
    if ca is not None and cb is not None and ca != cb:
        return ca in _GENERIC_DENIAL and cb in _GENERIC_DENIAL
    return True


def _merge_fields(a: DeniedRequest, b: DeniedRequest) -> DeniedRequest:
    """What two compatible chunks say together (used only to check the next chunk against)."""
    values = {name: getattr(a, name) if getattr(a, name) is not None else getattr(b, name) for name in _COMPARED}
    return DeniedRequest(error_code=a.error_code or b.error_code, **values)


def _chunks(text: str) -> list[str]:
    """Cut the text at lines holding an anchor; lines before the first anchor belong to the first chunk."""
    line_starts = [0]
    line_starts.extend(m.end() for m in _NEWLINE.finditer(text))
    anchor_lines: list[int] = []
    for pos in _anchor_positions(text):
        line = bisect.bisect_right(line_starts, pos) - 1
        if not anchor_lines or anchor_lines[-1] != line:
            anchor_lines.append(line)
    if not anchor_lines:
        return []
    anchor_lines[0] = 0
    bounds = [line_starts[i] for i in anchor_lines] + [len(text)]
    return [text[bounds[i] : bounds[i + 1]] for i in range(len(anchor_lines))]


_NEWLINE = re.compile("\n")


def parse_text(text: str) -> ParseResult:
    """Parse pasted text into the denied requests it describes, with warnings; never raises on any str."""
    warnings: list[ParseWarning] = []
    if len(text) > MAX_INPUT_CHARS:
        warnings.append(
            ParseWarning(
                kind="truncated",
                message=f"the text is {len(text):,} characters long; only the first {MAX_INPUT_CHARS:,} were read",
            )
        )
        text = text[:MAX_INPUT_CHARS]
    spans = find_secrets(text)
    warnings.extend(secret_warnings(spans))
    redacted = redact(text, spans) if spans else text

    if looks_binary(redacted):
        warnings.append(ParseWarning(kind="binary", message="the input looks like binary data, not an error message"))
        return ParseResult((), tuple(warnings), redacted)

    # Presigned URLs are read before redaction (the signer's access key id is redacted from everything else).
    presigned = find_presigned(text)
    normal = normalize(redacted)
    if '"eventVersion"' in normal:  # compact CloudTrail JSON: each record on a line of its own
        normal = _RECORD_START.sub('{\n"eventVersion"', normal)
    chunks = _chunks(normal)
    groups: list[list[str]] = []
    summary: DeniedRequest | None = None
    for chunk in chunks if len(chunks) > 1 else ():
        fields = extract_request(chunk, brief=True)
        if groups and summary is not None and _compatible(summary, fields):
            groups[-1].append(chunk)
            summary = _merge_fields(summary, fields)
        else:
            groups.append([chunk])
            summary = fields
    if len(chunks) == 1:
        groups = [chunks]
    extracted = [(g, extract_request("\n".join(g))) for g in groups]
    # A CloudTrail record without an errorCode is a request that succeeded: not an error to explain.
    extracted = [(g, r) for g, r in extracted if not (r.source_format == "cloudtrail" and r.error_code is None)]
    groups = [g for g, _ in extracted]
    requests = tuple(
        _with_presigned(replace(req, presigned_expired=True) if _is_expired_presign(group) else req, presigned, group)
        for group, req in extracted
    )

    if not requests:
        warnings.append(ParseWarning(kind="no-error", message="no AWS error found in the text"))
    for i, req in enumerate(requests):
        look = LOOKALIKES.get(req.error_code or "")
        if look is not None:
            warnings.append(
                ParseWarning(
                    kind="lookalike",
                    message=f"{look.code} is not an access denial: {look.title}. {look.explanation}",
                    request_index=i,
                    error_code=look.code,
                )
            )
        elif req.error_code == "AccessDenied" and _is_expired_presign(groups[i]):
            warnings.append(
                ParseWarning(
                    kind="lookalike",
                    message="'Request has expired' is not a policy problem: the presigned URL's lifetime ran out "
                    "(or its temporary credentials expired). Presign it again, with a longer X-Amz-Expires if "
                    "needed (at most 7 days, and never longer than the signing credentials live).",
                    request_index=i,
                    error_code="AccessDenied",
                )
            )
    return ParseResult(requests, tuple(warnings), redacted)


_RECORD_START = re.compile(r"\{ ?\"eventVersion\"")


_S3_MESSAGE = re.compile(r"<Message>([^<]{1,300})</Message>")
_SERVER_TIME = re.compile(r"<ServerTime>\s?([0-9T:.Z+-]{10,40})\s?</ServerTime>")


def _with_presigned(
    req: DeniedRequest, found: list[tuple[tuple[str, str], PresignedUrl]], group: list[str]
) -> DeniedRequest:
    """The request with the presigned URL it was sent with: the one naming its bucket (and key), or the only one."""
    if not found:
        return req
    chosen: PresignedUrl | None = None
    for (host, path), signed in found:
        names_bucket = req.bucket is not None and (
            host.startswith(req.bucket.lower() + ".") or path.startswith(req.bucket + "/")
        )
        names_key = req.key is None or path.endswith(req.key)
        if names_bucket and names_key:
            chosen = signed
            break
    if chosen is None and len(found) == 1 and req.bucket is None:
        chosen = found[0][1]
    if chosen is None:
        return req
    if any("<ServerTime>" in chunk for chunk in group):
        times = (m.group(1) for chunk in group if (m := _SERVER_TIME.search(chunk)) is not None)
        chosen = replace(chosen, server_time=next(times, None))
    messages = (m.group(1).strip() for chunk in group if (m := _S3_MESSAGE.search(chunk)) is not None)
    if (message := next(messages, None)) is not None:
        chosen = replace(chosen, s3_message=message)
    chosen = replace(chosen, stated_time=_stated_time(group))
    context = dict(req.stated_context)
    if chosen.scheme is not None and "aws:SecureTransport" not in context:
        context["aws:SecureTransport"] = ("true" if chosen.scheme == "https" else "false",)
    # A presigned URL is query-string authentication (S3 condition keys s3:authType, s3:signatureversion, and
    # s3:signatureAge in milliseconds when both the signing and the refusal time are known).
    context.setdefault("s3:authType", ("REST-QUERY-STRING",))
    context.setdefault("s3:signatureversion", ("AWS4-HMAC-SHA256" if chosen.signature_version == "v4" else "AWS",))
    if (age := _signature_age_ms(chosen)) is not None:
        context.setdefault("s3:signatureAge", (str(age),))
    return replace(
        req,
        presigned=chosen,
        region=req.region or chosen.region,
        stated_context=tuple(context.items()),
        operation_candidates=req.operation_candidates or (() if req.operation else ("GetObject", "PutObject")),
    )


_DATE_HEADER = re.compile(r"^\s*Date:\s*([A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)", re.M)
_LOG_TIME = re.compile(r"^\W{0,3}(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})?", re.M)


def _stated_time(group: list[str]) -> str | None:
    """The response's Date header (S3's clock, RFC 7231) or else the first log timestamp, as ISO 8601."""
    from email.utils import parsedate_to_datetime

    text = "\n".join(group)
    if (m := _DATE_HEADER.search(text)) is not None:
        try:
            return parsedate_to_datetime(m.group(1)).isoformat()
        except (TypeError, ValueError):
            pass
    if (m := _LOG_TIME.search(text)) is not None:
        stamp = m.group(1).replace(" ", "T")
        offset = m.group(2) or ""
        return stamp + ("+00:00" if offset == "Z" else offset)
    return None


def _signature_age_ms(signed: PresignedUrl) -> int | None:
    """Milliseconds from X-Amz-Date to S3's <ServerTime> (SigV2 signatures have no signing time: None)."""
    if signed.signed_at is None or signed.server_time is None:
        return None
    try:
        start = datetime.fromisoformat(signed.signed_at.replace("Z", "+00:00"))
        end = datetime.fromisoformat(signed.server_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    if start.tzinfo is None or end.tzinfo is None:
        return None
    age = int((end - start).total_seconds() * 1000)
    return age if age >= 0 else None


def _is_expired_presign(group: list[str]) -> bool:
    return any("Request has expired" in chunk for chunk in group)
