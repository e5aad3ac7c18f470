"""Verified least-privilege fixes, rendered from `templates/` as the catalogue in `remediations/` says.

By stage: `model` (Fix, Patch, the vocabularies), `catalogue` (remediations/ and templates/), `targets` (where a
policy lives: one module per policy target), `core` (matching causes to entries, values, patches) and the
verification and ranking beside it.
"""

from bot.fixes.core import diagnosis_with_scope, propose_fixes, scope_lines
from bot.fixes.model import Fix, Patch
from bot.fixes.verify import apply_patches

__all__ = ["Fix", "Patch", "apply_patches", "diagnosis_with_scope", "propose_fixes", "scope_lines"]
