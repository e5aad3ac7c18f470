"""Field extraction from one error's text.

Every pattern begins with a literal (so the regex engine skips ahead with a fast scan) and every variable
repetition is bounded, so no pattern can backtrack catastrophically: work is linear in the text's length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote

from bot.arn import Arn
from bot.parse import entities
from bot.parse import operations as ops
from bot.parse import vocabulary as vocab
from bot.parse.access_points import access_point_in_urls
from bot.parse.accesslog import read_access_log
from bot.parse.cloudtrail import TrailRecord, is_record, read_record
from bot.parse.context import stated_keys
from bot.parse.copy_source import copy_source_value
from bot.parse.entities import is_masked
from bot.parse.list_params import listing_keys
from bot.parse.lookalikes import LOOKALIKES
from bot.parse.model import DeniedRequest
from bot.parse.vocabulary import endpoint_region
from bot.s3ops import action_for_operation, canonical_operation

# ---------------------------------------------------------------------------------------------------------
# Error codes
# ---------------------------------------------------------------------------------------------------------
KNOWN_CODES: tuple[str, ...] = (
    "AccessDenied",
    "AccessDeniedException",
    "AllAccessDisabled",
    "AccountProblem",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidToken",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "TokenRefreshRequired",
    "RequestTimeTooSkewed",
    "RequestExpired",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchBucketPolicy",
    "NoSuchUpload",
    "NoSuchVersion",
    "PermanentRedirect",
    "TemporaryRedirect",
    "AuthorizationHeaderMalformed",
    "AuthorizationQueryParametersError",
    "AccessControlListNotSupported",
    "InvalidObjectState",
    "MethodNotAllowed",
    "MissingSecurityHeader",
    "InvalidBucketName",
    "KMS.NotFoundException",
    "KMS.DisabledException",
    "KMS.KMSInvalidStateException",
    "KMS.AccessDeniedException",
    "NotFoundException",
    "DisabledException",
    "KMSInvalidStateException",
    "InvalidCiphertextException",
    "IncorrectKeyException",
)
# A response without a body (HEAD) has no S3 code: SDKs put the HTTP reason in its place ("Forbidden: Forbidden"
# from aws-sdk-go). Read only when no code is written (a status line's "403 Forbidden: <Error>..." is no code).
_REASON_CODE = re.compile(r"(?<![.\w])(?<!\d )(Forbidden|NotFound|BadRequest): ")
_CODE_ALT = "|".join(re.escape(c) for c in sorted(KNOWN_CODES, key=len, reverse=True))
_CODE = r"[A-Za-z][A-Za-z0-9.]{0,63}"

# Explicit code fields, in no particular order: the earliest occurrence in the text wins. Each pattern comes
# with literals it cannot match without (a C-speed substring test skips it on texts that lack them all).
_EXPLICIT_CODES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    # botocore's ClientError; a paste may lose the space after the code ("An error occurred (403)when calling").
    ((") when calling the ", ")when calling the "), re.compile(r"\((" + _CODE + r"|\d{3})\) ?when calling the ")),
    # Older botocore worded the same error "A client error (CODE) occurred when calling the OP operation: MESSAGE".
    (("A client error (",), re.compile(r"A client error \((" + _CODE + r"|\d{3})\) occurred when calling the ")),
    # The AWS SDK for Kotlin (smithy-kotlin): "Service returned error code 403: Forbidden" (the status stands in for
    # the code when the error response has no body, as for HEAD).
    (("returned error code ",), re.compile(r"[Ss]ervice returned error code (" + _CODE + r"|\d{3})\b")),
    # (not "HTTP Error Code: 403", a tool's label for the status beside its "AWS Error Code: AccessDenied")
    (("Error Code",), re.compile(r"(?<!HTTP )Error Code: ?(\d{3}(?: [A-Z][a-z]{2,20})?)")),
    (("Error Code",), re.compile(r"Error Code ?[:=]? ?(" + _CODE + r")(?: and Http Status Code|[;,)\s]|$)")),
    (("<Code>",), re.compile(r"<Code>\s?(" + _CODE + r"|\d{3})\s?</Code>")),
    (("api error ",), re.compile(r"api error (" + _CODE + r"):")),
    (("S3 error: ",), re.compile(r"S3 error: \d{3} \((" + _CODE + r")\)")),
    (("ode: '",), re.compile(r"(?<![A-Za-z])[Cc]ode: ?'(" + _CODE + r")'")),
    (("{Code: ",), re.compile(r"\{Code: (" + _CODE + r"),")),
    (("S3::",), re.compile(r"S3::\w{1,64}\(\): \[(" + _CODE + r")\]")),
    # aws-sdk-php's AwsException: "CODE (client): message", the status as the code when the response had no body.
    ((" (client): ", " (server): "), re.compile(r"\b(" + _CODE + r"|\d{3}) \((?:client|server)\): ")),
    # The AWS SDK for Ruby names the code as the error's class: Aws::S3::Errors::Forbidden (v1: AWS::S3::Errors::...).
    (("::Errors::",), re.compile(r"\bA(?:WS|ws)::[A-Z]\w{0,40}::Errors::(" + _CODE + r")\b")),
    # The AWS SDK for PHP v2 names S3's exception after the code (its NamespaceExceptionFactory appends
    # `Exception`): Aws\S3\Exception\AccessDeniedException is S3's AccessDenied (S3's codes never end in
    # `Exception`; S3Exception is the base class, no code). An error page may space the namespace out.
    (
        ("Exception \\", "Exception\\"),
        re.compile(r"\bAws ?\\ ?S3 ?\\ ?Exception ?\\ ?(?!S3Exception)([A-Z][A-Za-z0-9]{1,60}?)Exception\b"),
    ),
    # The JSON protocols' error type header (Smithy awsJson1_0/1_1, restJson1): "x-amzn-ErrorType: CODE:namespace".
    (
        ("x-amzn-errortype", "x-amzn-ErrorType", "X-Amzn-Errortype"),
        re.compile(r"(?i:x-amzn-errortype)[\"']?\s?[:=]\s?\[?[\"']?([A-Za-z][A-Za-z0-9.]{0,63})(?![\w.])"),
    ),
    (('"errorCode"',), re.compile(r"\"errorCode\" ?: ?\"(" + _CODE + r")\"")),
    (('code: Some("',), re.compile(r"\bcode: Some\(\"(" + _CODE + r")\"\)")),
    # The AWS SDK for Swift's UnknownAWSHTTPServiceError: typeName: Optional("CODE").
    (("typeName: ",), re.compile(r"\btypeName: Optional\(\"(" + _CODE + r")\"\)")),
    (KNOWN_CODES, re.compile(r"(?<![.\w])(" + _CODE_ALT + r"): ")),
)

# Messages that name their code (SDKs that print only the message: Java v2, some wrappers).
MESSAGE_CODES: tuple[tuple[str, str], ...] = (
    ("Access Denied", "AccessDenied"),
    ("Request has expired", "AccessDenied"),
    ("The AWS Access Key Id you provided does not exist in our records", "InvalidAccessKeyId"),
    ("The request signature we calculated does not match", "SignatureDoesNotMatch"),
    ("The provided token has expired", "ExpiredToken"),
    ("The specified key does not exist", "NoSuchKey"),
    ("The specified bucket does not exist", "NoSuchBucket"),
    ("The difference between the request time and the current time is too large", "RequestTimeTooSkewed"),
    ("must be addressed using the specified endpoint", "PermanentRedirect"),
    ("All access to this object has been disabled", "AllAccessDisabled"),
    ("The bucket does not allow ACLs", "AccessControlListNotSupported"),
    ("There is a problem with your AWS account", "AccountProblem"),
    ("The operation is not valid for the object's storage class", "InvalidObjectState"),
    ("The operation is not valid for the current state of the object", "InvalidObjectState"),
)
_EXCEPTION_CONTEXT = re.compile(r"S3Exception|ServiceException|ClientError|AmazonS3|S3Error")

# ---------------------------------------------------------------------------------------------------------
# HTTP status, request id, operation
# ---------------------------------------------------------------------------------------------------------
_REASONS = {
    "Forbidden": 403,
    "BadRequest": 400,
    "NotFound": 404,
    "MovedPermanently": 301,
    "Unauthorized": 401,
}
_S3_STATUS_DIGITS = ("400", "401", "403", "404", "405", "409", "412", "416", "500", "501", "503")
# HTTP reason phrases as class names (`Forbidden`, `NotFound`, `PreconditionFailed`), from Python's HTTPStatus: Ruby's
# Excon (fog's HTTP client) raises Excon::Error::<Phrase> (older Excon: Excon::Errors::<Phrase>) for each status.
_PHRASE_STATUS = {s.phrase.replace(" ", "").replace("-", ""): s.value for s in HTTPStatus if s.value >= 400}
_EXCON_STATUS = re.compile(r"\bExcon::Errors?::([A-Z][A-Za-z]{2,40})\b")
REASON_THEN_CODE = r"\b(?i:forbidden|unauthorized|bad request|not found) \(([45]\d\d)\)"
_STATUS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    # The AWS SDK for JavaScript v2's request logger: "[AWS s3 403 0.706s 0 retries] getBucketLocation({...})"
    # (lib/event_listeners.js: "[AWS " + serviceIdentifier + " " + status + " " + delta + "s " + retries + " retries]").
    (("retries]",), re.compile(r"\[AWS [a-z0-9-]{2,40} ([1-5]\d\d) [\d.]{1,12}s \d{1,3} retries\]")),
    (("tatus", "TATUS"), re.compile(r"(?i:status ?code)[:=]? ?(\d{3})\b")),
    # Logged as a field: status=403, "statusCode": 403, http_status: 403, httpStatusCode=403, HTTPStatusCode: 403.
    (
        ("tatus", "TATUS"),
        re.compile(r"(?i:status(?:[ _-]?code)?)[\"']?\s?[:=]\s?[\"']?([1-5]\d\d)\b"),
    ),
    (("HTTP ",), re.compile(r"\bHTTP ([45]\d\d)\b")),
    (("HTTP/",), re.compile(r"HTTP/[123](?:\.[01])? (\d{3})\b")),
    (
        ("Forbidden", "Bad Request", "Not Found", "Moved Permanently", "Unauthorized"),
        re.compile(r"\b([1-5]\d\d) \(?(?:Forbidden|Bad Request|Not Found|Moved Permanently|Unauthorized)\b"),
    ),
    (("S3 error: ",), re.compile(r"S3 error: (\d{3})\b")),
    (("StatusCode(",), re.compile(r"\bStatusCode\((\d{3})\)")),
    (("Response {",), re.compile(r"\bResponse \{ (?:inner: Response \{ )?status: (\d{3})\b")),  # Rust SDK, older
    (("esponse code",), re.compile(r"(?:HTTP r|\bR)esponse code:? (\d{3})\b")),
    (("HTTP Error ",), re.compile(r"\bHTTP Error (\d{3}): ")),
    (("googleapi: Error ",), re.compile(r"\bgoogleapi: Error (\d{3})\b")),  # Google's Go API clients
    (("http_status_",), re.compile(r"\bhttp_status_(\d{3})\b")),  # the AWS SDK for Swift's status names
    # The reason before its code, as Apple's NSHTTPURLResponse words it (AFNetworking: "Request failed: forbidden
    # (403)"); HTTP reasons are case-insensitive.
    (("orbidden (", "nauthorized (", "equest (", "ound ("), re.compile(REASON_THEN_CODE)),
    (("An error occurred (",), re.compile(r"An error occurred \((\d{3})\)")),
    (
        ("Http Status Code ",),
        re.compile(r"Http Status Code (Forbidden|BadRequest|NotFound|MovedPermanently|Unauthorized)\b"),
    ),
    # In a tool's or a person's words: "Status 403", "HTTP Error Code: 403", "error code 403", "returns 403",
    # "Access Denied (403)", "Actual(403 Forbidden)", "http_status_403". Only the statuses S3's error responses carry
    # (S3 API Reference, "List of error codes"), so that a tool's own numbered code ("Code: 499") is not one.
    (
        _S3_STATUS_DIGITS,
        re.compile(
            r"(?i:\bstatus|\bcode|\bhttp|\bresponse|\breturn(?:s|ed|ing)?|\berror|\bget(?:s|ting)?|\bactual|"
            r"\bdenied)[\s:=*_(]{1,4}(" + "|".join(_S3_STATUS_DIGITS) + r")(?![\d.:])"
        ),
    ),
)
_REQUEST_ID: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "Request ID: X", "RequestId=X", "request-id: X", "request_id='X'", "\"requestId\": \"X\"" (not the
    # extended request id, S3's x-amz-id-2).
    (
        "",
        re.compile(
            r"(?i:request[ _-]?id)[\"']?\s?[:=] ?"
            # A typed wrapper around the value: Swift's Optional("X"), Rust's Some("X"), R's chr "X".
            r"(?:[A-Za-z]{1,12}\(|chr )?['\"]?([^\s;,)'\"{}\[\]]{0,128})"
        ),
    ),
    ("<RequestId>", re.compile(r"<RequestId>\s?([^<\s]{0,128})\s?</RequestId>")),
    # S3-compatible stores write other shapes (Ceph RGW: tx000...-00570d4891-c9fa396-default).
    ("", re.compile(r"(?i:x-amz-request-id)[\"']?\s?[:=]\s?[\"']?([A-Za-z0-9][A-Za-z0-9-]{0,127})")),
    ("mzn-", re.compile(r"(?i:x-amzn-requestid)[\"']?\s?[:=]\s?\[?[\"']?([A-Za-z0-9-]{1,128})")),
    # Redshift's S3ServiceException: "Status 403,Error AccessDenied,Rid D14F284FE3B45734,ExtRid ...".
    ("Rid ", re.compile(r"(?<![\w-])Rid ([0-9A-Z]{16})\b")),
    ("aws_request_id", re.compile(r"aws_request_id\"?: ?\"([A-Za-z0-9]{1,128})\"")),
    ("request_id: Some(", re.compile(r"\brequest_id: Some\(\"([A-Za-z0-9]{1,128})\"\)")),
)
_OPERATIONS: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    # (needle, pattern, must be a known S3 operation or SDK alias)
    ("when calling the", re.compile(r"when calling the (\w{1,64}) operation"), False),
    ("retries]", re.compile(r"\[AWS [a-z0-9-]{2,40} [1-5]\d\d [\d.]{1,12}s \d{1,3} retries\] (\w{1,64})"), True),
    ("operation error ", re.compile(r"operation error [\w ]{1,40}: (\w{1,64}),"), False),
    ("Error executing", re.compile(r"Error executing \"(\w{1,64})\""), False),
    ("S3::", re.compile(r"S3::(\w{1,64})\(\)"), True),
    (".s3.model.", re.compile(r"\.s3\.model\.(\w{1,64})Request\b"), True),
    ("OperationDeserializer", re.compile(r"\b(\w{1,64})OperationDeserializer"), True),
    ("Command", re.compile(r"\b(?:de_|deserializeAws_restXml)?(\w{1,64})Command(?:Error)?\b"), True),
)
_KMS_OPERATIONS = frozenset(
    {"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt", "DescribeKey"}
)

# ---------------------------------------------------------------------------------------------------------
# The enriched message: "User: ARN is not authorized to perform: ACTION on resource: "ARN" because ..."
# ---------------------------------------------------------------------------------------------------------
_ENRICHED = re.compile(
    # The principal may hold a poster's placeholder with spaces (`arn:aws:iam::<acct>:user/<iam user name>`).
    r"User: (\S{1,2048}?(?: [^\s:]{1,64}){0,3}) is not authorized to perform: ?([A-Za-z0-9-]{1,64}:[A-Za-z0-9*]{1,128})"
    r"(?: on (?:resource: ?(\"[^\"]{0,4096}\"|\S{1,4096})|this resource))?"
    r"(?: ?(because|with) (.{0,600}))?"
)
_POLICY_TYPES: tuple[tuple[str, str], ...] = (
    ("identity-based polic", "identity"),
    ("resource-based polic", "resource"),
    ("service control polic", "scp"),
    ("resource control polic", "rcp"),
    ("VPC endpoint polic", "vpc-endpoint"),
    ("permissions boundar", "permissions-boundary"),
    ("session polic", "session"),
)
_POLICY_ARN = re.compile(r"^(?:an? )?[\w -]{1,40}(?:polic(?:y|ies)|boundar(?:y|ies)): (arn:\S{1,2048})")
# IAM Access Troubleshooter (IAM User Guide, "Troubleshoot access denied error messages with authorization ID"):
# "Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/ID for complete
# details, or call the GetRequestAuthorizationDetails API with the following authorization id: ID". The API's
# pattern for the ID is [0-9a-z]+; AWS's own examples show upper case too, so both are read.
_AUTHORIZATION_ID = re.compile(r"(?:(?i:authorization id):? ?|#/authorization-details/)([A-Za-z0-9]{1,256})\b")
# Where the reason clause ends: the policy ARN, the next sentence, an SDK's trailer, a quote or markup.
_REASON_END = re.compile(r": arn:|\. |\.$| \(|[\"'<;`]| [Ss]tatus [Cc]ode|\b(?:Go to|for complete details)\b")
_REASON_ACTION = re.compile(r"no [\w -]{1,60}polic(?:y|ies) allows? the [\w:*.-]{1,200} action")
_KMS_KEY_MISSING = re.compile(r"Key '(arn:[^'\s]{1,2048})' does not exist")
_KMS_MARKERS = re.compile(
    r"\(Service: AWSKMS|ciphertext refers to a customer master key|\bKMS\.\w{1,64}Exception|Service: KMS\b"
)

# ---------------------------------------------------------------------------------------------------------
# Bucket and key
# ---------------------------------------------------------------------------------------------------------
_P_STRONG, _P_CLI, _P_MENTION = 1, 2, 3
_PHP_URL = re.compile(r"Error executing \"\w{1,64}\" on \"(https?://[^\"\s]{1,4096})\"")
_REQUEST_URL = re.compile(r"request: [A-Z]{3,7} (https?://[^\s\"'`<>]{1,4096})")
_XML_BUCKET = re.compile(r"<BucketName>\s?([^<\s]{1,255})\s?</BucketName>")
_XML_KEY = re.compile(r"<Key>([^<]{1,2048})</Key>")
_XML_RESOURCE = re.compile(r"<Resource>\s?/([^<\s]{1,2048})\s?</Resource>")
_CLI_FAILED = re.compile(r"(upload|download|copy|move) failed: (\S{1,4096}) to (\S{1,4096})")
_CLI_DELETE = re.compile(r"delete failed: (s3://\S{1,4096})")
_BOTO_UPLOAD = re.compile(r"Failed to upload \S{1,4096} to ([^/\s:]{1,255})/(\S{1,2048}?): ")
_S3_URI = re.compile(r"\bs3[an]?://([^/\s\"'`<>]{1,255})(?:/([^\s\"'`<>]{0,2048}))?")
# SDK parameters and CLI options naming the bucket and key: Bucket='b' (boto3), "Bucket": "b" (JS), --bucket b.
_PARAM_BUCKET = re.compile(r"(?:\bBucket[\"']?\s?[:=]\s?[\"']|--bucket[ =])(?!arn:)([a-z0-9][a-z0-9.-]{1,62})\b")
# An access point (or Multi-Region Access Point, Object Lambda access point) ARN where a bucket name goes: S3's
# API takes it as the Bucket parameter (`--bucket ARN`, Bucket='ARN', `s3://ARN/key` in the CLI); the request's
# resource is then the access point's object ARN (S3 User Guide, "Using access points"; "Multi-Region Access
# Points": arn:aws:s3::ACCOUNT:accesspoint/ALIAS.mrap).
_AP_ARN = r"arn:aws[a-z-]*:s3(?:-object-lambda)?:[a-z0-9-]*:\d{12}:accesspoint[/:][A-Za-z0-9.-]{1,63}"
_AP_BUCKET_PARAM = re.compile(
    r"(?:\bBucket[\"']?\s?[:=]\s?[\"']|--bucket[ =])(" + _AP_ARN + r")(?:/object/([^\s\"'`<>]{1,2048}))?"
)
_AP_S3_URI = re.compile(r"\bs3://(" + _AP_ARN + r")(?:/([^\s\"'`<>]{1,2048}))?")
_PARAM_KEY = re.compile(r"(?:\bKey[\"']?\s?[:=]\s?[\"']|--key[ =])([^\s\"']{1,1024})")
_TF_BUCKET_PAREN = re.compile(r"S3 [Bb]ucket \(([^)\s]{1,255})\)")
# logfmt and structured-log fields naming the bucket (Go services: velero's `bucket=NAME`, zap's "bucket":"NAME")
_LOG_BUCKET = re.compile(r"(?:\bbucket=|\\?\"bucket\\?\":\s?\\?\")([a-z0-9][a-z0-9.-]{1,62})\b")
_TF_OBJECT = re.compile(r"object \"([^\"]{1,2048})\" in S3 [Bb]ucket \"([^\"\s]{1,255})\"")
_TF_BUCKET_QUOTED = re.compile(r"S3 [Bb]ucket \"([^\"\s]{1,255})\"")
# restic's (and Velero's) S3 repository: `s3:s3.amazonaws.com/BUCKET[/prefix]`, `s3:http://HOST:PORT/BUCKET[/prefix]`
# (restic docs, "Preparing a new repository": Amazon S3, MinIO). What follows the bucket is a prefix, not a key.
_RESTIC_REPO = re.compile(
    r"(?<![\w:/])s3:(?:https?://[A-Za-z0-9.-]{1,253}|[A-Za-z0-9-]{1,63}\.[A-Za-z0-9.-]{1,253})(?::\d{1,5})?"
    r"/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?![\w.-])"
)
# MinIO's client: `mc COMMAND [FLAGS] ALIAS/BUCKET[/PREFIX]` (MinIO docs, "mc" command reference), for the commands
# that take one target (so a local source path of `mc cp` is never read as ALIAS/BUCKET).
_MC_TARGET = re.compile(
    r"(?:(?<![\w./-])|(?<=\./))mc (?:mb|rb|ls|stat|cat|du|tree|find|head|rm|anonymous|policy|version|tag|"
    r"retention|legalhold|ilm|encrypt|event|replicate)(?: --?[\w-]{1,40}(?:=\S{1,200})?){0,6} "
    r"([A-Za-z0-9_.-]{1,63})/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?![\w.-])"
)
# A bucket set in configuration: an environment variable or setting whose name ends in BUCKET / BUCKET_NAME after a
# prefix (REGISTRY_STORAGE_S3_BUCKET=b, S3_BUCKET_NAME: b, storage.bucket = "b", s3-bucket: b), the value may be an
# Objective-C string literal (manager.bucket = @"b").
_CONFIG_BUCKET = re.compile(
    r"(?<=[A-Za-z0-9][_.-])(?:BUCKET|[Bb]ucket)(?:[_-]?(?:NAME|[Nn]ame))?[\"']?\s?[:=]\s?@?[\"']?"
    r"([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?![\w/:.-])"
)
_S3CMD_BUCKET = re.compile(r"Access to bucket '([^'\s]{1,255})' was denied")
_OSS_HOST = re.compile(r"<HostId>\s?([a-z0-9][a-z0-9.-]{1,62})\.oss-[a-z0-9-]{1,40}\.aliyuncs\.com")
_REGION = re.compile(r"^(?:[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]{4,10}-\d)$")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_{}")
_URL_PATH = re.compile(r"/[^ \t\n\"'`<>]{0,4095}")
_NOT_S3_HOST_LABELS = ("s3-accesspoint", "s3-control", "s3-object-lambda", "s3-outposts", "s3express-control")


@dataclass(frozen=True, slots=True)
class _Location:
    priority: int
    pos: int
    bucket: str | None
    key: str | None
    region: str | None = None


def is_placeholder(value: str) -> bool:
    """True for redacted or elided values: `…`, `...`, `<bucket>`, `{BUCKETNAME}`, `*`, `xxx`, `REDACTED`."""
    return "*" in value or is_masked(value)


def _is_elided_id(value: str) -> bool:
    """Request ids elided by the poster (`<reqid>`, `...`, truncated `ABC...`); masked ones (`12**34`) are kept."""
    v = value.strip()
    return (
        not v
        or v.lower() in {"null", "none", "undefined", "-", "id", "requestid", "request-id", "request_id", "reqid"}
        or (v.startswith("<") and v.endswith(">"))
        or "..." in v
        or "…" in v
        or v.strip("*") == ""
        or _MASK_WORD.search(v) is not None
    )


_MASK_WORD = re.compile(r"(?i:redacted|hidden|masked)")


def _clean_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.rstrip(".,;:)]")
    if key.endswith("..") and not key.strip("."):
        return key
    return key or None


def parse_s3_host(host: str) -> tuple[str | None, str | None, bool] | None:
    """For an S3 endpoint host: (bucket or None for path style, region, is_path_style); None otherwise."""
    h = host.lower().rstrip(".")
    if h.endswith(".amazonaws.com.cn"):
        labels = h[: -len(".amazonaws.com.cn")].split(".")
    elif h.endswith(".amazonaws.com"):
        labels = h[: -len(".amazonaws.com")].split(".")
    else:
        return None
    for i, label in enumerate(labels):
        if label.startswith(_NOT_S3_HOST_LABELS):
            return None
        if label.startswith("s3express-") and i:
            # A directory bucket's zonal endpoint: BUCKET.s3express-AZID.REGION.amazonaws.com
            region = next((rest for rest in labels[i + 1 :] if _REGION.match(rest)), None)
            return ".".join(host.rstrip(".").split(".")[:i]), region, False
        if label == "s3" or label.startswith(("s3-", "s3.")):
            region = None
            if label.startswith("s3-") and _REGION.match(label[3:]):
                region = label[3:]
            elif label.startswith("s3-website-") and _REGION.match(label[11:]):
                region = label[11:]  # website endpoints: BUCKET.s3-website-REGION.amazonaws.com
            for rest in labels[i + 1 :]:
                if _REGION.match(rest):
                    region = rest
            bucket = ".".join(host.rstrip(".").split(".")[:i]) if i else None
            return bucket, region, i == 0
    return None


def _url_location(url_host: str, path: str, priority: int, pos: int) -> _Location | None:
    parsed = parse_s3_host(url_host)
    if parsed is None:
        return None
    bucket, region, path_style = parsed
    path = path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
    if path_style:
        if not path:
            return None
        first, _, rest = path.partition("/")
        return _Location(priority, pos, unquote(first), unquote(rest) or None, region)
    return _Location(priority, pos, bucket, unquote(path) or None, region)


def _split_url(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[1] if "://" in url else url
    host, slash, path = rest.partition("/")
    return host.split(":", 1)[0], slash + path


def _host_locations(flat: str, priority: int) -> list[_Location]:
    """Every S3 endpoint host in the text (with or without a scheme), found from the `amazonaws.com` literal."""
    out: list[_Location] = []
    start = 0
    while True:
        idx = flat.find("amazonaws.com", start)
        if idx < 0:
            return out
        end = idx + len("amazonaws.com")
        if flat.startswith(".cn", end):
            end += 3
        # Neither scan goes back over text an earlier host or path used: each character is read at most twice.
        j = idx
        floor = max(start, idx - 300)
        while j > floor and flat[j - 1] in _HOST_CHARS:
            j -= 1
        k = end
        if k < len(flat) and flat[k] == "/":
            m = _URL_PATH.match(flat, k)
            k = m.end() if m is not None else k
        host, path = flat[j:end], flat[end:k]
        loc = _url_location(host, path, priority, j)
        if loc is not None:
            out.append(loc)
        start = k


def _locations(flat: str, operation: str | None) -> list[_Location]:
    locs: list[_Location] = []
    for m in _PHP_URL.finditer(flat):
        host, path = _split_url(m.group(1))
        if (loc := _url_location(host, path, _P_STRONG, m.start())) is not None:
            locs.append(loc)
    for m in _REQUEST_URL.finditer(flat):
        host, path = _split_url(m.group(1))
        if (loc := _url_location(host, path, _P_STRONG, m.start())) is not None:
            locs.append(loc)
    if "<" in flat:
        key_match = _XML_KEY.search(flat)
        xml_key = key_match.group(1).strip() if key_match else None
        for m in _XML_BUCKET.finditer(flat):
            locs.append(_Location(_P_STRONG, m.start(), m.group(1), xml_key))
        for m in _XML_RESOURCE.finditer(flat):
            bucket, _, key = m.group(1).partition("/")
            locs.append(_Location(_P_STRONG, m.start(), bucket, key or None))
        for m in _OSS_HOST.finditer(flat):
            locs.append(_Location(_P_STRONG, m.start(), m.group(1), None))
    for m in _CLI_FAILED.finditer(flat):
        verb, src, dst = m.groups()
        sides = [s for s in (src, dst) if s.startswith("s3://")]
        if not sides:
            continue
        if len(sides) == 2:
            reading = (operation or "").lower() in {"getobject", "headobject"} or verb == "download"
            chosen = src if reading else dst
        else:
            chosen = sides[0]
        if (um := _S3_URI.match(chosen)) is not None:
            locs.append(_Location(_P_CLI, m.start(), um.group(1), _clean_key(um.group(2))))
    for m in _CLI_DELETE.finditer(flat):
        if (um := _S3_URI.match(m.group(1))) is not None:
            locs.append(_Location(_P_CLI, m.start(), um.group(1), _clean_key(um.group(2))))
    for m in _BOTO_UPLOAD.finditer(flat):
        locs.append(_Location(_P_CLI, m.start(), m.group(1), m.group(2)))
    for m in _S3_URI.finditer(flat):
        locs.append(_Location(_P_MENTION, m.start(), m.group(1), _clean_key(m.group(2))))
    if "ucket" in flat:
        param_key = _PARAM_KEY.search(flat) if ("Key" in flat or "--key" in flat) else None
        for m in _PARAM_BUCKET.finditer(flat):
            locs.append(_Location(_P_MENTION, m.start(), m.group(1), param_key.group(1) if param_key else None))
    for m in _TF_OBJECT.finditer(flat):
        locs.append(_Location(_P_MENTION, m.start(), m.group(2), m.group(1)))
    if "mc " in flat:
        for m in _MC_TARGET.finditer(flat):
            locs.append(_Location(_P_CLI, m.start(), m.group(2), None))
    repos: list[tuple[int, int]] = []
    if "s3:" in flat:
        for m in _RESTIC_REPO.finditer(flat):
            locs.append(_Location(_P_MENTION, m.start(), m.group(1), None))
            repos.append((m.start(), m.end()))
    if "ucket" in flat or "UCKET" in flat:
        for m in _CONFIG_BUCKET.finditer(flat):
            locs.append(_Location(_P_MENTION, m.start(), m.group(1), None))
    for pattern in (_TF_BUCKET_PAREN, _TF_BUCKET_QUOTED, _S3CMD_BUCKET, _LOG_BUCKET):
        for m in pattern.finditer(flat):
            locs.append(_Location(_P_MENTION, m.start(), m.group(1), None))
    if "amazonaws.com" in flat:
        for loc in _host_locations(flat, _P_MENTION):
            if any(start <= loc.pos <= end for start, end in repos):
                loc = _Location(loc.priority, loc.pos, loc.bucket, None, loc.region)  # a repository's prefix
            locs.append(loc)
    return locs


# ---------------------------------------------------------------------------------------------------------
# One error's fields
# ---------------------------------------------------------------------------------------------------------
def _first(patterns: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...], text: str) -> re.Match[str] | None:
    """The earliest match of any pattern; a pattern runs only when one of its literals is in the text."""
    best: re.Match[str] | None = None
    for needles, p in patterns:
        for n in needles:
            if n in text:
                break
        else:
            if needles:
                continue
        m = p.search(text)
        if m is not None and (best is None or m.start() < best.start()):
            best = m
    return best


# Every request id AWS writes has a digit (S3's 16 characters, UUIDs); a poster's mask is x's or stars. A word
# after the label ("Request ID: Exception name:" with the id left empty) is none.
_ID_SHAPE = re.compile(r"\d|^[xX:*-]{3,128}$|\*")


_LAMBDA_RECORDS = ("START ", "END ", "REPORT ")
_NOT_AUTHORIZED = re.compile(r"\b[Nn]ot authorized to perform:? ([a-z][a-z0-9-]{1,40}:[A-Z][A-Za-z0-9]{1,100})\b")


def _request_id(flat: str) -> str | None:
    low = flat.lower()
    if "request" not in low and "Rid " not in flat:  # Redshift's S3ServiceException says "Rid"
        return None
    candidates: list[tuple[int, str]] = []
    for needle, p in _REQUEST_ID:
        if needle and needle not in flat:
            continue
        for m in p.finditer(flat):
            if flat[max(0, m.start() - 9) : m.start()].lower().startswith("extended"):
                continue  # S3's extended request id (x-amz-id-2) is not the request id
            if flat.endswith(_LAMBDA_RECORDS, 0, m.start()):
                continue  # Lambda's START/END/REPORT RequestId is the invocation's, not the refused request's
            value = m.group(1).strip()
            if value and not _is_elided_id(value) and _ID_SHAPE.search(value) is not None:
                candidates.append((m.start(), value))
                break
    return min(candidates)[1] if candidates else None


# A service that relays S3's own error in its message (Lambda fetching a function's code: "... denied by S3 ...
# S3 Error Code: AccessDenied. S3 Error Message: Access Denied (Service: Lambda, ... Request ID: X)"): the refusal is
# S3's, and the SDK's label and request id around it are the relaying service's.
_RELAYED_S3_CODE = re.compile(r"\bS3 Error Code: ?[A-Z][A-Za-z]{2,60}\b")


# Google Cloud Storage's refusals: its Go client's `googleapi: Error 403: ...`, GCS's IAM permission names in
# "does not have storage.objects.get access", or the product's name beside a refusal (a relaying tool's words).
_GCS_REFUSAL = re.compile(
    r"googleapi: Error [45]\d\d\b|\bstorage\.(?:objects|buckets)\.[a-z]{3,20} access to (?:the )?Google Cloud Storage"
    r"|\bGoogle Cloud Storage bucket"
)


# A tool's "error <verb>ing <Service> <Resource>": the Terraform AWS provider's "error creating Secrets Manager
# Secret: ...", "error reading Secrets Manager Secret Version: ..." name the service by its model's serviceId.
_SERVICE_CALL = re.compile(r"\b(?:[Ee]rror|[Ff]ailed)(?: to)? ([a-z]{3,20}) (?=[A-Z])")
_SERVICE_CALL_WORDS = 7


def _named_service_call(flat: str) -> tuple[str, str | None] | None:
    """(service id, IAM action or None) of the first "error <verb>ing <Service> <Resource>" that names a service
    other than S3 by its serviceId; the action when the verb and the resource's words spell one of its operations
    (creating + Secret -> secretsmanager:CreateSecret)."""
    for m in _SERVICE_CALL.finditer(flat):
        words: list[str] = []
        for word in flat[m.end() : m.end() + 200].split(" ", _SERVICE_CALL_WORDS)[:_SERVICE_CALL_WORDS]:
            bare = word.rstrip(":,(")
            if not bare[:1].isupper() or not bare.isalnum():
                break
            words.append(bare)
            if bare != word:
                break
        found = vocab.named_service(tuple(words)) if words else None
        if found is None:
            continue
        (service, prefix), used = found
        nouns = "".join(words[used:])
        for api in vocab.verb_class(m.group(1)) if nouns else ():
            if vocab.service_operation(service, api + nouns):
                return service, f"{prefix}:{api}{nouns}"
        return service, None
    return None


def _relayed_s3_error(flat: str, service: str) -> bool:
    return service != "s3" and "S3 Error Code:" in flat and _RELAYED_S3_CODE.search(flat) is not None


def _error_code(flat: str, enriched: bool) -> str | None:
    m = _first(_EXPLICIT_CODES, flat)
    if m is not None:
        return m.group(1).rstrip(".")  # "Error Code: AccessDenied." (punctuation glued to the code)
    best: tuple[int, str] | None = None
    for message, code in MESSAGE_CODES:
        idx = flat.find(message)
        if idx >= 0 and (best is None or idx < best[0]):
            best = (idx, code)
    if best is not None:
        return best[1]
    if ": " in flat and (rm := _REASON_CODE.search(flat)) is not None:
        return rm.group(1)
    if enriched and _EXCEPTION_CONTEXT.search(flat):
        return "AccessDenied"
    return None


def _http_status(flat: str) -> int | None:
    if "Excon::Error" in flat:
        for em in _EXCON_STATUS.finditer(flat):
            if em.group(1) in _PHRASE_STATUS:
                return _PHRASE_STATUS[em.group(1)]
    m = _first(_STATUS, flat)
    if m is None:
        return None
    value = m.group(1)
    return _REASONS[value] if value in _REASONS else int(value)


def _operation(flat: str) -> str | None:
    for needle, pattern, must_be_known in _OPERATIONS:
        if needle not in flat:
            continue
        for m in pattern.finditer(flat):
            name = m.group(1)
            canon = canonical_operation(name)
            if canon is not None:
                return canon
            if not must_be_known:
                return name
    return None


_FORMAT_CHECKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cloudtrail", ('"eventName"', '"eventSource"')),
    ("access-log", (" REST.GET.", " REST.PUT.", " REST.HEAD.", " REST.DELETE.", " REST.POST.", " WEBSITE.GET.")),
    ("cloudfront", ("Error from cloudfront", "(CloudFront)", "x-amz-cf-id")),
    ("s3a", ("s3a://", "fs.s3a.")),
    ("rust", ("aws_sdk_s3", "SdkError", "ServiceError {", 'code: Some("')),
    ("s3fs", ("s3fs", "curl.cpp:")),
    ("cfn-response", ("send(..) failed executing", "cfn-response", "cfnresponse")),
    ("minio", ("mc: <ERROR>", "minio")),
    ("airflow", ("airflow",)),
    ("php", ('Error executing "', "S3::", "aws-sdk-php")),
    ("java-v2", ("software.amazon.awssdk", "(Service: S3,")),
    ("kotlin", ("aws.sdk.kotlin",)),
    ("java-v1", ("com.amazonaws", "(Service: Amazon S3;", "(Service: AWSKMS;")),
    ("dotnet", ("Amazon.S3.", "Amazon.Runtime", "AmazonS3Exception")),
    ("terraform", ("Error: Error ", "in S3 bucket", "backend", ".terraform", "aws_s3_")),
    ("rclone", ("rclone",)),
    ("s3cmd", ("s3cmd", "S3 error: ")),
    ("aws-cli", ("upload failed:", "download failed:", "copy failed:", "move failed:", "delete failed:")),
    ("aws-cli", ("fatal error: An error occurred",)),
    ("botocore", ("An error occurred (", "A client error (", "botocore", "boto3")),
    ("go", ("operation error ", "status code: ", "aws-sdk-go")),
    ("js-v3", ("@aws-sdk", "$metadata", "$fault")),
    ("js-v2", ("aws-sdk/lib", "code: '", "Error: ")),
    ("xml", ("<Error>", "<Code>")),
    ("http", ("HTTP/1.", "HTTP/2")),
    ("enriched", ("is not authorized to perform",)),
    ("console", ("Insufficient permissions", "You don't have permission")),
)


def _source_format(flat: str) -> str:
    for name, needles in _FORMAT_CHECKS:
        for n in needles:
            if n in flat:
                return name
    return "other"


def extract_request(text: str, *, brief: bool = False) -> DeniedRequest:
    """Every field one error's text states. `text` is normalized (see `normalize`) but may span lines.

    `brief`: only what tells two pieces of text apart as requests (code, operation the text names, bucket, key,
    principal, resource, request id), for cutting a paste into requests before each is read in full.
    """
    flat = " ".join(text.split())
    enriched = _ENRICHED.search(flat) if "is not authorized to perform" in flat else None

    principal = action = resource_arn = deny_kind = policy_type = policy_arn = reason_clause = None
    anonymous = False
    if enriched is not None:
        who, action, resource, joiner, reason = enriched.groups()
        if who == "anonymous":
            anonymous = True
        else:
            principal = who
        if resource:
            resource_arn = resource.strip('"') or None
        reason = reason or ""
        reason_clause = _reason_clause(reason)
        for phrase, kind in _POLICY_TYPES:
            if phrase in reason:
                policy_type = kind
                break
        if joiner == "with" and reason.startswith("an explicit deny"):
            deny_kind = "explicit"
            if (pm := _POLICY_ARN.match(reason.removeprefix("an explicit deny in "))) is not None:
                policy_arn = pm.group(1).rstrip(".,;")
        elif joiner == "because" and reason.startswith("no ") and policy_type is not None:
            deny_kind = "implicit"
        elif policy_type is not None and "does not exist" in reason and "explicitly denies" in reason:
            deny_kind = None  # AWS's three-way "does not exist / no policy allows / a policy denies"
        if policy_type is None and joiner == "because":
            deny_kind = None
    if enriched is None and "ot authorized to perform" in flat and (na := _NOT_AUTHORIZED.search(flat)) is not None:
        action = na.group(1)  # STS's short form: "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    if resource_arn is None and (km := _KMS_KEY_MISSING.search(flat)) is not None:
        resource_arn = km.group(1)
    if resource_arn is None and "accesspoint" in flat:
        resource_arn = _access_point_resource(flat)
    if resource_arn is None and ".s3-accesspoint" in flat and (ap_host := access_point_in_urls(flat)) is not None:
        resource_arn = ap_host.resource_arn  # https://NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com/KEY

    error_code = _error_code(flat, enriched is not None)
    operation = _operation(flat)
    record = read_record(flat) if is_record(flat) else None
    if record is not None:
        error_code = record.error_code or error_code
        if operation is None and record.event_name:
            operation = ops.known(record.event_name) or record.event_name
        if principal is None and record.principal_arn:
            principal = record.principal_arn
        if resource_arn is None and record.resource_arn and not record.resource_arn.startswith("arn:aws:s3:::"):
            resource_arn = record.resource_arn  # a KMS key; S3's bucket and key come from requestParameters
        anonymous = anonymous or record.anonymous
    logline = read_access_log(text) if record is None and not brief else None
    if logline is not None:
        error_code = logline.error_code or error_code
        operation = operation or logline.operation
        if principal is None and logline.requester and logline.requester.startswith("arn:"):
            principal = logline.requester
    if brief:
        bucket, key, _ = _bucket_key_region(flat, operation, resource_arn, (), record)
        return DeniedRequest(
            error_code=error_code,
            operation=operation,
            bucket=bucket,
            key=key,
            principal_arn=principal,
            resource_arn=resource_arn,
            request_id=_request_id(flat),
        )
    http = _http_request(flat)
    if http.operation is None and "StringToSign:" in text:
        http = ops.string_to_sign_request(text)
    if principal is None and not anonymous and _unsigned_fetch(flat):
        anonymous = True
    candidates: tuple[str, ...] = ()
    inferred = ops.Inferred()
    general = _General(flat)
    if operation is None:
        # SDK call shapes can name an operation only where the vocabulary finds one: skip them otherwise.
        names_one = any(m.kind == "operation" for m in general.mentions)
        sdk = ops.from_sdk_names(flat) if names_one else ops.Inferred()
        if sdk.operation is not None and (error_code or "") in LOOKALIKES:
            # A stack frame beside an error that is no access denial (bad key id, missing key) is context, not
            # the request to diagnose: offered as a candidate only.
            sdk = ops.Inferred(candidates=(sdk.operation,))
        for found in (http, sdk, ops.from_cli(text), ops.from_tools(flat)):
            if found.operation or found.candidates:
                inferred = found
                break
        if inferred.operation is None and not inferred.candidates and ops.is_cloudfront(flat):
            inferred = ops.Inferred(candidates=("GetObject", "HeadObject"))  # what a CloudFront viewer sends
        operation, candidates = inferred.operation, inferred.candidates
        if operation is None and candidates and (error_code or "") not in LOOKALIKES:
            # A tool's line only suggests; an operation the text names outright (a trace, an SDK error) states it.
            spelled = entities.choose_operation(general.mentions, general.error_pos(error_code))
            if spelled.operation is not None and spelled.service in (None, "s3"):
                operation, candidates = spelled.operation, ()

    # The general path: AWS's vocabulary anywhere in the text, for what no per-format rule found.
    if error_code is None:
        error_code = entities.first_code(general.mentions)
    general_service: str | None = None
    if operation is None and not candidates:
        choice = entities.choose_operation(general.mentions, general.error_pos(error_code), flat)
        operation, candidates, general_service = choice.operation, choice.candidates, choice.service
        if general_service in ("kms", "sts") and operation is not None and action is None:
            action = f"{general_service}:{operation}"  # KMS's and STS's actions are named as their operations

    other = None
    if action is None and record is None and operation is not None and canonical_operation(operation) is None:
        # An operation only another service has ("when calling the CreateChangeSet operation"): that service's.
        other = vocab.other_service_operation(operation)
        if other is not None:
            action = other[1]
    if other is None and operation is None and record is None and ("rror " in flat or "ailed " in flat):
        # A tool's words name the service (and maybe the call): "error creating Secrets Manager Secret: ...".
        service_call = _named_service_call(flat)
        if service_call is not None and action is None and entities.refusing_service(flat) is None:
            other = (service_call[0], service_call[1] or "")
            action = service_call[1]
        if service_call is not None and service_call[1] is not None and action == service_call[1]:
            operation, candidates = service_call[1].split(":", 1)[1], ()
    if "aliyuncs.com" in flat:
        service = "oss"
    elif "oogle" in flat and _GCS_REFUSAL.search(flat) is not None:
        service = "gcs"  # a lookalike: Google Cloud Storage refused, not S3
    elif other is not None:
        service = other[0]
    elif action is not None and ":" in action:
        service = action.split(":", 1)[0].lower()
    elif record is not None and record.service and record.service != "s3":
        service = record.service
    else:
        service = entities.refusing_service(flat) or "s3"
    relayed = _relayed_s3_error(flat, service)
    if relayed:
        service = "s3"
    endpoint = None
    if service == "s3" and action is None and (ep := _endpoint(flat)) is not None:
        endpoint = ep  # another service's endpoint answered (STS's error namespace, ECR's registry host)
        service = ep[0]
    if service == "s3" and (_KMS_MARKERS.search(flat) or (error_code or "").startswith("KMS.")):
        service = "kms"

    if (
        operation is not None
        and action is None
        and service not in _S3_FAMILY
        and general_service in (None, "s3")
        and action_for_operation(operation) is not None
        and not _spelled(operation, flat)
    ):
        # Another service refused (Rekognition's InvalidS3ObjectException, "(Service: AmazonRekognition"): an S3
        # operation its message describes ("Unable to get object metadata from S3") is what that service tried,
        # not the refused request's operation, which is the other service's. (An operation the text spells out,
        # "permission to GetObject for b/k ... denied by S3", is still the request's.)
        operation, candidates = None, ()
    s3_operation = general_service in (None, "s3")
    action_inferred = False
    if action is None and operation is not None and s3_operation and not (error_code or "").startswith("KMS."):
        action = action_for_operation(operation) or vocab.DOCUMENTED_OPERATIONS.get(operation)
        action_inferred = action is not None
        if action is None and service == "kms" and operation in _KMS_OPERATIONS:
            action = f"kms:{operation}"

    bucket, key, region = _bucket_key_region(flat, operation, resource_arn, (http, inferred), record)
    if key is None and resource_arn is None:
        # A tool's log names the key its call used ("error putting object KEY: ..."), the bucket elsewhere or not
        # at all; taken when it names the same operation.
        go = ops.go_object_call(flat)
        if go.key and not entities.is_masked_key(go.key) and operation in (None, go.operation):
            key = go.key
    if bucket is None and key is None:
        key = http.key or inferred.key  # s3fs names the key it signs, never the bucket
    if logline is not None and entities.valid_bucket(logline.bucket):
        bucket, key = logline.bucket, logline.key  # the record's own fields: the request S3 served
        if region is None and logline.host is not None and (host := parse_s3_host(logline.host)) is not None:
            region = host[1]
    if bucket is not None and bucket.startswith("arn:"):
        # `s3://arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/KEY`: the access point is the resource, not a bucket.
        ap = next((p for p in general.places() if p.resource_arn is not None), None)
        bucket, key = None, ap.key if ap is not None else None
        if ap is not None and resource_arn is None:
            resource_arn = ap.resource_arn
    if key is None and resource_arn is not None and ":accesspoint/" in resource_arn and "/object/" in resource_arn:
        key = resource_arn.split("/object/", 1)[1]  # the access point ARN states the object's key
    stated_arn = Arn.parse(unmasked) if (unmasked := entities.stated_arn(resource_arn)) else None
    if bucket is None and key is None and (stated_arn is None or stated_arn.service != "s3"):
        place = entities.choose_place(general.places(), general.error_pos(error_code))
        if place is not None:
            bucket, key = place.bucket, place.key
            if place.resource_arn is not None and resource_arn is None:
                resource_arn = place.resource_arn
            if operation in _bucket_level_operations():
                key = None  # a bucket-level operation names no object: what follows the bucket is a prefix
    elif bucket is not None and key is None and operation not in _bucket_level_operations():
        # A key belongs with the bucket it was written with (a parameter beside it, a URI elsewhere).
        key = next((p.key for p in general.places() if p.bucket == bucket and p.key), None)
    if key is None and (operation is None or operation not in _bucket_level_operations()):
        # The object a message says it worked on ("error putting object a/b.json", "object [a/b.dat]").
        named = entities.object_keys(flat)
        if named:
            anchor = general.error_pos(error_code) or 0
            key = min(named, key=lambda pk: abs(pk[0] - anchor))[1]
    uploads = operation == "PutObject" or (operation is None and "PutObject" in candidates)
    if uploads and bucket is not None and (key is None or key.endswith("/")):
        # The S3 console's upload summary: the destination is a folder, each failed file a Name under it.
        key = _console_upload_key(flat, bucket) or key
    if key is not None and operation is not None and operation in _bucket_level_operations() and logline is None:
        key = None  # a bucket-level operation names no object: a path after its bucket is a prefix or a folder
    if service in _NO_BUCKET_SERVICES:
        bucket = key = None  # the refused call was STS's: an S3 path nearby is what the caller went on to do
    if endpoint is not None:
        region = region or endpoint[1]
    if region is None and record is not None:
        region = record.region
    if region is None:
        region = _region(flat, resource_arn, principal)

    if bucket is not None and bucket.endswith(DIRECTORY_BUCKET_SUFFIX) and service == "s3":
        # S3 Express One Zone: zonal operations are authorized by s3express:CreateSession on the bucket; the
        # regional (bucket management) ones by s3express:<Operation> (S3 User Guide, "Authorizing Zonal endpoint
        # API operations with CreateSession").
        service = "s3express"
        if action is None or action.startswith("s3:"):
            op = operation or (candidates[0] if candidates else None)
            action = "s3express:CreateSession" if op is None or op in _ZONAL_OPERATIONS else f"s3express:{op}"

    context = list(record.context) if record is not None else []
    context.extend(stated_keys(flat))
    context.extend(listing_keys(flat, operation, bucket))
    if (
        not any(k == "s3:x-amz-copy-source" for k, _ in context)
        and (source := copy_source_value(flat, operation)) is not None
    ):
        context.append(("s3:x-amz-copy-source", source))
    if http.scheme is not None:
        # aws:SecureTransport is whether the request itself used TLS (IAM global condition keys).
        context.append(("aws:SecureTransport", "true" if http.scheme == "https" else "false"))
    elif (cli_scheme := _cli_scheme(flat)) is not None:
        context.append(("aws:SecureTransport", "true" if cli_scheme == "https" else "false"))
    stated: dict[str, list[str]] = {}
    for k, v in dict.fromkeys(context):
        if k != "aws:SecureTransport" or k not in stated:
            stated.setdefault(k, []).append(v)

    # What the text masked is no value: a bucket S3 could not have, a glob or placeholder for a key, an ARN
    # with a masked account.
    if bucket is not None and not entities.valid_bucket(bucket, short=True):
        bucket = None
    if key is not None and entities.is_masked_key(key, elisions=False):
        key = None  # a placeholder or a glob (a cut `...` was judged where the key was found)
    principal = entities.stated_arn(principal)
    resource_arn = entities.stated_arn(resource_arn)
    policy_arn = entities.stated_arn(policy_arn)
    return DeniedRequest(
        source_format=_source_format(flat),
        service=service,
        error_code=error_code,
        http_status=logline.http_status if logline is not None else _http_status(flat),
        operation=operation,
        action=action,
        bucket=bucket,
        key=key,
        principal_arn=principal,
        resource_arn=resource_arn,
        deny_kind=deny_kind,
        policy_type=policy_type,
        request_id=(logline.request_id if logline is not None else None) or (None if relayed else _request_id(flat)),
        region=region,
        anonymous=anonymous,
        action_inferred=action_inferred,
        policy_arn=policy_arn,
        authorization_id=_authorization_id(flat),
        reason=reason_clause,
        operation_candidates=candidates,
        stated_context=tuple((k, tuple(v)) for k, v in stated.items()),
    )


class _General:
    """The general path's findings for one text, each computed at most once, on first use."""

    def __init__(self, flat: str) -> None:
        self.flat = flat
        self._mentions: list[entities.Mention] | None = None
        self._places: list[entities.Place] | None = None

    @property
    def mentions(self) -> list[entities.Mention]:
        if self._mentions is None:
            self._mentions = entities.mentions(self.flat)
        return self._mentions

    def places(self) -> list[entities.Place]:
        if self._places is None:
            # A `bucket/key` written after an operation's name is read only where the names were looked up (the
            # per-format rules did not find the operation): that lookup is the general path's costliest step.
            self._places = [
                *entities.places(self.flat, self._mentions or []),
                *entities.host_path_places(self.flat, parse_s3_host),
                *entities.signed_host_places(self.flat, parse_s3_host),
                *entities.table_function_places(self.flat, parse_s3_host),
            ]
        return self._places

    def error_pos(self, code: str | None) -> int | None:
        """Where the error is stated: its code, else S3's message or status."""
        for needle in (code, "Access Denied", "403", "Forbidden"):
            if needle and (idx := self.flat.find(needle)) >= 0:
                return idx
        return None


