"""Hostile names through every output format s3why writes, read back by that format's own parser."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import hcl2
import pytest
import yaml

from bot import escape
from bot.fixes.catalogue import render_text

HOSTILE = [
    "<!channel>",
    "<https://evil.example/login|Approve>",
    "team-data/<!channel><https://evil.example/login|Approve>",
    "&amp;",
    "&lt;!here&gt;",
    "${*}",
    "$${*}",
    "$$${x}",
    "x%{if tonumber(var.db_password)>0}y%{endif}",
    "%%{x}",
    "${!Literal}",
    "it's",
    'say "hi"',
    "line1\nline2\r\nline3",
    "back\\slash\\",
    "tab\there",
    "ctl\x00\x08\x0c\x1b\x7f\x85\u2028\ufeff",
    "ünïcødé/日本語",
    "$",
    "%",
    "${",
    "}",
    "'; rm -rf / #",
    "$(id)`id`",
]


def _hcl_decode(literal: Any) -> str:
    """A quoted HCL string (as python-hcl2 returns it, quotes kept) decoded by the HCL spec; raises on any
    interpolation or directive left live."""
    assert isinstance(literal, str) and literal.startswith('"') and literal.endswith('"'), literal
    s, out, i = literal[1:-1], [], 0
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    while i < len(s):
        if s[i] == "\\":
            c = s[i + 1]
            if c in simple:
                out.append(simple[c])
                i += 2
            elif c == "u":
                out.append(chr(int(s[i + 2 : i + 6], 16)))
                i += 6
            elif c == "U":
                out.append(chr(int(s[i + 2 : i + 10], 16)))
                i += 10
            else:
                raise AssertionError(f"bad escape in {literal!r}")
        elif s.startswith("$${", i) or s.startswith("%%{", i):
            out.append(s[i + 1 : i + 3])
            i += 3
        elif s.startswith("${", i) or s.startswith("%{", i):
            raise AssertionError(f"live template sequence in {literal!r}")
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _hcl_decode_value(v: Any) -> Any:
    if isinstance(v, dict):
        return {_hcl_decode(k): _hcl_decode_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_hcl_decode_value(x) for x in v]
    if isinstance(v, str):
        return _hcl_decode(v)
    return v


def _hcl_expression(text: str) -> Any:
    return _hcl_decode_value(hcl2.loads("x = " + text + "\n")["x"])


def _document(value: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": value,
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::111122223333:role/{value}"},
                "Action": ["s3:GetObject"],
                "Resource": f"arn:aws:s3:::bucket/{value}",
                "Condition": {"StringEquals": {value: [value, "plain"]}},
            }
        ],
    }


@pytest.mark.parametrize("value", HOSTILE)
def test_mrkdwn_leaves_no_control_character(value: str) -> None:
    out = escape.mrkdwn(value)
    assert "<" not in out and ">" not in out
    assert re.sub(r"&(amp|lt|gt);", "", out).count("&") == 0
    assert escape.slack_unescape(out) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_hcl_string_reads_back_as_the_same_text(value: str) -> None:
    assert _hcl_expression(escape.hcl_string(value)) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_hcl_value_reads_back_as_the_same_document(value: str) -> None:
    doc = _document(value)
    assert _hcl_expression(escape.hcl_value(doc)) == doc
    assert _hcl_expression(escape.hcl_value(doc, indent=2)) == doc


@pytest.mark.parametrize("value", HOSTILE)
def test_hcl_identifier_and_comment_stay_in_their_place(value: str) -> None:
    name = escape.hcl_identifier(value)
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name)
    parsed = hcl2.loads(f"# {escape.hcl_comment(value)}\nx = 1\n")
    assert {k: v for k, v in parsed.items() if not k.startswith("__")} == {"x": 1}


@pytest.mark.parametrize("value", HOSTILE)
def test_cloudformation_json_reads_back_in_json_and_yaml(value: str) -> None:
    doc = {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": value, "PolicyDocument": _document(value)}}
    out = escape.cfn_json(doc)
    assert json.loads(out) == doc
    assert yaml.safe_load(out) == doc


@pytest.mark.parametrize("value", HOSTILE)
def test_fn_sub_text_keeps_no_live_substitution(value: str) -> None:
    sub = "arn:${AWS::Partition}:s3:::" + escape.cfn_sub(value)
    template = yaml.safe_load(escape.cfn_json({"R": {"Fn::Sub": sub}}))
    text = template["R"]["Fn::Sub"]
    # CloudFormation substitutes only `${Name}` not followed by `!`; the one left must be s3why's own.
    assert re.findall(r"\$\{(?!!)[^}]*\}", text) == ["${AWS::Partition}"]
    assert text.replace("${!", "${").removeprefix("arn:${AWS::Partition}:s3:::") == value


@pytest.mark.parametrize("value", HOSTILE)
def test_shell_word_reads_back_as_one_word(value: str) -> None:
    assert shlex.split(f"aws s3api get-object --key {escape.shell(value)} out") == [
        "aws",
        "s3api",
        "get-object",
        "--key",
        value,
        "out",
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_json_reads_back(value: str) -> None:
    assert json.loads(escape.json_text(value)) == value
    assert json.loads(escape.json_compact(_document(value))) == _document(value)


# --- the fix templates (templates/), each with hostile values ---------------------------------------------------
_TF = re.compile(r"policy\s*=\s*jsonencode\((.*)\)\s*\}\s*$", re.DOTALL)


def _values(value: str) -> dict[str, Any]:
    return {
        "resource_name": f"s3why_{value}",
        "bucket": value,
        "target": f"arn:aws:iam::111122223333:policy/{value}",
        "entity_kind": "role",
        "entity_name": value,
        "policy_name": value,
        "account": value,
        "name": value,
        "document": _document(value),
    }


TERRAFORM = [
    "terraform/access-point-policy.tf.j2",
    "terraform/bucket-policy.tf.j2",
    "terraform/iam-policy.tf.j2",
    "terraform/key-policy.tf.j2",
    "terraform/managed-policy.tf.j2",
    "terraform/vpc-endpoint-policy.tf.j2",
]
COMMANDS = [
    "commands/access-point-policy.sh.j2",
    "commands/bucket-policy.sh.j2",
    "commands/iam-policy.sh.j2",
    "commands/key-policy.sh.j2",
    "commands/managed-policy.sh.j2",
    "commands/vpc-endpoint-policy.sh.j2",
]


@pytest.mark.parametrize("template", TERRAFORM)
@pytest.mark.parametrize("value", HOSTILE)
def test_terraform_fixes_parse_back_with_the_hostile_values_intact(template: str, value: str) -> None:
    out = render_text(template, _values(value))
    parsed = hcl2.loads(out + "\n")
    ((_kind, labelled),) = parsed["resource"][0].items()
    ((label, body),) = labelled.items()
    assert re.fullmatch(r'"[A-Za-z_][A-Za-z0-9_-]*"', label)
    for attr, text in body.items():
        if attr.startswith("__") or attr == "policy":
            continue
        assert _hcl_decode(text) in _values(value).values()  # each attribute says exactly the value given
    match = _TF.search(out)
    assert match is not None
    assert _hcl_expression(match.group(1)) == _document(value)


@pytest.mark.parametrize("template", COMMANDS)
@pytest.mark.parametrize("value", HOSTILE)
def test_cli_commands_split_back_into_the_given_words(template: str, value: str) -> None:
    words = shlex.split(render_text(template, _values(value)))
    assert words[0] == "aws"
    policy = words[words.index(next(w for w in words if w in ("--policy", "--policy-document"))) + 1]
    assert json.loads(policy) == _document(value)
    given = _values(value)
    for flag in ("--bucket", "--name", "--account-id", "--role-name", "--policy-name"):
        if flag in words:
            assert words[words.index(flag) + 1] in (value, "default")  # KMS's one key policy is "default"
    for flag in ("--key-id", "--policy-arn", "--vpc-endpoint-id"):
        if flag in words:
            assert words[words.index(flag) + 1] == given["target"]


@pytest.mark.parametrize("value", HOSTILE)
def test_cloudformation_fix_reads_back_in_json_and_yaml(value: str) -> None:
    props = {"PolicyName": value, "RoleName": value, "PolicyDocument": _document(value)}
    out = render_text("cloudformation/patch.json.j2", {"cfn_type": "AWS::IAM::RolePolicy", "cfn_properties": props})
    expected = {"Type": "AWS::IAM::RolePolicy", "Properties": props}
    assert json.loads(out) == expected
    assert yaml.safe_load(out) == expected


@pytest.mark.parametrize("value", HOSTILE)
def test_terraform_patches_of_bot_iac_use_the_same_encoder(value: str) -> None:
    from bot.iac.hcltext import hcl_string, plain

    assert plain(hcl2.loads(f"x = {hcl_string(value)}\n")["x"]) == value
