"""Prometheus metrics through prometheus-client: counters by label, latency histograms (Slack ack, answer, AWS
call by service and operation), gauges read when scraped, and /metrics served by the real `s3why serve`."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
import uuid
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.demo.emulator import client
from bot.demo.scenarios import s_sse_kms_header
from bot.metrics import Metrics, time_aws_calls
from tests.account.conftest import moto, moto_url
from tests.slack.conftest import SECRET, fake_slack
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import event, message, post_signed
from tests.slack.test_app import JSON, PASTE
from tests.test_startup import _env, _serve, _started, _stop

__all__ = ["fake_slack", "moto", "moto_url"]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, parsed by prometheus-client's own parser (so the text is valid)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_counters_histograms_and_gauges_render_in_the_text_format() -> None:
    m = Metrics()
    m.inc("s3why_diagnoses_total", decision="allow")
    m.inc("s3why_diagnoses_total", decision="allow")
    m.inc("s3why_aws_errors_total", code='Odd"Code\\x')
    m.observe("s3why_answer_seconds", 0.3)
    with m.timer("s3why_aws_call_seconds", service="s3", operation="GetBucketPolicy"):
        pass
    m.gauge("s3why_cache_hit_ratio", lambda: 0.75)
    m.gauge("s3why_broken", lambda: 1 / 0)
    text = m.render()
    samples = _samples(text)
    assert samples[("s3why_diagnoses_total", (("decision", "allow"),))] == 2
    assert samples[("s3why_aws_errors_total", (("code", 'Odd"Code\\x'),))] == 1
    assert 's3why_aws_errors_total{code="Odd\\"Code\\\\x"} 1.0' in text  # escaped as the format says
    assert samples[("s3why_answer_seconds_count", ())] == 1 and samples[("s3why_answer_seconds_sum", ())] == 0.3
    assert samples[("s3why_answer_seconds_bucket", (("le", "0.25"),))] == 0
    assert samples[("s3why_answer_seconds_bucket", (("le", "0.5"),))] == 1
    assert samples[("s3why_aws_call_seconds_count", (("operation", "GetBucketPolicy"), ("service", "s3")))] == 1
    assert samples[("s3why_cache_hit_ratio", ())] == 0.75 and "s3why_broken" not in text
    assert "# HELP s3why_approvals_total" in text and "# TYPE s3why_slack_ack_seconds histogram" in text
    assert "_created" not in text
    assert m.value("s3why_diagnoses_total", decision="allow") == 2
    assert m.value("s3why_diagnoses_total", decision="unknown") == 0


def test_each_aws_call_is_timed_by_service_and_operation(moto: str) -> None:
    m = Metrics()
    s3 = client("s3")
    time_aws_calls(s3, "s3", m)
    s3.create_bucket(Bucket="timed")
    s3.list_objects_v2(Bucket="timed")
    with contextlib.suppress(s3.exceptions.ClientError):
        s3.get_bucket_policy(Bucket="timed")  # an error answer is timed too
    samples = _samples(m.render())
    for op in ("CreateBucket", "ListObjectsV2", "GetBucketPolicy"):
        assert samples[("s3why_aws_call_seconds_count", (("operation", op), ("service", "s3")))] == 1, op


def test_serve_exposes_counters_and_latency_histograms_at_metrics(
    moto: str, fake_slack: tuple[FakeSlack, str], tmp_path: Path
) -> None:
    fake, slack_url = fake_slack
    s_sse_kms_header()
    proc, base = _serve(_env(f"{slack_url}/api/", aws=True, tmp=tmp_path))
    try:
        assert _started(proc, base)
        payload = event(message(PASTE), event_id=f"EvMetrics{uuid.uuid4().hex}")
        assert post_signed(f"{base}/slack/events", SECRET, payload, JSON)[0] == 200
        assert "RequireKms" in json.dumps(fake.wait_for("chat.update")[-1].body["blocks"])
        deadline = time.monotonic() + 20
        while True:  # the answer's latency is observed once Slack has taken the answer: a moment after the fake
            with urllib.request.urlopen(f"{base}/metrics", timeout=5) as resp:
                assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                samples = _samples(resp.read().decode())
            if samples.get(("s3why_answer_seconds_count", ())) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        _stop(proc)
    assert samples[("s3why_diagnoses_total", (("decision", "explicit-deny"),))] == 1
    assert samples[("s3why_slack_events_total", (("kind", "event_callback"),))] >= 1
    assert samples[("s3why_slack_ack_seconds_count", ())] >= 1
    assert samples[("s3why_answer_seconds_count", ())] == 1
    policy = (("operation", "GetBucketPolicy"), ("service", "s3"))
    assert samples[("s3why_aws_calls_total", policy)] >= 1
    assert samples[("s3why_aws_call_seconds_count", policy)] >= 1
    assert samples[("s3why_aws_call_seconds_count", (("operation", "GetCallerIdentity"), ("service", "sts")))] >= 1
    assert ("s3why_cache_hit_ratio", ()) in samples
