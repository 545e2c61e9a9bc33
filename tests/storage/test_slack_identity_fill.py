"""`cohortbot db upgrade` brings a database whose Slack ids are only on `person` up to date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from storage.db import make_sync_engine
from storage.migrate import fill_slack_identities, upgrade

NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own (its schema is altered here), migrated to head."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(url, now=NOW)
        yield url
    else:
        yield request.getfixturevalue("postgres_url")


def _old_database(url: str) -> None:
    """Three people as a database from before the move holds them: ids on `person` only."""
    engine = make_sync_engine(url)
    with engine.begin() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("person")}
        if "slack_user_id" not in columns:  # the model has dropped them: put them back
            conn.execute(text("ALTER TABLE person ADD COLUMN slack_user_id VARCHAR(32)"))
            conn.execute(text("ALTER TABLE person ADD COLUMN slack_active BOOLEAN"))
            conn.execute(text("CREATE UNIQUE INDEX old_slack ON person (slack_user_id)"))
        for pid, email, slack_id, active in (
            (1, "kari@x.no", "UKARI", True),
            (2, "ola@x.no", "UOLA", False),
            (3, "siri@x.no", None, True),
        ):
            conn.execute(
                text(
                    "INSERT INTO person (id, email, name, slack_user_id, slack_active, locale,"
                    " is_staff, findable, created_at, updated_at) VALUES"
                    " (:id, :email, :email, :slack, :active, 'nb', false, false, :now, :now)"
                ),
                {"id": pid, "email": email, "slack": slack_id, "active": active, "now": NOW},
            )
    engine.dispose()


def _identities(url: str) -> list[tuple[int, str, str, bool]]:
    engine = make_sync_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT person_id, platform, user_id, active FROM person_identity"
                " ORDER BY person_id, platform"
            )
        ).all()
    engine.dispose()
    return [(p, pl, u, bool(a)) for p, pl, u, a in rows]


def _person_columns(url: str) -> set[str]:
    engine = make_sync_engine(url)
    with engine.connect() as conn:
        names = {c["name"] for c in inspect(conn).get_columns("person")}
    engine.dispose()
    return names


def test_upgrade_moves_slack_ids_from_person_once(fresh_url: str) -> None:
    _old_database(fresh_url)
    assert upgrade(fresh_url, now=NOW) == 2
    expected = [(1, "slack", "UKARI", True), (2, "slack", "UOLA", False)]
    assert _identities(fresh_url) == expected
    assert _person_columns(fresh_url) & {"slack_user_id", "slack_active"} == set()
    # The rebuilt table takes a person as the model writes one, and keeps the references.
    engine = make_sync_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person (id, email, name, locale, is_staff, findable, created_at,"
                " updated_at) VALUES (4, 'ny@x.no', 'Ny', 'nb', false, false, :now, :now)"
            ),
            {"now": NOW},
        )
        emails = conn.execute(text("SELECT email FROM person ORDER BY id")).scalars().all()
    engine.dispose()
    assert emails == ["kari@x.no", "ola@x.no", "siri@x.no", "ny@x.no"]
    # Idempotent: again, nothing changes and nothing is counted.
    assert upgrade(fresh_url, now=NOW) == 0
    assert fill_slack_identities(fresh_url, now=NOW) == 0
    assert _identities(fresh_url) == expected


def test_fill_never_takes_an_id_another_identity_holds(fresh_url: str) -> None:
    _old_database(fresh_url)
    engine = make_sync_engine(fresh_url)
    with engine.begin() as conn:
        # Siri (no id on her row) already holds UKARI as an identity; Ola has one of his own.
        for pid, user_id in ((3, "UKARI"), (2, "UOLA-NEW")):
            conn.execute(
                text(
                    "INSERT INTO person_identity (person_id, platform, user_id, active,"
                    " reference, created_at, updated_at)"
                    " VALUES (:p, 'slack', :u, true, '{}', :now, :now)"
                ),
                {"p": pid, "u": user_id, "now": NOW},
            )
    engine.dispose()
    assert fill_slack_identities(fresh_url, now=NOW) == 0
    assert _identities(fresh_url) == [
        (2, "slack", "UOLA-NEW", True),
        (3, "slack", "UKARI", True),
    ]


def test_fill_names_each_old_id_it_does_not_carry_over(
    fresh_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Kari's and Ola's old ids collide with identity rows (Siri holds UKARI; Ola holds
    UOLA-NEW), and the old column is dropped next: the step says which ids it leaves, and who
    holds them, rather than losing them without a word; once the columns are gone, nothing."""
    _old_database(fresh_url)
    engine = make_sync_engine(fresh_url)
    with engine.begin() as conn:
        for pid, user_id in ((3, "UKARI"), (2, "UOLA-NEW")):
            conn.execute(
                text(
                    "INSERT INTO person_identity (person_id, platform, user_id, active,"
                    " reference, created_at, updated_at)"
                    " VALUES (:p, 'slack', :u, true, '{}', :now, :now)"
                ),
                {"p": pid, "u": user_id, "now": NOW},
            )
    engine.dispose()
    with caplog.at_level("WARNING", logger="storage.migrate"):
        assert fill_slack_identities(fresh_url, now=NOW) == 0
    assert sorted(r.getMessage() for r in caplog.records if r.name == "storage.migrate") == [
        "person 1: Slack id UKARI on the old column is not copied (their Slack identity is "
        "None; the id is person 3's identity)",
        "person 2: Slack id UOLA on the old column is not copied (their Slack identity is "
        "UOLA-NEW; the id is person None's identity)",
    ]
    upgrade(fresh_url, now=NOW)  # says it once more, then drops the old columns
    caplog.clear()
    with caplog.at_level("WARNING", logger="storage.migrate"):
        assert fill_slack_identities(fresh_url, now=NOW) == 0
    assert [r for r in caplog.records if r.name == "storage.migrate"] == []
