"""A diagnosis as Slack Block Kit: the verdict first, then the evidence, the checklist, the fixes.

Slack's limits hold by construction: at most 50 blocks a message, at most 3,000 characters a text block (long
documents are cut with a pointer to the full report, which the "Full report" button posts in the thread).
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.approve.flow import Outcome, ineligibility
from bot.approve.grants import change_lines, scope_words
from bot.approve.store import Proposal
from bot.diagnose import Diagnosis
from bot.diagnose.branches import branch_lines, depends_on_line, split_alternatives
from bot.diagnose.evidence import ANY_VALUE, condition_in_words
from bot.diagnose.render import cause_location, headline, headline_location, request_action, request_resource
from bot.escape import mrkdwn
from bot.fixes.owners import who_must_act
from bot.iac.approve import change_digest
from bot.parse.model import ParseWarning

MAX_BLOCKS = 50
MAX_TEXT = 3000
_MARK = {
    "allow": ":white_check_mark:",
    "deny": ":no_entry:",
    "no-allow": ":x:",
    "unknown": ":grey_question:",
    "not-applicable": "·",
}
_HEAD = {
    "allow": "Allowed by everything s3why can see",
    "implicit-deny": "Denied: nothing allows it",
    "explicit-deny": "Denied by an explicit Deny",
    "unknown": "Undecided: what s3why read does not settle it (why below)",
}
FORMATS = {
    "cli": "Diff + AWS CLI",
    "json": "JSON document",
    "terraform": "Terraform",
    "cloudformation": "CloudFormation",
}


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 60].rstrip() + "\n… (cut: see the full report)"


def _section(text: str, mentions: tuple[str, ...] = ()) -> dict[str, Any]:
    """A mrkdwn section. s3why's own markup here is only `*`, `_`, backticks and emoji, never `<`, `>` or `&`,
    so the whole text is escaped (bot/escape.py): no pasted value can become a mention or a link."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(mrkdwn(text, mentions=mentions))}}


def _code(text: str) -> str:
    body = _cut(text, MAX_TEXT - 10).replace("```", "'''")
    return f"```{body}```"


_MARKUP = re.compile(r"[*_~`]")
_TOKEN = re.compile(r"[^\s]+")
_EDGE = "([{\"'"
_TRAIL = ".,;:!?)]}\"'"


def _alt_shown(value: str | None) -> str:
    """An alternative context value in words: absent, set to any value (a Null check), or the value."""
    return "absent" if value is None else ("set (any value)" if value == ANY_VALUE else value)


def _alt_shown_code(value: str | None) -> str:
    return f"`{_alt_shown(value)}`"


def _alt_shown_private(value: str | None) -> str:
    """A value the policy names is the policy's (approvers only): "another value"; absent and any value are not."""
    return _alt_shown_code(value) if value in (None, ANY_VALUE) else "another value"


def literal(text: str) -> str:
    """Prose whose words may hold Slack markup characters (an ARN's `*`, a key's `_`): each such word goes in a
    code span, so `arn:aws:s3:::b/*, and x*` shows as written instead of turning half the line bold. Brackets
    and punctuation around the word stay outside the span; a backtick inside becomes `'`."""

    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        if not _MARKUP.search(word):
            return word
        start, end = 0, len(word)
        while start < end and word[start] in _EDGE:
            start += 1
        while end > start and word[end - 1] in _TRAIL:
            end -= 1
        core = word[start:end].replace("`", "'")
        return f"{word[:start]}`{core}`{word[end:]}" if core else word

    return _TOKEN.sub(one, text)


