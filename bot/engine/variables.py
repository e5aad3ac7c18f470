"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, and the escapes `${*}` `${?}` `${$}`.

Only 2012-10-17 policies substitute variables; in 2008-10-17 (or Version-less) policies `${...}` is literal text
(IAM User Guide, "IAM policy elements: Variables and tags").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_VAR = re.compile(r"\$\{([^}]{1,256})\}")
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


# In a wildcard pattern these stand for a literal `*` and `?` (from `${*}`, `${?}` or a substituted value).
LITERAL_STAR = "\ue000"
LITERAL_QMARK = "\ue001"


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a templated value: policy text, an escape (`${*}`), or a variable with an optional default."""

    literal: str | None = None
    key: str | None = None
    default: str | None = None
    escaped: bool = False


def has_variables(value: str) -> bool:
    return "${" in value


def split_template(value: str) -> tuple[Segment, ...]:
    """Split a value into literal text and variables."""
    out: list[Segment] = []
    pos = 0
    for m in _VAR.finditer(value):
        if m.start() > pos:
            out.append(Segment(literal=value[pos : m.start()]))
        body = m.group(1)
        if body in _ESCAPES:
            out.append(Segment(literal=_ESCAPES[body], escaped=True))
        elif (dm := _DEFAULT.match(body)) is not None:
            out.append(Segment(key=dm.group(1), default=dm.group(2)))
        else:
            out.append(Segment(key=body.strip()))
        pos = m.end()
    if pos < len(value):
        out.append(Segment(literal=value[pos:]))
    return tuple(out)


Lookup = Callable[[str], str | None]


def _protect(text: str) -> str:
    return text.replace("*", LITERAL_STAR).replace("?", LITERAL_QMARK)


def render(segments: tuple[Segment, ...], lookup: Lookup, *, for_pattern: bool = False) -> str | None:
    """The value with variables substituted; None when a variable has no value and no default.

    With `for_pattern`, `*` and `?` that come from a substituted value or an escape are made literal (the
    matchers in `bot.engine.matching` read `LITERAL_STAR`/`LITERAL_QMARK` as plain characters).
    """
    out: list[str] = []
    for seg in segments:
        if seg.key is None:
            text = seg.literal or ""
            out.append(_protect(text) if for_pattern and seg.escaped else text)
            continue
        value = lookup(seg.key)
        if value is None:
            value = seg.default
        if value is None:
            return None
        out.append(_protect(value) if for_pattern else value)
    return "".join(out)
