"""The Prometheus exposition: counters by label, escaping, gauges read when scraped."""

from __future__ import annotations

from bot.metrics import Metrics


def test_counters_and_gauges_render_in_the_text_format() -> None:
    m = Metrics()
    m.inc("s3why_diagnoses_total", decision="allow")
    m.inc("s3why_diagnoses_total", decision="allow")
    m.inc("s3why_aws_errors_total", code='Odd"Code\\x')
    m.gauge("s3why_cache_hit_ratio", lambda: 0.75)
    m.gauge("s3why_broken", lambda: 1 / 0)
    text = m.render()
    assert "# TYPE s3why_diagnoses_total counter" in text
    assert 's3why_diagnoses_total{decision="allow"} 2' in text
    assert 's3why_aws_errors_total{code="Odd\\"Code\\\\x"} 1' in text
    assert "s3why_cache_hit_ratio 0.75" in text and "s3why_broken" not in text
    assert "# HELP s3why_approvals_total" in text  # every known counter is described, even at zero
    assert m.value("s3why_diagnoses_total", decision="allow") == 2
