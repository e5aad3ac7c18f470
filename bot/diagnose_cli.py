"""`s3why diagnose`: parse, collect (live or from a snapshot), diagnose, render. Thin."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from bot.errors import S3whyError, UsageError


def add_diagnose_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", metavar="TEXT", help="the pasted error (default: standard input)")
    p.add_argument("--principal", metavar="ARN", help="who made the request, when the text does not say")
    p.add_argument("--snapshot", metavar="FILE", help="read the account data from this snapshot (offline)")
    p.add_argument("--context", metavar="KEY=VALUE", action="append", default=[], help="what the text cannot tell")
    p.add_argument("--session-policy", metavar="FILE", help="the session policy passed when the role was assumed")
    p.add_argument("--no-cache", action="store_true", help="read everything live and refresh the cache")
    p.add_argument("--authorization-id", metavar="ID", help="AWS's record of the denial, when the text lacks it")
    p.add_argument("--operation", metavar="OP", help="the S3 API operation (e.g. GetObject), when the text is unclear")
    p.add_argument("--bucket", metavar="NAME", help="the bucket, when the text does not say (wins over the text)")
    p.add_argument("--key", metavar="KEY", help="the object key, when the text does not say (wins over the text)")
    p.add_argument(
        "--fix-format",
        choices=("cli", "terraform", "cloudformation", "json"),
        default="cli",
        help="how the text report shows each fix (default: the diff and AWS CLI commands)",
    )
    p.add_argument(
        "--terraform-dir",
        metavar="DIR",
        help="a Terraform tree: fixes for policies it defines come as iac-change patches to its files",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")


def _context(items: list[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--context {item!r}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        out.setdefault(k, []).append(v)
    return {k: tuple(v) for k, v in out.items()}


def run_diagnose(args: argparse.Namespace, text: str) -> int:
    from bot.account.snapshot import load_snapshot
    from bot.diagnose import DiagnoseOptions
    from bot.diagnose.render import diagnosis_text
    from bot.parse import parse_text
    from bot.pipeline import Source, diagnose_and_fix
    from bot.render import dumps

    parsed = parse_text(text)
    if not parsed.requests:
        raise UsageError("no AWS error found in the text: paste the error message")
    requests = [given_facts(req, args) for req in parsed.requests]
    ctx = _context(args.context)
    session_policy: Any = None
    if args.session_policy:
        try:
            session_policy = json.loads(Path(args.session_policy).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise UsageError(f"session policy {args.session_policy}: {exc}") from None
    options = DiagnoseOptions(principal=args.principal, context=ctx, session_policy=session_policy)
    iac = _iac_options(args)
    snapshot = load_snapshot(args.snapshot) if args.snapshot else None
    collector = None if snapshot is not None else _live_collector(args.no_cache)
    diagnoses = []

    def collect(target: Any) -> dict[str, Any]:
        assert collector is not None
        try:
            return dict(collector.collect(target))
        except NoCredentialsError:
            raise S3whyError("no AWS credentials found (set AWS_PROFILE or the usual AWS_* variables)") from None
        except (ClientError, BotoCoreError) as exc:
            raise S3whyError(f"AWS could not be read: {type(exc).__name__}: {exc}") from None

    source = Source(collector=collector, collect=collect, snapshot=snapshot)
    known = _configured_accounts()
    for req in requests:
        req_options = options
        filled: dict[str, str] = {}
        if snapshot is not None:
            req, principal, filled = request_on_snapshot(snapshot, req, args.principal, args.snapshot)
            if principal != args.principal:
                req_options = replace(options, principal=principal)
        try:
            found, _ = diagnose_and_fix(
                req,
                req_options,
                source,
                authorization_id=args.authorization_id,
                iac=iac,
                known_accounts=known,
                paste=parsed.redacted_text,
            )
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            if snapshot is None:
                raise
            # A hand-written snapshot whose section has the wrong shape (a string where AWS returns a list...).
            raise UsageError(
                f"snapshot {args.snapshot}: a section does not have the shape AWS returns ({type(exc).__name__}: "
                f"{str(exc)[:120]}); see docs/snapshot.schema.json"
            ) from None
        diagnoses.append(said_from_snapshot(found, filled, args.snapshot))
    for w in parsed.secrets:
        print(f"s3why: warning: {w.message}", file=sys.stderr)
    if args.json:
        sys.stdout.write(dumps({"diagnoses": [d.to_json() for d in diagnoses]}) + "\n")
    else:
        sys.stdout.write("\n".join(diagnosis_text(d, args.fix_format) for d in diagnoses))
    return 0


def given_facts(req: Any, args: argparse.Namespace) -> Any:
    """The parsed request with what `--operation`, `--bucket` and `--key` say (they win over the text)."""
    from bot.diagnose.candidates import with_facts

    try:
        return with_facts(req, operation=args.operation, bucket=args.bucket, key=args.key)
    except UsageError as exc:
        raise UsageError(f"--operation {exc}") from None


def request_on_snapshot(
    snapshot: dict[str, Any], req: Any, principal: str | None, path: str
) -> tuple[Any, str | None, dict[str, str]]:
    """The request as `s3why diagnose --snapshot` diagnoses it: as its signer, with what the text leaves out taken
    from a snapshot that holds exactly one of it, refused when the snapshot does not hold what it names (the CLI
    and the field corpus's runner both go through here). Returns the request, the principal and what was filled."""
    from bot.account.signer import signer_view

    signed = signer_view(req, principal, snapshot=snapshot).principal
    req, who, filled = fill_from_snapshot(snapshot, req, signed)
    check_snapshot_holds(snapshot, req, who, path)
    return req, (who if who != signed else principal), filled


def said_from_snapshot(found: Any, filled: dict[str, str], path: str) -> Any:
    """`found` with what the snapshot supplied said in its request and its notes (never silently); a key the
    diagnosis then left out (the tool's step was a listing of the bucket) is not claimed as used."""
    if filled.get("key") and not found.request.get("key"):
        filled = {k: v for k, v in filled.items() if k != "key"}
    if not filled:
        return found
    return replace(
        found, request={**found.request, "from_snapshot": filled}, notes=(_filled_note(filled, path), *found.notes)
    )


def fill_from_snapshot(
    snapshot: dict[str, Any], req: Any, principal: str | None
) -> tuple[Any, str | None, dict[str, str]]:
    """What the text leaves out, taken from a snapshot that holds exactly one of it: the bucket, the object (for an
    object operation, or when the operation is unknown) and the principal. Returns the request, the principal and
    {field: value} for each one taken — the answer says so (never silently)."""
    from bot.diagnose.candidates import with_facts
    from bot.diagnose.resolve import operation_of
    from bot.s3ops import ResourceKind

    target = snapshot.get("target") or {}
    bucket_section = snapshot.get("bucket") or {}
    filled: dict[str, str] = {}
    held_bucket = target.get("bucket") or bucket_section.get("name")
    if not req.bucket and isinstance(held_bucket, str) and held_bucket:
        filled["bucket"] = held_bucket
    spec = operation_of(req)
    object_op = spec is None or spec.resource is ResourceKind.OBJECT
    held_key = target.get("key") or (bucket_section.get("object") or {}).get("key")
    same_bucket = (req.bucket or filled.get("bucket")) == held_bucket
    if not req.key and object_op and isinstance(held_key, str) and held_key and same_bucket:
        filled["key"] = held_key
    held_principal = target.get("principal_arn") or (snapshot.get("principal") or {}).get("arn")
    if not principal and not req.principal_arn and not req.anonymous and isinstance(held_principal, str):
        filled["principal"] = held_principal
        principal = held_principal
    if "bucket" in filled or "key" in filled:
        kms_key = req.resource_arn if req.resource_arn and ":kms:" in req.resource_arn else None
        req = with_facts(req, bucket=filled.get("bucket"), key=filled.get("key"))
        if kms_key is not None:  # the key a KMS denial names is not an S3 resource: keep it
            req = replace(req, resource_arn=kms_key)
    return req, principal, filled


def _filled_note(filled: dict[str, str], path: str) -> str:
    """One sentence naming what the snapshot supplied: "the text names no bucket, key or principal: ..."."""
    names = {"bucket": "bucket", "key": "key", "principal": "principal"}
    missing = [names[k] for k in filled]
    listed = ", ".join(missing[:-1]) + (" or " if len(missing) > 1 else "") + missing[-1]
    used = "; ".join(f"{names[k]} {v}" for k, v in filled.items())
    return f"the text names no {listed}: s3why used the only one snapshot {path} holds of each ({used})"


def snapshot_aliases(snapshot: dict[str, Any]) -> frozenset[str]:
    """The aliases a request may use in the bucket's place for the snapshot's bucket: its access point's alias
    (GetAccessPoint's `Alias`) and its Multi-Region Access Point's (GetMultiRegionAccessPoint's `Alias`)."""
    ap = ((snapshot.get("access_point") or {}).get("calls") or {}).get("GetAccessPoint") or {}
    mrap = ((snapshot.get("multi_region_access_point") or {}).get("calls") or {}).get("GetMultiRegionAccessPoint") or {}
    found = {ap.get("Alias"), (mrap.get("AccessPoint") or {}).get("Alias")}
    return frozenset(a for a in found if isinstance(a, str) and a)


def check_snapshot_holds(
    snapshot: dict[str, Any], req: Any, principal: str | None, path: str, *, retarget: bool = True
) -> None:
    """Refuse a snapshot that does not hold the bucket, key or principal the request names: diagnosing another
    bucket's or role's configuration would answer a question nobody asked (never substitute silently).
    `retarget`: the command has --bucket/--key to point the request at the snapshot's (diagnose; `can` has not)."""
    from bot.engine.principal import is_anonymous, parse_principal

    target = snapshot.get("target") or {}
    held_bucket = target.get("bucket") or ((snapshot.get("bucket") or {}).get("name"))
    if not held_bucket and not target.get("principal_arn") and not snapshot.get("principal"):
        raise UsageError(f"snapshot {path} holds neither a bucket nor a principal: record one with s3why snapshot")
    if req.bucket and held_bucket and req.bucket != held_bucket and req.bucket not in snapshot_aliases(snapshot):
        raise UsageError(
            f"snapshot {path} holds bucket {held_bucket}, but the request names {req.bucket}: "
            "record a snapshot of that bucket (s3why snapshot)"
            + (", or pass --bucket to diagnose the snapshot's bucket" if retarget else "")
        )
    held_key = target.get("key")
    writes = {"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PostObject", "CopyObject"}
    # An upload to a new key reads no object data: each of these is authorized by s3:PutObject (asked as the
    # operation or as the IAM action).
    upload = req.operation in writes or (req.operation is None and (req.action or "").lower() == "s3:putobject")
    if req.key and held_key and req.key != held_key and not upload:
        raise UsageError(
            f"snapshot {path} holds object {held_key}, but the request names {req.key}: "
            "record a snapshot of that object"
            + (", or pass --key to diagnose the snapshot's object" if retarget else "")
        )
    asked = principal or req.principal_arn
    held = target.get("principal_arn")
    # An anonymous request has no principal whose data a snapshot would hold: any snapshot of the bucket answers it.
    if asked and held and asked != held and not is_anonymous(asked):
        a, h = parse_principal(asked), parse_principal(held)
        same = a.account == h.account and (a.name or a.arn) == (h.name or h.arn)  # sessions of one role
        if not same:
            raise UsageError(
                f"snapshot {path} holds principal {held}, but the request names {asked}: record a snapshot "
                "for that principal (s3why snapshot)"
            )


def _iac_options(args: argparse.Namespace) -> Any:
    """`--terraform-dir`, else the configuration's `iac:` section; None when neither says anything."""
    from bot.config import load_config
    from bot.iac.fixes import options_from_config

    terraform_dir = getattr(args, "terraform_dir", None)
    if terraform_dir and not Path(terraform_dir).is_dir():
        raise UsageError(f"--terraform-dir {terraform_dir}: not a directory")
    return options_from_config(load_config(os.environ.get("S3WHY_CONFIG")), terraform_dir)


def _configured_accounts() -> frozenset[str]:
    """The accounts of the configuration (S3WHY_CONFIG), if one is set: whose accounts a grant may name."""
    from bot.config import load_config

    return frozenset(a.id for a in load_config(os.environ.get("S3WHY_CONFIG")).accounts)


def _live_collector(no_cache: bool) -> Any:
    from bot.account.collector import Collector
    from bot.account.sessions import SessionProvider
    from bot.cache import NoCache, cache_from_env
    from bot.config import load_config

    config = load_config(os.environ.get("S3WHY_CONFIG"))
    cache = NoCache() if no_cache else cache_from_env(os.environ.get("REDIS_URL"), config.cache_ttls)
    return Collector(SessionProvider(config), cache)
