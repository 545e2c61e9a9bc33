"""The combined message to a manager: who, what and by when, with an answer per participant."""

from __future__ import annotations

from datetime import datetime, timedelta

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
    names = _join_names([name for _, name in participants], locale)
    if variant in (KIND_REMINDER, KIND_RESEND):
        title = t("nudge.reminder.title", locale, title=nudge.title)
    elif variant == KIND_LATER:
        title = t("nudge.later.title", locale, title=nudge.title)
    else:
        title = esc(nudge.title)
    intro = t("nudge.greeting", locale, name=to.name) + " " + t("nudge.intro", locale, who=names)
    body = [intro]
    if nudge.text.strip():
        body.append(esc(nudge.text.strip()))
    # "By when" is always said: the plan's answer-by time, else when the reminder would go.
    respond_by = nudge.respond_by or working_days_after(
        max(send_at, nudge.send_at), settings.nudge_reminder_working_days, to.tz
    )
    # A reminder or "not yet" follow-up can go after the plan's deadline: asking for an answer
    # "by" a day already gone reads as a mistake, so say the deadline has passed.
    respond_key = "nudge.respond_by_passed" if respond_by <= send_at else "nudge.respond_by"
    body.append(t(respond_key, locale, when=format_when(respond_by, locale, to.tz)))
    if to.transport == "email":
        body.append(t("nudge.email.how", locale))
    sections = [Section(text="\n\n".join(body))]
    expires = max(send_at, nudge.send_at) + timedelta(days=settings.link_ttl_days)
    # The same for every participant of the message: worked out once (a wave renders
    # thousands of these).
    labels = [(answer.value, answer_label(answer.value, locale)) for answer in ANSWERS]
    email = to.transport == "email"
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
        context=t("nudge.context", locale),
        locale=locale,
        meta={"kind": variant, "nudge_id": nudge.id, "answers": [a for a, _ in participants]},
    )


def _join_names(names: list[str], locale: str) -> Markup:
    """People's names joined in the bot's words: "A, B og C" (each name marked)."""
    marked = [esc(n) for n in names]
    if len(marked) <= 1:
        return Markup("".join(marked))
    word = " og " if locale != "en" else " and "
    return Markup(", ".join(marked[:-1]) + word + marked[-1])
