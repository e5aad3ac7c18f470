"""Only s3why's own lines on the terminal and in the logs: third-party libraries' chatter is turned down.

What is turned down, and why:
- werkzeug (moto's server in the demo and the tests): one access-log line per emulated AWS call, and a second
  copy when it adds its own handler next to the root's;
- botocore, boto3, urllib3, s3transfer, slack_bolt, slack_sdk: INFO lines about credentials found,
  connections made and requests refused (s3why logs its own line for a refused delivery);
- slack_bolt: "As you gave `client` as well, `token` will be unused" — s3why hands Bolt a client built from
  SLACK_BOT_TOKEN on purpose (its base URL comes from SLACK_API_URL), so the warning is noise;
- Python warnings raised inside libraries go through logging (`py.warnings`), at WARNING like the rest.
Warnings and errors from libraries still reach the log (werkzeug's only at ERROR), so nothing real is hidden.
"""

from __future__ import annotations

import logging

_QUIET_AT_WARNING = ("botocore", "boto3", "urllib3", "s3transfer", "slack_bolt", "slack_sdk", "moto", "py.warnings")
# A delivery Bolt refuses (401) gets s3why's own JSON line instead of Bolt's INFO one (bot/slack/server.py).


class _DropBoltClientWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "gave `client` as well" not in record.getMessage()


def quiet_third_party(*, silent: bool = False) -> None:
    """Turn third-party loggers down (see the module's docstring); `silent` drops them entirely (the demo's
    terminal shows only s3why's progress and reports)."""
    logging.captureWarnings(True)
    for name in _QUIET_AT_WARNING:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1 if silent else logging.WARNING)
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.setLevel(logging.CRITICAL + 1 if silent else logging.ERROR)
    if not any(isinstance(h, logging.NullHandler) for h in werkzeug.handlers):
        # werkzeug adds a handler of its own when it finds none that would print its level: give it one that
        # prints nothing, and let its errors reach the root's handler (the JSON log) instead.
        werkzeug.addHandler(logging.NullHandler())
    for name in ("slack_bolt.App", "s3why.bolt"):  # Bolt's own logger, or the one s3why hands it (bot/logs.py)
        bolt = logging.getLogger(name)
        if not any(isinstance(f, _DropBoltClientWarning) for f in bolt.filters):
            bolt.addFilter(_DropBoltClientWarning())
