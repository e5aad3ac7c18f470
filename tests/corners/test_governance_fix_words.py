"""The GOVERNANCE bypass fix says what it changes (tester3 report, D6): when the principal already has
s3:BypassGovernanceRetention the fix is the header alone, and its title and words claim no grant."""

from __future__ import annotations

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions, diagnose
from bot.fixes import propose_fixes
from bot.parse import parse_text
from tests.corners.test_object_lock_answers import DELETE, SESSION, _locked


def test_a_principal_that_may_bypass_is_told_only_to_send_the_header() -> None:
    snap = _locked({"Retention": {"Mode": "GOVERNANCE", "RetainUntilDate": "2099-01-01T00:00:00+00:00"}})
    options = DiagnoseOptions(principal=SESSION)  # the role is allowed s3:* on the objects, the bypass included
    (req,) = parse_text(DELETE).requests
    d = diagnose(req, account_view(snap), options)
    (fix,) = [f for f in propose_fixes(req, snap, options, d) if f.id == "object-lock-bypass-governance"]
    assert [p.kind for p in fix.patches] == ["request-change"]
    assert fix.title.startswith("Send the bypass header"), fix.title
    assert "the grant covers" not in fix.explanation
