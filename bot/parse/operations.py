"""The S3 operation a paste implies when no SDK names it: HTTP requests, SDK method names, CLI verbs, tool logs.

Each reader returns the operation (or, where the text narrows it to a few, the candidates) and what it tells
about the request: bucket, key, the URL's scheme. Every pattern starts with a literal and has bounded repetition.

Sources of the shapes: S3 API Reference (each operation's HTTP method, path and sub-resource), the AWS CLI's
`aws s3` transfer output (`upload:`/`download:`/`copy:`/`move:`/`delete:` lines), botocore and boto3 method names,
AWS SDK for Java v1/v2 client methods, the AWS SDK for Rust's `<Operation>Error` types, rclone's, s3fs-fuse's,
MinIO client's and Argo's log lines, hadoop-aws's `S3AFileSystem` messages (`getFileStatus on s3a://...`),
Airflow's S3Hook methods, and cfn-response's PUT to the presigned response URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, unquote

from bot.parse.vocabulary import service_model, words_of
from bot.s3ops import SDK_ALIASES, canonical_operation


@dataclass(frozen=True, slots=True)
class Inferred:
    """What one reader found: an operation, or candidates, and where the request went."""

    operation: str | None = None
    candidates: tuple[str, ...] = ()
    bucket: str | None = None
    key: str | None = None
    scheme: str | None = None  # "http" | "https" of the request URL, when the text shows the request itself


def known(name: str) -> str | None:
    """The S3 operation for an API, SDK or CLI spelling: `get_object`, `getObject`, `get-object` -> `GetObject`."""
    canon = canonical_operation(name.replace("_", "").replace("-", ""))
    return SDK_ALIASES.get(canon, canon) if canon is not None else None


# ---------------------------------------------------------------------------------------------------------
# HTTP: METHOD URL (s3fs, debug logs, curl), a request line with a Host header (rclone -vv, HTTP dumps)
# ---------------------------------------------------------------------------------------------------------
METHOD_NAMES = ("GET", "PUT", "HEAD", "DELETE", "POST")
_METHODS = "|".join(METHOD_NAMES)
# `GET https://...`, and with a few words between (DuckDB's `HTTP GET error on 'https://...'`); a tool may write the
# request's URL as the S3 URI it was made from (DuckDB's `HTTP GET error reading 's3://b/?list-type=2&prefix='`).
METHOD_URL = re.compile(
    r"\b(" + _METHODS + r")\b(?: [a-z]{1,12}){0,3}[\s\"':]{1,3}((?:https?|s3)://[^\s\"'`<>|]{1,4096})"
)
# A request logged as fields (Ruby's Excon `:method => "HEAD"`, a JSON log's `"method": "PUT"`), beside its host and
# path fields.
METHOD_FIELD = re.compile(r"(?<![\w-])[:\"']?(?i:method)[\"']?\s{0,12}(?:=>|[:=])\s{0,3}[\"']?(" + _METHODS + r")\b")
# The path may hold a poster's placeholder (`GET /<redacted>/?location= HTTP/1.1`): the request is still stated.
REQUEST_LINE = re.compile(r"\b(" + _METHODS + r") (/[^\s\"'`]{0,4096}) HTTP/[12](?:\.[01])?\b")
HOST_HEADER = re.compile(r"\b[Hh]ost: ?([A-Za-z0-9.-]{1,300})")
# s3fs-fuse's insertV4Headers: "computing signature [HEAD] [/path/key] [query] [payload hash]"
S3FS_SIGNATURE = re.compile(r"computing signature \[(" + _METHODS + r")\] \[(/[^\]\s]{0,2048})\] \[([^\]\s]{0,2048})\]")

# Sub-resources per (method, target kind): S3 API Reference request syntax of each operation.
_OBJECT_SUB: dict[str, tuple[tuple[str, str], ...]] = {
    "GET": (
        ("acl", "GetObjectAcl"),
        ("tagging", "GetObjectTagging"),
        ("uploadId", "ListParts"),
        ("attributes", "GetObjectAttributes"),
        ("retention", "GetObjectRetention"),
        ("legal-hold", "GetObjectLegalHold"),
        ("torrent", "GetObjectTorrent"),
    ),
    "PUT": (
        ("acl", "PutObjectAcl"),
        ("tagging", "PutObjectTagging"),
        ("uploadId", "UploadPart"),
        ("retention", "PutObjectRetention"),
        ("legal-hold", "PutObjectLegalHold"),
    ),
    "DELETE": (("uploadId", "AbortMultipartUpload"), ("tagging", "DeleteObjectTagging")),
    "POST": (
        ("uploads", "CreateMultipartUpload"),
        ("uploadId", "CompleteMultipartUpload"),
        ("restore", "RestoreObject"),
        ("select", "SelectObjectContent"),
    ),
}
_OBJECT_DEFAULT = {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}
_BUCKET_SUBS = (
    ("policyStatus", "BucketPolicyStatus"),
    ("policy", "BucketPolicy"),
    ("acl", "BucketAcl"),
    ("versioning", "BucketVersioning"),
    ("encryption", "BucketEncryption"),
    ("tagging", "BucketTagging"),
    ("publicAccessBlock", "PublicAccessBlock"),
    ("ownershipControls", "BucketOwnershipControls"),
    ("lifecycle", "BucketLifecycleConfiguration"),
    ("cors", "BucketCors"),
    ("website", "BucketWebsite"),
    ("logging", "BucketLogging"),
    ("notification", "BucketNotificationConfiguration"),
    ("replication", "BucketReplication"),
    ("object-lock", "ObjectLockConfiguration"),
    ("requestPayment", "BucketRequestPayment"),
    ("accelerate", "BucketAccelerateConfiguration"),
)


def s3_query_names() -> frozenset[str]:
    """The query parameters that name one of S3's sub-resources or list forms (the tables above)."""
    subs = {sub for table in _OBJECT_SUB.values() for sub, _ in table} | {sub for sub, _ in _BUCKET_SUBS}
    return frozenset(subs | {"list-type", "versions", "uploads", "location", "delete", "x-id"})


