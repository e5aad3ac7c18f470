"""Parse cost on hostile text: the worst of a set of adversarial fragments vs an ordinary paste of the same length.

`python -m benchmarks.parse_hostile` prints, per fragment, the parse cost per 1,000 characters of a 40,000-character
text made of that fragment repeated, and the ratio to a 40,000-character log paste (issue 14: no fragment may cost
more than a few times an ordinary paste). Nothing here is a test; tests/parse/test_hostile.py checks the same set.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.workloads import slack_message_40k
from bot.parse import parse_text

SIZE = 40_000

# Fragments that once made (or could make) a pattern rescan or backtrack: each is repeated to SIZE characters.
HOSTILE_FRAGMENTS: tuple[str, ...] = (
    "<https://",
    "<http://a|",
    "<@U1|",
    "arn:aws:",
    "arn:aws:s3:::b/",
    "s3://",
    "s3://b/k ",
    '"',
    "{",
    '{"a":',
    "[",
    "(",
    "<",
    "&amp;",
    "&",
    "a",
    "A",
    "0",
    "/",
    "\\",
    '\\"',
    "\\n",
    "`",
    "|",
    "> ",
    " ",
    "\n",
    ".",
    ":",
    "-",
    "=",
    "amazonaws.com",
    "b.s3.amazonaws.com/",
    "User: ",
    "User: x is not authorized to perform: s3:GetObject on resource: ",
    "is not authorized to perform",
    "An error occurred (",
    ") when calling the ",
    "Error Code",
    "Error Code: ",
    "<Code>",
    "<Key>",
    "<RequestId>",
    "request id: ",
    "RequestId=",
    "status code: ",
    "HTTP/1.1 403 ",
    "Status Code: 403",
    "X-Amz-Credential=",
    "X-Amz-Signature=",
    "X-Amz-Security-Token=",
    "AWSAccessKeyId=",
    "Signature=",
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&",
    "https://",
    "https://b.s3.amazonaws.com/k?",
    "GET https://",
    "PUT ",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "secret_key=",
    "session_token=",
    "S3::",
    "Command",
    "operation error ",
    "upload failed: ",
    "upload: ",
    "download: ",
    "Failed to upload ",
    'object "',
    'S3 bucket "',
    "Access to bucket '",
    "authorization id: ",
    "#/authorization-details/",
    "because ",
    "with an explicit deny in a ",
    '"eventName": "',
    '"eventSource": "s3.amazonaws.com", ',
    '"requestParameters": {',
    '"userIdentity": {"arn": "',
    "x-amz-",
    "x-amz-acl: ",
    "via: ",
    "(CloudFront)",
    "x-cache: ",
    "--x-s3",
    "--usw2-az1--x-s3",
    "s3express:",
    ".getObject(",
    "AmazonS3Client.",
    "at com.amazonaws.services.s3.AmazonS3Client.getObject(",
    "HTTP response code 403",
    "failed to put file",
    "HTTP Error 403: Forbidden",
    "ERROR : ",
    "Failed to copy: ",
    "s3a://b/",
    "fs.s3a.",
    "upload_file",
    "download_file",
    "aws s3 cp ",
    "aws s3 ",
    "aws s3 cp s3://b/k ",
    "aws s3api get-object --bucket b --key ",
    "GET https://b.s3.amazonaws.com/",
    "HEAD https://",
    "PUT /k HTTP/1.1 Host: b.s3.amazonaws.com ",
    '"userIdentity": {',
    '"errorCode": "',
    '{"eventVersion": "1.09", ',
    "--bucket ",
    "Bucket='",
    "Key='",
    'code: Some("',
    "StatusCode(",
    "open s3a://b/k at 0",
    " on s3a://",
    "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE/",
    "?X-Amz-Credential=a&X-Amz-Date=",
    "https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&amp;Expires=1&amp;",
    ".s3express-usw2-az1.us-west-2.amazonaws.com/",
    # The general path (issue 21): vocabulary words, parameters, sentences, access points, arrival shapes.
    "\x1b[31m",
    "^[[0m",
    "[0;31m",
    "\\u001b[",
    "\\\\",
    "*a",
    "*a *",
    "_a",
    "~a",
    "a_",
    "GetObject ",
    "GetObject a/",
    "get_object",
    "S3.PutObject.",
    "aws-sdk:s3:",
    "aws_s3_bucket_policy.",
    "AWS::S3::",
    "AccessDenied ",
    "NoSuchKeyException ",
    "Error",
    "Exception: ",
    "bucket 'a-1' ",
    "bucket a-1 key 'k' ",
    "bucket=",
    "bucket_name: ",
    '"Bucket": "b-1", ',
    "key='k/",
    "s3://arn:aws:s3:us-east-1:123456789012:accesspoint/",
    "arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/",
    "arn:aws:s3:::",
    "request-id: ",
    "status=",
    "HTTP 403 ",
    "bucket=a-1 key='k/' ",
    "bucket a-1, key k/ ",
    "object a/",
    "object a/a",
    ':host => "b.s3.amazonaws.com" :path => "/k" ',
    "path: '/",
    "host: b.s3.amazonaws.com ",
    "putting object ",
    "creating S3 Bucket (b) ",
    "Rid ",
    "Optional(",
    "status: 403 ",
    "b--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/",
    "Failed to copy: ",
    "403 Forbidden ",
    "x-amz-acl: ",
    "x-amz-server-side-encryption",
    "--acl ",
    "SessionMode=",
    "in load_file ",
    "hooks/s3.py",
    "curl.cpp:HeadRequest(",
    ".getObject(AmazonS3Client.java:1)",
    "GetObjectError ",
    "Access Denied\n",
    "x-amz-request-id: A1\nAccess Denied\n",
    '{"eventVersion": "1", "errorCode": "AccessDenied", "eventName": "GetObject"}\n',
    "GET https://b.s3.amazonaws.com/k 403 Forbidden\n",
    "aws s3 cp s3://b/k .\n",
    "Status code: 403\n",
    "computing signature [PUT] [/",
)


def ordinary_paste(size: int = SIZE) -> str:
    """A log paste of `size` characters with a few errors: the cost every hostile text is compared with."""
    text = slack_message_40k()
    while len(text) < size:
        text += "\n" + text
    return text[:size]


# An error line first, so that the fragment's run lands inside a chunk every extraction pattern reads.
ANCHOR = "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied "


def hostile_text(fragment: str, size: int = SIZE, *, anchored: bool = False) -> str:
    """`fragment` repeated to `size` characters; `anchored`: after an error line, inside the error's chunk."""
    head = ANCHOR if anchored else ""
    return (head + fragment * (size // len(fragment) + 1))[:size]


def _cost_seconds(text: str, rounds: int) -> float:
    parse_text(text)
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        parse_text(text)
        samples.append(time.process_time() - start)
    return min(samples)


def main() -> int:
    base = _cost_seconds(ordinary_paste(), rounds=5)
    rows = [
        (("after an error line: " if anchored else "") + repr(f), _cost_seconds(hostile_text(f, anchored=anchored), 3))
        for f in HOSTILE_FRAGMENTS
        for anchored in (False, True)
    ]
    rows.sort(key=lambda r: r[1], reverse=True)
    per_k = 1000 / SIZE
    print(f"ordinary 40,000-character paste: {base * per_k * 1e3:.3f} ms per 1,000 characters")
    for fragment, cost in rows[:10]:
        print(f"{fragment:>80}: {cost * per_k * 1e3:.3f} ms per 1,000 characters ({cost / base:.1f}x ordinary)")
    worst_fragment, worst = rows[0]
    print(
        f"worst fragment {worst_fragment}: {worst / base:.1f}x the ordinary paste, median of all fragments "
        f"{statistics.median(c for _, c in rows) / base:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