def without_key_owner(
    d: Diagnosis, pasted: str, text: str, blocks: list[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """An answer for a thread everyone reads, once approvers are configured: the IAM user s3why found owning a
    pasted access key (a presigned URL's signer, read through sts:GetAccessKeyInfo and IAM) is named to approvers
    only (*Full report*); others see the key's account. A paste that names the user itself is left as it is."""
    signer = d.request.get("signer")
    arn = signer.get("user_arn") if isinstance(signer, dict) else None
    if not isinstance(signer, dict) or not isinstance(arn, str) or not arn or arn in pasted:
        return text, blocks
    account = str(signer.get("account") or arn.split(":")[4])
    shown = f"the key's owner (an IAM user of {account}; named to approvers in Full report)"
    # the user's name wherever it stands as a word of its own (`--user-name NAME`, `"UserName": "NAME"`, "lets
    # NAME read…" in a scope's words): IAM user names are `[\w+=,.@-]`, so a name inside a longer one, or a path
    # segment of another ARN (`role/NAME`), is not it
    alone = re.compile(rf"(?<![\w+=,.@/:-]){re.escape(arn.rsplit('/', 1)[-1])}(?![\w+=,.@/-])")

    def scrub(s: str) -> str:
        return alone.sub("(key owner)", s.replace(arn, shown))

    return scrub(text), [_within_option_limits(b) for b in json.loads(scrub(json.dumps(blocks)))]


def _within_option_limits(value: Any) -> Any:
    """A block whose select options' words are at most OPTION_TEXT characters again (after a name was replaced
    by longer words): Slack refuses the whole message otherwise."""
    if isinstance(value, list):
        return [_within_option_limits(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "value" in value and isinstance(value.get("text"), dict) and value["text"].get("type") == "plain_text":
        for part in ("text", "description"):
            words = (value.get(part) or {}).get("text")
            if isinstance(words, str) and len(words) > OPTION_TEXT:
                value[part]["text"] = words[: OPTION_TEXT - 1].rstrip() + "…"
    return {k: _within_option_limits(v) for k, v in value.items()}


def verdict_line(d: Diagnosis) -> str:
    """The message's notification text: the headline in plain words (no markup, so no literal asterisks in a
    notification), short — the verdict, the layer, the policy and statement; the evidence is in the blocks."""
    return headline(d, _HEAD.get(d.decision, d.decision))


def headline_mrkdwn(d: Diagnosis) -> str:
    """The first block: the verdict in bold, then the layer and the deciding policy and statement, plain. Bold
    is never nested (Slack does not render `*a *b* c*`)."""
    head = f"*{d.verdict_label or _HEAD.get(d.decision, d.decision)}*"
    if not d.root_causes:
        return head
    first = d.root_causes[0]
    where = headline_location(first)
    return f"{head} — `{first.layer.value}`" + (f": {literal(where)}" if where else "")


def diagnosis_blocks(
    d: Diagnosis,
    run_id: str,
    *,
    fix_format: str = "cli",
    warnings: tuple[ParseWarning, ...] = (),
    proposals: dict[int, Proposal] | None = None,
    asked_by: tuple[str, ...] = (),
    for_can: bool = False,
    private_documents: bool = False,
    diagnosis_index: int = 0,
) -> list[dict[str, Any]]:
    """The answer's blocks (`diagnosis_index`: which error of the run's text it answers); `asked_by`: the Slack
    user ids of who asked (shown on every answer); `for_can`: an
    answer to `can` (no error text: what decides the outcome is what the question did not give);
    `private_documents`: policy documents are for approvers (their Full report): the deciding statement is
    summarised, and a fix shows the statements it adds, never the rest of the policy nor the merged document."""
    blocks: list[dict[str, Any]] = [_section(headline_mrkdwn(d))]
    # the values each deciding condition tests, as s3why words them (cause summaries, fix explanations repeat
    # them): with `private_documents`, each reads "its condition on KEY" instead
    hidden = {
        condition_in_words(c.evidence["condition"])[0]: f"its condition on {c.evidence['condition']['key']}"
        for c in d.root_causes
        if private_documents and c.evidence.get("condition")
    }

    def unsaid(text: str) -> str:
        for tested, words in hidden.items():
            text = text.replace(tested, words)
        return text

    r = d.request.get("resolved") or {}
    who = r.get("principal") or d.request.get("principal_arn") or "an unknown principal"
    what = request_action(d)
    where = request_resource(d) or "an unknown resource"
    heading = f"`{what}` by `{who}` on `{where}`"
    asked = tuple(dict.fromkeys(u for u in asked_by if u))
    if asked:
        heading += " · asked by " + ", ".join(f"<@{u}>" for u in asked)
    context = {"type": "mrkdwn", "text": _cut(mrkdwn(heading, mentions=asked), 2000)}
    blocks.append({"type": "context", "elements": [context]})
    signer = d.request.get("signer")  # a presigned URL: authorized as its signer (bot/account/signer.py)
    if isinstance(signer, dict) and signer.get("notes"):
        text = "\n".join(str(n) for n in signer["notes"])
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(mrkdwn(text), 2000)}]})
    suspects = r.get("suspects") or []  # AWS denied it, nothing s3why read denies it: what it could not read
    if suspects:
        text = "AWS denied this request and nothing s3why read denies it: the suspects are what it could not read: "
        text += ", ".join(f"`{s}`" for s in suspects)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, 2000)}]})
    kind_notes = r.get("principal_notes") or []  # what this kind of principal can be granted (principals.py)
    if kind_notes:
        text = "\n".join(str(n) for n in kind_notes)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(mrkdwn(text), 2000)}]})
    record = d.request.get("aws_record")
    # AWS's own record of the denial, beside s3why's evaluation (bot/diagnose/aws_record.py).
    if isinstance(record, dict) and record.get("authorization_id"):
        line = record.get("summary") if record.get("available") else f"No AWS record: {record.get('reason')}"
        for change in record.get("changed_since_denial") or []:
            line = f"{line}\n{change['policy']} changed since the denial: the fixes target today's document, and "
            line += "the denial may already be gone (the diff is in the full report)"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(mrkdwn(str(line)), 2000)}]})
    for w in warnings:
        if w.kind == "secret":
            blocks.append(
                _section(f":warning: *A credential was pasted* ({w.secret_type}). s3why did not keep it. {w.message}")
            )
    for i, cause in enumerate(d.root_causes[:3]):
        ev = cause.evidence
        summary = cause.summary
        condition = ev.get("condition")
        tested, got = condition_in_words(condition) if condition else ("", "")
        summary = unsaid(summary)  # the values a policy tests are the policy's: approvers only
        lines = [
            f"*{'Root cause' if i == 0 else 'Also blocking'}* — `{cause.layer.value}` ({cause.kind})",
            literal(summary),
        ]
        location = cause_location(cause)
        if location and i > 0:  # the first cause's policy and statement are in the headline already
            lines.append(f"Policy: {literal(location)}")
        if condition and private_documents:
            lines.append(f"Condition: the statement tests `{condition['key']}`; the request has {literal(got)}")
        elif condition:
            lines.append(f"Condition: the policy tests {literal(tested)}; the request has {literal(got)}")
        request_side, fixed = split_alternatives(list(ev.get("alternatives") or []))
        for alt in request_side:
            ((key, value),) = alt["context"].items()
            shown = _alt_shown(value)
            if private_documents and value not in (None, ANY_VALUE):
                lines.append(f"• with another `{key}`: *{alt['decision']}*")
            else:
                lines.append(f"• if `{key}` were `{shown}`: *{alt['decision']}*")
        in_words = _alt_shown_private if private_documents else _alt_shown_code
        for key, outcomes in fixed.items():
            line = depends_on_line(key, outcomes, shown=in_words, name=lambda k: f"`{k}`", decision=lambda d: f"*{d}*")
            lines.append(f"• {line}")
        blocks.append(_section("\n".join(lines)))
        if ev.get("statement") is not None and private_documents:
            blocks.append(_section(statement_summary(ev["statement"], condition)))
        elif ev.get("statement") is not None:
            blocks.append(_section(_code(json.dumps(ev["statement"], indent=2))))
    branches = branch_lines(list(d.branches))  # what the text cannot tell, and where each value leads (issue 12 §2)
    if for_can:
        branches = [b.replace("(the text cannot tell)", "(not given)") for b in branches]
    if branches:
        title = "*What the question does not give*" if for_can else "*What the text cannot tell*"
        blocks.append(_section(f"{title}\n" + "\n".join(f"• {literal(b)}" for b in branches)))
    checklist = [
        f"{_MARK.get(layer.verdict, '·')} `{layer.layer.value}` {literal(layer.detail)}"
        for layer in d.layers
        if layer.verdict != "not-applicable"
    ]
    if checklist:
        blocks.append(_section("*Layers*\n" + "\n".join(checklist)))
    for index, fix in enumerate(d.fixes[:5]):
        badge = (
            ":white_check_mark: verified"
            if fix.verified
            else (":information_source: advice only" if fix.never_automatic else ":warning: not verified")
        )
        risk = {"low": ":large_green_circle:", "medium": ":large_yellow_circle:", "high": ":red_circle:"}.get(
            fix.risk, ""
        )
        text = f"{risk} *{fix.title}* — {fix.risk} risk, {badge}\n{literal(unsaid(fix.explanation))}"
        if fix.never_automatic:
            text += f"\n{literal(unsaid(fix.never_automatic))}"
        who = who_must_act(fix)
        if who:
            text += f"\n*Who must act:* {literal(who)}"
        for finding in fix.findings[:3]:
            text += f"\n{literal(unsaid(finding))}"
        blocks.append(_section(text))
        if fix.scopes:  # issue 15: the reach of the grant, switched by a select
            blocks.append(scope_select(fix, run_id))
        for patch in fix.patches[:2]:
            if patch.kind == "request-change":
                blocks.append(_section("Instead: " + "; ".join(patch.commands)))
                continue
            if private_documents and _statements(patch.before):
                blocks.append(_section(statements_added(patch)))
                continue
            body = {
                "terraform": patch.terraform,
                "cloudformation": patch.cloudformation,
                "json": json.dumps(patch.document, indent=2),
            }.get(fix_format) or (patch.diff + ("\n\n$ " + patch.commands[0] if patch.commands else ""))
            blocks.append(_section(f"`{patch.kind}` of `{patch.target}`\n" + _code(body)))
        proposal = (proposals or {}).get(index)
        if proposal is not None:
            blocks.append(approval_summary(proposal))
            blocks.append(approval_actions(proposal))
        elif ineligibility(fix) is None and any(
            p.kind == "iac-change" and (p.iac or {}).get("tool") == "terraform" for p in fix.patches
        ):
            # issue 15: managed by Terraform -> a pull request, for this error's fix and the change shown here
            blocks.append(pull_request_action(run_id, index, diagnosis=diagnosis_index, digest=change_digest(fix)))
    elements: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": "s3why_rerun",
            "value": run_id,
            "text": {"type": "plain_text", "text": "Re-run fresh"},
        },
        {
            "type": "button",
            "action_id": "s3why_full_report",
            "value": run_id,
            "text": {"type": "plain_text", "text": "Full report"},
        },
    ]
    if d.fixes:
        elements.append(
            {
                "type": "static_select",
                "action_id": "s3why_fix_format",
                "placeholder": {"type": "plain_text", "text": "Fix format"},
                "options": [
                    {"text": {"type": "plain_text", "text": label}, "value": f"{run_id}|{key}"}
                    for key, label in FORMATS.items()
                ],
            }
        )
    candidates = d.request.get("operation_candidates") or []
    if candidates and not d.request.get("operation"):
        # Issue 12 §2: the text does not name the operation; the answer holds for all of them or says which
        # differs, and picking one continues the diagnosis (so does a reply in the thread naming it).
        blocks.append(
            _section(
                ":grey_question: *Which operation was it?* The text does not say; s3why evaluated "
                + ", ".join(candidates)
                + ". Pick one, or reply in this thread with it (or with the role ARN, or `s3://bucket/key`)."
            )
        )
        elements.append(
            {
                "type": "static_select",
                "action_id": "s3why_pick_operation",
                "placeholder": {"type": "plain_text", "text": "Which operation?"},
                "options": [
                    {"text": {"type": "plain_text", "text": op}, "value": f"{run_id}|{op}"} for op in candidates
                ],
            }
        )
    question = _question(d)
    if question is not None:
        text, label = question
        blocks.append(_section(f":grey_question: {text}"))
        elements.append(
            {
                "type": "button",
                "action_id": "s3why_ask_principal",
                "value": run_id,
                "style": "primary",
                "text": {"type": "plain_text", "text": label},
            }
        )
    blocks.append({"type": "actions", "block_id": "s3why_actions", "elements": elements})
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 2], _section("… more in the full report"), blocks[-1]]
    return blocks


