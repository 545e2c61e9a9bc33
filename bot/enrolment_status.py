"""Record a participant's status, credits and exam result: the facts the report counts.

Completion, dropout and results come only from these records (by import, by staff in Slack or on
the command line), never from the calendar: a cohort whose end date has passed completes nobody.
A withdrawal is recorded with its date and a reason from a fixed list of categories
(`WITHDRAWAL_REASONS`, labels nb/en in bot.messages); free text is not accepted, so none can reach
a report.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import t
from bot.text import short
from storage.emails import canonical_email
from storage.models import EnrolmentStatus, ExamResult
from storage.queries.enrolments import list_person_enrolments
from storage.queries.people import get_person_by_email, record_audit, save_rows

STATUSES = tuple(s.value for s in EnrolmentStatus)
EXAM_RESULTS = tuple(r.value for r in ExamResult)
WITHDRAWAL_REASONS = (
    "workload",
    "employer",
    "job_change",
    "personal",
    "academic",
    "expectations",
    "other",
    "not_stated",
)
"""Why someone withdrew, as categories. "personal" covers health and family on purpose: the
report goes to the Directorate, and a finer health category would be health data."""

MAX_CREDITS = 60.0
STATUS_DATE_FIELD = {
    EnrolmentStatus.APPLICANT: "applied_on",
    EnrolmentStatus.ADMITTED: "admitted_on",
    EnrolmentStatus.ACTIVE: "started_on",
    EnrolmentStatus.COMPLETED: "completed_on",
    EnrolmentStatus.WITHDRAWN: "withdrawn_on",
    EnrolmentStatus.NOT_STARTED: "not_started_on",
}
STATUS_ALIASES = {
    "søker": "applicant",
    "tatt_opp": "admitted",
    "aktiv": "active",
    "fullført": "completed",
    "fullfort": "completed",
    "sluttet": "withdrawn",
    "trukket": "withdrawn",
    "did_not_start": "not_started",
    "ikke_startet": "not_started",
}
RESULT_ALIASES = {
    "bestått": "passed",
    "bestatt": "passed",
    "ikke_bestått": "failed",
    "strøk": "failed",
}


class StatusError(ValueError):
    """The request is not valid; nothing was changed. The message says why, for staff."""


def _norm(text: str) -> str:
    folded = unicodedata.normalize("NFC", text).strip().lower()
    return "_".join(folded.replace("-", " ").replace("/", " ").split())


def reason_label(code: str, locale: str) -> str:
    """The reason category's label in the locale."""
    return t(f"withdrawal_reason.{code}", locale)


def parse_reason(text: str) -> str:
    """A category code from its code or its nb/en label (case and spaces do not matter)."""
    wanted = _norm(text)
    for code in WITHDRAWAL_REASONS:
        names = {code, _norm(reason_label(code, "nb")), _norm(reason_label(code, "en"))}
        if wanted in names:
            return code
    raise StatusError(
        f"unknown withdrawal reason {text!r}: expected one of {', '.join(WITHDRAWAL_REASONS)}"
    )


def parse_status(text: str) -> str:
    wanted = _norm(text)
    wanted = STATUS_ALIASES.get(wanted, wanted)
    if wanted not in STATUSES:
        raise StatusError(f"unknown status {text!r}: expected one of {', '.join(STATUSES)}")
    return wanted


def parse_result(text: str) -> str:
    wanted = _norm(text)
    wanted = RESULT_ALIASES.get(wanted, wanted)
    if wanted not in EXAM_RESULTS:
        raise StatusError(
            f"unknown exam result {text!r}: expected one of {', '.join(EXAM_RESULTS)}"
        )
    return wanted


