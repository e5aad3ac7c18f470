"""s3why's small error hierarchy. Every error a user can cause carries a one-line, specific message."""

from __future__ import annotations


class S3whyError(Exception):
    """Base class: an error with a message fit to show a user as is."""

    exit_code = 1


class UsageError(S3whyError):
    """Bad command-line usage or unreadable input (exit status 2)."""

    exit_code = 2


class PolicyError(UsageError):
    """A policy document that is malformed, or that AWS would reject.

    `where` names the place in the document (e.g. ``Statement[2].Condition``), so the message can point at it.
    """

    def __init__(self, message: str, *, source: str = "policy", where: str = "") -> None:
        self.source = source
        self.where = where
        self.reason = message
        location = f"{source}: {where}: " if where else f"{source}: "
        super().__init__(location + message)
