import json, random, sys

R = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
A, B = "111111111111", "222222222222"
NO2008 = True
PRINCIPALS = [
    f"arn:aws:iam::{A}:user/alice",
    f"arn:aws:sts::{A}:assumed-role/app/sess1",
    f"arn:aws:iam::{A}:role/app",
    f"arn:aws:iam::{B}:user/bob",
    f"arn:aws:sts::{B}:assumed-role/ext/s2",
    "anonymous",
    "cloudfront.amazonaws.com",
]
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetBucketPolicy"]
OBJ = ["arn:aws:s3:::b1/k/x.txt", "arn:aws:s3:::b2/data/y"]
BKT = ["arn:aws:s3:::b1", "arn:aws:s3:::b2"]


def action_pat():
    return R.choice(
        [
            "s3:GetObject",
            "s3:PutObject",
            "s3:ListBucket",
            "s3:Get*",
            "s3:*",
            "*",
            "s3:*Object",
            "s3:DeleteObject",
            "S3:getobject",
            "s3:List?ucket",
        ]
    )


def res_pat():
    return R.choice(
        [
            "arn:aws:s3:::b1/*",
            "arn:aws:s3:::b1",
            "arn:aws:s3:::b*",
            "*",
            "arn:aws:s3:::b2/data/*",
            "arn:aws:s3:::*/k/*",
            "arn:aws:s3:::b1/k/x.txt",
            "arn:aws:s3:::b1/${aws:username}/*",
            "arn:aws:s3:::b?/*",
            "arn:aws:s3:::${aws:PrincipalTag/team, 'b1'}/*",
            "arn:aws:s3:::b1/k/${*}",
            "arn:*:s3:::b1/*",
            "arn:aws:s3:*:*:b1/*",
        ]
    )


def principal_el():
    return R.choice(
        [
            "*",
            {"AWS": "*"},
            {"AWS": A},
            {"AWS": f"arn:aws:iam::{A}:root"},
            {"AWS": B},
            {"AWS": f"arn:aws:iam::{A}:user/alice"},
            {"AWS": f"arn:aws:iam::{A}:role/app"},
            {"AWS": f"arn:aws:sts::{A}:assumed-role/app/sess1"},
            {"AWS": f"arn:aws:iam::{B}:user/bob"},
            {"AWS": [f"arn:aws:iam::{B}:root", f"arn:aws:iam::{A}:user/alice"]},
            {"Service": "cloudfront.amazonaws.com"},
            {"AWS": [f"arn:aws:sts::{A}:assumed-role/app/sess1", A]},
            {"AWS": f"arn:aws:sts::{B}:assumed-role/ext/s2"},
        ]
    )


