"""Fixes for targets managed as code: the live patch becomes an `iac-change` patch (CONTRACT.md) to the
Terraform file that defines the policy, or to the CloudFormation stack's template, verified against the policy
the changed code defines. s3why never writes the live policy of such a target (CloudFormation: unless the
account's configuration allows it, `iac.cloudformation.live_apply_accounts`).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions, Diagnosis, diagnose
from bot.fixes.model import Fix, Patch
from bot.fixes.targets import target_for
from bot.fixes.verify import apply_patches, outcome_of
from bot.iac.terraform import Target, TerraformError, Tree, find_policy, load_tree, patch_policy, unified
from bot.parse.model import DeniedRequest

STACK_TAG = "aws:cloudformation:stack-name"
LOGICAL_ID_TAG = "aws:cloudformation:logical-id"


@dataclass(frozen=True)
class IacOptions:
    """Where policies are defined as code: a Terraform checkout (`iac.terraform.path`, `--terraform-dir`), and
    the accounts whose configuration lets s3why write the live policy of a CloudFormation-managed target."""

    terraform_dir: str | None = None
    cloudformation_live_apply: frozenset[str] = field(default_factory=frozenset)


def with_iac(
    fixes: list[Fix],
    req: DeniedRequest,
    snapshot: dict[str, Any],
    options: DiagnoseOptions,
    iac: IacOptions | None,
) -> list[Fix]:
    """The fixes with each patch to a code-managed target replaced by its `iac-change` patch."""
    tree: Tree | None = None
    if iac is not None and iac.terraform_dir:
        tree = load_tree(iac.terraform_dir)
    out = []
    for fix in fixes:
        changed = _fix_as_code(fix, req, snapshot, options, tree, iac or IacOptions())
        out.append(changed)
    return out


def _fix_as_code(
    fix: Fix, req: DeniedRequest, snapshot: dict[str, Any], options: DiagnoseOptions, tree: Tree | None, iac: IacOptions
) -> Fix:
    if fix.never_automatic or not fix.patches:
        return fix
    patches, reasons, touched = _as_code(fix.patches, req, snapshot, options, tree, iac)
    if not touched:
        return fix
    scopes = []
    for choice in fix.scopes:  # every scope in the code's form too: the Slack select keeps working
        coded, why, _ = _as_code(choice.patches, req, snapshot, options, tree, iac)
        scopes.append(
            replace(
                choice,
                patches=coded,
                verified=choice.verified and not why,
                reason=choice.reason if not choice.verified else "; ".join(why),
            )
        )
    verified = fix.verified and not reasons
    reason = fix.reason if not fix.verified else "; ".join(reasons)
    return replace(fix, patches=patches, verified=verified, reason=reason, scopes=scopes)


def _as_code(
    live: list[Patch],
    req: DeniedRequest,
    snapshot: dict[str, Any],
    options: DiagnoseOptions,
    tree: Tree | None,
    iac: IacOptions,
) -> tuple[list[Patch], list[str], bool]:
    """Each live patch to a code-managed target replaced by its iac-change patch; (patches, why not verified,
    whether any was replaced)."""
    patches: list[Patch] = []
    reasons: list[str] = []
    touched = False
    for p in live:
        if p.document is None or p.kind == "request-change":
            patches.append(p)
            continue
        made: Patch | None = None
        if tree is not None:
            made, why = _terraform_patch(p, snapshot, req, options, tree)
            if why:
                reasons.append(why)
        if made is None:
            stack = _stack_of(p, snapshot)
            if stack is not None and _account_of(p) not in iac.cloudformation_live_apply:
                made, why = _cloudformation_patch(p, snapshot, req, options, stack)
                if why:
                    reasons.append(why)
        if made is None:
            patches.append(p)
        else:
            touched = True
            patches.append(made)
    return patches, reasons, touched


def _target(p: Patch, snapshot: dict[str, Any]) -> Target | None:
    where = p.apply.get("where")
    if where == "principal-inline":
        return Target("principal-inline", str(p.apply.get("kind")), p.target.rsplit("/", 1)[-1], arn=p.target)
    if where == "managed":
        return Target("managed", name=p.target.rsplit("/", 1)[-1], arn=p.target)
    if where == "bucket":
        return Target("bucket", name=str(p.apply.get("bucket")))
    if where == "key":
        arn = str(p.apply.get("arn"))
        answer = (((snapshot.get("kms") or {}).get(arn) or {}).get("calls") or {}).get("ListAliases") or {}
        aliases = tuple(a.get("AliasName", "") for a in answer.get("Aliases", []) if isinstance(a, dict))
        return Target("key", name=arn.rsplit("/", 1)[-1], aliases=aliases, arn=arn)
    if where == "vpce":
        return Target("vpce", name=str(p.apply.get("id")))
    if where == "access-point":
        return Target("access-point", name=str(p.apply.get("name")), arn=str(p.apply.get("arn")))
    return None


def _added(p: Patch) -> list[dict[str, Any]]:
    before = {json.dumps(s, sort_keys=True) for s in _statements(p.before)}
    return [s for s in _statements(p.document) if json.dumps(s, sort_keys=True) not in before]


def _statements(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        return []
    st = doc.get("Statement", [])
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _terraform_patch(
    p: Patch, snapshot: dict[str, Any], req: DeniedRequest, options: DiagnoseOptions, tree: Tree
) -> tuple[Patch | None, str]:
    target = _target(p, snapshot)
    if target is None:
        return None, ""
    policy = find_policy(tree, target)
    if policy is None:
        return None, ""
    added = _added(p)
    if not added:
        return None, ""
    original = policy.file.read_text(encoding="utf-8")
    text = original
    try:
        for statement in added:
            tf = patch_policy(tree, policy, statement, text=text)
            text = tf.after_text
    except TerraformError as exc:
        return None, f"not verified: the Terraform file could not be patched ({exc})"
    tf = replace(tf, diff=unified(original, text, tf.path))
    code_patch = _code_snapshot_patch(p, snapshot, tf.policy.rtype, tf.policy.name, tf.after, tree, policy)
    decision = _rediagnose(snapshot, code_patch, req, options)
    ok, why = outcome_of(decision)
    made = Patch(
        target=p.target,
        kind="iac-change",
        document=tf.after,
        commands=[],
        before=policy.document,
        apply={
            "where": "terraform",
            "file": str(tf.policy.file),
            "path": tf.path,
            "after_text": tf.after_text,
            "live": p.apply,
        },
        iac={"tool": "terraform", "file": tf.path, "diff": tf.diff},
        terraform=tf.diff,  # every format shows the change to the file: it is the only form to apply
        cloudformation=tf.diff,
    )
    return made, "" if ok else f"the policy {tf.path} defines after the change: {why}"


def _code_snapshot_patch(
    p: Patch, snapshot: dict[str, Any], rtype: str, name: str, document: dict[str, Any], tree: Tree, policy: Any
) -> Patch:
    """The patch that puts the code's policy where the account keeps it, for verifying the code."""
    where = p.apply.get("where")
    if where == "principal-inline" and rtype in ("aws_iam_role_policy", "aws_iam_user_policy"):
        attrs = tree.resources[(rtype, name)][1]
        policy_name = tree.attr(attrs.get("name"), "name") or name
        return replace(p, document=document, apply={**p.apply, "name": policy_name})
    if where == "principal-inline" and rtype == "aws_iam_policy":
        attrs = tree.resources[(rtype, name)][1]
        policy_name = tree.attr(attrs.get("name"), "name") or name
        managed = ((snapshot.get("principal") or {}).get("calls") or {}).get("Policies") or {}
        arn = next((a for a in managed if a.rsplit("/", 1)[-1] == policy_name), None)
        if arn is not None:
            return replace(p, document=document, apply={"where": "managed", "arn": arn})
        return replace(p, document=document, apply={**p.apply, "name": f"terraform:{policy_name}"})
    return replace(p, document=document)


