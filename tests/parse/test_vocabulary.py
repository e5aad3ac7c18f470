"""The parser's vocabulary comes from the service models botocore ships, not from hand-written tables."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from bot.parse import entities, parse_text
from bot.parse import vocabulary as vocab
from bot.s3ops import S3_OPERATIONS, SDK_ALIASES


def _clear_caches() -> None:
    for fn in (
        vocab.service_model,
        vocab.operations,
        vocab.prefixed_operations,
        vocab.error_codes,
        vocab.operations_with_key,
        vocab.parameter_names,
        vocab._handler_operation,
        entities.classify_word,
        entities._param_patterns,
    ):
        fn.cache_clear()


@pytest.fixture
def model_with_new_operation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """S3's model as botocore ships it, plus one operation and one error AWS might add tomorrow."""
    real = vocab.service_model("s3")
    assert real is not None
    grown: dict[str, Any] = copy.deepcopy(real)
    grown["operations"]["PutBucketFrobnication"] = {"name": "PutBucketFrobnication", "input": {"shape": "X"}}
    grown["shapes"]["FrobnicationDenied"] = {"type": "structure", "members": {}, "exception": True}
    original = vocab.service_model.__wrapped__

    def fake(service: str) -> dict[str, Any] | None:
        return grown if service == "s3" else original(service)

    _clear_caches()
    monkeypatch.setattr(vocab, "service_model", fake)
    yield
    monkeypatch.undo()
    _clear_caches()


def test_an_operation_only_the_model_knows_is_recognised_in_every_spelling() -> None:
    # S3 Control's and KMS's operations are in no hand table of s3why's.
    assert "PutAccessPointPolicy" not in S3_OPERATIONS and "GenerateMac" not in S3_OPERATIONS
    table = vocab.operations()
    for spelling in (
        "PutAccessPointPolicy",
        "put_access_point_policy",
        "putAccessPointPolicy",
        "put-access-point-policy",
    ):
        assert table[spelling][0] == vocab.Operation("s3control", "PutAccessPointPolicy"), spelling
    assert table["generate_mac"][0] == vocab.Operation("kms", "GenerateMac")


def test_an_operation_added_to_the_model_is_read_from_a_paste(model_with_new_operation: None) -> None:
    result = parse_text("client.put_bucket_frobnication failed: FrobnicationDenied: no (bucket 'frob-bucket-1')")
    (req,) = result.requests
    assert req.operation == "PutBucketFrobnication"
    assert req.error_code == "FrobnicationDenied"
    assert req.bucket == "frob-bucket-1"


def test_every_s3_operation_in_the_model_is_in_the_table() -> None:
    model = vocab.service_model("s3")
    assert model is not None
    table = vocab.operations()
    multiword = [n for n in model["operations"] if sum(c.isupper() for c in n) > 1]
    assert len(multiword) > 100
    assert all(table[n][0].name == n for n in multiword)


@pytest.mark.parametrize(
    "word",
    [
        "GetObject", "get_object", "getObject", "get-object", "S3.GetObject", "s3.get_object", "S3::getObject",
        "AmazonS3.getObject", "client.get_object", "GetObjectAsync", "GetObjectWithContext", "GetObjectRequest",
        "GetObjectCommand", "GetObjectInput", "arn:aws:states:::aws-sdk:s3:getObject",
    ],
)  # fmt: skip
def test_each_spelling_names_the_operation(word: str) -> None:
    assert entities.classify_word(word) == ("operation", "s3", "GetObject")


def test_an_iam_action_is_not_an_operation() -> None:
    assert entities.classify_word("s3:GetObject") == ("action", "s3", "GetObject")


def test_one_word_operations_need_their_service() -> None:
    assert entities.classify_word("Decrypt") is None  # an English word
    assert entities.classify_word("KMS.Decrypt") == ("operation", "kms", "Decrypt")
    assert entities.classify_word("kms.decrypt") == ("operation", "kms", "Decrypt")


def test_error_codes_come_from_the_models() -> None:
    codes = vocab.error_codes()
    assert {"NoSuchKey", "ObjectNotInActiveTierError", "KMSInvalidStateException", "ExpiredTokenException"} <= codes
    assert {"IDPRejectedClaim"} <= codes  # STS: the shape's error code, not its name
    assert entities.classify_word("NoSuchBucketException") == ("code", "", "NoSuchBucket")  # Java v2
    assert entities.classify_word("KMS.NotFoundException") == ("code", "", "KMS.NotFoundException")


def test_operations_that_take_a_key_come_from_their_input_shapes() -> None:
    with_key = vocab.operations_with_key()
    assert {"GetObject", "PutObject", "HeadObject", "UploadPart", "GetObjectTagging"} <= with_key
    assert not {"ListObjectsV2", "HeadBucket", "PutBucketPolicy", "CreateBucket"} & with_key


