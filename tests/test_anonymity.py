"""The adversary of docs/privacy.md: holds the database (every table, column and system column,
SQLite's files and a -wal copy, the outbox, the logs) but not COHORTBOT_SECRET_KEY, and tries each
attack of issue 12 on an anonymous pulse. Every test must fail to link.

`scripts/anonymity_attacks.py` prints the same counts; on main (before the sealed receipts) they
were: xmin join 20 of 20, WAL replay 20 of 20, outbox 7, reminder split 20, class of one 1,
live-results differencing 15.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.pulses import respondent_token
from bot.settings import Settings
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import (
    TEST_DATABASE,
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)
from tests.utils.attacks import (
    MORNING,
    Observed,
    Truth,
    attack_class_of_one,
    attack_live_differencing,
    attack_outbox_timing,
    attack_physical_order,
    attack_reminded_at,
    attack_wal_replay,
    attack_xmin_join,
    residue_in_files,
    run_scenario,
)


def _settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        secret_key="test-secret-key-0123456789abcdef",
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="test-signing-secret",
        base_url="http://127.0.0.1:3000",
    )


def _play(url: str) -> tuple[Truth, Observed]:
    async def go() -> tuple[Truth, Observed]:
        db = Database(url)
        try:
            return await run_scenario(db, _settings(url))
        finally:
            await db.dispose()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("attacked")


@pytest.fixture(scope="module")
def played_sqlite(sqlite_dir: Path) -> tuple[Truth, Observed]:
    """The scenario on a SQLite file, whichever pass this is (the WAL attacks need the files)."""
    url = f"sqlite:///{sqlite_dir}/attacked.db"
    upgrade(url)
    return _play(url)


@pytest.fixture(scope="module")
def played_postgres() -> Iterator[tuple[Truth, Observed]]:
    """The scenario on a PostgreSQL database of its own, whichever pass this is (xmin attacks)."""
    reason = postgres_reachable()
    if reason:
        pytest.fail(reason)  # the xmin attacks are the point: not reachable is a failure
    url = create_postgres_database()
    upgrade(url)
    try:
        yield (*_play(url), url)  # type: ignore[misc]
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="module")
def played(
    request: pytest.FixtureRequest,
) -> tuple[Truth, Observed]:
    """The scenario on this pass's database: SQLite first, PostgreSQL in the second pass."""
    name = "played_postgres" if TEST_DATABASE == "postgresql" else "played_sqlite"
    truth, observed, *_ = request.getfixturevalue(name)
    return truth, observed


def _released(observed: Observed) -> list[dict[str, Any]]:
    return [r for r in observed.final["pulse_answer"] if r.get("value") is not None]


@pytest.mark.postgres
async def test_anonymous_answers_cannot_be_joined_on_xmin(
    played_postgres: tuple[Truth, Observed, str],
) -> None:
    truth, observed, _ = played_postgres
    assert len(truth.respondents) == 20 and len(_released(observed)) == 40  # the attack had data
    result = attack_xmin_join(truth, observed)
    assert (result.exact, result.narrowed) == (0, 0)
    # Every released row came from one statement: one xmin, one cmin for all of them.
    assert len({(r["xmin"], r["cmin"]) for r in observed.final["pulse_answer"]}) == 1
    # Nothing naming a person was written by the transaction that wrote the answers, except the
    # close's own cancellations, which name everybody still pending, answered or not.
    close_xmin = observed.final["pulse_answer"][0]["xmin"]
    named = {r["person_id"] for r in observed.final["delivery"] if r["xmin"] == close_xmin}
    assert not {
        r["person_id"] for r in observed.final["pulse_participation"] if r["xmin"] == close_xmin
    }
    assert named == set() or len(named) >= len(truth.respondents)


@pytest.mark.postgres
async def test_anonymous_answers_cannot_be_paired_by_ctid_or_write_order(
    played_postgres: tuple[Truth, Observed, str],
) -> None:
    truth, observed, _ = played_postgres
    result = attack_physical_order(truth, observed)
    assert (result.exact, result.narrowed) == (0, 0)
    # Participation rows are never rewritten when someone answers: all from the invitation.
    assert len({r["xmin"] for r in observed.final["pulse_participation"]}) == 1


@pytest.mark.postgres
async def test_no_sealed_receipt_survives_in_postgresql_dead_tuples(
    played_postgres: tuple[Truth, Observed, str],
) -> None:
    import psycopg

    _, observed, url = played_postgres
    assert observed.final["pulse_receipt"] == []
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT pg_relation_size('pulse_receipt'), "
            "coalesce(pg_relation_size(nullif(reltoastrelid, 0)), 0) FROM pg_class "
            "WHERE relname = 'pulse_receipt'"
        ).fetchone()
    assert row is not None
    heap, toast = row
    # VACUUM FULL rewrote the table: no page, so no dead tuple holding a sealed answer.
    assert (heap, toast) == (0, 0)


