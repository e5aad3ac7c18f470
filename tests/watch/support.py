"""Real-shaped CloudTrail records (CloudTrail User Guide, "CloudTrail record contents") and the four queue
message shapes CONTRACT.md lists, for the watch tests and the benchmark."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

OWN = "123456789012"  # moto's default account


def record(
    *,
    role: str = "etl",
    session: str = "run-1",
    bucket: str = "lake",
    key: str = "raw/2026/12/03/part-0.parquet",
    event_name: str = "GetObject",
    error_code: str | None = "AccessDenied",
    event_id: str | None = None,
    event_time: str = "2026-12-03T10:00:00Z",
    account: str = OWN,
    source: str = "s3.amazonaws.com",
    **extra: Any,
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
            "accountId": account,
            "accessKeyId": "ASIAEXAMPLEEXAMPLE00",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLE",
                    "arn": f"arn:aws:iam::{account}:role/{role}",
                    "accountId": account,
                    "userName": role,
                },
                "attributes": {"creationDate": "2026-12-03T09:00:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": event_time,
        "eventSource": source,
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "[aws-sdk-java/2.25.0]",
        "requestParameters": {"bucketName": bucket, "Host": f"{bucket}.s3.us-east-1.amazonaws.com", "key": key},
        "responseElements": None,
        "additionalEventData": {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader",
        },
        "requestID": "8X4ZKQ1EXAMPLE",
        "eventID": event_id or str(uuid.uuid4()),
        "readOnly": True,
        "resources": [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": account,
        "eventCategory": "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"},
    }
    if error_code is not None:
        rec["errorCode"] = error_code
        rec["errorMessage"] = "Access Denied"
    rec.update(extra)
    return rec


def eventbridge(rec: dict[str, Any]) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.s3",
            "account": rec.get("recipientAccountId"),
            "time": rec.get("eventTime"),
            "region": "us-east-1",
            "resources": [],
            "detail": rec,
        }
    )


def log_file(*records: dict[str, Any]) -> str:
    return json.dumps({"Records": list(records)})


def gzipped_log(*records: dict[str, Any]) -> bytes:
    return gzip.compress(log_file(*records).encode())


def s3_notification(bucket: str, key: str) -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-12-03T10:05:00.000Z",
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                        "object": {"key": key.replace(" ", "+"), "size": 1024},
                    },
                }
            ]
        }
    )
