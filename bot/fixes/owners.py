"""Whose change each patch is, and the grants s3why never offers as a change to apply (issue 20 §2, §3).

Each policy lives in an account (the target's ARN, or the account the collector read it in). A change is
labelled for the people who own that account: the caller's account, the account that owns the resource, another
account of the organization, or an account s3why knows nothing of — in neither its configuration nor the
organization: another company (a vendor). A fix with patches in two accounts is one fix with two parts, each
labelled.

A resource-side grant to a principal of an account in neither the configuration nor the organization is advice
only, high risk, and says so: s3why cannot tell who that account belongs to (IAM User Guide, "Cross account
resource access in IAM" — a grant in a resource policy is the whole of the other side's access when that account
delegates to its own IAM). The rule applies when s3why knows its accounts (a configuration, or the organization
it read); without either it only labels.
"""

from __future__ import annotations

from typing import Any

from bot.arn import Arn
from bot.fixes.context import FixContext, account_of, statements_of
from bot.fixes.model import Fix, Owner, Patch, PatchKind, Risk
from bot.fixes.targets import target_of
from bot.fixes.targets.base import Where
from bot.source_conditions import service_names, source_accounts


def _org_ids(snapshot: dict[str, Any]) -> dict[str, str]:
    """account -> organization id, for the accounts whose organization the collector read."""
    out: dict[str, str] = {}
    for entry in (snapshot.get("organization") or {}).values():
        if not isinstance(entry, dict):
            continue
        org = ((entry.get("calls") or {}).get("DescribeOrganization") or {}).get("Organization") or {}
        if entry.get("account") and org.get("Id"):
            out[str(entry["account"])] = str(org["Id"])
            if org.get("MasterAccountId"):
                out.setdefault(str(org["MasterAccountId"]), str(org["Id"]))
    return out


def patch_account(patch: Patch) -> str:
    """The account a policy lives in ("" when s3why cannot tell)."""
    account = patch.apply.get("account")
    if account:
        return str(account)
    parsed = Arn.parse(patch.target)
    return parsed.account if parsed is not None and parsed.account else ""


def _principal_accounts(patch: Patch) -> set[str]:
    before = {str(s) for s in statements_of(patch.before)}
    out: set[str] = set()
    for st in statements_of(patch.document):
        if str(st) in before or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        values = [v for v in (aws if isinstance(aws, list) else [aws]) if isinstance(v, str)]
        # everyone, unless a condition names whose principals or access points (then those); an endpoint policy
        # only limits what passes through the endpoint, it grants nothing
        if "*" in values:
            grants = patch.apply.get("where") != Where.VPC_ENDPOINT.value
            values = [v for v in values if v != "*"] + ((_condition_accounts(st) or ["*"]) if grants else [])
        if service_names(principal):  # a service acts for the account its source conditions name
            values += [a for a in source_accounts(st) if a]
        for value in values:
            parsed = Arn.parse(value)
            if parsed is not None and parsed.account == "cloudfront":
                # A CloudFront origin access identity (arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity
                # ID) is created in, and belongs to, the distribution owner's account: "cloudfront" is no account.
                continue
            account = parsed.account if parsed is not None else value if value.isdigit() or value == "*" else ""
            if account:
                out.add(account)
    return out


_ACCOUNT_KEYS = frozenset(
    k.lower()
    for k in ("aws:PrincipalArn", "aws:PrincipalAccount", "s3:DataAccessPointArn", "s3:DataAccessPointAccount")
)


def _unsourced_services(patch: Patch) -> list[str]:
    """The service principals the patch grants to without a condition naming whose resource they act for (or
    naming it so that the account cannot be told): the confused-deputy case (IAM User Guide)."""
    before = {str(s) for s in statements_of(patch.before)}
    out: list[str] = []
    for st in statements_of(patch.document):
        if str(st) in before or st.get("Effect") != "Allow" or patch.apply.get("where") == Where.VPC_ENDPOINT.value:
            continue
        services = service_names(st.get("Principal"))
        accounts = source_accounts(st)
        if services and (not accounts or None in accounts):
            out += services
    return out


def _condition_accounts(statement: dict[str, Any]) -> list[str]:
    """The values of the condition keys that name the principal's or the access point's account."""
    condition = statement.get("Condition")
    out: list[str] = []
    for keys in condition.values() if isinstance(condition, dict) else []:
        for key, value in keys.items() if isinstance(keys, dict) else []:
            if str(key).lower() in _ACCOUNT_KEYS:
                out += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    return out


class Accounts:
    """The accounts s3why knows: its configuration's and its organization's."""

    def __init__(self, c: FixContext, configured: frozenset[str]) -> None:
        own = str((c.snapshot.get("caller") or {}).get("Account") or "")  # s3why's own account (sts)
        self.configured = configured | ({own} if own else set())
        self.orgs = _org_ids(c.snapshot)
        self.caller = account_of(c.principal) or ""
        self.owner = c.owner or ""
        self.known = bool(self.configured or self.orgs)

    def ours(self, account: str) -> bool:
        org_of_ours = {self.orgs[a] for a in self.orgs if a in self.configured or a == self.owner}
        return account in self.configured or (account in self.orgs and self.orgs[account] in org_of_ours)

    def owner_of(self, account: str) -> Owner:
        if not account or account in self.configured:
            return Owner.THIS_ACCOUNT
        if self.known and not self.ours(account):
            return Owner.OTHER_COMPANY
        if self.configured:
            return Owner.OTHER_ACCOUNT  # in the organization, not one s3why is configured for
        return Owner.THIS_ACCOUNT if account == self.caller else Owner.OTHER_ACCOUNT

    def words(self, account: str) -> str:
        role = {self.caller: "the caller's account", self.owner: "the resource owner's account"}.get(
            account, "the account"
        )
        if self.caller and account == self.caller == self.owner:
            role = "the account"
        suffix = {
            Owner.OTHER_COMPANY: ", in neither s3why's configuration nor the organization (another company's?)",
            Owner.OTHER_ACCOUNT: ": its administrators make this part",
        }.get(self.owner_of(account), "")
        return f"{role} {account}{suffix}"


