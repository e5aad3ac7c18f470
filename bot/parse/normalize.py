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
_LITERAL_ESCAPES = re.compile(r"\\([nrt\"'/\\])")
# JSON's \uXXXX escapes (an ANSI colour code logged as JSON arrives as \u001b[31m).
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# Terminal colour and cursor codes (ECMA-48 CSI: ESC [ parameters final-byte), also as tools print them once the
# ESC byte is lost or spelled out: `^[[31m`, `\033[0m`, `\x1b[1;31m`, `\e[0m`, or a bare `[0;31m`.
_ANSI = re.compile(r"(?:\x1b|\^\[|\\(?:033|x1b|e))\[[0-9;?]{0,24}[A-Za-z]")
_BARE_SGR = re.compile(r"\[[0-9]{1,3}(?:;[0-9]{1,3}){0,6}m")
# Markdown and Slack mrkdwn emphasis around a word or phrase on one line: *bold*, _italic_, ~strike~, `code`.
# The opening mark may not follow a word character, `:` `/` or a quote (so `s3:*`, `bucket/*`, `get_object` and
# `_temporary/` stay as they are), nor may the closing one precede a word character.
# Each pattern starts with its mark (a literal, so the engine skips to it); what may not precede the mark is
# checked by `_emphasis` (a lookbehind in front would be tried at every position of the text).
_BOLD = re.compile(r"\*(?=[^\s*])([^*\n\"]{1,300})(?<=[^\s*])\*(?![\w*])")
_ITALIC = re.compile(r"_(?=[^\s_])([^_\n\"]{1,300})(?<=[^\s_])_(?![\w])")
_STRIKE = re.compile(r"~(?=[^\s~/])([^~\n]{1,300})(?<=[^\s~])~(?![\w~])")
_NOT_BEFORE = {"*": "*\\:/\"'", "_": "\\:/\"'", "~": "~"}


def _emphasis(m: re.Match[str]) -> str:
    """The emphasised words without their marks, unless the mark follows a word character or one of the
    characters that make it part of a value (`s3:*`, `bucket/*`, `get_object`)."""
    start = m.start()
    if start:
        before = m.string[start - 1]
        if before.isalnum() or before == "_" or before in _NOT_BEFORE[m.group(0)[0]]:
            return m.group(0)
    return m.group(1)


_GLUED_TICK = re.compile(r"(?<=[A-Za-z])`(?=[A-Za-z])")
_ESCAPE_MAP = {"n": "\n", "r": "\n", "t": "\t", '"': '"', "'": "'", "/": "/", "\\": "\\"}
_LINE_PREFIX = re.compile(r"^[ \t]{0,40}(?:[│┃║|╷╵>][ \t]?){1,8}", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize(text: str) -> str:
    """Plain text with `\\n` line ends, Slack markup and HTML entities undone, fences and quote bars removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Slack: <http://x|label> and <mailto:a|a> links carry the target first; user-typed < > & arrive escaped.
    text = _SLACK_LINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    text = _SLACK_REF.sub(lambda m: m.group(1) or "", text)
    text = html.unescape(text) if "&" in text else text
    text = _FENCE.sub("\n", text)
    # Errors copied out of JSON logs or string reprs keep their escapes: "\n", "\"", "\u001b"; a JSON string
    # inside a JSON string has them twice ("\\n"): two passes at most.
    for _ in range(2):
        if "\\" not in text:
            break
        if "\\u" in text:
            text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
        text = _LITERAL_ESCAPES.sub(lambda m: _ESCAPE_MAP[m.group(1)], text)
    if "[" in text:
        text = _ANSI.sub("", text)
        text = _BARE_SGR.sub("", text)
    text = _CONTROL.sub(" ", text)
    if "`" in text:
        # A backtick between two words separated them (Ruby's backtrace "in`put_object'" lost its space): a space.
        text = _GLUED_TICK.sub(" ", text).replace("`", "")
    if "*" in text:
        text = _BOLD.sub(_emphasis, text)
    if "_" in text:
        text = _ITALIC.sub(_emphasis, text)
    if "~" in text:
        text = _STRIKE.sub(_emphasis, text)
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
