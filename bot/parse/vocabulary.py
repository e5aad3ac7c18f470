"""AWS's own vocabulary for reading pastes, built from the service models botocore ships.

Every table here is derived, at first use, from `botocore/data/<service>/<version>/service-2.json[.gz]` (read from
botocore's data directory without importing botocore): the operations of S3, S3 Control, KMS and STS (and S3
Express when the installed botocore has a model for it), the error codes their models declare, which S3 operations
take an object key, and the parameter names that carry a bucket or a key. Nothing is typed per operation: an
operation AWS adds to a model is recognised as soon as botocore ships it.

Spellings (how tools write an operation name), for `GetObject`:
- the API name `GetObject` (SDK errors, CloudTrail's eventName, Go/Rust/.NET types),
- snake case `get_object` (boto3, botocore; `botocore.xform_name`), camel case `getObject` (Java, JavaScript),
- kebab case `get-object` (the AWS CLI's `aws s3api` subcommands),
- with the service in front: `S3.GetObject` (Step Functions, Java v1 request names), `s3.get_object`,
  `S3::getObject` (PHP); the IAM action `s3:GetObject` names a permission, not an operation (see
  `action_spelling`).

One-word operations (KMS `Decrypt`, `Sign`, `Verify`, `Encrypt`) are English words: they count only with their
service in front (`kms:Decrypt`, `KMS.Decrypt`).

Infrastructure resource types (Terraform `aws_s3_bucket_policy`, CloudFormation `AWS::S3::BucketPolicy`) map to the
operation their create/update handler calls, derived from the model by name (`bucket_policy` -> `PutBucketPolicy`,
`bucket` -> `CreateBucket`), with a small table for the handful whose names differ (`_IAC_RENAMED`, from the
Terraform AWS provider's resource documentation).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import zlib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

# The services whose operations and errors a paste about an S3 denial may name.
SERVICES: tuple[str, ...] = ("s3", "s3control", "s3express", "kms", "sts")
# How each service is written in front of an operation or action name (S3.GetObject, kms:Decrypt, ...).
_SERVICE_PREFIXES: dict[str, tuple[str, ...]] = {
    "s3": ("s3", "S3", "AmazonS3", "s3api"),
    "s3control": ("s3control", "S3Control", "S3control"),
    "s3express": ("s3express", "S3Express"),
    "kms": ("kms", "KMS", "Kms", "AWSKMS"),
    "sts": ("sts", "STS", "Sts"),
}
# S3 error codes the S3 API Reference lists ("Error responses": List of error codes) that the model declares no
# shape for: S3's model names only the errors some operations document. The access denials and their lookalikes.
_S3_DOCUMENTED_CODES: tuple[str, ...] = (
    "AccessDenied",
    "AccessControlListNotSupported",
    "AccountProblem",
    "AllAccessDisabled",
    "AuthorizationHeaderMalformed",
    "AuthorizationQueryParametersError",
    "ExpiredToken",
    "InvalidAccessKeyId",
    "InvalidBucketName",
    "InvalidObjectState",
    "InvalidToken",
    "MethodNotAllowed",
    "MissingSecurityHeader",
    "NoSuchBucketPolicy",
    "NoSuchVersion",
    "PermanentRedirect",
    "RequestTimeTooSkewed",
    "SignatureDoesNotMatch",
    "TemporaryRedirect",
    "TokenRefreshRequired",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AccessDeniedException",
)


# S3 operations the S3 API Reference documents that botocore's model leaves out (no SDK sends them as an API
# call), with the IAM action each needs: PostObject, the browser form upload ("POST Object"), needs s3:PutObject.
# The .NET SDK still has PostObjectRequest / PostObjectAsync for it.
DOCUMENTED_OPERATIONS: dict[str, str] = {"PostObject": "s3:PutObject"}


@dataclass(frozen=True, slots=True)
class Operation:
    """One API operation of one service: `Operation("s3", "GetObject")`."""

    service: str
    name: str


@cache
def _data_dir() -> Path | None:
    """botocore's `data/` directory, found without importing botocore (so `s3why parse` starts without the AWS
    SDK: tests/test_cli_startup.py)."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return data if data.is_dir() else None


