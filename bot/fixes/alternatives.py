"""The fixes the field uses where a grant cannot help, each from AWS's guidance for its layer (issue 20 §3):

- an object another account owns (ObjectWriter / BucketOwnerPreferred): Object Ownership `BucketOwnerEnforced`;
- an object under GOVERNANCE retention: `s3:BypassGovernanceRetention` for the principal *and* the
  `x-amz-bypass-governance-retention` header (one fix, two parts; COMPLIANCE retention has no fix);
- another account's AWS managed key (aws/s3), whose policy nobody can change: the bucket's default encryption
  with a customer managed key of the bucket's account, and that key's policy granting the reader (two parts);
- a Deny on the network path the request cannot take (aws:SourceIp, which a request through a VPC endpoint does
  not carry): the Deny narrowed to exempt the request's endpoint (aws:SourceVpce / aws:SourceVpc), never removed;
- an Allow whose principal is a unique id (AROA…, AIDA…: the role or user was deleted, and AWS shows its id):
  the statement's principal restored to the principal's ARN, every action of the statement with it;
- an identity statement that lists object actions on the bucket's ARN (where no object action applies): every
  object action it lists granted on the bucket's objects, the resource the statement meant;
- an Allow that would grant the request but for its condition on something the sender controls (a header such as
  `x-amz-acl: bucket-owner-full-control` or the encryption headers, HTTPS, the VPC endpoint): the request meeting
  the condition, which is what the policy's author asked for; a new grant without it would undo the condition.

Each returns a `Fix` that verification then checks like any other (bot/fixes/verify.py).
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from bot.account.view import account_view
from bot.arn import s3_arn
from bot.diagnose import RootCause
from bot.fixes.context import FixContext, account_of, action_listed, statement_sid, statements_of
from bot.fixes.model import Fix, Patch, PatchKind, Risk
from bot.fixes.request_params import parameter_for
from bot.fixes.scope import BUCKET
from bot.fixes.targets import TargetInput, encryption, identity, key, ownership
from bot.fixes.targets import bucket as bucket_target
from bot.fixes.values import kms_actions
from bot.s3ops import ResourceKind, lookup_operation, operations_for_action

# IAM User Guide, "IAM identifiers" (unique identifiers): AIDA users, AROA roles, AGPA groups, ANPA managed policies.
# A resource policy that named a role or user that was deleted shows the unique id in its place ("If you delete
# the role and recreate it, the policy shows the old unique id and no longer applies").
_UNIQUE_ID = re.compile(r"^A(?:RO|ID)A[A-Z0-9]{12,}$")

# Condition keys that describe the network path a request takes (IAM User Guide, "AWS global condition context
# keys"): a request through a VPC endpoint carries aws:SourceVpce, aws:SourceVpc and aws:VpcSourceIp, and no
# aws:SourceIp. A Deny that tests a key the path never carries is exempted for the path the request took.
_PATH_KEYS = ("aws:SourceVpce", "aws:SourceVpc")
_IP_KEYS = frozenset({"aws:sourceip"})


def alternative_fixes(c: FixContext) -> list[Fix]:
    """The field's alternatives for every root cause of the diagnosis (the fixes to consider first)."""
    out: list[Fix] = []
    for cause in c.diagnosis.root_causes:
        if cause.evidence.get("reproduced") is False:
            continue
        for build in (
            _ownership,
            _governance_bypass,
            _customer_managed_key,
            _deny_exempting_path,
            _stale_principal,
            _object_actions_on_bucket_arn,
            _meet_allow_condition,
        ):
            fix = build(cause, c)
            if fix is not None:
                out.append(fix)
    return out


def _inp(c: FixContext, key_arn: str = "") -> TargetInput:
    return TargetInput(c.snapshot, c.principal_policy_arn, key_arn)


def _bucket_calls(c: FixContext) -> dict[str, Any]:
    return dict((c.snapshot.get("bucket") or {}).get("calls") or {})


# --- Object Ownership -------------------------------------------------------------------------------------------
def _foreign_acl_grants(c: FixContext) -> list[str]:
    """The bucket ACL's grants to anyone but the owner: AWS refuses BucketOwnerEnforced while they exist."""
    acl = _bucket_calls(c).get("GetBucketAcl") or {}
    owner = (acl.get("Owner") or {}).get("ID")
    out = []
    for g in acl.get("Grants") or []:
        grantee = g.get("Grantee") or {}
        who = grantee.get("ID") or grantee.get("URI") or grantee.get("EmailAddress")
        if who and who != owner:
            out.append(f"{g.get('Permission')} to {who}")
    return out


