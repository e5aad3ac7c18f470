"""The account view: what a snapshot says, as typed facts the diagnosis reads (pure; no AWS here).

Every fact is `present`, `absent` (AWS said there is none: `NoSuchBucketPolicy` and kin), `unknown` (s3why could
not look: its role lacks a permission, or the account is not configured — `detail` says which), or `error`.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field, replace
from typing import Any

from bot.account.calls import DENIED_CODES, THROTTLE_CODES, spec_for
from bot.account.toolbox import AuthorizationRecord, RecordUnavailable, authorization_record
from bot.arn import Arn
from bot.engine.context import org_path, organization_keys

PRESENT, ABSENT, UNKNOWN, ERROR = "present", "absent", "unknown", "error"


@dataclass(frozen=True)
class Fact:
    status: str
    value: Any = None
    detail: str = ""
    permission: str | None = None  # for unknown facts: the permission s3why's role lacks
    account: str | None = None
    code: str | None = None  # AWS's error code when the call failed (NoSuchBucket, NoSuchEntity, ...)

    @property
    def present(self) -> bool:
        return self.status == PRESENT

    @property
    def known(self) -> bool:
        return self.status in (PRESENT, ABSENT)


NOT_READ = "NotRead"  # s3why chose not to read it (object heads without the opt-in): the message says why


_DOES_NOT_EXIST = {"NoSuchBucket": "the bucket does not exist", "NoSuchEntity": "it does not exist"}


def fact(answer: Any, service: str, operation: str, account: str | None, *, what: str) -> Fact:
    """Classify one call's answer."""
    spec = spec_for(service, operation)
    if answer is None:
        return Fact(UNKNOWN, detail=f"{what}: not collected", account=account)
    if not (isinstance(answer, dict) and "Error" in answer):
        return Fact(PRESENT, answer, account=account)
    code = str(answer["Error"].get("Code"))
    message = str(answer["Error"].get("Message", ""))
    if code in _DOES_NOT_EXIST:
        # The thing itself does not exist (not "no policy"): S3 bucket names are global, so NoSuchBucket means no
        # account owns the bucket; IAM's NoSuchEntity means no such role or user in that account.
        return Fact(ABSENT, detail=f"{what}: {_DOES_NOT_EXIST[code]} ({code})", account=account, code=code)
    if code in spec.absent:
        return Fact(ABSENT, detail=f"{what}: none ({code})", account=account, code=code)
    if code in DENIED_CODES or code == "MethodNotAllowed":
        where = f" in account {account}" if account else ""
        return Fact(
            UNKNOWN,
            detail=f"{what}: s3why's role{where} may not read it (needs {spec.action})",
            permission=spec.action,
            account=account,
        )
    if code in ("AccountNotConfigured", "AccountUnknown", NOT_READ):
        return Fact(UNKNOWN, detail=f"{what}: {message}", account=account)
    if code in THROTTLE_CODES:
        return Fact(ERROR, detail=f"{what}: AWS kept throttling the request ({code})", account=account)
    return Fact(ERROR, detail=f"{what}: {code}: {message}".rstrip(": "), account=account)


def policy_doc(value: Any) -> Any:
    """Policy documents arrive as JSON strings (S3, KMS, Organizations), URL-encoded strings, or dicts (IAM)."""
    if isinstance(value, str):
        text = value
        if text.startswith(("%7B", "%7b")):
            text = urllib.parse.unquote(text)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text  # left for the engine to reject with a precise message
    return value


@dataclass(frozen=True)
class NamedPolicy:
    name: str
    document: Any


