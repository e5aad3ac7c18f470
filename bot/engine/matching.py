"""Wildcard matchers compiled once: actions (case-insensitive), ARNs (case-sensitive, segment by segment).

IAM wildcards: `*` matches any run of characters, `?` exactly one. In ARNs the first five colon-separated
parts (arn, partition, service, region, account) are matched part by part, and the resource part as one
string in which `*` may span `/` and `:` (IAM User Guide, "IAM JSON policy elements: Resource").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from bot.engine.variables import LITERAL_QMARK, LITERAL_STAR

Matcher = Callable[[str], bool]


def _wildcard_regex(pattern: str, any_char: str = ".") -> str:
    out: list[str] = []
    for ch in pattern:
        if ch == "*":
            out.append(any_char + "*")
        elif ch == "?":
            out.append(any_char)
        elif ch == LITERAL_STAR:
            out.append(re.escape("*"))
        elif ch == LITERAL_QMARK:
            out.append(re.escape("?"))
        else:
            out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=65536)
def wildcard(pattern: str, ignore_case: bool = False) -> Matcher:
    """A matcher for a `*`/`?` pattern over a whole string."""
    if pattern == "*":
        return lambda _s: True
    if "*" not in pattern and "?" not in pattern:
        pattern = pattern.replace(LITERAL_STAR, "*").replace(LITERAL_QMARK, "?")
        if ignore_case:
            low = pattern.lower()
            return lambda s: s.lower() == low
        return lambda s: s == pattern
    rx = re.compile(_wildcard_regex(pattern), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
    return lambda s: rx.fullmatch(s) is not None


@lru_cache(maxsize=65536)
def action_matcher(pattern: str) -> Matcher:
    """`s3:Get*` style: service prefix and name are case-insensitive."""
    return wildcard(pattern, True)


def _segment_regex(pattern: str) -> str:
    """A wildcard pattern for one ARN part: `*` and `?` never cross a colon."""
    return _wildcard_regex(pattern, any_char="[^:]")


def _arn_pattern_regex(pattern: str) -> str:
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        # Not a six-part ARN: AWS compares it as a plain wildcard string (e.g. a trailing `*` spanning parts).
        return _wildcard_regex(pattern)
    return ":".join(_segment_regex(p) for p in parts[:5]) + ":" + _wildcard_regex(parts[5])


@lru_cache(maxsize=65536)
def arn_matcher(pattern: str) -> Matcher:
    """Resource-element ARN matching: `*` alone matches everything, including the non-ARN resource `*`."""
    return any_arn_matcher((pattern,))


@lru_cache(maxsize=65536)
def any_arn_matcher(patterns: tuple[str, ...]) -> Matcher:
    """Does a resource match any of these Resource-element patterns? One compiled regular expression.

    The first five ARN parts take colon-bounded wildcards; in the resource part `*` may span `/` and `:`.
    """
    if "*" in patterns:
        return lambda _s: True
    rx = re.compile("|".join(f"(?:{_arn_pattern_regex(p)})" for p in patterns), re.DOTALL)
    return lambda value: rx.fullmatch(value) is not None


@lru_cache(maxsize=65536)
def arn_condition_matcher(pattern: str) -> Matcher:
    """`ArnEquals`/`ArnLike`: each of the six colon-separated parts is matched separately."""
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return lambda _s: False
    rx = re.compile(_arn_pattern_regex(pattern), re.DOTALL)

    def match(value: str) -> bool:
        return value.count(":") >= 5 and rx.fullmatch(value) is not None

    return match