@lru_cache(maxsize=1)
def _bucket_level_operations() -> frozenset[str]:
    """S3 operations that take no object key (their `Key`-looking arguments are prefixes or nothing)."""
    from bot.parse.vocabulary import operations_with_key, service_model

    model = service_model("s3")
    names = frozenset(model["operations"]) if model is not None else frozenset()
    return names - operations_with_key()


_AWS_CLI_S3 = re.compile(r"(?:^|[\s$>#])aws (?:--[\w-]+(?:[ =]\S+)? )*s3(?:api)? [a-z]")
_ENDPOINT_URL = re.compile(r"--endpoint-url[ =]['\"]?(https?)://")


def _cli_scheme(flat: str) -> str | None:
    """The scheme an `aws s3` / `aws s3api` command in the text used: its --endpoint-url's, else https — "By
    default, the AWS CLI uses SSL when communicating with AWS services" (AWS CLI reference, --no-verify-ssl).
    None when the text shows no such command."""
    if "aws s3" not in flat and "aws --" not in flat:
        return None
    if _AWS_CLI_S3.search(flat) is None:
        return None
    m = _ENDPOINT_URL.search(flat)
    return m.group(1) if m is not None else "https"


def _access_point_resource(flat: str) -> str | None:
    """The access point object (or access point) ARN the request went to when the text passes an access point
    ARN where the bucket goes; None when it does not."""
    m = _AP_BUCKET_PARAM.search(flat)
    if m is not None:
        ap, key = m.group(1).replace("accesspoint:", "accesspoint/"), m.group(2)
        if key is None and (km := _PARAM_KEY.search(flat)) is not None:
            key = km.group(1)
    elif (m := _AP_S3_URI.search(flat)) is not None:
        ap, key = m.group(1).replace("accesspoint:", "accesspoint/"), m.group(2)
    else:
        return None
    key = _clean_key(key)
    return f"{ap}/object/{key}" if key and not entities.is_masked_key(key) else ap


