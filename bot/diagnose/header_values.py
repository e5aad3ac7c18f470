"""Values S3 accepts for a request header, read from botocore's S3 service model (shipped inside botocore).

A policy that tests only whether a header is present (`Null`) names no value for it; when s3why shows the
request that would pass, it names a value S3 accepts rather than the `Null` operand ("true" is no encryption
type). Source: the `enum` of the header member's shape in botocore/data/s3/2006-03-01/service-2.json.
"""

from __future__ import annotations

from functools import lru_cache

import botocore.session
from botocore.model import StringShape


@lru_cache(maxsize=1)
def _header_enums() -> dict[str, tuple[str, ...]]:
    """Lower-cased header name (x-amz-...) -> the values S3's model lists for it, over every operation's input."""
    model = botocore.session.get_session().get_service_model("s3")
    out: dict[str, tuple[str, ...]] = {}
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is None:
            continue
        for member in shape.members.values():
            header = member.serialization.get("name")
            in_header = member.serialization.get("location") == "header" and header
            if in_header and isinstance(member, StringShape) and member.enum:
                out.setdefault(header.lower(), tuple(member.enum))
    return out


def accepted_values(condition_key: str) -> tuple[str, ...]:
    """The values S3 accepts for the header an `s3:x-amz-*` condition key reads (empty when the model lists none).

    `s3:x-amz-server-side-encryption` -> ("AES256", "aws:fsx", "aws:kms", "aws:kms:dsse") in today's model.
    """
    service, _, header = condition_key.lower().partition(":")
    if service != "s3" or not header.startswith("x-amz-"):
        return ()
    return _header_enums().get(header, ())