def _statements(document: Any) -> list[Any]:
    statements = document.get("Statement") if isinstance(document, dict) else None
    return [statements] if isinstance(statements, dict) else list(statements or [])


def statements_added(patch: Any) -> str:
    """A fix to a policy that already has statements, for everyone in the thread: only the statements it adds
    (or changes), never the others, nor the merged document its apply command carries (approvers' Full report)."""
    before, after = _statements(patch.before), _statements(patch.document)
    added = [s for s in after if s not in before]
    kept, removed = sum(1 for s in before if s in after), sum(1 for s in before if s not in after)
    where = f"`{patch.target}`"
    iac = patch.iac if isinstance(getattr(patch, "iac", None), dict) else {}
    if iac.get("file"):  # the code that defines the policy: the file the pull request changes
        where += f" in `{str(iac['file']).replace('`', '')}` ({iac.get('tool', 'code')})"
    text = f"`{patch.kind}` of {where}: the statement{'s' if len(added) != 1 else ''} this fix adds\n"
    text += _code(json.dumps(added[0] if len(added) == 1 else added, indent=2))
    text += f"\nThe policy's other {kept} statement{'s' if kept != 1 else ''} stay as they are"
    text += f"; it removes or replaces {removed}" if removed else ""
    return text + ". The whole document and its apply command are in *Full report* (approvers)."


