"""A diagnosis as a terminal report that reads like a good incident note: verdict, evidence, checklist.

The headline is short — the verdict, the layer, and the policy and statement that decided it; the root cause's
full sentence comes once, below it. Prose is wrapped at word boundaries only (never inside an ARN, a key or a
JSON value, which have no spaces), to the terminal's width or 100 columns; documents and commands are not
wrapped at all, so they can be copied.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap

from bot.arn import s3_arn
from bot.diagnose.branches import depends_on_line, split_alternatives
from bot.diagnose.evidence import ANY_VALUE, condition_in_words
from bot.diagnose.model import Diagnosis, RootCause

_MARK = {"allow": "ok  ", "deny": "DENY", "no-allow": "no  ", "not-applicable": " -  ", "unknown": " ?  "}
_HEAD = {
    "allow": "ALLOWED by everything s3why can see",
    "implicit-deny": "DENIED (nothing allows it)",
    "explicit-deny": "DENIED (an explicit Deny)",
    "unknown": "UNDECIDED: what s3why read does not settle it (why below)",
}
DEFAULT_WIDTH = 100


def _alt_value(value: str | None) -> str:
    """An alternative context value in words: absent, set to any value (a Null check), or the value."""
    if value is None:
        return "absent"
    return "set (any value)" if value == ANY_VALUE else value


def report_width() -> int:
    """The terminal's width when standard output is one (at least 60 columns), else 100."""
    if sys.stdout is not None and sys.stdout.isatty():
        return max(60, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


def _wrap(text: str, width: int = DEFAULT_WIDTH, *, indent: str = "", hanging: str | None = None) -> list[str]:
    """`text` in lines of at most `width` columns, broken only at spaces: a word longer than the line (an
    ARN, a key) stays whole on a line of its own. `hanging` indents the lines after the first."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def cause_location(cause: RootCause) -> str | None:
    """The policy and statement a root cause names ("bucket policy of tls-only, statement DenyHttp"), if any."""
    ev = cause.evidence
    if not ev.get("policy"):
        # A KMS cause names the key whose policy decided, without a statement (none allowed).
        return f"key policy of {ev['key']}" if ev.get("key_policy") is not None and ev.get("key") else None
    which = ev.get("sid") or ev.get("statement_index")
    return str(ev["policy"]) + (f", statement {which}" if which is not None else "")


def headline_location(cause: RootCause) -> str | None:
    """What the headline names for the first cause: the denying statement, never an Allow whose condition or
    resource missed (that near miss did not deny; it stays in the cause below): then the policy that grants
    nothing ("bucket policy of b: no statement allows it")."""
    where = cause_location(cause)
    statement = cause.evidence.get("statement")
    if where and isinstance(statement, dict) and statement.get("Effect") != "Deny" and cause.evidence.get("policy"):
        return f"{cause.evidence['policy']}: no statement allows it"
    return where


def request_resource(d: Diagnosis) -> str | None:
    """The resource the request names: as resolved, else as the text gave it (an ARN, or its bucket and key)."""
    r = d.request.get("resolved") or {}
    found = r.get("resource") or d.request.get("resource_arn")
    if found:
        return str(found)
    bucket = d.request.get("bucket")
    return s3_arn(str(bucket), d.request.get("key") or None) if bucket else None


def request_action(d: Diagnosis) -> str:
    """The request's actions as resolved; the candidate operations when the text names none; else `?`."""
    r = d.request.get("resolved") or {}
    if r.get("actions"):
        return ", ".join(r["actions"])
    if d.request.get("action"):
        return str(d.request["action"])
    if d.request.get("operation"):
        return str(d.request["operation"])
    candidates = d.request.get("operation_candidates") or []
    return f"one of {' / '.join(candidates)} (the text does not say which)" if candidates else "?"


def _shout_first(label: str) -> str:
    """`Undecided: the text ...` -> `UNDECIDED: the text ...`: the verdict word stands out, the rest reads."""
    word, sep, rest = label.partition(":")
    return word.upper() + sep + rest if sep else label.upper()


def headline(d: Diagnosis, verdict: str | None = None) -> str:
    """`VERDICT — layer: policy, statement Sid` in plain text (no markup): short enough to read aloud."""
    label = d.verdict_label  # e.g. "Not an access denial": the decision's own head would mislead
    head = (label if verdict else _shout_first(label)) if label else (verdict or _HEAD.get(d.decision, d.decision))
    if not d.root_causes:
        return head
    first = d.root_causes[0]
    where = headline_location(first)
    return f"{head} — {first.layer.value}" + (f": {where}" if where else "")


def diagnosis_text(d: Diagnosis, fix_format: str = "cli", width: int | None = None) -> str:
    """The whole report; `width` columns for prose (default: `report_width()`)."""
    w = width or report_width()
    r = d.request.get("resolved") or {}
    lines: list[str] = []
    lines.extend(_wrap(headline(d), w, hanging="  "))
    actions = request_action(d)
    lines.extend(
        _wrap(
            f"Request: {actions} by {r.get('principal') or d.request.get('principal_arn') or '(unknown principal)'} "
            f"on {request_resource(d) or '(unknown resource)'}"
            + (f" (owner {r['resource_owner']})" if r.get("resource_owner") else ""),
            w,
            hanging="  ",
        )
    )
    for i, cause in enumerate(d.root_causes):
        lines.append("")
        title = ("Root cause" if i == 0 else "Also blocking") + f" [{cause.layer.value}, {cause.kind}]: "
        lines.extend(_wrap(title + cause.summary, w, hanging="  "))
        ev = cause.evidence
        where = cause_location(cause)
        if where and i > 0:  # the first cause's policy and statement are in the headline already
            lines.extend(_wrap(f"policy: {where}", w, indent="  ", hanging="    "))
        if ev.get("statement") is not None:
            lines.append("  statement:")
            lines.extend("    " + line for line in json.dumps(ev["statement"], indent=2).splitlines())
        if ev.get("condition"):
            tested, got = condition_in_words(ev["condition"])
            text = f"condition: the policy tests {tested}; the request has {got}"
            lines.extend(_wrap(text, w, indent="  ", hanging="    "))
        request_side, fixed = split_alternatives(list(ev.get("alternatives") or []))
        for alt in request_side:
            ((key, value),) = alt["context"].items()
            text = f"if {key} were {_alt_value(value)}: {alt['decision']}"
            lines.extend(_wrap(text, w, indent="  ", hanging="    "))
        for key, outcomes in fixed.items():
            lines.extend(_wrap(depends_on_line(key, outcomes, shown=_alt_value), w, indent="  ", hanging="    "))
    lines.append("")
    lines.append("Layers")
    for layer in d.layers:
        if layer.verdict == "not-applicable" and not layer.detail.startswith("no "):
            continue
        first = f"  [{_MARK.get(layer.verdict, layer.verdict)}] {layer.layer.value:<21} "
        lines.extend(_wrap(first + layer.detail, w, hanging=" " * len(first)))
    if d.fixes:
        from bot.fixes.owners import who_must_act

        lines.append("")
        lines.append("Fixes")
        for fix in d.fixes:
            badge = "verified" if fix.verified else ("advice only" if fix.never_automatic else "NOT verified")
            lines.extend(_wrap(f"[{fix.risk} risk, {badge}] {fix.title} ({fix.id})", w, indent="  ", hanging="    "))
            lines.extend(_wrap(fix.explanation, w, indent="    "))
            if fix.never_automatic:
                lines.extend(_wrap(fix.never_automatic, w, indent="    "))
            for finding in fix.findings:
                lines.extend(_wrap(finding, w, indent="    ", hanging="      "))
            who = who_must_act(fix)
            if who:
                lines.extend(_wrap(f"who must act: {who}", w, indent="    ", hanging="      "))
            if fix.reason and not fix.verified and not fix.never_automatic:
                lines.extend(_wrap(f"why not verified: {fix.reason}", w, indent="    ", hanging="      "))
            if fix.scopes:  # issue 15: the reach of the grant, in words
                from bot.fixes import scope_lines

                lines.append("    scope:")
                lines.extend("      " + x for x in scope_lines(fix))
            for patch in fix.patches:
                if patch.kind == "request-change":
                    for c in patch.commands:
                        lines.extend(_wrap(f"instead: {c}", w, indent="    ", hanging="      "))
                    continue
                lines.append(f"    {patch.kind} of {patch.target}:")
                if fix_format == "terraform":
                    lines.extend("      " + x for x in patch.terraform.splitlines())
                elif fix_format == "cloudformation":
                    lines.extend("      " + x for x in patch.cloudformation.splitlines())
                elif fix_format == "json":
                    lines.extend("      " + x for x in json.dumps(patch.document, indent=2).splitlines())
                else:
                    lines.extend("      " + x for x in patch.diff.splitlines())
                    lines.extend(f"      $ {c}" for c in patch.commands)
    if d.notes:
        lines.append("")
        lines.append("Notes")
        for n in d.notes:
            lines.extend(_wrap(n, w, indent="  ", hanging="    "))
    return "\n".join(lines) + "\n"
