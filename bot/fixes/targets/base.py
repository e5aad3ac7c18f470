"""What every policy target says about itself: how it is read from the account view, patched, put into a
snapshot, read and written live (the approval writer), its size limit and its Terraform/CloudFormation type.

A target is one module of this package; `bot.fixes.targets.TARGETS` registers them. Fixes, approvals
(`bot/approve/writer.py`, `flow.py`) and IaC (`bot/iac/`) all go through that table, so adding a target (Access
Grants, a bucket ACL) touches one module and its templates.
"""

from __future__ import annotations

import copy
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.engine.policy import PolicyKind
from bot.fixes.model import Patch

# (service, region or None) -> a boto3 client with the approver's write session
ClientFor = Callable[[str, "str | None"], Any]


class Where(StrEnum):
    """Where a policy lives: a proposal's `where` (stored in Redis, so the values never change)."""

    PRINCIPAL_INLINE = "principal-inline"
    MANAGED = "managed"
    BUCKET = "bucket"
    KEY = "key"
    VPC_ENDPOINT = "vpce"
    ACCESS_POINT = "access-point"
    MULTI_REGION_ACCESS_POINT = "multi-region-access-point"
    OWNERSHIP = "ownership-controls"  # a bucket setting: Object Ownership
    DEFAULT_ENCRYPTION = "default-encryption"  # a bucket setting: default encryption


class SizeUnit(StrEnum):
    BYTES = "bytes"  # S3 and KMS count the document's bytes
    CHARS = "chars"  # VPC endpoint policies: characters, white space included
    NONSPACE = "nonspace"  # IAM counts characters other than white space


@dataclass(frozen=True)
class SizeLimit:
    """AWS's size limit of a policy (S3_AUTHZ.md §8; IAM User Guide, "IAM and AWS STS quotas")."""

    unit: SizeUnit
    limit: int

    def check(self, document: dict[str, Any]) -> tuple[bool, str]:
        """(within the limit, "1,234 of 20,480 bytes")."""
        text = json.dumps(document, separators=(",", ":"))
        if self.unit is SizeUnit.BYTES:
            size = len(text.encode())
        elif self.unit is SizeUnit.CHARS:
            size = len(text)
        else:
            size = len(re.sub(r"\s", "", text))
        word = "bytes" if self.unit is SizeUnit.BYTES else "characters"
        return size <= self.limit, f"{size:,} of {self.limit:,} {word}"


@dataclass(frozen=True)
class TargetInput:
    """What a target needs to place a statement: the snapshot, the principal's ARN as policies name it, and
    the KMS key's ARN (key policies)."""

    snapshot: dict[str, Any]
    principal_policy_arn: str = ""
    key_arn: str = ""


class PolicyTarget(ABC):
    """One place a policy lives."""

    where: Where
    catalogue_name: str  # remediations/*.yaml's `target:`
    patch_kind: str  # a PatchKind value
    cfn_type: str  # the CloudFormation resource type that holds the document
    terraform_types: tuple[str, ...]  # the Terraform resource types that can hold it
    cfn_property: str = "PolicyDocument"  # the CloudFormation property that holds the document
    cfn_ref: str | None = None  # the property that names the resource it belongs to (a bucket, a role)
    absent_codes: frozenset[str] = frozenset()  # AWS error codes that mean "no such policy"
    principal_types: tuple[str, ...] = ("AWS", "Service", "Federated", "CanonicalUser")  # allowed in Principal
    has_principal: bool = True  # resource policies name a Principal; identity policies must not
    policy_kind: PolicyKind = PolicyKind.RESOURCE  # how s3why's engine parses and checks it
    setting: bool = False  # a bucket setting, not a policy: its document is the setting's configuration
    # Whether an Allow here grants access to its Principal. A VPC endpoint policy does not: it only limits what
    # passes through the endpoint ("An endpoint policy does not override or replace identity-based policies or
    # resource-based policies", VPC User Guide, "Control access to VPC endpoints using endpoint policies").
    grants_access: bool = True

    def cfn_value(self, document: dict[str, Any]) -> Any:
        """The document as the CloudFormation property (`cfn_property`) holds it."""
        return document

    def setting_findings(self, document: dict[str, Any]) -> list[str]:
        """What makes a setting's new configuration invalid (settings only; policies are checked as IAM)."""
        return []

    @abstractmethod
    def size_limit(self, patch: Patch) -> SizeLimit: ...

    @abstractmethod
    def patch(self, inp: TargetInput, statement: dict[str, Any]) -> Patch | None:
        """The patch that adds `statement` to the current document (None when s3why cannot see it)."""

    @abstractmethod
    def put(self, snapshot: dict[str, Any], patch: Patch) -> None:
        """Put the patched document into `snapshot` (a copy the caller owns) as the collector would read it."""

    @abstractmethod
    def read(self, client: ClientFor, target: str, apply: dict[str, Any]) -> Any:
        """The live document (a dict or its JSON text; None or "" when there is none)."""

    @abstractmethod
    def write(self, client: ClientFor, target: str, apply: dict[str, Any], text: str | None) -> dict[str, Any]:
        """Put the document's JSON text (None: remove what s3why added); AWS's response."""

    def live_target(self, patch: Patch) -> str:
        """The name the writer reads and writes the policy by."""
        return patch.target


class WriteRefused(Exception):
    """A write a target cannot make (a key policy cannot be removed), in words for the thread."""


def merge(document: dict[str, Any] | None, statement: dict[str, Any], *, at: int | None = None) -> dict[str, Any]:
    """The document with the statement added (or replaced, when a statement with its Sid is there already);
    `at`: the statement at that index rewritten in place (a Deny narrowed, a stale principal restored)."""
    doc = copy.deepcopy(document) if isinstance(document, dict) else {"Version": "2012-10-17", "Statement": []}
    doc.setdefault("Version", "2012-10-17")
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if at is not None and 0 <= at < len(statements):
        statements = [*statements[:at], statement, *statements[at + 1 :]]
        doc["Statement"] = statements
        return doc
    statements = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == statement["Sid"])]
    statements.append(statement)
    doc["Statement"] = statements
    return doc


def region_of(arn: str) -> str | None:
    from bot.arn import Arn

    parsed = Arn.parse(arn)
    return parsed.region if parsed is not None and parsed.region else None
