"""Is a bucket (or access point) policy "public" in S3 Block Public Access's sense?

S3 User Guide, "The meaning of public": a policy is non-public only if every Allow statement is limited to
fixed values (no wildcards, no variables) of a principal or of one of these condition keys. S3 errs on the side
of "public"; so does this classifier. `GetBucketPolicyStatus.IsPublic`, when s3why can read it, wins.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

_FIXING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
        "aws:principalorgid",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:userid",
    }
)
_EQUALITY = ("stringequals", "stringequalsignorecase", "arnequals", "arnlike", "stringlike")


def _fixed(value: str) -> bool:
    return "*" not in value and "?" not in value and "${" not in value


# "s3:DataAccessPointArn [...] When used in a bucket policy, this value can contain a wildcard for the access point
# name without rendering the policy public, as long as the account ID is fixed" (S3 User Guide, "The meaning of
# public"): arn:aws:s3:us-west-2:123456789012:accesspoint/* is a fixed value.
_ACCESS_POINT_ANY_NAME = re.compile(r"^arn:aws[a-z-]*:s3:[a-z0-9-]+:\d{12}:accesspoint/[^${}]*$")


def _fixed_value(key: str, value: str) -> bool:
    if key == "s3:dataaccesspointarn" and _ACCESS_POINT_ANY_NAME.match(value):
        return True
    return _fixed(value)


def _narrow_cidr(value: str) -> bool:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    if net.version == 4:
        return net.prefixlen >= 8 or net.is_private
    return net.prefixlen >= 32


def _statement_fixed_by_condition(condition: dict[str, Any]) -> bool:
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            continue
        base = operator.split(":")[-1].lower()
        if base.endswith("ifexists"):
            continue  # an absent key passes: not a restriction
        for key, values in keys.items():
            vals = values if isinstance(values, list) else [values]
            k = key.lower()
            if k == "aws:sourceip" and base == "ipaddress" and all(_narrow_cidr(str(v)) for v in vals):
                return True
            if k in _FIXING_KEYS and base in _EQUALITY and all(_fixed_value(k, str(v)) for v in vals):
                if k == "aws:userid" and any(str(v).endswith(":*") for v in vals):
                    continue
                return True
    return False


def _principal_is_specific(principal: Any) -> bool:
    if principal == "*":
        return False
    if isinstance(principal, dict):
        for ptype, values in principal.items():
            vals = values if isinstance(values, list) else [values]
            if ptype == "AWS" and any(v == "*" for v in vals):
                return False
            if ptype == "Federated":
                return False
        return True
    return False


def is_public_policy(document: Any) -> bool:
    """True when some Allow statement grants to everyone without a fixed-value restriction."""
    if not isinstance(document, dict):
        return False
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in st:
            return True
        if _principal_is_specific(st.get("Principal")):
            continue
        if _statement_fixed_by_condition(st.get("Condition") or {}):
            continue
        return True
    return False
