"""Find and redact the credentials people paste by accident, before anything is stored, posted or logged.

Two sources, merged into one list of non-overlapping spans:
- detect-secrets' regex plugins (AWS access keys, Slack tokens and webhooks, GitHub, GitLab, JWTs, credentials in
  URLs, Stripe, Twilio, SendGrid, npm, PyPI, OpenAI, Azure storage keys, ...) and its base64 high-entropy
  detector (quoted strings only, entropy above 4.5, at least 20 characters, never what follows a key that names
  a request id, host id, ETag or checksum). Its hex-entropy detector is not used: request ids, ETags and
  checksums are hex, and the one hex secret that matters (a SigV4 signature) has its own rule. Its public-IP
  detector is not used either (an address is evidence for `aws:SourceIp`, not a credential).
- s3why's own rules for what detect-secrets misses: secret access keys and session tokens by name or on their
  own (also JSON-escaped, `\\/` for `/`; STS tokens led by `FwoGZXIvYXdzE`, `IQoJb3JpZ2lu` or the older
  `AQoDYXdzE`), presigned-URL signatures (SigV4 `X-Amz-Signature` in any case and percent-encoded as
  `X%2DAmz%2DSignature`, SigV2 `Signature=`, also after `&amp;` as Slack delivers `&`), `X-Amz-Credential`,
  `X-Amz-Security-Token`, the signature of a SigV4 `Authorization` header and of a SigV2 one (`AWS KEY:SIG`),
  bearer tokens, whole PEM private-key blocks, Slack app tokens (`xapp-`), every GitHub
  token form (`ghp_` ... and `github_pat_`), passwords or API keys written as `name=value`, and the value after
  any setting whose name says it is secret (`fs.s3a.secret.key=`, `-D...secret...=`, `--secret=`, `"secretKey":`,
  YAML or JSON; not an S3 object `Key`, a `KmsKeyId` or a paging token), a secret key touched by `=` or following
  an access key id (`AKIA.../KEY`), and a key split over lines (`\\` continuation, YAML `>-`, plain wrap).

Encoded and obfuscated credentials too: JSON escapes, percent-encoding, base64 (a Kubernetes Secret's values), HTML
character references (numeric ones with or without `;`), NFKC-equivalent characters (full-width `／`), and
invisible characters inside a token (Unicode's Default_Ignorable_Code_Point set, no-break spaces). The rules
run on a decoded, normalised copy; what is redacted is the original span.

Every pattern is literal-led or fixed-width with bounded repetition, so a scan is linear in the text's length.
"""

from __future__ import annotations

import base64
import html
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.parse.model import ParseWarning


@dataclass(frozen=True, slots=True)
class SecretSpan:
    kind: str
    start: int
    end: int


