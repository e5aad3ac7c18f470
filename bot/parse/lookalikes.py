"""Errors that look like an access denial but are something else, and what they really are.

The titles and explanations are data, shown to people as is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Lookalike:
    code: str
    title: str
    explanation: str


LOOKALIKES: dict[str, Lookalike] = {
    entry.code: entry
    for entry in (
        Lookalike(
            "NoSuchBucket",
            "the bucket does not exist",
            "No bucket has this name (check the spelling, the "
            "partition and whether it was deleted). It is not a permissions problem.",
        ),
        Lookalike(
            "NoSuchKey",
            "the object does not exist",
            "The key is not in the bucket. You see this 404 (not a "
            "403) because you have s3:ListBucket; check the key's exact spelling, case and prefix.",
        ),
        Lookalike(
            "PermanentRedirect",
            "wrong region or endpoint",
            "The bucket lives in another region: send the "
            "request to the endpoint S3 names (set the client's region to the bucket's). Not a permissions "
            "problem.",
        ),
        Lookalike(
            "TemporaryRedirect",
            "wrong region or endpoint",
            "The bucket is being reached through the wrong "
            "endpoint while DNS propagates; use the bucket's regional endpoint.",
        ),
        Lookalike(
            "AuthorizationHeaderMalformed",
            "wrong region in the signature",
            "The request was signed for another region than the bucket's; set the client's region to the bucket's.",
        ),
        Lookalike(
            "InvalidAccessKeyId",
            "the access key does not exist",
            "The access key id is unknown to AWS: it was "
            "deleted or mistyped, belongs to another partition, or a stale profile is in use. Check which "
            "credentials the client picks up (`aws sts get-caller-identity`).",
        ),
        Lookalike(
            "SignatureDoesNotMatch",
            "the request signature is wrong",
            "The secret key does not match the "
            "access key, or the request was changed after signing (for a presigned URL: another HTTP "
            "method, a header that was not signed, a re-encoded key). Not a policy problem.",
        ),
        Lookalike(
            "ExpiredToken",
            "the session credentials expired",
            "The temporary credentials' session token has "
            "expired: refresh the credentials (assume the role again, renew the SSO login).",
        ),
        Lookalike(
            "InvalidToken",
            "the session token is malformed or invalid",
            "The session token does not belong to these credentials or was truncated; get fresh temporary credentials.",
        ),
        Lookalike(
            "TokenRefreshRequired",
            "the session credentials must be refreshed",
            "Get fresh temporary credentials and retry.",
        ),
        Lookalike(
            "RequestTimeTooSkewed",
            "the client's clock is wrong",
            "The request time differs from AWS's by more "
            "than 15 minutes: synchronise the clock (NTP) of the machine making the request.",
        ),
        Lookalike(
            "AllAccessDisabled",
            "all access to the resource is disabled",
            "AWS has disabled all access to this "
            "bucket or object (often an account suspended or a bucket flagged for abuse); contact AWS Support.",
        ),
        Lookalike(
            "AccountProblem",
            "a problem with the AWS account",
            "The account cannot complete the request (billing, suspension or verification); contact AWS Support.",
        ),
        Lookalike(
            "AccessControlListNotSupported",
            "the bucket does not accept ACLs",
            "The bucket's Object Ownership "
            "is BucketOwnerEnforced, so ACLs are disabled: drop the ACL header (e.g. --acl, x-amz-acl) or "
            "send only bucket-owner-full-control.",
        ),
        Lookalike(
            "InvalidObjectState",
            "the object is archived",
            "The object is in an archive storage class "
            "(Glacier or Deep Archive): restore it first (RestoreObject). Not a permissions problem.",
        ),
        Lookalike(
            "MethodNotAllowed",
            "the operation is not allowed on this resource",
            "For bucket policy calls this "
            "means the caller is not in the bucket owner's account; other calls: the method does not apply.",
        ),
        Lookalike(
            "KMS.NotFoundException",
            "the KMS key does not exist",
            "The KMS key named for encryption does not "
            "exist in this region or account; check the key ARN in the request or the bucket's default "
            "encryption.",
        ),
        Lookalike("KMS.DisabledException", "the KMS key is disabled", "Enable the key, or use another key."),
        Lookalike(
            "KMS.KMSInvalidStateException",
            "the KMS key is not usable",
            "The key is pending deletion or import; cancel the deletion or use another key.",
        ),
    )
}

# Codes that are a real access denial (the diagnosis then walks the authorization layers).
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "KMS.AccessDeniedException",
        "Forbidden",
        "403",
        "403 Forbidden",
    }
)
