"""Line-manager nudge queries: who manages whom, one answer row per nudge and participant."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, cast, literal, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Delivery,
    DeliveryState,
    Enrolment,
    LineManagerLink,
    Nudge,
    NudgeAnswer,
    Person,
)
from storage.queries import insert_for
from storage.queries.bulk import insert_rows
from storage.queries.slack_ids import slack_active, slack_alias, slack_on, slack_user_id


@dataclass(frozen=True)
class ManagedParticipant:
    """One participant of a cohort and their line manager."""

    participant_id: int
    participant_name: str
    participant_slack_user_id: str | None
    participant_email: str
    participant_locale: str
    class_id: int | None
    status: str
    manager_id: int
    manager_name: str
    manager_email: str
    manager_slack_user_id: str | None
    manager_slack_active: bool
    manager_locale: str
    manager_timezone: str | None


@dataclass(frozen=True)
class AnswerRow:
    """A nudge answer with the nudge and both people, for messages, pages and staff views."""

    answer: NudgeAnswer
    nudge: Nudge
    participant_name: str
    participant_locale: str
    participant_slack_user_id: str | None
    participant_email: str
    manager_name: str
    manager_email: str
    manager_locale: str
    manager_slack_user_id: str | None
    manager_slack_active: bool
    manager_timezone: str | None
    class_id: int | None


async def list_nudges(*, session: AsyncSession, cohort_id: int) -> list[Nudge]:
    result = await session.execute(
        select(Nudge)
        .where(col(Nudge.cohort_id) == cohort_id)
        .order_by(col(Nudge.send_at), col(Nudge.id))
    )
    return list(result.scalars())


async def get_nudge(*, session: AsyncSession, nudge_id: int) -> Nudge | None:
    return await session.get(Nudge, nudge_id)


async def managed_participants(
    *, session: AsyncSession, cohort_id: int
) -> list[ManagedParticipant]:
    """Every participant of the cohort that has a line manager, with both people."""
    participant = aliased(Person)
    manager = aliased(Person)
    participant_slack, manager_slack = slack_alias(), slack_alias()
    result = await session.execute(
        sa_select(
            col(participant.id),
            col(participant.name),
            slack_user_id(participant_slack),
            col(participant.email),
            col(participant.locale),
            col(Enrolment.class_id),
            col(Enrolment.status),
            col(manager.id),
            col(manager.name),
            col(manager.email),
            slack_user_id(manager_slack),
            slack_active(manager_slack),
            col(manager.locale),
            col(manager.timezone),
        )
        .select_from(LineManagerLink)
        .join(participant, col(participant.id) == col(LineManagerLink.participant_id))
        .join(manager, col(manager.id) == col(LineManagerLink.manager_id))
        .outerjoin(participant_slack, slack_on(participant_slack, col(participant.id)))
        .outerjoin(manager_slack, slack_on(manager_slack, col(manager.id)))
        .join(
            Enrolment,
            and_(
                col(Enrolment.person_id) == col(LineManagerLink.participant_id),
                col(Enrolment.cohort_id) == col(LineManagerLink.cohort_id),
            ),
        )
        .where(col(LineManagerLink.cohort_id) == cohort_id)
        .order_by(col(manager.id), col(participant.name), col(participant.id))
    )
    return [ManagedParticipant(*row) for row in result.all()]


async def ensure_answer_row(
    *, session: AsyncSession, nudge_id: int, participant_id: int, manager_id: int
) -> None:
    """Create the answer row; if it is unanswered and the manager changed, follow the change."""
    insert = insert_for(session)(NudgeAnswer).values(
        nudge_id=nudge_id, participant_id=participant_id, manager_id=manager_id
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["nudge_id", "participant_id"],
            set_={"manager_id": insert.excluded.manager_id},
            where=col(NudgeAnswer.answer).is_(None),
        )
    )


async def answers_for_nudge(*, session: AsyncSession, nudge_id: int) -> list[NudgeAnswer]:
    result = await session.execute(
        select(NudgeAnswer)
        .where(col(NudgeAnswer.nudge_id) == nudge_id)
        .execution_options(populate_existing=True)  # rows may have been bulk-updated
    )
    return list(result.scalars())


def _answer_rows_query() -> Any:
    participant = aliased(Person)
    manager = aliased(Person)
    participant_slack, manager_slack = slack_alias(), slack_alias()
    return (
        sa_select(
            NudgeAnswer,
            Nudge,
            col(participant.name),
            col(participant.locale),
            slack_user_id(participant_slack),
            col(participant.email),
            col(manager.name),
            col(manager.email),
            col(manager.locale),
            slack_user_id(manager_slack),
            slack_active(manager_slack),
            col(manager.timezone),
            col(Enrolment.class_id),
        )
        .join(Nudge, col(Nudge.id) == col(NudgeAnswer.nudge_id))
        .join(participant, col(participant.id) == col(NudgeAnswer.participant_id))
        .join(manager, col(manager.id) == col(NudgeAnswer.manager_id))
        .outerjoin(participant_slack, slack_on(participant_slack, col(participant.id)))
        .outerjoin(manager_slack, slack_on(manager_slack, col(manager.id)))
        .outerjoin(
            Enrolment,
            and_(
                col(Enrolment.person_id) == col(NudgeAnswer.participant_id),
                col(Enrolment.cohort_id) == col(Nudge.cohort_id),
            ),
        )
    )


def _rows(result: Any) -> list[AnswerRow]:
    return [AnswerRow(*row) for row in result.all()]


async def get_answer_row(*, session: AsyncSession, nudge_answer_id: int) -> AnswerRow | None:
    result = await session.execute(
        _answer_rows_query().where(col(NudgeAnswer.id) == nudge_answer_id)
    )
    rows = _rows(result)
    return rows[0] if rows else None


async def lock_answer(*, session: AsyncSession, nudge_answer_id: int) -> NudgeAnswer | None:
    """The answer row, locked for update on PostgreSQL (two clicks at once record once)."""
    stmt = select(NudgeAnswer).where(col(NudgeAnswer.id) == nudge_answer_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    result = await session.execute(stmt.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


async def answer_rows(
    *,
    session: AsyncSession,
    cohort_id: int | None = None,
    nudge_id: int | None = None,
    manager_id: int | None = None,
    unanswered_only: bool = False,
    escalated_only: bool = False,
) -> list[AnswerRow]:
    """Answer rows with their people, filtered."""
    stmt = _answer_rows_query()
    if cohort_id is not None:
        stmt = stmt.where(col(Nudge.cohort_id) == cohort_id)
    if nudge_id is not None:
        stmt = stmt.where(col(NudgeAnswer.nudge_id) == nudge_id)
    if manager_id is not None:
        stmt = stmt.where(col(NudgeAnswer.manager_id) == manager_id)
    if unanswered_only:
        stmt = stmt.where(col(NudgeAnswer.answer).is_(None))
    if escalated_only:
        stmt = stmt.where(
            col(NudgeAnswer.escalated_at).is_not(None),
            col(NudgeAnswer.handled_at).is_(None),
            col(NudgeAnswer.answer).is_(None),
        )
    stmt = stmt.order_by(col(Nudge.send_at), col(NudgeAnswer.manager_id), col(NudgeAnswer.id))
    return _rows(await session.execute(stmt))


def _manager_key() -> Any:
    return (
        literal("nudge:")
        + cast(col(NudgeAnswer.nudge_id), String)
        + literal(":manager:")
        + cast(col(NudgeAnswer.manager_id), String)
    )


async def unanswered_with_failed_delivery(*, session: AsyncSession) -> list[int]:
    """Unanswered, not yet escalated answers whose manager message failed for good."""
    result = await session.execute(
        select(col(NudgeAnswer.id))
        .join(Delivery, col(Delivery.dedupe_key) == _manager_key())
        .where(
            col(NudgeAnswer.answer).is_(None),
            col(NudgeAnswer.escalated_at).is_(None),
            col(NudgeAnswer.handled_at).is_(None),
            col(Delivery.state) == DeliveryState.FAILED,
        )
    )
    return [int(i) for i in result.scalars()]


async def unsent_answers_with_sent_delivery(*, session: AsyncSession) -> list[tuple[int, datetime]]:
    """(answer id, sent time) for answers whose manager message went out but sent_at is unset."""
    key = _manager_key()
    result = await session.execute(
        select(col(NudgeAnswer.id), col(Delivery.sent_at))
        .join(Delivery, col(Delivery.dedupe_key) == key)
        .where(
            col(NudgeAnswer.sent_at).is_(None),
            col(Delivery.state) == DeliveryState.SENT,
        )
    )
    return [(int(i), sent) for i, sent in result.all() if sent is not None]


async def set_sent(*, session: AsyncSession, nudge_answer_id: int, sent_at: datetime) -> None:
    await session.execute(
        update(NudgeAnswer)
        .where(col(NudgeAnswer.id) == nudge_answer_id, col(NudgeAnswer.sent_at).is_(None))
        .values(sent_at=sent_at)
    )


async def update_answers(
    *, session: AsyncSession, nudge_answer_ids: Collection[int], **values: Any
) -> int:
    """Set the given columns on the answer rows."""
    if not nudge_answer_ids:
        return 0
    result = await session.execute(
        update(NudgeAnswer)
        .where(col(NudgeAnswer.id).in_(list(nudge_answer_ids)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def managers_of(*, session: AsyncSession, participant_id: int) -> list[int]:
    result = await session.execute(
        select(col(LineManagerLink.manager_id)).where(
            col(LineManagerLink.participant_id) == participant_id
        )
    )
    return [int(r) for r in result.scalars()]


async def participants_of_manager(
    *, session: AsyncSession, manager_id: int
) -> list[tuple[int, str, int]]:
    """(participant id, name, cohort id) of the manager's participants."""
    result = await session.execute(
        select(col(Person.id), col(Person.name), col(LineManagerLink.cohort_id))
        .join(LineManagerLink, col(LineManagerLink.participant_id) == col(Person.id))
        .where(col(LineManagerLink.manager_id) == manager_id)
        .order_by(col(Person.name))
    )
    return [(int(a), b, int(c)) for a, b, c in result.all()]


