"""An approved Terraform fix as a pull request: a branch pushed from the repository checkout, then the pull
request opened through the GitHub REST API (PyGithub; token from GITHUB_TOKEN, API from GITHUB_API_URL).

The checkout's working tree is never touched: the diff is applied to the base branch in a temporary index
(`git apply --cached`), committed with `git commit-tree` and pushed to a new branch. A diff that no longer
applies to the base branch (someone changed the file since) is refused, not forced.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.escape import github_markdown, visible_bidi

DEFAULT_API = "https://api.github.com"


class PullRequestError(Exception):
    """Why no pull request was opened, in words for the thread (never a token, never a traceback)."""


@dataclass(frozen=True)
class PullRequest:
    url: str
    number: int
    branch: str


def _git(checkout: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})},
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["failed"])[0][:200]
        raise PullRequestError(f"git {args[0]} failed: {first}")
    return done.stdout


def push_branch(
    *, checkout: str | Path, terraform_dir: str | Path, diff: str, base: str, branch: str, message: str
) -> str:
    """Commit `diff` (paths relative to `terraform_dir`) on top of origin/`base` and push it as `branch`;
    returns the commit id."""
    repo = Path(checkout)
    _git(repo, "fetch", "--quiet", "origin", base)
    prefix = _git(Path(terraform_dir), "rev-parse", "--show-prefix").strip()
    with tempfile.TemporaryDirectory() as tmp:
        index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        patch = Path(tmp) / "fix.diff"
        patch.write_text(diff, encoding="utf-8")
        _git(repo, "read-tree", "FETCH_HEAD", env=index)
        args = ["apply", "--cached"] + ([f"--directory={prefix.rstrip('/')}"] if prefix else []) + [str(patch)]
        try:
            _git(repo, *args, env=index)
        except PullRequestError as exc:
            raise PullRequestError(
                f"the change no longer applies to {base} (the file changed since the diagnosis): {exc}"
            ) from None
        tree = _git(repo, "write-tree", env=index).strip()
    who = {
        "GIT_AUTHOR_NAME": "s3why",
        "GIT_AUTHOR_EMAIL": "s3why@users.noreply.github.com",
        "GIT_COMMITTER_NAME": "s3why",
        "GIT_COMMITTER_EMAIL": "s3why@users.noreply.github.com",
    }
    commit = _git(repo, "commit-tree", tree, "-p", "FETCH_HEAD", "-F", "-", env=who, stdin=message).strip()
    _git(repo, "push", "--quiet", "origin", f"{commit}:refs/heads/{branch}")
    return commit


def branch_name(fix_id: str, diff: str) -> str:
    """A branch per change: the same fix proposed twice lands on the same branch."""
    return f"s3why/{fix_id}-{hashlib.sha256(diff.encode()).hexdigest()[:10]}"


def open_pull_request(
    *,
    checkout: str | Path,
    terraform_dir: str | Path,
    repo: str,
    base: str,
    fix_id: str,
    diff: str,
    title: str,
    body: str,
    token: str | None = None,
    api_url: str | None = None,
) -> PullRequest:
    """Push the change as a branch and open the pull request; its URL is what the thread gets."""
    from github import Auth, Github, GithubException

    token = token if token is not None else os.environ.get("GITHUB_TOKEN")
    if not token:
        raise PullRequestError("GITHUB_TOKEN is not set: s3why cannot open the pull request")
    branch = branch_name(fix_id, diff)
    push_branch(checkout=checkout, terraform_dir=terraform_dir, diff=diff, base=base, branch=branch, message=title)
    api = api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API
    try:
        gh = Github(base_url=api.rstrip("/"), auth=Auth.Token(token), retry=None, timeout=30, lazy=True)
        pr = gh.get_repo(repo).create_pull(base=base, head=branch, title=title, body=body)
    except GithubException as exc:
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        raise PullRequestError(f"GitHub refused the pull request ({exc.status}: {message or 'no message'})") from None
    except OSError as exc:
        raise PullRequestError(f"GitHub could not be reached ({type(exc).__name__})") from None
    return PullRequest(str(pr.html_url), int(pr.number), branch)


def pull_request_body(
    *, verdict: str, cause: str, scope: str, verified: bool, reason: str, diff: str, changes: tuple[str, ...] = ()
) -> str:
    """The pull request's description: the diagnosis, the change and its verification. Every value that may come
    from a paste (names in the verdict, the cause, the reason, the grants in `changes`) is escaped for GitHub
    markdown (bot/escape.py); the diff is in a fenced block, where markdown does not apply, with any bidirectional
    control written out (`<U+202E>`) so that it cannot reorder what the reviewer reads."""
    check = "verified" if verified else f"NOT verified: {github_markdown(reason)}"
    lines = [
        "s3why diagnosed an S3 Access Denied and proposes this change.",
        "",
        f"**Diagnosis:** {github_markdown(verdict)}",
        f"**Root cause:** {github_markdown(cause)}",
    ]
    if scope:
        lines.append(f"**Scope:** {github_markdown(scope)}")
    lines += [f"**Grants:** {github_markdown(c)}" for c in changes]
    lines += [
        f"**Verification:** {check} (s3why parsed the patched file again and evaluated the policy it defines)",
        "",
        "```diff",
        visible_bidi(diff.replace("```", "'''")),
        "```",
    ]
    return "\n".join(lines)
