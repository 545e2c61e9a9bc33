"""Whole staff lists, a page at a time: nobody is dropped from a view that cannot show everyone.

Every staff view that has to stop (a digest in one Slack message, a Home section, a command's
reply) says "and N more" and offers the whole list here: the same items, page after page, in
neutral form (text plus at most one button each), so the Slack side renders a modal that pages
and another platform what suits it. A list is named by `kind` and `arg`:

- `risk`, week ("2026-W10", "" for the latest): every case of the week with its case number,
  open ones first with the "followed up" button, then who followed up which;
- `managers`, cohort id: every open line-manager case by state (escalated, overdue, pending,
  planned), with delivery failures said as such;
- `assignments`, cohort id or "class:ID": per class and assignment, done, open and overdue;
- `failures`: every failed delivery, newest first, with its reason.

Reading a page that names people is audited (the list, the page and how many were shown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import esc, format_when, normalise_locale, t
from bot.notifier import Button
from bot.settings import Settings
from storage.queries import deliveries as dq
from storage.queries import risk as riskq
from storage.queries.people import record_audit

PAGE_SIZE = 40  # one block each in a 100-block modal, with room for the header and paging
KINDS = ("risk", "managers", "assignments", "failures")
OPEN_ACTION = "staff_list.open"
PAGE_ACTION = "staff_list.page"


class UnknownList(LookupError):
    """No such list (a bad kind or argument)."""


@dataclass(frozen=True)
class ListItem:
    """One line of a staff list: neutral text (people's words marked) and at most one button."""

    NEUTRAL_TEXT: ClassVar[tuple[str, ...]] = ("text",)

    text: str
    button: Button | None = None
    person_ids: tuple[int, ...] = ()  # the people the line names (for the audit entry)


@dataclass(frozen=True)
class ListPage:
    """One page of a whole list: `page` counts from 0; `title` and `summary` are neutral text."""

    NEUTRAL_TEXT: ClassVar[tuple[str, ...]] = ("title", "summary")

    kind: str
    arg: str
    title: str
    summary: str
    items: list[ListItem] = field(default_factory=list)
    page: int = 0
    pages: int = 1
    total: int = 0

    @property
    def first(self) -> int:
        """The 1-based position of this page's first item (0 when the list is empty)."""
        return self.page * PAGE_SIZE + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.page * PAGE_SIZE + len(self.items)


def list_ref(kind: str, arg: str = "", page: int = 0) -> str:
    """The value a button carries to open or page a list: "kind|arg|page"."""
    return f"{kind}|{arg}|{page}"


def parse_ref(value: str) -> tuple[str, str, int]:
    """Read `list_ref`'s value; raise UnknownList when it is not one."""
    kind, _, rest = (value or "").partition("|")
    arg, _, page = rest.rpartition("|")
    if kind not in KINDS or not page.isdigit():
        raise UnknownList(value)
    return kind, arg, int(page)


def open_button(kind: str, arg: str, total: int, locale: str) -> Button:
    """The "Show all N" button that opens a whole list."""
    label = t("lists.show_all", locale, n=total)
    return Button(action_id=OPEN_ACTION, label=label, value=list_ref(kind, arg))


def more_text(shown: int, total: int, locale: str) -> str:
    """ "Showing 23 of 39 – 16 more in the whole list." (nothing when all are shown)."""
    if total <= shown:
        return ""
    return t("lists.more", locale, shown=shown, total=total, n=total - shown)


def _page(items: list[ListItem], page: int) -> tuple[list[ListItem], int, int]:
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(0, page), pages - 1)
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page, pages


# --- the lists -----------------------------------------------------------------------------


async def _risk_items(
    session: AsyncSession, week: str, locale: str, tz: str
) -> tuple[str, str, list[ListItem]]:
    from bot.risk import FOLLOW_UP_ACTION, reason_text, week_label

    if not week:
        week = await riskq.latest_case_week(session=session) or ""
    rows = await riskq.case_rows(session=session, week=week) if week else []
    items = []
    done = 0
    for r in rows:
        where = esc(r.cohort_name) + (f", {esc(r.class_name)}" if r.class_name else "")
        reasons = "; ".join(reason_text(x, locale) for x in (r.reasons or []))
        head = t("lists.risk.item", locale, case=r.id, name=r.name) + f" ({where})"
        if r.followed_up_at is not None:
            done += 1
            by = r.followed_up_by or "?"
            when = format_when(r.followed_up_at, locale, tz)
            note = t("lists.risk.followed_up_by", locale, name=by, when=when)
            items.append(ListItem(f"{head}\n{reasons}\n{note}", person_ids=(r.person_id,)))
            continue
        items.append(
            ListItem(
                f"{head}\n{reasons}",
                Button(
                    action_id=f"{FOLLOW_UP_ACTION}.{r.id}",
                    label=t("risk.digest.followed_up", locale),
                    value=str(r.id),
                ),
                person_ids=(r.person_id,),
            )
        )
    title = t("lists.risk.title", locale)
    summary = (
        t(
            "lists.risk.summary",
            locale,
            week=week_label(week),
            total=len(rows),
            open=len(rows) - done,
            done=done,
        )
        if week
        else t("home.risk.none", locale)
    )
    return title, summary, items