@dataclass(frozen=True)
class PrincipalView:
    arn: str
    account: str | None
    kind: str | None  # role | user | None (root, federated, service)
    role_arn: str | None = None  # with its path, from GetRole
    policies: tuple[NamedPolicy, ...] = ()
    boundary: NamedPolicy | None = None
    tags: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)  # the snapshot's `principal.session` (see the schema)
    unseen: str | None = None  # why s3why could not read this principal (another account, no role for it)

    @property
    def missing(self) -> bool:
        """IAM answered NoSuchEntity to GetRole / GetUser: the role or user does not exist (any more)."""
        return any(self.facts[n].code == "NoSuchEntity" for n in ("GetRole", "GetUser") if n in self.facts)

    @property
    def session_policy(self) -> Any:
        """The session policy the session was created with (AWS keeps no copy: the snapshot's author gives it)."""
        return self.session.get("policy")


@dataclass(frozen=True)
class ObjectView:
    key: str
    head: Fact
    acl: Fact
    retention: Fact
    legal_hold: Fact

    @property
    def kms_key_id(self) -> str | None:
        return self.head.value.get("SSEKMSKeyId") if self.head.present else None


@dataclass(frozen=True)
class BucketView:
    name: str
    account: str | None
    region: str | None
    facts: dict[str, Fact]
    object: ObjectView | None = None

    def get(self, name: str) -> Fact:
        return self.facts.get(name, Fact(UNKNOWN, detail=f"{name}: not collected"))

    @property
    def missing(self) -> bool:
        """S3 answered NoSuchBucket to a read of this bucket: it does not exist (in any account)."""
        return any(f.code == "NoSuchBucket" for f in self.facts.values())

    @property
    def policy(self) -> Fact:
        f = self.get("GetBucketPolicy")
        return Fact(f.status, policy_doc(f.value["Policy"]), f.detail, f.permission, f.account) if f.present else f


@dataclass(frozen=True)
class KeyView:
    arn: str
    account: str | None
    metadata: Fact
    policy: Fact
    grants: Fact
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def aws_managed(self) -> bool:
        """An AWS managed key (aws/s3 and kin): its key policy admits only its own account, through the service."""
        manager = self.metadata.value.get("KeyManager") if self.metadata.present else None
        return manager == "AWS" or any(a.startswith("alias/aws/") for a in self.aliases)


@dataclass(frozen=True)
class OrgLevel:
    target: str
    scps: Fact  # value: tuple[NamedPolicy, ...]
    rcps: Fact


@dataclass(frozen=True)
class OrgView:
    account: str
    membership: Fact
    levels: tuple[OrgLevel, ...] = ()

    @property
    def _organization(self) -> dict[str, Any]:
        value = self.membership.value if self.membership.present else None
        org = value.get("Organization") if isinstance(value, dict) else None
        return org if isinstance(org, dict) else {}

    @property
    def org_id(self) -> str | None:
        """The organization's id (`o-...`), when the account is a member and s3why could read it."""
        return self._organization.get("Id") or None

    @property
    def management_account(self) -> str | None:
        """The organization's management account (`MasterAccountId` in DescribeOrganization)."""
        return self._organization.get("MasterAccountId") or None

    @property
    def org_path(self) -> tuple[str, str] | None:
        """(org id, `o-id/r-root/ou-.../`) when the whole path from the root was read, else None."""
        org_id = self.org_id
        targets = [level.target for level in self.levels]
        if not org_id or not any(t.startswith("r-") for t in targets):
            return None
        return org_id, org_path(org_id, targets)


