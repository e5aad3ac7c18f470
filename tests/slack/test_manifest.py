"""manifest.yml installs exactly what the app listens for and the Web API methods it calls need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return data


def test_the_manifest_declares_what_the_app_handles() -> None:
    m = _manifest()
    app_source = (ROOT / "bot" / "slack" / "app.py").read_text()
    (command,) = m["features"]["slash_commands"]
    assert command["command"] == "/s3why" and f'app.command("{command["command"]}")' in app_source
    (shortcut,) = m["features"]["shortcuts"]
    assert shortcut["type"] == "message" and f'app.shortcut("{shortcut["callback_id"]}")' in app_source
    events = set(m["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.channels", "message.groups", "message.im", "message.mpim"} <= events
    assert m["settings"]["interactivity"]["is_enabled"] is True


def test_the_scopes_cover_every_web_api_call_and_nothing_more() -> None:
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    # chat.postMessage/update/postEphemeral: chat:write; files_upload_v2: files:write; conversations.replies
    # and message events: the *:history scopes; mentions: app_mentions:read; /s3why: commands.
    # usergroups.users.list: usergroups:read (approvers may be user groups).
    needed = {"chat:write", "files:write", "commands", "app_mentions:read", "usergroups:read"}
    needed |= {f"{kind}:history" for kind in ("channels", "groups", "im", "mpim")}
    assert scopes == needed