async def test_anonymous_answers_cannot_be_paired_by_replaying_the_wal_commit_by_commit(
    played_sqlite: tuple[Truth, Observed],
) -> None:
    truth, observed = played_sqlite
    # The copy holds the whole history, the release included: the replay saw every commit.
    assert observed.wal_frames >= 45
    released = [r for r in observed.wal_states[-1]["pulse_answer"] if r["value"] is not None]
    assert len(released) == 40
    assert any(state["pulse_receipt"] for state in observed.wal_states)
    result = attack_wal_replay(truth, observed)
    assert (result.exact, result.narrowed) == (0, 0)
    # A commit that writes a receipt (an answer) writes nothing else the adversary can read.
    answering = 0
    for before, after in itertools.pairwise(observed.wal_states):
        if before["pulse_receipt"] != after["pulse_receipt"] and after["pulse_answer"] == []:
            answering += 1
            for table in ("pulse_participation", "delivery", "pulse_answer"):
                assert before[table] == after[table], table
    assert answering >= 40  # 20 people, two or three questions each


async def test_deleted_receipts_leave_nothing_in_the_sqlite_files(
    played_sqlite: tuple[Truth, Observed], sqlite_dir: Path
) -> None:
    _, observed = played_sqlite
    assert len(observed.secrets_seen) == 40  # 20 tokens and 20 stretches of ciphertext
    assert residue_in_files(observed) == 0
    main = (sqlite_dir / "attacked.db").read_bytes()
    assert not any(s in main for s in observed.secrets_seen)
    wal = sqlite_dir / "attacked.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert not (sqlite_dir / "attacked.db-journal").exists()


