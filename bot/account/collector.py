"""Live collection: the AWS calls one request needs, made concurrently, cached, and written as a snapshot.

The snapshot (see `bot.account.snapshot`) keeps each call's answer as AWS returned it (or its error), so a
live collection and a hand-written snapshot give the diagnosis the same objects. Every read starts as soon as
what it needs is known, so a cold collection costs the depth of the dependency chain, in rounds of AWS calls:
1. s3why's own identity (sessions and cache keys need it); its clients are made meanwhile;
2. everything the text already names: the principal's IAM entity and policy lists, the key the error names,
   the organization, the VPC endpoint, the bucket's owner (bucket lists) and, beside it, its location;
3. the bucket's configuration and the object (in the bucket's region), the policies the lists name;
4. what those answers name: a managed policy's default version, a key the bucket or object names.
For a same-account SSE-KMS upload that is 4 rounds (tests/account/test_rounds.py counts them on a logical clock:
each call one tick, each wait for an answer a jump to its tick; `scripts/bench` also times them through a
latency-injecting proxy). Deeper chains remain where AWS has no shortcut: an organization's path to its root
(one ListParents per level), another account's role (AssumeRole first), a bucket found in another account.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.account.calls import DENIED_CODES, spec_for
from bot.account.sessions import SessionProvider, known_region
from bot.account.toolbox import fetch_record
from bot.account.view import NOT_READ
from bot.arn import Arn
from bot.cache import Cache, MemoryCache
from bot.metrics import METRICS

log = logging.getLogger("s3why.collector")
SNAPSHOT_VERSION = 1
Answer = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """What one diagnosis needs to see."""

    principal_arn: str | None = None
    bucket: str | None = None
    key: str | None = None
    version_id: str | None = None
    vpce_id: str | None = None
    access_point_arn: str | None = None
    kms_key_arns: tuple[str, ...] = ()
    account: str | None = None  # where the bucket probably lives (a channel's default account, or what a person said)
    authorization_id: str | None = None  # AWS's record of the denial (bot/account/toolbox.py)


def _json_safe(value: Any) -> Any:
    """AWS answers as plain JSON: datetimes as ISO 8601, bytes dropped, ResponseMetadata removed."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items() if k != "ResponseMetadata" and not hasattr(v, "read")}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


_HEADS_OPT_IN = (
    "s3why does not read object heads here (HeadObject needs s3:GetObject); the object's own encryption key and "
    "metadata are unknown: opt in with objects.head_buckets or the bucket tag s3why:object-heads=true"
)


def error_answer(code: str, message: str = "") -> Answer:
    return {"Error": {"Code": code, "Message": message}}


def is_error(answer: Answer | None) -> bool:
    return isinstance(answer, dict) and "Error" in answer


def error_code(answer: Answer | None) -> str | None:
    return str(answer["Error"].get("Code")) if is_error(answer) and answer else None