async def involvement_rows(*, session: AsyncSession, cohort_id: int) -> list[Any]:
    """Per answer row: the nudge, the answer times and the participant's class."""
    stmt: Any = (
        sa_select(
            col(Nudge.id).label("nudge_id"),
            col(Nudge.key).label("key"),
            col(Nudge.title).label("title"),
            col(Nudge.send_at).label("send_at"),
            col(NudgeAnswer.answer).label("answer"),
            col(NudgeAnswer.sent_at).label("sent_at"),
            col(NudgeAnswer.answered_at).label("answered_at"),
            col(NudgeAnswer.escalated_at).label("escalated_at"),
            col(Enrolment.class_id).label("class_id"),
        )
        .join(NudgeAnswer, col(NudgeAnswer.nudge_id) == col(Nudge.id))
        .outerjoin(
            Enrolment,
            and_(
                col(Enrolment.person_id) == col(NudgeAnswer.participant_id),
                col(Enrolment.cohort_id) == col(Nudge.cohort_id),
            ),
        )
        .where(col(Nudge.cohort_id) == cohort_id)
        .order_by(col(Nudge.send_at), col(Nudge.id))
    )
    return list((await session.execute(stmt)).all())


async def manager_deliveries(*, session: AsyncSession, nudge_ids: Collection[int]) -> list[Any]:
    """(dedupe_key, state, error, transport, updated_at) of every delivery of the nudges."""
    if not nudge_ids:
        return []
    stmt: Any = (
        sa_select(
            col(Delivery.dedupe_key).label("dedupe_key"),
            col(Delivery.state).label("state"),
            col(Delivery.error).label("error"),
            col(Delivery.transport).label("transport"),
            col(Delivery.id).label("id"),
        )
        .where(col(Delivery.source).in_([f"nudge:{i}" for i in nudge_ids]))
        .order_by(col(Delivery.id))
    )
    return list((await session.execute(stmt)).all())