def _ownership(cause: RootCause, c: FixContext) -> Fix | None:
    current = cause.evidence.get("object_ownership")
    if cause.layer.value != "acl" or current not in ("ObjectWriter", "BucketOwnerPreferred"):
        return None
    title = "Enforce bucket owner ownership (Object Ownership BucketOwnerEnforced)"
    explanation = (
        f"Object Ownership is {current}, so an object another account uploads is that account's and only its ACL "
        "can grant access to it. BucketOwnerEnforced disables ACLs: the bucket owner owns every object in the "
        "bucket, existing ones included, and the bucket policy and IAM decide access. What else it changes: object "
        "and bucket ACLs stop granting anything (grants to other accounts in them must move to the bucket policy "
        "first), and uploads that send an ACL other than bucket-owner-full-control fail with "
        'AccessControlListNotSupported. (S3 User Guide, "Controlling ownership of objects and disabling ACLs".)'
    )
    blocking = _foreign_acl_grants(c)
    if blocking:
        return Fix(
            "object-ownership-enforced",
            cause.layer.value,
            Risk.HIGH,
            False,
            [],
            title,
            explanation,
            reason="AWS refuses BucketOwnerEnforced while the bucket ACL grants "
            + "; ".join(blocking)
            + " (InvalidBucketAclWithObjectOwnership): move those grants to the bucket policy and reset the ACL first",
        )
    patch = ownership.TARGET.setting_patch(_inp(c), ownership.ENFORCED)
    if patch is None:
        return None
    return Fix("object-ownership-enforced", cause.layer.value, Risk.MEDIUM, False, [patch], title, explanation)


# --- Object Lock GOVERNANCE ---------------------------------------------------------------------------------------
def _governance_bypass(cause: RootCause, c: FixContext) -> Fix | None:
    ev = cause.evidence
    if cause.layer.value != "object-lock" or ev.get("mode") != "GOVERNANCE":
        return None  # COMPLIANCE retention: nobody can shorten it, the cause says so; no fix exists
    if c.owner is not None and account_of(c.principal) != c.owner:
        return None  # another account's principal: a bucket policy grant would be needed as well
    patches: list[Patch] = []
    if not ev.get("bypass_permission"):
        statement = {
            "Sid": statement_sid("bypass-governance", c.principal_policy_arn, c.resource),
            "Effect": "Allow",
            "Action": "s3:BypassGovernanceRetention",
            "Resource": c.resource,
        }
        patch = identity.TARGET.patch(_inp(c), statement)
        if patch is None:
            return None
        patches.append(patch)
    if not ev.get("bypass_header"):
        param = parameter_for(c.req.operation, "s3:x-amz-bypass-governance-retention")
        if param is None:
            return None  # the operation takes no bypass header: only deleting a version or PutObjectRetention do
        patches.append(
            Patch(
                "request",
                PatchKind.REQUEST_CHANGE,
                None,
                param.how_to_send("true"),
                apply={"context": {"x-amz-bypass-governance-retention": "true"}},
            )
        )
    granted = any(p.kind != PatchKind.REQUEST_CHANGE for p in patches)
    header = any(p.kind == PatchKind.REQUEST_CHANGE for p in patches)
    if granted and header:
        title = "Let the principal bypass GOVERNANCE retention on this object, and send the bypass header"
    elif granted:
        title = "Let the principal bypass GOVERNANCE retention on this object (the request sends the bypass header)"
    else:
        title = "Send the bypass header (the principal already has s3:BypassGovernanceRetention)"
    return Fix(
        "object-lock-bypass-governance",
        cause.layer.value,
        Risk.HIGH,
        False,
        patches,
        title,
        f"The version is under GOVERNANCE retention until {ev.get('retain_until')}. Deleting it (or shortening its "
        "retention) needs both s3:BypassGovernanceRetention and the x-amz-bypass-governance-retention: true header "
        "on the request"
        + ("; the grant covers exactly this object" if granted else "; the principal already has the permission")
        + '. COMPLIANCE retention has no such way out. (S3 User Guide, "Bypassing governance mode".)',
    )


