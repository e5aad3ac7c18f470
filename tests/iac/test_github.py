"""Approving a Terraform fix: a branch pushed from a real git checkout (a bare repository as its remote) and a
pull request opened against a local fake of the GitHub REST API."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.iac.fake_github import fake_github
from bot.iac.github import PullRequestError, open_pull_request, pull_request_body
from bot.iac.terraform import Target, find_policy, load_tree, patch_policy

TREE = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"
STATEMENT = {
    "Sid": "S3whyx",
    "Effect": "Allow",
    "Action": ["s3:PutObject"],
    "Resource": ["arn:aws:s3:::team-data/out/*"],
}


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    """A bare repository (the remote) and a checkout of it holding the Terraform tree under infra/."""
    remote = tmp_path / "remote.git"
    _git("init", "-q", "--bare", "-b", "main", str(remote))
    checkout = tmp_path / "checkout"
    _git("clone", "-q", str(remote), str(checkout))
    shutil.copytree(TREE, checkout / "infra")
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    _git("-C", str(checkout), "checkout", "-q", "-b", "main")
    _git("-C", str(checkout), "add", ".")
    _git("-C", str(checkout), *env, "commit", "-q", "-m", "infra")
    _git("-C", str(checkout), "push", "-q", "origin", "main")
    return remote, checkout


def test_an_approved_terraform_fix_becomes_a_branch_and_a_pull_request(tmp_path: Path) -> None:
    remote, checkout = _repo(tmp_path)
    tf_dir = checkout / "infra"
    tree = load_tree(tf_dir)
    policy = find_policy(tree, Target("principal-inline", "role", "app"))
    assert policy is not None
    patch = patch_policy(tree, policy, STATEMENT)
    body = pull_request_body(
        verdict="DENIED",
        cause="no identity-based policy allows s3:PutObject",
        scope="lets app put any object under out/ in team-data",
        verified=True,
        reason="",
        diff=patch.diff,
    )
    with fake_github() as gh:
        pr = open_pull_request(
            checkout=checkout, terraform_dir=tf_dir, repo="acme/infra", base="main", fix_id="identity-allow",
            diff=patch.diff, title="s3why: allow s3:PutObject for app", body=body, token=gh.token, api_url=gh.url,
        )  # fmt: skip
        assert pr.url == "https://github.example/acme/infra/pull/1"
        (pull,) = gh.pulls
        assert pull["head"] == pr.branch and pull["base"] == "main" and pull["title"].startswith("s3why:")
        assert "Verification:** verified" in pull["body"] and "```diff" in pull["body"]
        assert all(auth and gh.token in auth for _, _, auth in gh.calls)
    # The branch is on the remote, with exactly the patched file changed; the checkout's tree is untouched.
    changed = _git("--git-dir", str(remote), "diff", "--name-only", "main", pr.branch).split()
    assert changed == ["infra/iam.tf"]
    assert "s3:PutObject" in _git("--git-dir", str(remote), "show", f"{pr.branch}:infra/iam.tf")
    assert "s3:PutObject" not in (tf_dir / "iam.tf").read_text()
    assert _git("-C", str(checkout), "status", "--porcelain") == ""


def test_a_change_that_no_longer_applies_and_a_refusing_github_are_said_in_words(tmp_path: Path) -> None:
    remote, checkout = _repo(tmp_path)
    tf_dir = checkout / "infra"
    tree = load_tree(tf_dir)
    policy = find_policy(tree, Target("principal-inline", "role", "app"))
    assert policy is not None
    patch = patch_policy(tree, policy, STATEMENT)
    with fake_github() as gh:
        with pytest.raises(PullRequestError, match="GitHub refused the pull request \\(401: Bad credentials\\)"):
            open_pull_request(checkout=checkout, terraform_dir=tf_dir, repo="acme/infra", base="main", fix_id="x",
                              diff=patch.diff, title="t", body="b", token="wrong", api_url=gh.url)  # fmt: skip
        # Someone changes the file on main after the diagnosis: the patch is refused, not forced.
        other = tmp_path / "other"
        _git("clone", "-q", str(remote), str(other))
        (other / "infra" / "iam.tf").write_text("# moved elsewhere\n")
        _git("-C", str(other), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qam", "move")
        _git("-C", str(other), "push", "-q", "origin", "main")
        with pytest.raises(PullRequestError, match="no longer applies to main"):
            open_pull_request(checkout=checkout, terraform_dir=tf_dir, repo="acme/infra", base="main", fix_id="y",
                              diff=patch.diff, title="t", body="b", token=gh.token, api_url=gh.url)  # fmt: skip
        assert gh.pulls == []
    with pytest.raises(PullRequestError, match="GITHUB_TOKEN"):
        open_pull_request(
            checkout=checkout,
            terraform_dir=tf_dir,
            repo="a/b",
            base="main",
            fix_id="z",
            diff="",
            title="t",
            body="b",
            token="",
        )