def statement_summary(statement: Any, condition: dict[str, Any] | None) -> str:
    """The deciding statement in one line (its Sid, effect and actions, the condition key that decided), for a
    thread where policy documents are for approvers only."""
    st = statement if isinstance(statement, dict) else {}
    actions = st.get("Action") or st.get("NotAction") or []
    actions = [actions] if isinstance(actions, str) else [str(a) for a in actions]
    shown = ", ".join(f"`{a}`" for a in actions[:6]) + (f" and {len(actions) - 6} more" if len(actions) > 6 else "")
    negated = "NotAction " if "NotAction" in st and "Action" not in st else ""
    line = f"Statement `{st.get('Sid') or '(no Sid)'}`: {st.get('Effect', '?')} {negated}{shown or '(no actions)'}"
    if condition:
        line += f"; the condition key that decided: `{condition['key']}`"
    return line + " (the statement in full: *Full report*, approvers)"


def pull_request_action(run_id: str, index: int, *, diagnosis: int = 0, digest: str = "") -> dict[str, Any]:
    """Approve a Terraform fix: s3why opens a pull request with the change (never a live write). The value names
    the run, the fix, the error of the run it fixes, and the change shown (`bot.iac.approve.change_digest`)."""
    return {
        "type": "actions",
        "block_id": f"s3why_pr_{index}",
        "elements": [
            {
                "type": "button",
                "action_id": "s3why_iac_pr",
                "value": f"{run_id}|{index}|{diagnosis}|{digest}",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve: open a pull request"},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Open a pull request?"},
                    "text": {
                        "type": "mrkdwn",
                        "text": "s3why pushes a branch with this change and opens a pull request.",
                    },
                    "confirm": {"type": "plain_text", "text": "Open it"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            }
        ],
    }


