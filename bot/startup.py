"""What `s3why serve` checks before it listens: AWS credentials that STS accepts, and a Slack token that Slack
accepts (`auth.test` against SLACK_API_URL). One clear line each.

A check that fails for good refuses the start (exit 2, `s3why: <the line>`): no credentials anywhere in
botocore's chain, credentials STS rejects, a bot token Slack rejects. Nothing could be answered, and a
crash-looping pod says so where an operator looks. A check that fails for a reason that may pass (the
endpoint cannot be reached, a timeout, throttling, a 5xx) only warns and s3why starts: it recovers on its own
once the network does, and /healthz keeps answering meanwhile.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("s3why.startup")

# botocore: credentials that exist but are not valid (STS's error codes for GetCallerIdentity).
_REFUSED_AWS = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "AccessDenied",
    "IncompleteSignature",
}
# Slack: auth.test errors that mean the token itself will not work (https://api.slack.com/methods/auth.test).
_REFUSED_SLACK = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "org_login_required",
    "ekm_access_denied",
    "not_allowed_token_type",
}


@dataclass(frozen=True)
class Check:
    """One start-up check: `ok`, or a failure that is `fatal` (refuse to start) or not (warn, start)."""

    name: str  # "AWS" | "Slack"
    ok: bool
    line: str  # what to tell the operator, one line
    fatal: bool = False


def check_aws() -> Check:
    """botocore's credential chain, then STS GetCallerIdentity through the standard configuration (so
    AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS are honoured), with short timeouts and one retry."""
    import boto3
    from botocore.config import Config as BotoConfig
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    try:
        session = boto3.Session()
        credentials = session.get_credentials()
    except BotoCoreError as exc:  # a broken profile, an expired SSO token, ...
        return Check("AWS", False, f"AWS: the credentials cannot be loaded: {_first_line(exc)}", fatal=True)
    if credentials is None:
        return Check(
            "AWS",
            False,
            "AWS: no credentials found (environment, AWS_PROFILE and shared files, SSO, container or instance "
            "role): s3why cannot read any account",
            fatal=True,
        )
    region = session.region_name or os.environ.get("AWS_REGION") or "us-east-1"
    config = BotoConfig(connect_timeout=3, read_timeout=5, retries={"mode": "standard", "max_attempts": 2})
    try:
        sts = session.client("sts", region_name=region, config=config)
        who = sts.get_caller_identity()
    except NoCredentialsError:
        return Check("AWS", False, "AWS: no credentials found: s3why cannot read any account", fatal=True)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code") or "")
        if code in _REFUSED_AWS:
            return Check("AWS", False, f"AWS: STS refused s3why's credentials ({code})", fatal=True)
        return Check("AWS", False, f"AWS: STS answered {code or 'an error'}; starting anyway, lookups may fail")
    except (BotoCoreError, NoRegionError) as exc:
        endpoint = os.environ.get("AWS_ENDPOINT_URL_STS") or os.environ.get("AWS_ENDPOINT_URL") or "STS"
        return Check(
            "AWS", False, f"AWS: cannot reach {endpoint} ({type(exc).__name__}); starting anyway, lookups will retry"
        )
    return Check("AWS", True, f"AWS: credentials of {who.get('Arn')} (account {who.get('Account')})")


def check_slack(client: Any) -> Check:
    """`auth.test` with the bot token, against the client's base URL (SLACK_API_URL)."""
    from slack_sdk.errors import SlackApiError

    base = str(getattr(client, "base_url", "") or "Slack")
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        error = str((exc.response or {}).get("error") or "")
        status = int(getattr(exc.response, "status_code", 0) or 0)
        if error in _REFUSED_SLACK:
            return Check("Slack", False, f"Slack: the bot token was refused ({error}): check SLACK_BOT_TOKEN", True)
        return Check("Slack", False, f"Slack: auth.test failed ({error or status}); starting anyway")
    except Exception as exc:  # URLError, timeouts, connection refused: the network, not the token
        reason = _first_line(getattr(exc, "reason", None) or exc)
        return Check("Slack", False, f"Slack: cannot reach {base} ({reason}); starting anyway, replies will retry")
    team = answer.get("team") or answer.get("team_id") or "?"
    user = answer.get("user") or answer.get("user_id") or "?"
    return Check("Slack", True, f"Slack: connected to workspace {team} as @{user}")


def require_ready(client: Any) -> list[Check]:
    """Both checks. A passed or passable one is logged as one line (info, or warning); the first that fails
    for good raises UsageError with its line (the command exits 2 and prints it), and is not logged twice."""
    from bot.errors import UsageError

    checks = [check_aws(), check_slack(client)]
    fatal = next((c for c in checks if c.fatal), None)
    if fatal is not None:
        raise UsageError(fatal.line)
    for c in checks:
        log.log(logging.INFO if c.ok else logging.WARNING, c.line, extra={"check": c.name, "ok": c.ok})
    return checks


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else type(value).__name__


def failure_reason(exc: BaseException) -> str:
    """A diagnosis that failed, in words for the thread: what is wrong with s3why's AWS access when that is it
    (no credentials, expired or refused ones, AWS out of reach), else the error's type."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        CredentialRetrievalError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
        return "s3why has no usable AWS credentials"
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return "AWS could not be reached"
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code") or "")
        if code in _REFUSED_AWS:
            return f"AWS refused s3why's credentials ({code})"
    return type(exc).__name__
