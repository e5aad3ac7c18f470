"""The fix model: a `Patch` (one change to one policy, setting or request), a `ScopeChoice` (one reach of a fix,
verified on its own) and a `Fix`; and the closed vocabularies they use (patch kind, risk, who must act).

`Fix.to_json` and `Patch.to_json` are CONTRACT.md's keys, exactly.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class PatchKind(StrEnum):
    """What a patch changes (CONTRACT.md's `patches[].kind`)."""

    IAM_POLICY = "iam-policy"
    BUCKET_POLICY = "bucket-policy"
    KEY_POLICY = "key-policy"
    VPC_ENDPOINT_POLICY = "vpc-endpoint-policy"
    ACCESS_POINT_POLICY = "access-point-policy"
    MULTI_REGION_ACCESS_POINT_POLICY = "multi-region-access-point-policy"
    SETTING = "setting"
    REQUEST_CHANGE = "request-change"
    IAC_CHANGE = "iac-change"


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Owner(StrEnum):
    """Who must make a change: s3why's configured account, another account of the organization or of the
    configuration, another company (an account in neither), or the organization's administrators (SCPs, RCPs)."""

    THIS_ACCOUNT = "this-account"
    OTHER_ACCOUNT = "other-account"
    OTHER_COMPANY = "other-company"
    ORGANIZATION = "organization"
    CALLER = "caller"  # the one who sends the request (a request-side change)


@dataclass
class Patch:
    target: str
    kind: str  # a PatchKind value
    document: dict[str, Any] | None
    commands: list[str]
    before: dict[str, Any] | None = None
    terraform: str = ""
    cloudformation: str = ""
    apply: dict[str, Any] = field(default_factory=dict)  # how to put it into a snapshot (see bot.fixes.targets)
    # iac-change patches (CONTRACT.md): {"tool": "terraform" | "cloudformation", "file": PATH, "diff": UNIFIED_DIFF}
    iac: dict[str, str] | None = None
    owner: str = ""  # an Owner value: whose change it is ("" before the fix is placed)
    owner_words: str = ""  # the same, for people: "the account 444455556666 (a vendor's)"

    def to_json(self) -> dict[str, Any]:
        out = {"target": self.target, "kind": self.kind, "document": self.document, "commands": self.commands}
        if self.iac is not None:
            out.update(self.iac)
        return out

    @property
    def diff(self) -> str:
        if self.iac is not None:
            return self.iac["diff"]  # the change to the file (Terraform) or to the stack's template
        if self.document is None:
            return ""
        before = json.dumps(self.before, indent=2).splitlines() if self.before else []
        after = json.dumps(self.document, indent=2).splitlines()
        return "\n".join(difflib.unified_diff(before, after, "current", "proposed", lineterm="", n=2))


@dataclass
class ScopeChoice:
    """One reach of a fix (object | prefix | bucket | exact), with its own patches and its own verification."""

    name: str
    description: str  # in words: "lets etl-writer put any object under out/ in team-data"
    patches: list[Patch]
    verified: bool = False
    reason: str = ""
    workload: str = ""  # what the next request of the same workload does with this scope, in words
    complete: bool = False  # the request is authorized with this fix alone (no other fix applied with it)

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.name,
            "description": self.description,
            "verified": self.verified,
            "reason": self.reason,
            "workload": self.workload,
            "patches": [p.to_json() for p in self.patches],
        }


@dataclass
class Fix:
    id: str
    layer: str
    risk: str  # a Risk value
    verified: bool
    patches: list[Patch]
    title: str
    explanation: str
    never_automatic: str | None = None
    reason: str = ""  # why it is not verified, when it is not
    scope: str = ""  # the chosen scope's name ("" when the fix has a single reach)
    scopes: list[ScopeChoice] = field(default_factory=list)
    side: str = ""  # identity | resource | both: which side of the authorization the fix changes
    reach: str = ""  # without scopes: how far the grant reaches, for the neighbour check ("" = exactly the request)
    complete: bool = False  # the request is authorized with this fix alone
    findings: list[str] = field(default_factory=list)  # validity findings (IAM grammar, size, Access Analyzer)
    owners: list[str] = field(default_factory=list)  # whose changes, in words, when not only this account's
    by_signer: bool = False  # a presigned URL's signer's own policy: its owner changes it, not the URL's user
    # The change applies to objects written after it (default encryption): verified on the workload's next object,
    # and the explanation says what to do with the existing ones.
    new_objects: bool = False
    # Actions the change is meant to let the same principal do besides the request (a restored statement's, a
    # narrowed Deny's): a neighbour of that principal within them changing is the fix working, not a widening.
    intended_actions: tuple[str, ...] = ()

    @property
    def policies_changed(self) -> int:
        """How many distinct policies (or settings) the fix writes."""
        return len({(p.kind, p.target) for p in self.patches if p.kind != PatchKind.REQUEST_CHANGE})

    def with_scope(self, name: str) -> Fix:
        """The same fix with another of its scopes chosen (unchanged when it has no such scope)."""
        choice = next((s for s in self.scopes if s.name == name), None)
        if choice is None:
            return self
        return replace(
            self,
            scope=name,
            patches=choice.patches,
            verified=choice.verified,
            reason=choice.reason,
            complete=choice.complete,
        )

    def to_json(self) -> dict[str, Any]:
        """CONTRACT.md's keys, exactly (the scope shown is the chosen one; `scopes_json` has every scope)."""
        return {
            "id": self.id,
            "layer": self.layer,
            "risk": str(self.risk),
            "verified": self.verified,
            "patches": [p.to_json() for p in self.patches],
        }

    def scopes_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.scopes]
