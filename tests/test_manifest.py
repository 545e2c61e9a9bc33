"""The manifest asks for exactly the scopes the code uses: no more, no fewer."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# Web API method (as slack_sdk names it) -> the bot scopes it needs.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_delete": {"chat:write"},
    "conversations_join": {"channels:join"},
    "conversations_create": {"channels:manage", "groups:write"},
    "conversations_invite": {"channels:manage", "groups:write"},
    "conversations_kick": {"channels:manage", "groups:write"},
    "conversations_archive": {"channels:manage", "groups:write"},
    "conversations_unarchive": {"channels:manage", "groups:write"},
    "conversations_list": {"channels:read", "groups:read"},
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_members": {"channels:read", "groups:read"},
    "conversations_open": {"im:write", "mpim:write"},
    # Only a DM's history is read (to find a message whose answer was lost): im:history.
    "conversations_history": {"im:history"},
    "users_list": {"users:read", "users:read.email"},
    "users_info": {"users:read"},
    "users_lookupByEmail": {"users:read.email"},
    "files_upload_v2": {"files:write"},
    # The outbox's upload step (Slack's v2 upload in three calls).
    "files_getUploadURLExternal": {"files:write"},
    "files_completeUploadExternal": {"files:write"},
    # The archive reads a file a person shared in its modal (and downloads it): files:read.
    "files_info": {"files:read"},
    "views_open": set(),
    "views_update": set(),
    "views_push": set(),
    "views_publish": set(),
    "auth_test": set(),
}
# Scopes that come from the manifest's features rather than a method call.
FEATURE_SCOPES = {
    "commands": "the /cohort slash command",
    "app_mentions:read": "the app_mention event",
    "im:history": "the message.im event (people writing to the bot)",
}

CALL = re.compile(r"\.(" + "|".join(METHOD_SCOPES) + r")\(")
# Methods named as strings, as in the Slack notifier's `_call("chat.postMessage", ...)` and
# the channel steps' `_api("conversations.create", ...)`.
NAMED = re.compile(
    r"(?:_call|_api|api_call)\(\s*[\"']((?:chat|conversations|users|views|files|auth)\.[a-zA-Z]+)[\"']"
)


def _used_methods() -> set[str]:
    used: set[str] = set()
    for folder in ("app.py", "cli", "bot", "handlers", "schedules"):
        path = ROOT / folder
        files = [path] if path.is_file() else list(path.rglob("*.py"))
        for file in files:
            source = file.read_text(encoding="utf-8")
            used.update(CALL.findall(source))
            used.update(name.replace(".", "_") for name in NAMED.findall(source))
    return used


def test_manifest_scopes_match_the_code() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = set(FEATURE_SCOPES)
    for method in _used_methods():
        assert method in METHOD_SCOPES, f"{method}: add its scopes to METHOD_SCOPES"
        needed |= METHOD_SCOPES[method]
    assert declared - needed == set(), "scopes declared but never used"
    assert needed - declared == set(), "scopes used but not declared"


def test_manifest_routes_everything_to_one_url() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
    urls = {
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    }
    assert len(urls) == 1
    assert next(iter(urls)).endswith("/slack/events")
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/cohort"]
