"""SSE-KMS: S3 calls KMS on the caller's behalf (kms:Decrypt to read, kms:GenerateDataKey to write), so the key
policy (or a grant, or IAM when the key policy delegates to the account) must allow the caller, through S3
(kms:ViaService), with the object's encryption context. An AWS managed key (aws/s3) admits only its own account.
S3 User Guide, "Using server-side encryption with AWS KMS keys"; KMS Developer Guide, "Key policies"."""

from __future__ import annotations

from typing import Any

from bot.account.view import AccountView, BucketView, KeyView, arn_account
from bot.arn import s3_arn
from bot.diagnose.evidence import evidence
from bot.diagnose.layers.base import Authorization, Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import ALLOW, DENY, NO_ALLOW, NOT_APPLICABLE, UNKNOWN
from bot.diagnose.options import context_value
from bot.engine import AuthzRequest, PolicyKind, PolicySet, Principal
from bot.engine import evaluate as evaluate_policies
from bot.engine.policy import compiled_policy
from bot.errors import PolicyError
from bot.layers import LayerId

READS_WITH_KMS = frozenset({"GetObject", "SelectObjectContent", "CopyObject", "UploadPartCopy"})
WRITES = frozenset(
    {"PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload"}
)


def _key_and_actions(subject: Subject) -> tuple[str | None, tuple[str, ...]]:
    """The key S3 would use for this request and the KMS actions it asks for on the caller's behalf."""
    spec, bucket, ctx = subject.spec, subject.view.bucket, subject.options.context
    assert spec is not None and bucket is not None
    obj = bucket.object
    # A denial that names a KMS action on a key ARN says which key S3 used ("... kms:GenerateDataKey on resource:
    # arn:aws:kms:..."): a fact, whatever the bucket's default encryption says today.
    stated = subject.req.resource_arn or ""
    if stated.startswith("arn:aws") and ":kms:" in stated and ":key/" in stated:
        copies = spec.operation in ("CopyObject", "UploadPartCopy")
        actions = spec.source_kms_actions if copies and spec.operation in READS_WITH_KMS else spec.kms_actions
        if actions:
            return stated, actions
    unread = obj is not None and subject.req.key is not None and obj.key != subject.req.key
    if spec.operation in READS_WITH_KMS and spec.operation not in ("CopyObject", "UploadPartCopy") and unread:
        # Another object than the one s3why read (the workload's next one): written under the bucket's default
        # encryption (S3 User Guide, "Setting default server-side encryption behavior": it applies to new objects).
        default = _default_key(bucket)
        return default, spec.kms_actions if default else ()
    if spec.operation in READS_WITH_KMS and obj is not None and obj.head.present:
        if obj.head.value.get("ServerSideEncryption") in ("aws:kms", "aws:kms:dsse"):
            copies = spec.operation in ("CopyObject", "UploadPartCopy")
            return obj.kms_key_id, spec.source_kms_actions if copies else spec.kms_actions
        return None, ()
    if spec.operation in WRITES:
        sse = context_value(ctx, "s3:x-amz-server-side-encryption")
        requested = context_value(ctx, "s3:x-amz-server-side-encryption-aws-kms-key-id")
        default_key = None
        enc = bucket.get("GetBucketEncryption")
        if enc.present:
            for rule in (enc.value.get("ServerSideEncryptionConfiguration") or {}).get("Rules", []):
                d = rule.get("ApplyServerSideEncryptionByDefault") or {}
                if d.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse"):
                    default_key = d.get("KMSMasterKeyID") or "alias/aws/s3"
        key_arn = requested or (None if sse == "AES256" else default_key)
        if sse in ("aws:kms", "aws:kms:dsse") and not key_arn:
            key_arn = "alias/aws/s3"
        return key_arn, spec.kms_actions
    return None, ()


def _default_key(bucket: BucketView) -> str | None:
    """The key of the bucket's default encryption (None: SSE-S3, or not read)."""
    enc = bucket.get("GetBucketEncryption")
    if enc.present:
        for rule in (enc.value.get("ServerSideEncryptionConfiguration") or {}).get("Rules", []):
            d = rule.get("ApplyServerSideEncryptionByDefault") or {}
            if d.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse"):
                return str(d.get("KMSMasterKeyID") or "alias/aws/s3")
    return None


