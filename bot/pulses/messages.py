"""The pulse's message: its questions as buttons, hints and links."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot import pulse_links
from bot.messages import esc, format_when, normalise_locale, t
from bot.notifier import Button, OutgoingMessage, Section
from bot.pulses.common import (
    ANSWER_ACTION,
    INVITE_KIND,
    REMINDER_KIND,
    TEXT_ACTION,
)
from storage.models import Pulse, PulseQuestion

# --- messages ------------------------------------------------------------------------------


def question_buttons(
    pulse_id: int, question: PulseQuestion, locale: str, *, link: EmailLink | None = None
) -> tuple[Button, ...]:
    """The one-click buttons for a question (the free-text one opens a modal).

    With `link` (an email), every button is also a link to the answer page with its value
    chosen: the page shows, only its form records (bot.pulse_links).
    """
    qid = question.id
    buttons = _question_buttons(pulse_id, question, locale)
    if link is None:
        return buttons
    out = []
    for b in buttons:
        value = None if b.action_id.startswith(TEXT_ACTION) else int(b.value.rsplit(":", 1)[1])
        url = pulse_links.placeholder(
            pulse_id=pulse_id,
            person_id=link.person_id,
            expires_at=link.expires_at,
            question_id=qid if value is not None else None,
            value=value,
        )
        out.append(replace(b, url=url))
    return tuple(out)


@dataclass(frozen=True)
class EmailLink:
    """Whose answer page an email's buttons open, and until when."""

    person_id: int
    expires_at: datetime


def _question_buttons(pulse_id: int, question: PulseQuestion, locale: str) -> tuple[Button, ...]:
    qid = question.id
    if question.kind == "scale5":
        values = [(str(v), str(v)) for v in range(1, 6)]
    elif question.kind == "nps":
        values = [(str(v), str(v)) for v in range(11)]
    elif question.kind == "choice":
        values = [(c, str(i)) for i, c in enumerate(question.choices)]
    else:
        return (
            Button(
                action_id=f"{TEXT_ACTION}.{qid}",
                label=t("pulse.text.button", locale),
                value=f"{pulse_id}:{qid}",
            ),
        )
    return tuple(
        Button(action_id=f"{ANSWER_ACTION}.{qid}.{v}", label=label, value=f"{pulse_id}:{qid}:{v}")
        for label, v in values
    )


def question_hint(question: PulseQuestion, locale: str) -> str:
    if question.kind == "scale5":
        return t("pulse.scale.hint", locale)
    if question.kind == "nps":
        return t("pulse.nps.hint", locale)
    return ""


def build_pulse_message(
    pulse: Pulse,
    questions: list[PulseQuestion],
    *,
    locale: str,
    reminder: bool = False,
    email_to: int | None = None,
) -> OutgoingMessage:
    """The DM that asks the questions, saying exactly what kind of pulse it is.

    `email_to` (a person id): the email version, whose buttons link to the answer page.
    """
    loc = normalise_locale(locale)
    closes = format_when(pulse.closes_at, loc)
    kind = t("pulse.kind.anonymous" if pulse.anonymous else "pulse.kind.named", loc)
    lead_key = "pulse.invite.lead"
    if reminder:
        lead_key = "pulse.reminder.lead_anonymous" if pulse.anonymous else "pulse.reminder.lead"
    lead = t(
        lead_key,
        loc,
        title=pulse.title,
        when=closes,
    )
    sections = [Section(text=f"{lead}\n{kind}")]
    link = None if email_to is None else EmailLink(email_to, pulse.closes_at)
    for question in questions:
        hint = question_hint(question, loc)
        text = f"*{question.position}. {esc(question.text)}*" + (f"\n_{hint}_" if hint else "")
        buttons = question_buttons(pulse.id or 0, question, loc, link=link)
        sections.append(Section(text=text, buttons=buttons))
    context = t("pulse.invite.context", loc, when=closes)
    if link is not None:
        context += "\n\n" + t("pulse.email.context", loc)
    return OutgoingMessage(
        text=lead,
        title=esc(pulse.title),
        subject=None if link is None else t("pulse.email.subject", loc, title=pulse.title),
        sections=tuple(sections),
        context=context,
        locale=loc,
        meta={"pulse_id": pulse.id, "kind": REMINDER_KIND if reminder else INVITE_KIND},
    )
