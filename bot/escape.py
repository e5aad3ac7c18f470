"""Escaping for every format s3why writes: one function per target format, used by every renderer.

A value that came from outside s3why (a pasted bucket, key, principal, a policy's Sid or condition values, an
error message) is data. Wherever it lands it must stay data: never a Slack mention or link, never a Terraform
interpolation or directive, never a CloudFormation substitution, never a shell word boundary.

- Slack mrkdwn, `mrkdwn`: `&` `<` `>` as `&amp;` `&lt;` `&gt;` (Slack's formatting reference, "Escaping text").
- Terraform (HCL), `hcl_string` / `hcl_value`: quoted templates where `$${` and `%%{` stand for literal `${`
  and `%{`, with `\\"` `\\\\` `\\n` `\\r` `\\t` `\\uNNNN` (HCL native syntax spec, "Template Expressions");
  `hcl_identifier` for resource names, `hcl_comment` for one-line comments.
- CloudFormation, `cfn_json`: JSON that is also safe YAML (non-printable characters as `\\uNNNN`);
  `cfn_sub`: inside `Fn::Sub` a literal `${` is `${!` (CloudFormation's `Fn::Sub` reference).
- shell, `shell`: `shlex.quote`, one word whatever it holds.
- JSON, `json_text` / `json_compact` / `json_pretty`: `json.dumps`.

Each is a pure function over `str` (or JSON-like values) and never raises on any input of that type.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "JINJA_FILTERS",
    "cfn_json",
    "cfn_sub",
    "hcl_comment",
    "hcl_identifier",
    "hcl_string",
    "hcl_value",
    "json_compact",
    "json_pretty",
    "json_text",
    "mrkdwn",
    "shell",
    "slack_unescape",
]

# --- Slack mrkdwn -------------------------------------------------------------------------------------------
_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def mrkdwn(value: object, *, mentions: Iterable[str] = ()) -> str:
    """`value` as text that Slack shows literally in mrkdwn (and in a message's notification `text`).

    Slack parses `&`, `<` and `>` as control characters everywhere in a mrkdwn text object, code spans and
    blocks included (`<!channel>`, `<@U123>`, `<https://x|label>`), and decodes exactly these three entities
    for display. So every user-controlled value is escaped once, wherever in the text it goes.
    https://api.slack.com/reference/surfaces/formatting#escaping
    `mentions`: Slack user ids (from the signed request, e.g. who clicked) whose `<@ID>` s3why itself wrote
    into the text; only those stay live mentions.
    """
    text = str(value).translate(_MRKDWN)
    for user in mentions:
        if _USER_ID.fullmatch(user):
            text = text.replace(f"&lt;@{user}&gt;", f"<@{user}>")
    return text


_USER_ID = re.compile(r"[UW][A-Z0-9_]{1,40}")
_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
_SLACK_DECODE = {"amp": "&", "lt": "<", "gt": ">"}


def slack_unescape(text: str) -> str:
    """Undo Slack's own escaping of a delivered text (only `&amp;`, `&lt;`, `&gt;`, as Slack encodes)."""
    return _SLACK_ENTITY.sub(lambda m: _SLACK_DECODE[m.group(1)], text) if "&" in text else text


# --- GitHub markdown ------------------------------------------------------------------------------------------
# GitHub Flavored Markdown: any ASCII punctuation may be backslash-escaped (CommonMark "Backslash escapes"); these
# are the ones that start markup, a link, an HTML tag or entity, a table cell, an @mention or a #reference.
# https://github.github.com/gfm/#backslash-escapes
# `$` starts math (GitHub renders `$...$` and `$$...$$` with MathJax): escaped too.
_GFM_ACTIVE = re.compile(r"([\\`*_{}\[\]()#!|<>~@&+\-=:.$])")
_GFM_LINE = re.compile(r"[\r\n\u2028\u2029]+")
# Bidirectional controls (Unicode UAX #9: embeddings and overrides U+202A-202E, isolates U+2066-2069, marks
# U+200E, U+200F, U+061C) reorder what a reviewer sees ("Trojan Source"): dropped from titles and bodies.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible_bidi(text: str) -> str:
    """`text` with each bidirectional control written out (`<U+202E>`), for a code block shown to a reviewer."""
    return _BIDI.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)


def github_markdown(value: object) -> str:
    """`value` as text GitHub shows literally in a pull request's title or body (one line: newlines become
    spaces): no emphasis, link, image, HTML, table, heading, math, @mention or #reference can come from it, and no
    bidirectional control reorders it."""
    text = _BIDI.sub("", _GFM_LINE.sub(" ", str(value)))
    return _GFM_ACTIVE.sub(r"\\\1", text)


# --- Terraform / HCL ----------------------------------------------------------------------------------------
_HCL_SIMPLE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Characters HCL has no short escape for and that must not appear raw: C0/C1 controls, DEL, line separators.
_HCL_SPECIAL = re.compile(r'[\\"\x00-\x1f\x7f-\x9f\u2028\u2029]|\$\{|%\{')


