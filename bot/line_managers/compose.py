"""The combined message to a manager: who, what and by when, with an answer per participant."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from bot.line_managers.common import (
    ANSWERS,
    KIND_LATER,
    KIND_NUDGE,
    KIND_REMINDER,
    KIND_RESEND,
    Addressee,
    answer_label,
    working_days_after,
)
from bot.links import make_link
from bot.messages import Markup, esc, format_when, t, t_fill
from bot.notifier import Button, OutgoingMessage, Section
from bot.settings import Settings
from storage.models import Nudge


def nudge_message(
    nudge: Nudge,
    *,
    to: Addressee,
    participants: list[tuple[int, str]],
    settings: Settings,
    send_at: datetime,
    variant: str = KIND_NUDGE,
) -> OutgoingMessage:
    """One combined message to a manager: who, what and by when, with an answer per participant.

    Args:
        participants: (nudge answer id, participant name) pairs.
        variant: nudge | nudge_reminder | nudge_later | nudge_resend; changes the title.
    """
    assert nudge.id is not None
    locale = to.locale
    email = to.transport == "email"
    title, plan_text, how, context, labels = _wave_texts(
        nudge.title, nudge.text, variant, locale, email
    )
    names = _join_names([name for _, name in participants], locale)
    intro = t("nudge.greeting", locale, name=to.name) + " " + t("nudge.intro", locale, who=names)
    body = [intro]
    if plan_text:
        body.append(plan_text)
    # "By when" is always said: the plan's answer-by time, else when the reminder would go.
    respond_by = nudge.respond_by or working_days_after(
        max(send_at, nudge.send_at), settings.nudge_reminder_working_days, to.tz
    )
    # A reminder or "not yet" follow-up can go after the plan's deadline: asking for an answer
    # "by" a day already gone reads as a mistake, so say the deadline has passed.
    body.append(_respond_by_line(respond_by, respond_by <= send_at, locale, to.tz))
    if how:
        body.append(how)
    sections = [Section(text="\n\n".join(body))]
    expires = max(send_at, nudge.send_at) + timedelta(days=settings.link_ttl_days)
    link_label = t_fill("nudge.link.label", locale)
    answer_for = t_fill("nudge.answer_for", locale)
    base_url = settings.base_url
    signing_key = settings.signing_key if email else b""  # only links need the key
    for answer_id, raw_name in participants:
        name = esc(raw_name)  # marked once, for each label and the heading
        buttons = []
        for value, answer_text in labels:
            if email:
                label = link_label(answer=answer_text, name=name)
                url = make_link(
                    base_url=base_url,
                    key=signing_key,
                    nudge_answer_id=answer_id,
                    answer=value,
                    expires_at=expires,
                )
            else:
                label, url = answer_text, None
            buttons.append(
                Button(
                    f"nudge_answer_{value}",
                    label[:75],
                    value=f"{answer_id}:{value}",
                    style="primary" if value == "done" else None,
                    url=url,
                )
            )
        heading = answer_for(name=name)
        if to.transport == "slack":
            heading = f"*{heading}*"  # Slack mrkdwn; email shows text as written
        sections.append(Section(text=heading, buttons=tuple(buttons)))
    return OutgoingMessage(
        text=f"{title} – {names}",
        title=title,
        subject=title,
        sections=tuple(sections),
        context=context,
        locale=locale,
        meta={"kind": variant, "nudge_id": nudge.id, "answers": [a for a, _ in participants]},
    )


@lru_cache(maxsize=512)
def _wave_texts(
    title: str, text: str, variant: str, locale: str, email: bool
) -> tuple[str, str | None, str | None, str, tuple[tuple[str, str], ...]]:
    """What every manager's message of a wave says alike, per language and transport: the
    title, the plan's text, the email how-to, the footer and the answer labels (a wave of
    thousands of managers renders them once)."""
    if variant in (KIND_REMINDER, KIND_RESEND):
        title_text = t("nudge.reminder.title", locale, title=title)
    elif variant == KIND_LATER:
        title_text = t("nudge.later.title", locale, title=title)
    else:
        title_text = esc(title)
    plan_text = esc(text.strip()) if text.strip() else None
    how = t("nudge.email.how", locale) if email else None
    labels = tuple((answer.value, answer_label(answer.value, locale)) for answer in ANSWERS)
    return title_text, plan_text, how, t("nudge.context", locale), labels


@lru_cache(maxsize=1024)
def _respond_by_line(respond_by: datetime, passed: bool, locale: str, tz: str | None) -> str:
    key = "nudge.respond_by_passed" if passed else "nudge.respond_by"
    return t(key, locale, when=format_when(respond_by, locale, tz))


def _join_names(names: list[str], locale: str) -> Markup:
    """People's names joined in the bot's words: "A, B og C" (each name marked)."""
    marked = [esc(n) for n in names]
    if len(marked) <= 1:
        return Markup("".join(marked))
    word = " og " if locale != "en" else " and "
    return Markup(", ".join(marked[:-1]) + word + marked[-1])