@cache
def service_model(service: str) -> dict[str, Any] | None:
    """The service's newest `service-2.json` (or `.json.gz`) as botocore ships it, or None when this botocore has
    no model for it. Read the way `botocore.loaders.Loader` reads it: `data/<service>/<api-version>/`."""
    data = _data_dir()
    if data is None or not (data / service).is_dir():
        return None
    raw = _newest_model_bytes(data / service)
    if raw is None:
        return None
    model: dict[str, Any] = json.loads(raw.decode("utf-8"))
    return model


# botocore's `xform_name` (botocore/__init__.py), so that spellings match boto3's method names exactly: an
# acronym pluralised at the end (`ListWebACLs`) is split off first, then each capitalised word.
_FIRST_CAP = re.compile("(.)([A-Z][a-z]+)")
_END_CAP = re.compile("([a-z0-9])([A-Z])")
_PLURAL_ACRONYM = re.compile("[A-Z]{2,}s$")


def xform_name(name: str, sep: str = "_") -> str:
    """`GetObject` -> `get_object`, `ListObjectsV2` -> `list_objects_v2` (with `sep`, `get-object`)."""
    if sep in name:
        return name
    if (m := _PLURAL_ACRONYM.search(name)) is not None:
        name = f"{name[: -len(m.group())]}{sep}{m.group().lower()}"
    return _END_CAP.sub(r"\1" + sep + r"\2", _FIRST_CAP.sub(r"\1" + sep + r"\2", name)).lower()


@lru_cache(maxsize=1)
def service_ids() -> frozenset[str]:
    """Every service id botocore has a model for (`s3`, `kms`, `lakeformation`, ...): the data directory's names."""
    data = _data_dir()
    return frozenset(p.name for p in data.iterdir() if p.is_dir()) if data is not None else frozenset()


@lru_cache(maxsize=1)
def service_labels() -> dict[str, str]:
    """How SDKs label the services here, squashed and lower case -> service id: each model's `serviceFullName` and
    `serviceAbbreviation` (`awssecuritytokenservice`, `awssts`, `amazonsimplestorageservice`, `awskms`)."""
    out: dict[str, str] = {}
    for service, model in _models():
        meta = model.get("metadata", {})
        for label in (meta.get("serviceFullName"), meta.get("serviceAbbreviation")):
            if label:
                out.setdefault(label.lower().replace(" ", ""), service)
    return out


def _models() -> list[tuple[str, dict[str, Any]]]:
    return [(s, m) for s in SERVICES if (m := service_model(s)) is not None]


def camel(name: str) -> str:
    """`GetObject` -> `getObject` (Java, JavaScript method names)."""
    return name[:1].lower() + name[1:]


def kebab(name: str) -> str:
    """`GetObject` -> `get-object` (AWS CLI subcommands)."""
    return xform_name(name, "-")


def _is_one_word(name: str) -> bool:
    return sum(1 for ch in name if ch.isupper()) <= 1


@lru_cache(maxsize=1)
def operations() -> dict[str, tuple[Operation, ...]]:
    """Every unprefixed spelling of every operation -> the operations so spelled (S3 first when services share one).

    Spellings: Pascal, snake, camel and kebab case; one-word names are left out (they need a service prefix).
    """
    table: dict[str, list[Operation]] = {}
    for service, model in _models():
        names = [*model["operations"], *(DOCUMENTED_OPERATIONS if service == "s3" else {})]
        for name in names:
            if _is_one_word(name):
                continue
            op = Operation(service, name)
            for spelling in {name, xform_name(name), camel(name), kebab(name)}:
                table.setdefault(spelling, []).append(op)
    return {k: tuple(v) for k, v in table.items()}