_B64 = r"A-Za-z0-9/+"
_B64_JSON = r"(?:[A-Za-z0-9+]|\\?/)"  # a base64 character, `/` possibly JSON-escaped as `\/`
# (kind, literals of which one must be in the lower-cased text, pattern, group holding the secret)
_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str], int], ...] = (
    (
        "aws-access-key-id",
        ("akia", "asia", "agpa", "aida", "aroa", "anpa", "abia", "acca", "a3t"),
        re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})(?![A-Z0-9])"),
        1,
    ),
    (
        "aws-secret-access-key",
        ("secret",),
        re.compile(
            r"(?i:secret[_ -]?(?:access[_ -]?)?key|SecretAccessKey|aws_secret)\\?[\"']?\s{0,5}[:=]\s{0,5}\\?[\"']?"
            # the value under a secret key's name, whatever its length (a key with a character too many is still
            # a secret), and its continuation when wrapped onto an indented line of its own
            rf"({_B64_JSON}{{20,4096}}+={{0,2}}"
            rf"(?:\r?\n[ \t]{{1,40}}{_B64_JSON}{{1,4096}}+={{0,2}}(?=[ \t]*(?:\r?\n|$)))?)"
        ),
        1,
    ),
    (
        "aws-session-token",
        ("token",),
        re.compile(
            r"(?i:session[_ -]?token|security[_ -]?token|SessionToken)\\?[\"']?\s{0,5}[:=]\s{0,5}\\?[\"']?"
            r"((?:[A-Za-z0-9+=%]|\\?/){40,4096})"
        ),
        1,
    ),
    ("aws-session-token", ("x-amz-security-token",), re.compile(r"(?i:X-Amz-Security-Token)=([^&\s\"'<>]{1,4096})"), 1),
    (
        "aws-session-token",
        ("fwogzxivyxdze", "iqojb3jpz2lu", "aqodyxdze"),  # AQoDYXdzE: the older STS session tokens
        re.compile(r"\b((?:FwoGZXIvYXdzE|IQoJb3JpZ2luX2Vj|IQoJb3JpZ2lu|AQoDYXdzE)(?:[A-Za-z0-9+=]|\\?/){20,4096})"),
        1,
    ),
    # `X-Amz-Signature=` in any case mix, and percent-encoded (`X%2DAmz%2DSignature%3D`) as a URL inside a URL.
    (
        "presigned-signature",
        ("x-amz-signature", "x%2damz%2dsignature"),
        re.compile(r"(?i:X(?:-|%2D)Amz(?:-|%2D)Signature(?:=|%3D))([0-9a-fA-F]{16,128})"),
        1,
    ),
    ("presigned-credential", ("x-amz-credential",), re.compile(r"(?i:X-Amz-Credential)=([^&\s\"'<>]{1,512})"), 1),
    # SigV2 presigned URLs: `?Signature=` or `&Signature=`, and `&amp;Signature=` as Slack delivers `&`.
    ("presigned-signature", ("signature=",), re.compile(r"(?:[?&;])Signature=([^&\s\"'<>]{8,256})"), 1),
    # The signature of a SigV2 Authorization header: `Authorization: AWS AKIA...:<base64 HMAC-SHA1>`.
    (
        "request-signature",
        ("aws ",),
        re.compile(r"(?i:\bAWS) {1,5}[A-Z0-9]{16,128}:([A-Za-z0-9+/]{20,88}={0,2})(?![A-Za-z0-9+/=])"),
        1,
    ),
    # The signature of a SigV4 Authorization header: `..., Signature=<64 hex>`.
    ("request-signature", ("signature=",), re.compile(r"(?i:\bSignature=)([0-9a-fA-F]{64})(?![0-9a-fA-F])"), 1),
    (
        "private-key",
        ("private key-----",),
        re.compile(
            r"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY-----"
            r"(?:[^-]{0,16384}?-----END[A-Z0-9 ]{0,40} PRIVATE KEY-----|[A-Za-z0-9+/=\s\\:,-]{0,16384})"
        ),
        0,
    ),
    ("slack-token", ("xox", "xapp-"), re.compile(r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,250}"), 0),
    (
        "slack-webhook",
        ("hooks.slack.com",),
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows)/[\w/]{10,200}"),
        0,
    ),
    ("github-token", ("gh",), re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,251}\b"), 0),
    ("github-token", ("github_pat_",), re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}"), 0),
    (
        "jwt",
        ("eyj",),
        re.compile(
            r"(?<![A-Za-z0-9_=-])eyJ[A-Za-z0-9_=-]{4,8192}\.[A-Za-z0-9_=-]{2,16384}\.?[A-Za-z0-9_.+/=-]{0,8192}"
        ),
        0,
    ),
    ("npm-token", ("_authtoken",), re.compile(r":_authToken=\s{0,5}(npm_[A-Za-z0-9]{36}|[A-Fa-f0-9-]{36})"), 1),
    ("bearer-token", ("bearer",), re.compile(r"(?i:\bBearer)\s{1,5}([A-Za-z0-9\-._~+/]{16,4096}=*)"), 1),
    (
        "password",
        ("pass", "pwd", "secret", "key", "token"),
        re.compile(
            r"(?i:passw(?:or)?d|\bpwd|client[_-]?secret|api[_-]?key|access[_-]?token|auth[_-]?token|private[_-]?token)"
            r"\w{0,20}\\?[\"']?\s{0,5}[:=]\s{0,5}\\?[\"']?([^\s\"'&,;<>\\]{4,256})"
        ),
        1,
    ),
)