def _bucket_key_region(
    flat: str,
    operation: str | None,
    resource_arn: str | None,
    inferred: tuple[ops.Inferred, ...],
    record: TrailRecord | None,
) -> tuple[str | None, str | None, str | None]:
    """The bucket and key the request went to, strongest statement first (resource ARN, request URL, CLI, mention)."""
    bucket = key = region = None
    arn = Arn.parse(resource_arn) if resource_arn else None
    if arn is not None and arn.s3_bucket and not is_placeholder(arn.s3_bucket):
        return arn.s3_bucket, arn.s3_key, None
    if arn is not None and arn.service == "s3express" and arn.resource.startswith("bucket/"):
        return arn.resource.removeprefix("bucket/") or None, None, None
    # A bucket name never holds ':' (S3's naming rules): an ARN in a bucket's place is not a bucket.
    every = _locations(flat, operation)
    locs = [
        loc
        for loc in every
        if loc.bucket and not is_placeholder(loc.bucket) and ":" not in loc.bucket and _named(loc.bucket)
    ]
    for found, priority in zip(inferred, (_P_STRONG, _P_CLI), strict=False):
        if found.bucket and not is_placeholder(found.bucket) and ":" not in found.bucket:
            locs.append(_Location(priority, -1, found.bucket, found.key))
    if record is not None and record.bucket and not is_placeholder(record.bucket):
        locs.append(_Location(_P_STRONG, -2, record.bucket, record.key))
    locs.sort(key=lambda loc: (loc.priority, loc.pos))
    if locs:
        bucket = locs[0].bucket
        key = next((loc.key for loc in locs if loc.bucket == bucket and loc.key), None)
        if key is not None:
            # The same bucket with a key that extends this one (`sales/part_` in the command, `sales/part_00.parquet`
            # in the refusal): the longer names the object; the shorter was its prefix.
            longer = [loc.key for loc in locs if loc.bucket == bucket and loc.key and loc.key.startswith(key)]
            key = max(longer, key=len, default=key)
        region = next((loc.region for loc in locs if loc.region), None)
    else:
        # The poster masked the bucket (`s3://***/site/index.html`) but left the key: the key is still stated.
        masked = sorted(
            (
                loc
                for loc in every
                if loc.key and loc.bucket and is_placeholder(loc.bucket) and not entities.is_masked_key(loc.key)
            ),
            key=lambda loc: loc.priority,
        )
        key = masked[0].key if masked else None
    return bucket, key, region


