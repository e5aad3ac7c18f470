"""Verified least-privilege fixes, rendered from `templates/` as the catalogue in `remediations/` says."""

from bot.fixes.core import Fix, Patch, apply_patches, propose_fixes

__all__ = ["Fix", "Patch", "apply_patches", "propose_fixes"]