# Any other name that says it holds a secret: `spark.hadoop.fs.s3a.secret.key=`, `-Dfs.s3a.secret.key=`,
# `S3_SECRET=`, `--secret=`, `"secretKey": "..."`, `db_password: ...`, YAML or JSON. The name is a run of word
# characters, dots and dashes (a leading `-D` or `--` of a command line included); what counts is read from its
# words (bot.parse.secrets._secret_name), so an S3 object `Key`, a KMS `KeyId`, a `ContinuationToken` stay.
_NAMED_VALUE = re.compile(
    r"(?<![\w.-])(-{0,2}[A-Za-z_][\w.-]{0,100})\\?[\"']?\s{0,5}[:=]\s{0,5}\\?[\"']?([^\s\"'&,;<>\\|`]{6,4096})"
)
_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SECRET_WORDS = frozenset({"secret", "secrets", "password", "passwd", "pwd", "pass", "passphrase", "token", "tokens",
                           "credential", "credentials", "creds", "apikey", "secretkey", "privatekey"})  # fmt: skip
# `key` alone names an S3 object (`Key`, `--key`, `s3:key`); after one of these it names a secret
_KEY_QUALIFIERS = frozenset(
    [
        "secret",
        "private",
        "api",
        "access",
        "auth",
        "signing",
        "client",
        "app",
        "shared",
        "account",
        "session",
        "storage",
        "master",
        "customer",
        "encryption",
        "sas",
        "hmac",
    ]
)
# identifiers and paging, not secrets: `KmsKeyId`, `KeyArn`, `NextContinuationToken`, `TokenCode` (an MFA code
# is shown as evidence of the call), `PasswordLastUsed`, `KeyMarker`
_NOT_SECRET_WORDS = frozenset({"id", "ids", "arn", "arns", "marker", "next", "continuation", "page", "pagination",
                               "count", "prefix", "name", "alias", "type", "spec", "usage", "state", "status",
                               "length", "len", "size", "last", "used", "age", "policy", "expiration", "expires",
                               "rotation", "enabled", "required", "file", "path", "code", "serial", "public",
                               "provider", "providers", "store", "external", "manager", "request", "service",
                               "ref", "reference", "source", "class", "format", "version"})  # fmt: skip


@lru_cache(maxsize=4096)
def _secret_name(name: str) -> bool:
    """Whether a setting's name says its value is a secret (its words: `fs.s3a.secret.key`, `MINIO_SECRET_KEY`,
    `secretKey`, `db-password`), and not an identifier or a paging token."""
    if name.startswith("-D"):
        name = name[2:]
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    if not words or _NOT_SECRET_WORDS.intersection(words):
        return False
    if _SECRET_WORDS.intersection(words):
        return True
    return any(w in ("key", "keys") and i > 0 and words[i - 1] in _KEY_QUALIFIERS for i, w in enumerate(words))


_PLAIN_VALUE = re.compile(
    r"[a-z]+|(?:[A-Z][a-z]+)+[\].;:)]*"  # a word or CamelCase name (`required`, `AccessDeniedException`)
    r"|[a-z][a-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_$]*)+"  # a dotted class or module name (`com.amazonaws....Provider`)
    r"|[$<{\[*%].*|arn:.*|[xX*.-]+|[0-9a-fA-F-]{36}"  # a placeholder, an ARN, a mask, a UUID (a request id)
)


def _plain_word(value: str) -> bool:
    """A value that reads as a word, a name or a placeholder (`required`, `${SECRET}`, `<your-key>`, `xxxx`), not
    a secret."""
    return _PLAIN_VALUE.fullmatch(value) is not None


_CREDENTIAL_SCOPE = re.compile(r"[^/\s]{1,128}/\d{8}/")


def _named_values(text: str) -> list[SecretSpan]:
    out: list[SecretSpan] = []
    for m in _NAMED_VALUE.finditer(text):
        value = m.group(2)
        if _CREDENTIAL_SCOPE.match(value):  # `Credential=AKIA.../date/region/s3/aws4_request`: the id has its rule
            continue
        if _secret_name(m.group(1)) and not _plain_word(value):
            out.append(SecretSpan("password", m.start(2), m.end(2)))
    return out


