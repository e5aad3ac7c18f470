"""Socket Mode's HTTP side: the container health check and Prometheus keep working without Slack's HTTP events."""

from __future__ import annotations

from typing import Any

from bot.slack.server import health_app


def _get(path: str) -> tuple[str, bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    body = b"".join(health_app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start_response))
    return seen["status"], body


def test_socket_mode_health_port_answers_healthz_and_metrics_and_nothing_else() -> None:
    assert _get("/healthz") == ("200 OK", b"ok")
    status, body = _get("/metrics")
    assert status == "200 OK" and b"# " in body  # Prometheus text exposition
    assert _get("/slack/events")[0] == "404 Not Found"  # events arrive over the socket, never here