@lru_cache(maxsize=1)
def _sub_resource_owners() -> dict[str, tuple[str, bool]]:
    """Each query parameter that exactly one S3 operation's request URI carries (`delete` -> DeleteObjects,
    `versions` -> ListObjectVersions, `restore` -> RestoreObject) -> (that operation, whether it names a key), from
    the `http.requestUri` of every operation in botocore's S3 model."""
    model = service_model("s3")
    owners: dict[str, list[tuple[str, bool]]] = {}
    for name, op in (model or {}).get("operations", {}).items():
        uri = op.get("http", {}).get("requestUri", "")
        path, _, query = uri.partition("?")
        for part in query.split("&"):
            if part:
                owners.setdefault(part.split("=", 1)[0], []).append((name, "{Key" in path))
    return {k: v[0] for k, v in owners.items() if len(v) == 1}


def sub_resource_operation(query: str, *, has_key: bool) -> str | None:
    """The operation a request's query names by itself, whatever the method (`?delete` is only DeleteObjects'):
    a parameter only one S3 operation's request URI has, on a target of the kind it takes (bucket or object)."""
    owners = _sub_resource_owners()
    for name, _ in parse_qsl(query, keep_blank_values=True):
        owner = owners.get(name)
        if owner is not None and owner[1] == has_key:
            return owner[0]
    return None


def http_operation(
    method: str, *, has_bucket: bool, has_key: bool, query: str, copy_source: bool = False
) -> str | None:
    """The operation an HTTP request to S3 performs (method, target and sub-resource), or None."""
    params = {k for k, _ in parse_qsl(query, keep_blank_values=True)}
    values = dict(parse_qsl(query, keep_blank_values=True))
    if not has_bucket:
        return "ListBuckets" if method == "GET" else None
    if has_key:
        for sub, op in _OBJECT_SUB.get(method, ()):
            if sub in params:
                return "UploadPartCopy" if op == "UploadPart" and copy_source else op
        plain = _OBJECT_DEFAULT.get(method)
        return "CopyObject" if plain == "PutObject" and copy_source else plain
    if method == "HEAD":
        return "HeadBucket"
    if method == "POST":
        return "DeleteObjects" if "delete" in params else None
    if method == "GET":
        for sub, op in (
            ("versions", "ListObjectVersions"),
            ("uploads", "ListMultipartUploads"),
            ("location", "GetBucketLocation"),
        ):
            if sub in params:
                return op
        if values.get("list-type") == "2":
            return "ListObjectsV2"
    verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method)
    if verb is None:
        return None
    for sub, suffix in _BUCKET_SUBS:
        if sub in params:
            return known(verb + suffix)
    return {"GET": "ListObjects", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method)


