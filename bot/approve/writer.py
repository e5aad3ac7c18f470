"""Reading the live policy a proposal targets (never the cache) and writing it, with the write role.

The write role is assumed per approval with a session name that carries the approver's Slack id, so CloudTrail
names the human: `s3why-U012ABCDEF`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from bot.account.sessions import SessionProvider, make_client
from bot.arn import Arn

_ABSENT_CODES = {"NoSuchBucketPolicy", "NoSuchEntity", "NoSuchAccessPointPolicy"}


def policy_hash(document: dict[str, Any] | None) -> str:
    """A hash of the normalised document (key order and whitespace do not count; statement order does)."""
    text = "absent" if document is None else json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class WriteError(Exception):
    """A write that could not be done, in words for the thread."""


@dataclass
class Written:
    request_id: str
    version: str | None = None  # managed policies: the version made default


class Writer:
    def __init__(self, sessions: SessionProvider, client_hook: Callable[[Any], None] | None = None) -> None:
        self.sessions = sessions
        self.client_hook = client_hook

    def session(self, account: str, approver: str) -> boto3.Session:
        config = self.sessions.config.account(account)
        if config is None or not config.write_role_arn:
            raise WriteError(f"no write role is configured for account {account} (accounts[].write_role_arn)")
        sts = self._client(self.sessions.base, "sts")
        name = "s3why-" + re.sub(r"[^\w+=,.@-]", "-", approver)[:57]
        params: dict[str, Any] = {"RoleArn": config.write_role_arn, "RoleSessionName": name, "DurationSeconds": 900}
        if config.external_id:
            params["ExternalId"] = config.external_id
        creds = sts.assume_role(**params)["Credentials"]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.sessions.default_region,
        )

    def read(self, session: boto3.Session, where: str, target: str, apply: dict[str, Any]) -> dict[str, Any] | None:
        """The live document (None when there is none)."""
        try:
            raw = self._read(session, where, target, apply)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _ABSENT_CODES:
                return None
            raise
        if raw is None or raw == "":
            return None
        return raw if isinstance(raw, dict) else dict(json.loads(raw))

    def _read(self, session: boto3.Session, where: str, target: str, apply: dict[str, Any]) -> Any:
        if where == "bucket":
            return self._client(session, "s3").get_bucket_policy(Bucket=target)["Policy"]
        if where == "key":
            kms = self._client(session, "kms", _region(target))
            return kms.get_key_policy(KeyId=target, PolicyName="default")["Policy"]
        if where == "principal-inline":
            iam, kind, name = self._client(session, "iam"), apply["kind"], _name(target)
            if kind == "role":
                return iam.get_role_policy(RoleName=name, PolicyName=apply["name"])["PolicyDocument"]
            return iam.get_user_policy(UserName=name, PolicyName=apply["name"])["PolicyDocument"]
        if where == "managed":
            iam = self._client(session, "iam")
            version = iam.get_policy(PolicyArn=target)["Policy"]["DefaultVersionId"]
            return iam.get_policy_version(PolicyArn=target, VersionId=version)["PolicyVersion"]["Document"]
        if where == "access-point":
            s3c = self._client(session, "s3control", _region(target))
            return s3c.get_access_point_policy(AccountId=apply["account"], Name=apply["name"])["Policy"]
        if where == "vpce":
            found = self._client(session, "ec2").describe_vpc_endpoints(VpcEndpointIds=[target])["VpcEndpoints"]
            return found[0].get("PolicyDocument") if found else None
        raise WriteError(f"s3why cannot apply a {where} patch")

    def write(
        self, session: boto3.Session, where: str, target: str, apply: dict[str, Any], document: dict[str, Any] | None
    ) -> Written:
        """Put `document` (None: remove the policy s3why added, or restore the default where one must exist)."""
        text = json.dumps(document) if document is not None else None
        if where == "bucket":
            s3 = self._client(session, "s3")
            out = s3.put_bucket_policy(Bucket=target, Policy=text) if text else s3.delete_bucket_policy(Bucket=target)
        elif where == "key":
            if text is None:
                raise WriteError("a key policy cannot be removed")
            kms = self._client(session, "kms", _region(target))
            out = kms.put_key_policy(KeyId=target, PolicyName="default", Policy=text)
        elif where == "principal-inline":
            iam, kind, name, policy = self._client(session, "iam"), apply["kind"], _name(target), apply["name"]
            if kind == "role":
                out = (
                    iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=text)
                    if text
                    else iam.delete_role_policy(RoleName=name, PolicyName=policy)
                )
            else:
                out = (
                    iam.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=text)
                    if text
                    else iam.delete_user_policy(UserName=name, PolicyName=policy)
                )
        elif where == "managed":
            if text is None:
                raise WriteError("a managed policy version cannot be removed this way")
            out = self._client(session, "iam").create_policy_version(
                PolicyArn=target, PolicyDocument=text, SetAsDefault=True
            )
            return Written(_request_id(out), out["PolicyVersion"]["VersionId"])
        elif where == "access-point":
            s3c, account, name = self._client(session, "s3control", _region(target)), apply["account"], apply["name"]
            out = (
                s3c.put_access_point_policy(AccountId=account, Name=name, Policy=text)
                if text
                else s3c.delete_access_point_policy(AccountId=account, Name=name)
            )
        elif where == "vpce":
            ec2 = self._client(session, "ec2")
            out = (
                ec2.modify_vpc_endpoint(VpcEndpointId=target, PolicyDocument=text)
                if text
                else ec2.modify_vpc_endpoint(VpcEndpointId=target, ResetPolicy=True)
            )
        else:
            raise WriteError(f"s3why cannot apply a {where} patch")
        return Written(_request_id(out))

    def restore_version(self, session: boto3.Session, policy_arn: str, version: str) -> Written:
        """Managed policies roll back by making the previous version the default again (exactly as it was)."""
        out = self._client(session, "iam").set_default_policy_version(PolicyArn=policy_arn, VersionId=version)
        return Written(_request_id(out), version)

    def default_version(self, session: boto3.Session, policy_arn: str) -> str:
        return str(self._client(session, "iam").get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"])

    def role_tags(self, account: str, role_name: str, session: boto3.Session | None = None) -> dict[str, str]:
        """A role's tags (iam:GetRole), read with `session` or else s3why's read access to the account;
        empty when there is no such role, or when s3why has no access to the account at all (every role s3why
        runs as is in an account it can read: the configured ones and its own). Raises what AWS raises (a
        caller that must fail closed does)."""
        iam = self._client(session, "iam") if session is not None else self.sessions.client(account, "iam")
        if iam is None:
            return {}
        try:
            role = iam.get_role(RoleName=role_name)["Role"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return {}
            raise
        return {str(t["Key"]): str(t.get("Value", "")) for t in role.get("Tags", [])}

    def _client(self, session: boto3.Session, service: str, region: str | None = None) -> Any:
        made = make_client(session, service, region or self.sessions.default_region)
        if self.client_hook is not None:
            self.client_hook(made)
        return made


def _name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _region(arn: str) -> str | None:
    parsed = Arn.parse(arn)
    return parsed.region if parsed is not None and parsed.region else None


def _request_id(out: dict[str, Any]) -> str:
    return str((out.get("ResponseMetadata") or {}).get("RequestId") or "")
