"""The diagnosis as values: every layer's verdict, the ranked root causes with evidence, the resolved request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.layers import LayerId

# Layer verdicts in a diagnosis (CONTRACT.md): the engine's, plus "unknown" where s3why could not look.
ALLOW, DENY, NO_ALLOW, NOT_APPLICABLE, UNKNOWN = "allow", "deny", "no-allow", "not-applicable", "unknown"

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
    fixes: tuple[Any, ...] = ()  # bot.fixes.Fix values (kept as objects for the text and Slack renderings)
    notes: tuple[str, ...] = ()  # what s3why could not see, other possibilities (shown in the text report)

    def layer(self, layer: LayerId) -> LayerReport:
        return next(r for r in self.layers if r.layer is layer)

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "decision": self.decision,
            "root_causes": [c.to_json() for c in self.root_causes],
            "layers": [r.to_json() for r in self.layers],
            "fixes": [f.to_json() if hasattr(f, "to_json") else f for f in self.fixes],
        }