def _rediagnose(snapshot: dict[str, Any], patch: Patch, req: DeniedRequest, options: DiagnoseOptions) -> Diagnosis:
    # The same request against the changed account: the pasted text described it before the change.
    again = replace(options, text_is_evidence=False)
    return diagnose(req, account_view(apply_patches(snapshot, [patch])), again)


# --- CloudFormation ------------------------------------------------------------------------------------------
def _tags_of(p: Patch, snapshot: dict[str, Any]) -> dict[str, str]:
    view = account_view(snapshot)
    where = p.apply.get("where")
    if where in ("principal-inline", "managed") and view.principal is not None:
        return dict(view.principal.tags)
    if where == "key":
        key = view.keys.get(str(p.apply.get("arn")))
        return dict(key.tags) if key is not None else {}
    if where == "bucket":
        answer = ((snapshot.get("bucket") or {}).get("calls") or {}).get("GetBucketTagging") or {}
        return {t["Key"]: t["Value"] for t in answer.get("TagSet", []) if isinstance(t, dict) and "Key" in t}
    return {}


def _stack_of(p: Patch, snapshot: dict[str, Any]) -> dict[str, str] | None:
    tags = _tags_of(p, snapshot)
    if STACK_TAG not in tags:
        return None
    return {"stack": tags[STACK_TAG], "logical_id": tags.get(LOGICAL_ID_TAG, "")}