def test_parameter_names_in_the_styles_tools_log_them() -> None:
    buckets, keys = vocab.parameter_names()
    assert {"Bucket", "bucket", "BucketName", "bucketName", "bucket_name", "BUCKET_NAME"} <= set(buckets)
    assert {"Key", "key", "ObjectKey", "objectKey", "object_key"} <= set(keys)


@pytest.mark.parametrize(
    ("resource_type", "operation"),
    [
        ("aws_s3_bucket_policy", "PutBucketPolicy"),
        ("aws_s3_bucket", "CreateBucket"),
        ("aws_s3_object", "PutObject"),
        ("aws_s3_bucket_object", "PutObject"),
        ("aws_s3_bucket_public_access_block", "PutPublicAccessBlock"),
        ("aws_s3_bucket_cors_configuration", "PutBucketCors"),
        ("aws_s3_bucket_server_side_encryption_configuration", "PutBucketEncryption"),
        ("aws_s3_bucket_object_lock_configuration", "PutObjectLockConfiguration"),
        ("aws_s3_access_point", "CreateAccessPoint"),
        ("aws_kms_key_policy", "PutKeyPolicy"),
        ("AWS::S3::BucketPolicy", "PutBucketPolicy"),
        ("AWS::S3::Bucket", "CreateBucket"),
        ("AWS::S3::MultiRegionAccessPointPolicy", "PutMultiRegionAccessPointPolicy"),
        ("AWS::KMS::Key", "CreateKey"),
    ],
)
def test_infrastructure_resource_types_map_to_their_handlers_operation(resource_type: str, operation: str) -> None:
    found = vocab.iac_operation(resource_type)
    assert found is not None and found.name == operation


def test_a_resource_type_outside_s3_and_kms_maps_to_nothing() -> None:
    assert vocab.iac_operation("aws_instance") is None
    assert vocab.iac_operation("aws_s3_bucket_no_such_thing") is None


def test_hand_aliases_stay_for_names_the_models_lack() -> None:
    # SDK method names that are no API operation (Java v1's getObjectMetadata) still come from s3ops' one table.
    assert "GetObjectMetadata" in SDK_ALIASES and "GetObjectMetadata" not in vocab.operations()


# A tool's own words for the call that failed: the verb+noun phrasing of one model operation states it; a phrasing
# that leaves several, shortens the model's nouns, or describes the task rather than the failed call suggests.
@pytest.mark.parametrize(
    ("text", "operation"),
    [
        ("Error: Error putting object in S3 bucket (b-1): AccessDenied: Access Denied", "PutObject"),
        ("Error: error creating S3 bucket ACL for b-1: AccessDenied: Access Denied", "PutBucketAcl"),
        (
            "error getting S3 Bucket Object Lock configuration: AccessDenied: Access Denied",
            "GetObjectLockConfiguration",
        ),
        ('level=warn err="download meta.json: get file: Access Denied"', "GetObject"),
        ("create backend at s3:s3.amazonaws.com/b-1/restic failed: client.BucketExists: Access Denied.", "HeadBucket"),
    ],
)
def test_a_tools_phrasing_of_one_operation_states_it(text: str, operation: str) -> None:
    (req,) = parse_text(text).requests
    assert (req.operation, req.operation_candidates) == (operation, ())


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("Error: error putting S3 policy: AccessDenied: Access Denied", ("PutBucketPolicy",)),  # "Bucket" left out
        ("failed listing objects: AccessDenied: Access Denied", ("ListObjectsV2", "ListObjects")),
        ("Error reading object data: AccessDenied: Access Denied", ("GetObject", "HeadObject")),
        # A tool's verb on a whole bucket or object (the corpus README: words that only suggest an operation, such
        # as `Stat`, `Uploading ...`, are not a stated one): the tool's read does several calls.
        ("Error: error reading S3 Bucket (b-1): Forbidden: Forbidden\n\tstatus code: 403", ("HeadBucket",)),
        # An upload of what S3's model has no noun for may be one PUT or a multipart upload.
        ("Error saving state: failed to upload state: AccessDenied: Access Denied", ("PutObject",)),
    ],
)
def test_a_phrasing_that_leaves_several_or_shortens_the_nouns_only_suggests(
    text: str, candidates: tuple[str, ...]
) -> None:
    (req,) = parse_text(text).requests
    assert req.operation is None and set(candidates) <= set(req.operation_candidates)


def test_words_about_the_task_are_not_the_failed_call() -> None:
    text = "I can upload file to bucket. But listing fails. This is the error message: AccessDenied: Access Denied"
    (req,) = parse_text(text).requests
    assert req.operation is None and req.operation_candidates == ("PutObject",)