CONDS = [
    lambda: {"StringEquals": {"aws:PrincipalTag/team": R.choice(["red", "blue"])}},
    lambda: {"StringNotEquals": {"aws:PrincipalTag/team": "red"}},
    lambda: {"StringEqualsIfExists": {"aws:PrincipalTag/team": "red"}},
    lambda: {"Bool": {"aws:SecureTransport": R.choice(["true", "false"])}},
    lambda: {"BoolIfExists": {"aws:SecureTransport": "false"}},
    lambda: {"IpAddress": {"aws:SourceIp": R.choice(["10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"])}},
    lambda: {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    lambda: {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
    lambda: {"StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}},
    lambda: {"Null": {"aws:SourceVpce": R.choice(["true", "false"])}},
    lambda: {
        "ArnLike": {
            "aws:PrincipalArn": R.choice(
                [f"arn:aws:iam::{A}:role/*", f"arn:aws:iam::*:user/alice", f"arn:aws:iam::{A}:*"]
            )
        }
    },
    lambda: {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/app"}},
    lambda: {"StringEquals": {"aws:PrincipalAccount": R.choice([A, B])}},
    lambda: {"StringEquals": {"aws:ResourceAccount": R.choice([A, B])}},
    lambda: {"StringLike": {"aws:PrincipalTag/team": "r*"}},
    lambda: {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}},
    lambda: {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
    lambda: {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
    lambda: {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a"]}},
    lambda: {"ForAnyValue:StringNotLike": {"aws:TagKeys": ["a*"]}},
    lambda: {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    lambda: {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    lambda: {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    lambda: {"NumericGreaterThanEqualsIfExists": {"aws:MultiFactorAuthAge": "100"}},
    lambda: {"StringEquals": {"aws:username": "${aws:username}"}},
    lambda: {"StringLike": {"aws:PrincipalTag/team": "${aws:PrincipalTag/dept}"}},
    lambda: {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/dept, 'red'}"}},
    lambda: {"StringNotLikeIfExists": {"aws:SourceVpc": "vpc-1*"}},
    lambda: {"StringEquals": {"aws:TagKeys": "a"}},
    lambda: {"StringNotEquals": {"aws:TagKeys": ["a", "c"]}},
    lambda: {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "", "pub/${*}x"]}},
    lambda: {"StringEquals": {"s3:prefix": ""}},
    lambda: {"Null": {"s3:prefix": "true", "aws:TagKeys": "false"}},
    lambda: {"ForAllValues:StringLike": {"aws:TagKeys": ["a*"]}},
    lambda: {"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": ["C"]}},
    lambda: {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::111111111111:distribution/E1"}},
    lambda: {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}},
    lambda: {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
    lambda: {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": ["RED", "blue"]}},
    lambda: {"IpAddress": {"aws:SourceIp": ["10.1.2.3", "192.0.2.0/25"]}},
    lambda: {"DateEquals": {"aws:CurrentTime": "2019-06-01"}},
    lambda: {"NumericEquals": {"aws:MultiFactorAuthAge": ["50", "5000.0"]}},
    lambda: {"Bool": {"aws:ViaAWSService": "true"}},
]


def stmt(kind):
    s = {"Effect": R.choice(["Allow", "Allow", "Deny"])}
    if R.random() < 0.15:
        s["NotAction"] = [action_pat()]
    else:
        s["Action"] = [action_pat() for _ in range(R.randint(1, 2))]
    if R.random() < 0.1:
        s["NotResource"] = res_pat()
    else:
        s["Resource"] = [res_pat() for _ in range(R.randint(1, 2))]
    if kind == "vpce":
        s["Principal"] = "*"
    if kind == "resource":
        if s["Effect"] == "Deny" and R.random() < 0.15:
            s["NotPrincipal"] = principal_el()
        else:
            s["Principal"] = principal_el()
    if kind == "rcp":
        s["Effect"] = "Deny"
        s["Principal"] = "*"
        s.pop("NotAction", None)
        s["Action"] = [a if a != "*" else "s3:*" for a in s.get("Action", ["s3:*"])]
    if R.random() < 0.5:
        c = {}
        for _ in range(R.randint(1, 2)):
            for op, kv in R.choice(CONDS)().items():
                c.setdefault(op, {}).update(kv)
        s["Condition"] = c
    return s


def pol(kind, n=None):
    return {
        "Version": "2012-10-17" if kind == "rcp" or NO2008 else R.choice(["2012-10-17"] * 5 + ["2008-10-17"]),
        "Statement": [stmt(kind) for _ in range(n or R.randint(1, 3))],
    }


def ctx():
    c = {}
    if R.random() < 0.5:
        c["aws:PrincipalTag/team"] = R.choice(["red", "blue", "Red"])
    if R.random() < 0.3:
        c["aws:PrincipalTag/dept"] = R.choice(["red", "r*"])
    if R.random() < 0.6:
        c["aws:SecureTransport"] = R.choice(["true", "false"])
    if R.random() < 0.4:
        c["aws:SourceIp"] = R.choice(["10.1.2.3", "192.0.2.7", "2001:db8::1", "203.0.113.9"])
    elif R.random() < 0.5:
        c["aws:SourceVpce"] = R.choice(["vpce-1", "vpce-3"])
        c["aws:SourceVpc"] = R.choice(["vpc-12", "vpc-2"])
    if R.random() < 0.3:
        c["aws:TagKeys"] = R.choice([["a"], ["a", "b"], ["c"], ["a", "c"]])
    if R.random() < 0.3:
        c["s3:prefix"] = R.choice(["", "home/alice/x", "pub/*x", "pub/zx"])
    if R.random() < 0.2:
        c["aws:SourceArn"] = R.choice(
            ["arn:aws:cloudfront::111111111111:distribution/E1", "arn:aws:cloudfront::222222222222:distribution/E2"]
        )
    if R.random() < 0.2:
        c["aws:PrincipalOrgID"] = "o-abc"
    if R.random() < 0.2:
        c["aws:ViaAWSService"] = R.choice(["true", "false"])
    if R.random() < 0.5:
        c["aws:CurrentTime"] = R.choice(["2019-06-01T00:00:00Z", "2024-06-01T00:00:00Z"])
    if R.random() < 0.3:
        c["aws:MultiFactorAuthAge"] = R.choice(["50", "5000"])
    return c


cases = []
for _ in range(int(sys.argv[1])):
    action = R.choice(ACTIONS)
    resource = R.choice(BKT if action in ("s3:ListBucket", "s3:GetBucketPolicy") else OBJ)
    principal = R.choice(PRINCIPALS)
    c = {
        "principal": principal,
        "action": action,
        "resource": resource,
        "resource_owner": R.choice([A, A, B]),
        "identity_policies": []
        if principal in ("anonymous", "cloudfront.amazonaws.com")
        else [pol("identity") for _ in range(R.randint(0, 2))],
        "context": ctx(),
    }
    if R.random() < 0.6:
        c["resource_policy"] = pol("resource")
    if principal != "anonymous" and "user/" in principal or "assumed-role" in principal:
        if R.random() < 0.25:
            c["permissions_boundary"] = pol("identity")
    if "assumed-role" in principal and R.random() < 0.25:
        c["session_policy"] = pol("identity")
    if principal not in ("anonymous", "cloudfront.amazonaws.com") and R.random() < 0.25:
        c["scps"] = [[pol("identity")] for _ in range(R.randint(1, 2))]
    if R.random() < 0.2:
        c["rcps"] = [[pol("rcp")] for _ in range(R.randint(1, 2))]
    if R.random() < 0.2:
        c["vpc_endpoint_policy"] = pol("vpce")
    if action != "s3:ListBucket":
        c["context"].pop("s3:prefix", None)
    cases.append(c)
json.dump(cases, open(sys.argv[3] if len(sys.argv) > 3 else "cases.json", "w"))