def _named(bucket: str) -> bool:
    """A name S3 could have: not one cut short by a mask (`logs-` of `logs-<hidden>`)."""
    return bucket.startswith("arn:") or entities.valid_bucket(bucket, short=True)  # an access point: see below


DIRECTORY_BUCKET_SUFFIX = "--x-s3"  # directory bucket names: NAME--AZID--x-s3 (S3 User Guide, directory buckets)
_ZONAL_OPERATIONS = frozenset(
    {
        "CreateSession", "GetObject", "PutObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject",
        "ListObjectsV2", "HeadBucket", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
        "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "ListMultipartUploads",
        "GetObjectAttributes", "RenameObject", "ListObjects",
    }
)  # fmt: skip


_CURL = re.compile(r"\bcurl\s([^\n]{0,4096})")
_CURL_URL = re.compile(r"https?://[^\s\"'`<>|]{1,4096}")
_CURL_METHOD = re.compile(r"(?:^|\s)(?:-X|--request)\s*['\"]?([A-Z]{3,7})\b")
_CURL_HEAD = re.compile(r"(?:^|\s)(?:-[a-zA-Z]{0,8}I[a-zA-Z]{0,8}|--head)\b")  # -I, and clusters like -sI
_CURL_UPLOAD = re.compile(r"(?:^|\s)(?:-[a-zA-Z]{0,8}T|--upload-file)\b")
_CURL_DATA = re.compile(r"(?:^|\s)(?:-d|--data(?:-binary|-raw)?|-F|--form)\b")


