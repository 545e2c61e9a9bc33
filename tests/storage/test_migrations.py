"""Migrations from empty, on the database of this pass, and the models match the migrations."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import make_sync_engine
from storage.migrate import head_revision, schema_problem
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


def test_empty_database_names_the_command(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert schema_problem(url) == "The database has no schema yet: run `cohortbot db upgrade`"
