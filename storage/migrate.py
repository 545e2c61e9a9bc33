"""Run and check Alembic migrations (synchronous; used by the CLI and at start-up)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import make_sync_engine
from storage.models import PersonIdentity

MIGRATIONS = Path(__file__).parent / "migrations"
SLACK = "slack"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "head", *, now: datetime | None = None) -> int:
    """Bring the schema up to `revision`, then run the one-off data steps.

    Returns how many rows the data steps changed (0 when there was nothing left to do).
    """
    command.upgrade(alembic_config(url), revision)
    return fill_slack_identities(url, now=now or datetime.now(UTC))


def fill_slack_identities(url: str, *, now: datetime) -> int:
    """Copy Slack ids still on `person` (a database from before they moved) to `person_identity`.

    Until the first release the schema is one regenerated migration, so this is a data step
    of `cohortbot db upgrade` rather than a migration; it is idempotent: a person who has a
    Slack identity already, or whose id another person's identity holds, is left alone (the
    ids are unique per platform). Returns how many identities it made.
    """
    from sqlalchemy import MetaData, Table, inspect, select

    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("person")}
            if "slack_user_id" not in columns:
                return 0
            meta = MetaData()
            person = Table("person", meta, autoload_with=conn)
            identity = Table("person_identity", meta, autoload_with=conn)
            have = conn.execute(
                select(identity.c.person_id, identity.c.user_id).where(identity.c.platform == SLACK)
            ).all()
            people_with = {p for p, _ in have}
            ids_held = {u for _, u in have}
            rows = [
                {
                    "person_id": pid,
                    "platform": SLACK,
                    "user_id": user_id,
                    "active": bool(active),
                    "reference": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for pid, user_id, active in conn.execute(
                    select(person.c.id, person.c.slack_user_id, person.c.slack_active)
                    .where(person.c.slack_user_id.is_not(None))
                    .order_by(person.c.id)
                ).all()
                if pid not in people_with and user_id not in ids_held
            ]
            if rows:
                conn.execute(PersonIdentity.__table__.insert(), rows)  # type: ignore[attr-defined]
            return len(rows)
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def schema_problem(url: str) -> str | None:
    """None if the schema is at head; otherwise one line saying what to run."""
    try:
        current = current_revision(url)
    except Exception as exc:  # unreachable database, bad URL
        return f"Cannot reach the database ({type(exc).__name__}): check DATABASE_URL"
    head = head_revision()
    if current == head:
        return None
    if current is None:
        return "The database has no schema yet: run `cohortbot db upgrade`"
    return f"The database schema is at {current}, the code needs {head}: run `cohortbot db upgrade`"