# A Signature Version 2 string to sign, as SDKs log it before sending (botocore's `StringToSign:` debug line): the
# method on the first line, then Content-MD5, Content-Type, Date and the x-amz- headers, each on its own line, and
# last the canonicalized resource, `/bucket/key?sub-resource` (S3 User Guide, "Signing and authenticating REST
# requests", StringToSign).
_STRING_TO_SIGN_LINES = 12


def string_to_sign_request(text: str) -> Inferred:
    """The request a logged SigV2 string to sign states (method and canonicalized resource), or nothing."""
    at = text.find("StringToSign:")
    if at < 0:
        return Inferred()
    lines = [line.strip() for line in text[at + len("StringToSign:") :].split("\n", _STRING_TO_SIGN_LINES + 1)]
    lines = lines[:_STRING_TO_SIGN_LINES]
    if not lines[0]:
        lines = lines[1:]
    if not lines or lines[0] not in METHOD_NAMES:
        return Inferred()
    method = lines[0]
    resource = next((line for line in lines[1:] if line.startswith("/")), None)
    if resource is None or " " in resource:
        return Inferred()
    target, _, query = resource.partition("?")
    bucket, _, key = target.lstrip("/").partition("/")
    if not bucket:
        return Inferred(operation=http_operation(method, has_bucket=False, has_key=False, query=query))
    op = http_operation(method, has_bucket=True, has_key=bool(key), query=query)
    return Inferred(operation=op, bucket=bucket, key=unquote(key) or None)


# ---------------------------------------------------------------------------------------------------------
# SDK method names: Java stacks (`AmazonS3Client.getObject(AmazonS3Client.java:1409)`), JS (`s3.putObject(`),
# Python (`s3.upload_file(`, `in download_file`), Go (`s3.GetObjectInput{`), Rust (`GetObjectError`).
# ---------------------------------------------------------------------------------------------------------
_SDK_NAMES = (
    re.compile(r"\.([a-z][A-Za-z0-9]{2,63})\((?:[A-Za-z0-9]{1,64}\.(?:java|kt|scala):\d{1,7}|Unknown Source)?"),
    re.compile(r"\.([a-z][a-z0-9_]{2,63})\("),
    re.compile(r"\bin ([a-z][a-z0-9_]{2,63})\b"),
    re.compile(r"\b([A-Z][A-Za-z0-9]{2,63})(?:Input\{|Error\b|Request\b|Response\b)"),
    re.compile(r"(?:\b(?:s3|S3|client|Client)|\*(?:S3|Client))\)?\.([A-Z][A-Za-z0-9]{2,63})\("),
)
_SDK_NEEDLES = ("(", "Error", "Input{", "Request", "Response", " in ")


def from_sdk_names(flat: str) -> Inferred:
    """Distinct S3 operations named by SDK calls in the text: one is the operation, several are candidates."""
    if not any(n in flat for n in _SDK_NEEDLES):
        return Inferred()
    found: list[tuple[int, str]] = []
    for pattern in _SDK_NAMES:
        for m in pattern.finditer(flat):
            name = m.group(1).removesuffix("WithContext")  # aws-sdk-go v1's context variants
            op = known(name)
            if op is not None and name not in _NOT_SDK_CALLS:
                found.append((m.start(), op))
    ops = list(dict.fromkeys(op for _, op in sorted(found)))
    if len(ops) == 1:
        return Inferred(operation=ops[0])
    return Inferred(candidates=tuple(ops[:6]))