def parse_credits(text: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise StatusError(f"credits {text!r} is not a number from 0 to 60") from None
    if not 0 <= value <= MAX_CREDITS or value != value:
        raise StatusError(f"credits {text!r} is not a number from 0 to 60")
    return value


@dataclass(frozen=True)
class StatusChange:
    """What staff asked to record; None leaves a field as it is."""

    status: str | None = None
    on: date | None = None  # the day the status took effect (default: today)
    reason: str | None = None  # a WITHDRAWAL_REASONS code
    credits: float | None = None
    result: str | None = None
    result_on: date | None = None  # default: `on`, or today


def check_change(change: StatusChange, *, today: date) -> None:
    """Raise StatusError for a change that cannot be recorded as asked."""
    if change.status is None and change.credits is None and change.result is None:
        raise StatusError("nothing to record: give a status, credits or an exam result")
    if change.status is not None and change.status not in STATUSES:
        raise StatusError(f"unknown status {change.status!r}")
    if change.reason is not None and change.reason not in WITHDRAWAL_REASONS:
        raise StatusError(f"unknown withdrawal reason {change.reason!r}")
    if change.result is not None and change.result not in EXAM_RESULTS:
        raise StatusError(f"unknown exam result {change.result!r}")
    if change.reason is not None and change.status != EnrolmentStatus.WITHDRAWN:
        raise StatusError("a withdrawal reason goes with the status withdrawn")
    if change.status == EnrolmentStatus.WITHDRAWN and change.reason is None:
        raise StatusError("a withdrawal needs a reason category: " + ", ".join(WITHDRAWAL_REASONS))
    for label, day in (("date", change.on), ("result date", change.result_on)):
        if day is not None and day > today:
            raise StatusError(f"the {label} {day.isoformat()} is in the future")
    if change.credits is not None and not 0 <= change.credits <= MAX_CREDITS:
        raise StatusError("credits must be from 0 to 60")


def apply_change(enrolment: Any, change: StatusChange, *, today: date) -> list[str]:
    """Set the enrolment's fields from the change; return the names of the fields changed."""
    check_change(change, today=today)
    before = {
        f: getattr(enrolment, f)
        for f in (
            "status",
            *STATUS_DATE_FIELD.values(),
            "withdrawal_reason",
            "credits",
            "exam_result",
            "result_on",
        )
    }
    day = change.on or today
    if change.status is not None:
        status = EnrolmentStatus(change.status)
        if enrolment.status != status or change.on is not None:
            enrolment.status = status
            if status != EnrolmentStatus.ACTIVE or change.on is not None:
                # Without a day, a start is the cohort's own first day, not today.
                setattr(enrolment, STATUS_DATE_FIELD[status], day)
        if status == EnrolmentStatus.WITHDRAWN:
            enrolment.withdrawal_reason = change.reason
        else:
            # Back from a withdrawal recorded by mistake: no reason or date lingers.
            enrolment.withdrawal_reason = None
            enrolment.withdrawn_on = None
    if change.credits is not None:
        enrolment.credits = change.credits
    if change.result is not None:
        enrolment.exam_result = change.result
    if change.credits is not None or change.result is not None:
        enrolment.result_on = change.result_on or change.on or today
    return [f for f, v in before.items() if getattr(enrolment, f) != v]


async def record_status(
    session: AsyncSession,
    *,
    email: str,
    change: StatusChange,
    today: date,
    actor: str,
    actor_id: int | None = None,
    cohort_ref: str | None = None,
) -> tuple[str, list[str]]:
    """Record the change on the person's enrolment, audited; return (cohort key, fields changed).

    Raises StatusError (nothing changed) for an unknown person, an ambiguous or unknown cohort,
    or a change that does not hold together.
    """
    check_change(change, today=today)
    person = await get_person_by_email(session=session, email=email)
    if person is None or person.id is None:
        raise StatusError(f"no person with the email {short(canonical_email(email), 80)}")
    enrolments = await list_person_enrolments(session=session, person_id=person.id)
    if cohort_ref is not None:
        enrolments = [(e, c) for e, c in enrolments if cohort_ref in (c.key, str(c.id))]
    if not enrolments:
        where = f" in cohort {cohort_ref}" if cohort_ref else ""
        raise StatusError(f"{person.email} is not enrolled{where}")
    if len(enrolments) > 1:
        keys = ", ".join(c.key for _, c in enrolments)
        raise StatusError(f"{person.email} is enrolled in {keys}: say which with --cohort")
    enrolment, cohort = enrolments[0]
    changed = apply_change(enrolment, change, today=today)
    if changed:
        await save_rows(session=session, rows=[enrolment])
    await record_audit(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action="person.status",
        subject=f"person:{person.id}",
        detail={"cohort": cohort.key, "changed": changed},
    )
    return cohort.key, changed


async def replan_after_status(
    db: Any, settings: Any, *, cohort_key: str, changed: list[str], now: datetime
) -> int:
    """Re-plan the cohort at once after a status change (after its commit).

    A withdrawal's cancellations and a return's restored reminders then take effect now, not
    at the planner job's next run up to 10 minutes later — a reminder due in between would
    otherwise count as passed and not come back. Returns the rows written.
    """
    if "status" not in changed:
        return 0
    from bot.planner import replan_cohort
    from storage.queries.plan import get_cohort_by_key

    async with db.session() as session:
        cohort = await get_cohort_by_key(session=session, key=cohort_key)
    if cohort is None or cohort.id is None:
        return 0
    return await replan_cohort(db, cohort_id=cohort.id, settings=settings, now=now)


_KEYS = {
    "reason": "reason",
    "årsak": "reason",
    "arsak": "reason",
    "credits": "credits",
    "poeng": "credits",
    "studiepoeng": "credits",
    "result": "result",
    "resultat": "result",
    "cohort": "cohort",
    "kull": "cohort",
    "date": "date",
    "dato": "date",
    "result_date": "result_date",
}


def _email_word(word: str) -> str:
    """Slack sends typed addresses as <mailto:a@b.no|a@b.no>: keep the address."""
    if word.startswith("<mailto:") and word.endswith(">"):
        return word[len("<mailto:") : -1].split("|", 1)[0]
    return word


def parse_status_command(args: str) -> tuple[str, StatusChange, str | None]:
    """Parse `EMAIL [STATUS] [DATE] [reason=…] [credits=…] [result=…] [cohort=…]`.

    Raises StatusError (with what was wrong) for anything it cannot read.
    """
    words = args.split()
    if not words:
        raise StatusError("give the participant's email first")
    email = _email_word(words[0]).strip().lower()
    if "@" not in email:
        raise StatusError(f"{words[0]!r} is not an email address")
    values: dict[str, str] = {}
    status: str | None = None
    reason_words: list[str] = []
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if eq:
            name = _KEYS.get(_norm(key))
            if name is None:
                raise StatusError(f"unknown field {key!r}")
            values[name] = value
            if name == "reason":
                reason_words = [value]
        elif reason_words:
            reason_words.append(word)  # a label with spaces: reason=Ny jobb …
        elif _looks_like_date(word):
            values["date"] = word
        elif status is None:
            status = parse_status(word)
        else:
            raise StatusError(f"did not understand {word!r}")
    if reason_words:
        values["reason"] = " ".join(reason_words)
    change = StatusChange(
        status=status,
        on=_day(values.get("date")),
        reason=parse_reason(values["reason"]) if "reason" in values else None,
        credits=parse_credits(values["credits"]) if "credits" in values else None,
        result=parse_result(values["result"]) if "result" in values else None,
        result_on=_day(values.get("result_date")),
    )
    return email, change, values.get("cohort")


def _looks_like_date(word: str) -> bool:
    return len(word) == 10 and word[4] == "-" and word[7] == "-"


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise StatusError(f"{text!r} is not a date like 2026-03-31") from None
