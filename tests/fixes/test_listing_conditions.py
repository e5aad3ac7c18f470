"""Tester finding 2: a listing's prefix and delimiter are condition keys; its fix keeps to the listing made."""

from __future__ import annotations

from typing import Any

import pytest

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions, diagnose
from bot.fixes import propose_fixes
from bot.parse import parse_text
from tests.fixes.support import SESSION, snapshot

OPTIONS = DiagnoseOptions(principal=SESSION)
DENIED = "An error occurred (AccessDenied) when calling the {op} operation: Access Denied"
OWN_FOLDER = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::team-home",
            "Condition": {"StringLike": {"s3:prefix": ["home/bob/*"]}},
        }
    ],
}


def _context(text: str) -> dict[str, tuple[str, ...]]:
    (req,) = parse_text(text).requests
    return dict(req.stated_context)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("$ aws s3 ls s3://team-home/home/", {"s3:prefix": ("home/",), "s3:delimiter": ("/",)}),
        ("$ aws s3 ls --recursive s3://team-home/home/", {"s3:prefix": ("home/",)}),
        ("$ aws s3 sync s3://team-home/home/bob ./bob", {"s3:prefix": ("home/bob",)}),
        (
            "$ aws s3api list-objects-v2 --bucket team-home --prefix logs/ --max-keys 10",
            {"s3:prefix": ("logs/",), "s3:max-keys": ("10",)},
        ),
        (
            "s3.list_objects_v2(Bucket='team-home', Prefix='a/b/', Delimiter='/')",
            {"s3:prefix": ("a/b/",), "s3:delimiter": ("/",)},
        ),
        ("GET https://team-home.s3.amazonaws.com/?list-type=2&prefix=x%2Fy%2F HTTP/1.1", {"s3:prefix": ("x/y/",)}),
    ],
)
def test_a_listings_prefix_delimiter_and_max_keys_are_in_its_context(command: str, expected: dict[str, Any]) -> None:
    ctx = _context(f"{command}\n{DENIED.format(op='ListObjectsV2')}")
    assert {k: v for k, v in ctx.items() if k.startswith("s3:")} == expected


@pytest.mark.parametrize(
    "source",
    [
        "    paginator.paginate(Bucket=input_bucket, Prefix=prefix)",
        "  await s3.listObjectsV2({ Bucket: bucket, Prefix: opts.prefix }).promise()",
    ],
)
def test_a_prefix_named_by_a_programs_variable_is_not_a_value(source: str) -> None:
    # A traceback's source line passes a variable: the prefix the program listed is not in the text.
    ctx = _context(f"{DENIED.format(op='ListObjectsV2')}\nTraceback (most recent call last):\n{source}")
    assert "s3:prefix" not in ctx


def test_an_object_requests_prefix_like_text_is_no_listing_key() -> None:
    ctx = _context(f"$ aws s3 cp s3://team-home/home/a.txt .\n{DENIED.format(op='GetObject')}")
    assert "s3:prefix" not in ctx


def _first_fix(text: str, policy: dict[str, Any], key: str | None = None) -> Any:
    (req,) = parse_text(text).requests
    snap = snapshot(bucket="team-home", key=key, identity=[policy])
    found = diagnose(req, account_view(snap), OPTIONS)
    assert found.decision == "implicit-deny"
    fixes = propose_fixes(req, snap, OPTIONS, found, paste=text)
    assert fixes
    return fixes[0]


def test_the_folder_listing_fix_grants_that_prefix_and_delimiter_only_and_keeps_the_owners_limit() -> None:
    fix = _first_fix(f"$ aws s3 ls s3://team-home/home/\n{DENIED.format(op='ListObjectsV2')}", OWN_FOLDER)
    (statement,) = fix.patches[0].document["Statement"]
    assert statement["Action"] == ["s3:ListBucket"]
    assert statement["Condition"] == {"StringEquals": {"s3:prefix": ["home/"], "s3:delimiter": ["/"]}}
    assert fix.verified


def test_a_recursive_listing_fix_is_scoped_to_its_root() -> None:
    fix = _first_fix(f"$ aws s3 sync s3://team-home/projects/x/ ./x\n{DENIED.format(op='ListObjectsV2')}", OWN_FOLDER)
    (statement,) = [st for st in fix.patches[0].document["Statement"] if st["Action"] == ["s3:ListBucket"]]
    assert statement["Condition"] == {"StringLike": {"s3:prefix": ["projects/x/*"]}}
    assert fix.verified


def test_a_sync_uploads_listing_grant_is_scoped_to_the_sync_root() -> None:
    put_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    text = (
        "$ aws s3 sync ./bob s3://team-home/home/bob/\nupload failed: ./bob/a.txt to s3://team-home/home/bob/a.txt "
        + DENIED.format(op="PutObject")
    )
    fix = _first_fix(text, put_only, key="home/bob/a.txt")
    listing = [st for st in fix.patches[0].document["Statement"] if "s3:ListBucket" in st["Action"]]
    assert listing, fix.patches[0].document
    assert all(st["Condition"] == {"StringLike": {"s3:prefix": ["home/bob", "home/bob/*"]}} for st in listing)
