"""Pulse queries: audience, participation (who was asked), receipts, answers, and the life cycle.

For an anonymous pulse a click writes one sealed receipt and nothing else; the answers reach
`pulse_answer` only when the pulse closes, all in one statement in shuffled order, with no
person, token or time. See docs/privacy.md for the threat model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    CohortClass,
    Enrolment,
    EnrolmentStatus,
    Person,
    Pulse,
    PulseAnswer,
    PulseParticipation,
    PulseQuestion,
    PulseReceipt,
    PulseResponseCount,
)
from storage.queries import insert_for
from storage.queries.slack_ids import slack_active, slack_alias, slack_on, slack_user_id


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.exec(stmt)).all())


async def get_pulse(*, session: AsyncSession, pulse_id: int) -> Pulse | None:
    return await session.get(Pulse, pulse_id)


async def find_pulse(*, session: AsyncSession, ref: str) -> Pulse | None:
    """A pulse by id ("12"), key ("etter-samling-1") or title, the newest if several match.

    Staff know an ad-hoc pulse by the title they gave it, so a title (case-insensitive, the
    «quotes» of the bot's own messages ignored) finds it too.
    """
    ref = ref.strip().strip('«»“”"')
    if ref.isdigit():
        return await session.get(Pulse, int(ref))
    newest_first = (col(Pulse.opens_at).desc(), col(Pulse.id).desc())
    rows = await _rows(session, select(Pulse).where(col(Pulse.key) == ref).order_by(*newest_first))
    if not rows:
        # In Python: SQLite's lower() folds only ASCII, and titles are Norwegian («Økt …»).
        wanted = ref.casefold()
        rows = [
            p
            for p in await _rows(session, select(Pulse).order_by(*newest_first))
            if p.title.strip().casefold() == wanted
        ]
    return rows[0] if rows else None


async def recent_pulses(*, session: AsyncSession, limit: int = 8) -> list[Pulse]:
    """The newest pulses by opening time, for "which pulse?" hints to staff."""
    return await _rows(
        session,
        select(Pulse).order_by(col(Pulse.opens_at).desc(), col(Pulse.id).desc()).limit(limit),
    )


async def list_questions(*, session: AsyncSession, pulse_id: int) -> list[PulseQuestion]:
    return await _rows(
        session,
        select(PulseQuestion)
        .where(col(PulseQuestion.pulse_id) == pulse_id)
        .order_by(col(PulseQuestion.position)),
    )


async def add_pulse(
    *, session: AsyncSession, pulse: Pulse, questions: Sequence[PulseQuestion]
) -> Pulse:
    """Insert a pulse and its questions (positions 1..n) in the caller's transaction."""
    session.add(pulse)
    await session.flush()
    for i, question in enumerate(questions, start=1):
        question.pulse_id = pulse.id  # type: ignore[assignment]
        question.position = i
        session.add(question)
    await session.flush()
    return pulse


def _contact_columns(slack: Any) -> list[Any]:
    """(person_id, slack_user_id, slack_active, email, locale, timezone): what `reach` needs."""
    return [
        col(Person.id).label("person_id"),
        slack_user_id(slack).label("slack_user_id"),
        slack_active(slack).label("slack_active"),
        col(Person.email).label("email"),
        col(Person.locale).label("locale"),
        col(Person.timezone).label("timezone"),
    ]


async def audience_rows(*, session: AsyncSession, pulse: Pulse) -> list[Any]:
    """(person_id, slack_user_id, email, locale, timezone, class_id) of the pulse's audience.

    `participants`: admitted or active participants of the cohort; `class:<key>`: those of one
    class; `alumni`: alumni who consented to alumni messages (of the cohort, or of every cohort
    when the pulse has none).
    """
    slack = slack_alias()
    stmt: Any = (
        sa_select(
            *_contact_columns(slack),
            col(Enrolment.class_id).label("class_id"),
        )
        .join(Enrolment, col(Enrolment.person_id) == col(Person.id))
        .outerjoin(slack, slack_on(slack, col(Person.id)))
    )
    if pulse.cohort_id is not None:
        stmt = stmt.where(col(Enrolment.cohort_id) == pulse.cohort_id)
    if pulse.audience == "alumni":
        stmt = stmt.where(col(Enrolment.is_alumnus), col(Enrolment.alumni_consent).is_(True))
    else:
        stmt = stmt.where(
            col(Enrolment.status).in_([EnrolmentStatus.ADMITTED, EnrolmentStatus.ACTIVE])
        )
        if pulse.audience.startswith("class:"):
            stmt = stmt.join(CohortClass, col(CohortClass.id) == col(Enrolment.class_id)).where(
                col(CohortClass.key) == pulse.audience.removeprefix("class:")
            )
    rows = await _rows(session, stmt.order_by(col(Person.id)))
    seen: set[int] = set()
    out = []
    for r in rows:  # an alumnus of two cohorts is asked once
        if r.person_id not in seen:
            seen.add(r.person_id)
            out.append(r)
    return out


async def add_participations(
    *, session: AsyncSession, pulse_id: int, person_ids: Iterable[int], invited_at: datetime
) -> None:
    """Record that these people were asked; people already asked are left as they are."""
    values = [
        {"pulse_id": pulse_id, "person_id": pid, "invited_at": invited_at, "answered": False}
        for pid in person_ids
    ]
    if not values:
        return
    stmt: Any = insert_for(session)(PulseParticipation).values(values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["pulse_id", "person_id"]))