# Words that spell an operation but, in running text, are not calls (`in upload`, `.Upload(` of a GUI ...).
_NOT_SDK_CALLS = frozenset({"upload", "Upload", "download", "Download"})

# ---------------------------------------------------------------------------------------------------------
# The AWS CLI: `aws s3 cp|mv|sync|ls|rm|mb|rb ...`, `aws s3api get-object --bucket B --key K`, transfer lines
# ---------------------------------------------------------------------------------------------------------
_CLI_COMMAND = re.compile(r"\baws (s3|s3api) ([a-z][a-z0-9-]{1,63})\b([^\n]{0,2000})")
_CLI_ARG = re.compile(r"\S{1,4096}")
_CLI_TRANSFER = re.compile(r"\b(upload|download|copy|move|delete)(?: failed)?: (\S{1,4096})(?: to (\S{1,4096}))?")
_S3API_BUCKET = re.compile(r"--bucket[ =]([^\s\"'`]{1,255})")
_S3API_KEY = re.compile(r"--key[ =]([^\s\"'`]{1,2048})")
_S3_URI = re.compile(r"^s3://([^/\s\"'`<>]{1,255})(?:/(\S{0,2048}))?$")


def _s3_uri(arg: str) -> tuple[str, str | None] | None:
    m = _S3_URI.match(arg.strip("\"'"))
    return (m.group(1), m.group(2) or None) if m is not None else None


def from_cli(text: str) -> Inferred:
    """The operation an `aws s3` / `aws s3api` command or its transfer output line performs."""
    if "aws s3" in text:
        for m in _CLI_COMMAND.finditer(text):
            found = _cli_command(m.group(1), m.group(2), m.group(3))
            if found.operation or found.candidates:
                return found
    if ": " in text:
        for m in _CLI_TRANSFER.finditer(text):
            found = _cli_transfer(m.group(1), m.group(2), m.group(3))
            if found.operation or found.candidates:
                return found
    return Inferred()


def _cli_command(group: str, verb: str, rest: str) -> Inferred:
    if group == "s3api":
        op = known(verb)
        if op is None:
            return Inferred()
        bm, km = _S3API_BUCKET.search(rest), _S3API_KEY.search(rest)
        return Inferred(operation=op, bucket=bm.group(1) if bm else None, key=km.group(1) if km else None)
    args = [a for a in _CLI_ARG.findall(rest)[:40] if not a.startswith("-")]
    uris = [(i, u) for i, a in enumerate(args[:2]) if (u := _s3_uri(a)) is not None]
    first = uris[0][1] if uris else (None, None)
    bucket, key = first
    recursive = "--recursive" in rest
    if verb == "ls":
        return Inferred(operation="ListObjectsV2" if uris else "ListBuckets", bucket=bucket)
    if verb == "rm":
        if recursive:
            return Inferred(candidates=("ListObjectsV2", "DeleteObjects"), bucket=bucket)
        return Inferred(operation="DeleteObject", bucket=bucket, key=key)
    if verb == "mb":
        return Inferred(operation="CreateBucket", bucket=bucket)
    if verb == "rb":
        return Inferred(operation="DeleteBucket", bucket=bucket)
    if verb not in {"cp", "mv", "sync"} or not uris:
        return Inferred()
    positions = {i for i, _ in uris}
    listing = ("ListObjectsV2",) if verb == "sync" or recursive else ()
    if positions == {0, 1}:
        dst = uris[1][1]
        return Inferred(
            operation="CopyObject" if not listing else None,
            candidates=(*listing, "CopyObject") if listing else (),
            bucket=dst[0],
            key=dst[1],
        )
    if 0 in positions:  # download: the CLI asks HeadObject first, then GetObject (both need s3:GetObject)
        return Inferred(candidates=(*listing, "HeadObject", "GetObject"), bucket=bucket, key=key)
    if listing:
        return Inferred(candidates=(*listing, "PutObject"), bucket=bucket, key=key)
    return Inferred(operation="PutObject", bucket=bucket, key=key)


