"""Verified least-privilege fixes, rendered from `templates/` as the catalogue in `remediations/` says."""

from bot.fixes.core import Fix, Patch, apply_patches, diagnosis_with_scope, propose_fixes, scope_lines

__all__ = ["Fix", "Patch", "apply_patches", "diagnosis_with_scope", "propose_fixes", "scope_lines"]