_ROTATE = "Rotate it now: anyone who saw it can use it."
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
    "request-signature": "a signed request's Authorization header was pasted; its signature is redacted.",
    "private-key": f"a private key was pasted; it is redacted. {_ROTATE}",
    "slack-token": f"a Slack token was pasted; it is redacted. Revoke it (api.slack.com/apps). {_ROTATE}",
    "slack-webhook": f"a Slack incoming-webhook URL was pasted; it is redacted. Regenerate it. {_ROTATE}",
    "github-token": f"a GitHub token was pasted; it is redacted. Revoke it in GitHub's settings. {_ROTATE}",
    "jwt": f"a JSON Web Token was pasted; it is redacted. Anyone who saw it can use it until it expires. {_ROTATE}",
    "basic-auth-credentials": f"a URL with a password in it was pasted; the password is redacted. {_ROTATE}",
    "npm-token": f"an npm token was pasted; it is redacted. {_ROTATE}",
    "bearer-token": f"a bearer token was pasted; it is redacted. {_ROTATE}",
    "password": f"a password or API key was pasted; it is redacted. {_ROTATE}",
    "high-entropy-string": "a string that looks like a key or token was pasted; it is redacted. If it is a "
    "credential, rotate it.",
}

# detect-secrets' secret types that s3why's own rules already name (so one credential gets one kind).
_KIND_OF_TYPE = {
    "AWS Access Key": "aws-access-key-id",
    "Slack Token": "slack-token",
    "GitHub Token": "github-token",
    "Private Key": "private-key",
    "Basic Auth Credentials": "basic-auth-credentials",
    "JSON Web Token": "jwt",
    "Base64 High Entropy String": "high-entropy-string",
}
# Not used: public IPs (evidence, not credentials), hex entropy (request ids, ETags), keywords (s3why's
# "password" rule instead), and the npm and JWT rules, whose patterns take quadratic time on hostile text
# (`.+` and unbounded runs re-scanned from every position): s3why's own linear rules replace them.
_NOT_USED = frozenset(
    {"IPPublicDetector", "HexHighEntropyString", "KeywordDetector", "NpmDetector", "JwtTokenDetector"}
)
# A high-entropy string after one of these names is an identifier AWS prints, not a credential.
_NOT_SECRET_NAMES = re.compile(
    r"(?i)(?:host[-_ ]?id|x-amz-id-2|request[-_ ]?id|x-amz-request-id|etag|checksum|md5|sha\d*|"
    r"authorization[-_ ]?id|version[-_ ]?id|continuation[-_ ]?token|marker|upload[-_ ]?id|arn)\W{0,6}$"
)
_ENTROPY_LIMIT = 4.5
_ENTROPY_MIN_LENGTH = 20


def _kind(secret_type: str) -> str:
    return _KIND_OF_TYPE.get(secret_type) or re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")


@lru_cache(maxsize=1)
def _detect_secrets_rules() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(kind, pattern) for every regex plugin of detect-secrets (loaded once, on first use)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    rules: list[tuple[str, re.Pattern[str]]] = []
    mapping: dict[str, type[Any]] = dict(get_mapping_from_secret_type_to_class())
    for secret_type, cls in sorted(mapping.items()):
        if cls.__name__ in _NOT_USED or not issubclass(cls, RegexBasedDetector):
            continue
        for pattern in cls().denylist:
            rules.append((_kind(secret_type), pattern))
    return tuple(rules)


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


_QUOTED_B64 = re.compile(r"([\"'])([A-Za-z0-9+/=]{20,4096})\1")


def _high_entropy(text: str) -> list[SecretSpan]:
    """Quoted base64 strings with high entropy (detect-secrets' Base64HighEntropyString rule, tuned)."""
    out: list[SecretSpan] = []
    for m in _QUOTED_B64.finditer(text):
        value = m.group(2)
        if len(value) < _ENTROPY_MIN_LENGTH or _entropy(value) <= _ENTROPY_LIMIT:
            continue
        if re.fullmatch(r"[0-9A-Fa-f]+", value) or _NOT_SECRET_NAMES.search(text[max(0, m.start() - 40) : m.start()]):
            continue
        out.append(SecretSpan("high-entropy-string", m.start(2), m.end(2)))
    return out


