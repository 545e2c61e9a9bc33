"""Settings, read once from the environment and `.env`, validated at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import BaseModel, Field, ValidationError, field_validator

from storage.emails import canonical_email

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_BASE_URL = "http://localhost:3000"
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "xoxb-your-token"}


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable and what is expected."""


class Settings(BaseModel):
    """Every setting the bot reads. Nothing else reads `os.environ`."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = "sqlite:///./data/cohortbot.db"
    port: int = Field(default=3000, ge=1, le=65535)
    # Loopback unless told otherwise, in both modes: behind a reverse proxy the bot needs no
    # more; a container sets COHORTBOT_HOST=0.0.0.0 (the Dockerfile does).
    host: str = "127.0.0.1"
    timezone: str = "Europe/Oslo"
    base_url: str = DEFAULT_BASE_URL
    secret_key: str | None = None
    secret_key_previous: str | None = None  # rotation: still verifies, never signs
    smtp_url: str | None = None
    smtp_from: str = "cohortbot <cohortbot@localhost>"
    # Delivery engine knobs (documented in .env.example).
    quiet_participant_start: time = time(8, 0)
    quiet_participant_end: time = time(20, 0)
    quiet_manager_start: time = time(8, 0)
    quiet_manager_end: time = time(16, 0)
    summer_break: str | None = None  # "07-01..08-10" (month-day range), optional
    min_group_size: int = Field(default=5, ge=2)
    channel_prefix: str = "lu"
    dispatch_concurrency: int = Field(default=8, ge=1, le=256)
    dispatch_batch: int = Field(default=200, ge=1)
    dispatch_lease_seconds: int = Field(default=120, ge=1)
    dispatch_interval_seconds: float = Field(default=1.0, gt=0)
    # Backoff doubles from 0.5–1 s up to 15 min: 12 attempts ride out about an hour of outage.
    dispatch_max_attempts: int = Field(default=12, ge=1)
    dispatch_backoff_seconds: float = Field(default=1.0, ge=0)  # first retry; doubles each time
    dispatch_backoff_max_seconds: float = Field(default=900.0, ge=0)
    # Client-side Slack limits (Slack's published shape); the scale multiplies every rate.
    slack_rate_scale: float = Field(default=1.0, gt=0)
    slack_post_channel_per_second: float = Field(default=1.0, gt=0)
    slack_post_channel_burst: int = Field(default=3, ge=1)
    slack_post_workspace_per_minute: int = Field(default=600, ge=1)
    staff_emails: tuple[str, ...] = ()
    # The Directorate's evaluators: read-only, aggregates only, may propose questions.
    evaluator_emails: tuple[str, ...] = ()
    local_mode: bool = False
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    emulator_port: int | None = Field(default=None, ge=1, le=65535)
    # Networks: class channels when a cohort completes ("archive" | "keep"); withdrawn
    # participants ("keep": left in the channel, no longer messaged | "remove": also removed).
    class_channels_on_completion: Literal["archive", "keep"] = "keep"
    withdrawn_policy: Literal["keep", "remove"] = "keep"
    match_every_weeks: int = Field(default=2, ge=1, le=52)  # peer matching in the programme
    alumni_match_every_weeks: int = Field(default=6, ge=1, le=52)
    # --- assignments and line managers
    nudge_reminder_working_days: int = Field(default=5, ge=1, le=60)
    link_ttl_days: int = Field(default=30, ge=1, le=365)
    tell_participant_on_manager_confirm: bool = True
    # --- dropout signals (weekly staff digest; docs in .env.example)
    risk_overdue_assignments: int = Field(default=1, ge=1)
    risk_unanswered_pulses: int = Field(default=2, ge=1)
    risk_low_score: int = Field(default=2, ge=1, le=4)
    risk_lookback_days: int = Field(default=42, ge=7, le=365)
    # --- Microsoft Teams (single-tenant Entra app; "dev" runs without credentials, loopback only)
    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_tenant_id: str | None = None
    teams_mode: Literal["off", "dev", "on"] | None = None
    teams_conversation_per_second: float = Field(default=7.0, gt=0)
    teams_tenant_per_second: float = Field(default=50.0, gt=0)
    # Microsoft Graph's Teams limit on one team or channel, per app (handlers/teams/ratelimit.py).
    teams_graph_team_per_second: float = Field(default=4.0, gt=0)
    # Microsoft Graph, for installing the app for people (outbox steps of kind "teams_install").
    teams_graph_url: str = "https://graph.microsoft.com/v1.0"
    teams_catalog_app_id: str | None = None  # the app's id in the organisation's app catalog
    # The programme's team (its Microsoft 365 group id): class channels are made in it through
    # Graph (outbox steps on the "teams_channels" transport). Unset: staff make them by hand.
    teams_team_id: str | None = None
    # Who owns the private class channels Graph makes (an Entra object id; Graph requires one
    # owner when an app creates a private channel). Unset: the staff member who runs sync.
    teams_channel_owner: str | None = None

    # --- retention per data class (defaults and reasons in docs/privacy.md)
    retention_message_days: int = Field(default=90, ge=1, le=3650)
    retention_audit_days: int = Field(default=3 * 365, ge=30, le=3650)
    retention_risk_case_days: int = Field(default=365, ge=7, le=3650)
    retention_alumni_silent_days: int = Field(default=3 * 365, ge=30, le=3650)
    retention_archive_days: int = Field(default=10 * 365, ge=30, le=36500)
    # --- the digital archive (docs/archive.md): files in this directory, never the database
    archive_dir: str = "./data/archive"
    archive_max_file_bytes: int = Field(default=25 * 1024 * 1024, ge=1024, le=500 * 1024 * 1024)
    archive_link_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # S3-compatible storage instead of the directory, when a bucket is set.
    archive_s3_bucket: str | None = None
    archive_s3_url: str | None = None  # endpoint, e.g. https://s3.eu-north-1.amazonaws.com
    archive_s3_region: str = "eu-north-1"
    archive_s3_access_key: str | None = None
    archive_s3_secret_key: str | None = None
    # Month and day the annual status report for the year before is due ("03-01": 1 March).
    report_due: str = "03-01"

    @field_validator("report_due")
    @classmethod
    def _month_day(cls, value: str) -> str:
        from datetime import date

        try:
            month, day = (int(p) for p in value.split("-"))
            date(2001, month, day)
        except ValueError as exc:
            raise ValueError("a month and day such as 03-01") from exc
        return value

    @property
    def report_due_month_day(self) -> tuple[int, int]:
        month, day = (int(p) for p in self.report_due.split("-"))
        return month, day

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _case(cls, value: object, info: Any) -> object:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("an IANA time zone such as Europe/Oslo") from exc
        return value

    @field_validator("host")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip().strip("[]")
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", value):
                raise ValueError(
                    "an IP address such as 127.0.0.1 or 0.0.0.0, or a host name"
                ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgres:")):
            raise ValueError("sqlite:///path/to/file.db or postgresql://user@host:5432/db")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the bot's public http(s) URL, e.g. https://cohortbot.example.no")
        return value.rstrip("/")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def teams(self) -> Literal["off", "dev", "on"]:
        """Teams is "on" with credentials, "dev" by COHORTBOT_TEAMS=dev, else "off"."""
        if self.teams_mode is not None:
            return self.teams_mode
        return "on" if self.teams_app_id and self.teams_app_password else "off"

    @property
    def has_slack_credentials(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def signing_key(self) -> bytes:
        """Key for one-click links and anonymous-pulse tokens."""
        if not self.secret_key:
            raise SettingsError("COHORTBOT_SECRET_KEY is missing: expected a long random string")
        return self.secret_key.encode()

    @property
    def verification_keys(self) -> tuple[bytes, ...]:
        """Keys a link or form proof may be signed with: the current one, then the previous."""
        previous = (self.secret_key_previous.encode(),) if self.secret_key_previous else ()
        return (self.signing_key, *previous)


# Environment variable -> field. The contract list is in DESIGN.md; the rest are tuning knobs.
ENV_FIELDS: dict[str, str] = {
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_APP_TOKEN": "slack_app_token",
    "SLACK_API_URL": "slack_api_url",
    "DATABASE_URL": "database_url",
    "COHORTBOT_PORT": "port",
    "COHORTBOT_HOST": "host",
    "COHORTBOT_TIMEZONE": "timezone",
    "COHORTBOT_BASE_URL": "base_url",
    "COHORTBOT_SECRET_KEY": "secret_key",
    "COHORTBOT_SECRET_KEY_PREVIOUS": "secret_key_previous",
    "SMTP_URL": "smtp_url",
    "SMTP_FROM": "smtp_from",
    "COHORTBOT_QUIET_PARTICIPANT_START": "quiet_participant_start",
    "COHORTBOT_QUIET_PARTICIPANT_END": "quiet_participant_end",
    "COHORTBOT_QUIET_MANAGER_START": "quiet_manager_start",
    "COHORTBOT_QUIET_MANAGER_END": "quiet_manager_end",
    "COHORTBOT_SUMMER_BREAK": "summer_break",
    "COHORTBOT_MIN_GROUP_SIZE": "min_group_size",
    "COHORTBOT_CHANNEL_PREFIX": "channel_prefix",
    "COHORTBOT_DISPATCH_CONCURRENCY": "dispatch_concurrency",
    "COHORTBOT_DISPATCH_BATCH": "dispatch_batch",
    "COHORTBOT_DISPATCH_LEASE_SECONDS": "dispatch_lease_seconds",
    "COHORTBOT_DISPATCH_INTERVAL_SECONDS": "dispatch_interval_seconds",
    "COHORTBOT_DISPATCH_MAX_ATTEMPTS": "dispatch_max_attempts",
    "COHORTBOT_DISPATCH_BACKOFF_SECONDS": "dispatch_backoff_seconds",
    "COHORTBOT_DISPATCH_BACKOFF_MAX_SECONDS": "dispatch_backoff_max_seconds",
    "COHORTBOT_SLACK_RATE_SCALE": "slack_rate_scale",
    "COHORTBOT_SLACK_POST_CHANNEL_PER_SECOND": "slack_post_channel_per_second",
    "COHORTBOT_SLACK_POST_CHANNEL_BURST": "slack_post_channel_burst",
    "COHORTBOT_SLACK_POST_WORKSPACE_PER_MINUTE": "slack_post_workspace_per_minute",
    "COHORTBOT_STAFF_EMAILS": "staff_emails",
    "COHORTBOT_EVALUATOR_EMAILS": "evaluator_emails",
    "COHORTBOT_EMULATOR_PORT": "emulator_port",
    "COHORTBOT_LOG_FORMAT": "log_format",
    "COHORTBOT_LOG_LEVEL": "log_level",
    "COHORTBOT_CLASS_CHANNELS_ON_COMPLETION": "class_channels_on_completion",
    "COHORTBOT_WITHDRAWN_POLICY": "withdrawn_policy",
    "COHORTBOT_MATCH_EVERY_WEEKS": "match_every_weeks",
    "COHORTBOT_ALUMNI_MATCH_EVERY_WEEKS": "alumni_match_every_weeks",
    # --- assignments and line managers
    "COHORTBOT_NUDGE_REMINDER_WORKING_DAYS": "nudge_reminder_working_days",
    "COHORTBOT_LINK_TTL_DAYS": "link_ttl_days",
    "COHORTBOT_TELL_PARTICIPANT_ON_MANAGER_CONFIRM": "tell_participant_on_manager_confirm",
    # --- dropout signals
    "COHORTBOT_RISK_OVERDUE_ASSIGNMENTS": "risk_overdue_assignments",
    "COHORTBOT_RISK_UNANSWERED_PULSES": "risk_unanswered_pulses",
    "COHORTBOT_RISK_LOW_SCORE": "risk_low_score",
    # --- Microsoft Teams
    "TEAMS_APP_ID": "teams_app_id",
    "TEAMS_APP_PASSWORD": "teams_app_password",
    "TEAMS_TENANT_ID": "teams_tenant_id",
    "COHORTBOT_TEAMS": "teams_mode",
    "COHORTBOT_TEAMS_CONVERSATION_PER_SECOND": "teams_conversation_per_second",
    "COHORTBOT_TEAMS_TENANT_PER_SECOND": "teams_tenant_per_second",
    "COHORTBOT_TEAMS_GRAPH_TEAM_PER_SECOND": "teams_graph_team_per_second",
    "TEAMS_GRAPH_URL": "teams_graph_url",
    "TEAMS_CATALOG_APP_ID": "teams_catalog_app_id",
    "TEAMS_TEAM_ID": "teams_team_id",
    "TEAMS_CHANNEL_OWNER": "teams_channel_owner",
    "COHORTBOT_RISK_LOOKBACK_DAYS": "risk_lookback_days",
    # --- retention
    "COHORTBOT_RETENTION_MESSAGE_DAYS": "retention_message_days",
    "COHORTBOT_RETENTION_AUDIT_DAYS": "retention_audit_days",
    "COHORTBOT_RETENTION_RISK_CASE_DAYS": "retention_risk_case_days",
    "COHORTBOT_RETENTION_ALUMNI_SILENT_DAYS": "retention_alumni_silent_days",
    "COHORTBOT_RETENTION_ARCHIVE_DAYS": "retention_archive_days",
    "COHORTBOT_REPORT_DUE": "report_due",
    # --- the archive
    "COHORTBOT_ARCHIVE_DIR": "archive_dir",
    "COHORTBOT_ARCHIVE_MAX_FILE_BYTES": "archive_max_file_bytes",
    "COHORTBOT_ARCHIVE_LINK_MINUTES": "archive_link_minutes",
    "COHORTBOT_ARCHIVE_S3_BUCKET": "archive_s3_bucket",
    "COHORTBOT_ARCHIVE_S3_URL": "archive_s3_url",
    "COHORTBOT_ARCHIVE_S3_REGION": "archive_s3_region",
    "COHORTBOT_ARCHIVE_S3_ACCESS_KEY": "archive_s3_access_key",
    "COHORTBOT_ARCHIVE_S3_SECRET_KEY": "archive_s3_secret_key",
}


_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s/]*@")
SECRET_FIELDS = frozenset(
    {
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "secret_key",
        "secret_key_previous",
        "teams_app_password",
        "archive_s3_secret_key",
    }
)
MIN_SECRET_BITS = 256


def redact_url(text: str) -> str:
    """`text` with the password of every URL in it replaced by `***` (scheme://user:***@host)."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "***@", text)


def secret_bits(value: str) -> float:
    """A conservative estimate of the entropy in a secret string, in bits.

    Each character counts at the size of the smallest usual alphabet it fits (hex: 4 bits,
    base64/url-safe: 6, other printable: 6.5); a string with few distinct characters ("aaaa…")
    or made of one repeated piece ("abcabc…") counts for what its piece is worth.
    """
    if not value:
        return 0.0
    period = (value + value).find(value, 1)  # the shortest piece the string repeats
    piece = value[:period] if period < len(value) else value
    if re.fullmatch(r"[0-9a-fA-F]+", piece):
        per_char = 4.0
    elif re.fullmatch(r"[A-Za-z0-9+/=_-]+", piece):
        per_char = 6.0
    else:
        per_char = 6.5
    if len(set(piece)) < 10:
        per_char = min(per_char, 2.0)
    return per_char * len(piece)


def weak_secret(value: str) -> str | None:
    """Why `value` is too weak to sign links (None when it is strong enough)."""
    if value.strip().lower() in PLACEHOLDER_SECRETS:
        return "is a placeholder"
    if secret_bits(value) < MIN_SECRET_BITS:
        return f"is too short or too simple (about {int(secret_bits(value))} bits; needs 256)"
    return None


def _expected(error: Any) -> str:
    """Say what a value should look like, in words a person setting an env var understands."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "a whole number"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        return f"a number {'>=' if kind == 'greater_than_equal' else '<='} {bound}"
    if kind.startswith("time"):
        return "a time of day such as 08:00"
    if kind.startswith("bool"):
        return "true or false"
    return str(error.get("msg", "a valid value")).removeprefix("Value error, ")


def _raw_values(environ: dict[str, str], env_file: Path | None) -> dict[str, Any]:
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(environ)  # the real environment wins over .env
    values: dict[str, Any] = {}
    for var, field in ENV_FIELDS.items():
        raw = merged.get(var)
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip()
        if field in ("staff_emails", "evaluator_emails"):
            values[field] = tuple(canonical_email(e) for e in raw.split(",") if e.strip())
        else:
            values[field] = raw
    return values


def load_settings(
    environ: dict[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Read and validate settings; raise SettingsError with one line naming the variable."""
    values = _raw_values(dict(os.environ) if environ is None else environ, env_file)
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        var = next((v for v, f in ENV_FIELDS.items() if f == field), field.upper())
        expected = _expected(first)
        got = values.get(field)
        # Never echo a secret, a password in a URL, or a screenful of bad input.
        shown = "(hidden)" if field in SECRET_FIELDS else repr(redact_url(str(got))[:80])
        raise SettingsError(f"{var}={shown} is invalid: expected {expected}") from None
    if (
        settings.secret_key is not None
        and settings.secret_key.strip().lower() in PLACEHOLDER_SECRETS
    ):
        raise SettingsError("COHORTBOT_SECRET_KEY is a placeholder: expected a long random string")
    if settings.teams == "on":
        for var, value in (
            ("TEAMS_APP_ID", settings.teams_app_id),
            ("TEAMS_APP_PASSWORD", settings.teams_app_password),
            ("TEAMS_TENANT_ID", settings.teams_tenant_id),
        ):
            if not value:
                raise SettingsError(
                    f"{var} is missing: Teams needs TEAMS_APP_ID, TEAMS_APP_PASSWORD and "
                    "TEAMS_TENANT_ID (single-tenant), or COHORTBOT_TEAMS=dev to run locally"
                )
    if settings.slack_bot_token and not settings.slack_signing_secret:
        raise SettingsError("SLACK_SIGNING_SECRET is missing: expected the app's signing secret")
    if settings.has_slack_credentials:
        # Links are signed with it: one captured link must not be enough to brute-force it.
        # (Local mode makes a strong one of its own when none is given.)
        for var, key in (
            ("COHORTBOT_SECRET_KEY", settings.secret_key),
            ("COHORTBOT_SECRET_KEY_PREVIOUS", settings.secret_key_previous),
        ):
            if key is None and var.endswith("PREVIOUS"):
                continue
            if key is None:
                raise SettingsError(
                    f"{var} is missing: expected at least 32 random bytes, e.g. "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                )
            why = weak_secret(key)
            if why:
                raise SettingsError(
                    f"{var} {why}: expected at least 32 random bytes, e.g. "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                )
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process, read once."""
    return load_settings()
