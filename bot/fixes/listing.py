"""A listing grant keeps to the listing the request made: `s3:prefix` (and `s3:delimiter`) as conditions.

`s3:ListBucket` on a bucket without a condition lets the caller list every key of it; an owner who limits a role
to its own folder does it with `s3:prefix` (IAM User Guide, "Amazon S3: Allows IAM users access to their S3 home
directory": `StringEquals s3:prefix ["", "home/"]` with `s3:delimiter "/"` for the folder listing, `StringLike
s3:prefix "home/${aws:username}/*"` for the user's own). A fix for a denied listing grants the listing the request
made and no more: `aws s3 ls s3://b/home/` (prefix `home/`, delimiter `/`) gets exactly that prefix with that
delimiter; a recursive listing (`aws s3 sync`, `cp --recursive`, `ls --recursive`, an SDK paginator with a prefix)
gets every prefix under its root (`StringLike s3:prefix ROOT*`). A listing that states no prefix lists the whole
bucket and its grant carries none.
"""

from __future__ import annotations

from typing import Any

from bot.diagnose.options import context_value
from bot.fixes.context import FixContext, string_literal

# The actions whose authorization carries s3:prefix / s3:delimiter (Service Authorization Reference for Amazon S3).
LISTING_ACTIONS = frozenset({"s3:ListBucket", "s3:ListBucketVersions"})


def _stated(c: FixContext, key: str) -> str | None:
    """The value the request (the user's --context, else the text) gives a context key."""
    value = context_value(c.options.context, key)
    if value is None:
        value = next((v[0] for k, v in c.req.stated_context if k.lower() == key and v), None)
    return value


def listing_condition(c: FixContext) -> dict[str, dict[str, list[str]]] | None:
    """The condition that keeps a listing grant to the request's listing; None when it states no prefix."""
    prefix = _stated(c, "s3:prefix")
    if not prefix:
        root = c.workload.prefix
        if root and c.workload.how.startswith("the root of the aws s3 sync"):
            # the workload's listing (the sync's), not this request's: the CLI lists with the root as typed, with
            # or without its last `/` (awscli/customizations/s3/filegenerator.py, BucketLister)
            glob = _glob_literal(root)
            return {"StringLike": {"s3:prefix": [glob.rstrip("/"), glob + "*"] if glob.endswith("/") else [glob + "*"]}}
        return None
    delimiter = _stated(c, "s3:delimiter")
    if delimiter:
        return {"StringEquals": {"s3:prefix": [prefix], "s3:delimiter": [delimiter]}}
    return {"StringLike": {"s3:prefix": [_glob_literal(prefix) + "*"]}}


def _glob_literal(value: str) -> str:
    """`value` for StringLike matching only itself: no variable, no wildcard."""
    return string_literal(value).replace("*", "${*}").replace("?", "${?}")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def scope_listing(statement: dict[str, Any], c: FixContext) -> dict[str, Any]:
    """`statement` with the request's listing condition when it grants only listing actions on buckets (the
    condition would refuse any other action: its keys are not in that action's context)."""
    condition = listing_condition(c)
    if condition is None or "Condition" in statement or "Action" not in statement:
        return statement
    actions = _listed(statement["Action"])
    resources = _listed(statement.get("Resource"))
    if not actions or not all(isinstance(a, str) and a in LISTING_ACTIONS for a in actions):
        return statement
    if not resources or not all(isinstance(r, str) and r.startswith("arn:") and "/" not in r for r in resources):
        return statement
    return statement | {"Condition": condition}
