"""Export and erasure (issue 16): complete against the schema, and nothing left in the bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel, col

from bot.consent import record_consent
from bot.rights import UnknownPerson, erase_person, export_person
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    AuditEvent,
    ConsentKind,
    Delivery,
    DeliveryState,
    Enrolment,
    Person,
    PersonIdentity,
)
from storage.queries.rights import (
    KEYED_PERSON_TABLES,
    NO_PERSON_DATA,
    PERSON_COLUMNS,
    PERSON_ID_LISTS,
)
from tests.utils.rights import (
    KARI_EMAIL,
    KARI_NAME,
    KARI_SLACK,
    KARI_TEAMS,
    build_rights_world,
    find_needles,
    pg_dump_bytes,
    sqlite_bytes,
)

# After the 2026 report is due (1 March 2027): nothing of Kari's is needed any more.
AFTER_REPORT = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
# During the programme: the 2026 report still needs her enrolment.
DURING = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def _person_foreign_keys() -> set[tuple[str, str]]:
    found = set()
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "person":
                found.add((table.name, fk.parent.name))
    return found


def test_a_new_table_holding_a_person_id_has_a_place_in_export_and_erasure() -> None:
    registered = {(c.table, c.column) for c in PERSON_COLUMNS}
    assert _person_foreign_keys() - registered == set(), "add it to PERSON_COLUMNS"
    assert registered - _person_foreign_keys() == set(), "PERSON_COLUMNS names a non-FK column"


def test_every_table_is_declared_as_holding_person_data_or_not() -> None:
    holding = (
        {c.table for c in PERSON_COLUMNS}
        | {t for t, _, _ in PERSON_ID_LISTS}
        | set(KEYED_PERSON_TABLES)
        | {"person"}
    )
    undeclared = set(SQLModel.metadata.tables) - holding - NO_PERSON_DATA
    assert undeclared == set(), "put the table in PERSON_COLUMNS/PERSON_ID_LISTS or NO_PERSON_DATA"
    assert holding & NO_PERSON_DATA == set()


async def _count_rows(db: Database) -> dict[str, int]:
    counts = {}
    async with db.session() as session:
        for name, table in SQLModel.metadata.tables.items():
            counts[name] = (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return counts


async def test_export_holds_every_row_that_holds_the_person(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        rw = await build_rights_world(session, settings)
    counts = await _count_rows(db)
    assert [t for t, n in counts.items() if n == 0] == [], "the world must fill every table"
    async with db.transaction() as session:
        data = await export_person(session, email=KARI_EMAIL, now=DURING, actor="cli")
    classes = data["data_classes"]
    assert data["format"] == "cohortbot-person-export"
    assert classes["profile"]["name"] == KARI_NAME
    # Her Slack id is a chat identity, with her Teams one; the profile is the person row only.
    chat = {(r["platform"], r["user_id"]) for r in classes["chat_identities"]["person_identity"]}
    assert chat == {("slack", KARI_SLACK), ("teams", KARI_TEAMS[0])}
    assert KARI_SLACK not in json.dumps(classes["profile"])
    assert classes["directory_profile"]["findable"] is True
    # Every registered column's rows are in the export, row for row.
    async with db.session() as session:
        for pc in PERSON_COLUMNS:
            table = SQLModel.metadata.tables[pc.table]
            n = (
                await session.execute(
                    select(func.count()).select_from(table).where(table.c[pc.column] == rw.kari_id)
                )
            ).scalar_one()
            if pc.data_class in ("messages", "audit", "consents"):
                continue
            label = (
                pc.table
                if sum(c.table == pc.table for c in PERSON_COLUMNS) == 1
                else (f"{pc.table}.{pc.column}")
            )
            assert len(classes[pc.data_class][label]) == n, (pc.table, pc.column)
    assert any(r["reflection"] for r in classes["assignments"]["assignment_progress"])
    assert classes["matching"]["match_group"][0]["matched_with"] == ["Ola Hansen", "Mona Leder"]
    texts = [m["message"]["text"] for m in classes["messages"]]
    targets = {m["to"] for m in classes["messages"]}
    assert texts and targets == {KARI_SLACK, "a:kari-chat|https://smba.trafficmanager.net/emea/"}
    assert [c["granted"] for c in classes["consents"]] == [True]
    assert classes["consents"][0]["text"].startswith("La andre")
    assert {e["action"] for e in classes["audit"]} >= {"person.read", "profile.update"}
    # Anonymous answers are not hers to see (nobody can link them).
    assert all(r["person_id"] == rw.kari_id for r in classes["pulse_answers"]["pulse_answer"])
    # The export itself is audited.
    async with db.session() as session:
        actions = (await session.execute(select(col(AuditEvent.action)))).scalars().all()
    assert "person.export" in actions


async def test_export_of_unknown_email_says_so(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(UnknownPerson):
            await export_person(session, email="nobody@example.no", now=DURING, actor="cli")


async def test_withdrawn_consent_shows_in_export_with_history(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        rw = await build_rights_world(session, settings)
        await record_consent(
            session,
            person_id=rw.kari_id,
            kind=ConsentKind.DIRECTORY,
            granted=False,
            locale="en",
            via="slack",
            now=DURING,
        )
    async with db.transaction() as session:
        data = await export_person(session, email=KARI_EMAIL, now=DURING, actor="cli")
    history = data["data_classes"]["consents"]
    assert [c["granted"] for c in history] == [True, False]
    assert history[1]["text_version"].startswith("networks.profile.findable@en#")
    assert history[0]["text_version"] != history[1]["text_version"]


async def _erase_and_scan(db: Database, settings: Settings, now: datetime) -> bytes:
    async with db.transaction() as session:
        report = await erase_person(session, settings, email=KARI_EMAIL, now=now, actor="cli")
    await db.purge_freed_space()
    assert report.pseudonym.startswith("erased:")
    if settings.database_url.startswith("sqlite"):
        return sqlite_bytes(settings.database_url)
    return pg_dump_bytes(settings.database_url)


async def test_erased_person_leaves_no_bytes_in_the_database_files(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        rw = await build_rights_world(session, settings)
    before = (
        sqlite_bytes(settings.database_url)
        if settings.database_url.startswith("sqlite")
        else pg_dump_bytes(settings.database_url)
    )
    assert find_needles(before, rw.needles) == rw.needles, "the scanner must see her first"
    after = await _erase_and_scan(db, settings, AFTER_REPORT)
    assert find_needles(after, rw.needles) == []
    async with db.session() as session:
        assert await session.get(Person, rw.kari_id) is None
        for name, table in SQLModel.metadata.tables.items():
            for fk in table.foreign_keys:
                if fk.column.table.name == "person":
                    n = (
                        await session.execute(
                            select(func.count())
                            .select_from(table)
                            .where(table.c[fk.parent.name] == rw.kari_id)
                        )
                    ).scalar_one()
                    assert n == 0, (name, fk.parent.name)
        groups = (await session.execute(select(SQLModel.metadata.tables["match_group"]))).all()
        assert all(rw.kari_id not in g.member_ids for g in groups)
        # Mona's nudge that named Kari is still Mona's, without Kari's name.
        mona_rows = (
            (await session.execute(select(Delivery).where(col(Delivery.target) == "UMONA")))
            .scalars()
            .all()
        )
        assert mona_rows
        # The anonymous aggregate stays.
        answers = SQLModel.metadata.tables["pulse_answer"]
        left = (await session.execute(select(func.count()).select_from(answers))).scalar_one()
        assert left == 1
        # Her sealed answer to the open anonymous pulse is gone; Ola's stays.
        receipts = SQLModel.metadata.tables["pulse_receipt"]
        tokens = (await session.execute(select(receipts.c.token))).scalars().all()
        assert tokens == [rw.ola_receipt]
        erasures = (
            (
                await session.execute(
                    select(AuditEvent).where(col(AuditEvent.action) == "person.erase")
                )
            )
            .scalars()
            .all()
        )
    assert len(erasures) == 1 and erasures[0].subject and erasures[0].subject.startswith("erased:")


async def test_pending_message_naming_an_erased_person_is_not_sent(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        await build_rights_world(session, settings)
    await _erase_and_scan(db, settings, AFTER_REPORT)
    async with db.session() as session:
        rows = (await session.execute(select(Delivery))).scalars().all()
    named = [d for d in rows if "[slettet]" in str(d.message)]
    assert named
    assert all(d.state != DeliveryState.PENDING for d in named)


async def test_erasure_before_the_report_keeps_the_result_without_name_and_says_why(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        rw = await build_rights_world(session, settings)
    async with db.transaction() as session:
        report = await erase_person(session, settings, email=KARI_EMAIL, now=DURING, actor="cli")
    await db.purge_freed_space()
    assert len(report.kept) == 1
    assert "2026" in report.kept[0].reason and report.kept[0].until == "2027-03-01"
    async with db.session() as session:
        stub = await session.get(Person, rw.kari_id)
        enrolments = (
            (await session.execute(select(Enrolment).where(col(Enrolment.person_id) == rw.kari_id)))
            .scalars()
            .all()
        )
        chat = (
            (
                await session.execute(
                    select(PersonIdentity).where(col(PersonIdentity.person_id) == rw.kari_id)
                )
            )
            .scalars()
            .all()
        )
    assert stub is not None and stub.erased_at is not None and chat == []  # Slack's and Teams'
    assert "slack_user_id" not in stub.model_dump()
    assert len(enrolments) == 1
    data = (
        sqlite_bytes(settings.database_url)
        if settings.database_url.startswith("sqlite")
        else pg_dump_bytes(settings.database_url)
    )
    assert find_needles(data, rw.needles) == []
    # The stub is nobody a person can be found as again.
    async with db.transaction() as session:
        with pytest.raises(UnknownPerson):
            await export_person(session, email=KARI_EMAIL, now=DURING, actor="cli")


async def test_a_line_managers_nudge_that_names_the_erased_person_loses_the_name(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        await build_rights_world(session, settings)
    async with db.session() as session:
        nudges = (
            (
                await session.execute(
                    select(Delivery).where(
                        col(Delivery.target) == "UMONA", col(Delivery.kind) == "nudge"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert nudges and any(KARI_NAME in str(d.message) for d in nudges), "the planner names her"
    await _erase_and_scan(db, settings, AFTER_REPORT)
    async with db.session() as session:
        after = [await session.get(Delivery, d.id) for d in nudges]
    assert all(d is not None for d in after), "Mona's own messages stay hers"
    assert not any(KARI_NAME in str(d.message) for d in after if d)
    assert any("[slettet]" in str(d.message) for d in after if d)


async def test_erasing_a_line_manager_keeps_their_participants_and_removes_the_manager(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        rw = await build_rights_world(session, settings)
    mona = rw.world.mona
    async with db.transaction() as session:
        await erase_person(session, settings, email=mona.email, now=AFTER_REPORT, actor="cli")
    await db.purge_freed_space()
    data = (
        sqlite_bytes(settings.database_url)
        if settings.database_url.startswith("sqlite")
        else pg_dump_bytes(settings.database_url)
    )
    assert find_needles(data, [mona.email, "Mona Leder", "UMONA"]) == []
    async with db.transaction() as session:
        export = await export_person(session, email=KARI_EMAIL, now=AFTER_REPORT, actor="cli")
    links = export["data_classes"]["line_managers"]
    assert all(not rows for rows in links.values())
    assert export["data_classes"]["profile"]["name"] == KARI_NAME