def _required(items: Any) -> tuple[str, ...]:
    """Strings one of which every match of the parsed pattern `items` (re's own parse) contains, or () when no
    such set is found: the first run of two or more literal characters the pattern requires, or an alternation
    (a group, a repeat of at least one) each of whose branches requires such strings."""
    run: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(av))
            continue
        if len(run) >= 2:
            return ("".join(run),)
        run = []
        found: tuple[str, ...] = ()
        if name == "BRANCH":
            branches = [_required(branch) for branch in av[1]]
            found = tuple(x for b in branches for x in b) if all(branches) else ()
        elif name == "SUBPATTERN":
            found = _required(av[-1])
        elif name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"} and av[0] >= 1:
            found = _required(av[2])
        if found:
            return found
    return ("".join(run),) if len(run) >= 2 else ()


def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...]:
    """Strings one of which every match of `pattern` contains (lowercased when it ignores case); () when unknown."""
    import re._parser as parser  # type: ignore[import-not-found]  # the standard library's reading of a pattern

    if pattern.flags & re.VERBOSE:
        return ()
    try:
        found = _required(parser.parse(pattern.pattern, pattern.flags))
    except (re.error, RecursionError, TypeError, ValueError):
        return ()
    return tuple(x.casefold() for x in found) if pattern.flags & re.IGNORECASE else found


@lru_cache(maxsize=1)
def _detect_secrets_needles() -> tuple[tuple[tuple[str, ...], bool], ...]:
    """Per rule of _detect_secrets_rules: strings one of which its every match contains, and whether they are
    compared without case, so that a rule none of whose strings is in the text is not run (the same spans)."""
    return tuple((required_literals(p), bool(p.flags & re.IGNORECASE)) for _, p in _detect_secrets_rules())


def _from_detect_secrets(text: str) -> list[SecretSpan]:
    out: list[SecretSpan] = []
    folded: str | None = None
    for (kind, pattern), (needle, nocase) in zip(_detect_secrets_rules(), _detect_secrets_needles(), strict=True):
        if needle:
            if nocase:
                folded = text.casefold() if folded is None else folded
                if not any(n in folded for n in needle):
                    continue
            elif not any(n in text for n in needle):
                continue
        for m in pattern.finditer(text):
            # A rule's group 1 is the secret when it is long enough to be one (AWS keys by name, URL passwords);
            # otherwise (a token's prefix) the whole match is.
            if m.re.groups and m.group(1) and len(m.group(1)) >= 8:
                start, end = m.span(1)
            else:
                start, end = m.span()
            if end - start >= 8:
                out.append(SecretSpan(kind, start, end))
    return out


# Candidate tokens for a bare secret key: runs of base64 characters (`/` possibly as `\/`), one linear scan. The
# run is first found with one character class (a tight loop in the regex engine); the exact form is read only
# inside such a run, which a token of the exact form cannot leave.
_B64_RUN = re.compile(r"(?:[A-Za-z0-9+=]|\\?/){40,}")
_B64_WIDE_RUN = re.compile(r"[A-Za-z0-9+=/\\]{40,}")


def _bare_secret_keys(text: str) -> list[SecretSpan]:
    """A 40-character secret access key on its own: exactly 40 base64 characters, mixed case and a digit."""
    out: list[SecretSpan] = []
    for wide in _B64_WIDE_RUN.finditer(text):
        out.extend(_bare_in_run(text, wide.start(), wide.end()))
    return out


def _looks_like_secret_key(token: str) -> bool:
    return (
        len(token) == 40
        and "=" not in token
        and "//" not in token
        and not token.startswith("/")
        and not token.endswith("/")
        and any(c.islower() for c in token)
        and any(c.isupper() for c in token)
        and any(c.isdigit() for c in token)
    )


# Where a secret key can start inside a longer run: after a name's `=` (`S3_SECRET=KEY`, `q=KEY` once a query
# is percent-decoded) or after an access key id, with or without a `/` (`AKIA.../KEY`, as some tools print a key
# pair). Not after any `/`: the last 40 characters of a path (`mybucket/profiles/VpwZ...`) are not a key.
_KEY_START = re.compile(r"(?<![=/])(?:(?<=[A-Za-z0-9_])=|(?<=(?:AKIA|ASIA)[A-Z0-9]{16})/?)")