def _cloudformation_patch(
    p: Patch, snapshot: dict[str, Any], req: DeniedRequest, options: DiagnoseOptions, stack: dict[str, str]
) -> tuple[Patch | None, str]:
    """The change to the policy resource in the stack's template: the policy document, before and after, as
    the template holds it (JSON), under the resource the stack manages."""
    where = str(p.apply.get("where"))
    target = target_for(where)
    cfn_type, prop, ref = (
        (target.cfn_type, target.cfn_property, target.cfn_ref)
        if target is not None
        else ("AWS::CloudFormation::Resource", "PolicyDocument", None)
    )
    logical = stack["logical_id"] or "Resource"
    if where == "bucket" or where == "principal-inline":
        logical = f"{logical}Policy"
    name = f"{stack['stack']} template, {logical} ({cfn_type})"

    def resource(document: dict[str, Any] | None) -> str:
        value = target.cfn_value(document) if target is not None and document is not None else document
        props: dict[str, Any] = {prop: value}
        if ref is not None:
            props[ref] = {"Ref": stack["logical_id"] or "Resource"}
        if where == "principal-inline":
            props["PolicyName"] = p.apply.get("name")
        return json.dumps({logical: {"Type": cfn_type, "Properties": props}}, indent=2)

    import difflib

    diff = "".join(
        difflib.unified_diff(
            resource(p.before).splitlines(keepends=True),
            resource(p.document).splitlines(keepends=True),
            f"a/{stack['stack']}.template ({logical})",
            f"b/{stack['stack']}.template ({logical})",
            n=10_000,  # the whole resource: its type and properties, not just the lines around the change
        )
    )
    decision = _rediagnose(snapshot, p, req, options)
    ok, why = outcome_of(decision)
    made = Patch(
        target=p.target,
        kind="iac-change",
        document=copy.deepcopy(p.document),
        commands=[
            f"update the stack {stack['stack']}: change {logical} in its template as shown, then deploy "
            "(s3why does not write the live policy of a stack's resource: the next deploy would revert it)"
        ],
        before=p.before,
        apply={"where": "cloudformation", "stack": stack["stack"], "live": p.apply},
        iac={"tool": "cloudformation", "file": name, "diff": diff},
        terraform=diff,
        cloudformation=diff,
    )
    return made, "" if ok else why


def _account_of(p: Patch) -> str:
    from bot.arn import Arn

    account = p.apply.get("account")
    if account:
        return str(account)
    parsed = Arn.parse(p.target)
    return parsed.account if parsed is not None else ""


def options_from_config(config: Any, terraform_dir: str | None = None) -> IacOptions:
    """The IaC options of a configuration (`iac.terraform.path`, `iac.cloudformation.live_apply_accounts`);
    `terraform_dir` (the CLI's --terraform-dir) wins over the configured path."""
    iac = config.iac
    path = terraform_dir or (iac.terraform.path if iac.terraform is not None else None)
    live = frozenset(iac.cloudformation.live_apply_accounts) if iac.cloudformation is not None else frozenset()
    return IacOptions(path, live)


def terraform_dir_from(value: str | None) -> str | None:
    if value and not Path(value).is_dir():
        raise TerraformError(f"--terraform-dir {value}: not a directory")
    return value
