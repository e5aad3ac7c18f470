"""Small, exact helpers over Terraform source text: bracket matching that skips strings, heredocs and comments;
HCL string escaping; the values python-hcl2 returns turned back into plain Python values.

python-hcl2 parses (it is the judge of what a file means); these helpers only find where, in the text, a
patch goes, so that the patch changes nothing but what it adds.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot import escape

_HEREDOC = re.compile(r"<<-?\s*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")


def hcl_string(value: str) -> str:
    """An HCL quoted string that evaluates to exactly `value` (bot/escape.py: `${` -> `$${`, `%{` -> `%%{`)."""
    return escape.hcl_string(value)


def hcl_escape(value: str) -> str:
    """The inside of `hcl_string(value)`."""
    return hcl_string(value)[1:-1]


def hcl_unescape(value: str) -> str:
    return value.replace("$${", "${").replace("%%{", "%{")


def skip(text: str, i: int) -> int:
    """If a string, heredoc or comment starts at `i`, the index just after it; otherwise `i`."""
    ch = text[i]
    if ch == '"':
        j = i + 1
        depth = 0
        while j < len(text):
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "$" and text.startswith("${", j) and not text.startswith("$${", j - 1):
                depth += 1
                j += 2
                continue
            if c == "}" and depth:
                depth -= 1
            elif c == '"' and not depth:
                return j + 1
            j += 1
        return len(text)
    if ch == "#" or text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        return len(text) if end < 0 else end + 2
    if text.startswith("<<", i):
        m = _HEREDOC.match(text, i)
        if m:
            marker = re.compile(r"^[ \t]*" + re.escape(m.group(1)) + r"[ \t]*$", re.M)
            closing = marker.search(text, m.end())
            return len(text) if closing is None else closing.end()
    return i


def match(text: str, start: int) -> int:
    """The index of the bracket closing the one at `start` (`{`, `[` or `(`); -1 when unbalanced."""
    pairs = {"{": "}", "[": "]", "(": ")"}
    stack = [pairs[text[start]]]
    i = start + 1
    while i < len(text):
        j = skip(text, i)
        if j != i:
            i = j
            continue
        c = text[i]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if not stack or c != stack[-1]:
                return -1
            stack.pop()
            if not stack:
                return i
        i += 1
    return -1


def find_code(text: str, pattern: re.Pattern[str], start: int = 0, end: int | None = None) -> re.Match[str] | None:
    """The first match of `pattern` outside strings, heredocs and comments, within [start, end)."""
    stop = len(text) if end is None else end
    i = start
    while i < stop:
        j = skip(text, i)
        if j != i:
            i = j
            continue
        m = pattern.match(text, i)
        if m and m.end() <= stop:
            return m
        i += 1
    return None


def plain(value: Any) -> Any:
    """python-hcl2's values with the quotes it keeps around literals removed and `$${` read back as `${`."""
    if isinstance(value, dict):
        return {plain_key(k): plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            return hcl_unescape(json.loads(value))
        except json.JSONDecodeError:
            return hcl_unescape(value[1:-1])
    return value


def plain_key(key: str) -> str:
    return str(plain(key)) if isinstance(key, str) else key


def line_indent(text: str, index: int) -> str:
    """The white space that starts the line holding `index`."""
    start = text.rfind("\n", 0, index) + 1
    m = re.match(r"[ \t]*", text[start:])
    return m.group(0) if m else ""
