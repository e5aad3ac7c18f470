"""Who signed a presigned URL: S3 authorizes a presigned request as its signer, not as whoever sends it.

The URL names the signer's access key id (SigV4 `X-Amz-Credential`, SigV2 `AWSAccessKeyId`). AWS tells which
account owns any key id (sts:GetAccessKeyInfo, STS API Reference), and — in that account — which IAM user owns a
long-term key (iam:GetAccessKeyLastUsed returns its `UserName`; iam:GetUser its ARN with the path). A temporary key
(`ASIA...`, with X-Amz-Security-Token) belongs to a session: the role behind it cannot be read from the key alone,
and the URL stops working when the session ends (S3 User Guide, "Sharing objects with presigned URLs").

`find_signer` is the edge (AWS reads, through the collector's cache); `signer_principal` is pure: which principal
the diagnosis evaluates, and what it says about it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bot.engine.principal import parse_principal
from bot.parse.model import PresignedUrl

if TYPE_CHECKING:
    from bot.account.collector import Collector


@dataclass(frozen=True)
class Signer:
    """The presigned URL's signer as far as s3why could tell.

    `account`: the 12-digit account that owns the key (None when STS could not tell); `user_arn`: the IAM user that
    owns a long-term key (None for a temporary key, or when the account could not be read); `principal_arn`: the
    role or role session behind a temporary key when a record says which (a snapshot's `signer.principal_arn`);
    `unseen`: why s3why could not tell more (None when nothing is missing)."""

    access_key_id: str
    temporary: bool
    account: str | None = None
    user_arn: str | None = None
    unseen: str | None = None
    principal_arn: str | None = None

    @property
    def signed_as(self) -> str | None:
        """The principal S3 authorizes the URL's request as, when s3why knows it."""
        return self.user_arn or self.principal_arn

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def is_temporary(presigned: PresignedUrl) -> bool:
    """A temporary key: an `ASIA` key id or a security token in the URL (IAM User Guide, "Unique identifiers")."""
    akid = presigned.access_key_id or ""
    return presigned.temporary_credentials or akid.startswith("ASIA")


def find_signer(collector: Collector, presigned: PresignedUrl | None) -> Signer | None:
    """The signer of a presigned URL, read from AWS; None when the request is not presigned or names no key id."""
    if presigned is None or presigned.access_key_id is None:
        return None
    akid = presigned.access_key_id
    temporary = is_temporary(presigned)
    own = collector.sessions.own_account()
    info = collector.call(own, "sts", "GetAccessKeyInfo", AccessKeyId=akid)
    if "Error" in info:
        code = info["Error"].get("Code")
        return Signer(akid, temporary, unseen=f"sts:GetAccessKeyInfo failed ({code}): the signer's account is unknown")
    account = str(info.get("Account") or "") or None
    if account is None:
        return Signer(akid, temporary, unseen="sts:GetAccessKeyInfo named no account")
    if temporary:
        return Signer(akid, temporary, account)
    last = collector.call(account, "iam", "GetAccessKeyLastUsed", AccessKeyId=akid)
    if "Error" in last:
        code = last["Error"].get("Code")
        why = (
            f"account {account} is not one s3why can read (add it to S3WHY_CONFIG)"
            if code == "AccountNotConfigured"
            else f"iam:GetAccessKeyLastUsed failed in {account} ({code})"
        )
        return Signer(akid, temporary, account, unseen=f"the IAM user that owns the key is unknown: {why}")
    user = last.get("UserName")
    if not user:
        return Signer(akid, temporary, account, unseen=f"no IAM user in {account} owns the key")
    found = collector.call(account, "iam", "GetUser", UserName=user)
    arn = (found.get("User") or {}).get("Arn") if "Error" not in found else None
    return Signer(akid, temporary, account, str(arn or f"arn:aws:iam::{account}:user/{user}"))


def signer_principal(signer: Signer | None, given: str | None) -> tuple[str | None, list[str]]:
    """The principal to evaluate a presigned request as (the signer), and what to tell the person.

    `given`: `--principal` or the principal the text names. It is used only when it can be the signer: a session
    of a role (or the role) in the key's account when the key is temporary. Otherwise the signer wins and a note
    says the two differ."""
    if signer is None:
        return given, []
    notes: list[str] = []
    if signer.temporary:
        notes.append(
            f"the URL was signed with temporary credentials ({signer.access_key_id[:4]}... key): it stops working "
            "when that session ends, whatever its X-Amz-Expires says"
        )
    signed_as = signer.signed_as
    if signed_as is not None:
        if given is not None and given != signed_as:
            notes.append(
                f"a presigned request is authorized as its signer, {signed_as} (the URL's access key), "
                f"not as {given} who used the URL: evaluated as the signer"
            )
        else:
            notes.append(f"a presigned request is authorized as its signer: {signed_as} (the URL's access key)")
        return signed_as, notes
    if given is not None:
        who = parse_principal(given)
        if signer.account is not None and who.account is not None and who.account != signer.account:
            notes.append(
                f"{given} is in account {who.account}, but the URL was signed with a key of account "
                f"{signer.account}: a presigned request is authorized as its signer, so {given} did not sign it"
            )
            return None, notes
        notes.append(f"a presigned request is authorized as its signer: evaluated as {given}")
        return given, notes
    where = f" in account {signer.account}" if signer.account else ""
    if signer.temporary:
        notes.append(
            f"the signer used temporary credentials{where}: the role behind them cannot be read from the key alone "
            "— pass --principal with the role (or its session) that signed the URL"
        )
    elif signer.unseen:
        notes.append(f"the URL's signer{where}: {signer.unseen}")
    return None, notes


@dataclass(frozen=True)
class SignerView:
    """What a presigned request's signer means for one diagnosis: the principal to evaluate, the notes to show."""

    signer: Signer | None
    principal: str | None
    notes: tuple[str, ...]

    def attach(self, diagnosis: Any) -> Any:
        """The diagnosis with the signer in its request (`request.signer`) and the notes first."""
        if self.signer is None and not self.notes:
            return diagnosis
        from dataclasses import replace

        request = dict(diagnosis.request)
        if self.signer is not None:
            request["signer"] = {**self.signer.to_json(), "notes": list(self.notes)}
        return replace(diagnosis, request=request, notes=tuple(dict.fromkeys((*self.notes, *diagnosis.notes))))


def signer_view(
    req: Any, given: str | None, *, collector: Collector | None = None, snapshot: dict[str, Any] | None = None
) -> SignerView:
    """The signer of `req`'s presigned URL (live through `collector`, or the snapshot's `signer` section), and the
    principal to evaluate it as. A request that is not presigned keeps `given` (or the text's principal)."""
    given = given or req.principal_arn
    presigned: PresignedUrl | None = req.presigned
    if presigned is None or presigned.access_key_id is None:
        return SignerView(None, given, ())
    signer: Signer | None = None
    if collector is not None:
        signer = find_signer(collector, presigned)
    elif snapshot is not None:
        held = snapshot.get("signer")
        if isinstance(held, dict) and held.get("access_key_id") == presigned.access_key_id:
            signer = Signer(
                presigned.access_key_id,
                bool(held.get("temporary")),
                _text(held.get("account")),
                _text(held.get("user_arn")),
                _text(held.get("unseen")),
                _text(held.get("principal_arn")),
            )
        else:
            signer = Signer(presigned.access_key_id, is_temporary(presigned), unseen="the snapshot does not say")
    principal, notes = signer_principal(signer, given)
    return SignerView(signer, principal, tuple(notes))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def with_signer_key(req: Any, keys: list[str | None]) -> Any:
    """The request with its presigned URL's access key id put back (`keys`: the one the original text held, or
    none) when only the redacted text was parsed again (Slack keeps only redacted text)."""
    from dataclasses import replace

    presigned: PresignedUrl | None = req.presigned
    if presigned is None or presigned.access_key_id is not None or not keys or not keys[0]:
        return req
    return replace(req, presigned=replace(presigned, access_key_id=keys[0]))