def _cli_transfer(verb: str, src: str, dst: str | None) -> Inferred:
    s, d = _s3_uri(src), (_s3_uri(dst) if dst else None)
    if verb == "delete":
        return Inferred(operation="DeleteObject", bucket=s[0], key=s[1]) if s else Inferred()
    if verb == "upload" and d:
        return Inferred(operation="PutObject", bucket=d[0], key=d[1])
    if verb == "download" and s:
        return Inferred(candidates=("HeadObject", "GetObject"), bucket=s[0], key=s[1])
    if s and d:
        return Inferred(operation="CopyObject", bucket=d[0], key=d[1])
    if s:
        return Inferred(candidates=("HeadObject", "GetObject"), bucket=s[0], key=s[1])
    if d:
        return Inferred(operation="PutObject", bucket=d[0], key=d[1])
    return Inferred()


# ---------------------------------------------------------------------------------------------------------
# Tools: rclone, MinIO client / Argo (minio-go), s3fs-fuse, hadoop-aws (s3a), Airflow's S3Hook, cfn-response
# ---------------------------------------------------------------------------------------------------------
_TOOL_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # rclone (fs/operations, backend/s3)
    ("s3 upload: ", ("PutObject", "CreateMultipartUpload", "UploadPart")),  # rclone's uploader (single or multipart)
    ("failed to open source object", ("GetObject",)),
    ("multipart upload failed to initialise", ("CreateMultipartUpload",)),
    ("error reading source directory", ("ListObjectsV2",)),
    ("error reading destination directory", ("ListObjectsV2",)),
    ("Failed to set modification time", ("CopyObject",)),
    ("Couldn't delete", ("DeleteObject",)),
    ("Failed to delete", ("DeleteObject",)),
    # minio-go users: Argo's artifact driver, the MinIO client
    ("failed to put file", ("PutObject",)),
    ("failed to get file", ("GetObject",)),
    ("Unable to upload", ("PutObject",)),
    ("Unable to download", ("GetObject",)),
    # `mc ls` asks GetBucketLocation before it lists: either may be the call refused ("Unable to list folder" over
    # a trace of `s3.GetBucketLocation ... 403`).
    ("Unable to list", ("ListObjectsV2", "GetBucketLocation")),
    ("Unable to remove", ("DeleteObject",)),
    ("Unable to stat", ("HeadObject", "ListObjectsV2")),
    ("Unable to make bucket", ("CreateBucket",)),
    # Athena (Knowledge Center "access-denied-athena"): writing query results, reading the source data
    ("Access denied when writing output to url", ("PutObject",)),
    ("(Path: s3://", ("GetObject", "ListObjectsV2")),
    # Thanos / Cortex / Loki's objstore S3 client (errors.Wrap of its minio calls): Exists, Upload, Get
    ("stat s3 object", ("HeadObject",)),
    ("upload s3 object", ("PutObject",)),
    ("get s3 object", ("GetObject",)),
    ("get range s3 object", ("GetObject",)),
    ("delete s3 object", ("DeleteObject",)),
    # cfn-response: the custom resource's reply is a PUT to a presigned S3 URL
    ("send(..) failed executing", ("PutObject",)),
    ("cloudformation-custom-resource-response-", ("PutObject",)),
)
# Characters one of the phrases above needs (a fast pre-check).
_TOOL_HINTS = ("ailed", "nable", "rror", "upload", "delete", "cloudformation", "source", "output", "Path", "s3 object")
# Go services that wrap an SDK call as "error <verb>ing object <key>: <cause>" (velero-plugin-for-aws's
# object_store.go, objectstore libraries): the operation and the key the call named. Sub-resource calls
# ("putting object tagging", "... legal hold", "... retention", "... acl") are other operations and are skipped.
_GO_OBJECT_VERB = re.compile(
    r"\b[Ee]rror (putting|getting|deleting|heading|copying) object "
    r"(?!(?:tagging|legal|retention|acl|lock)\b)([^\s:\\\"']{1,2048}): "
)
_GO_OBJECT_OPS = {
    "putting": "PutObject",
    "getting": "GetObject",
    "deleting": "DeleteObject",
    "heading": "HeadObject",
    "copying": "CopyObject",
}
# s3fs-fuse's curl.cpp request functions.
_S3FS_CALL = re.compile(
    r"\b(HeadRequest|GetObjectRequest|PutRequest|PutHeadRequest|DeleteRequest|ListBucketRequest|"
    r"PreMultipartPostRequest|MultipartUploadRequest|UploadMultipartPostRequest|CompleteMultipartPostRequest|"
    r"CheckBucket)\("
)
_S3FS_OPS = {
    "HeadRequest": "HeadObject",
    "GetObjectRequest": "GetObject",
    "PutRequest": "PutObject",
    "PutHeadRequest": "CopyObject",
    "DeleteRequest": "DeleteObject",
    "ListBucketRequest": "ListObjects",
    "PreMultipartPostRequest": "CreateMultipartUpload",
    "MultipartUploadRequest": "UploadPart",
    "UploadMultipartPostRequest": "UploadPart",
    "CompleteMultipartPostRequest": "CompleteMultipartUpload",
    "CheckBucket": "ListObjects",
}
# hadoop-aws: "<path>: <operation> on <path>: ..." (S3AUtils.translateException) and S3AFileSystem's verbs.
_S3A_CALL = re.compile(
    r"\b(getFileStatus|open|read|reopen|listObjects|listStatus|copyFile|rename|delete|innerMkdirs|"
    r"putObjectDirect|PUT 0-byte object|initiate MultiPartUpload|upload part(?: #\d{1,6})?|"
    r"completeMultipartUpload|doesBucketExist(?:V2)?|verifyBucketExists(?:V2)?|getObjectMetadata|"
    r"PUT part #\d{1,6}|Writing Object|deleteObjects?|innerGetFileStatus|s3GetFileStatus)"
    r"(?: s3a://[^\s:]{1,2048}(?: at \d{1,19})?)? on s3a://"
)
_S3A_OPS: dict[str, tuple[str, ...]] = {
    "getFileStatus": ("HeadObject", "ListObjectsV2"),
    "innerGetFileStatus": ("HeadObject", "ListObjectsV2"),
    "s3GetFileStatus": ("HeadObject", "ListObjectsV2"),
    "getObjectMetadata": ("HeadObject",),
    "open": ("GetObject",),
    "read": ("GetObject",),
    "reopen": ("GetObject",),
    "listObjects": ("ListObjectsV2",),
    "listStatus": ("ListObjectsV2",),
    "copyFile": ("CopyObject",),
    "rename": ("CopyObject", "DeleteObject"),
    "delete": ("DeleteObject", "DeleteObjects"),
    "deleteObject": ("DeleteObject",),
    "deleteObjects": ("DeleteObjects",),
    "innerMkdirs": ("PutObject",),
    "putObjectDirect": ("PutObject",),
    "PUT 0-byte object": ("PutObject",),
    "Writing Object": ("PutObject",),
    "initiate MultiPartUpload": ("CreateMultipartUpload",),
    "completeMultipartUpload": ("CompleteMultipartUpload",),
    "doesBucketExist": ("HeadBucket",),
    "doesBucketExistV2": ("HeadBucket",),
    "verifyBucketExists": ("HeadBucket",),
    "verifyBucketExistsV2": ("HeadBucket",),
}
# Airflow's S3Hook (airflow/providers/amazon/aws/hooks/s3.py): the failing method in its traceback.
_AIRFLOW_CALL = re.compile(
    r"\bin (load_file|load_string|load_bytes|load_file_obj|download_file|read_key|check_for_key|get_key|"
    r"list_keys|list_prefixes|delete_objects|copy_object|check_for_bucket|check_for_prefix|select_key)\b"
)
_AIRFLOW_OPS: dict[str, tuple[str, ...]] = {
    "load_file": ("PutObject",),
    "load_string": ("PutObject",),
    "load_bytes": ("PutObject",),
    "load_file_obj": ("PutObject",),
    "download_file": ("HeadObject", "GetObject"),
    "read_key": ("GetObject",),
    "check_for_key": ("HeadObject",),
    "get_key": ("HeadObject",),
    "list_keys": ("ListObjectsV2",),
    "list_prefixes": ("ListObjectsV2",),
    "check_for_prefix": ("ListObjectsV2",),
    "delete_objects": ("DeleteObjects",),
    "copy_object": ("CopyObject",),
    "check_for_bucket": ("HeadBucket",),
    "select_key": ("SelectObjectContent",),
}


