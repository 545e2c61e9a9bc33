"""Configuration of the local Slack workspace."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FaultConfig:
    """Shares of API calls that fail on purpose, drawn from a seeded RNG.

    Shares are fractions (0.1 = 10 %) and are tried in this order: dropped connection before the
    call is handled, dropped connection after it was handled (the message is posted but the
    client never hears so — the case that makes retries send twice), 429, 5xx.
    `methods` limits injection to the named Web API methods (empty = all methods).
    """

    ratelimited_share: float = 0.0
    server_error_share: float = 0.0
    drop_share: float = 0.0
    drop_after_share: float = 0.0
    seed: int | None = None
    methods: frozenset[str] = frozenset()

    @property
    def active(self) -> bool:
        """Tell whether any fault can be injected."""
        return (
            self.ratelimited_share > 0
            or self.server_error_share > 0
            or self.drop_share > 0
            or self.drop_after_share > 0
        )


@dataclass
class EmulatorConfig:
    """Everything that can be tuned about the emulator; the defaults suit tests."""

    team_id: str = "T0COHORT01"
    team_name: str = "Cohortbot local"
    team_domain: str = "cohortbot-local"
    app_id: str = "A0COHORTBT"
    bot_user_id: str = "U0COHORTBT"
    bot_id: str = "B0COHORTBT"
    bot_name: str = "cohortbot"
    bot_token: str = "xoxb-local-emulator-token"
    extra_bot_tokens: tuple[str, ...] = ()
    verification_token: str = "local-verification-token"

    # Inbound: where the bot listens and how it is signed.
    bot_events_url: str | None = None
    signing_secret: str = "local-signing-secret"
    ack_timeout: float = 3.0
    event_retry_delays: tuple[float, ...] = (0.0, 60.0, 300.0)
    trigger_ttl: float = 3.0
    response_url_ttl: float = 30 * 60
    send_member_joined_events: bool = True

    # Web API behaviour.
    public_post_requires_membership: bool = True
    rate_limits: bool = False
    rate_scale: float = 1.0
    post_message_per_channel_per_second: float = 1.0
    post_message_channel_burst: int = 4
    post_message_workspace_per_minute: int = 600
    post_message_workspace_burst: int = 60
    faults: FaultConfig = field(default_factory=FaultConfig)
    call_log_limit: int = 100_000

    # Local extras.
    clock_url: str | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int | None = 0
    public_base_url: str | None = None
    state_file: str | None = None
    autosave_interval: float = 2.0

    @property
    def bot_tokens(self) -> tuple[str, ...]:
        """Return every token that authenticates as the bot."""
        return (self.bot_token, *self.extra_bot_tokens)