OPTION_TEXT = 75  # Slack's limit on an option's text, and on its description line (Block Kit: option object)


def option_words(words: str) -> tuple[str, str]:
    """A select option's words within Slack's limits: the text line, and the description line below it (each at
    most 75 characters, split at a space; what does not fit ends in "…")."""

    def line(text: str, limit: int = OPTION_TEXT) -> tuple[str, str]:
        if len(text) <= limit:
            return text, ""
        cut = text.rfind(" ", 0, limit)
        word = text[cut + 1 :].split(" ", 1)[0] if cut > 0 else ""
        if cut <= limit // 2 and not (cut > 0 and len(word) <= OPTION_TEXT):
            # no space late enough, and the word after the last one would not fit a line of its own either:
            # a hard cut, never inside an entity (`&lt;`)
            cut = limit
            entity = text.rfind("&", max(0, cut - 4), cut)
            cut = entity if entity != -1 and ";" not in text[entity:cut] else cut
        return text[:cut].rstrip(), text[cut:].lstrip()

    first, rest = line(mrkdwn(" ".join(words.split())))  # escaped like every text s3why posts (bot/escape.py)
    second, more = line(rest, OPTION_TEXT - 1 if len(rest) > OPTION_TEXT else OPTION_TEXT)
    return first, second + ("…" if more else "")