def _bare_in_run(text: str, start: int, end: int) -> list[SecretSpan]:
    out: list[SecretSpan] = []
    for m in _B64_RUN.finditer(text, start, end):
        if _looks_like_secret_key(m.group(0).replace("\\/", "/")):
            out.append(SecretSpan("aws-secret-access-key", m.start(), m.end()))
            continue
        for cut in _KEY_START.finditer(text, m.start(), m.end()):  # a key touched by `=` or `/` on its left
            tail = re.match(r"(?:[A-Za-z0-9+]|\\?/){40}", text[cut.end() : m.end()])
            if tail is None:
                continue
            after = cut.end() + tail.end()
            token = tail.group(0).replace("\\/", "/")
            if (after == m.end() or text[after] in "/=") and _looks_like_secret_key(token):
                out.append(SecretSpan("aws-secret-access-key", cut.end(), after))
    return out


# --- secrets in an encoding ---------------------------------------------------------------------------------
# A credential can arrive encoded: JSON string escapes (`\u002B` for `+`, `\/` for `/`), percent-encoding in a
# URL's query, base64 (a Kubernetes Secret's `data:`). Each encoding is decoded into a view that remembers, for
# every decoded character, where it came from; the plain rules run on the view, and what they find is mapped back
# to the original characters (the whole escape sequence, or the whole base64 token).
_JSON_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|[\\/\"bfnrt])")
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_URL_SAFE = str.maketrans("-_", "+/")
_TEXT_WHITESPACE = str.maketrans("", "", "\n\r\t")
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# a Kubernetes Secret: every value under data: / stringData: is a secret, whatever it looks like
_K8S_SECRET = re.compile(r"^kind:\s*Secret\s*$", re.MULTILINE)
_K8S_DATA = re.compile(r"^(?P<indent>[ \t]*)(?:data|stringData):[ \t]*$", re.MULTILINE)


def _decoded_view(
    text: str, pattern: re.Pattern[str], decode: Callable[[str], str]
) -> tuple[str, list[tuple[int, int]]]:
    """The text with every match of `pattern` decoded (to one character, several, or none); for each character
    of the view, the original (start, end) it came from."""
    out: list[str] = []
    where: list[tuple[int, int]] = []
    pos = 0
    for m in pattern.finditer(text):
        for i in range(pos, m.start()):
            out.append(text[i])
            where.append((i, i + 1))
        for ch in decode(m.group(0)):
            out.append(ch)
            where.append((m.start(), m.end()))
        pos = m.end()
    for i in range(pos, len(text)):
        out.append(text[i])
        where.append((i, i + 1))
    return "".join(out), where


def _json_char(escape: str) -> str:
    if escape[1] == "u":
        return chr(int(escape[2:], 16))
    return _SIMPLE_ESCAPES.get(escape[1], escape[1])


# Obfuscations that read the same to a person (and to AWS once the paste is copied back): HTML character
# references (`&#x2F;`, `&#43;`, also as Slack delivers their `&`: `&amp;#43;`), characters whose NFKC form is
# another (full-width `／` `＋` and letters, mathematical alphanumerics), and invisible characters inside a token
# (zero-width space/joiners, word joiner, byte-order mark, soft hyphen). Unicode TR15 (NFKC); HTML's named and
# numeric character references (html.unescape).
# Invisible: every Default_Ignorable_Code_Point of Unicode (DerivedCoreProperties.txt: soft hyphen, combining
# grapheme joiner, Hangul fillers, zero-width and bidi controls U+200B-200F, U+202A-202E, U+2066-2069, word joiner,
# variation selectors, tag characters U+E0000-E0FFF, ...), and the no-break spaces (U+00A0, U+2007, U+202F) that
# can sit inside a token without showing.
_INVISIBLE = (
    "\u00a0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2007\u200b-\u200f\u202a-\u202f"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff"
)
_INVISIBLE_CHAR = re.compile(f"[{_INVISIBLE}]")
# numeric references with or without their `;` (HTML reads `&#47` as `/` too)
_OBFUSCATION = re.compile(
    r"&(?:amp;)?(?:#[xX][0-9a-fA-F]{1,6};?|#[0-9]{1,7};?|[A-Za-z][A-Za-z0-9]{1,30};)"
    rf"|[{_INVISIBLE}]|[^\x00-\x7f]"
)