@dataclass(frozen=True)
class AccountView:
    caller_account: str | None
    principal: PrincipalView | None = None
    bucket: BucketView | None = None
    keys: dict[str, KeyView] = field(default_factory=dict)
    vpc_endpoint: Fact | None = None
    access_point: dict[str, Fact] | None = None
    organizations: dict[str, OrgView] = field(default_factory=dict)
    vpc_endpoint_owner: str | None = None  # the endpoint's OwnerId (DescribeVpcEndpoints)
    # AWS's record of the denial (iam-toolbox), or why there is none; None: the snapshot has no such part.
    authorization: AuthorizationRecord | RecordUnavailable | None = None
    # A Multi-Region Access Point the request went through: GetMultiRegionAccessPoint (its name, alias, regions and
    # Block Public Access) and GetMultiRegionAccessPointPolicy, as s3control answers them.
    multi_region_access_point: dict[str, Fact] | None = None

    def derived_context(
        self, *, principal_account: str | None, resource_account: str | None, through_endpoint: bool
    ) -> dict[str, tuple[str, ...]]:
        """Keys AWS sets that s3why can derive from what it read (bot.engine.context.organization_keys).

        aws:PrincipalOrgID/aws:PrincipalOrgPaths from the caller's organization, aws:ResourceOrgID/
        aws:ResourceOrgPaths from the resource owner's, aws:VpceAccount/aws:VpceOrgID from the endpoint's owner
        when the request went through the endpoint. An organization that could not be read derives nothing.
        """

        def org_of(account: str | None) -> OrgView | None:
            for org in self.organizations.values():
                if account is not None and org.account == account and org.org_id:
                    return org
            return None

        def ids(org: OrgView | None) -> tuple[str, str] | None:
            if org is None or org.org_id is None:
                return None
            return org.org_path or (org.org_id, "")

        p_org, r_org = ids(org_of(principal_account)), ids(org_of(resource_account))
        vpce_account = self.vpc_endpoint_owner if through_endpoint else None
        vpce_org = ids(org_of(vpce_account)) if vpce_account else None
        keys = organization_keys(
            principal_org=p_org,
            resource_org=r_org,
            vpce_account=vpce_account,
            vpce_org=vpce_org[0] if vpce_org else None,
        )
        # A path that could not be read is left absent rather than guessed.
        return {k: v for k, v in keys.items() if v != ("",)}

    def unknowns(self) -> list[Fact]:
        """Every fact s3why could not establish, for the "what s3why could not see" part of a diagnosis."""
        out: list[Fact] = []
        if self.principal:
            out += [f for f in self.principal.facts.values() if not f.known]
        if self.bucket:
            out += [f for f in self.bucket.facts.values() if not f.known]
            if self.bucket.object:
                o = self.bucket.object
                out += [f for f in (o.head, o.acl, o.retention, o.legal_hold) if not f.known]
        for k in self.keys.values():
            out += [f for f in (k.metadata, k.policy, k.grants) if not f.known]
        for org in self.organizations.values():
            out += [f for f in (org.membership,) if not f.known]
            for level in org.levels:
                out += [f for f in (level.scps, level.rcps) if not f.known]
        return out


