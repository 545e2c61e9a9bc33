"""Retention per data class, with time moved explicitly (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from bot.consent import consent_history
from bot.retention import DATA_CLASSES, run_once_today, run_retention
from bot.rights import erase_person
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    AssignmentProgress,
    AuditEvent,
    Delivery,
    DeliveryState,
    Enrolment,
    Person,
    PulseAnswer,
)
from tests.utils.rights import (
    KARI_EMAIL,
    build_rights_world,
    find_needles,
    pg_dump_bytes,
    sqlite_bytes,
)

SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _mark_all_sent(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Delivery).values(state=DeliveryState.SENT, sent_at=SENT, updated_at=SENT)
        )


async def test_message_texts_are_emptied_after_their_days_and_not_before(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        await build_rights_world(session, settings)
    await _mark_all_sent(db)
    days = settings.retention_message_days
    async with db.transaction() as session:
        early = await run_retention(session, settings, now=SENT + timedelta(days=days - 1))
    assert early.counts["message_texts"] == 0
    async with db.transaction() as session:
        late = await run_retention(session, settings, now=SENT + timedelta(days=days + 1))
    async with db.session() as session:
        rows = (await session.exec(select(Delivery))).all()
    assert late.counts["message_texts"] == len(rows) > 0
    assert all(r.message.get("text") == "" and r.target == "-" for r in rows)
    assert all(r.dedupe_key for r in rows), "the dedupe key stays, so nothing is sent again"


async def test_free_texts_stay_until_the_years_report_is_due_then_go(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        await build_rights_world(session, settings)
    just_before = datetime(2027, 2, 28, 22, 59, tzinfo=UTC)  # 23:59 in Oslo, 28 February
    async with db.transaction() as session:
        result = await run_retention(session, settings, now=just_before)
    assert result.counts["free_texts"] == 0
    on_the_day = datetime(2027, 2, 28, 23, 1, tzinfo=UTC)  # 00:01 in Oslo, 1 March
    async with db.transaction() as session:
        result = await run_retention(session, settings, now=on_the_day)
    assert result.counts["free_texts"] == 2  # one reflection, one free-text pulse answer
    async with db.session() as session:
        progress = (await session.exec(select(AssignmentProgress))).all()
        answers = (await session.exec(select(PulseAnswer))).all()
    assert all(p.reflection is None for p in progress)
    assert all(a.text is None for a in answers)
    assert any(a.value == 5 for a in answers), "the score itself stays for the figures"


async def test_silent_alumni_profiles_are_emptied_and_the_export_shows_why(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        rw = await build_rights_world(session, settings)
        await session.execute(
            update(Enrolment)
            .where(col(Enrolment.person_id) == rw.kari_id)
            .values(is_alumnus=True, status="completed", alumni_consent=True)
        )
    moment = datetime(2026, 3, 5, 12, tzinfo=UTC)
    silent = timedelta(days=settings.retention_alumni_silent_days)
    async with db.transaction() as session:
        kept = await run_retention(session, settings, now=moment + timedelta(days=30))
    assert kept.counts["alumni_profiles"] == 0
    async with db.transaction() as session:
        gone = await run_retention(session, settings, now=moment + silent + timedelta(days=30))
    assert gone.counts["alumni_profiles"] == 1
    async with db.session() as session:
        kari = await session.get(Person, rw.kari_id)
        history = await consent_history(session, person_id=rw.kari_id)
    assert kari is not None and not kari.findable and kari.bio is None
    assert [(c.granted, c.via) for c in history][-1] == (False, "retention")


async def test_audit_entries_age_out(db: Database, settings: Settings) -> None:
    async with db.transaction() as session:
        session.add(AuditEvent(at=SENT, actor="cli", action="report.annual"))
    later = SENT + timedelta(days=settings.retention_audit_days + 1)
    async with db.transaction() as session:
        result = await run_retention(session, settings, now=later)
    assert result.counts["audit_entries"] == 1


async def test_erased_stub_is_deleted_once_its_report_is_delivered(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        rw = await build_rights_world(session, settings)
    async with db.transaction() as session:
        report = await erase_person(
            session, settings, email=KARI_EMAIL, now=datetime(2026, 6, 1, tzinfo=UTC), actor="cli"
        )
    assert report.kept
    async with db.transaction() as session:
        before = await run_retention(session, settings, now=datetime(2027, 2, 1, tzinfo=UTC))
    assert before.counts["erased_stubs"] == 0
    async with db.transaction() as session:
        after = await run_retention(session, settings, now=datetime(2027, 3, 2, tzinfo=UTC))
    assert after.counts["erased_stubs"] == 1
    async with db.session() as session:
        assert await session.get(Person, rw.kari_id) is None


async def test_dry_run_counts_what_a_run_removes_and_changes_nothing(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        await build_rights_world(session, settings)
    await _mark_all_sent(db)
    now = datetime(2027, 6, 1, tzinfo=UTC)
    async with db.transaction() as session:
        dry = await run_retention(session, settings, now=now, dry_run=True)
    async with db.transaction() as session:
        again = await run_retention(session, settings, now=now, dry_run=True)
    assert dry.counts == again.counts, "a dry run changed something"
    async with db.transaction() as session:
        real = await run_retention(session, settings, now=now)
    assert list(real.counts) == list(DATA_CLASSES)
    assert real.counts == dry.counts
    assert real.counts["message_texts"] > 0 and real.counts["free_texts"] == 2


async def test_message_texts_past_retention_leave_no_bytes_in_the_database_files(
    db: Database, settings: Settings
) -> None:
    secret = "Hemmelig melding om omorganiseringen på Fana sykehjem"
    async with db.transaction() as session:
        await build_rights_world(session, settings)
        session.add(
            Delivery(
                dedupe_key="secret:1",
                transport="slack",
                kind="broadcast",
                target="UOLA",
                message={"text": secret},
                send_at=SENT,
                state=DeliveryState.SENT,
                sent_at=SENT,
                updated_at=SENT,
            )
        )
    assert find_needles(_dump(settings), [secret]) == [secret]
    later = SENT + timedelta(days=settings.retention_message_days + 1)
    result = await run_once_today(db, settings, now=later)
    assert result is not None and result.counts["message_texts"] >= 1
    assert find_needles(_dump(settings), [secret]) == []


def _dump(settings: Settings) -> bytes:
    """SQLite: every byte of the files (free pages and WAL too). PostgreSQL: a full pg_dump."""
    if settings.database_url.startswith("sqlite"):
        return sqlite_bytes(settings.database_url)
    return pg_dump_bytes(settings.database_url)
