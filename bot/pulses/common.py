"""What every part of pulses shares: kinds and limits, keys, tokens and errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import sealed
from bot.settings import Settings
from storage.models import Pulse, PulseQuestion

KINDS = ("scale5", "nps", "choice", "text")
MAX_QUESTIONS = 3
MAX_TEXT = 3000
INVITE_KIND = "pulse_invite"
REMINDER_KIND = "pulse_reminder"
ANSWER_ACTION = "pulse.answer"  # + ".{question_id}.{value}": Slack wants unique action ids
TEXT_ACTION = "pulse.text"  # + ".{question_id}": opens the free-text modal


class PulseError(ValueError):
    """A pulse definition or answer that cannot be accepted; the message is user-facing."""


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    text: str
    choices: tuple[str, ...] = ()


def respondent_token(settings: Settings, pulse_id: int, person_id: int) -> str:
    """Return HMAC-SHA256(secret, pulse, person) as hex: stable per person and pulse, unguessable."""
    return sealed.respondent_token(settings.signing_key, pulse_id, person_id)


def earlier_tokens(settings: Settings, pulse_id: int, person_id: int) -> list[tuple[str, bytes]]:
    """(token, key) under COHORTBOT_SECRET_KEY_PREVIOUS: receipts and named answers written
    before a key rotation are still found and opened with the key they were written under."""
    return [
        (sealed.respondent_token(k, pulse_id, person_id), k) for k in settings.verification_keys[1:]
    ]


def source_of(pulse_id: int) -> str:
    return f"pulse:{pulse_id}"


def invite_key(pulse_id: int, person_id: int) -> str:
    return f"pulse:{pulse_id}:invite:person:{person_id}"


def reminder_key(pulse_id: int, person_id: int) -> str:
    return f"pulse:{pulse_id}:reminder:person:{person_id}"


def reminder_time(pulse: Pulse) -> datetime:
    """When the one reminder goes: the pulse's own time, or halfway to the deadline."""
    return pulse.reminder_at or pulse.opens_at + (pulse.closes_at - pulse.opens_at) / 2


def audience_kind(pulse: Pulse) -> str:
    """The delivery audience (quiet hours) for the pulse's recipients."""
    return "alumni" if pulse.audience == "alumni" else "participant"


def valid_answer(question: PulseQuestion, value: int | None, text: str | None) -> bool:
    if question.kind == "text":
        return value is None and text is not None and 0 < len(text.strip()) <= MAX_TEXT
    if value is None or text is not None:
        return False
    if question.kind == "scale5":
        return 1 <= value <= 5
    if question.kind == "nps":
        return 0 <= value <= 10
    return 0 <= value < len(question.choices)