def manager_case_text(case: object, locale: str, tz: str) -> str:
    """One manager case in words: who, for whom, which nudge, its state and the delivery."""
    from bot.line_managers import ManagerCase

    assert isinstance(case, ManagerCase)
    head = t(
        "lists.managers.item",
        locale,
        manager=case.manager_name,
        contact=case.manager_contact,
        participant=case.participant_name,
        title=case.nudge_title,
    )
    state = t(f"lists.managers.state.{case.state}", locale)
    if case.state == "planned":
        detail = t("lists.managers.goes", locale, when=format_when(case.send_at, locale, tz))
    elif case.due_at is not None and case.state in ("pending", "overdue"):
        detail = t("lists.managers.due", locale, when=format_when(case.due_at, locale, tz))
    elif case.escalated_at is not None:
        detail = t(
            "lists.managers.escalated", locale, when=format_when(case.escalated_at, locale, tz)
        )
    else:
        detail = ""
    lines = [head, f"_{state}_" + (f" – {detail}" if detail else "")]
    if case.answer == "later":
        lines.append(t("lists.managers.said_later", locale))
    if case.delivery == "failed":
        lines.append(
            t("lists.managers.failed", locale, transport=case.transport or "?", error=case.error)
        )
    elif case.delivery == "held":
        lines.append(t("lists.managers.held", locale, transport=case.transport or "?"))
    return "\n".join(lines)


async def _manager_items(
    session: AsyncSession, arg: str, locale: str, settings: Settings, now: datetime
) -> tuple[str, str, list[ListItem]]:
    from bot.line_managers import FOLLOWUP_STATES, manager_followup

    if not arg.isdigit():
        raise UnknownList(arg)
    cases = await manager_followup(session, int(arg), now=now, settings=settings)
    items = []
    for c in cases:
        button = None
        if c.state == "escalated":
            button = Button(
                action_id="nudge_resend",
                label=t("nudge.staff.resend", locale),
                value=str(c.nudge_answer_id),
            )
        shown = tuple(i for i in (c.manager_id, c.participant_id) if i is not None)
        items.append(ListItem(manager_case_text(c, locale, settings.timezone), button, shown))
    counts = {s: sum(1 for c in cases if c.state == s) for s in FOLLOWUP_STATES}
    summary = t("lists.managers.summary", locale, **counts)
    return t("lists.managers.title", locale), summary, items


async def _assignment_items(
    session: AsyncSession, arg: str, locale: str, now: datetime
) -> tuple[str, str, list[ListItem]]:
    from bot.assignments import status_by_class

    if arg.startswith("class:") and arg[6:].isdigit():
        statuses = await status_by_class(session, class_id=int(arg[6:]), now=now)
    elif arg.isdigit():
        statuses = await status_by_class(session, cohort_id=int(arg), now=now)
    else:
        raise UnknownList(arg)
    items = []
    for status in statuses:
        for row in status.assignments:
            line = t(
                "lists.assignments.item",
                locale,
                klass=status.class_name,
                title=row.title,
                when=format_when(row.due_at, locale, status.tz),
                done=len(row.done),
                open=len(row.open),
                overdue=len(row.overdue),
            )
            if not row.released:
                line += f"\n_{t('assignment.status.not_released', locale)}_"
            items.append(ListItem(line))
        if not status.assignments:
            items.append(
                ListItem(f"*{esc(status.class_name)}*: {t('assignment.status.none', locale)}")
            )
    summary = t("lists.assignments.summary", locale, classes=len(statuses), rows=len(items))
    return t("lists.assignments.title", locale), summary, items


async def _failure_items(
    session: AsyncSession, locale: str, tz: str
) -> tuple[str, str, list[ListItem]]:
    rows = await dq.list_failed_deliveries(session=session, limit=None)
    items = [
        ListItem(
            t(
                "lists.failures.item",
                locale,
                id=r.id,
                who=r.person_name or r.target,
                kind=r.kind,
                transport=r.transport,
                error=r.error or "?",
                when=format_when(r.updated_at, locale, tz),
            ),
            person_ids=(r.person_id,) if r.person_id is not None else (),
        )
        for r in rows
    ]
    summary = t("lists.failures.summary", locale, n=len(rows))
    return t("lists.failures.title", locale), summary, items


async def read_page(
    session: AsyncSession,
    *,
    kind: str,
    arg: str,
    page: int,
    locale: str,
    settings: Settings,
    now: datetime,
    staff_id: int | None,
) -> ListPage:
    """One page of a whole staff list; audited when it names anyone. Call in a transaction."""
    loc = normalise_locale(locale)
    if kind == "risk":
        title, summary, items = await _risk_items(session, arg, loc, settings.timezone)
    elif kind == "managers":
        title, summary, items = await _manager_items(session, arg, loc, settings, now)
    elif kind == "assignments":
        title, summary, items = await _assignment_items(session, arg, loc, now)
    elif kind == "failures":
        title, summary, items = await _failure_items(session, loc, settings.timezone)
    else:
        raise UnknownList(kind)
    shown, page, pages = _page(items, page)
    if shown and kind != "assignments":  # counts only there; the others name people
        await record_audit(
            session=session,
            actor=f"person:{staff_id}" if staff_id is not None else "unknown",
            actor_id=staff_id,
            action="staff_list.read",
            subject=f"{kind}:{arg}" if arg else kind,
            detail={
                "page": page,
                "shown": len(shown),
                "total": len(items),
                # The people on this page (a page is bounded), for `cohortbot audit --person`.
                "person_ids": sorted({i for item in shown for i in item.person_ids}),
            },
        )
    return ListPage(kind, arg, title, summary, shown, page, pages, len(items))
