"""What the bot answers in a Teams chat, as neutral messages (rendered by `cards.build_card`).

Pure functions from the domain's plain values: the same data the Slack builders take.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.assignments import ClassStatus, OpenAssignment
from bot.delivery import DeliveryOverview
from bot.evaluator.results import EvaluatorResults, question_summary
from bot.home import NextSession, OpenPulse
from bot.identities import RosterMatch
from bot.involvement import figure_line
from bot.line_managers import InvolvementOverview
from bot.messages import esc, format_when, t
from bot.notifier import OutgoingMessage, Section
from bot.people import Actor
from bot.reach import Unreachable, unreachable_line
from bot.results import PulseResults, results_text

MAX_ITEMS = 20


def _cut(lines: list[str], locale: str, limit: int = MAX_ITEMS) -> list[str]:
    """At most `limit` lines, then "… and N more" (never a silent cut)."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], t("teams.more", locale, n=len(lines) - limit)]


def _names(names: Sequence[str], locale: str, limit: int = MAX_ITEMS) -> str:
    """People's names (their own words, marked as such), cut with "… and N more"."""
    shown = ", ".join(esc(n) for n in names[:limit]) if names else "—"
    if len(names) > limit:
        shown += " " + t("teams.more", locale, n=len(names) - limit)
    return shown


def help_message(actor: Actor) -> OutgoingMessage:
    locale = actor.locale
    sections = [Section(text=t("teams.help.everyone", locale))]
    if "line_manager" in actor.roles:
        sections.append(Section(text=t("teams.help.line_manager", locale)))
    if actor.is_staff:
        sections.append(Section(text=t("teams.help.staff", locale)))
    elif actor.is_evaluator:
        sections.append(Section(text=t("teams.help.evaluator", locale)))
    return OutgoingMessage(
        text=t("teams.help.title", locale),
        title=t("teams.help.title", locale),
        sections=tuple(sections),
        locale=locale,
    )


def welcome_message(name: str, locale: str) -> OutgoingMessage:
    return OutgoingMessage(
        text=t("teams.welcome.title", locale),
        title=t("teams.welcome.title", locale),
        sections=(Section(text=t("teams.welcome.text", locale, name=name)),),
        locale=locale,
    )


