"""Run and check Alembic migrations (synchronous; used by the CLI and at start-up)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import make_sync_engine
from storage.models import Delivery, Person, PersonIdentity

logger = logging.getLogger(__name__)

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
    filled = fill_slack_identities(url, now=now or datetime.now(UTC))
    drop_legacy_slack_columns(url)
    add_delivery_retry_at(url)
    return filled


def add_delivery_retry_at(url: str) -> bool:
    """Add `delivery.retry_at` to a database made before it; True if it was added.

    A data step for the same reason as the two below (one regenerated migration until the
    first release). Nullable, so neither database rewrites the table. A delivery waiting for a
    retry at the upgrade keeps the later `send_at` the old code gave it, so it goes with its
    chain in that order; every retry from then on keeps its place. Idempotent.
    """
    from sqlalchemy import inspect, text

    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            if "retry_at" in {c["name"] for c in inspect(conn).get_columns("delivery")}:
                return False
            column = Delivery.__table__.c.retry_at  # type: ignore[attr-defined]
            kind = column.type.compile(dialect=engine.dialect)
            conn.execute(text(f"ALTER TABLE delivery ADD COLUMN retry_at {kind}"))
            return True
    finally:
        engine.dispose()


def fill_slack_identities(url: str, *, now: datetime) -> int:
    """Copy Slack ids still on `person` (a database from before they moved) to `person_identity`.

    Until the first release the schema is one regenerated migration, so this is a data step
    of `cohortbot db upgrade` rather than a migration; it is idempotent: a person who has a
    Slack identity already, or whose id another person's identity holds, is left alone (the
    ids are unique per platform). Returns how many identities it made. A database made
    after the move has no such columns: nothing to do.
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
            people_with = {p: u for p, u in have}
            ids_held = {u: p for p, u in have}
            rows = []
            for pid, user_id, active in conn.execute(
                select(person.c.id, person.c.slack_user_id, person.c.slack_active)
                .where(person.c.slack_user_id.is_not(None))
                .order_by(person.c.id)
            ).all():
                if pid in people_with or user_id in ids_held:
                    kept = people_with.get(pid)
                    holder = ids_held.get(user_id)
                    if kept != user_id or holder != pid:
                        # The old column goes after this step: say what is not carried over.
                        logger.warning(
                            "person %s: Slack id %s on the old column is not copied "
                            "(their Slack identity is %s; the id is person %s's identity)",
                            pid,
                            user_id,
                            kept,
                            holder,
                        )
                    continue
                rows.append(
                    {
                        "person_id": pid,
                        "platform": SLACK,
                        "user_id": user_id,
                        "active": bool(active),
                        "reference": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            if rows:
                conn.execute(PersonIdentity.__table__.insert(), rows)  # type: ignore[attr-defined]
            return len(rows)
    finally:
        engine.dispose()


LEGACY_SLACK_COLUMNS = ("slack_user_id", "slack_active")


def drop_legacy_slack_columns(url: str) -> bool:
    """Drop `person.slack_user_id` and `person.slack_active` once their ids are identities.

    The model has no such columns, so a new person could not be stored while `slack_active`
    (NOT NULL, no default) is there. PostgreSQL drops them in place; SQLite cannot drop a
    UNIQUE column, so the table is rebuilt as the model says and the rows copied (SQLite's
    documented twelve steps, foreign keys off meanwhile and checked after). Returns whether
    anything was dropped; run after `fill_slack_identities`.
    """
    from sqlalchemy import MetaData, inspect, text
    from sqlalchemy.schema import CreateTable

    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            present = [
                c["name"]
                for c in inspect(conn).get_columns("person")
                if c["name"] in LEGACY_SLACK_COLUMNS
            ]
        if not present:
            return False
        if engine.dialect.name != "sqlite":
            with engine.begin() as conn:
                conn.execute(
                    text("ALTER TABLE person " + ", ".join(f"DROP COLUMN {c}" for c in present))
                )
            return True
        table = Person.__table__.to_metadata(  # type: ignore[attr-defined]
            MetaData(), name="_person_rebuilt"
        )
        names = ", ".join(f'"{c.name}"' for c in table.columns)
        with engine.connect() as conn:
            raw: Any = conn.connection.dbapi_connection
            raw.isolation_level = None  # this block says when the transaction begins and ends
            cur = raw.cursor()
            cur.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: first
            try:
                cur.execute("BEGIN IMMEDIATE")
                try:
                    cur.execute(str(CreateTable(table).compile(dialect=engine.dialect)))
                    cur.execute(f"INSERT INTO _person_rebuilt ({names}) SELECT {names} FROM person")
                    cur.execute("DROP TABLE person")
                    cur.execute("ALTER TABLE _person_rebuilt RENAME TO person")
                    broken = cur.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the rebuild broke foreign keys: {broken[:3]}")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                cur.execute("PRAGMA foreign_keys=ON")
                raw.isolation_level = ""
        return True
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
