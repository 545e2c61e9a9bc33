"""Retention: each data class is kept as long as its purpose needs, then deleted or emptied.

The rules (settings `COHORTBOT_RETENTION_*`, defaults and reasons in docs/privacy.md):

- message texts: emptied N days after a delivery finished (the row, without text or address,
  stays so the dedupe key keeps a re-plan from sending it again);
- free-text answers (reflections, free-text pulse answers): until that year's annual report is
  due (1 March the year after), then emptied;
- alumni directory profiles: emptied once the person withdrew both the directory opt-in and
  alumni consent, or after N days without any sign of life (consent withdrawn by the system);
- audit entries: N days;
- risk cases (the dropout digest's flags and staff notes): N days after their week;
- inbound event ids: one day (Slack retries within minutes);
- erased people's stubs: deleted once the report that needed them is delivered;
- archive items of participants: N days after their last change, with their files; files no
  row refers to (bot.archive.rights).

`run_retention` takes `now`, so tests move time; `--dry-run` counts without changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.archive import rights as archive_rights
from bot.archive import store_for
from bot.archive.files import discard
from bot.claims import claim_once
from bot.consent import record_consent
from bot.rights import cohort_last_year, last_reported_year
from bot.settings import Settings
from storage.db import Database
from storage.models import ConsentKind, EnrolmentStatus
from storage.queries import rights as q
from storage.queries.events import EVENT_MEMORY

# The order `cohortbot retention run` prints them in.
DATA_CLASSES = (
    "message_texts",
    "free_texts",
    "alumni_profiles",
    "audit_entries",
    "risk_cases",
    "inbound_events",
    "erased_stubs",
    "archive_items",
    "archive_files",
)


@dataclass
class RetentionResult:
    dry_run: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DATA_CLASSES, 0))
    discard_files: list[str] = field(default_factory=list)


def _iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def free_text_cutoff(*, now: datetime, settings: Settings) -> datetime:
    """Free texts from before this moment belong to years whose report is delivered."""
    from zoneinfo import ZoneInfo

    year = last_reported_year(now=now, settings=settings) + 1
    return datetime(year, 1, 1, tzinfo=ZoneInfo(settings.timezone))


async def run_retention(
    session: AsyncSession, settings: Settings, *, now: datetime, dry_run: bool = False
) -> RetentionResult:
    """Apply every rule once, in the caller's transaction; counts per data class."""
    result = RetentionResult(dry_run=dry_run)
    counts = result.counts
    counts["message_texts"] = await q.redact_old_messages(
        session=session,
        before=now - timedelta(days=settings.retention_message_days),
        dry_run=dry_run,
    )
    cutoff = free_text_cutoff(now=now, settings=settings)
    reflections = await q.reflections_due_before(session=session, due_before=cutoff)
    texts = await q.pulse_texts_closed_before(session=session, closes_before=cutoff)
    counts["free_texts"] = len(reflections) + len(texts)
    if not dry_run:
        for progress in reflections:
            progress.reflection = None
            progress.reflection_shareable = False
        for answer in texts:
            answer.text = None
        await q.save(session=session, rows=[*reflections, *texts])
    counts["alumni_profiles"] = await _alumni_profiles(session, settings, now=now, dry_run=dry_run)
    counts["audit_entries"] = await q.old_audit_events(
        session=session, before=now - timedelta(days=settings.retention_audit_days), dry_run=dry_run
    )
    counts["risk_cases"] = await q.old_risk_cases(
        session=session,
        week_before=_iso_week(now - timedelta(days=settings.retention_risk_case_days)),
        dry_run=dry_run,
    )
    counts["inbound_events"] = await q.old_processed_events(
        session=session, before=now - EVENT_MEMORY, dry_run=dry_run
    )
    counts["erased_stubs"] = await _erased_stubs(session, settings, now=now, dry_run=dry_run)
    counts["archive_items"], result.discard_files = await archive_rights.expire_items(
        session, now=now, days=settings.retention_archive_days, dry_run=dry_run
    )
    return result


async def finish_archive(result: RetentionResult, settings: Settings, db: Database) -> None:
    """After the commit: delete the expired items' files and every file no row refers to."""
    if result.dry_run:
        return
    store = store_for(settings)
    gone = await discard(store, result.discard_files)
    async with db.session() as session:
        gone += await archive_rights.sweep(session, store)
    result.counts["archive_files"] = gone


RETENTION_JOB = "retention"


async def run_once_today(
    db: Database, settings: Settings, *, now: datetime
) -> RetentionResult | None:
    """Apply the rules if no process has done so this local day; None if one has.

    The claim is the day's job claim (`bot.claims`, unique on job, subject and local date),
    inserted in the same transaction as the work: a crash rolls both back and a later tick
    tries again.
    """
    day = now.astimezone(settings.zone).date().isoformat()
    async with db.transaction() as session:
        if not await claim_once(session, job=RETENTION_JOB, subject="all", due=day, now=now):
            return None
        result = await run_retention(session, settings, now=now)
    await finish_archive(result, settings, db)
    await db.purge_freed_space(
        full=False
    )  # also finishes an erasure's checkpoint a busy bot held up
    return result


async def _alumni_profiles(
    session: AsyncSession, settings: Settings, *, now: datetime, dry_run: bool
) -> int:
    silent_since = now - timedelta(days=settings.retention_alumni_silent_days)
    cleared = 0
    for person, enrolments in await q.alumni_profiles(session=session):
        if not enrolments or not all(
            e.is_alumnus or e.status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.WITHDRAWN)
            for e in enrolments
        ):
            continue  # still in the programme: the profile serves the class
        withdrawn = not person.findable and all(e.alumni_consent is not True for e in enrolments)
        assert person.id is not None
        last = await q.last_activity(session=session, person_id=person.id)
        silent = last is not None and last < silent_since
        if not (withdrawn or silent):
            continue
        cleared += 1
        if dry_run:
            continue
        if person.findable:
            await record_consent(
                session,
                person_id=person.id,
                kind=ConsentKind.DIRECTORY,
                granted=False,
                locale=person.locale,
                via="retention",
                now=now,
            )
        person.findable = False
        person.project_title = None
        person.topics = None
        person.bio = None
        await q.save(session=session, rows=[person])
    return cleared


async def _erased_stubs(
    session: AsyncSession, settings: Settings, *, now: datetime, dry_run: bool
) -> int:
    from storage.queries.networks import get_cohort

    reported = last_reported_year(now=now, settings=settings)
    deleted = 0
    for person, enrolments in await q.erased_stubs(session=session):
        needed = False
        for enrolment in enrolments:
            cohort = await get_cohort(session=session, cohort_id=enrolment.cohort_id)
            last = cohort_last_year(cohort, now=now, settings=settings) if cohort else None
            if cohort is not None and (last is None or last > reported):
                needed = True
        if needed:
            continue
        deleted += 1
        if not dry_run and person.id is not None:
            for pc in q.PERSON_COLUMNS:
                if pc.data_class in ("messages", "audit"):
                    continue
                await q.erase_person_column(
                    session=session,
                    table=pc.table,
                    column=pc.column,
                    person_id=person.id,
                    how=pc.erase,
                )
            session.expunge(person)
            await q.delete_person_row(session=session, person_id=person.id)
    return deleted
