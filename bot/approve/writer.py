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
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

from bot.account.sessions import SessionProvider, make_client
from bot.fixes.targets import ClientFor, PolicyTarget, WriteRefused, target_for


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
    note: str = ""  # what else the write did, for the audit trail (the oldest policy version deleted)


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
        policy_target = _target(where)
        try:
            raw = policy_target.read(self._client_for(session), target, apply)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in policy_target.absent_codes:
                return None
            raise
        if raw is None or raw == "":
            return None
        return raw if isinstance(raw, dict) else dict(json.loads(raw))

    def write(
        self, session: boto3.Session, where: str, target: str, apply: dict[str, Any], document: dict[str, Any] | None
    ) -> Written:
        """Put `document` (None: remove the policy s3why added, or restore the default where one must exist)."""
        text = json.dumps(document) if document is not None else None
        try:
            out = _target(where).write(self._client_for(session), target, apply, text)
        except WriteRefused as exc:
            raise WriteError(str(exc)) from exc
        version = (out.get("PolicyVersion") or {}).get("VersionId")  # managed policies: the new default version
        deleted = out.get("DeletedVersion")
        note = (
            f"deleted the oldest non-default version {deleted} of {target} (a managed policy keeps five versions)"
            if deleted
            else ""
        )
        return Written(_request_id(out), str(version) if version else None, note)

    def _client_for(self, session: boto3.Session) -> ClientFor:
        return lambda service, region: self._client(session, service, region)

    def restore_version(self, session: boto3.Session, policy_arn: str, version: str) -> Written:
        """Managed policies roll back by making the previous version the default again (exactly as it was)."""
        out = self._client(session, "iam").set_default_policy_version(PolicyArn=policy_arn, VersionId=version)
        return Written(_request_id(out), version)

    def default_version(self, session: boto3.Session, policy_arn: str) -> str:
        return str(self._client(session, "iam").get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"])

    def role_trust(self, account: str, role_name: str, session: boto3.Session | None = None) -> dict[str, Any] | None:
        """A role's trust policy (iam:GetRole's AssumeRolePolicyDocument), read with `session` or else s3why's
        read access to the account; None when there is no such role or s3why cannot read the account. Raises what
        AWS raises (callers fail closed)."""
        iam = self._client(session, "iam") if session is not None else self.sessions.client(account, "iam")
        if iam is None:
            return None
        try:
            document = iam.get_role(RoleName=role_name)["Role"].get("AssumeRolePolicyDocument")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return None
            raise
        if isinstance(document, str):  # URL-encoded JSON when botocore did not decode it
            document = json.loads(unquote(document))
        return document if isinstance(document, dict) else None

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


def _target(where: str) -> PolicyTarget:
    found = target_for(where)
    if found is None:
        raise WriteError(f"s3why cannot apply a {where} patch")
    return found


def _request_id(out: dict[str, Any]) -> str:
    return str((out.get("ResponseMetadata") or {}).get("RequestId") or "")
