"""Migrations from empty, on the database of this pass, and the models match the migrations."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import make_sync_engine
from storage.migrate import add_delivery_retry_at, head_revision, schema_problem, upgrade
from storage.search import include_name


def test_migrated_database_is_at_head(database_url: str) -> None:
    assert schema_problem(database_url) is None
    engine = make_sync_engine(database_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_name": include_name}),
            SQLModel.metadata,
        )
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_adds_retry_at_to_a_database_made_before_it(database_url: str) -> None:
    # Made from the initial migration as it was before the column (same revision, 0001).
    engine = make_sync_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE delivery DROP COLUMN retry_at")
    engine.dispose()
    upgrade(database_url)
    test_migrated_database_is_at_head(database_url)
    assert add_delivery_retry_at(database_url) is False  # once is enough


def test_empty_database_names_the_command(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert schema_problem(url) == "The database has no schema yet: run `cohortbot db upgrade`"
