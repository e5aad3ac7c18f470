"""Changes on the request side (HTTPS, a header, the requester-pays flag, presigning again).

A header change names the operation's own parameter and a value AWS's S3 model accepts (bot/fixes/request_params.py);
the words for everything else are data (remediations/request-side/wording.yaml).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.arn import s3_arn
from bot.diagnose import RootCause
from bot.diagnose.layers.block_public_access import NEW_POLICY_PUBLIC
from bot.engine.context import sender_cannot_set
from bot.fixes.catalogue import request_wording
from bot.fixes.context import FixContext, rediagnose
from bot.fixes.model import Patch, PatchKind
from bot.fixes.request_params import RequestParameter, header_of, parameter_for
from bot.s3ops import lookup_operation, required_authorizations

# The only canned ACL a bucket with ACLs disabled accepts: "All S3 PUT requests must either specify the
# bucket-owner-full-control canned ACL or not specify an ACL, or these requests will fail" (S3 User Guide, Object
# Ownership "Troubleshooting"); it is not public either, so Block Public Access accepts it.
_OWNER_ACL = "bucket-owner-full-control"
_UPLOADS = frozenset({"PutObject", "CopyObject", "CreateMultipartUpload"})  # writes whose ACL header is optional

# Condition keys that say who the caller is (IAM User Guide, "AWS global condition context keys": principal
# properties). A request "with aws:PrincipalArn = ...role/admin" is another caller, not a change to the request:
# s3why never offers it (issue 20 §2).
_CALLER_KEYS = frozenset({"aws:userid", "aws:username", "aws:sourceidentity", "aws:federatedprovider"})


def changes_the_caller(key: str) -> bool:
    low = key.lower()
    return low.startswith("aws:principal") or low in _CALLER_KEYS


def _change(commands: list[str], context: dict[str, Any], target: str = "request") -> Patch:
    return Patch(target, PatchKind.REQUEST_CHANGE, None, commands, apply={"context": context})


def _works(c: FixContext, cause: RootCause, key: str, value: str) -> bool:
    # The error code and the expiry describe the failed attempt, not the changed request.
    changed = replace(c.req, error_code=None, presigned_expired=False)
    after = rediagnose(c, c.snapshot, context={key: value}, req=changed)
    return after.decision == "allow" or all(x.layer != cause.layer for x in after.root_causes)


def _default_algorithm(c: FixContext) -> str:
    enc = ((c.snapshot.get("bucket") or {}).get("calls") or {}).get("GetBucketEncryption") or {}
    for rule in (enc.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []:
        by_default = rule.get("ApplyServerSideEncryptionByDefault") if isinstance(rule, dict) else None
        if isinstance(by_default, dict) and by_default.get("SSEAlgorithm"):
            return str(by_default["SSEAlgorithm"])
    return ""


def _header_change(
    cause: RootCause, c: FixContext, key: str, value: str | None, param: RequestParameter
) -> Patch | None:
    """The header change for one allowed alternative, or None when no valid value of the header works."""
    if value is None:
        return _change([f"do not send the header {param.header} ({param.cli_flag})"], {key: None})
    cond = cause.evidence.get("condition") or {}
    operand = str(cond.get("operator", "")).startswith("Null") and str(cond.get("key", "")).lower() == key.lower()
    if param.accepts(value) and not operand:
        return _change(param.how_to_send(value), {key: value})
    # The policy's value is not one to send (a Null check's "true", or outside the model's enum): a value AWS
    # accepts that the policy admits instead, the bucket's default encryption first.
    preferred = _default_algorithm(c)
    candidates = sorted(param.enum, key=lambda v: (v != preferred, param.enum.index(v)))
    for candidate in candidates:
        if _works(c, cause, key, candidate):
            return _change(param.how_to_send(candidate), {key: candidate})
    return None


def _drop_headers_asking_for(cause: RootCause, c: FixContext, offered: set[str]) -> list[Patch]:
    """An unconditional Deny on an action the request needs only because it sends a header (tags ask for
    s3:PutObjectTagging, Object Lock headers for s3:PutObjectRetention / s3:PutObjectLegalHold, an ACL for
    s3:PutObjectAcl; bot/s3ops.py `required_authorizations`): sending the request without that header is the
    change, for every header the operation's botocore input takes."""
    denied = cause.evidence.get("action")
    spec = lookup_operation(c.req.operation) if c.req.operation else None
    unconditional = cause.kind == "explicit" and "Condition" not in (cause.evidence.get("statement") or {})
    if not unconditional or not isinstance(denied, str) or spec is None:
        return []
    ctx = dict(c.options.context)
    if denied not in {r.action for r in required_authorizations(spec, ctx)}:
        return []
    out = []
    for key in sorted(ctx):
        param = parameter_for(c.req.operation, key) if key not in offered and header_of(key) else None
        if param is None:
            continue
        without = {k: v for k, v in ctx.items() if k != key}
        if denied in {r.action for r in required_authorizations(spec, without)}:
            continue  # the action is needed without this header too
        text = f"send the request without {param.header} ({param.cli_flag}): the Deny is on {denied}, which only "
        text += "that header asks for"
        out.append(_change([text], {key: None}))
    return out