_WGET = re.compile(r"\bwget\s[^\n]{0,4096}?https?://")
# What signs a request: the Authorization header (SigV4 or SigV2), a presigned URL's query, curl's --aws-sigv4,
# credentials curl would send, a session token header.
_SIGNED = re.compile(
    r"(?i:authorization:|x-amz-signature|x-amz-credential|awsaccesskeyid|[?&]signature=|--aws-sigv4|--user\b|"
    r"x-amz-security-token|request has expired|<x-amz-expires>)|(?:^|\s)-u\s"
)
# S3 answers "Request has expired" (with <X-Amz-Expires>) only to a request signed with an expiry (S3 API Reference,
# "Authenticating Requests: Using Query Parameters"): the request was presigned, however the pasted URL looks.


def _unsigned_fetch(flat: str) -> bool:
    """True when the text shows a `curl` or `wget` of a URL that nothing signs: S3 treats such a request as
    anonymous (S3 User Guide, "Authenticating requests": a request without an Authorization header or
    query-string signature is anonymous), so only public grants can allow it."""
    if "curl" not in flat and "wget" not in flat:
        return False
    if _curl_request(flat) is None and _WGET.search(flat) is None:
        return False
    return _SIGNED.search(flat) is None


def _curl_request(flat: str) -> tuple[str, str] | None:
    """`curl [options] URL`: the method curl sends (GET unless -X, -I/--head, -T/--upload-file or a body says
    otherwise; curl's manual) and the URL."""
    m = _CURL.search(flat)
    if m is None:
        return None
    line = m.group(1)
    url = _CURL_URL.search(line)
    if url is None:
        return None
    if (x := _CURL_METHOD.search(line)) is not None and x.group(1) in ops.METHOD_NAMES:
        method = x.group(1)
    elif _CURL_HEAD.search(line):
        method = "HEAD"
    elif _CURL_UPLOAD.search(line):
        method = "PUT"
    elif _CURL_DATA.search(line):
        method = "POST"
    else:
        method = "GET"
    return method, url.group(0)


