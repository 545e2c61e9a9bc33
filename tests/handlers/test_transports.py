"""Transports are built from settings alone."""

from __future__ import annotations

from bot.settings import Settings
from handlers.slack.notifier import SlackNotifier
from handlers.transports import build_notifiers
from handlers.web.email_notifier import EmailNotifier


def test_slack_and_email_from_settings() -> None:
    settings = Settings(
        slack_bot_token="xoxb-1",
        slack_signing_secret="s",
        smtp_url="smtp://127.0.0.1:1025",
        slack_rate_scale=2.0,
    )
    notifiers = build_notifiers(settings)
    slack, email = notifiers["slack"], notifiers["email"]
    assert isinstance(slack, SlackNotifier) and isinstance(email, EmailNotifier)
    assert slack.client.retry_handlers == [] and slack.limiter.limits.scale == 2.0
    assert email.port == 1025


def test_nothing_configured_means_no_transports() -> None:
    assert build_notifiers(Settings()) == {}
    assert list(build_notifiers(Settings(), slack_token="xoxb-local")) == ["slack"]
