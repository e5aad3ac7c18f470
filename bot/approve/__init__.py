"""Approving a proposed fix in the thread: safe apply, rollback and audit."""
