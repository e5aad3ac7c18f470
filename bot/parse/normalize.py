"""Turn what a person pasted (Slack markup, code fences, escapes, wrapped lines) into plain lines of text.

Every step is a single linear pass: literal-led regular expressions with bounded repetition.
"""

from __future__ import annotations

import html
import re

# Slack escapes every `<` a person types as `&lt;`, so a link or reference never holds a raw `<`: excluding it
# stops each attempt at the next `<`, so a run of `<https://` costs one pass instead of 4,000 characters per `<`.
_SLACK_LINK = re.compile(r"<((?:https?|s3|s3a|ftp)://[^|<>\s]{1,4000}|mailto:[^|<>\s]{1,400})(?:\|[^<>\n]{0,4000})?>")
_SLACK_REF = re.compile(r"<[@#!][A-Za-z0-9^_.:\-]{1,200}(?:\|([^<>\n]{0,200}))?>")
_FENCE = re.compile(r"```")
_LITERAL_ESCAPES = re.compile(r"\\([nrt\"'/])")
_LINE_PREFIX = re.compile(r"^[ \t]{0,40}(?:[│┃║|╷╵>][ \t]?){1,8}", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPE_MAP = {"n": "\n", "r": "\n", "t": "\t", '"': '"', "'": "'", "/": "/"}


def normalize(text: str) -> str:
    """Plain text with `\\n` line ends, Slack markup and HTML entities undone, fences and quote bars removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Slack: <http://x|label> and <mailto:a|a> links carry the target first; user-typed < > & arrive escaped.
    text = _SLACK_LINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    text = _SLACK_REF.sub(lambda m: m.group(1) or "", text)
    text = html.unescape(text) if "&" in text else text
    text = _FENCE.sub("\n", text)
    # Errors copied out of JSON logs or string reprs keep their escapes: "\n", "\"".
    if "\\" in text:
        text = _LITERAL_ESCAPES.sub(lambda m: _ESCAPE_MAP[m.group(1)], text)
    text = _CONTROL.sub(" ", text)
    # Terraform's box drawing, Slack/email quote bars, Grails' "| " prefixes.
    return _LINE_PREFIX.sub("", text)


_WS = re.compile(r"\s+")


def flatten(text: str) -> str:
    """One line: every run of white space becomes one space (undoes line wrapping)."""
    return _WS.sub(" ", text).strip()


def looks_binary(text: str) -> bool:
    """True when the text is mostly not printable (a binary file pasted or piped in)."""
    if not text:
        return False
    sample = text[:65536]
    return len(_NOT_TEXT.findall(sample)) / len(sample) > 0.10


_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