async def get_participation(
    *, session: AsyncSession, pulse_id: int, person_id: int
) -> PulseParticipation | None:
    rows = await _rows(
        session,
        select(PulseParticipation).where(
            col(PulseParticipation.pulse_id) == pulse_id,
            col(PulseParticipation.person_id) == person_id,
        ),
    )
    return rows[0] if rows else None


async def mark_answered(*, session: AsyncSession, pulse_id: int, person_id: int) -> None:
    """Set `answered` (no time is kept: the time would link the person to the answer row)."""
    await session.execute(
        update(PulseParticipation)
        .where(
            col(PulseParticipation.pulse_id) == pulse_id,
            col(PulseParticipation.person_id) == person_id,
        )
        .values(answered=True)
    )


async def upsert_answer(
    *,
    session: AsyncSession,
    pulse_id: int,
    question_id: int,
    person_id: int | None,
    respondent_token: str,
    class_id: int | None,
    value: int | None,
    text: str | None,
    answer_id: str,
) -> None:
    """Write one answer; a second write for the same respondent and question replaces it."""
    insert = insert_for(session)(PulseAnswer).values(
        id=answer_id,
        pulse_id=pulse_id,
        question_id=question_id,
        person_id=person_id,
        respondent_token=respondent_token,
        class_id=class_id,
        value=value,
        text=text,
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["question_id", "respondent_token"],
            set_={"value": insert.excluded.value, "text": insert.excluded.text},
        )
    )


async def get_answer(
    *, session: AsyncSession, question_id: int, respondent_token: str
) -> PulseAnswer | None:
    rows = await _rows(
        session,
        select(PulseAnswer).where(
            col(PulseAnswer.question_id) == question_id,
            col(PulseAnswer.respondent_token) == respondent_token,
        ),
    )
    return rows[0] if rows else None


async def invited_people(*, session: AsyncSession, pulse_id: int) -> list[Any]:
    """(person_id, slack_user_id, email, locale, timezone, answered) of everybody asked.

    `answered` is meaningful for named pulses only; an anonymous pulse's is in its receipts.
    """
    slack = slack_alias()
    stmt: Any = (
        sa_select(
            *_contact_columns(slack),
            col(PulseParticipation.answered).label("answered"),
        )
        .join(PulseParticipation, col(PulseParticipation.person_id) == col(Person.id))
        .outerjoin(slack, slack_on(slack, col(Person.id)))
        .where(col(PulseParticipation.pulse_id) == pulse_id)
        .order_by(col(Person.id))
    )
    return await _rows(session, stmt)


async def set_reminders_done(*, session: AsyncSession, pulse_id: int, at: datetime) -> None:
    """Record that the pulse's one reminder pass is done (a pulse-level time, not a person's)."""
    await session.execute(
        update(Pulse).where(col(Pulse.id) == pulse_id).values(reminders_done_at=at)
    )