def test_a_noun_first_name_ending_in_a_bare_verb_is_a_thing_not_a_call() -> None:
    # velero's ObjectStore (a type) is no PutObject; BucketExists (third person) is a call.
    assert entities.classify_word("ObjectStore") is None
    assert entities.classify_word("BucketExists") == ("operation", "s3", "HeadBucket")


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("<object-key>", True),
        ("uploads/${USER_ID}/avatar.png", True),
        ("uploads/{id}/a.json", True),
        ("data/<file name>.csv", True),
        ("***", True),
        ("logs/REDACTED/a.gz", True),
        ("logs/*.gz", True),
        ("a/b/...", True),
        ("out/<!channel>&amp;${*}%{if}x/a.txt", False),  # a real key holding markup: S3 allows any UTF-8
        ("reports/2024/q1 {draft}.pdf", False),
        ("layer.zip", False),
        ("a/xxxx/b.txt", False),  # a partly masked key still states its path (shared sample e044)
    ],
)
def test_a_key_is_masked_only_by_a_whole_placeholder(key: str, masked: bool) -> None:
    assert entities.is_masked_key(key) is masked


def test_an_arn_whose_object_key_holds_markup_is_stated() -> None:
    arn = "arn:aws:s3:::team-data/out/<!channel>${*}/a.txt"
    assert entities.stated_arn(arn) == arn
    assert entities.stated_arn("arn:aws:s3:::logs-<hidden>/a.txt") is None
    assert entities.stated_arn("arn:aws:iam::123456789012:role/<role-name>") is None


def test_one_refusal_printed_twice_with_one_request_id_is_one_request() -> None:
    # Redshift prints the S3ServiceException as ERROR and again in DETAIL; the UNLOAD's TO names only a prefix.
    text = (
        "UNLOAD ('select 1') TO 's3://exports-1/sales/part_' IAM_ROLE 'arn:aws:iam::110000000022:role/R';\n"
        "ERROR:  S3ServiceException:Access Denied,Status 403,Error AccessDenied,Rid 5ZS1M2X8K3J7H4G6,CanRetry 1\n"
        "DETAIL:\n"
        "  error:  S3ServiceException:Access Denied,Status 403,Error AccessDenied,Rid 5ZS1M2X8K3J7H4G6,CanRetry 1\n"
        "  context:   Failed to initialize S3 output stream. S3 path: s3://exports-1/sales/part_0000.parquet\n"
    )
    (req,) = parse_text(text).requests
    assert (req.bucket, req.key, req.request_id, req.http_status) == (
        "exports-1",
        "sales/part_0000.parquet",
        "5ZS1M2X8K3J7H4G6",
        403,
    )


def test_an_s3_sub_resource_on_another_host_is_an_s3_request() -> None:
    text = "duckdb.Error: HTTP GET error on 'https://acct.r2.cloudflarestorage.com/delta/?list-type=2&prefix=a%2F' (HTTP 403)"
    (req,) = parse_text(text).requests
    assert (req.operation, req.bucket, req.key) == ("ListObjectsV2", "delta", None)


def test_another_services_endpoint_names_the_service_that_refused() -> None:
    sts = (
        "Generic S3 error: Client error with status 403 Forbidden: <ErrorResponse "
        'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Code>AccessDenied</Code></Error></ErrorResponse> '
        "while reading 's3a://lake-1/sales/v3/'"
    )
    (req,) = parse_text(sts).requests
    assert (req.service, req.bucket, req.key) == ("sts", None, None)
    ecr = (
        "CannotPullContainerError: unexpected status from HEAD request to "
        "https://111122223333.dkr.ecr.us-west-2.amazonaws.com/v2/app/blobs/sha256:5de4: 403 Forbidden"
    )
    (req,) = parse_text(ecr).requests
    assert (req.service, req.region) == ("ecr", "us-west-2")


def test_stss_short_refusal_names_its_action_and_the_java_client_label_its_service() -> None:
    text = (
        "com.amazonaws.AmazonServiceException: Not authorized to perform sts:AssumeRoleWithWebIdentity "
        "(Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; Request ID: 83bfc431-37)"
    )
    (req,) = parse_text(text).requests
    assert (req.service, req.action, req.error_code) == ("sts", "sts:AssumeRoleWithWebIdentity", "AccessDenied")
    assert vocab.service_labels()["awssecuritytokenservice"] == "sts"


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("sync: error checking object (photos/a.jpg): Forbidden: Forbidden\n\tstatus code: 403", ("HeadObject",)),
        ("backup aborted: failed to upload manifest: AccessDenied: Access Denied", ("PutObject",)),
    ],
)
def test_a_tools_own_verb_on_a_whole_bucket_or_object_only_suggests(text: str, candidates: tuple[str, ...]) -> None:
    (req,) = parse_text(text).requests
    assert req.operation is None and set(candidates) <= set(req.operation_candidates)


@pytest.mark.parametrize(
    ("text", "operation"),
    [
        ("error reading the S3 bucket lifecycle configuration: AccessDenied: Access Denied", "GetBucketLifecycleConfiguration"),
        ("Error uploading object to S3 bucket (b-1): AccessDenied: Access Denied", "PutObject"),
        ("error getting object: AccessDenied: Access Denied", "GetObject"),
    ],
)  # fmt: skip
def test_a_sub_resource_an_api_verb_or_an_uploaded_object_still_names_the_call(text: str, operation: str) -> None:
    (req,) = parse_text(text).requests
    assert req.operation == operation