@lru_cache(maxsize=1)
def prefixed_operations() -> dict[str, Operation]:
    """`S3.GetObject`, `s3.get_object`, `KMS.Decrypt`, `kms.decrypt`, `S3::getObject` ... -> the operation.

    `s3:GetObject` (in any case) is the IAM action's spelling, which names a permission: not here.
    """
    table: dict[str, Operation] = {}
    for service, model in _models():
        for name in model["operations"]:
            op = Operation(service, name)
            for prefix in _SERVICE_PREFIXES.get(service, (service,)):
                for spelling in {name, xform_name(name), camel(name)}:
                    table.setdefault(f"{prefix}.{spelling}", op)
                    table.setdefault(f"{prefix}::{spelling}", op)  # PHP's static calls: S3::getBucketLocation
    return table


def action_spelling(text: str) -> Operation | None:
    """`s3:GetObject` / `kms:Decrypt` when it is also an operation's name (the IAM action it most often checks)."""
    service, sep, name = text.partition(":")
    service = service.lower()  # IAM action names are case-insensitive: `S3:GetObject` is `s3:GetObject`
    if not sep or service not in _SERVICE_PREFIXES:
        return None
    model = service_model(service)
    if model is not None and service == "s3" and name not in model["operations"]:
        # An S3 action named unlike its operation (s3:PutBucketPublicAccessBlock is PutPublicAccessBlock's):
        # s3why's one operation table read backwards (bot/s3ops.py).
        from bot.s3ops import operation_named_by_action

        operation = operation_named_by_action(f"s3:{name}")
        return Operation("s3", operation) if operation is not None else None
    return Operation(service, name) if model is not None and name in model["operations"] else None


def _newest_model_file(service_dir: Path) -> Path | None:
    for version in sorted((p for p in service_dir.iterdir() if p.is_dir()), reverse=True):
        for name in ("service-2.json", "service-2.json.gz"):
            if (version / name).is_file():
                return version / name
    return None


def _newest_model_bytes(service_dir: Path) -> bytes | None:
    path = _newest_model_file(service_dir)
    if path is None:
        return None
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


# A model's `metadata` comes before its operations: its head is enough to name the service.
_MODEL_HEAD = 16384
_META_FIELD = re.compile(rb'"(serviceId|signingName|endpointPrefix)": ?"([^"]{1,100})"')


def _model_head(path: Path) -> bytes:
    if path.suffix != ".gz":
        with path.open("rb") as f:
            return f.read(_MODEL_HEAD)
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(path.read_bytes(), _MODEL_HEAD)


@cache
def _services() -> dict[str, tuple[str, str]]:
    """Every service botocore has a model for: service id -> (its `serviceId`, its IAM prefix: the name it signs
    with, `signingName`, else its `endpointPrefix`). Read from each model's head only (a few milliseconds for all)."""
    data = _data_dir()
    out: dict[str, tuple[str, str]] = {}
    for service_dir in sorted(p for p in data.iterdir() if p.is_dir()) if data is not None else ():
        path = _newest_model_file(service_dir)
        if path is None:
            continue
        head = _model_head(path)
        cut = head.find(b'"operations"')
        meta = {k.decode(): v.decode() for k, v in _META_FIELD.findall(head[: cut if cut >= 0 else len(head)])}
        prefix = meta.get("signingName") or meta.get("endpointPrefix") or service_dir.name
        out[service_dir.name] = (meta.get("serviceId", ""), prefix)
    return out


@cache
def _operation_index() -> dict[str, tuple[str, ...]]:
    """Every operation of every service botocore has a model for -> the service ids that have it. Built once, on the
    first text that names an operation none of SERVICES has (about a second: every model is read)."""
    data = _data_dir()
    table: dict[str, list[str]] = {}
    for service_dir in sorted(p for p in data.iterdir() if p.is_dir()) if data is not None else ():
        raw = _newest_model_bytes(service_dir)
        if raw is None:
            continue
        for name in json.loads(raw.decode("utf-8")).get("operations", {}):
            table.setdefault(name, []).append(service_dir.name)
    return {k: tuple(v) for k, v in table.items()}