async def answer_row_keys(
    *, session: AsyncSession, nudge_id: int
) -> list[tuple[int, int, int, str | None]]:
    """(id, participant id, manager id, answer) of every answer row of a nudge, in one read."""
    table: Any = getattr(NudgeAnswer, "__table__")  # noqa: B009 (SQLModel hides it from mypy)
    result = await session.execute(
        sa_select(table.c.id, table.c.participant_id, table.c.manager_id, table.c.answer)
        .where(table.c.nudge_id == nudge_id)
        .order_by(table.c.id)
    )
    return [(int(i), int(p), int(m), a) for i, p, m, a in result.all()]


async def answer_row_changes(
    *, session: AsyncSession, nudge_id: int, managers: dict[int, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What `write_answer_rows` must write so that every participant (participant id ->
    manager id) has an answer row for the nudge: (rows to insert, unanswered rows whose
    manager changed). One read; writes nothing."""
    if not managers:
        return [], []
    existing = {
        pid: (row_id, manager_id, answer)
        for row_id, pid, manager_id, answer in await answer_row_keys(
            session=session, nudge_id=nudge_id
        )
    }
    new = [
        {"nudge_id": nudge_id, "participant_id": pid, "manager_id": mid}
        for pid, mid in managers.items()
        if pid not in existing
    ]
    moved = [
        {"b_id": existing[pid][0], "b_manager": mid}
        for pid, mid in managers.items()
        if pid in existing and existing[pid][2] is None and existing[pid][1] != mid
    ]
    return new, moved


async def write_answer_rows(
    *,
    session: AsyncSession,
    nudge_id: int,
    new: list[dict[str, Any]],
    moved: list[dict[str, Any]],
) -> None:
    """Insert the missing answer rows (one statement; a row that exists meanwhile is left
    alone) and move unanswered rows to their new manager (an answered row is left alone)."""
    table: Any = getattr(NudgeAnswer, "__table__")  # noqa: B009 (SQLModel hides it from mypy)
    if new:
        await insert_rows(
            session=session, table=table, rows=new, conflict=["nudge_id", "participant_id"]
        )
    if moved:
        conn = await session.connection()
        await conn.execute(
            update(table)
            .where(
                table.c.id == bindparam("b_id"),
                table.c.nudge_id == nudge_id,
                table.c.answer.is_(None),
            )
            .values(manager_id=bindparam("b_manager")),
            moved,
        )


async def cancel_pending_with_prefix(
    *, session: AsyncSession, key_prefix: str, reason: str, now: datetime
) -> int:
    """Cancel the still-pending deliveries whose dedupe key starts with `key_prefix`."""
    escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    result = await session.execute(
        update(Delivery)
        .where(
            col(Delivery.dedupe_key).like(escaped + "%", escape="\\"),
            col(Delivery.state) == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.CANCELLED, error=reason[:500], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