class Collector:
    """Collects a `Target` through boto3 (one session per account), caching every answer."""

    def __init__(
        self,
        sessions: SessionProvider,
        cache: Cache | None = None,
        *,
        workers: int = 32,
        executor: Callable[[int], ThreadPoolExecutor] | None = None,
    ) -> None:
        """`executor`: makes the pool of one collection from its worker count (a test's pool counts the rounds
        of calls on a logical clock, benchmarks/call_clock.py)."""
        self.sessions = sessions
        self.cache = cache if cache is not None else MemoryCache(sessions.config.cache_ttls)
        self.workers = workers
        self.executor = executor or (lambda n: ThreadPoolExecutor(max_workers=n, thread_name_prefix="s3why-collect"))

    # --- one call ----------------------------------------------------------------------------------------
    def call(
        self, account: str | None, service: str, operation: str, region: str | None = None, **params: Any
    ) -> Answer:
        """One AWS read, through the cache. Errors come back as `{"Error": {...}}`; denials are never cached."""
        spec = spec_for(service, operation)
        if account is None:
            return error_answer("AccountUnknown", f"the account that owns this {spec.kind} is not known")
        region = region or self.sessions.default_region
        if not known_region(region):  # from a paste or an answer: no client is made for it, the rest goes on
            return error_answer("UnknownRegion", f"{region[:40]!r} is not a region of any AWS partition")
        key = f"{account}:{region}:{spec.kind}:{service}.{operation}:{json.dumps(params, sort_keys=True)}"

        def load() -> tuple[Answer, bool]:
            client = self.sessions.client(account, service, region)
            if client is None:
                return error_answer("AccountNotConfigured", f"account {account} is not in S3WHY_CONFIG"), False
            method = getattr(client, _snake(operation))
            METRICS.inc("s3why_aws_calls_total", service=service, operation=operation)
            try:
                answer = _json_safe(method(**params))
            except ClientError as exc:
                err = exc.response.get("Error", {})
                code = str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
                answer = error_answer(code, str(err.get("Message", "")))
                if code not in spec.absent:
                    METRICS.inc("s3why_aws_errors_total", code=code)
                return answer, code in spec.absent  # an absent policy is an answer; a denial is not
            except BotoCoreError as exc:
                METRICS.inc("s3why_aws_errors_total", code=type(exc).__name__)
                return error_answer("ClientError", f"{type(exc).__name__}: {exc}"), False
            return answer, True

        result: Answer = self.cache.get_or_load(key, spec.kind, load)
        return result

    def invalidate(self, *, account: str | None, resource: str) -> int:
        """Forget every cached answer about a resource (after s3why itself changed it): bucket, key ARN, role."""
        return self.cache.invalidate([f"{account or '*'}:*:*:*{_glob_escape(resource)}*"])

    # --- a whole target ---------------------------------------------------------------------------------
    def collect(self, target: Target) -> dict[str, Any]:
        snapshot: dict[str, Any] = {
            "s3why_snapshot": SNAPSHOT_VERSION,
            "collected_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "target": {k: v for k, v in asdict(target).items() if v not in (None, ())},
        }
        with self.executor(self.workers) as pool:
            # Round 1: s3why's own identity (every session and cache key needs it); its clients are made meanwhile.
            identity = pool.submit(self.sessions.own_account)
            self.sessions.prepare(_services_for(target))
            own = identity.result()
            snapshot["caller"] = {"Account": own}
            # Round 2 on: every read whose inputs are known starts now (the principal's policies, the keys the
            # text names, the organization, the endpoint, the bucket's owner and location); each waits only for
            # the answers it needs.
            principal_account = _account_of(target.principal_arn)
            futures: dict[str, Future[Any]] = {}
            org: dict[str, Future[Any]] = {}
            if target.principal_arn:
                futures["principal"] = pool.submit(self._principal, pool, target.principal_arn)
            if principal_account:
                org["principal_account"] = pool.submit(self._organization, pool, principal_account)
            if target.authorization_id:
                # AWS's record, read with the read role of the denied principal's account.
                futures["authorization"] = pool.submit(
                    fetch_record, self.call, principal_account or own, target.authorization_id
                )
            if target.vpce_id:
                futures["vpc_endpoint"] = pool.submit(self._vpc_endpoint, principal_account or own, target.vpce_id)
            kms: dict[str, Future[Any]] = {
                k: pool.submit(self._kms_key, k, principal_account) for k in target.kms_key_arns
            }
            if target.access_point_arn:
                access_point = self._access_point(pool, target.access_point_arn)
                snapshot["access_point"] = access_point
                ap_bucket = (access_point["calls"].get("GetAccessPoint") or {}).get("Bucket")
                if ap_bucket and not target.bucket:
                    target = replace(target, bucket=ap_bucket)
            if target.bucket:
                # The bucket's answers decide what else to read (its owner's organization, the keys it uses):
                # start those as soon as it is known, while the other lookups carry on.

                def start_key(key: str) -> None:
                    if key not in kms:
                        kms[key] = pool.submit(self._kms_key, key, principal_account)

                bucket = self._bucket_and_object(pool, target, start_key)
                bucket.pop("kms_keys")
                owner = bucket.get("account")
                if owner and owner != principal_account:
                    org["resource_account"] = pool.submit(self._organization, pool, owner)
                snapshot["bucket"] = bucket
            for name, future in futures.items():
                snapshot[name] = future.result()
            snapshot["kms"] = {k: f.result() for k, f in kms.items()}
            snapshot["organization"] = {k: f.result() for k, f in org.items()}
        return snapshot

    # --- parts ----------------------------------------------------------------------------------------------
    def _principal(self, pool: ThreadPoolExecutor, arn_text: str) -> dict[str, Any]:
        arn = Arn.parse(arn_text)
        out: dict[str, Any] = {"arn": arn_text, "account": arn.account if arn else None, "calls": {}}
        if arn is None or not arn.account:
            return out
        account, calls = arn.account, out["calls"]
        if arn.service == "sts" and arn.is_role_session:
            role = arn.role_name_of_session or ""
            kind = "role"
        elif arn.service == "iam" and arn.resource_type in ("role", "user"):
            role = arn.resource.rsplit("/", 1)[-1]
            kind = arn.resource_type
        else:
            return out  # root, federated users, services: no IAM entity to read
        out["kind"] = kind
        if kind == "role":
            f_get = pool.submit(self.call, account, "iam", "GetRole", RoleName=role)
            f_inline = pool.submit(self.call, account, "iam", "ListRolePolicies", RoleName=role)
            f_attached = pool.submit(self.call, account, "iam", "ListAttachedRolePolicies", RoleName=role)
            get_inline: Callable[[str], Answer] = lambda n: self.call(  # noqa: E731
                account, "iam", "GetRolePolicy", RoleName=role, PolicyName=n
            )
        else:
            f_get = pool.submit(self.call, account, "iam", "GetUser", UserName=role)
            f_inline = pool.submit(self.call, account, "iam", "ListUserPolicies", UserName=role)
            f_attached = pool.submit(self.call, account, "iam", "ListAttachedUserPolicies", UserName=role)
            get_inline = lambda n: self.call(account, "iam", "GetUserPolicy", UserName=role, PolicyName=n)  # noqa: E731
            f_groups = pool.submit(self.call, account, "iam", "ListGroupsForUser", UserName=role)
        entity = f_get.result()
        calls["GetRole" if kind == "role" else "GetUser"] = entity
        inline = f_inline.result()
        attached = f_attached.result()
        calls["ListRolePolicies" if kind == "role" else "ListUserPolicies"] = inline
        calls["ListAttachedRolePolicies" if kind == "role" else "ListAttachedUserPolicies"] = attached
        inline_docs = {n: pool.submit(get_inline, n) for n in inline.get("PolicyNames", [])}
        managed = [p["PolicyArn"] for p in attached.get("AttachedPolicies", [])]
        boundary = ((entity.get("Role") or entity.get("User") or {}).get("PermissionsBoundary") or {}).get(
            "PermissionsBoundaryArn"
        )
        if boundary and boundary not in managed:
            managed.append(boundary)
        groups: dict[str, Any] = {}
        policy_futures = {p: pool.submit(self._managed_policy, account, p) for p in managed}
        if kind == "user":
            group_list = f_groups.result()
            calls["ListGroupsForUser"] = group_list
            for g in group_list.get("Groups", []):
                name = g["GroupName"]
                groups[name] = {
                    "ListGroupPolicies": pool.submit(self.call, account, "iam", "ListGroupPolicies", GroupName=name),
                    "ListAttachedGroupPolicies": pool.submit(
                        self.call, account, "iam", "ListAttachedGroupPolicies", GroupName=name
                    ),
                }
            group_docs: dict[str, dict[str, Future[Answer]]] = {}
            for name, fs in groups.items():
                listing = fs["ListGroupPolicies"].result()
                att = fs["ListAttachedGroupPolicies"].result()
                groups[name] = {"ListGroupPolicies": listing, "ListAttachedGroupPolicies": att}
                group_docs[name] = {
                    n: pool.submit(self.call, account, "iam", "GetGroupPolicy", GroupName=name, PolicyName=n)
                    for n in listing.get("PolicyNames", [])
                }
                for p in att.get("AttachedPolicies", []):
                    if p["PolicyArn"] not in managed:
                        managed.append(p["PolicyArn"])
                        policy_futures[p["PolicyArn"]] = pool.submit(self._managed_policy, account, p["PolicyArn"])
            for name, docs in group_docs.items():
                groups[name]["GroupPolicies"] = {n: f.result() for n, f in docs.items()}
            calls["Groups"] = groups
        calls["RolePolicies" if kind == "role" else "UserPolicies"] = {n: f.result() for n, f in inline_docs.items()}
        calls["Policies"] = {p: f.result() for p, f in policy_futures.items()}
        return out

    def _managed_policy(self, account: str, policy_arn: str) -> dict[str, Any]:
        meta = self.call(account, "iam", "GetPolicy", PolicyArn=policy_arn)
        out: dict[str, Any] = {"GetPolicy": meta}
        version = (meta.get("Policy") or {}).get("DefaultVersionId")
        if version:
            out["GetPolicyVersion"] = self.call(
                account, "iam", "GetPolicyVersion", PolicyArn=policy_arn, VersionId=version
            )
        return out

    def _tagged_for_heads(self, bucket: str, tagging: Answer) -> bool:
        """The opt-in to HeadObject by the bucket's tag (bot/config.py `reads_object_heads`): its tags as read."""
        tags = (
            {} if is_error(tagging) else {str(t.get("Key")): str(t.get("Value", "")) for t in tagging.get("TagSet", [])}
        )
        return self.sessions.config.reads_object_heads(bucket, tags)

    def _bucket_owner(self, pool: ThreadPoolExecutor, bucket: str, hint: str | None = None) -> str | None:
        """The configured account whose bucket list holds the bucket (all lists read at once, and cached).

        With a hint (the channel's account, or what a person said), that account's list is read first and the
        others only when the bucket is not there.
        """
        accounts = self.sessions.readable_accounts()
        if hint in accounts:
            hinted = self.call(hint, "s3", "ListBuckets")
            if any(b.get("Name") == bucket for b in hinted.get("Buckets", [])):
                return hint
            accounts = [a for a in accounts if a != hint]
        listings = {a: pool.submit(self.call, a, "s3", "ListBuckets") for a in accounts}
        for account, listing in listings.items():
            if any(b.get("Name") == bucket for b in listing.result().get("Buckets", [])):
                return account
        return None

    def _bucket_and_object(
        self, pool: ThreadPoolExecutor, target: Target, start_key: Callable[[str], None]
    ) -> dict[str, Any]:
        """The bucket's configuration and the object's; `start_key` is called with each KMS key they name as
        soon as it is known (in a fixed order: the object's key, then the bucket's default keys)."""
        bucket = target.bucket or ""
        # The location is read while the owner is looked up, from the account the bucket most likely belongs to
        # (the hinted one, else s3why's own); read again only when the owner turns out to be another.
        own = self.sessions.own_account()
        likely = target.account if target.account in self.sessions.readable_accounts() else own
        early = pool.submit(self.call, likely, "s3", "GetBucketLocation", Bucket=bucket)
        owner = self._bucket_owner(pool, bucket, target.account)
        out: dict[str, Any] = {"name": bucket, "account": owner, "calls": {}, "kms_keys": []}
        reader = owner or own  # another account's bucket: try, and record what fails
        location = early.result() if reader == likely else self.call(reader, "s3", "GetBucketLocation", Bucket=bucket)
        region = _bucket_region(location) or self.sessions.default_region
        out["region"] = region
        calls = out["calls"]
        calls["GetBucketLocation"] = location
        names = [
            "GetBucketPolicy",
            "GetBucketPolicyStatus",
            "GetBucketAcl",
            "GetBucketOwnershipControls",
            "GetPublicAccessBlock",
            "GetBucketEncryption",
            "GetObjectLockConfiguration",
            "GetBucketRequestPayment",
            "GetBucketVersioning",
            "GetBucketAbac",  # ABAC: the bucket's tags become its resource tags
            "GetBucketTagging",
        ]
        fs = {n: pool.submit(self.call, reader, "s3", n, region, Bucket=bucket) for n in names}
        f_account_pab = (
            pool.submit(self.call, owner, "s3control", "GetPublicAccessBlock", None, AccountId=owner) if owner else None
        )
        obj: dict[str, Any] | None = None
        if target.key is not None:
            extra = {"VersionId": target.version_id} if target.version_id else {}
            # HeadObject also returns the version's retention and legal hold (ObjectLockMode,
            # ObjectLockRetainUntilDate, ObjectLockLegalHoldStatus) to a caller allowed s3:GetObjectRetention and
            # s3:GetObjectLegalHold, which the read role is: two calls fewer on every cold diagnosis.
            acl = pool.submit(self.call, reader, "s3", "GetObjectAcl", region, Bucket=bucket, Key=target.key, **extra)
            config = self.sessions.config
            direct = config.reads_object_heads(bucket, {})  # all buckets, or this one listed
            # without the opt-in: configuration, never data (the owner from the ACL, the key from the text and the
            # bucket); retention and legal hold by their own reads, in the same round as the bucket's
            lock = {} if direct else {
                name: pool.submit(self.call, reader, "s3", name, region, Bucket=bucket, Key=target.key, **extra)
                for name in ("GetObjectRetention", "GetObjectLegalHold")
            }  # fmt: skip
            # the bucket's tags are waited for only when they alone can opt it in
            if direct or self._tagged_for_heads(bucket, fs["GetBucketTagging"].result()):
                head = self.call(reader, "s3", "HeadObject", region, Bucket=bucket, Key=target.key, **extra)
                obj = {"key": target.key, "calls": {"HeadObject": head}}
            else:
                obj = {"key": target.key, "calls": {"HeadObject": error_answer(NOT_READ, _HEADS_OPT_IN)}}
            obj["calls"].update({name: f.result() for name, f in lock.items()})
            key_id = obj["calls"]["HeadObject"].get("SSEKMSKeyId")
            if key_id:
                out["kms_keys"].append(key_id)
                start_key(key_id)  # its policy is read while the bucket's other answers arrive
            obj["calls"]["GetObjectAcl"] = acl.result()
            if target.version_id:
                obj["version_id"] = target.version_id
        encryption = fs["GetBucketEncryption"].result()
        for rule in (encryption.get("ServerSideEncryptionConfiguration") or {}).get("Rules", []):
            key_id = (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID")
            if key_id and key_id not in out["kms_keys"]:
                out["kms_keys"].append(_key_arn(key_id, region, owner))
                start_key(out["kms_keys"][-1])
        for name, f in fs.items():
            calls[name] = f.result()
        if f_account_pab is not None:
            out["account_calls"] = {"GetPublicAccessBlock": f_account_pab.result()}
        if obj is not None:
            out["object"] = obj
        return out

    def _kms_key(self, key: str, principal_account: str | None) -> dict[str, Any]:
        arn = Arn.parse(key)
        account = arn.account if arn else principal_account
        region = arn.region if arn and arn.region else None
        key_id = key
        with self.executor(5) as pool:
            names = {
                "DescribeKey": {"KeyId": key_id},
                "GetKeyPolicy": {"KeyId": key_id, "PolicyName": "default"},
                "ListGrants": {"KeyId": key_id},
                "ListAliases": {"KeyId": key_id},
                "ListResourceTags": {"KeyId": key_id},
            }
            pending = {n: pool.submit(self.call, account, "kms", n, region, **params) for n, params in names.items()}
            calls = {n: f.result() for n, f in pending.items()}
        return {"account": account, "calls": calls}

    def _vpc_endpoint(self, account: str, vpce_id: str) -> dict[str, Any]:
        answer = self.call(account, "ec2", "DescribeVpcEndpoints", VpcEndpointIds=[vpce_id])
        return {"id": vpce_id, "account": account, "calls": {"DescribeVpcEndpoints": answer}}

    def _access_point(self, pool: ThreadPoolExecutor, ap_arn: str) -> dict[str, Any]:
        arn = Arn.parse(ap_arn)
        account = arn.account if arn else None
        name = arn.resource.split("/", 2)[1] if arn and "/" in arn.resource else ap_arn
        region = arn.region if arn and arn.region else None
        out: dict[str, Any] = {"arn": ap_arn, "name": name, "account": account, "calls": {}}
        pending = {
            op: pool.submit(self.call, account, "s3control", op, region, AccountId=account, Name=name)
            for op in ("GetAccessPoint", "GetAccessPointPolicy")
        }
        out["calls"] = {op: f.result() for op, f in pending.items()}
        return out

    def _organization(self, pool: ThreadPoolExecutor, account: str | None) -> dict[str, Any]:
        """The chain of parents from the account to the root, with the SCPs and RCPs attached at each level."""
        if account is None:
            return {}
        reader = self._org_reader(account)
        out: dict[str, Any] = {"account": account, "calls": {}}
        org = self.call(reader, "organizations", "DescribeOrganization")
        out["calls"]["DescribeOrganization"] = org
        if is_error(org):
            return out
        chain = [account]
        current = account
        for _ in range(8):  # root, up to 5 OU levels, account
            parents = self.call(reader, "organizations", "ListParents", ChildId=current)
            if is_error(parents) or not parents.get("Parents"):
                out["calls"]["ListParents"] = parents
                return out  # not in this organization (or its path cannot be read): no levels to evaluate
            parent = parents["Parents"][0]
            chain.append(parent["Id"])
            if parent.get("Type") == "ROOT":
                break
            current = parent["Id"]
        chain.reverse()  # root first
        kinds = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
        listings = {
            (t, k): pool.submit(self.call, reader, "organizations", "ListPoliciesForTarget", TargetId=t, Filter=k)
            for t in chain
            for k in kinds
        }
        described: dict[str, Future[Answer]] = {}
        for pending in listings.values():
            answer = pending.result()
            for p in [] if is_error(answer) else answer.get("Policies", []):
                if p["Id"] not in described:
                    described[p["Id"]] = pool.submit(
                        self.call, reader, "organizations", "DescribePolicy", PolicyId=p["Id"]
                    )
        levels = []
        for target_id in chain:
            level: dict[str, Any] = {"target": target_id}
            for kind in kinds:
                answer = listings[(target_id, kind)].result()
                level[kind] = (
                    answer if is_error(answer) else [described[p["Id"]].result() for p in answer.get("Policies", [])]
                )
            levels.append(level)
        out["levels"] = levels
        return out

    def _org_reader(self, account: str) -> str:
        """Organizations data is read from the account whose role is configured for it, else the bot's own."""
        role = self.sessions.config.organization_role_arn
        if role:
            arn = Arn.parse(role)
            if arn is not None and arn.account:
                return arn.account
        return self.sessions.own_account()


def _services_for(target: Target) -> tuple[str, ...]:
    """The services a collection of `target` reads in s3why's own account, in the order it first needs them."""
    wanted = [
        ("iam", bool(target.principal_arn)),
        ("kms", bool(target.kms_key_arns or target.bucket)),
        ("organizations", bool(target.principal_arn)),
        ("s3", bool(target.bucket or target.access_point_arn)),
        ("s3control", bool(target.bucket or target.access_point_arn)),
        ("ec2", bool(target.vpce_id)),
    ]
    return tuple(service for service, needed in wanted if needed)


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)


def _snake(operation: str) -> str:
    out = []
    for i, ch in enumerate(operation):
        if (
            ch.isupper()
            and i
            and (not operation[i - 1].isupper() or (i + 1 < len(operation) and operation[i + 1].islower()))
        ):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _account_of(arn_text: str | None) -> str | None:
    arn = Arn.parse(arn_text) if arn_text else None
    return arn.account or None if arn else None


def _bucket_region(location: Answer) -> str | None:
    if is_error(location):
        return None
    constraint = location.get("LocationConstraint")
    if constraint in (None, ""):
        return "us-east-1"
    if constraint == "EU":
        return "eu-west-1"
    return str(constraint)


def _key_arn(key_id: str, region: str, account: str | None) -> str:
    if key_id.startswith("arn:") or account is None:
        return key_id
    return f"arn:aws:kms:{region}:{account}:key/{key_id}" if not key_id.startswith("alias/") else key_id


def denied(answer: Answer) -> bool:
    return error_code(answer) in DENIED_CODES
