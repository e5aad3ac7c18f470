"""Answers that read well: a short headline (verdict, layer, policy and statement) with the evidence below it,
no nested bold and no markup in the notification text, prose wrapped at word boundaries only, and the resource
named from the parsed bucket and key when no ARN was resolved."""

from __future__ import annotations

import re
from typing import Any

from bot.diagnose.model import Diagnosis, LayerReport, RootCause
from bot.diagnose.render import diagnosis_text
from bot.layers import LayerId
from bot.slack.blocks import diagnosis_blocks, literal, verdict_line

KEY = "arn:aws:kms:us-east-1:123456789012:key/7d7a4923-3101-4c6f-867c-00e8c80fb9e3"
SUMMARY = (
    f"the key policy of {KEY} neither allows this principal kms:Decrypt nor delegates to the account's IAM "
    "policies (no statement for the account root): IAM policies cannot help until it does; the object "
    "arn:aws:s3:::enc-data/reports/2024/very-long-prefix-with-hyphens/x.csv was written with it"
)


def _diagnosis(request: dict[str, Any], *, policy: bool = True) -> Diagnosis:
    evidence: dict[str, Any] = {"policy": f"key policy of {KEY}", "sid": "AdminsOnly"} if policy else {}
    cause = RootCause(LayerId.KMS, "implicit", SUMMARY, evidence)
    layers = (
        LayerReport(LayerId.IDENTITY, "allow", "inline:app allows s3:GetObject on arn:aws:s3:::enc-data/*"),
        LayerReport(LayerId.KMS, "no-allow", SUMMARY),
    )
    return Diagnosis(request=request, decision="implicit-deny", root_causes=(cause,), layers=layers)


RESOLVED = {
    "action": "s3:GetObject",
    "bucket": "enc-data",
    "key": "x.csv",
    "resolved": {
        "actions": ["s3:GetObject"],
        "principal": "arn:aws:sts::123456789012:assumed-role/app/run-1",
        "resource": "arn:aws:s3:::enc-data/x.csv",
    },
}


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for b in blocks:
        if b["type"] == "section":
            out.append(b["text"]["text"])
        elif b["type"] == "context":
            out.extend(e["text"] for e in b["elements"])
    return out


def test_the_slack_headline_is_short_has_no_nested_bold_and_the_summary_comes_once() -> None:
    d = _diagnosis(RESOLVED)
    blocks = diagnosis_blocks(d, "run1")
    head = _texts(blocks)[0]
    assert head == f"*Denied: nothing allows it* — `kms`: key policy of {KEY}, statement AdminsOnly"
    assert head.count("*") == 2  # one bold span, never nested
    assert SUMMARY not in head
    everything = "\n".join(_texts(blocks))
    assert everything.count("neither allows this principal") == 2  # once as the root cause, once in the checklist
    root = next(t for t in _texts(blocks) if t.startswith("*Root cause*"))
    assert "neither allows this principal kms:Decrypt" in root


def test_the_notification_text_is_the_short_headline_without_markup() -> None:
    text = verdict_line(_diagnosis(RESOLVED))
    assert text == f"Denied: nothing allows it — kms: key policy of {KEY}, statement AdminsOnly"
    assert "*" not in text and "`" not in text
    assert verdict_line(_diagnosis(RESOLVED, policy=False)) == "Denied: nothing allows it — kms"


def test_words_with_markup_characters_are_shown_literally() -> None:
    assert literal("allows s3:ListBucket on arn:aws:s3:::team-data/*, not on arn:aws:s3:::team-data") == (
        "allows s3:ListBucket on `arn:aws:s3:::team-data/*`, not on arn:aws:s3:::team-data"
    )
    assert literal("key (my_key) and `tick*`") == "key (`my_key`) and `'tick*'`"
    blocks = diagnosis_blocks(_diagnosis(RESOLVED), "run1")
    checklist = next(t for t in _texts(blocks) if t.startswith("*Layers*"))
    assert "`arn:aws:s3:::enc-data/*`" in checklist


def test_the_first_reply_names_the_resource_from_the_parsed_bucket_and_key() -> None:
    request = {"action": "s3:GetObject", "bucket": "enc-data", "key": "reports/x.csv", "resource_arn": None}
    context = _texts(diagnosis_blocks(_diagnosis(request), "run1"))[1]
    assert context.endswith("on `arn:aws:s3:::enc-data/reports/x.csv`") and "?" not in context
    bucket_only = _texts(diagnosis_blocks(_diagnosis({"action": "s3:ListBucket", "bucket": "b"}), "r"))[1]
    assert bucket_only.endswith("on `arn:aws:s3:::b`")
    assert "on arn:aws:s3:::enc-data/reports/x.csv" in diagnosis_text(_diagnosis(request), width=200)
    nothing = _texts(diagnosis_blocks(_diagnosis({"action": "s3:GetObject"}), "r"))[1]
    assert nothing.endswith("on `an unknown resource`")


def test_the_terminal_report_wraps_at_word_boundaries_never_inside_an_arn() -> None:
    text = diagnosis_text(_diagnosis(RESOLVED), width=60)
    lines = text.splitlines()
    assert lines[0] == "DENIED (nothing allows it) — kms: key policy of"
    arns = re.findall(r"arn:aws:[^\s,;()]+", SUMMARY + " arn:aws:s3:::enc-data/* " + KEY)
    for arn in arns:  # every ARN is whole on one line
        assert any(arn in line for line in lines), arn
    for line in lines:
        assert len(line) <= 60 or re.search(r"arn:aws:\S{40,}", line), line  # longer only for a long ARN
    root = next(i for i, line in enumerate(lines) if line.startswith("Root cause"))
    assert lines[root + 1].startswith("  ")  # continuation lines hang under the title
    assert text.count("neither allows this principal") == 2  # the root cause and the layer, not the headline
    assert "policy: key policy of" not in text  # the first cause's policy is in the headline already


def test_a_kms_cause_names_the_key_whose_policy_decided() -> None:
    cause = RootCause(LayerId.KMS, "implicit", SUMMARY, {"key": KEY, "action": "kms:Decrypt", "key_policy": {}})
    d = Diagnosis(request=RESOLVED, decision="implicit-deny", root_causes=(cause,), layers=())
    assert verdict_line(d) == f"Denied: nothing allows it — kms: key policy of {KEY}"
    assert diagnosis_text(d, width=200).splitlines()[0] == f"DENIED (nothing allows it) — kms: key policy of {KEY}"
