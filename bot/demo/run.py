"""`s3why demo`: every broken setup s3why knows, built in an emulated AWS (moto, in process), each one's
real-looking error fed through the whole pipeline — parse, collect, diagnose, fix, verify — and the fix applied
to the emulated account the way an approval applies it (drift check, write role), then the request diagnosed
again on a fresh read. No Slack, no AWS, no Redis.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from dataclasses import dataclass, replace
from typing import Any, TextIO

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.account.view import account_view
from bot.approve.flow import proposal_for
from bot.approve.writer import Writer, policy_hash
from bot.cache import MemoryCache, NoCache
from bot.demo.emulator import OTHER, OWN, client, emulated_aws, session_in, start_emulated_aws
from bot.demo.scenarios import SCENARIOS, Scenario
from bot.diagnose import DiagnoseOptions, Diagnosis, diagnose
from bot.diagnose.render import diagnosis_text, headline
from bot.errors import UsageError
from bot.noise import quiet_third_party
from bot.parse import parse_text
from bot.pipeline import Source, diagnose_and_fix, request_target

WRITE_ROLE = "s3why-write"
TABLE_WIDTH = 100
DEMO_APPROVER = "U0DEMO"


# "allow" only when the request then succeeds: an authorized request for a key that is not there gets 404.
_AFTER_WORDS = {"object-missing": "authorized, then 404 NoSuchKey (the key is not in the bucket)"}


@dataclass
class Row:
    scenario: str
    expected: str  # the layer a senior engineer would name
    denied_by: str  # the layer s3why named
    fix: str
    verified: bool
    applied: str  # "applied" | "request change" | "advice" | "explained" | "refused: ..." | "-"
    after: str  # the decision after the fix ("allow", or what still stands)

    @property
    def ok(self) -> bool:
        """The diagnosis named the expected layer, and what was fixed now works."""
        if self.denied_by != self.expected:
            return False
        if self.expected == "unknown":  # nothing denies it: s3why says so, and proposes nothing
            return self.fix == "-"
        return self.after in ("allow", "object-missing") or self.applied == "explained"

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def run_demo(
    *,
    only: str | None = None,
    as_json: bool = False,
    full: bool = False,
    out: TextIO = sys.stdout,
    progress: TextIO | None = sys.stderr,
    workers: int | None = None,
) -> int:
    """Every chosen setup, end to end; the reports and the table (or JSON) on `out` in the setups' order, one line
    per setup on `progress` as it finishes. Exit status 0 when every setup was handled right, else 1.

    `workers` processes (default: S3WHY_DEMO_WORKERS, else 2 — the machine s3why is measured on has 2 cores)
    each run their own emulated AWS and take the next setup as they finish one: the setups do not share state,
    and one process is bound by its GIL (moto's server and s3why share it).
    """
    chosen = [s for s in SCENARIOS if only is None or only.lower() in s.name.lower()]
    if not chosen:
        raise UsageError(f"no scenario matches {only!r}; the scenarios: " + "; ".join(s.name for s in SCENARIOS))
    quiet_third_party(silent=True)
    count = workers if workers is not None else int(os.environ.get("S3WHY_DEMO_WORKERS") or 2)
    count = max(1, min(count, len(chosen)))
    indices = [SCENARIOS.index(s) for s in chosen]
    with_iac = only is None and not as_json  # issue 15: one setup managed by Terraform -> its pull request
    rows: list[Row | None] = [None] * len(chosen)
    reports: list[str | None] = [None] * len(chosen)
    shown = 0
    started = time.monotonic()

    def finished(n: int, row: Row, report: str, seconds: float) -> None:
        nonlocal shown
        rows[n], reports[n] = row, report
        if progress is not None:
            done = sum(r is not None for r in rows)
            progress.write(_progress_line(done, len(chosen), row, seconds))
            progress.flush()
        while not as_json and shown < len(chosen) and reports[shown] is not None:
            out.write(reports[shown] or "")
            out.flush()
            shown += 1

    iac = ""
    if count == 1:
        with emulated_aws():
            for n, index in enumerate(indices):
                finished(n, *_run_setup(index, full))
            iac = _run_iac() if with_iac else ""
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from multiprocessing import get_context

        with ProcessPoolExecutor(count, mp_context=get_context("spawn"), initializer=_start_worker) as pool:
            futures = {pool.submit(_run_setup, index, full): n for n, index in enumerate(indices)}
            iac_future = pool.submit(_run_iac) if with_iac else None
            for future in as_completed(futures):
                finished(futures[future], *future.result())
            iac = iac_future.result() if iac_future is not None else ""
    out.write(iac)
    done_rows = [r for r in rows if r is not None]
    if progress is not None:
        setups = "setup" if len(chosen) == 1 else "setups"
        progress.write(f"s3why demo: {len(chosen)} {setups} in {time.monotonic() - started:.1f} s\n")
    if as_json:
        out.write(json.dumps({"scenarios": [r.to_json() for r in done_rows]}, indent=2) + "\n")
        return 0 if all(_fixed(r) for r in done_rows) else 1
    out.write("\n" + _table(done_rows) + "\n")
    fixed = sum(_fixed(r) for r in done_rows)
    out.write(
        f"\n{fixed} of {len(done_rows)} setups handled as a senior engineer would: the right layer named, and the\n"
        "fix applied to the emulated account (policies), verified on the changed request (request-side\n"
        "changes), or explained (what s3why never changes on its own: explicit denies, SCPs and RCPs, Block\n"
        "Public Access, Object Ownership, Object Lock, session policies).\n"
    )
    return 0 if fixed == len(done_rows) else 1


def _start_worker() -> None:
    """A demo worker process: quiet, with its own emulated AWS for its lifetime (moto's server thread is a
    daemon, so it ends with the process)."""
    quiet_third_party(silent=True)
    start_emulated_aws()


def _reset_emulator() -> None:
    url = os.environ["AWS_ENDPOINT_URL"]  # set by start_emulated_aws in this process
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).read()


def _run_setup(index: int, full: bool = False) -> tuple[Row, str, float]:
    """One setup on an emptied emulator: its row, its report (`full`: the whole report, else the error pasted
    and a compact answer), and how long it took (seconds)."""
    began = time.monotonic()
    _reset_emulator()
    sc = SCENARIOS[index]
    pasted: list[str] = []
    diagnosis, row = _one(sc, pasted)
    if full:
        report = f"\n{'=' * 100}\n{sc.name}\n{'=' * 100}\n{diagnosis_text(diagnosis)}\n"
    else:
        report = f"\n== {sc.name}\n" + _compact(diagnosis, pasted[0] if pasted else "")
    after = _AFTER_WORDS.get(row.after, row.after)
    report += f"=> {row.applied}; the request after the fix: {after}\n"
    return row, report, time.monotonic() - began


def _short(text: str, width: int = 96) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _compact(d: Diagnosis, pasted: str) -> str:
    """The error pasted (two lines at most, shortened) and the answer: headline, root cause, the fix in a line."""
    lines = [line.strip() for line in pasted.splitlines() if line.strip()]
    out = [_short("pasted: " + lines[0])] if lines else []
    out += [_short("        " + lines[1] + (" …" if len(lines) > 2 else ""))] if len(lines) > 1 else []
    out.append(_short("answer: " + headline(d)))
    if d.root_causes:
        out.append(_short(f"cause:  [{d.root_causes[0].layer.value}] {d.root_causes[0].summary}"))
    out.append(_short("fix:    " + (d.fixes[0].title if d.fixes else "none proposed")))
    return "\n".join(out) + "\n"


def _run_iac() -> str:
    from bot.iac.demo import run_iac_demo

    _reset_emulator()
    return run_iac_demo()


def _progress_line(n: int, total: int, row: Row, seconds: float) -> str:
    """`[ 6/26] ok    KMS key policy not granting kms:Decrypt: kms, applied (0.4 s)`."""
    width = len(str(total))
    verdict = "ok" if row.ok else "WRONG"
    done = row.applied if row.applied != "-" else row.after
    return f"[{n:>{width}}/{total}] {verdict:<5} {row.scenario}: {row.denied_by}, {done} ({seconds:.1f} s)\n"


def run_demo_slack(*, only: str | None, port: int, approvers: tuple[str, ...] = (), out: TextIO = sys.stdout) -> int:
    """One broken setup in the emulated AWS, behind the real Slack app (Socket Mode with SLACK_APP_TOKEN, else
    HTTP on `port`): try s3why in a workspace before giving it any AWS access. With REDIS_URL, approvals too: the
    emulated account has a write role, `approvers` (Slack user or user-group ids; else S3WHY_DEMO_APPROVERS,
    comma-separated) may approve, and Approve and Roll back write to the emulated account through the approval
    code, as they would to a real one."""
    from bot.slack.server import build_app_from_env, serve

    name = only or "KMS key policy not granting"
    chosen = [s for s in SCENARIOS if name.lower() in s.name.lower()]
    if not chosen:
        raise UsageError(f"no scenario matches {name!r}; the scenarios: " + "; ".join(s.name for s in SCENARIOS))
    sc = chosen[0]
    approvers = approvers or tuple(
        a for a in os.environ.get("S3WHY_DEMO_APPROVERS", "").replace(" ", "").split(",") if a
    )
    redis_url = os.environ.get("REDIS_URL")
    quiet_third_party()
    with emulated_aws():
        names = sc.seed()
        text, principal, context = sc.formatted(names)
        config = sc.config(names)
        if redis_url:  # proposals are kept in Redis: approvals, on the emulated account
            for session in (None, session_in(OTHER)):
                client("iam", session=session).create_role(RoleName=WRITE_ROLE, AssumeRolePolicyDocument="{}")
            # the one trying it may approve their own fix: there is nobody else in the demo, and nothing real to harm
            config = replace(
                sc.config(names, write_role=WRITE_ROLE, approvers=approvers or (DEMO_APPROVER,)), self_approval=True
            )
            # proposals are signed (bot/approve/signing.py): a key of this process unless one is given
            os.environ.setdefault("S3WHY_PROPOSAL_KEY", os.urandom(32).hex())
        app = build_app_from_env(config, sc.client_hook(names), use_redis=bool(redis_url))
        out.write(f"s3why demo --slack: the emulated account holds the setup {sc.name!r}.\n")
        out.write("Paste this error in a channel where s3why is, or after /s3why:\n\n" + text + "\n\n")
        out.write(slack_follow_up(text, principal, context))
        out.write(demo_approvals(redis=bool(redis_url), approvers=approvers))
        out.flush()
        return serve(port, app)


def demo_approvals(*, redis: bool, approvers: tuple[str, ...]) -> str:
    """What the demo says about approving its fixes."""
    if not redis:
        return "Fixes are shown without Approve buttons: set REDIS_URL to approve and roll back in the demo.\n"
    if not approvers:
        return (
            "Approve and Roll back need an approver: run again with --approver YOUR_SLACK_MEMBER_ID (in Slack: your "
            "profile, then ⋯, then Copy member ID) or a user group's id.\n"
        )
    who = ", ".join(approvers)
    return f"Approve applies the fix to the emulated account, and Roll back undoes it: {who} may approve.\n"


def slack_follow_up(text: str, principal: str | None, context: dict[str, tuple[str, ...]]) -> str:
    """What to tell s3why that the error does not say, in the words of the controls that take it today: the
    "Tell s3why who made the call" button under an answer that asks, and the /s3why form (who made the call,
    request context one KEY=VALUE a line). A reply typed in the thread is not read."""
    lines: list[str] = []
    details = [f"{key}={values[0]}" for key, values in context.items()]
    if principal and principal not in text:
        lines.append(
            "The error does not say who made the call, so s3why's answer asks: press "
            "\"Tell s3why who made the call\" under it and enter, under 'Who made the call',"
        )
        lines.append(f"    {principal}")
        if details:
            lines.append("and under 'Request context' (one KEY=VALUE a line):")
            lines.extend(f"    {d}" for d in details)
    elif details:
        lines.append(
            "The error does not carry this request detail: send /s3why with no text to open its form, paste the "
            "error, and under 'Request context' (one KEY=VALUE a line) enter"
        )
        lines.extend(f"    {d}" for d in details)
    return "\n".join(lines) + ("\n" if lines else "")


def _fixed(r: Row) -> bool:
    return r.ok


def _one(sc: Scenario, pasted: list[str] | None = None) -> tuple[Diagnosis, Row]:
    names = sc.seed()
    for session in (None, session_in(OTHER)):
        client("iam", session=session).create_role(RoleName=WRITE_ROLE, AssumeRolePolicyDocument="{}")
    config = sc.config(names, write_role=WRITE_ROLE, approvers=(DEMO_APPROVER,))
    sessions = SessionProvider(config, client_hook=sc.client_hook(names))
    text, principal, context = sc.formatted(names)
    if pasted is not None:
        pasted.append(text)
    parsed = parse_text(text)
    req = parsed.requests[0]
    options = DiagnoseOptions(principal=principal, context=context, session_policy=sc.session_policy)
    target = request_target(req, options)
    known = frozenset(a.id for a in config.accounts)
    source = Source(collector=Collector(sessions, MemoryCache()))
    diagnosis, _ = diagnose_and_fix(req, options, source, known_accounts=known, paste=parsed.redacted_text)
    fixes = list(diagnosis.fixes)
    denied_by = diagnosis.root_causes[0].layer.value if diagnosis.root_causes else diagnosis.decision

    def row(fix: str, verified: bool, applied: str, after: str) -> Row:
        expected = sc.layer or sc.decision or "unknown"  # nothing denies it: the text's denial is not reproduced
        return Row(sc.name, expected, denied_by, fix, verified, applied, after)

    verified = [f for f in fixes if f.verified]
    if not sc.layer and not diagnosis.root_causes:  # nothing s3why reads denies it: nothing to fix
        return diagnosis, row("-", False, "-", diagnosis.decision)
    if not verified:
        explained = fixes and fixes[0].never_automatic
        title = fixes[0].title if fixes else "-"
        return diagnosis, row(title, False, "explained" if explained else "-", diagnosis.decision)
    fix = verified[0]
    proposal = proposal_for(fix, requester=None, channel="demo", thread_ts="", run_id="demo", request={})
    if proposal is None:
        # Request-side changes and advice: verified by diagnosing the changed request; nothing to write.
        kind = "request change" if any(p.kind == "request-change" for p in fix.patches) else "advice"
        return diagnosis, row(fix.title, True, kind, "allow")
    writer = Writer(sessions)
    for change in proposal.changes:
        session = writer.session(change.account, DEMO_APPROVER)
        live = writer.read(session, change.where, change.target, change.apply)
        if policy_hash(live) != policy_hash(change.before):
            return diagnosis, row(fix.title, True, "refused: drift", diagnosis.decision)
        writer.write(session, change.where, change.target, change.apply, change.document)
    fresh = Collector(sessions, NoCache()).collect(target)
    after = diagnose(req, account_view(fresh), replace(options, text_is_evidence=False))
    # A missing object behind a 403: once s3:ListBucket is granted the caller gets the honest 404 — but only when
    # nothing else still denies it (a key that is missing says nothing about the other layers).
    blocking = [c for c in after.root_causes if c.layer.value != "object-missing"]
    missing = not blocking and (bool(after.root_causes) or after.key_missing)
    return diagnosis, row(fix.title, True, "applied", "object-missing" if missing else after.decision)


def _after_cell(after: str) -> str:
    """The table's "after": an authorized request for a key that is not there still fails, with 404 NoSuchKey."""
    return "404 NoSuchKey" if after == "object-missing" else after


def _table(rows: list[Row]) -> str:
    # The fix is in each setup's answer above; the table keeps what fits 100 columns.
    head = ("scenario", "denied by", "verified", "done", "after", "")
    body = [
        (
            r.scenario,
            r.denied_by,
            "yes" if r.verified else "no",
            r.applied,
            _after_cell(r.after),
            "ok" if r.ok else "WRONG",
        )
        for r in rows
    ]
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    # 100 columns: the scenario takes what the short columns leave, shortened with "…".
    widths[0] = min(widths[0], TABLE_WIDTH - 2 * (len(head) - 1) - sum(widths[1:]))

    def cell(text: str, width: int) -> str:
        return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell(str(c), widths[i]) for i, c in enumerate(cells)).rstrip()

    return "\n".join([line(head), line(tuple("-" * w for w in widths)), *(line(b) for b in body)])


__all__ = ["OWN", "run_demo"]
