"""`s3why demo`'s infrastructure-as-code part: one broken setup whose role policy is defined in Terraform, its
`iac-change` fix, and the pull request it becomes — against a local fake of the GitHub REST API and a real git
repository (a bare repository as the remote), all in a temporary directory."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.cache import MemoryCache
from bot.config import Config
from bot.demo.scenarios import s_identity_missing_put
from bot.diagnose import DiagnoseOptions
from bot.iac.approve import terraform_patch
from bot.iac.fake_github import fake_github
from bot.iac.fixes import IacOptions
from bot.iac.github import PullRequestError, open_pull_request, pull_request_body
from bot.parse import parse_text
from bot.pipeline import Source, diagnose_and_fix

MAIN_TF = """resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = file("trust.json")
}

resource "aws_iam_role_policy" "app" {
  name = "app"
  role = aws_iam_role.app.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "arn:aws:s3:::team-data/*"
      },
    ]
  })
}
"""
PASTE = (
    "upload failed: ./a.txt to s3://team-data/out/a.txt An error occurred (AccessDenied) when calling the "
    "PutObject operation: Access Denied"
)
PRINCIPAL = "arn:aws:sts::123456789012:assumed-role/app/run-1"


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True, text=True, timeout=60)


def run_iac_demo() -> str:
    """The report of the IaC setup (the emulated AWS must be running and empty)."""
    if shutil.which("git") is None:
        return "Infrastructure as code: skipped (git is not installed)\n"
    s_identity_missing_put()
    (req,) = parse_text(PASTE).requests
    options = DiagnoseOptions(principal=PRINCIPAL)
    collector = Collector(SessionProvider(Config()), MemoryCache())
    lines = ["", "=" * 100, "Infrastructure as code: the role's policy is defined in Terraform", "=" * 100]
    with tempfile.TemporaryDirectory() as tmp:
        remote, checkout = Path(tmp) / "infra.git", Path(tmp) / "infra"
        _git("init", "-q", "--bare", "-b", "main", str(remote))
        _git("clone", "-q", str(remote), str(checkout))
        (checkout / "main.tf").write_text(MAIN_TF, encoding="utf-8")
        _git("-C", str(checkout), "checkout", "-q", "-b", "main")
        _git("-C", str(checkout), "add", ".")
        _git("-C", str(checkout), "-c", "user.name=demo", "-c", "user.email=demo@example.com", "commit", "-qm", "infra")
        _git("-C", str(checkout), "push", "-q", "origin", "main")
        found, _ = diagnose_and_fix(req, options, Source(collector=collector), iac=IacOptions(str(checkout)))
        fixes = list(found.fixes)
        fix = next((f for f in fixes if terraform_patch(f) is not None), None)
        patch = terraform_patch(fix) if fix is not None else None
        if fix is None or patch is None or patch.iac is None:
            return "\n".join([*lines, "no Terraform fix was found (unexpected)", ""])
        lines.append(f"{fix.title} — {'verified against the patched code' if fix.verified else fix.reason}")
        lines.append(f"iac-change to {patch.iac['file']}:")
        lines += ["  " + x for x in patch.iac["diff"].splitlines()]
        body = pull_request_body(
            verdict=found.decision,
            cause=found.root_causes[0].summary if found.root_causes else "",
            scope=fix.scope,
            verified=fix.verified,
            reason=fix.reason,
            diff=patch.iac["diff"],
        )
        with fake_github() as gh:
            try:
                pr = open_pull_request(
                    checkout=checkout,
                    terraform_dir=checkout,
                    repo="acme/infra",
                    base="main",
                    fix_id=fix.id,
                    diff=patch.iac["diff"],
                    title=f"s3why: {fix.title}",
                    body=body,
                    token=gh.token,
                    api_url=gh.url,
                )
            except PullRequestError as exc:
                lines.append(f"=> no pull request: {exc}")
                return "\n".join(lines) + "\n"
        lines.append(f"=> approved: branch {pr.branch} pushed, pull request opened (local fake of GitHub): {pr.url}")
    return "\n".join(lines) + "\n"