def _http_request(flat: str) -> ops.Inferred:
    """The request an HTTP line states: `GET https://b.s3.amazonaws.com/k` or `PUT /k HTTP/1.1` with `Host: ...`.

    The scheme is stated only by a full URL; a request line with a Host header does not say whether TLS was used.
    """
    scheme: str | None = None
    curl = _curl_request(flat) if "curl" in flat else None
    if curl is None and not any(method in flat for method in ops.METHOD_NAMES):
        return _sub_resource_request(flat)
    if curl is not None:
        method, url = curl
        scheme = url.split("://", 1)[0].lower()
    elif "://" in flat and (m := ops.METHOD_URL.search(flat)) is not None:
        method, url = m.group(1), m.group(2)
        scheme = url.split("://", 1)[0].lower()
        if scheme == "s3":  # the bucket and key as an S3 URI: the scheme the request used is not stated
            uri_bucket, _, rest = url[len("s3://") :].partition("/")
            uri_target, _, uri_query = rest.partition("?")
            uri_key = unquote(uri_target) or None
            op = ops.http_operation(method, has_bucket=bool(uri_bucket), has_key=uri_key is not None, query=uri_query)
            return ops.Inferred(operation=op, bucket=uri_bucket or None, key=uri_key)
    elif " HTTP/" in flat and (m := ops.REQUEST_LINE.search(flat)) is not None:
        host_header = ops.HOST_HEADER.search(flat)
        if host_header is None:
            return ops.Inferred()
        method, url = m.group(1), f"https://{host_header.group(1)}{m.group(2)}"
    elif "computing signature [" in flat and (m := ops.S3FS_SIGNATURE.search(flat)) is not None:
        # s3fs signs every request it sends to its one bucket: the path is the key ("/" lists the bucket).
        method, target, query = m.group(1), m.group(2), m.group(3)
        op = ops.http_operation(method, has_bucket=True, has_key=target.strip("/") != "", query=query)
        return ops.Inferred(operation=op, key=unquote(target.lstrip("/")) or None)
    elif (m := ops.METHOD_FIELD.search(flat)) is not None and (fields := entities.host_path_fields(flat)) is not None:
        # A request logged as fields (Excon's `:method => "HEAD"`, `:host => ...`, `:path => ...`): no scheme stated.
        method, url = m.group(1), f"https://{fields[0]}{fields[1]}"
    else:
        return _sub_resource_request(flat)
    host, path = _split_url(url)
    parsed = parse_s3_host(host)
    target, _, query = path.partition("?")
    if parsed is None and _s3_compatible(host, query):
        # MinIO, R2, Ceph: S3's API on another host, addressed path-style; but a sub-resource asked of the root
        # (`https://b.sfo3.digitaloceanspaces.com/?acl`) is a bucket's, so the bucket is the host's first label
        # (virtual-hosted: the service root, ListBuckets, takes no sub-resource).
        first_label = host.split(".", 1)[0]
        root = target.strip("/") == ""
        hosted = root and host.count(".") >= 2 and not host.replace(".", "").isdigit()
        parsed = (first_label, None, False) if hosted and entities.valid_bucket(first_label) else (None, None, True)
    if parsed is None:  # not S3 itself (CloudFront, a website): its scheme says nothing about the S3 request
        return ops.Inferred()
    bucket, _region_unused, path_style = parsed
    target = target.split("#", 1)[0].lstrip("/")
    key: str | None
    if path_style:
        first, _, rest = target.partition("/")
        bucket, key = (unquote(first) or None), (unquote(rest) or None)
    else:
        key = unquote(target) or None
    op = ops.http_operation(
        method,
        has_bucket=bucket is not None,
        has_key=key is not None,
        query=query,
        copy_source="x-amz-copy-source" in flat.lower(),
    )
    return ops.Inferred(operation=op, bucket=bucket, key=key, scheme=scheme)


