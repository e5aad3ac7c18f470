"""Each scope's words fit Slack's select option: a 75-character text and a 75-character description line."""

from __future__ import annotations

from bot.slack.blocks import OPTION_TEXT, option_words

LONG = (
    "prefix: lets arn:aws:sts::111122223333:assumed-role/etl-nightly-writer/run put any object under "
    "exports/2026/finance/ in analytics-data-lake-prod-eu-west-1"
)


def test_long_scope_words_use_the_description_line_and_stay_within_the_limits() -> None:
    first, second = option_words(LONG)
    assert len(first) <= OPTION_TEXT and len(second) <= OPTION_TEXT
    assert first.startswith("prefix: lets") and "exports/2026/finance/" in first + " " + second
    assert (first + " " + second).replace("…", "").split()[-1] in LONG


def test_short_words_are_one_line_and_very_long_ones_say_they_were_cut() -> None:
    assert option_words("bucket: lets app put any object in team-data") == (
        "bucket: lets app put any object in team-data",
        "",
    )
    first, second = option_words("object: " + "x" * 300)
    assert len(first) <= OPTION_TEXT and len(second) <= OPTION_TEXT and second.endswith("…")