def request_changes(cause: RootCause, c: FixContext) -> list[Patch]:
    """Changes on the request side that a diagnosis showed would work (the alternatives it evaluated), each
    valid for the operation the request made."""
    wording = request_wording()
    acl = _acl_changes(cause, c)
    out: list[Patch] = list(acl)
    for alt in cause.evidence.get("alternatives") or []:
        if alt.get("decision") != "allow":
            continue
        ((key, value),) = alt["context"].items()
        if acl and key.lower() == "s3:x-amz-acl":
            continue  # said above, with both ways the bucket accepts
        if changes_the_caller(key):
            continue  # "be someone else" is not a fix
        if sender_cannot_set(key):
            continue  # another resource, Region or time: not a change the sender can make
        if header_of(key) is not None:
            param = parameter_for(c.req.operation, key)
            if param is None:
                continue  # the operation takes no such header: no value of it can be sent
            patch = _header_change(cause, c, key, value, param)
            if patch is not None:
                out.append(patch)
            continue
        out.append(_change([wording.for_key(_spelled(key, wording.condition_keys), value)], {key: value}))
    layer = cause.layer.value
    if layer == "block-public-access" and cause.evidence.get("new_policy_public") is not None:
        out.append(_change([wording.layers["block-public-policy"]], {NEW_POLICY_PUBLIC: "false"}))
    unconditional = cause.kind == "explicit" and "Condition" not in (cause.evidence.get("statement") or {})
    acl_denied = cause.evidence.get("action") == "s3:PutObjectAcl"
    if unconditional and acl_denied and parameter_for(c.req.operation, "s3:x-amz-acl") is not None:
        text = (
            "Send the request without an ACL (no --acl, no x-amz-acl or x-amz-grant-* header): the Deny is on "
            "s3:PutObjectAcl, which only an ACL in the request asks for"
        )
        out.append(_change([text], {"s3:x-amz-acl": None}))
    out += _drop_headers_asking_for(cause, c, {k for p in out for k in (p.apply.get("context") or {})})
    if layer == "requester-pays":
        out.append(_change([wording.layers[layer]], {"x-amz-request-payer": "requester"}))
    if layer == "presigned-url":
        out.append(_change([wording.layers[layer]], {"s3why:presigned-again": "true"}))
    if layer == "kms" and "AWS managed key" in cause.summary:
        bucket, key = c.bucket or "BUCKET", c.req.key or "KEY"
        text = wording.layers["kms-aws-managed-key"].format(bucket=bucket, key=key)
        out.append(Patch(s3_arn(bucket, key), PatchKind.REQUEST_CHANGE, None, [text], apply={}))
    return out


def _spelled(key: str, known: dict[str, str]) -> str:
    """The wording's spelling of a condition key (policies spell keys in any case: aws:sourceVpc)."""
    return next((k for k in known if k.lower() == key.lower()), key)


def _acl_changes(cause: RootCause, c: FixContext) -> list[Patch]:
    """An ACL the bucket refuses (Object Ownership BucketOwnerEnforced, or a public ACL under BlockPublicAcls):
    the writer sends no ACL header, or bucket-owner-full-control, with the operation's own parameter from S3's
    model (the CLI flag and SDK argument). Both are request changes the writer controls."""
    layer = cause.layer.value
    acl = cause.evidence.get("request_acl")
    enforced = layer == "object-ownership" and cause.evidence.get("object_ownership") == "BucketOwnerEnforced"
    if not (enforced or (layer == "block-public-access" and acl)):
        return []
    if c.req.operation not in _UPLOADS:
        return []  # PutBucketAcl / PutObjectAcl: the ACL is the request itself (the bucket's setting decides)
    param = parameter_for(c.req.operation, "s3:x-amz-acl")
    if param is None:
        return []
    grants = {f"s3:x-amz-grant-{g}": None for g in ("read", "write", "read-acp", "write-acp", "full-control")}
    drop = [
        f"do not send an ACL: no header {param.header} and no x-amz-grant-* header (AWS CLI: no {param.cli_flag}; "
        f"SDKs: leave {param.member} and the Grant* parameters out)"
    ]
    out = [_change(drop, {"s3:x-amz-acl": None, **grants})]
    if param.accepts(_OWNER_ACL):
        out.append(_change(param.how_to_send(_OWNER_ACL), {"s3:x-amz-acl": _OWNER_ACL, **grants}))
    return out