# The S3 console's upload summary ("Upload failed", "Destination: s3://b/folder/", then per file "Name: f.gz  ...
# Status: Failed  Error: Access Denied"): the object is the destination folder plus the file's name.
_CONSOLE_DESTINATION = re.compile(r"\bDestination:?[ \t]+s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/([^\s]*)")
_CONSOLE_FILE = re.compile(
    r"(?m)\bName:?[ \t]+(\S[^\t\n]{0,1023}?)(?=[ \t]+(?:Folder|Type|Size|Status|Error)\b|[ \t]*$)"
)


def _console_upload_key(flat: str, bucket: str) -> str | None:
    """The key of the first file an S3 console upload summary names under its destination folder in `bucket`."""
    if "Destination" not in flat or "Name" not in flat:
        return None
    dest = _CONSOLE_DESTINATION.search(flat)
    if dest is None or dest.group(1) != bucket or not (dest.group(2) == "" or dest.group(2).endswith("/")):
        return None
    name = _CONSOLE_FILE.search(flat, dest.end())
    if name is None or "/" in name.group(1):
        return None
    return dest.group(2) + name.group(1)


# A URL with a query, written without its method (a client's log of the request it built: Swift's
# `URLRequest(https://b.s3.REGION.amazonaws.com/?delete)`). No `:` in the path or query, so that a scan never runs
# past the next URL's scheme (linear on a text of many URLs).
_QUERY_URL = re.compile(
    r"https?://([A-Za-z0-9.-]{1,300})(?::\d{1,5})?(/[^\s\"'`<>|?():]{0,2048})\?([^\s\"'`<>|():]{1,2048})"
)