# --- receipts: the sealed ledger of an open anonymous pulse --------------------------------


async def get_receipt(*, session: AsyncSession, pulse_id: int, token: str) -> PulseReceipt | None:
    return await session.get(PulseReceipt, (pulse_id, token), populate_existing=True)


async def lock_receipt(
    *, session: AsyncSession, pulse_id: int, token: str, empty: bytes
) -> PulseReceipt:
    """The person's receipt, created (as `empty`) if missing, locked until the transaction ends.

    Two quick clicks of one person (two questions) then read and rewrite it one after the other
    (PostgreSQL: FOR UPDATE; SQLite: one writer at a time), so neither answer is lost.
    """
    insert = insert_for(session)(PulseReceipt).values(pulse_id=pulse_id, token=token, sealed=empty)
    await session.execute(insert.on_conflict_do_nothing(index_elements=["pulse_id", "token"]))
    receipt = await session.get(
        PulseReceipt, (pulse_id, token), with_for_update=True, populate_existing=True
    )
    assert receipt is not None
    return receipt


async def put_receipt(*, session: AsyncSession, pulse_id: int, token: str, sealed: bytes) -> None:
    """Write the person's receipt, replacing their earlier one (one statement, nothing else)."""
    insert = insert_for(session)(PulseReceipt).values(pulse_id=pulse_id, token=token, sealed=sealed)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["pulse_id", "token"], set_={"sealed": insert.excluded.sealed}
        )
    )


async def delete_receipt(*, session: AsyncSession, pulse_id: int, token: str) -> None:
    await session.execute(
        delete(PulseReceipt).where(
            col(PulseReceipt.pulse_id) == pulse_id, col(PulseReceipt.token) == token
        )
    )


async def retoken_answer(
    *, session: AsyncSession, question_id: int, old_token: str, new_token: str
) -> None:
    """Move a named answer from a token made with the previous key to the current one, unless
    an answer under the current token exists already (then the old one goes)."""
    current = await get_answer(session=session, question_id=question_id, respondent_token=new_token)
    old = (
        col(PulseAnswer.question_id) == question_id,
        col(PulseAnswer.respondent_token) == old_token,
    )
    if current is not None:
        await session.execute(delete(PulseAnswer).where(*old))
        return
    await session.execute(update(PulseAnswer).where(*old).values(respondent_token=new_token))


async def receipt_tokens(
    *, session: AsyncSession, pulse_id: int, tokens: Sequence[str] | None = None
) -> set[str]:
    """The tokens that have a receipt (of those given, or all)."""
    stmt: Any = sa_select(col(PulseReceipt.token)).where(col(PulseReceipt.pulse_id) == pulse_id)
    if tokens is not None:
        if not tokens:
            return set()
        stmt = stmt.where(col(PulseReceipt.token).in_(list(tokens)))
    return {r[0] for r in (await session.execute(stmt)).all()}


async def receipt_counts(*, session: AsyncSession, pulse_ids: Sequence[int]) -> dict[int, int]:
    """How many receipts each pulse has: who answered, as a number only."""
    if not pulse_ids:
        return {}
    rows = (
        await session.execute(
            sa_select(col(PulseReceipt.pulse_id), func.count())
            .where(col(PulseReceipt.pulse_id).in_(list(pulse_ids)))
            .group_by(col(PulseReceipt.pulse_id))
        )
    ).all()
    return {int(r[0]): int(r[1]) for r in rows}


async def list_receipts(*, session: AsyncSession, pulse_id: int) -> list[PulseReceipt]:
    return await _rows(session, select(PulseReceipt).where(col(PulseReceipt.pulse_id) == pulse_id))


async def delete_receipts(*, session: AsyncSession, pulse_id: int) -> None:
    await session.execute(delete(PulseReceipt).where(col(PulseReceipt.pulse_id) == pulse_id))