def _deobfuscated(match: str) -> str:
    if match[0] == "&":
        entity = match[5:] if match.startswith("&amp;") else match[1:]
        full = "&" + entity + (";" if entity.startswith("#") and not entity.endswith(";") else "")
        decoded = html.unescape(full)
        return match if decoded == full else unicodedata.normalize("NFKC", decoded)
    if _INVISIBLE_CHAR.fullmatch(match):
        return ""
    return unicodedata.normalize("NFKC", match)


def _obfuscated(text: str) -> bool:
    """Whether the text holds anything the normalised view would change (cheap: most pastes are ASCII)."""
    if "&" not in text and text.isascii():
        return False
    return any(
        m.group(0) not in _PLAIN_ENTITIES and _deobfuscated(m.group(0)) != m.group(0)
        for m in _OBFUSCATION.finditer(text)
    )


# Slack's own escapes of `&`, `<` and `>` (and a quote) are in almost every pasted XML error: alone they hide no
# credential, so they do not make the text worth a second, normalised scan.
_PLAIN_ENTITIES = frozenset({"&amp;", "&lt;", "&gt;", "&quot;"})


def _encoded_secrets(text: str) -> list[SecretSpan]:
    out: list[SecretSpan] = []
    if _obfuscated(text):  # detection on a normalised copy; the original characters are what is redacted
        view, where = _decoded_view(text, _OBFUSCATION, _deobfuscated)
        for span in [*_plain_secrets(view), *_escaped_secrets(view)]:
            out.append(SecretSpan(span.kind, where[span.start][0], where[span.end - 1][1]))
    out.extend(_escaped_secrets(text))
    return out


# A key split over lines: a shell line continuation (`KEY=abc\\` then `def`), a YAML folded or literal scalar
# (`key: >-` and the value on the lines below), or plainly wrapped (a line of base64 characters only, continued
# on the next). The joined view drops those line breaks; a break is dropped only before a line that is one run of
# base64 characters, so ordinary lines stay apart.
_LINE_JOIN = re.compile(
    r"(?<=[A-Za-z0-9+/=])[ \t]*\\?\r?\n[ \t]{0,40}(?=[A-Za-z0-9+/]{1,4096}={0,2}[ \t]*(?:\r?\n|$))"
    r"|(?<=:)[ \t]*[>|][-+]?[ \t]*\r?\n[ \t]{0,40}"
)


def _joined(text: str) -> str:
    return _LINE_JOIN.sub(lambda m: " " if m.group(0).lstrip(" \t")[:1] in ">|" else "", text)


