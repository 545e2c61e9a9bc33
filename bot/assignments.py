"""Assignments between sessions: the messages, marking done, reflections and status views.

Deliveries for an assignment share the source `assignment:{id}`: the post to each class
channel (`assignment_post`), the reminders (`assignment_reminder`) and the overdue notice
(`assignment_overdue`) to each participant. Reminders carry the participant's person id, so
marking done or withdrawing cancels exactly that person's pending ones.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.consent import record_consent
from bot.limits import MAX_REFLECTION
from bot.messages import esc, format_when, t
from bot.notifier import Button, OutgoingMessage, Section
from storage.models import Assignment, AssignmentProgress, ConsentKind, EnrolmentStatus
from storage.queries import assignments as q
from storage.queries.people import record_audit
from storage.queries.rights import get_person

logger = logging.getLogger(__name__)

KIND_POST = "assignment_post"
KIND_REMINDER = "assignment_reminder"
KIND_OVERDUE = "assignment_overdue"
# The assignment itself, to one participant whom only email reaches (the class channel's post
# reaches the others): `assignment:{id}:post:person:{pid}` at the release time.
KIND_RELEASE = "assignment_release"
PERSONAL_KINDS = (KIND_REMINDER, KIND_OVERDUE, KIND_RELEASE)
MAX_REFLECTION_CHARS = 3000


class AssignmentNotFound(Exception):
    """No assignment with that id."""


class NotParticipant(Exception):
    """The person is not enrolled in the assignment's cohort."""


def source_for(assignment_id: int) -> str:
    """The outbox source shared by every delivery of one assignment."""
    return f"assignment:{assignment_id}"


# --- neutral messages ----------------------------------------------------------------------


def _buttons(assignment_id: int, locale: str) -> tuple[Button, ...]:
    """ "Mark as done" and "Write a reflection", as in posts and reminders."""
    return (
        Button(
            "assignment_done",
            t("assignment.button.done", locale),
            value=str(assignment_id),
            style="primary",
        ),
        Button(
            "assignment_reflect", t("assignment.button.reflect", locale), value=str(assignment_id)
        ),
    )


def post_message(
    assignment: Assignment, *, locale: str, tz: str, with_buttons: bool = True
) -> OutgoingMessage:
    """The assignment as posted to a class channel, with "Mark as done" and "Write a reflection".

    Without buttons: the same assignment by email, to a participant in neither Slack nor Teams.
    """
    assert assignment.id is not None
    due = format_when(assignment.due_at, locale, tz)
    title = t("assignment.post.title", locale, title=assignment.title)
    fields: list[tuple[str, str]] = [(t("assignment.post.due", locale), due)]
    if assignment.url:
        fields.append((t("assignment.post.link", locale), esc(assignment.url)))
    sections = [Section(text=esc(assignment.description.strip()), fields=tuple(fields))]
    if assignment.line_manager_involved:
        sections.append(Section(text=t("assignment.post.manager", locale)))
    if with_buttons:
        sections.append(Section(buttons=_buttons(assignment.id, locale)))
    return OutgoingMessage(
        text=f"{title} – {t('assignment.post.due', locale)} {due}",
        title=title,
        sections=tuple(sections),
        context=t("assignment.post.context", locale) if with_buttons else None,
        locale=locale,
        meta={"kind": KIND_POST if with_buttons else KIND_RELEASE, "assignment_id": assignment.id},
    )


def reminder_message(
    assignment: Assignment, *, locale: str, tz: str, overdue: bool, with_buttons: bool = True
) -> OutgoingMessage:
    """A reminder before the due time, or the overdue notice the morning after."""
    assert assignment.id is not None
    due = format_when(assignment.due_at, locale, tz)
    prefix = "assignment.overdue" if overdue else "assignment.reminder"
    title = t(f"{prefix}.title", locale, title=assignment.title)
    text = t(f"{prefix}.text", locale, title=assignment.title, due=due)
    buttons = _buttons(assignment.id, locale) if with_buttons else ()
    fields = ((t("assignment.post.link", locale), esc(assignment.url)),) if assignment.url else ()
    return OutgoingMessage(
        text=text,
        title=title,
        sections=(Section(text=text, fields=fields, buttons=buttons),),
        locale=locale,
        meta={
            "kind": KIND_OVERDUE if overdue else KIND_REMINDER,
            "assignment_id": assignment.id,
        },
    )


# --- marking done and reflecting -----------------------------------------------------------


@dataclass(frozen=True)
class DoneResult:
    """What marking done did: `newly_done` is False on a repeat click."""

    assignment: Assignment
    newly_done: bool
    done_at: datetime
    cancelled: int