async def test_a_file_backup_taken_while_open_names_nobody(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """Copy data/ (main file and -wal) while the pulse is open: receipts, but nobody's answer."""
    from tests.utils.attacks import read_tables

    if db.dialect != "sqlite":
        url = f"sqlite:///{tmp_path}/open.db"
        upgrade(url)
        db = Database(url)
        settings = _settings(url)
    backups: list[dict[str, list[dict[str, Any]]]] = []
    path = Path(db.url.split("///", 1)[1])

    def backup() -> None:
        copy = tmp_path / "backup"
        copy.mkdir(exist_ok=True)
        for suffix in ("", "-wal"):
            src = Path(f"{path}{suffix}")
            if src.exists():
                (copy / f"b.db{suffix}").write_bytes(src.read_bytes())
        conn = sqlite3.connect(copy / "b.db")
        try:
            backups.append(read_tables(conn, "sqlite"))
        finally:
            conn.close()

    truth, _ = await run_scenario(db, settings, before_close=backup)
    (state,) = backups
    assert len(state["pulse_receipt"]) == 20
    assert state["pulse_answer"] == []
    assert not any(r.get("answered") for r in state["pulse_participation"])
    tokens = {r["token"] for r in state["pulse_receipt"]}
    assert not tokens & {str(p) for p in truth.person_ids}


async def test_the_outbox_does_not_tell_who_answered_when(
    played: tuple[Truth, Observed],
) -> None:
    truth, observed = played
    result = attack_outbox_timing(truth, observed)
    assert (result.exact, result.narrowed) == (0, 0)
    reminders = [r for r in observed.final["delivery"] if r["kind"] == "pulse_reminder"]
    # Decided when it may go (Saturday 08:00, not queued at 02:00 and then cancelled), and to
    # everyone asked: the rows are the same whoever answered, whenever.
    assert len(reminders) == len(truth.person_ids)
    assert {_utc(r["send_at"]) for r in reminders} == {MORNING}
    # Answering touched no delivery row: between two looks at the database (SQLite: every
    # commit of the -wal; PostgreSQL: after each person's answers) where only receipts changed,
    # the outbox is the same, row for row, system columns included.
    looks = observed.pg_snapshots or observed.wal_states
    answering = 0
    for before, after in itertools.pairwise(looks):
        if _receipts(before) != _receipts(after) and not after["pulse_answer"]:
            answering += 1
            assert before["delivery"] == after["delivery"]
    assert answering >= 20
    assert not any(r.get("error") == "answered" for r in observed.final["delivery"])


async def test_who_was_reminded_links_no_answer_and_no_reminded_at_is_kept(
    played: tuple[Truth, Observed],
) -> None:
    """Everyone asked is reminded (Saturday 08:00), so being reminded says nothing of whether or
    when a person answered; every answer is released in one shuffled statement at close."""
    truth, observed = played
    split = attack_reminded_at(truth, observed)
    answered_before_reminder = {p for p, at in truth.answered_at.items() if at < MORNING}
    assert len(answered_before_reminder) == 17  # the scenario has early answerers to find
    assert (split.exact, split.narrowed) == (0, 0)
    columns = set(observed.final["pulse_participation"][0])
    assert "reminded_at" not in columns
    assert not any(r["answered"] for r in observed.final["pulse_participation"])
    released = _released(observed)
    # No row carries anything that tells an early answer from a late one.
    assert all(
        set(r)
        <= {
            "id",
            "question_id",
            "class_id",
            "value",
            "text",
            "respondent_token",
            "xmin",
            "cmin",
            "ctid",
        }
        for r in released
    )
    assert all(r["respondent_token"] is None for r in released)


async def test_a_class_with_one_respondent_is_not_on_any_answer_row(
    played: tuple[Truth, Observed],
) -> None:
    truth, observed = played
    result = attack_class_of_one(truth, observed)
    assert (result.exact, result.narrowed) == (0, 0)
    # Classes A (7 answered) and B (8) are on rows; C (4) and D (1) only as one pooled group.
    by_class: dict[Any, int] = {}
    for r in _released(observed):
        by_class[r["class_id"]] = by_class.get(r["class_id"], 0) + 1
    assert sorted(by_class.values()) == [10, 14, 16]  # two questions each: 5, 7 and 8 people
    assert min(by_class.values()) // 2 >= 5
    counts = {r["class_id"]: r["answered"] for r in observed.final["pulse_response_count"]}
    assert sorted(counts.values()) == [1, 4, 7, 8]


async def test_live_results_reveal_no_answer_when_re_run_after_each_one(
    played: tuple[Truth, Observed],
) -> None:
    truth, observed = played
    result = attack_live_differencing(truth, observed)
    assert (result.exact, result.narrowed) == (0, 0)
    # While open, the only thing that moves is the total so far; no distribution, no class.
    # How each class was asked (recorded when the pulse opened) is the same in every run.
    reach_parts = set()
    for n, text in enumerate(observed.live_results, start=1):
        answers, _, reach = text.partition("Hvordan de ble spurt")
        assert f"Svart så langt: {n} av 22" in answers
        assert "n=" not in answers and "Klasse" not in answers
        reach_parts.add(reach)
    assert len(reach_parts) == 1 and "Klasse A: nådd via Slack" in reach_parts.pop()


async def test_after_close_even_the_key_holder_finds_no_token_on_any_answer(
    played: tuple[Truth, Observed],
) -> None:
    truth, observed = played
    settings = _settings("sqlite://")
    tokens = {respondent_token(settings, 1, p) for p in truth.person_ids}
    tokens |= {respondent_token(settings, pid, p) for pid in range(1, 4) for p in truth.person_ids}
    assert observed.final["pulse_receipt"] == []
    assert not {r["respondent_token"] for r in observed.final["pulse_answer"]} & tokens


async def test_answering_writes_nothing_about_the_person_to_the_logs(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """At the bot's log level (INFO), and DEBUG for its own packages. A driver's DEBUG log
    (aiosqlite, psycopg) prints every statement's parameters; docs/privacy.md says not to run
    production with it."""
    caplog.set_level(logging.INFO)
    for name in ("bot", "handlers", "schedules", "storage"):
        caplog.set_level(logging.DEBUG, logger=name)
    truth, _ = await run_scenario(db, settings)
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    for pid in truth.respondents:
        assert f"U{truth.person_ids.index(pid):05d}" not in logged
    assert "Svar nummer" not in logged


def _receipts(state: dict[str, list[dict[str, Any]]]) -> list[Any]:
    return sorted((r["token"], bytes(r["sealed"])) for r in state["pulse_receipt"])


def _utc(value: Any) -> Any:
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def test_people_asked_by_email_and_answering_on_the_page_are_no_easier_to_link(
    tmp_path: Path,
) -> None:
    """The same attacks on a pulse where every third person has no Slack: asked by email, they
    answer through the answer page's POST (all questions in one commit). Every attack of this
    pass's database must link nobody, and the page's commit writes only the receipt."""
    from tests.utils.attacks import all_attacks

    if TEST_DATABASE == "postgresql":
        reason = postgres_reachable()
        if reason:
            pytest.fail(reason)
        url = create_postgres_database()
    else:
        url = f"sqlite:///{tmp_path}/email.db"
    upgrade(url)
    db = Database(url)
    try:
        truth, observed = await run_scenario(db, _settings(url), email_every=3)
    finally:
        await db.dispose()
        if TEST_DATABASE == "postgresql":
            drop_postgres_database(url)
    answered_by_email = truth.by_email & set(truth.respondents)
    assert len(truth.by_email) == 8 and len(answered_by_email) >= 6  # the attack had data
    invites = [r for r in observed.final["delivery"] if r.get("kind") == "pulse_invite"]
    assert sum(1 for r in invites if r.get("transport") == "email") == 8
    for result in all_attacks(truth, observed):
        assert (result.attack, result.exact, result.narrowed) == (result.attack, 0, 0)
    if observed.dialect == "sqlite":
        # A commit that writes a receipt writes nothing else the adversary can read.
        for before, after in itertools.pairwise(observed.wal_states):
            if before["pulse_receipt"] != after["pulse_receipt"] and after["pulse_answer"] == []:
                for table in ("pulse_participation", "delivery", "pulse_answer"):
                    assert before[table] == after[table], table
