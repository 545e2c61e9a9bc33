"""The Slack adapter: listeners, pure Block Kit builders, payload parsing, the Slack notifier.

One folder per Slack surface, each with a `register(app, runtime)`; `register_listeners` calls
them all. Handlers ack first, parse, call `bot/`, render with a builder, make one client call.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime


def register_listeners(app: AsyncApp, runtime: Runtime) -> None:
    """Register every listener and middleware on the Bolt app."""
    from handlers.slack import actions, commands, events, home, middleware, views

    middleware.register(app, runtime)
    commands.register(app, runtime)
    actions.register(app, runtime)
    views.register(app, runtime)
    events.register(app, runtime)
    home.register(app, runtime)