async def _checked(session: AsyncSession, assignment_id: int, person_id: int) -> Assignment:
    assignment = await q.get_assignment(session=session, assignment_id=assignment_id)
    if assignment is None:
        raise AssignmentNotFound(assignment_id)
    status = await q.enrolment_status(
        session=session, person_id=person_id, cohort_id=assignment.cohort_id
    )
    if status is None:
        raise NotParticipant(person_id)
    return assignment


async def mark_done(
    session: AsyncSession, assignment_id: int, person_id: int, now: datetime
) -> DoneResult:
    """Record the assignment as done for the person (once) and cancel their pending reminders."""
    assignment = await _checked(session, assignment_id, person_id)
    newly = await q.set_done_once(
        session=session, assignment_id=assignment_id, person_id=person_id, now=now
    )
    cancelled = await delivery.cancel(
        session,
        now=now,
        source=source_for(assignment_id),
        person_id=person_id,
        kinds=PERSONAL_KINDS,
        reason="done",
    )
    progress = await q.get_progress(
        session=session, assignment_id=assignment_id, person_id=person_id
    )
    done_at = progress.done_at if progress and progress.done_at else now
    return DoneResult(assignment, newly, done_at, cancelled)


async def save_reflection(
    session: AsyncSession,
    assignment_id: int,
    person_id: int,
    text: str,
    shareable: bool,
    now: datetime,
) -> Assignment:
    """Store the person's reflection (replacing an earlier one) and whether it may be shared."""
    if len(text.strip()) > MAX_REFLECTION:  # refused, never silently cut
        raise ValueError(f"a reflection holds at most {MAX_REFLECTION} characters")
    assignment = await _checked(session, assignment_id, person_id)
    cleaned = text.strip()[:MAX_REFLECTION_CHARS]
    if not cleaned:
        raise ValueError("empty reflection")
    await q.set_reflection(
        session=session,
        assignment_id=assignment_id,
        person_id=person_id,
        text=cleaned,
        shareable=shareable,
        now=now,
    )
    person = await get_person(session=session, person_id=person_id)
    await record_consent(
        session,
        person_id=person_id,
        kind=ConsentKind.REFLECTION_SHARING,
        scope=f"assignment:{assignment_id}",
        granted=shareable,
        locale=person.locale if person else None,
        via="slack",
        now=now,
        only_if_changed=True,
    )
    return assignment


async def reflection_for(
    session: AsyncSession, assignment_id: int, person_id: int
) -> tuple[Assignment, str | None, bool]:
    """The assignment and the person's earlier reflection (text, shareable), to prefill."""
    assignment = await _checked(session, assignment_id, person_id)
    progress = await q.get_progress(
        session=session, assignment_id=assignment_id, person_id=person_id
    )
    if progress is None:
        return assignment, None, False
    return assignment, progress.reflection, progress.reflection_shareable


async def current_cohort_ids(session: AsyncSession) -> list[int]:
    """Cohorts that are planned or running, newest first (for staff views)."""
    return [c.id for c in await q.list_current_cohorts(session=session) if c.id is not None]


async def class_keys(session: AsyncSession, cohort_id: int) -> list[str]:
    """The keys of the cohort's classes, for "which class?" hints."""
    return [c.key for c in await q.list_classes(session=session, cohort_id=cohort_id)]


async def find_class(session: AsyncSession, ref: str) -> tuple[int, int] | None:
    """(class id, cohort id) for a class key, name or city, preferring current cohorts.

    "2026h/bergen" names the cohort too, as `/cohort groups` and the announce modal write it.
    """
    cohort_key, _, ref = ref.strip().rpartition("/")
    if cohort_key:
        cohort = await q.get_cohort_by_key(session=session, key=cohort_key.strip())
        if cohort is None or cohort.id is None:
            return None
        klass = await q.find_class(session=session, ref=ref, cohort_id=cohort.id)
        return (klass.id, klass.cohort_id) if klass is not None and klass.id is not None else None
    current = await current_cohort_ids(session)
    for cohort_id in [*current, None]:
        klass = await q.find_class(session=session, ref=ref, cohort_id=cohort_id)
        if klass is not None and klass.id is not None:
            return klass.id, klass.cohort_id
    return None


async def cancel_for_person(
    session: AsyncSession,
    *,
    person_id: int,
    cohort_id: int,
    now: datetime,
    reason: str = "withdrawn",
) -> int:
    """Cancel the person's pending reminders for every assignment of the cohort (withdrawal)."""
    total = 0
    for assignment in await q.list_assignments(session=session, cohort_id=cohort_id):
        assert assignment.id is not None
        total += await delivery.cancel(
            session,
            source=source_for(assignment.id),
            person_id=person_id,
            kinds=PERSONAL_KINDS,
            reason=reason,
            now=now,
        )
    return total