def text_message(text: str, locale: str, title: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(text=text, title=title, locale=locale)


def _open_line(item: OpenAssignment, locale: str) -> str:
    line = t(
        "assignment.open.item",
        locale,
        title=item.assignment.title,
        due=format_when(item.assignment.due_at, locale, item.tz),
    )
    return line + (f" – {t('assignment.open.overdue', locale)}" if item.overdue else "")


def open_assignments_message(items: list[OpenAssignment], locale: str) -> OutgoingMessage:
    title = t("assignment.open.title", locale)
    if not items:
        return OutgoingMessage(text=t("assignment.open.none", locale), title=title, locale=locale)
    lines = [_open_line(item, locale) for item in items]
    return OutgoingMessage(
        text=title,
        title=title,
        sections=(Section(text="\n".join(_cut(lines, locale))),),
        locale=locale,
    )


def whats_next_message(
    session: NextSession | None,
    items: list[OpenAssignment],
    pulses: list[OpenPulse],
    locale: str,
    tz: str,
) -> OutgoingMessage:
    """The Home tab's content in one card: next session, open assignments, open pulses."""
    title = t("teams.whats_next.title", locale)
    if session is not None:
        head = t(
            "teams.whats_next.session",
            locale,
            title=session.title,
            when=format_when(session.starts_at, locale, session.tz),
        )
        if session.location:
            head += "\n" + esc(session.location)
    else:
        head = t("teams.whats_next.no_session", locale)
    sections = [Section(text=head)]
    lines = [_open_line(i, locale) for i in items]
    lines += [
        t(
            "teams.whats_next.pulse",
            locale,
            title=p.title,
            when=format_when(p.closes_at, locale, tz),
        )
        for p in pulses
    ]
    sections.append(
        Section(text="\n".join(_cut(lines, locale)) or t("teams.whats_next.nothing_open", locale))
    )
    return OutgoingMessage(text=title, title=title, sections=tuple(sections), locale=locale)


def status_message(
    statuses: list[ClassStatus], *, locale: str, with_names: bool, classes: list[str]
) -> OutgoingMessage:
    """Staff: per class and assignment, done / open / overdue (names when a class is named)."""
    sections: list[Section] = []
    for status in statuses:
        lines = []
        for a in status.assignments:
            if not a.released:
                lines.append(t("assignment.status.not_released", locale, title=a.title))
                continue
            lines.append(
                t(
                    "assignment.status.counts",
                    locale,
                    title=a.title,
                    done=len(a.done),
                    open=len(a.open),
                    overdue=len(a.overdue),
                )
            )
            if with_names and a.overdue:
                lines.append(
                    t("assignment.status.who_overdue", locale, names=_names(a.overdue, locale))
                )
            if with_names and a.open:
                lines.append(t("assignment.status.who_open", locale, names=_names(a.open, locale)))
        sections.append(
            Section(
                text=f"*{esc(status.class_name)}*\n"
                + ("\n".join(_cut(lines, locale, 40)) or t("assignment.status.none", locale))
            )
        )
    if not with_names:
        sections.append(
            Section(
                text=t("assignment.status.pick_class", locale, classes=", ".join(classes) or "—")
            )
        )
    title = t("assignment.status.title", locale, name="—")
    return OutgoingMessage(
        text=title, title=title, sections=tuple(_cut_sections(sections, locale)), locale=locale
    )


def _cut_sections(sections: list[Section], locale: str, limit: int = 30) -> list[Section]:
    if len(sections) <= limit:
        return sections
    return [*sections[:limit], Section(text=t("teams.more", locale, n=len(sections) - limit))]


def managers_message(
    overview: InvolvementOverview | None, *, locale: str, tz: str
) -> OutgoingMessage:
    title = t("nudge.staff.title", locale)
    if overview is None:
        return OutgoingMessage(text=t("nudge.figures.none", locale), title=title, locale=locale)
    lines = [figure_line(f, locale=locale, tz=tz) for f in overview.figures]
    sections = [
        Section(
            text=t("nudge.figures.title", locale, name=overview.cohort_name)
            + "\n"
            + ("\n".join(_cut(lines, locale)) or t("nudge.figures.none", locale))
        )
    ]
    never = t("nudge.never", locale)
    silent = [
        t(
            "nudge.staff.item",
            locale,
            manager=s.manager_name,
            contact=s.manager_contact,
            title=s.nudge_title,
            participant=s.participant_name,
            sent=format_when(s.sent_at, locale, tz) if s.sent_at else never,
            reminded=format_when(s.reminded_at, locale, tz) if s.reminded_at else never,
        )
        for s in overview.silent
    ]
    sections.append(
        Section(text="\n".join(_cut(silent, locale)) if silent else t("nudge.staff.none", locale))
    )
    return OutgoingMessage(text=title, title=title, sections=tuple(sections), locale=locale)


def unreachable_section(shown: Sequence[Unreachable], total: int, locale: str) -> Section:
    """Who nothing reaches, and why: the people shown, "… and N more", where to see all."""
    head = "*" + t("reach.unreachable.title", locale, count=total) + "*"
    if not total:
        return Section(text=head + "\n" + t("reach.unreachable.none", locale))
    lines = [head, *("• " + unreachable_line(u, locale) for u in shown)]
    if total > len(shown):
        lines.append(t("reach.unreachable.more", locale, count=total - len(shown)))
    lines.append(t("reach.unreachable.hint", locale))
    return Section(text="\n".join(lines))


def deliveries_message(
    overview: DeliveryOverview,
    *,
    locale: str,
    unreachable: Sequence[Unreachable] = (),
    total: int = 0,
) -> OutgoingMessage:
    counts = {s: overview.counts.get(s, 0) for s in ("pending", "sent", "failed", "cancelled")}
    sections = [Section(text=t("deliveries.counts", locale, **counts))]
    for pause in overview.pauses:
        sections.append(
            Section(
                text=t("deliveries.paused", locale, transport=pause.transport, reason=pause.reason)
            )
        )
    if overview.possibly_duplicated:
        sections.append(
            Section(text=t("deliveries.uncertain", locale, count=overview.possibly_duplicated))
        )
    if overview.failures:
        lines = [
            t(
                "deliveries.failure",
                locale,
                who=row.person_name or row.target,
                kind=row.kind,
                transport=row.transport,
                error=row.error or "?",
                attempts=row.attempts,
            )
            for row in overview.failures
        ]
        failed_total = overview.counts.get("failed", 0)
        shown = _cut(lines, locale, 10)
        if len(lines) <= 10 and failed_total > len(lines):
            shown.append(t("teams.more", locale, n=failed_total - len(lines)))
        sections.append(Section(text=t("deliveries.failures", locale) + "\n" + "\n".join(shown)))
    else:
        sections.append(Section(text=t("deliveries.no_failures", locale)))
    sections.append(unreachable_section(unreachable, total, locale))
    context = (
        t("deliveries.next_due", locale, when=format_when(overview.next_due_at, locale))
        if overview.next_due_at is not None
        else None
    )
    title = t("deliveries.title", locale)
    return OutgoingMessage(
        text=title, title=title, sections=tuple(sections), context=context, locale=locale
    )


def results_message(results: PulseResults, *, locale: str) -> OutgoingMessage:
    """The suppressed results as text (the same figures `report pulse` prints)."""
    text = results_text(results, locale=locale)
    head, _, rest = text.partition("\n")
    return OutgoingMessage(text=head, title=head, sections=(Section(text=rest),), locale=locale)


def roster_message(
    match: RosterMatch, *, members: int, locale: str, staff: bool
) -> OutgoingMessage:
    """What a team install found: how many members are in the programme, and who is not.

    Team members not in the programme are named (the team sees them anyway); programme people
    missing from the team only for staff.
    """
    sections = [
        Section(text=t("teams.roster.summary", locale, matched=len(match.matched), members=members))
    ]
    if match.unknown_members:
        names = [m.name or m.email or m.user_id for m in match.unknown_members]
        sections.append(
            Section(text=t("teams.roster.unknown", locale, names=_names(names, locale)))
        )
    if staff and match.not_found:
        names = [p.name for p in match.not_found]
        sections.append(
            Section(text=t("teams.roster.not_found", locale, names=_names(names, locale)))
        )
    title = t("teams.roster.title", locale)
    return OutgoingMessage(text=title, title=title, sections=tuple(sections), locale=locale)


MAX_EVALUATOR_PULSES = 6  # as Slack's; the full tables are on the evaluator page
MAX_EVALUATOR_QUESTIONS = 6


def evaluator_results_message(results: EvaluatorResults, *, locale: str) -> OutgoingMessage:
    """The closed pulses' aggregates for the Directorate: answered of invited, and per question
    the whole cohort's figures (hidden ones as *) — what Slack's `/cohort results` shows them."""
    title = t("evaluator.results.title", locale)
    intro = t(
        "evaluator.page.intro",
        locale,
        since=results.since.date().isoformat(),
        k=results.min_group_size,
    )
    sections = [Section(text=intro)]
    if not results.pulses:
        sections.append(Section(text=t("evaluator.page.none", locale)))
    for pulse in results.pulses[:MAX_EVALUATOR_PULSES]:
        _, invited, answered = pulse.participation[-1] if pulse.participation else ("", "0", "0")
        head = t(
            "evaluator.results.pulse",
            locale,
            title=pulse.title,
            cohort=pulse.cohort,
            answered=answered,
            invited=invited,
        )
        lines = ["*" + head + "*"]
        for qn in pulse.questions[:MAX_EVALUATOR_QUESTIONS]:
            line = question_summary(qn, locale)
            lines.append(line)
        sections.append(Section(text="\n".join(lines)))
    if len(results.pulses) > MAX_EVALUATOR_PULSES:
        more = len(results.pulses) - MAX_EVALUATOR_PULSES
        sections.append(Section(text=t("teams.more", locale, n=more)))
    return OutgoingMessage(
        text=title,
        title=title,
        sections=tuple(sections),
        context=t("evaluator.results.link", locale),
        locale=locale,
    )