# --- AWS managed key of another account ---------------------------------------------------------------------------
def _customer_keys(c: FixContext, account: str, region: str) -> list[str]:
    out = []
    for arn, entry in sorted((c.snapshot.get("kms") or {}).items()):
        meta = ((entry.get("calls") or {}).get("DescribeKey") or {}).get("KeyMetadata") or {}
        if (
            meta.get("KeyManager") == "CUSTOMER"
            and meta.get("Enabled", True)
            and f":{account}:" in arn
            and f":{region}:" in arn
            and "GetKeyPolicy" in (entry.get("calls") or {})
        ):
            out.append(arn)
    return out


def _customer_managed_key(cause: RootCause, c: FixContext) -> Fix | None:
    if cause.layer.value != "kms" or "AWS managed key" not in cause.summary or not c.bucket or not c.owner:
        return None
    region = str((c.snapshot.get("bucket") or {}).get("region") or "")
    title = "Encrypt the bucket's new objects with a customer managed key that admits the reader"
    keys = _customer_keys(c, c.owner, region)
    base = (
        "An AWS managed key's policy cannot be changed, so no other account can ever decrypt with it (KMS "
        'Developer Guide, "AWS managed keys"). The bucket owner makes a customer managed key the bucket\'s default '
        "encryption and grants the reader's principal kms:Decrypt on it through S3 (one fix, two parts). Default "
        "encryption applies to objects written after the change: existing objects keep aws/s3 until they are "
        "copied again"
    )
    if not keys:
        missing = (
            f"s3why read no customer managed key of account {c.owner} in {region}: create one, then this fix can be "
            "proposed and verified"
        )
        return Fix(
            "kms-customer-managed-key",
            cause.layer.value,
            Risk.MEDIUM,
            False,
            [],
            title,
            base + ".",
            never_automatic=missing,
            reason=missing,
        )
    cmk = keys[0]
    enc = encryption.TARGET.setting_patch(_inp(c, cmk), "aws:kms", cmk, _bucket_key_enabled(c))
    statement = {
        "Sid": statement_sid("cmk-reader", c.principal_policy_arn, cmk),
        "Effect": "Allow",
        "Principal": {"AWS": c.principal_policy_arn},
        "Action": kms_actions(c, cause) or ["kms:Decrypt"],
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
    }
    grant = key.TARGET.patch(_inp(c, cmk), statement)
    if enc is None or grant is None:
        return None
    prefix = c.workload.prefix if c.workload.prefix is not None else ""
    copy_again = (
        f"aws s3 cp s3://{c.bucket}/{prefix} s3://{c.bucket}/{prefix} --recursive --sse aws:kms --sse-kms-key-id {cmk}"
    )
    fix = Fix(
        "kms-customer-managed-key",
        cause.layer.value,
        Risk.MEDIUM,
        False,
        [enc, grant],
        title,
        f"{base}; the bucket owner re-encrypts the ones the reader needs: {copy_again}",
    )
    fix.new_objects = True
    fix.reach = "bucket"  # every new object of the bucket: the next object of the workload must be allowed
    return fix