def scope_select(fix: Any, run_id: str) -> dict[str, Any]:
    """The scopes of a fix in words, and a select that switches the one shown (and the one approval applies)."""
    chosen = next(s for s in fix.scopes if s.name == fix.scope)
    options = []
    for s in fix.scopes:
        first, rest = option_words(f"{s.name}: {s.description}")
        option: dict[str, Any] = {"text": {"type": "plain_text", "text": first}, "value": f"{run_id}|{s.name}"}
        if rest:
            option["description"] = {"type": "plain_text", "text": rest}
        options.append(option)
    text = f"*Scope:* {chosen.description}" + (f"\n_{chosen.workload}_" if chosen.workload else "")
    return {
        "type": "section",
        "block_id": f"s3why_scope_{fix.id}"[:255],
        "text": {"type": "mrkdwn", "text": _cut(mrkdwn(text), 3000)},
        "accessory": {
            "type": "static_select",
            "action_id": "s3why_fix_scope",
            "options": options,
            "initial_option": next(o for o, s in zip(options, fix.scopes, strict=True) if s.name == fix.scope),
        },
    }


def scope_chosen(proposal: Proposal) -> tuple[str, tuple[str, ...]]:
    """The scope in words, with who chose it when someone switched it with the select (their mention)."""
    by = proposal.request.get("scope_by")
    if isinstance(by, str) and by:
        return f"{scope_words(proposal)} (chosen by <@{by}>)", (by,)
    return scope_words(proposal), ()


CONFIRM_TEXT = 300  # Slack's limit on a confirmation dialog's text (Block Kit composition objects: confirm)


def approval_summary(proposal: Proposal) -> dict[str, Any]:
    """What approving changes, above the buttons: each grant (target policy and account, grantee and account,
    actions, resources), the scope chosen and who asked."""
    asked = ", ".join(f"<@{u}>" for u in proposal.everyone_who_asked) or "nobody named"
    lines = [f"*Approving writes:* {literal(line)}" for line in change_lines(proposal)]
    scope, chooser = scope_chosen(proposal)
    lines.append(f"{scope}; asked by {asked}")
    return _section("\n".join(lines), (*proposal.everyone_who_asked, *chooser))


def approval_actions(proposal: Proposal) -> dict[str, Any]:
    """Approve / Reject for one proposed fix; approving asks for confirmation first, naming what will change
    (Slack caps a confirm dialog's text at 300 characters: the summary above the buttons has it all)."""
    proposal_id = proposal.id
    scope, chooser = scope_chosen(proposal)
    mentions = (*proposal.everyone_who_asked, *chooser)
    asked = ", ".join(f"<@{u}>" for u in proposal.everyone_who_asked) or "nobody named"
    tail = mrkdwn(f" {scope}. Asked by {asked}.", mentions=mentions)
    what = "; ".join(change_lines(proposal)) + "."
    while len(mrkdwn(what)) + len(tail) > CONFIRM_TEXT and len(what) > 1:
        what = what[: len(what) - max(1, len(mrkdwn(what)) + len(tail) - CONFIRM_TEXT + 1)].rstrip() + "…"
    confirm = (mrkdwn(what) + tail)[:CONFIRM_TEXT]
    return {
        "type": "actions",
        "block_id": f"s3why_fix_{proposal_id[:12]}",
        "elements": [
            {
                "type": "button",
                "action_id": "s3why_approve",
                "value": proposal_id,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve"},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Apply this fix?"},
                    "text": {"type": "mrkdwn", "text": confirm},
                    "confirm": {"type": "plain_text", "text": "Apply"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            },
            {
                "type": "button",
                "action_id": "s3why_reject",
                "value": proposal_id,
                "text": {"type": "plain_text", "text": "Reject"},
            },
        ],
    }