def other_service_operation(name: str) -> tuple[str, str] | None:
    """(service id, IAM action) for an API operation name (`CreateChangeSet`, `StartQueryExecution`) that exactly one
    of botocore's services has, when it is not one of S3's (S3 Control's, S3 Express's); None for an unknown name
    or one several services share (`Publish`: SNS and IoT Data)."""
    s3_family = (service_model(s) for s in ("s3", "s3control", "s3express"))
    if not name[:1].isupper() or not name.isalnum() or any(m and name in m["operations"] for m in s3_family):
        return None
    found = set(_operation_index().get(name, ()))
    if len(found) != 1:
        return None
    service = next(iter(found))
    return service, f"{_services()[service][1]}:{name}"


@cache
def _by_service_id() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for service, (service_id, prefix) in _services().items():
        if service_id:
            out.setdefault(service_id, (service, prefix))
    return out


def named_service(words: tuple[str, ...]) -> tuple[tuple[str, str], int] | None:
    """The service whose `serviceId` the leading words spell (`("Secrets", "Manager", "Secret")` -> secretsmanager,
    2 words), the longest such run, as (service id, IAM prefix) and how many words it took; None when none does or
    it is S3's (read by S3's own tables)."""
    names = _by_service_id()
    for n in range(len(words), 0, -1):
        found = names.get(" ".join(words[:n]))
        if found is not None:
            return (found, n) if found[0] not in ("s3", "s3control", "s3express") else None
    return None


def service_operation(service: str, name: str) -> bool:
    """Does the service's model have this operation?"""
    model = service_model(service)
    return model is not None and name in model.get("operations", {})


@lru_cache(maxsize=1)
def error_codes() -> frozenset[str]:
    """Every error code the models declare (each exception shape's `error.code`, else its name), plus S3's
    documented codes the S3 model has no shape for."""
    codes: set[str] = set(_S3_DOCUMENTED_CODES)
    for service, model in _models():
        for shape_name, shape in model["shapes"].items():
            if shape.get("exception"):
                codes.add(shape.get("error", {}).get("code") or shape_name)
                codes.add(shape_name)
                if service == "kms":
                    # S3 relays the KMS error behind an SSE-KMS refusal as `KMS.<code>` (S3 API Reference,
                    # "List of error codes": KMS.DisabledException, KMS.NotFoundException, ...).
                    codes.add(f"KMS.{shape_name}")
    return frozenset(codes)


@lru_cache(maxsize=1)
def operations_with_key() -> frozenset[str]:
    """S3 operations whose input carries an object key (a `Key` member bound to the URI)."""
    model = service_model("s3")
    if model is None:
        return frozenset()
    shapes = model["shapes"]
    out: set[str] = set()
    for name, op in model["operations"].items():
        members = shapes.get(op.get("input", {}).get("shape", ""), {}).get("members", {})
        if any(m.get("shape") == "ObjectKey" and m.get("location") == "uri" for m in members.values()):
            out.add(name)
    return frozenset(out)


def _param_spellings(names: set[str]) -> tuple[str, ...]:
    out: set[str] = set()
    for name in names:
        out.update({name, camel(name), xform_name(name), xform_name(name).upper(), name.lower()})
    return tuple(sorted(out, key=len, reverse=True))


