"""Request parameters as AWS's S3 service model defines them (botocore ships it): which header an S3 condition key
reads, the member that sends it, the values AWS accepts, and how each tool spells it.

A request-side fix names a parameter of the operation the request made and a value the model allows: never a
header the operation does not take, never a value outside the member's enum, never a condition's operand (a
`Null` check's "true"). The CLI flag and SDK argument names follow the tools' own rules over the model (AWS CLI:
`xform_name(member, "-")`; boto3, JavaScript v3 and Go v2: the member name; Java v2: the member in lowerCamelCase).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import botocore.session
from botocore import xform_name

# S3 condition keys whose header name is not "x-amz-" + the key (S3 Service Authorization Reference, "Condition keys
# for Amazon S3"): object lock keys drop the "x-amz-" prefix.
_HEADER_OF_KEY = {
    "s3:object-lock-mode": "x-amz-object-lock-mode",
    "s3:object-lock-retain-until-date": "x-amz-object-lock-retain-until-date",
    "s3:object-lock-legal-hold": "x-amz-object-lock-legal-hold",
}


@lru_cache(maxsize=1)
def _s3_model() -> Any:
    return botocore.session.get_session().get_service_model("s3")


@dataclass(frozen=True)
class RequestParameter:
    """One header parameter of one S3 operation: `member` (ServerSideEncryption), `header`
    (x-amz-server-side-encryption), `enum` (the values AWS accepts; empty when the model lists none)."""

    operation: str
    member: str
    header: str
    enum: tuple[str, ...]
    boolean: bool = False  # a boolean member (BypassGovernanceRetention): a bare CLI flag, True in the SDKs

    def accepts(self, value: str) -> bool:
        return not self.enum or value in self.enum

    @property
    def cli_flag(self) -> str:
        return "--" + str(xform_name(self.member, "-"))

    def how_to_send(self, value: str) -> list[str]:
        """The header and the same value as each tool takes it (what a person pastes into their code)."""
        op = xform_name(self.operation, "-")
        camel = self.member[0].lower() + self.member[1:]
        if self.boolean:
            return [
                f"send the header {self.header}: {value}",
                f"AWS CLI: aws s3api {op} ... {self.cli_flag}",
                f"Python (boto3): s3.{xform_name(self.operation)}(..., {self.member}=True)",
                f"JavaScript (SDK v3): new {self.operation}Command({{ ..., {self.member}: true }})",
                f"Java (SDK v2): {self.operation}Request.builder()....{camel}(true)",
                f"Go (SDK v2): &s3.{self.operation}Input{{..., {self.member}: aws.Bool(true)}}",
            ]
        return [
            f"send the header {self.header}: {value}",
            f"AWS CLI: aws s3api {op} ... {self.cli_flag} {value}",
            f"Python (boto3): s3.{xform_name(self.operation)}(..., {self.member}={value!r})",
            f'JavaScript (SDK v3): new {self.operation}Command({{ ..., {self.member}: "{value}" }})',
            f'Java (SDK v2): {self.operation}Request.builder()....{camel}("{value}")',
            f'Go (SDK v2): &s3.{self.operation}Input{{..., {self.member}: "{value}"}}',
        ]


def header_of(condition_key: str) -> str | None:
    """The HTTP header an S3 condition key reads (`s3:x-amz-acl` -> `x-amz-acl`); None for keys that are not a
    header of the request (aws:SecureTransport, s3:TlsVersion, ...)."""
    key = condition_key.lower()
    if key in _HEADER_OF_KEY:
        return _HEADER_OF_KEY[key]
    if key.startswith("s3:x-amz-"):
        return key[3:]
    return None


def parameter_for(operation: str | None, condition_key: str) -> RequestParameter | None:
    """The operation's input member that sends the header `condition_key` reads; None when the key is not a
    header or the operation takes no such header (then no value of it can be sent)."""
    header = header_of(condition_key)
    if header is None or not operation:
        return None
    model = _s3_model()
    if operation not in model.operation_names:
        return None
    shape = model.operation_model(operation).input_shape
    if shape is None:
        return None
    for name, member in shape.members.items():
        where = member.serialization
        if where.get("location") == "header" and str(where.get("name", "")).lower() == header:
            enum = tuple(getattr(member, "enum", None) or ())
            return RequestParameter(operation, name, header, enum, member.type_name == "boolean")
    return None