def _sub_resource_request(flat: str) -> ops.Inferred:
    """The request an S3 URL states by its query alone, with no method written (`?delete`: DeleteObjects)."""
    if "?" not in flat or "://" not in flat:
        return ops.Inferred()
    for m in _QUERY_URL.finditer(flat):
        host, target, query = m.group(1), m.group(2).lstrip("/"), m.group(3)
        parsed = parse_s3_host(host)
        if parsed is None:
            continue
        bucket, _region, path_style = parsed
        key: str | None = target or None
        if path_style:
            first, _, rest = target.partition("/")
            bucket, key = first or None, rest or None
        op = ops.sub_resource_operation(query, has_key=key is not None) if bucket is not None else None
        if op is not None:
            return ops.Inferred(operation=op, bucket=bucket, key=unquote(key) if key else None)
    return ops.Inferred()


def _spelled(operation: str, flat: str) -> bool:
    """Does the text write the operation's name (`GetObject`, `getObject`, `get_object`), not only describe it?"""
    return any(n in flat for n in (operation, vocab.camel(operation), vocab.xform_name(operation)))


_S3_FAMILY = frozenset({"s3", "s3control", "s3express", "kms", "sts", "oss", "gcs"})
_NO_BUCKET_SERVICES = frozenset({"sts", "iam", "ecr", "ecr-public"})


# A request's repr: smithy-kotlin's HttpRequest(method=GET, url=https://...), the same two fields in a JSON log.
_REQUEST_REPR = re.compile(
    r"\bmethod[=:] ?[\"']?[A-Z]{3,7}[\"']?, ?[\"']?url[\"']?[=:] ?[\"']?(https?://[^\s\"'`<>|,)]{1,4096})"
)


def _endpoint(flat: str) -> tuple[str, str | None] | None:
    url = m.group(2) if "://" in flat and (m := ops.METHOD_URL.search(flat)) is not None else None
    if url is not None and url.startswith("s3://"):
        url = None
    if url is None and "url" in flat and (rm := _REQUEST_REPR.search(flat)) is not None:
        url = rm.group(1)
    return entities.endpoint_service(flat, url)


def _s3_compatible(host: str, query: str) -> bool:
    """A request to S3's API at a host that is not AWS's: it asks for one of S3's sub-resources (`?list-type=2`,
    `?location`, `?versioning`, ..., the names the S3 API Reference's request syntax gives). (A SigV4 scope for `s3`
    alone is not enough: a debug log's signed request may be another call than the one that failed.)"""
    h = host.lower().split(":", 1)[0]
    if h.endswith((".amazonaws.com", ".amazonaws.com.cn", ".aws", "cloudfront.net")):
        return False  # another AWS service's endpoint, or CloudFront
    return bool(query) and not ops.s3_query_names().isdisjoint(k for k, _ in parse_qsl(query, keep_blank_values=True))


def _reason_clause(reason: str) -> str | None:
    """The clause after "because" / "with", cut before the policy ARN, the next sentence or an SDK's trailer."""
    if (m := _REASON_ACTION.match(reason)) is not None:
        return m.group(0)
    end = _REASON_END.search(reason)
    clause = (reason[: end.start()] if end is not None else reason).strip().rstrip(".,")
    return clause or None


def _authorization_id(flat: str) -> str | None:
    if "uthorization" not in flat and "UTHORIZATION" not in flat:
        return None
    m = _AUTHORIZATION_ID.search(flat)
    return m.group(1) if m is not None else None


_REGION_VALUE = r"([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]{4,10}-\d)\b"
# The region a request went to, as tools state it: x-amz-bucket-region, --region, region=, region: , "region":,
# region=>"...", AWS_REGION / AWS_DEFAULT_REGION, and SigV4's credential scope (AKID/DATE/REGION/s3/aws4_request).
_BUCKET_REGION = re.compile(
    r"(?i:x-amz-bucket-region|bucket-region|region)[\"']?\s?(?:=>|[:= ])\s?[\"']?" + _REGION_VALUE
)
_SCOPE_REGION = re.compile(
    r"/\d{8}(?:/|%2F)" + _REGION_VALUE + r"(?:/|%2F)(?:s3|s3express|kms|sts)(?:/|%2F)aws4_request"
)
# SDK region constants: .NET's RegionEndpoint.USWest2, iOS's AWSRegionUSEast1, Java's Regions.US_EAST_1.
_REGION_CONSTANT = re.compile(
    r"(?:RegionEndpoint\.|AWSRegion|Regions?\.)([A-Z]{2}(?:Gov)?_?[A-Z][a-z]{3,9}_?\d|[A-Z]{2}_[A-Z]{4,10}_\d)\b"
)


def _region(flat: str, *arns: str | None) -> str | None:
    for text in arns:
        arn = Arn.parse(text) if text else None
        if arn is not None and _REGION.match(arn.region):
            return arn.region
    if "amazonaws.com" in flat:
        for loc in _host_locations(flat, _P_MENTION):
            if loc.region:
                return loc.region
        if (region := _host_region(flat)) is not None:
            return region
    m = _BUCKET_REGION.search(flat)
    if m is not None:
        return m.group(1)
    if "aws4_request" in flat and (m := _SCOPE_REGION.search(flat)) is not None:
        return m.group(1)
    if "Region" in flat and (m := _REGION_CONSTANT.search(flat)) is not None:
        return _region_from_constant(m.group(1))
    return None


def _host_region(flat: str) -> str | None:
    """The region the first regional AWS endpoint host in the text names (`sts.eu-west-1.amazonaws.com`,
    `s3-us-west-1.amazonaws.com`, `s3.us-east-1.amazonaws.com:443`), by `endpoints.json`'s hostname templates."""
    start = 0
    while (idx := flat.find("amazonaws.com", start)) >= 0:
        end = idx + len("amazonaws.com")
        if flat.startswith(".cn", end):
            end += 3
        j = idx
        floor = max(start, idx - 300)
        while j > floor and flat[j - 1] in _HOST_CHARS:
            j -= 1
        if (region := endpoint_region(flat[j:end])) is not None:
            return region
        start = end
    return None


def _region_from_constant(name: str) -> str | None:
    """`USWest2`, `US_WEST_2`, `APSouth1`, `USGovWest1` -> `us-west-2`, ... (the SDKs' region enums)."""
    if "_" in name:
        region = name.lower().replace("_", "-")
    elif (m := _CAMEL_REGION.fullmatch(name)) is not None:
        region = f"{m.group(1).lower()}{'-gov' if m.group(2) else ''}-{m.group(3).lower()}-{m.group(4)}"
    else:
        return None
    return region if _REGION.match(region) else None


_CAMEL_REGION = re.compile(r"([A-Z]{2})(Gov)?([A-Z][a-z]{3,9})(\d)")