_STAT = re.compile(r"(?i:\bstat\b)")


def _ops(found: tuple[str, ...]) -> Inferred:
    return Inferred(operation=found[0]) if len(found) == 1 else Inferred(candidates=found)


def go_object_call(flat: str) -> Inferred:
    """The operation and key a Go service's "error putting object KEY: ..." names; empty when none does."""
    if "rror " not in flat:
        return Inferred()
    gm = _GO_OBJECT_VERB.search(flat)
    if gm is None or gm.group(2).lower() in _operation_words():
        # "error getting object head:", "... object metadata:": a word of S3's operation names is what the call
        # asked of the object, not the object's key.
        return Inferred()
    return Inferred(operation=_GO_OBJECT_OPS[gm.group(1)], key=gm.group(2))


@lru_cache(maxsize=1)
def _operation_words() -> frozenset[str]:
    """Every word of S3's operation names in botocore's model (`head`, `object`, `tagging`, `acl`, `attributes`)."""
    model = service_model("s3")
    return frozenset(w for name in (model or {}).get("operations", {}) for w in words_of(name))


def from_tools(flat: str) -> Inferred:
    """The operation a tool's log line names (the earliest one in the text)."""
    best: tuple[int, tuple[str, ...]] | None = None
    for phrase, ops in _TOOL_PHRASES if any(c in flat for c in _TOOL_HINTS) else ():
        idx = flat.find(phrase)
        if idx >= 0 and (best is None or idx < best[0]):
            best = (idx, ops)
    for needle, pattern, table in (
        ("Request(", _S3FS_CALL, None),
        ("CheckBucket(", _S3FS_CALL, None),
        (" on s3a://", _S3A_CALL, _S3A_OPS),
        ("hooks/s3.py", _AIRFLOW_CALL, _AIRFLOW_OPS),
        ("S3Hook", _AIRFLOW_CALL, _AIRFLOW_OPS),
    ):
        if needle not in flat:
            continue
        m = pattern.search(flat)
        if m is None or (best is not None and m.start() >= best[0]):
            continue
        name = m.group(1)
        if table is None:
            best = (m.start(), (_S3FS_OPS[name],))
        else:
            key = "upload part" if name.startswith("upload part") else name
            key = "PUT 0-byte object" if name.startswith("PUT ") and "part" not in name else key
            named = table.get(key) or (("UploadPart",) if "part" in name else None)
            if named is not None:
                best = (m.start(), named)
    go = go_object_call(flat)
    if go.operation is not None and (best is None or flat.find(" object ") < best[0]):
        return go
    if best is not None and _STAT.search(flat, best[0], best[0] + 20) is not None:
        # POSIX's stat, which S3's API has no verb for: a tool implements it as a HEAD (or a LIST for a folder),
        # so its word only suggests the call.
        return Inferred(candidates=best[1])
    if best is None and "Failed to copy: " in flat:  # rclone, when nothing more specific says which side failed
        best = (0, ("GetObject", "PutObject"))
    return _ops(best[1]) if best is not None else Inferred()


# ---------------------------------------------------------------------------------------------------------
# CloudFront: a 403 CloudFront passed on (`via: ... (CloudFront)`, `x-cache: Error from cloudfront`)
# ---------------------------------------------------------------------------------------------------------
_CLOUDFRONT = re.compile(r"(?i:x-cache: ?Error from cloudfront|\(CloudFront\)|x-amz-cf-id:|x-amz-cf-pop:)")


def is_cloudfront(flat: str) -> bool:
    """True when the text shows a response CloudFront served (its `via`, `x-cache` or `x-amz-cf-*` headers)."""
    low_hit = "loudfront" in flat or "LOUDFRONT" in flat or "x-amz-cf-" in flat.lower()
    return low_hit and _CLOUDFRONT.search(flat) is not None