def is_origin_access_identity(who: Principal) -> bool:
    """A CloudFront origin access identity: `arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ID`."""
    return bool(who.arn and who.arn.startswith("arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity"))


def _uses_bucket_key(subject: Subject) -> bool:
    """Whether S3 calls KMS with an S3 Bucket Key, so that the encryption context is the bucket's ARN, not the
    object's (S3 User Guide, "Configuring your bucket to use an S3 Bucket Key with SSE-KMS for new objects": "When
    an S3 Bucket Key is enabled for the source or destination bucket, the encryption context will be the bucket
    Amazon Resource Name (ARN) and not the object ARN").

    An existing object says it in HeadObject (`BucketKeyEnabled`). A new object (a write, or a key HeadObject
    answers 404 for: not present) uses the request's `x-amz-server-side-encryption-bucket-key-enabled` header when
    given, else the bucket's default encryption rule (`GetBucketEncryption` `BucketKeyEnabled`)."""
    spec, bucket = subject.spec, subject.view.bucket
    assert spec is not None and bucket is not None
    obj = bucket.object
    if spec.operation not in WRITES and obj is not None and obj.head.present:
        return bool(obj.head.value.get("BucketKeyEnabled"))
    if spec.operation not in WRITES:
        return False
    header = context_value(subject.options.context, "s3:x-amz-server-side-encryption-bucket-key-enabled")
    if header is not None:
        return header.lower() == "true"
    enc = bucket.get("GetBucketEncryption")
    rules = (enc.value.get("ServerSideEncryptionConfiguration") or {}).get("Rules", []) if enc.present else []
    return any(
        rule.get("BucketKeyEnabled")
        and (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse")
        for rule in rules
    )


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth, view, spec = subject.auth, subject.view, subject.spec
    if auth is None or view.bucket is None or spec is None:
        return out.done()
    bucket = view.bucket
    who, owner = auth.who, auth.owner
    obj = bucket.object
    key_arn, actions = _key_and_actions(subject)
    if not key_arn or not actions:
        if obj is not None and not obj.head.known and spec.operation in READS_WITH_KMS:
            out.set(LayerId.KMS, UNKNOWN, f"whether the object uses SSE-KMS is unknown: {obj.head.detail}")
        else:
            out.set(LayerId.KMS, NOT_APPLICABLE, "the object and the request do not use SSE-KMS")
        return out.done()
    if is_origin_access_identity(who):
        # CloudFront Developer Guide, "Restrict access to an Amazon S3 origin": OAC supports "Amazon S3
        # server-side encryption with AWS KMS (SSE-KMS)"; "OAI doesn't support these features".
        out.set(LayerId.KMS, DENY, "a CloudFront origin access identity cannot read SSE-KMS objects")
        out.cause(
            LayerId.KMS,
            "setting",
            f"the object is encrypted with SSE-KMS ({key_arn}), and a CloudFront origin access identity (OAI) "
            "cannot use KMS keys: move the distribution to origin access control (OAC) and let the key policy "
            "admit cloudfront.amazonaws.com for that distribution (AWS:SourceArn), or store the objects with SSE-S3",
            key=key_arn,
        )
        return out.done()
    if "alias/aws/s3" in key_arn:
        if who.account != owner:
            out.set(LayerId.KMS, DENY, "the AWS managed key aws/s3 cannot be used across accounts")
            out.cause(
                LayerId.KMS,
                "setting",
                "the object is encrypted with the AWS managed key aws/s3, whose key policy admits only its own "
                "account: no policy can let another account use it. Re-encrypt with a customer managed key whose "
                "policy admits this principal (CopyObject in place with --sse-kms-key-id)",
                key=key_arn,
            )
        else:
            out.set(LayerId.KMS, ALLOW, "aws/s3 is usable through S3 by every principal of its account")
        return out.done()
    key = view.keys.get(key_arn) or next(
        (k for arn, k in view.keys.items() if arn.endswith(key_arn.split("/")[-1])), None
    )
    if key is None or not key.policy.present:
        detail = key.policy.detail if key is not None else f"key {key_arn} was not read"
        meta_fact = key.metadata if key is not None else None
        if (
            meta_fact is not None
            and meta_fact.present
            and meta_fact.value.get("KeyManager") == "AWS"
            and who.account != arn_account(key_arn)
        ):
            out.set(LayerId.KMS, DENY, "an AWS managed key cannot be used across accounts")
            out.cause(
                LayerId.KMS,
                "setting",
                "the object is encrypted with the other account's AWS managed key (aws/s3): it "
                "cannot be shared; re-encrypt with a customer managed key",
                key=key_arn,
            )
            return out.done()
        out.set(LayerId.KMS, UNKNOWN, detail)
        return out.done()
    if key.aws_managed and who.account != key.account:
        out.set(LayerId.KMS, DENY, "the AWS managed key aws/s3 cannot be used across accounts")
        out.cause(
            LayerId.KMS,
            "setting",
            "the object is encrypted with another account's AWS managed key (aws/s3): no policy "
            "can let this principal use it. Re-encrypt with a customer managed key that admits it",
            key=key.arn,
        )
        return out.done()
    meta: dict[str, Any] = key.metadata.value if key.metadata.present else {}
    state = meta.get("KeyState")
    if state and state != "Enabled":
        out.set(LayerId.KMS, DENY, f"the key is {state}")
        out.cause(
            LayerId.KMS,
            "setting",
            f"the KMS key {key.arn} is {state}: enable it (or cancel its deletion)",
            key=key.arn,
            key_state=state,
        )
        return out.done()
    _key_policy_check(subject, auth, key, actions, out)
    return out.done()


def _key_policy_check(
    subject: Subject, auth: Authorization, key: KeyView, actions: tuple[str, ...], out: Findings
) -> None:
    view, who, owner, inputs = subject.view, auth.who, auth.owner, auth.inputs
    bucket = view.bucket
    assert bucket is not None
    try:
        key_policy = compiled_policy(key.policy.value, name=f"key policy of {key.arn}", kind=PolicyKind.RESOURCE)
    except PolicyError as exc:
        out.set(LayerId.KMS, UNKNOWN, f"the key policy is malformed: {exc.reason}")
        return
    region = bucket.region or "us-east-1"
    bucket_key = _uses_bucket_key(subject)
    req_key = subject.req.key
    enc_ctx = s3_arn(bucket.name) if bucket_key or req_key is None else s3_arn(bucket.name, req_key)
    kctx = dict(auth.context)
    kctx.update(
        {
            "kms:ViaService": (f"s3.{region}.amazonaws.com",),
            "kms:CallerAccount": (who.account or "",),
            "kms:EncryptionContext:aws:s3:arn": (enc_ctx,),
            "kms:EncryptionContextKeys": ("aws:s3:arn",),
            "aws:ViaAWSService": ("true",),
            "aws:ResourceAccount": (key.account or "",),
            **{f"aws:ResourceTag/{k}": (v,) for k, v in key.tags.items()},
        }
    )
    rcps = inputs.rcps if key.account == owner else None
    policies = PolicySet(
        identity=inputs.identity,
        resource=key_policy,
        boundary=inputs.boundary,
        session=inputs.session,
        scps=inputs.scps,
        rcps=rcps,
        resource_aws_managed=key.aws_managed,  # RCPs do not apply to AWS managed keys
    )
    grants = key.grants.value if key.grants.present else ()
    for action in actions:
        result = evaluate_policies(AuthzRequest(who, action, key.arn, key.account, kctx), policies)
        if result.decision.value == "allow":
            continue
        if (
            result.decision.value == "implicit-deny"
            and not _guard_withholds(result)
            and _grant_allows(grants, who, view, action, kctx)
        ):
            continue
        documents = {
            key_policy.name: key.policy.value,
            **{n.name: n.document for n in (view.principal.policies if view.principal else ())},
        }
        if result.decision.value == "explicit-deny" or _guard_withholds(result):
            # An SCP or RCP that denies the KMS action, or does not allow it, is the cause whatever the key says.
            wanted = "deny" if result.decision.value == "explicit-deny" else "no-allow"
            for guard in _GUARDS:
                guard_layer = result.layer(guard)
                if guard_layer is not None and guard_layer.verdict.value == wanted:
                    ev = evidence(
                        result,
                        guard,
                        {p.name: p.document for lvl in (inputs.scps or ()) + (inputs.rcps or ()) for p in lvl},
                    )
                    ev.update(key=key.arn, action=action)
                    explicit = wanted == "deny"
                    verb = "denies" if explicit else "does not allow"
                    summary = f"an {guard.value.upper()} {verb} {action} on the key {key.arn} ({guard_layer.detail})"
                    out.set(LayerId.KMS, DENY if explicit else NO_ALLOW, summary)
                    out.set(guard, DENY if explicit else NO_ALLOW, guard_layer.detail + f" (for {action} on the key)")
                    out.cause(guard, "explicit" if explicit else "implicit", summary, **ev)
                    return
        kms_layer = result.layer(LayerId.KMS)
        source = (
            LayerId.KMS
            if kms_layer is not None and kms_layer.verdict.value in ("deny", "no-allow")
            else LayerId.IDENTITY
        )
        ev = evidence(result, source, documents)
        ev.update(key=key.arn, action=action)
        if source is LayerId.KMS and "statement" not in ev:
            ev["key_policy"] = key.policy.value
        kind = (
            "explicit"
            if result.decision.value == "explicit-deny"
            else ("condition" if "condition" in ev else "implicit")
        )
        delegates = any(
            s.is_allow
            and s.principal is not None
            and any(a.endswith(":root") or a == key.account for a in s.principal.aws)
            for s in key_policy.statements
        )
        if result.decision.value == "explicit-deny":
            summary = f"{action} on the key is explicitly denied: {result.reason}"
        elif source is LayerId.KMS and who.account == key.account and not delegates:
            summary = (
                f"the key policy of {key.arn} neither allows this principal {action} nor delegates to the "
                "account's IAM "
                "policies (no statement for the account root): IAM policies cannot help until it does"
            )
        elif source is LayerId.KMS:
            summary = f"the key policy of {key.arn} does not allow {action} for this principal"
        else:
            summary = f"no identity-based policy allows {action} on {key.arn} (the key policy delegates to IAM)"
        out.set(LayerId.KMS, DENY if kind == "explicit" else NO_ALLOW, summary)
        out.cause(LayerId.KMS, kind, summary, **ev)
        return
    out.set(LayerId.KMS, ALLOW, f"{', '.join(actions)} on {key.arn} is allowed")


# Guards a grant cannot lift: "If an SCP ... does not allow an action, the action is denied" whatever grants it
# (IAM User Guide, "Policy evaluation logic": SCPs and RCPs apply to every request of an account's principals and
# to the account's resources, resource-based permissions included).
_GUARDS = (LayerId.SCP, LayerId.RCP)


def _guard_withholds(result: Any) -> bool:
    """Whether the implicit deny comes from an SCP or RCP (a grant allows only what the key policy could)."""
    for guard in _GUARDS:
        layer = result.layer(guard)
        if layer is not None and layer.verdict.value in ("deny", "no-allow"):
            return True
    return False


def _encryption_context(kctx: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The encryption context S3 sends to KMS for this request (the kms:EncryptionContext:* keys)."""
    prefix = "kms:encryptioncontext:"
    return {k[len(prefix) :]: v[0] for k, v in kctx.items() if k.lower().startswith(prefix) and v}


def _constraints_hold(grant: dict[str, Any], context: dict[str, str]) -> bool:
    """A grant's constraints (KMS Developer Guide, "Using grant constraints"): EncryptionContextSubset "allows the
    operation only when the encryption context in the request includes the encryption context specified in the
    constraint"; EncryptionContextEquals "only when the encryption context in the request is an exact,
    case-sensitive match". Both compare exactly: no wildcards."""
    constraints = grant.get("Constraints") or {}
    if not isinstance(constraints, dict):
        return False
    subset = constraints.get("EncryptionContextSubset")
    if isinstance(subset, dict) and any(context.get(k) != v for k, v in subset.items()):
        return False
    equals = constraints.get("EncryptionContextEquals")
    return not (isinstance(equals, dict) and equals != context)


def _grant_allows(
    grants: Any, who: Principal, view: AccountView, action: str, kctx: dict[str, tuple[str, ...]]
) -> bool:
    names = {who.arn, who.role_arn, view.principal.role_arn if view.principal else None}
    op = action.split(":", 1)[1]
    context = _encryption_context(kctx)
    return any(
        g.get("GranteePrincipal") in names and op in (g.get("Operations") or []) and _constraints_hold(g, context)
        for g in grants or ()
    )


CHECK = LayerCheck(
    name="kms",
    layers=(LayerId.KMS,),
    reads=("HeadObject (SSE-KMS key)", "GetBucketEncryption", "kms: DescribeKey, GetKeyPolicy, ListGrants"),
    needs=Needs.BUCKET,
    evaluate=evaluate,
)
