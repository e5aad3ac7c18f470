"""A decision on a fresh read of AWS, as `verify` gives it to the approval flow (bot/approve/flow.py)."""

from __future__ import annotations


class Verified(str):
    """What `verify` may return: the decision on a fresh read, with the layers s3why could not read for it (an
    "allow" then holds for every layer it read, not for those)."""

    unread: tuple[str, ...]

    def __new__(cls, decision: str, unread: tuple[str, ...] = ()) -> Verified:
        made = super().__new__(cls, decision)
        made.unread = unread
        return made
