"""A diagnosis as a terminal report that reads like a good incident note: verdict, evidence, checklist."""

from __future__ import annotations

import json

from bot.diagnose.model import Diagnosis

_MARK = {"allow": "ok  ", "deny": "DENY", "no-allow": "no  ", "not-applicable": " -  ", "unknown": " ?  "}
_HEAD = {
    "allow": "ALLOWED by everything s3why can see",
    "implicit-deny": "DENIED (nothing allows it)",
    "explicit-deny": "DENIED (an explicit Deny)",
    "unknown": "UNDECIDED: s3why could not see everything it needs",
}


def _wrap(text: str, width: int = 100) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def diagnosis_text(d: Diagnosis, fix_format: str = "cli") -> str:
    r = d.request.get("resolved") or {}
    lines: list[str] = []
    first = d.root_causes[0] if d.root_causes else None
    head = _HEAD.get(d.decision, d.decision)
    lines.append(f"{head}" + (f" — {first.layer.value}: {first.summary}" if first else ""))
    actions = ", ".join(r.get("actions") or [d.request.get("action") or "?"])
    lines.append(
        f"Request: {actions} by {r.get('principal') or d.request.get('principal_arn') or '(unknown principal)'} "
        f"on {r.get('resource') or d.request.get('resource_arn') or '?'}"
        + (f" (owner {r['resource_owner']})" if r.get("resource_owner") else "")
    )
    for i, cause in enumerate(d.root_causes):
        lines.append("")
        lines.append(
            ("Root cause" if i == 0 else "Also blocking") + f" [{cause.layer.value}, {cause.kind}]: {cause.summary}"
        )
        ev = cause.evidence
        if ev.get("policy"):
            which = ev.get("sid") or ev.get("statement_index")
            lines.append(f"  policy: {ev['policy']}" + (f", statement {which}" if which is not None else ""))
        if ev.get("statement") is not None:
            lines.append("  statement:")
            lines.extend("    " + line for line in json.dumps(ev["statement"], indent=2).splitlines())
        if ev.get("condition"):
            c = ev["condition"]
            got = "absent" if c["request_values"] is None else ", ".join(c["request_values"])
            lines.append(
                f"  condition: {c['operator']} {c['key']}: the policy wants {c['policy_values']}, the request has {got}"
            )
        for alt in ev.get("alternatives") or []:
            ((key, value),) = alt["context"].items()
            lines.append(f"  if {key} were {value if value is not None else 'absent'}: {alt['decision']}")
    lines.append("")
    lines.append("Layers")
    for layer in d.layers:
        if layer.verdict == "not-applicable" and not layer.detail.startswith("no "):
            continue
        lines.append(f"  [{_MARK.get(layer.verdict, layer.verdict)}] {layer.layer.value:<21} {layer.detail}")
    if d.fixes:
        lines.append("")
        lines.append("Fixes")
        for fix in d.fixes:
            badge = "verified" if fix.verified else ("advice only" if fix.never_automatic else "NOT verified")
            lines.append(f"  [{fix.risk} risk, {badge}] {fix.title} ({fix.id})")
            lines.extend("    " + line for line in _wrap(fix.explanation))
            if fix.never_automatic:
                lines.extend("    " + line for line in _wrap(fix.never_automatic))
            if fix.reason and not fix.verified and not fix.never_automatic:
                lines.append(f"    why not verified: {fix.reason}")
            if getattr(fix, "scopes", None):  # issue 15: the reach of the grant, in words
                from bot.fixes import scope_lines

                lines.append("    scope:")
                lines.extend("      " + x for x in scope_lines(fix))
            for patch in fix.patches:
                if patch.kind == "request-change":
                    lines.extend(f"    instead: {c}" for c in patch.commands)
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
        lines.extend(f"  {n}" for n in d.notes)
    return "\n".join(lines) + "\n"