def _escaped_secrets(text: str) -> list[SecretSpan]:
    out: list[SecretSpan] = []
    if "\n" in text and _LINE_JOIN.search(text):
        view, where = _decoded_view(text, _LINE_JOIN, lambda m: " " if m.lstrip(" \t")[:1] in ">|" else "")
        for span in _plain_secrets(view):
            out.append(SecretSpan(span.kind, where[span.start][0], where[span.end - 1][1]))
    for pattern, decode in ((_JSON_ESCAPE, _json_char), (_PERCENT, lambda e: chr(int(e[1:], 16)))):
        if not pattern.search(text):
            continue
        view, where = _decoded_view(text, pattern, decode)
        for span in _plain_secrets(view):
            out.append(SecretSpan(span.kind, where[span.start][0], where[span.end - 1][1]))
    for m in _BASE64.finditer(text):
        token = m.group(0)
        try:  # standard base64, or the URL-safe alphabet (`-` and `_` for `+` and `/`, RFC 4648 §5)
            raw = base64.b64decode(token.translate(_URL_SAFE) + "=" * (-len(token) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        # text (a credentials file, pretty JSON: lines and tabs allowed), not binary that happened to decode
        if decoded.translate(_TEXT_WHITESPACE).isprintable() and (found := _rule_secrets(_joined(decoded))):
            out.append(SecretSpan(found[0].kind, m.start(), m.end()))
    if _K8S_SECRET.search(text):
        out.extend(_kubernetes_secret_values(text))
    return out


def _kubernetes_secret_values(text: str) -> list[SecretSpan]:
    """The values under a Secret manifest's `data:` and `stringData:` (indented `key: value` lines)."""
    out: list[SecretSpan] = []
    scanned = 0  # every line is read once: a `data:` inside a block already read adds nothing
    for block in _K8S_DATA.finditer(text):
        if block.start() < scanned:
            continue
        indent = len(block.group("indent"))
        scanned = block.end()
        for line in _lines(text, block.end() + 1):
            pos = line.start()
            stripped = line.group(0).lstrip(" \t")
            if stripped.strip() and len(line.group(0)) - len(stripped) <= indent:
                break  # the mapping ended
            scanned = line.end()
            key, sep, value = stripped.partition(":")
            if sep and value.strip() and key.strip():
                start = pos + (len(line.group(0)) - len(stripped)) + len(key) + 1
                start += len(value) - len(value.lstrip())
                out.append(SecretSpan("kubernetes-secret", start, start + len(value.strip())))
    return out


_LINE = re.compile(r"[^\r\n]+(?:\r\n|\r|\n)?|(?:\r\n|\r|\n)")


def _lines(text: str, pos: int) -> Iterator[re.Match[str]]:
    """The lines of the text from `pos` on, one at a time (never a copy of the rest of the text)."""
    return _LINE.finditer(text, pos)


def find_secrets(text: str) -> list[SecretSpan]:
    """All credential spans in the text, without overlaps, in order (the longer of two overlapping spans wins),
    plain or in an encoding (JSON escapes, percent-encoding, base64, a Kubernetes Secret's values)."""
    return _merged([*_plain_secrets(text), *_encoded_secrets(text)], text)


_PATTERN_LITERALS = frozenset(lit for _, literals, _, _ in _PATTERNS for lit in literals)


def _rule_secrets(text: str) -> list[SecretSpan]:
    """s3why's own rules only (cheap: each led by a literal): for the many short decoded base64 tokens."""
    found: list[SecretSpan] = _bare_secret_keys(text)
    low = text.lower()
    present = {lit for lit in _PATTERN_LITERALS if lit in low}  # each literal looked for once
    for kind, literals, pattern, group in _PATTERNS:
        if present.isdisjoint(literals):
            continue
        for m in pattern.finditer(text):
            if kind == "password" and _plain_word(m.group(group)):
                continue  # `password: ${DB_PASSWORD}`, `api_key: xxxxxxxx`: a placeholder, not a password
            found.append(SecretSpan(kind, m.start(group), m.end(group)))
    if any(word in low for word in ("secret", "pass", "pwd", "token", "cred", "key")):
        found.extend(_named_values(text))  # last: a rule that names the credential's kind wins an equal span
    return found


def _plain_secrets(text: str) -> list[SecretSpan]:
    """The credential spans the rules find in the text as it is."""
    found = _rule_secrets(text)
    found.extend(_from_detect_secrets(text))
    found.extend(_high_entropy(text))
    return _merged(found, text)


def _merged(found: list[SecretSpan], text: str) -> list[SecretSpan]:
    # Redaction is idempotent: a placeholder s3why wrote (`Signature=[REDACTED:...]`) is not found again.
    found = [s for s in found if not text.startswith(_PLACEHOLDER, s.start)]
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    merged: list[SecretSpan] = []
    for span in found:
        if merged and span.start < merged[-1].end:
            if span.end > merged[-1].end:  # overlapping: one span covers both, named by the first
                merged[-1] = SecretSpan(merged[-1].kind, merged[-1].start, span.end)
            continue
        merged.append(span)
    return merged


_PLACEHOLDER = "[REDACTED:"


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


def redact_secrets(text: str) -> str:
    """`text` with every credential redacted (for log lines and anything else that is not a parse)."""
    spans = find_secrets(text)
    return redact(text, spans) if spans else text


def secret_warnings(spans: list[SecretSpan]) -> list[ParseWarning]:
    """One warning of kind `secret` per credential found: its type, where it was and what to do, never its value."""
    return [
        ParseWarning(
            kind="secret",
            message=_MESSAGES.get(s.kind) or f"a credential ({s.kind}) was pasted; it is redacted. {_ROTATE}",
            secret_type=s.kind,
            start=s.start,
            end=s.end,
        )
        for s in spans
    ]