@lru_cache(maxsize=1)
def parameter_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(bucket parameter spellings, key parameter spellings) as tools log them: each S3 input member bound to a
    BucketName / ObjectKey shape, and the shape's own name, in Pascal, camel, snake, upper-snake and lower case
    (`Bucket`, `bucket`, `BucketName`, `bucketName`, `bucket_name`, `BUCKET_NAME`, `Key`, `key`, `ObjectKey`, ...)."""
    model = service_model("s3")
    buckets: set[str] = {"BucketName"}
    keys: set[str] = {"ObjectKey"}
    if model is not None:
        shapes = model["shapes"]
        for op in model["operations"].values():
            members = shapes.get(op.get("input", {}).get("shape", ""), {}).get("members", {})
            for member, ref in members.items():
                if ref.get("shape") == "BucketName" and ref.get("location") == "uri":
                    buckets.add(member)
                elif ref.get("shape") == "ObjectKey" and ref.get("location") == "uri":
                    keys.add(member)
    return _param_spellings(buckets), _param_spellings(keys)


# ---------------------------------------------------------------------------------------------------------
# Operations in a tool's own words: "error putting object", "failed to list objects", "creating S3 Bucket Policy"
# ---------------------------------------------------------------------------------------------------------
_WORDS = re.compile(r"[A-Z]+[a-z0-9]*(?=[A-Z]|$)|[A-Z][a-z0-9]+|[a-z0-9]+")
# A tool's own verb for an API verb (the model's operation names start with the API verb: Get, Put, Head, ...):
# each English verb stands for the API verbs it can mean. A phrase states an operation when its verb and nouns
# leave exactly one of the model's operations; otherwise they are candidates.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "upload": ("Put",), "store": ("Put",), "save": ("Put",), "write": ("Put",), "send": ("Put",),
    "create": ("Put", "Create"), "set": ("Put",), "update": ("Put", "Update"), "add": ("Put",),
    "download": ("Get",), "read": ("Get", "Head"), "fetch": ("Get",), "retrieve": ("Get",), "load": ("Get",),
    "open": ("Get",), "describe": ("Get",), "get": ("Get",),
    "exist": ("Head",), "check": ("Head",), "stat": ("Head",), "verify": ("Head",),
    "list": ("List",),
    "delete": ("Delete",), "remove": ("Delete",), "destroy": ("Delete",),
}  # fmt: skip
# Verbs whose object is always data moved to or from S3: with a noun S3's model does not use ("failed to upload
# state", "download meta.json"), they name the object operation.
TRANSFER_VERBS = frozenset({"upload", "download"})
# A tool's noun for a model noun: an object is what tools call a file or a blob.
NOUN_SYNONYMS: dict[str, str] = {"file": "object", "files": "objects", "blob": "object", "blobs": "objects"}


def _base_form(word: str) -> str | None:
    """The SYNONYMS entry an English verb form belongs to: uploading -> upload, fetches -> fetch, exists."""
    w = word.lower()
    if w in SYNONYMS:
        return w
    for suffix, repl in (("ing", ""), ("ing", "e"), ("s", "")):
        if w.endswith(suffix):
            stem = w[: -len(suffix)] + repl
            if stem in SYNONYMS:
                return stem
            if suffix == "ing" and len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in SYNONYMS:
                return stem[:-1]  # setting -> set
    return None


def words_of(name: str) -> tuple[str, ...]:
    """`PutBucketPolicy` -> ("put", "bucket", "policy"); `ListObjectsV2` -> ("list", "objects", "v2")."""
    return tuple(w.lower() for w in _WORDS.findall(name))


def gerund(verb: str) -> str:
    """English -ing form of an API verb: put -> putting, create -> creating, list -> listing."""
    v = verb.lower()
    if v.endswith("e") and not v.endswith("ee"):
        return v[:-1] + "ing"
    if len(v) == 3 and v[0] not in "aeiou" and v[1] in "aeiou" and v[2] not in "aeiouwxy":
        return v + v[-1] + "ing"
    return v + "ing"


@dataclass(frozen=True, slots=True)
class PhraseTables:
    """S3's operations as tools word them (see `phrase_operations`)."""

    stated: dict[tuple[str, ...], str]  # (verb as written, noun, ...) -> the operation it spells
    exact: dict[tuple[str, ...], tuple[str, ...]]  # the model's nouns as they are -> operations
    loose: dict[tuple[str, ...], tuple[str, ...]]  # also singular, and without a leading `bucket`


