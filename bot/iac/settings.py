"""The `iac:` section of the configuration (CONTRACT.md): where policies are defined as code.

```yaml
iac:
  terraform:
    path: /srv/infra            # a checkout of the repository that holds the .tf files
    github_repo: acme/infra     # owner/name; the token comes from GITHUB_TOKEN
    base_branch: main
  cloudformation:
    live_apply_accounts: ["222222222222"]   # accounts where a stack's resource may still be written live
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.errors import UsageError

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$")
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class IacSettings:
    terraform_path: str | None = None
    github_repo: str | None = None
    base_branch: str = "main"
    cloudformation_live_apply: frozenset[str] = field(default_factory=frozenset)


def parse_iac(raw: Any, path: str, error: Any) -> IacSettings:
    """Validate the `iac:` mapping; `error(path, line, message)` builds the configuration error to raise."""
    if raw is None:
        return IacSettings()
    if not isinstance(raw, dict):
        raise error(path, None, "iac must be a mapping")
    line = raw.get("__line__")
    unknown = set(raw) - {"terraform", "cloudformation", "__line__"}
    if unknown:
        raise error(path, line, f"iac: unknown key {sorted(unknown)[0]!r} (expected terraform, cloudformation)")
    tf = raw.get("terraform") or {}
    cfn = raw.get("cloudformation") or {}
    if not isinstance(tf, dict) or not isinstance(cfn, dict):
        raise error(path, line, "iac.terraform and iac.cloudformation must be mappings")
    tf_line = tf.get("__line__", line)
    bad = set(tf) - {"path", "github_repo", "base_branch", "__line__"}
    if bad:
        raise error(path, tf_line, f"iac.terraform: unknown key {sorted(bad)[0]!r}")
    for key in ("path", "github_repo", "base_branch"):
        if key in tf and not isinstance(tf[key], str):
            raise error(path, tf_line, f"iac.terraform.{key} must be a string")
    if "github_repo" in tf and not _REPO.match(tf["github_repo"]):
        raise error(path, tf_line, "iac.terraform.github_repo must be owner/name")
    if "base_branch" in tf and not _BRANCH.match(tf["base_branch"]):
        raise error(path, tf_line, "iac.terraform.base_branch is not a valid branch name")
    bad = set(cfn) - {"live_apply_accounts", "__line__"}
    if bad:
        raise error(path, cfn.get("__line__", line), f"iac.cloudformation: unknown key {sorted(bad)[0]!r}")
    accounts = cfn.get("live_apply_accounts") or []
    if not isinstance(accounts, list) or not all(isinstance(a, str) and _ACCOUNT.match(a) for a in accounts):
        raise error(path, cfn.get("__line__", line), "iac.cloudformation.live_apply_accounts: quoted 12-digit ids")
    return IacSettings(
        terraform_path=tf.get("path"),
        github_repo=tf.get("github_repo"),
        base_branch=tf.get("base_branch", "main"),
        cloudformation_live_apply=frozenset(accounts),
    )


__all__ = ["IacSettings", "UsageError", "parse_iac"]