def _bucket_key_enabled(c: FixContext) -> bool:
    enc = _bucket_calls(c).get("GetBucketEncryption") or {}
    rules = (enc.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    return bool(rules and rules[0].get("BucketKeyEnabled"))


# --- a Deny on a network path the request cannot take -----------------------------------------------------------
def _path_of(c: FixContext) -> tuple[str, str] | None:
    """(condition key, value) of the network path the request took, when it came through a VPC endpoint."""
    for wanted in _PATH_KEYS:
        for k, values in c.options.context.items():
            if k.lower() == wanted.lower() and values and values[0]:
                return wanted, str(values[0])
    return None


def _deny_exempting_path(cause: RootCause, c: FixContext) -> Fix | None:
    ev = cause.evidence
    cond = ev.get("condition") or {}
    statement = ev.get("statement")
    if cause.kind != "explicit" or cause.layer.value != "bucket-policy" or not isinstance(statement, dict):
        return None
    if str(cond.get("key", "")).lower() not in _IP_KEYS or cond.get("request_values"):
        return None  # the request carried the key: meeting the condition is the request's change, not this one
    path = _path_of(c)
    index = ev.get("statement_index")
    if path is None or not isinstance(index, int):
        return None
    key_name, value = path
    narrowed = copy.deepcopy(statement)
    conditions = narrowed.setdefault("Condition", {})
    block = conditions.setdefault("StringNotEquals", {})
    existing = block.get(key_name)
    values = existing if isinstance(existing, list) else [existing] if existing else []
    block[key_name] = [*values, value] if values else value
    patch = bucket_target.TARGET.patch(_inp(c), narrowed, at=index)
    if patch is None:
        return None
    sid = statement.get("Sid") or f"statement {index}"
    fix = Fix(
        "deny-exempt-network-path",
        cause.layer.value,
        Risk.MEDIUM,
        False,
        [patch],
        f"Exempt requests through {value} from the Deny {sid}",
        f"The Deny {sid} tests aws:SourceIp, which a request through a VPC endpoint does not carry (it carries "
        f'{key_name} and aws:VpcSourceIp instead; IAM User Guide, "AWS global condition context keys"), so it '
        f"denies every request on that path. The Deny stays; it also requires {key_name} to differ from {value}, so "
        "requests through that endpoint are no longer denied by it and every other request is denied as before.",
    )
    fix.intended_actions = tuple(_listed(statement.get("Action")))
    return fix


# --- a principal that no longer exists -----------------------------------------------------------------------------
def _stale_principal(cause: RootCause, c: FixContext) -> Fix | None:
    if cause.layer.value != "bucket-policy" or cause.kind != "implicit" or not c.principal_policy_arn:
        return None
    view = account_view(c.snapshot)
    if view.bucket is None or not view.bucket.policy.present:
        return None
    for index, st in enumerate(statements_of(view.bucket.policy.value)):
        who = st.get("Principal")
        if not isinstance(who, dict):
            continue
        aws = who.get("AWS")
        names = aws if isinstance(aws, list) else [aws] if isinstance(aws, str) else []
        stale = [n for n in names if isinstance(n, str) and _UNIQUE_ID.match(n)]
        if st.get("Effect") != "Allow" or not stale or "NotAction" in st:
            continue
        if not all(action_listed(st.get("Action"), a) for a in c.actions):
            continue
        restored = copy.deepcopy(st)
        kept = [n for n in names if n not in stale]
        restored["Principal"] = {**who, "AWS": [*kept, c.principal_policy_arn] if kept else c.principal_policy_arn}
        patch = bucket_target.TARGET.patch(_inp(c), restored, at=index)
        if patch is None:
            return None
        sid = st.get("Sid") or f"statement {index}"
        actions = st.get("Action")
        listed = ", ".join(actions) if isinstance(actions, list) else str(actions)
        sso = "/aws-reserved/sso.amazonaws.com/" in c.principal_policy_arn
        fix = Fix(
            "restore-stale-principal",
            cause.layer.value,
            Risk.MEDIUM,
            False,
            [patch],
            f"Name the principal in {sid} by its ARN again",
            f"The bucket policy's {sid} names {', '.join(stale)}: a unique id, which is what AWS shows once the role "
            "or user a policy named is deleted; a re-created one has a new id, so the statement matches nobody and "
            f"every action it allowed ({listed}) is denied. If it named {c.principal_policy_arn} before, naming it "
            'again restores the whole statement. (IAM User Guide, "IAM identifiers": unique identifiers.)'
            + (
                " An IAM Identity Center role is re-created whenever its permission set is re-provisioned: the account "
                "as Principal with an ArnLike aws:PrincipalArn condition on AWSReservedSSO_<set>_* survives that."
                if sso
                else ""
            ),
        )
        fix.intended_actions = tuple(_listed(actions))
        return fix
    return None


# --- object actions on the bucket's ARN ----------------------------------------------------------------------------
def _object_actions_on_bucket_arn(cause: RootCause, c: FixContext) -> Fix | None:
    """The statement the diagnosis found allowing the action on the bucket's ARN, not its objects: object actions
    act on `arn:aws:s3:::BUCKET/KEY` (Service Authorization Reference, Amazon S3, resource type `object`), so every
    object action the statement lists is denied, not only the one that failed. The fix grants exactly those
    actions on the bucket's objects (the statement's own bucket), beside the statement, which stays as it is."""
    ev = cause.evidence
    statement = ev.get("statement")
    if cause.layer.value != "identity" or cause.kind != "implicit" or not isinstance(statement, dict):
        return None
    if not c.bucket or c.req.key is None or not c.principal_policy_arn or c.snapshot.get("access_point"):
        return None
    if statement.get("Effect") != "Allow" or {"Condition", "NotAction", "NotResource"} & set(statement):
        return None  # a condition would have to come along: not this rewrite
    bucket_arn = s3_arn(c.bucket)
    if bucket_arn not in _listed(statement.get("Resource")):
        return None
    actions = [a for a in _listed(statement.get("Action")) if _object_action(a)]
    if not actions or not all(action_listed(actions, a) for a in c.actions):
        return None
    resource = f"{bucket_arn}/*"
    grant = {
        "Sid": statement_sid("object-actions-on-objects", actions, resource, c.principal_policy_arn),
        "Effect": "Allow",
        "Action": actions,
        "Resource": [resource],
    }
    patch = identity.TARGET.patch(_inp(c), grant)
    if patch is None:
        return None
    which = statement.get("Sid") or f"Statement[{ev.get('statement_index')}]"
    where = f"statement {which} of {ev.get('policy')}" if ev.get("policy") else f"statement {which}"
    fix = Fix(
        "object-actions-on-objects",
        cause.layer.value,
        Risk.LOW,
        False,
        [patch],
        f"Give the object actions of {where} the bucket's objects as their resource",
        f"{where} allows {', '.join(actions)} on {bucket_arn}, the bucket's ARN; object actions act on the "
        f"bucket's objects ({resource}), so all of them are denied, not only {', '.join(c.actions)}. This grants "
        f"exactly those actions on {resource}, the resource the statement meant; bucket actions such as "
        "s3:ListBucket stay on the bucket's ARN.",
    )
    fix.intended_actions = tuple(actions)
    fix.reach = BUCKET
    fix.side = "identity"
    return fix


def _object_action(action: str) -> bool:
    """An S3 action named in full (no wildcard) whose operations act on objects."""
    if "*" in action or "?" in action or not action.lower().startswith("s3:"):
        return False
    specs = [lookup_operation(op) for op in operations_for_action(action)]
    return bool(specs) and all(s is not None and s.resource is ResourceKind.OBJECT for s in specs)


def _listed(actions: Any) -> list[str]:
    return [str(a) for a in (actions if isinstance(actions, list) else [actions]) if isinstance(a, str)]


# --- an Allow whose condition the request can meet ------------------------------------------------------------------
_MEETABLE_LAYERS = frozenset({"bucket-policy", "identity", "access-point-policy", "vpc-endpoint-policy"})


def _sender_sets(key: str) -> bool:
    """A key the sender controls and s3why can say how to send: a header of the request, or one of the request-side
    keys the wording names (HTTPS, the VPC endpoint, the source address, TLS, the signature)."""
    from bot.fixes.catalogue import request_wording
    from bot.fixes.request_params import header_of

    if header_of(key) is not None:
        return True
    return any(key.lower() == k.lower() for k in request_wording().condition_keys if k != "default")


def _meet_allow_condition(cause: RootCause, c: FixContext) -> Fix | None:
    from bot.fixes.request import request_changes

    if cause.kind != "condition" or cause.layer.value not in _MEETABLE_LAYERS:
        return None
    ev = cause.evidence
    statement = ev.get("statement")
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return None
    meets = [
        alt
        for alt in ev.get("alternatives") or []
        if alt.get("decision") == "allow"
        and all(value is not None and _sender_sets(key) for key, value in (alt.get("context") or {}).items())
    ]
    if not meets:
        return None
    patches = request_changes(replace(cause, evidence={**ev, "alternatives": meets[:1]}), c)
    if not patches:
        return None
    ((key, value),) = meets[0]["context"].items()
    sid = statement.get("Sid") or f"statement {ev.get('statement_index')}"
    where = ev.get("policy") or cause.layer.value
    return Fix(
        "meet-allow-condition",
        cause.layer.value,
        Risk.LOW,
        False,
        patches[:1],
        f"Send the request as {sid} asks ({key} = {value})",
        f"{sid} in {where} allows this request only when {key} is {value}, and the request did not say so. Meeting "
        "the condition is the change its author asked for (a new grant without it would undo the condition); it is "
        "the sender's change, no policy is touched.",
    )