@lru_cache(maxsize=1)
def phrase_operations() -> PhraseTables:
    """S3's operations as a tool words them, from the model's names.

    `stated`: the operation a phrase spells, the verb in its base form or -ing form (`("putting", "object")` ->
    PutObject, `("get", "bucket", "policy")` -> GetBucketPolicy), and, where no other operation has the same nouns,
    without a leading `bucket` (`("putting", "policy")`). `exact` and `loose`: nouns -> every operation with those
    nouns (for a verb that is not the API verb: `uploading object`, `reading bucket`); `loose` also matches a
    singular noun (`object version`) and the nouns without a leading `bucket`.
    """
    model = service_model("s3")
    stated: dict[tuple[str, ...], str] = {}
    exact: dict[tuple[str, ...], list[str]] = {}
    loose: dict[tuple[str, ...], list[str]] = {}
    if model is None:
        return PhraseTables({}, {}, {})
    for name in model["operations"]:
        verb, *nouns = words_of(name)
        if not nouns:
            continue
        exact.setdefault(tuple(nouns), []).append(name)
        variants = [tuple(nouns)]
        if nouns[-1].endswith("s"):
            variants.append((*nouns[:-1], nouns[-1][:-1]))  # "listing object versions" and "... version"
        if nouns[0] == "bucket" and len(nouns) > 1:
            variants.append(tuple(nouns[1:]))
        for n in variants:
            loose.setdefault(n, []).append(name)
            for spelled in (verb, gerund(verb)):
                stated.setdefault((spelled, *n), name)
    return PhraseTables(stated, {k: tuple(v) for k, v in exact.items()}, {k: tuple(v) for k, v in loose.items()})


@lru_cache(maxsize=1)
def model_nouns() -> frozenset[str]:
    """Every noun of S3's operation names (`object`, `bucket`, `policy`, `objects`, ...)."""
    return frozenset(w for key in phrase_operations().loose for w in key)


@lru_cache(maxsize=1)
def api_verb_forms() -> frozenset[str]:
    """The model's API verbs as a phrase writes them, base and -ing forms (`get`, `getting`, `put`, `putting`)."""
    return frozenset(said[0] for said in phrase_operations().stated)


@lru_cache(maxsize=1)
def phrase_verbs() -> frozenset[str]:
    """Every verb form a phrase may start with: the model's API verbs (base and -ing) and SYNONYMS' forms."""
    forms: set[str] = {k[0] for k in phrase_operations().stated}
    for base in SYNONYMS:
        forms.update({base, gerund(base), base + "s"})  # not the past ("downloaded fine"): a done task failed nothing
    return frozenset(forms)


def verb_class(word: str) -> tuple[str, ...]:
    """The API verbs a tool's verb (`reading`, `uploading`, `removing`) may stand for; () for any other word."""
    base = _base_form(word)
    return SYNONYMS[base] if base is not None else ()


def is_transfer_verb(word: str) -> bool:
    """`upload`, `downloading`, ...: a verb whose object is always data moved to or from S3."""
    return _base_form(word) in TRANSFER_VERBS


# ---------------------------------------------------------------------------------------------------------
# Infrastructure resource types -> the operation their create/update handler calls
# ---------------------------------------------------------------------------------------------------------
# Names the derivation below cannot reach (Terraform AWS provider docs, "Resource: aws_s3_..." pages; the
# CloudFormation resource types' handlers): suffix (snake case, without the service) -> (service, operation).
_IAC_RENAMED: dict[str, Operation] = {
    "bucket_server_side_encryption_configuration": Operation("s3", "PutBucketEncryption"),
    "bucket_notification": Operation("s3", "PutBucketNotificationConfiguration"),
    "bucket_metric": Operation("s3", "PutBucketMetricsConfiguration"),
    "object_copy": Operation("s3", "CopyObject"),
    "directory_bucket": Operation("s3", "CreateBucket"),
    "account_public_access_block": Operation("s3control", "PutPublicAccessBlock"),
    "key": Operation("kms", "CreateKey"),
    "grant": Operation("kms", "CreateGrant"),
}
_TF_TYPE = re.compile(r"aws_(s3|s3control|kms)_([a-z0-9_]{1,80})")
_CFN_TYPE = re.compile(r"AWS::(S3|S3Express|KMS)::([A-Za-z]{1,80})")


def _pascal(snake: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in snake.split("_"))