async def add_released_answers(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a released pulse's answers in one statement, in the (shuffled) order given.

    One statement: on PostgreSQL every row gets the same xmin and cmin, and its ctid follows the
    shuffled order; on SQLite the table is WITHOUT ROWID, ordered by the random id.
    """
    if rows:
        await session.execute(insert_for(session)(PulseAnswer).values(list(rows)))


async def add_response_counts(
    *, session: AsyncSession, pulse_id: int, counts: dict[int | None, int]
) -> None:
    for class_id, n in counts.items():
        session.add(PulseResponseCount(pulse_id=pulse_id, class_id=class_id, answered=n))
    await session.flush()


async def response_counts(*, session: AsyncSession, pulse_ids: Sequence[int]) -> list[Any]:
    """(pulse_id, class_id, answered) of released anonymous pulses."""
    if not pulse_ids:
        return []
    return await _rows(
        session,
        sa_select(
            col(PulseResponseCount.pulse_id).label("pulse_id"),
            col(PulseResponseCount.class_id).label("class_id"),
            col(PulseResponseCount.answered).label("answered"),
        ).where(col(PulseResponseCount.pulse_id).in_(list(pulse_ids))),
    )


async def set_released(*, session: AsyncSession, pulse_id: int, at: datetime) -> None:
    await session.execute(update(Pulse).where(col(Pulse.id) == pulse_id).values(released_at=at))


async def classes_of(
    *, session: AsyncSession, person_ids: Sequence[int], cohort_id: int | None
) -> dict[int, int | None]:
    """Each person's class in the cohort (None for cohort-less pulses or people without one)."""
    if cohort_id is None or not person_ids:
        return dict.fromkeys(person_ids)
    rows = (
        await session.execute(
            sa_select(col(Enrolment.person_id), col(Enrolment.class_id)).where(
                col(Enrolment.person_id).in_(list(person_ids)),
                col(Enrolment.cohort_id) == cohort_id,
            )
        )
    ).all()
    found = {int(r[0]): r[1] for r in rows}
    return {pid: found.get(pid) for pid in person_ids}


async def pulses_to_open(*, session: AsyncSession, now: datetime) -> list[Pulse]:
    """Open pulses nobody has been invited to yet."""
    invited = select(col(PulseParticipation.pulse_id)).distinct()
    return await _rows(
        session,
        select(Pulse).where(
            col(Pulse.opens_at) <= now,
            col(Pulse.closes_at) > now,
            col(Pulse.closed_at).is_(None),
            col(Pulse.id).not_in(invited),
        ),
    )


async def open_pulses(*, session: AsyncSession, now: datetime) -> list[Pulse]:
    """Pulses open now (opened, not past their deadline, not closed)."""
    return await _rows(
        session,
        select(Pulse).where(
            col(Pulse.opens_at) <= now,
            col(Pulse.closes_at) > now,
            col(Pulse.closed_at).is_(None),
        ),
    )


async def open_unanswered(*, session: AsyncSession, person_id: int, now: datetime) -> list[Pulse]:
    """Open pulses the person was asked and has not answered, closing soonest first.

    Reads only participation (who was asked), never the answers.
    """
    return await _rows(
        session,
        select(Pulse)
        .join(PulseParticipation, col(PulseParticipation.pulse_id) == col(Pulse.id))
        .where(
            col(PulseParticipation.person_id) == person_id,
            col(PulseParticipation.answered).is_(False),
            col(Pulse.opens_at) <= now,
            col(Pulse.closes_at) > now,
            col(Pulse.closed_at).is_(None),
        )
        .order_by(col(Pulse.closes_at), col(Pulse.id)),
    )


async def pulses_to_close(*, session: AsyncSession, now: datetime) -> list[Pulse]:
    return await _rows(
        session,
        select(Pulse).where(col(Pulse.closes_at) <= now, col(Pulse.closed_at).is_(None)),
    )


async def set_closed(*, session: AsyncSession, pulse_id: int, at: datetime) -> None:
    await session.execute(update(Pulse).where(col(Pulse.id) == pulse_id).values(closed_at=at))


async def text_answers(*, session: AsyncSession, pulse_id: int) -> list[Any]:
    """(question_id, class_id, text) of free-text answers: no person, no token."""
    return await _rows(
        session,
        sa_select(
            col(PulseAnswer.question_id).label("question_id"),
            col(PulseAnswer.class_id).label("class_id"),
            col(PulseAnswer.text).label("text"),
        )
        .where(
            col(PulseAnswer.pulse_id) == pulse_id,
            col(PulseAnswer.text).is_not(None),
            col(PulseAnswer.text) != "",
        )
        .order_by(col(PulseAnswer.id)),
    )


async def named_low_scores(
    *, session: AsyncSession, cohort_id: int, since: datetime, max_value: int
) -> list[Any]:
    """(person_id, n) of scale answers <= max_value on named pulses of a cohort since a time."""
    from sqlalchemy import func

    stmt: Any = (
        sa_select(col(PulseAnswer.person_id).label("person_id"), func.count().label("n"))
        .join(Pulse, col(Pulse.id) == col(PulseAnswer.pulse_id))
        .join(PulseQuestion, col(PulseQuestion.id) == col(PulseAnswer.question_id))
        .where(
            col(Pulse.cohort_id) == cohort_id,
            col(Pulse.anonymous).is_(False),
            col(Pulse.opens_at) >= since,
            col(PulseQuestion.kind) == "scale5",
            col(PulseAnswer.person_id).is_not(None),
            col(PulseAnswer.value) <= max_value,
        )
        .group_by(col(PulseAnswer.person_id))
    )
    return await _rows(session, stmt)


async def unanswered_named(
    *, session: AsyncSession, cohort_id: int, since: datetime, now: datetime
) -> list[Any]:
    """(person_id, n) of named pulses asked since a time, closed or past due, not answered."""
    from sqlalchemy import func

    stmt: Any = (
        sa_select(col(PulseParticipation.person_id).label("person_id"), func.count().label("n"))
        .join(Pulse, col(Pulse.id) == col(PulseParticipation.pulse_id))
        .where(
            col(Pulse.cohort_id) == cohort_id,
            col(Pulse.anonymous).is_(False),
            col(Pulse.opens_at) >= since,
            or_(col(Pulse.closed_at).is_not(None), col(Pulse.closes_at) <= now),
            and_(col(PulseParticipation.answered).is_(False)),
        )
        .group_by(col(PulseParticipation.person_id))
    )
    return await _rows(session, stmt)


async def class_of(*, session: AsyncSession, person_id: int, cohort_id: int | None) -> int | None:
    """The person's class in the cohort (None for cohort-less pulses or people without one)."""
    if cohort_id is None:
        return None
    rows = await _rows(
        session,
        select(col(Enrolment.class_id)).where(
            col(Enrolment.person_id) == person_id, col(Enrolment.cohort_id) == cohort_id
        ),
    )
    return rows[0] if rows else None


async def scrub_deleted_receipts(*, engine: AsyncEngine) -> bool:
    """Make deleted receipts unrecoverable from the database files; True if it fully succeeded.

    SQLite: deleted content is zeroed (`secure_delete`, storage.db) in the pages a checkpoint
    writes to the main file; `wal_checkpoint(TRUNCATE)` then drops the WAL and the older page
    images in it. PostgreSQL: with no receipt left (no anonymous pulse open) the table is
    TRUNCATEd, a new empty file whatever other transactions can still see; otherwise
    `VACUUM FULL` rewrites it (and its TOAST) without the dead tuples, except any an older
    open transaction could still see, which the next scrub removes.
    """
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            row = (await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()
            return int(row[0]) == 0
        async with conn.begin():
            await conn.exec_driver_sql("LOCK TABLE pulse_receipt IN ACCESS EXCLUSIVE MODE")
            left = (await conn.exec_driver_sql("SELECT count(*) FROM pulse_receipt")).scalar()
            if not left:
                await conn.exec_driver_sql("TRUNCATE pulse_receipt")
                return True
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.exec_driver_sql("VACUUM FULL pulse_receipt")
    return False  # live receipts of other pulses: scrub again on a later tick


async def locale_of(*, session: AsyncSession, person_id: int) -> str | None:
    """The person's language, or None when there is no such person."""
    result = await session.execute(sa_select(col(Person.locale)).where(col(Person.id) == person_id))
    return result.scalar_one_or_none()