def hcl_string(value: object) -> str:
    """`value` as an HCL quoted template that evaluates to exactly that text: no interpolation, no directive.

    HCL reads `${` and `%{` in a quoted string as an interpolation and a template directive; `$${` and `%%{`
    are their literal forms. Escapes: `\\\\`, `\\"`, `\\n`, `\\r`, `\\t`, `\\uNNNN`.
    https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md#template-expressions
    An unterminated `${` (no `}` after it in the value) is written `$\\u007b` instead: the same text to HCL,
    and readable by parsers (python-hcl2) that take `$${` only with its closing brace.
    """
    text = str(value)
    last_brace = text.rfind("}")

    def one(m: re.Match[str]) -> str:
        s = m.group(0)
        if s in ("${", "%{"):
            return s[0] + s if m.end() <= last_brace else s[0] + "\\u007b"
        return _HCL_SIMPLE.get(s) or f"\\u{ord(s):04x}"

    return '"' + _HCL_SPECIAL.sub(one, text) + '"'


def hcl_value(value: Any, indent: int | None = None, _level: int = 0) -> str:
    """A JSON-like value (dict, list, str, number, bool, None) as an HCL expression of the same value.

    The shape is JSON's (`{"Key": value}`, which HCL reads as an object constructor), with every string,
    keys included, encoded by `hcl_string`. `indent` spaces per level, or one line when None.
    """
    pad = "" if indent is None else "\n" + " " * (indent * (_level + 1))
    end = "" if indent is None else "\n" + " " * (indent * _level)
    sep = "," if indent is not None else ", "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{hcl_string(k)}: {hcl_value(v, indent, _level + 1)}" for k, v in value.items()]
        return "{" + sep.join(items) + end + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[" + sep.join(f"{pad}{hcl_value(v, indent, _level + 1)}" for v in value) + end + "]"
    if isinstance(value, str):
        return hcl_string(value)
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return hcl_string(str(value))


_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_-]")


def hcl_identifier(value: object) -> str:
    """`value` as a Terraform resource name: letters, digits, `_` and `-`, starting with a letter or `_`.

    Block labels are quoted literals without template escapes, so a name is made safe by construction.
    """
    name = _NOT_IDENTIFIER.sub("_", str(value)) or "_"
    return name if (name[0].isalpha() or name[0] == "_") else "_" + name


_NOT_COMMENT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def hcl_comment(value: object) -> str:
    """`value` for the body of a `#` comment: one line (a newline would end the comment and start code)."""
    return _NOT_COMMENT.sub(" ", str(value))


# --- CloudFormation -----------------------------------------------------------------------------------------
# Outside YAML's printable set (YAML 1.1/1.2 "c-printable"), or a line break to YAML 1.1 (NEL, LS, PS).
_NOT_YAML_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def cfn_json(value: Any, indent: int | None = 2) -> str:
    """A JSON document (a template snippet) that JSON and YAML parsers both read back as `value`.

    CloudFormation templates are JSON or YAML; JSON is YAML's flow syntax provided every character is
    printable to YAML, so the few that are not are written as `\\uNNNN` escapes (valid in both).
    Nothing outside `Fn::Sub` substitutes `${...}` in CloudFormation, so no other escaping applies.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def cfn_sub(value: object) -> str:
    """`value` as literal text inside an `Fn::Sub` string: `${` becomes `${!` (CloudFormation writes a
    literal `${Name}` as `${!Name}`).
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html
    """
    return str(value).replace("${", "${!")


# --- shell --------------------------------------------------------------------------------------------------
def shell(value: object) -> str:
    """`value` as one POSIX shell word (single quotes; a `'` inside becomes `'"'"'`)."""
    return shlex.quote(str(value))


# --- JSON ---------------------------------------------------------------------------------------------------
def json_text(value: Any) -> str:
    """One-line JSON (a string value is a JSON string literal)."""
    return json.dumps(value, ensure_ascii=False)


def json_compact(value: Any) -> str:
    """JSON without spaces (for a command-line argument)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_pretty(value: Any) -> str:
    """JSON indented by two spaces."""
    return json.dumps(value, ensure_ascii=False, indent=2)


# The Jinja filters for templates/: each output format's values go through exactly one of these.
JINJA_FILTERS: dict[str, Callable[..., str]] = {
    "tojson": json_text,
    "tojson_compact": json_compact,
    "tojson_pretty": json_pretty,
    "shquote": shell,
    "hcl": hcl_value,
    "hcl_pretty": lambda v: hcl_value(v, indent=2),
    "hcl_identifier": hcl_identifier,
    "hcl_comment": hcl_comment,
    "cfn_json": cfn_json,
    "cfn_sub": cfn_sub,
}