@lru_cache(maxsize=256)
def _handler_operation(service: str, suffix: str) -> Operation | None:
    """`bucket_policy` -> PutBucketPolicy: the first of Put/Create + the name (with `Configuration` added or
    dropped, with or without `Bucket`) that the service's model has."""
    if suffix in _IAC_RENAMED:
        return _IAC_RENAMED[suffix]
    services = ("s3", "s3control") if service == "s3" else (service,)
    pascal = _pascal(suffix)
    stems = [pascal, pascal + "Configuration", pascal.removesuffix("Configuration")]
    stems += [s.removeprefix("Bucket") for s in stems if s.startswith("Bucket") and s != "Bucket"]
    for svc in services:
        model = service_model(svc)
        if model is None:
            continue
        for stem in stems:
            for verb in ("Put", "Create"):
                if verb + stem in model["operations"]:
                    return Operation(svc, verb + stem)
    return None


def iac_operation(resource_type: str) -> Operation | None:
    """The operation a Terraform (`aws_s3_bucket_policy`) or CloudFormation (`AWS::S3::BucketPolicy`) resource's
    create/update handler calls, or None for a type outside S3, S3 Control and KMS."""
    if (m := _TF_TYPE.fullmatch(resource_type)) is not None:
        return _handler_operation(m.group(1), m.group(2))
    if (m := _CFN_TYPE.fullmatch(resource_type)) is not None:
        service = {"S3": "s3", "S3Express": "s3", "KMS": "kms"}[m.group(1)]
        return _handler_operation(service, xform_name(m.group(2)))
    return None


@dataclass(frozen=True, slots=True)
class Partitions:
    """What botocore's `endpoints.json` says about hostnames: each partition's DNS suffixes and regions."""

    suffixes: tuple[str, ...]  # ".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ... longest first
    regions: frozenset[str]  # every region of every partition (`us-east-1`, `cn-north-1`, `us-gov-west-1`, ...)


@cache
def partitions() -> Partitions:
    """The DNS suffixes (each partition's `dnsSuffix` and its variants') and regions of botocore's `endpoints.json`.
    Empty when botocore is not installed."""
    data = _data_dir()
    path = data / "endpoints.json" if data is not None else None
    if path is None or not path.is_file():
        return Partitions((), frozenset())
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    suffixes: set[str] = set()
    regions: set[str] = set()
    for part in raw.get("partitions", ()):
        suffixes.add(part.get("dnsSuffix", ""))
        suffixes.update(v.get("dnsSuffix", "") for v in part.get("defaults", {}).get("variants", ()))
        regions.update(part.get("regions", {}))
    suffixes.discard("")
    return Partitions(tuple(sorted(("." + s for s in suffixes), key=len, reverse=True)), frozenset(regions))


def endpoint_region(host: str) -> str | None:
    """The region an AWS endpoint host names, by `endpoints.json`'s hostname templates: `{service}.{region}.{dnsSuffix}`
    and its variants (`s3.dualstack.us-east-1.amazonaws.com`, `sts.eu-west-1.amazonaws.com`, `BUCKET.s3.REGION...`),
    S3's legacy dash form `s3-{region}` (`s3-us-west-1.amazonaws.com`, S3 User Guide, "Legacy endpoints"), and a port
    after the host. None for a global endpoint (`s3.amazonaws.com`, `iam.amazonaws.com`) or a host that is not AWS's."""
    h = host.lower().rstrip(".").rsplit(":", 1)[0] if host.count(":") == 1 else host.lower().rstrip(".")
    known = partitions()
    suffix = next((s for s in known.suffixes if h.endswith(s)), None)
    if suffix is None:
        return None
    labels = h[: -len(suffix)].split(".")
    for label in reversed(labels[1:] if len(labels) > 1 else ()):
        if label in known.regions:
            return label
    for label in labels:
        for lead in ("s3-website-", "s3-website.", "s3-"):
            if label.startswith(lead) and label[len(lead) :] in known.regions:
                return label[len(lead) :]
    return None