# --- what people see -----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenAssignment:
    """A released assignment the person has not marked done."""

    assignment: Assignment
    overdue: bool
    tz: str


async def open_for_person(
    session: AsyncSession, person_id: int, now: datetime
) -> list[OpenAssignment]:
    """The person's released, not-done assignments across their cohorts, soonest due first."""
    out: list[OpenAssignment] = []
    for cohort_id in await q.cohorts_of_person(session=session, person_id=person_id):
        cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
        tz = cohort.timezone if cohort else "Europe/Oslo"
        assignments = [
            a
            for a in await q.list_assignments(session=session, cohort_id=cohort_id)
            if a.release_at <= now
        ]
        done = {
            p.assignment_id
            for p in await q.list_progress(
                session=session, assignment_ids=[a.id for a in assignments if a.id is not None]
            )
            if p.person_id == person_id and p.done_at is not None
        }
        out += [OpenAssignment(a, a.due_at < now, tz) for a in assignments if a.id not in done]
    return sorted(out, key=lambda o: o.assignment.due_at)


@dataclass
class AssignmentStatus:
    """One assignment in one class: who is done, open (before the due time) and overdue."""

    assignment_id: int
    key: str
    title: str
    due_at: datetime
    released: bool
    done: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)


@dataclass
class ClassStatus:
    """Every assignment of a class's cohort, counted for the class's participants."""

    class_id: int | None
    class_key: str
    class_name: str
    has_channel: bool
    tz: str
    assignments: list[AssignmentStatus] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)  # the participants counted (for audit)


async def status_by_class(
    session: AsyncSession,
    *,
    now: datetime,
    cohort_id: int | None = None,
    class_id: int | None = None,
) -> list[ClassStatus]:
    """Done/open/overdue counts and names per class and assignment (names are for staff only).

    Counts cover participants taking part now; withdrawn people are left out.
    """
    if class_id is not None:
        from storage.models import CohortClass

        klass = await session.get(CohortClass, class_id)
        if klass is None:
            return []
        cohort_id = klass.cohort_id
    if cohort_id is None:
        raise ValueError("status_by_class needs cohort_id or class_id")
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    tz = cohort.timezone if cohort else "Europe/Oslo"
    classes = await q.list_classes(session=session, cohort_id=cohort_id)
    if class_id is not None:
        classes = [c for c in classes if c.id == class_id]
    assignments = await q.list_assignments(session=session, cohort_id=cohort_id)
    participants = [
        p
        for p in await q.list_participants(session=session, cohort_id=cohort_id)
        if p.status != EnrolmentStatus.WITHDRAWN
    ]
    progress: dict[tuple[int, int], AssignmentProgress] = {
        (p.assignment_id, p.person_id): p
        for p in await q.list_progress(
            session=session, assignment_ids=[a.id for a in assignments if a.id is not None]
        )
    }
    out: list[ClassStatus] = []
    groups: list[tuple[int | None, str, str, bool]] = [
        (c.id, c.key, c.name, bool(c.slack_channel_id)) for c in classes
    ]
    if class_id is None and any(p.class_id is None for p in participants):
        groups.append((None, "-", "—", True))
    for cid, key, name, has_channel in groups:
        members = [p for p in participants if p.class_id == cid]
        status = ClassStatus(cid, key, name, has_channel, tz)
        status.person_ids = [p.person_id for p in members]
        for a in assignments:
            assert a.id is not None
            row = AssignmentStatus(a.id, a.key, a.title, a.due_at, a.release_at <= now)
            for p in members:
                done = progress.get((a.id, p.person_id))
                if done is not None and done.done_at is not None:
                    row.done.append(p.name)
                elif a.due_at < now:
                    row.overdue.append(p.name)
                else:
                    row.open.append(p.name)
            status.assignments.append(row)
        out.append(status)
    return out


async def audit_status_read(
    session: AsyncSession,
    *,
    actor_id: int | None,
    actor: str,
    subject: str,
    action: str = "assignments.status_read",
    person_ids: Iterable[int | None] = (),
) -> None:
    """Record that staff read per-person assignment or line-manager status; `person_ids` are
    the people whose names were shown (for `cohortbot audit --person`)."""
    ids = sorted({i for i in person_ids if i is not None})
    await record_audit(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action=action,
        subject=subject,
        detail={"person_ids": ids, "shown": len(ids)},
    )