# -----------------------------------------------------------------------------------------------------------
def _principal_view(data: dict[str, Any]) -> PrincipalView:
    arn_text = str(data.get("arn"))
    account = data.get("account")
    kind = data.get("kind")
    calls = data.get("calls") or {}
    facts: dict[str, Fact] = {}
    policies: list[NamedPolicy] = []
    boundary: NamedPolicy | None = None
    role_arn = None
    tags: dict[str, str] = {}
    if kind in ("role", "user"):
        getter = "GetRole" if kind == "role" else "GetUser"
        entity = fact(calls.get(getter), "iam", getter, account, what=f"the {kind}")
        facts[getter] = entity
        record = (entity.value or {}).get("Role" if kind == "role" else "User") or {}
        role_arn = record.get("Arn") if kind == "role" else None
        tags = {t["Key"]: t["Value"] for t in record.get("Tags", []) if "Key" in t}
        boundary_arn = (record.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        inline_list = "ListRolePolicies" if kind == "role" else "ListUserPolicies"
        inline_get = "GetRolePolicy" if kind == "role" else "GetUserPolicy"
        facts[inline_list] = fact(
            calls.get(inline_list), "iam", inline_list, account, what=f"the {kind}'s inline policies"
        )
        for name, answer in (calls.get("RolePolicies" if kind == "role" else "UserPolicies") or {}).items():
            f = fact(answer, "iam", inline_get, account, what=f"inline policy {name}")
            facts[f"{inline_get}:{name}"] = f
            if f.present:
                policies.append(NamedPolicy(f"inline:{name}", policy_doc(f.value.get("PolicyDocument"))))
        attached_list = "ListAttachedRolePolicies" if kind == "role" else "ListAttachedUserPolicies"
        attached = fact(calls.get(attached_list), "iam", attached_list, account, what=f"the {kind}'s managed policies")
        facts[attached_list] = attached
        attached_arns = [p["PolicyArn"] for p in (attached.value or {}).get("AttachedPolicies", [])]
        group_managed: list[str] = []
        for group, gdata in (calls.get("Groups") or {}).items():
            for name, answer in (gdata.get("GroupPolicies") or {}).items():
                f = fact(answer, "iam", "GetGroupPolicy", account, what=f"group {group} policy {name}")
                facts[f"GetGroupPolicy:{group}:{name}"] = f
                if f.present:
                    policies.append(NamedPolicy(f"group:{group}:{name}", policy_doc(f.value.get("PolicyDocument"))))
            listing = gdata.get("ListAttachedGroupPolicies") or {}
            group_managed += [p["PolicyArn"] for p in listing.get("AttachedPolicies", [])]
        for policy_arn, pdata in (calls.get("Policies") or {}).items():
            version = fact(
                pdata.get("GetPolicyVersion"), "iam", "GetPolicyVersion", account, what=f"policy {policy_arn}"
            )
            facts[f"GetPolicyVersion:{policy_arn}"] = version
            if not version.present:
                continue
            doc = policy_doc((version.value.get("PolicyVersion") or {}).get("Document"))
            named = NamedPolicy(policy_arn, doc)
            if policy_arn == boundary_arn:
                boundary = named
            if policy_arn in attached_arns or policy_arn in group_managed:
                policies.append(named)
    raw_session = data.get("session")
    session: dict[str, Any] = raw_session if isinstance(raw_session, dict) else {}
    raw_tags = session.get("tags")
    session_tags: dict[str, Any] = raw_tags if isinstance(raw_tags, dict) else {}
    tags = {**tags, **{str(k): str(v) for k, v in session_tags.items()}}  # session tags win over the role's
    unseen = data.get("unseen") if isinstance(data.get("unseen"), str) else None
    if unseen is not None:
        # A principal s3why could not read: its identity layer is unknown for the reason given, not "not collected".
        facts = {"unseen": Fact(UNKNOWN, detail=f"principal {arn_text}: {unseen}", account=account)}
        policies, boundary = [], None
    return PrincipalView(arn_text, account, kind, role_arn, tuple(policies), boundary, tags, facts, session, unseen)


def _bucket_view(data: dict[str, Any]) -> BucketView:
    account = data.get("account")
    facts = {
        name: fact(answer, "s3", name, account, what=f"bucket {data.get('name')}: {name}")
        for name, answer in (data.get("calls") or {}).items()
    }
    for name, answer in (data.get("account_calls") or {}).items():
        facts[f"account:{name}"] = fact(
            answer, "s3control", name, account, what=f"account {account} Block Public Access"
        )
    obj = None
    if isinstance(data.get("object"), dict):
        o = data["object"]
        calls = o.get("calls") or {}
        key = str(o.get("key"))

        def f(name: str) -> Fact:
            return fact(calls.get(name), "s3", name, account, what=f"object {key}: {name}")

        head = f("HeadObject")
        retention = (
            _unwrapped(f("GetObjectRetention"), "Retention")
            if "GetObjectRetention" in calls
            else _lock_fact(head, "retention")
        )
        legal_hold = (
            _unwrapped(f("GetObjectLegalHold"), "LegalHold")
            if "GetObjectLegalHold" in calls
            else _lock_fact(head, "legal hold")
        )
        obj = ObjectView(key, head, f("GetObjectAcl"), retention, legal_hold)
    return BucketView(str(data.get("name")), account, data.get("region"), facts, obj)


def _unwrapped(answer: Fact, member: str) -> Fact:
    """GetObjectRetention and GetObjectLegalHold answer `{"Retention": {"Mode", "RetainUntilDate"}}` and
    `{"LegalHold": {"Status"}}` (S3 API Reference): the member itself, the shape `_lock_fact` gives from HeadObject.
    A snapshot that already holds the member (older s3why, hand-written) is taken as it is."""
    if not answer.present or not isinstance(answer.value, dict) or member not in answer.value:
        return answer
    inner = answer.value.get(member)
    return replace(answer, value=inner if isinstance(inner, dict) else {})


def _lock_fact(head: Fact, what: str) -> Fact:
    """Retention and legal hold as HeadObject reports them (absent when it names none)."""
    if not head.present:
        return Fact(head.status, detail=f"object {what}: unknown ({head.detail})", account=head.account)
    if what == "retention":
        mode = head.value.get("ObjectLockMode")
        if not mode:
            return Fact(ABSENT, detail="no retention on this version", account=head.account)
        until = head.value.get("ObjectLockRetainUntilDate")
        return Fact(PRESENT, {"Mode": mode, "RetainUntilDate": until}, account=head.account)
    status = head.value.get("ObjectLockLegalHoldStatus")
    if not status:
        return Fact(ABSENT, detail="no legal hold on this version", account=head.account)
    return Fact(PRESENT, {"Status": status}, account=head.account)


def _key_view(arn: str, data: dict[str, Any]) -> KeyView:
    account = data.get("account")
    calls = data.get("calls") or {}
    policy = fact(calls.get("GetKeyPolicy"), "kms", "GetKeyPolicy", account, what=f"key policy of {arn}")
    if policy.present:
        policy = Fact(PRESENT, policy_doc(policy.value.get("Policy")), account=account)
    grants = fact(calls.get("ListGrants"), "kms", "ListGrants", account, what=f"grants of {arn}")
    if grants.present:
        grants = Fact(PRESENT, tuple(grants.value.get("Grants", [])), account=account)
    meta = fact(calls.get("DescribeKey"), "kms", "DescribeKey", account, what=f"key {arn}")
    if meta.present:
        meta = Fact(PRESENT, meta.value.get("KeyMetadata", {}), account=account)
    aliases_answer = calls.get("ListAliases")
    aliases = tuple(
        a.get("AliasName", "") for a in (aliases_answer or {}).get("Aliases", []) if isinstance(aliases_answer, dict)
    )
    tags_answer = calls.get("ListResourceTags") or {}
    tags = (
        {t["TagKey"]: t["TagValue"] for t in tags_answer.get("Tags", []) if "TagKey" in t}
        if isinstance(tags_answer, dict)
        else {}
    )
    return KeyView(arn, account, meta, policy, grants, aliases, tags)


def _org_view(data: dict[str, Any]) -> OrgView:
    account = str(data.get("account"))
    calls = data.get("calls") or {}
    reader_note = "(read from the management account or a delegated administrator)"
    membership = fact(
        calls.get("DescribeOrganization"), "organizations", "DescribeOrganization", account, what="organization"
    )
    levels = []
    for level in data.get("levels") or []:

        def policies(kind: str, level: dict[str, Any] = level) -> Fact:
            raw = level.get(kind)
            if isinstance(raw, dict):  # an error listing the policies
                return fact(
                    raw,
                    "organizations",
                    "ListPoliciesForTarget",
                    None,
                    what=f"{kind} of {level['target']} {reader_note}",
                )
            named = []
            for answer in raw or []:
                f = fact(answer, "organizations", "DescribePolicy", None, what=f"{kind} of {level['target']}")
                if not f.present:
                    return f
                summary = (f.value.get("Policy") or {}).get("PolicySummary") or {}
                content = (f.value.get("Policy") or {}).get("Content")
                named.append(NamedPolicy(summary.get("Name") or summary.get("Id") or "policy", policy_doc(content)))
            return Fact(PRESENT, tuple(named))

        levels.append(
            OrgLevel(str(level.get("target")), policies("SERVICE_CONTROL_POLICY"), policies("RESOURCE_CONTROL_POLICY"))
        )
    if "ListParents" in calls and not levels:
        answer = calls["ListParents"]
        code = (answer.get("Error") or {}).get("Code") if isinstance(answer, dict) else None
        org_id = ((membership.value or {}).get("Organization") or {}).get("Id") if membership.present else None
        if code == "ChildNotFoundException":
            # Not in the organization s3why reads: the account may still be in another one, whose SCPs and
            # RCPs s3why cannot see (Organizations API Reference, ListParents: ChildNotFoundException).
            membership = Fact(
                UNKNOWN,
                detail=f"account {account} is not in the organization s3why reads"
                + (f" ({org_id})" if org_id else "")
                + ": the policies of its own organization, if it is in one, were not read",
                account=account,
            )
        else:
            membership = fact(answer, "organizations", "ListParents", None, what=f"organization path {reader_note}")
    return OrgView(account, membership, tuple(levels))


def account_view(snapshot: dict[str, Any]) -> AccountView:
    """Interpret a snapshot (live or hand-written) into the facts the diagnosis reads."""
    principal = _principal_view(snapshot["principal"]) if isinstance(snapshot.get("principal"), dict) else None
    bucket = _bucket_view(snapshot["bucket"]) if isinstance(snapshot.get("bucket"), dict) else None
    keys = {arn: _key_view(arn, data) for arn, data in (snapshot.get("kms") or {}).items()}
    vpce = None
    vpce_owner: str | None = None
    if isinstance(snapshot.get("vpc_endpoint"), dict):
        v = snapshot["vpc_endpoint"]
        f = fact(
            (v.get("calls") or {}).get("DescribeVpcEndpoints"),
            "ec2",
            "DescribeVpcEndpoints",
            v.get("account"),
            what=f"endpoint {v.get('id')}",
        )
        if f.present:
            endpoints = f.value.get("VpcEndpoints") or []
            vpce_owner = str(endpoints[0].get("OwnerId") or "") or None if endpoints else None
            f = Fact(
                PRESENT,
                policy_doc(endpoints[0].get("PolicyDocument")) if endpoints else None,
                account=v.get("account"),
            )
        vpce = f
    access_point = None
    if isinstance(snapshot.get("access_point"), dict):
        a = snapshot["access_point"]
        calls = a.get("calls") or {}
        access_point = {
            name: fact(
                calls.get(name), "s3control", name, a.get("account"), what=f"access point {a.get('name')}: {name}"
            )
            for name in ("GetAccessPoint", "GetAccessPointPolicy")
        }
    orgs = {k: _org_view(v) for k, v in (snapshot.get("organization") or {}).items() if isinstance(v, dict) and v}
    caller = (snapshot.get("caller") or {}).get("Account")
    auth = snapshot.get("authorization")
    record = authorization_record(auth) if isinstance(auth, dict) else None
    mrap = None
    if isinstance(snapshot.get("multi_region_access_point"), dict):
        m = snapshot["multi_region_access_point"]
        calls = m.get("calls") or {}
        mrap = {
            name: fact(
                calls.get(name),
                "s3control",
                name,
                m.get("account"),
                what=f"Multi-Region Access Point {m.get('name') or m.get('alias')}: {name}",
            )
            for name in ("GetMultiRegionAccessPoint", "GetMultiRegionAccessPointPolicy")
        }
    return AccountView(
        caller, principal, bucket, keys, vpce, access_point, orgs, vpce_owner, record, multi_region_access_point=mrap
    )


def arn_account(text: str | None) -> str | None:
    arn = Arn.parse(text) if text else None
    return arn.account or None if arn else None