_ORGANIZATION_LAYERS = frozenset({"scp", "rcp"})
_SIGNER_SIDE = frozenset({Where.PRINCIPAL_INLINE.value, Where.MANAGED.value})


def place_owners(fixes: list[Fix], c: FixContext, configured: frozenset[str]) -> None:
    """Label each patch with whose change it is; make grants to unknown accounts advice only, high risk."""
    accounts = Accounts(c, configured)
    signed = c.req.presigned is not None
    for fix in fixes:
        for patch in [p for choice in fix.scopes for p in choice.patches] + fix.patches:
            if patch.kind == PatchKind.REQUEST_CHANGE:
                patch.owner, patch.owner_words = Owner.CALLER, "whoever sends the request"
                continue
            if target_of(patch) is None:
                continue
            account = patch_account(patch)
            patch.owner, patch.owner_words = accounts.owner_of(account), accounts.words(account) if account else ""
            if signed and patch.apply.get("where") in _SIGNER_SIDE:
                # S3 authorizes a presigned request as its signer (S3 User Guide, "Sharing objects with presigned
                # URLs"): the signer's own policy changes, made by whoever owns the signer, not the URL's user.
                fix.by_signer = True
                patch.owner_words = f"the URL signer's owner ({c.principal}, in {patch.owner_words or 'its account'})"
        fix.owners = list(dict.fromkeys(p.owner_words for p in fix.patches if p.owner_words))
        if fix.layer in _ORGANIZATION_LAYERS:
            fix.owners.append("the organization's administrators (SCPs and RCPs are set in its management account)")
        if fix.never_automatic:
            continue
        deputies = sorted({s for p in fix.patches if target_of(p) is not None for s in _unsourced_services(p)})
        if deputies:
            fix.risk, fix.verified = Risk.HIGH, False
            fix.never_automatic = (
                f"s3why does not apply a grant to {', '.join(deputies)} without an aws:SourceArn or "
                "aws:SourceAccount condition naming whose resource it acts for: without one the service acts for "
                "any customer (the confused-deputy problem, IAM User Guide). Add the condition first."
            )
            continue
        if not accounts.known:
            continue
        outside = sorted(
            a for p in fix.patches if target_of(p) is not None for a in _principal_accounts(p) if not accounts.ours(a)
        )
        if outside:
            fix.risk, fix.verified = Risk.HIGH, False  # advice: never shown as a verified change to apply
            fix.never_automatic = (
                f"s3why does not apply a grant to account {', '.join(outside)}: it is in neither s3why's "
                "configuration nor the organization, so s3why cannot tell whose it is. Confirm who owns it; "
                "the change below is what the owner of this policy would make."
            )


def who_must_act(fix: Fix) -> str:
    """For people, when it is not simply the account s3why answers for: "part 1: ...; part 2: ..." for a change
    on both sides, else the one owner ("" when there is nothing to say)."""
    if len(fix.owners) > 1:
        return "; ".join(f"part {i}: {o}" for i, o in enumerate(fix.owners, 1))
    if fix.owners and (
        fix.by_signer or any(p.owner in (Owner.OTHER_ACCOUNT, Owner.OTHER_COMPANY) for p in fix.patches)
    ):
        return fix.owners[0]
    return ""


def _partition(arn: str) -> str:
    parsed = Arn.parse(arn)
    return parsed.partition if parsed is not None else ""


def refuse_cross_partition(fixes: list[Fix], c: FixContext) -> None:
    """A principal in one AWS partition (aws, aws-cn, aws-us-gov, ...) never reaches a resource in another: each
    partition is its own set of accounts and credentials (AWS General Reference, "ARNs": partition), so no policy
    change on either side grants it. Such a fix is advice only, high risk, never verified: the request itself must
    go to the partition the resource is in (or the resource must be in the caller's)."""
    target = _partition(c.resource)
    caller = _partition(c.principal)
    for fix in fixes:
        changes = [p for p in fix.patches if p.kind != PatchKind.REQUEST_CHANGE and p.document is not None]
        granted = {_partition(str(p)) for patch in changes for p in _granted_principals(patch)} - {""}
        others = ({caller} if caller else set()) | granted
        outside = sorted(p for p in others if target and p != target)
        if not outside or not changes:
            continue
        fix.risk, fix.verified = Risk.HIGH, False
        fix.never_automatic = (
            f"the principal is in partition {', '.join(outside)} and the resource in {target}: AWS partitions are "
            "separate, so no policy change lets one reach the other. Send the request in the resource's partition "
            "(its credentials and endpoint)."
        )


def _granted_principals(patch: Patch) -> list[str]:
    """The `AWS` principals of the statements a patch adds (the resource side's grantees, as written)."""
    before = {str(s) for s in statements_of(patch.before)}
    out: list[str] = []
    for st in statements_of(patch.document):
        if str(st) in before:
            continue
        principal = st.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        out += [v for v in (aws if isinstance(aws, list) else [aws]) if isinstance(v, str)]
    return out