def outcome_blocks(outcome: Outcome, run_id: str | None, mentions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """What an approval, rejection or rollback did, for the thread (`mentions`: the user ids s3why names)."""
    lines = [outcome.message]
    if outcome.proposal is not None:
        p = outcome.proposal
        lines.insert(0, f"*{p.fix_title}* — `{p.targets}`")
        lines += [literal(line) for line in change_lines(p)]
        asked = ", ".join(f"<@{u}>" for u in p.everyone_who_asked) or "nobody named"
        scope, chooser = scope_chosen(p)
        lines.append(f"{scope}; asked by {asked}")
        mentions = (*mentions, *p.everyone_who_asked, *chooser)
    if outcome.decision_after is not None:
        unread = ", ".join(outcome.unread_after)
        if outcome.decision_after != "allow":
            lines.append(f":warning: The original request is still not allowed ({outcome.decision_after}).")
        elif unread:  # claim only what was checked
            lines.append(
                f":white_check_mark: The original request is allowed by every layer s3why read; not read: {unread}."
            )
        else:
            lines.append(":white_check_mark: The original request is now allowed.")
    blocks = [_section("\n".join(lines), mentions)]
    if outcome.diff:
        blocks.append(_section(_code(outcome.diff)))
    elements: list[dict[str, Any]] = []
    if outcome.proposal is not None and outcome.proposal.state == "applied":
        elements.append(
            {
                "type": "button",
                "action_id": "s3why_rollback",
                "value": outcome.proposal.id,
                "style": "danger",
                "text": {"type": "plain_text", "text": "Roll back"},
            }
        )
    if not outcome.ok and run_id:
        elements.append(
            {
                "type": "button",
                "action_id": "s3why_rerun",
                "value": run_id,
                "text": {"type": "plain_text", "text": "Diagnose again"},
            }
        )
    if elements:
        blocks.append({"type": "actions", "block_id": "s3why_outcome", "elements": elements})
    return blocks


def _question(d: Diagnosis) -> tuple[str, str] | None:
    """What s3why needs to ask, when the text did not say enough to decide (the question, the button's label)."""
    if any("--principal" in n for n in d.notes):
        return (
            "*Which role or user made the call?* The error does not say, and every layer depends on it. "
            "Use the button, or reply in this thread with its ARN.",
            "Tell s3why who made the call",
        )
    if any("--context" in n for n in d.notes):
        return (
            "*Everything s3why can see allows this request.* Did it come through a VPC endpoint, from a "
            "particular IP, over plain HTTP, or with other headers? Add what you know and s3why looks again.",
            "Add request details",
        )
    return None


def progress_blocks(layers: int) -> list[dict[str, Any]]:
    return [_section(f":mag: Looking at {layers} layers…")]


def help_text() -> str:
    return (
        "*s3why* explains S3 *Access Denied* errors.\n"
        "• Paste the error in a channel s3why is in (or DM it): it answers in the thread.\n"
        "• `/s3why &lt;error&gt;` — diagnose this error.  `/s3why` — open a form.  `/s3why help` — this text.\n"
        "• `/s3why can PRINCIPAL ACTION RESOURCE` — is this request allowed now? (every layer, no error needed)\n"
        "• Mention `@s3why` in a thread to diagnose the message the thread started with.\n"
        "• Message menu → *Diagnose with s3why* on any message."
    )
