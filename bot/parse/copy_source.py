"""The copy source a CopyObject / UploadPartCopy paste states, as S3's `s3:x-amz-copy-source` value.

S3 reads a copy's source from the `x-amz-copy-source` header, `BUCKET/KEY[?versionId=ID]` (S3 API Reference,
CopyObject and UploadPartCopy); the AWS CLI spells it `--copy-source BUCKET/KEY` (s3api) or as the first path of
`aws s3 cp|mv s3://SRC s3://DST`, boto3 as `CopySource={"Bucket": ..., "Key": ..., "VersionId": ...}` or a
`"BUCKET/KEY"` string, the JavaScript SDKs as `CopySource: "BUCKET/KEY"`. The header itself is read with the other
headers (bot/parse/context.py).
"""

from __future__ import annotations

import re

_COPIES = ("CopyObject", "UploadPartCopy")
_OPTION = re.compile(r"--copy-source[ =][\"']?([^\s\"']{3,2048})")
_STRING = re.compile(r"[\"']?\bCopySource[\"']?\s?[:=]\s?[\"']([^\s\"']{3,2048})[\"']")
_DICT = re.compile(r"[\"']?\bCopySource[\"']?\s?[:=]\s?(?:dict\()?\{?([^{}()]{1,4096})")
_FIELD = {
    name: re.compile(rf"[\"']?\b{name}[\"']?\s?[:=]\s?[\"']([^\"']{{1,2048}})[\"']")
    for name in ("Bucket", "Key", "VersionId")
}
_CLI_COPY = re.compile(
    r"(?:\baws (?:--[\w-]+(?:[ =]\S+)? )*s3 (?:cp|mv) |copy failed: |move failed: )(s3://\S+)\s+(?:to )?s3://"
)


def copy_source_value(flat: str, operation: str | None) -> str | None:
    """`BUCKET/KEY[?versionId=ID]` of the copy the text states, or None (no copy, or no source stated)."""
    if operation not in _COPIES:
        return None
    if "--copy-source" in flat and (m := _OPTION.search(flat)) is not None:
        return m.group(1).lstrip("/")
    if "CopySource" in flat:
        if (m := _STRING.search(flat)) is not None:
            return m.group(1).lstrip("/")
        if (m := _DICT.search(flat)) is not None:
            fields = {name: f.group(1) for name, pattern in _FIELD.items() if (f := pattern.search(m.group(1)))}
            if "Bucket" in fields and "Key" in fields:
                version = f"?versionId={fields['VersionId']}" if "VersionId" in fields else ""
                return f"{fields['Bucket']}/{fields['Key']}{version}"
    if (m := _CLI_COPY.search(flat)) is not None:
        bucket, _, key = m.group(1)[5:].partition("/")
        if bucket and key and not key.endswith("/"):
            return f"{bucket}/{key}"
    return None
