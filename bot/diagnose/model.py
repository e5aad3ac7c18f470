"""The diagnosis as values: every layer's verdict, the ranked root causes with evidence, the resolved request."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.layers import LayerId

if TYPE_CHECKING:
    from bot.fixes.model import Fix  # bot.fixes imports bot.diagnose: typed here, not imported at run time

# Layer verdicts in a diagnosis (CONTRACT.md): the engine's, plus "unknown" where s3why could not look.
ALLOW, DENY, NO_ALLOW, NOT_APPLICABLE, UNKNOWN = "allow", "deny", "no-allow", "not-applicable", "unknown"


class Decision(StrEnum):
    """A diagnosis's decision (CONTRACT.md): AWS's three, and "unknown" where s3why could not tell."""

    ALLOW = "allow"
    IMPLICIT_DENY = "implicit-deny"
    EXPLICIT_DENY = "explicit-deny"
    UNKNOWN = "unknown"


class CauseKind(StrEnum):
    """What kind of root cause: an explicit Deny, a missing Allow, a condition, or a setting (BPA, ownership...)."""

    EXPLICIT = "explicit"
    IMPLICIT = "implicit"
    CONDITION = "condition"
    SETTING = "setting"


# AWS's order (S3_AUTHZ.md §0): the root cause reported first is the first failing layer in this order.
LAYER_ORDER: tuple[LayerId, ...] = (
    LayerId.CREDENTIALS,
    LayerId.PRESIGNED_URL,
    LayerId.REQUEST_HEADERS,
    LayerId.REQUESTER_PAYS,
    LayerId.SCP,
    LayerId.RCP,
    LayerId.VPC_ENDPOINT_POLICY,
    LayerId.IDENTITY,
    LayerId.BUCKET_POLICY,
    LayerId.ACCESS_POINT_POLICY,
    LayerId.CLOUDFRONT,
    LayerId.PERMISSIONS_BOUNDARY,
    LayerId.SESSION_POLICY,
    LayerId.BLOCK_PUBLIC_ACCESS,
    LayerId.OBJECT_OWNERSHIP,
    LayerId.ACL,
    LayerId.OBJECT_LOCK,
    LayerId.KMS,
    LayerId.OBJECT_MISSING,
)


@dataclass(frozen=True)
class LayerReport:
    layer: LayerId
    verdict: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer.value, "verdict": self.verdict, "detail": self.detail}


@dataclass(frozen=True)
class RootCause:
    layer: LayerId
    kind: str  # explicit | implicit | condition | setting
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer.value, "kind": self.kind, "summary": self.summary, "evidence": self.evidence}


@dataclass(frozen=True)
class Diagnosis:
    request: dict[str, Any]
    decision: str  # allow | implicit-deny | explicit-deny | unknown
    root_causes: tuple[RootCause, ...]
    layers: tuple[LayerReport, ...]
    fixes: tuple[Fix, ...] = ()  # verified fixes, the one to show first first (bot/fixes)
    notes: tuple[str, ...] = ()  # what s3why could not see, other possibilities (shown in the text report)

    def layer(self, layer: LayerId) -> LayerReport:
        return next(r for r in self.layers if r.layer is layer)

    @property
    def not_a_denial(self) -> bool:
        """The error is not an authorization denial (NoSuchKey, a redirect, a bad signature, expired
        credentials): its explanation is the answer, and no permission change fixes it."""
        return bool(self.root_causes and self.root_causes[0].evidence.get("not_a_denial"))

    @property
    def key_missing(self) -> bool:
        """HeadObject said the key does not exist (404): an authorized request then gets 404 NoSuchKey, so an
        "allow" is not a success (S3 API Reference, GetObject, "Permissions")."""
        report = next((r for r in self.layers if r.layer is LayerId.OBJECT_MISSING), None)
        return report is not None and report.detail.startswith("the object does not exist")

    @property
    def verdict_label(self) -> str | None:
        """A headline that replaces the decision's, when the decision's would mislead."""
        if self.not_a_denial:
            return "Not an access denial"
        unnamed = self.request.get("operation_candidates") and not self.request.get("operation")
        if self.decision == "unknown" and unnamed:
            return "Undecided: the text does not name the operation"
        if (
            self.decision == ALLOW
            and not self.key_missing
            and any(r.layer is LayerId.OBJECT_MISSING and r.verdict == UNKNOWN for r in self.layers)
        ):
            return "Allowed: every layer s3why read allows it, if the object exists (not read)"
        if self.decision == "unknown" and self.request.get("unreproduced") and not self.root_causes:
            return "Undecided: AWS denied it, but everything s3why read allows it"
        return None

    @property
    def authorizations(self) -> tuple[dict[str, Any], ...]:
        """Every authorization the operation needs: {action, resource, why, decision} (`decision` is s3why's
        evaluation of the policies for that one authorization)."""
        resolved = self.request.get("resolved") or {}
        return tuple(resolved.get("authorizations") or ())

    @property
    def branches(self) -> tuple[dict[str, Any], ...]:
        """Request properties the text cannot tell that change the decision: {key, assumed, outcomes: [{value,
        decision, by}]} (bot/diagnose/branches.py)."""
        resolved = self.request.get("resolved") or {}
        return tuple(resolved.get("branches") or ())

    @property
    def failing_authorizations(self) -> tuple[dict[str, Any], ...]:
        """The authorizations s3why's evaluation does not allow: a fix must cover every one of them."""
        return tuple(a for a in self.authorizations if a.get("decision") != ALLOW)

    @property
    def authorized(self) -> bool:
        """Does the request pass every authorization layer (the key may still be missing: S3 then answers 404, or
        403 to a caller that may not list the bucket)?"""
        if self.decision == ALLOW:
            return True
        return (
            self.decision != "unknown"
            and bool(self.root_causes)
            and all(c.layer is LayerId.OBJECT_MISSING for c in self.root_causes)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "decision": self.decision,
            "root_causes": [c.to_json() for c in self.root_causes],
            "layers": [r.to_json() for r in self.layers],
            "fixes": [f.to_json() for f in self.fixes],
        }
