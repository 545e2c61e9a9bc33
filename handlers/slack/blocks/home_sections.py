"""Block Kit for App Home sections: next session, open pulses, cohorts at a glance, risk cases.

Pure functions over the values `bot.home` returns; each section stays within about 12 blocks so
that the whole Home tab keeps under Slack's 100.
"""

from __future__ import annotations

from typing import Any

from bot.home import Glance, NextSession, OpenPulse, OpenRiskCases, PulseRate
from bot.messages import esc, format_when, normalise_locale, t
from bot.risk import FOLLOW_UP_ACTION, reason_text, week_label
from bot.staff_lists import open_button
from handlers.slack.blocks.message import MAX_BUTTON_TEXT, build_button, clip
from handlers.slack.mrkdwn import rendered

Blocks = list[dict[str, Any]]
MAX_PULSES_SHOWN = 5
RISK_BLOCK_PREFIX = "home_risk:"
COHORT_STATUSES = ("planned", "active", "completed")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150)}}


def percent(rate: float | None, locale: str) -> str:
    """ "67 %" (Norwegian writes a space before the sign) or "67%"; "–" when nobody was asked."""
    if rate is None:
        return "–"
    value = round(100 * rate)
    return f"{value} %" if normalise_locale(locale) == "nb" else f"{value}%"


@rendered
def build_next_session(session: NextSession | None, *, locale: str) -> Blocks:
    """The participant's next session: title, when and where; nothing if none is planned."""
    if session is None:
        return []
    lines = [
        t(
            "home.session.item",
            locale,
            title=session.title,
            number=session.number,
            when=format_when(session.starts_at, locale, session.tz),
        )
    ]
    if session.location:
        lines.append(t("home.session.location", locale, location=session.location))
    return [
        _header(t("home.session.title", locale)),
        _section("\n".join(lines)),
        _context(t("home.session.cohort", locale, cohort=session.cohort_name)),
    ]


@rendered
def build_open_pulses(pulses: list[OpenPulse], *, locale: str, tz: str) -> Blocks:
    """Pulses waiting for the person's answer, each saying what kind it is; nothing if none."""
    if not pulses:
        return []
    blocks: Blocks = [_header(t("home.pulses.title", locale))]
    for pulse in pulses[:MAX_PULSES_SHOWN]:
        kind = t("home.pulses.anonymous" if pulse.anonymous else "home.pulses.named", locale)
        when = format_when(pulse.closes_at, locale, tz)
        blocks.append(
            _section(f"{t('home.pulses.item', locale, title=pulse.title, when=when)}\n_{kind}_")
        )
    note = t("home.pulses.where", locale)
    more = len(pulses) - MAX_PULSES_SHOWN
    if more > 0:
        note = f"{t('home.pulses.more', locale, n=more)} {note}"
    blocks.append(_context(note))
    return blocks


def _pulse_line(rate: PulseRate, *, locale: str, tz: str) -> str:
    when = format_when(rate.closes_at, locale, tz)
    if not rate.invited:
        return t("home.cohorts.pulse_not_sent", locale, title=rate.title, when=when)
    return t(
        "home.cohorts.pulse",
        locale,
        title=rate.title,
        answered=rate.answered,
        invited=rate.invited,
        rate=percent(rate.rate, locale),
        when=when,
    )


@rendered
def build_cohorts_glance(glance: Glance, *, locale: str, tz: str) -> Blocks:
    """Staff: per planned or active cohort, participants by status, next session, open pulses."""
    blocks: Blocks = [_header(t("home.cohorts.title", locale))]
    if not glance.cohorts and not glance.cohortless_pulses:
        blocks.append(_section(t("home.cohorts.none", locale)))
        return blocks
    for cohort in glance.cohorts:
        known = cohort.status in COHORT_STATUSES
        status = t(f"home.cohorts.status.{cohort.status}", locale) if known else cohort.status
        counts = t(
            "home.cohorts.counts",
            locale,
            active=cohort.count("active"),
            completed=cohort.count("completed"),
            withdrawn=cohort.count("withdrawn"),
        )
        if cohort.count("admitted"):
            counts += t("home.cohorts.admitted", locale, n=cohort.count("admitted"))
        lines = [t("home.cohorts.name", locale, name=cohort.name, status=status), counts]
        if cohort.next_session is not None:
            ns = cohort.next_session
            lines.append(
                t(
                    "home.cohorts.next_session",
                    locale,
                    title=ns.title,
                    when=format_when(ns.starts_at, locale, ns.tz),
                )
            )
        else:
            lines.append(t("home.cohorts.no_session", locale))
        if cohort.pulses:
            lines.append(t("home.cohorts.open_pulses", locale))
            lines += [_pulse_line(r, locale=locale, tz=cohort.tz) for r in cohort.pulses]
            if cohort.more_pulses:
                lines.append(t("home.pulses.more", locale, n=cohort.more_pulses))
        else:
            lines.append(t("home.cohorts.no_pulses", locale))
        blocks.append(_section("\n".join(lines)))
    if glance.cohortless_pulses:
        lines = [t("home.cohorts.alumni_pulses", locale)]
        lines += [_pulse_line(r, locale=locale, tz=tz) for r in glance.cohortless_pulses]
        blocks.append(_section("\n".join(lines)))
    note = t("home.cohorts.context", locale)
    if glance.more_cohorts > 0:
        note = f"{t('home.cohorts.more', locale, n=glance.more_cohorts)} {note}"
    blocks.append(_context(note))
    return blocks


@rendered
def build_risk_cases(cases: OpenRiskCases, *, locale: str) -> Blocks:
    """Staff: the latest week's open risk cases, each with the digest's "Followed up" button."""
    blocks: Blocks = [_header(t("home.risk.title", locale))]
    if not cases.cases:
        blocks.append(_section(t("home.risk.none", locale)))
        return blocks
    label = clip(t("risk.digest.followed_up", locale), MAX_BUTTON_TEXT)
    for case in cases.cases:
        where = esc(case.cohort_name) + (f", {esc(case.class_name)}" if case.class_name else "")
        reasons = "\n".join(f"• {reason_text(r, locale)}" for r in case.reasons)
        head = t("lists.risk.item", locale, case=case.case_id, name=case.name)
        block = _section(f"{head} ({where})\n{reasons}")
        block["block_id"] = f"{RISK_BLOCK_PREFIX}{case.case_id}"
        block["accessory"] = {
            "type": "button",
            "action_id": f"{FOLLOW_UP_ACTION}.{case.case_id}",
            "text": {"type": "plain_text", "text": label},
            "value": str(case.case_id),
        }
        blocks.append(block)
    parts = [t("home.risk.lead", locale, week=week_label(cases.week or ""), n=cases.total)]
    if cases.more:
        parts.append(t("home.risk.more", locale, n=cases.more))
    parts.append(t("home.risk.context", locale))
    blocks.append(_context(" ".join(parts)))
    if cases.more:
        button = open_button("risk", cases.week or "", cases.total, locale)
        blocks.append({"type": "actions", "elements": [build_button(button)]})
    return blocks
