"""Reading policy documents from the account view into the engine's compiled form, noting the malformed ones."""

from __future__ import annotations

from bot.account.view import NamedPolicy
from bot.engine import Policy, PolicyKind
from bot.engine.policy import compiled_policy
from bot.errors import PolicyError
from bot.layers import LayerId


class PolicyReader:
    """Compiles policies; a malformed one is skipped, with a note and the layer it belongs to (layer -> why)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.malformed: dict[LayerId, str] = {}

    def parse(self, named: NamedPolicy, kind: PolicyKind, layer: LayerId) -> Policy | None:
        try:
            return compiled_policy(named.document, name=named.name, kind=kind)
        except PolicyError as exc:
            self.notes.append(f"{named.name} could not be evaluated: {exc.reason} ({exc.where or 'document'})")
            self.malformed[layer] = f"{named.name} is malformed: {exc.reason}"
            return None
