"""Build the process's transports from settings: what `app.py` puts in `runtime.notifiers`."""

from __future__ import annotations

from typing import Any

from bot.notifier import Notifier
from bot.ratelimit import RateLimiter, RateLimits
from bot.settings import Settings
from handlers.slack.notifier import SlackNotifier, make_slack_client
from handlers.web.email_notifier import EmailNotifier


def build_notifiers(
    settings: Settings, *, http: Any = None, slack_token: str | None = None
) -> dict[str, Notifier]:
    """Slack (when a bot token is known), email (when SMTP_URL is set) and Teams (when on).

    `http` is the process's one aiohttp session; `slack_token` overrides the setting (the
    local emulator's token in local mode).
    """
    notifiers: dict[str, Notifier] = {}
    token = slack_token or settings.slack_bot_token
    if token:
        client = make_slack_client(token=token, base_url=settings.slack_api_url, session=http)
        notifiers["slack"] = SlackNotifier(client, RateLimiter(RateLimits.from_settings(settings)))
    if settings.smtp_url:
        notifiers["email"] = EmailNotifier.from_settings(settings)
    if settings.teams != "off" and http is not None:
        from handlers.teams.app import build_teams_notifier

        notifiers["teams"] = build_teams_notifier(settings, http)
    return notifiers
