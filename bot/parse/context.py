"""Request-context keys a paste states itself: S3 request headers, AWS CLI options and SDK parameters.

Each maps to the condition key S3 sets from it (S3 User Guide, "Condition keys for Amazon S3" and the Service
Authorization Reference for Amazon S3 and S3 Express): `x-amz-acl` -> s3:x-amz-acl,
`x-amz-server-side-encryption` -> s3:x-amz-server-side-encryption, `x-amz-object-lock-mode` -> s3:object-lock-mode,
`x-amz-create-session-mode` -> s3express:SessionMode, and so on. Only values the text spells out are read.
"""

from __future__ import annotations

import re

# header (lower case) -> condition key
_HEADER_KEYS: dict[str, str] = {
    "x-amz-acl": "s3:x-amz-acl",
    "x-amz-server-side-encryption": "s3:x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id": "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm": "s3:x-amz-server-side-encryption-customer-algorithm",
    "x-amz-copy-source": "s3:x-amz-copy-source",
    "x-amz-storage-class": "s3:x-amz-storage-class",
    "x-amz-metadata-directive": "s3:x-amz-metadata-directive",
    "x-amz-object-lock-mode": "s3:object-lock-mode",
    "x-amz-object-lock-retain-until-date": "s3:object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold": "s3:object-lock-legal-hold",
    "x-amz-content-sha256": "s3:x-amz-content-sha256",
    "x-amz-grant-read": "s3:x-amz-grant-read",
    "x-amz-grant-write": "s3:x-amz-grant-write",
    "x-amz-grant-read-acp": "s3:x-amz-grant-read-acp",
    "x-amz-grant-write-acp": "s3:x-amz-grant-write-acp",
    "x-amz-grant-full-control": "s3:x-amz-grant-full-control",
    "x-amz-create-session-mode": "s3express:SessionMode",
    # Request headers no condition key carries but S3 acts on before or beside the policies: the requester's
    # acknowledgement on a Requester Pays bucket, the governance bypass, the object's tags (which need
    # s3:PutObjectTagging). s3why's layers read them under the header's own name.
    "x-amz-request-payer": "x-amz-request-payer",
    "x-amz-bypass-governance-retention": "x-amz-bypass-governance-retention",
    "x-amz-tagging": "x-amz-tagging",
}
_HEADER_ALT = "|".join(sorted((re.escape(h) for h in _HEADER_KEYS), key=len, reverse=True))
# `x-amz-acl: public-read` (HTTP dump), `"x-amz-acl": ["public-read"]` (CloudTrail), `'x-amz-acl': b'public-read'`
# (botocore --debug). The name must end there (`x-amz-server-side-encryption-...` is another header).
_HEADER = re.compile(
    r"(?i:(" + _HEADER_ALT + r"))(?![\w-])[\"']?\s?[:=]\s?\[?\s?(?:b(?=[\"']))?[\"']?([\w:./+=@,-]{1,512})"
)
# AWS CLI options (aws s3 / aws s3api) and SDK parameters (boto3 ExtraArgs, JS params, Java builders).
# (literal the pattern needs, condition key, pattern)
_OPTIONS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("--acl", "s3:x-amz-acl", re.compile(r"--acl[ =]([a-z-]{3,40})\b")),
    (
        "--s",
        "s3:x-amz-server-side-encryption",
        re.compile(r"--(?:sse|server-side-encryption)[ =](aws:kms:dsse|aws:kms|AES256)\b"),
    ),
    (
        "-key-id",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        re.compile(r"--(?:sse-kms-key-id|ssekms-key-id)[ =]([\w:/.-]{1,2048})"),
    ),
    ("--storage-class", "s3:x-amz-storage-class", re.compile(r"--storage-class[ =]([A-Z_]{3,40})\b")),
    ("ACL", "s3:x-amz-acl", re.compile(r"[\"']?\bACL[\"']?\s?[:=]\s?[\"']([a-z-]{3,40})[\"']")),
    (
        "ServerSideEncryption",
        "s3:x-amz-server-side-encryption",
        re.compile(r"[\"']?\bServerSideEncryption[\"']?\s?[:=]\s?[\"'](aws:kms:dsse|aws:kms|AES256)[\"']"),
    ),
    (
        "SSEKMSKeyId",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        re.compile(r"[\"']?\bSSEKMSKeyId[\"']?\s?[:=]\s?[\"']([\w:/.-]{1,2048})[\"']"),
    ),
    (
        "-c",
        "s3:x-amz-server-side-encryption-customer-algorithm",
        re.compile(r"--sse-c(?:ustomer-algorithm)?[ =](AES256)\b"),
    ),
    (
        "SSECustomerAlgorithm",
        "s3:x-amz-server-side-encryption-customer-algorithm",
        re.compile(r"[\"']?\bSSECustomerAlgorithm[\"']?\s?[:=]\s?[\"'](AES256)[\"']"),
    ),
    (
        "ession",
        "s3express:SessionMode",
        re.compile(r"(?:--session-mode[ =]|\bSessionMode[\"']?\s?[:=]\s?[\"']?)(ReadOnly|ReadWrite)\b"),
    ),
    # The version the request names (s3:versionid; the CLI's --version-id, the SDKs' VersionId, the REST
    # API's versionId query parameter): it makes a delete or read act on that version (Object Lock, versioned actions).
    ("--version-id", "s3:versionid", re.compile(r"--version-id[ =]([\w.+/=-]{1,1024})")),
    ("ersionId", "s3:versionid", re.compile(r"[\"']?\b[Vv]ersionId[\"']?\s?[:=]\s?[\"']([\w.+/=-]{1,1024})[\"']")),
    ("versionId=", "s3:versionid", re.compile(r"[?&]versionId=([\w.+/%=-]{1,1024})")),
    ("RequestPayer", "x-amz-request-payer", re.compile(r"[\"']?\bRequestPayer[\"']?\s?[:=]\s?[\"'](requester)[\"']")),
    (
        "Tagging",
        "x-amz-tagging",
        re.compile(r"(?:--tagging[ =]|[\"']?\bTagging[\"']?\s?[:=]\s?)[\"']([^\"'\s]{1,2048})[\"']"),
    ),
)
# Flags that carry no value in the text but set one in the request: `aws s3 cp ... --request-payer` (the
# s3api form spells `--request-payer requester`) and `--bypass-governance-retention`, or their SDK booleans.
_FLAGS: tuple[tuple[str, str, str, re.Pattern[str]], ...] = (
    ("--request-payer", "x-amz-request-payer", "requester", re.compile(r"--request-payer(?:[ =]requester)?(?![\w-])")),
    (
        "ypassGovernanceRetention",
        "x-amz-bypass-governance-retention",
        "true",
        re.compile(r"\bBypassGovernanceRetention[\"']?\s?[:=]\s?(?i:true)\b"),
    ),
    (
        "--bypass-governance-retention",
        "x-amz-bypass-governance-retention",
        "true",
        re.compile(r"--bypass-governance-retention(?![\w-])"),
    ),
)


def stated_keys(flat: str) -> list[tuple[str, str]]:
    """(condition key, value) pairs the text states, in the order found, without duplicates."""
    found: list[tuple[int, str, str]] = []
    if "-amz-" in flat or "-Amz-" in flat or "-AMZ-" in flat:
        for m in _HEADER.finditer(flat):
            found.append((m.start(), _HEADER_KEYS[m.group(1).lower()], m.group(2).rstrip(".,")))
    for needle, key, pattern in _OPTIONS:
        if needle in flat:
            for m in pattern.finditer(flat):
                found.append((m.start(), key, m.group(1)))
    for needle, key, value, pattern in _FLAGS:
        if needle in flat:
            for m in pattern.finditer(flat):
                found.append((m.start(), key, value))
    found.sort()
    return list(dict.fromkeys((k, v) for _, k, v in found))
