"""Evaluation pulses: create, invite, answer (idempotently), remind non-respondents once, close.

Anonymous pulses (the threat model is in docs/privacy.md)
----------------------------------------------------------
A click on an anonymous pulse writes one thing: the person's receipt in `pulse_receipt`, keyed by
`token = HMAC(COHORTBOT_SECRET_KEY, pulse, person)` and holding all their answers so far, padded
to one size per pulse and sealed with AES-GCM under a key derived from the secret key
(bot.sealed). Nothing that names the person changes: no participation flag, no reminder row.
The reminder pass decides at reminder time, from the receipts, who has not answered.

When the pulse closes (`release`), the receipts are opened, the answers are shuffled and written
to `pulse_answer` in one statement with no person, no token, no time and a random id, the class
only where the class's respondents are shown in the results; the number who answered per class
goes to `pulse_response_count`; the receipts are deleted. After the commit `scrub` checkpoints
and truncates SQLite's WAL (secure_delete zeroes the deleted bytes) or runs VACUUM FULL on
PostgreSQL. Results of an anonymous pulse exist only from then on: live results change once, at
close. Named pulses store the person on the answer at once, and say so to the person.
"""

from __future__ import annotations

from bot.pulses.answers import (
    AnswerOutcome,
    answer_label,
    closed_message,
    parse_answer_value,
    record_answer,
)
from bot.pulses.common import (
    ANSWER_ACTION,
    INVITE_KIND,
    KINDS,
    MAX_QUESTIONS,
    MAX_TEXT,
    REMINDER_KIND,
    TEXT_ACTION,
    PulseError,
    QuestionSpec,
    audience_kind,
    earlier_tokens,
    invite_key,
    reminder_key,
    reminder_time,
    respondent_token,
    source_of,
    valid_answer,
)
from bot.pulses.creating import (
    audience_options,
    create_pulse,
    default_window,
    describe,
    find_pulse,
    find_question,
    recent_pulses,
    validate_questions,
)
from bot.pulses.email import EmailPage, email_page, record_email_answers
from bot.pulses.lifecycle import (
    Release,
    TickResult,
    answered_people,
    close,
    invite,
    release,
    scrub,
    send_reminders,
    tick,
)
from bot.pulses.messages import EmailLink, build_pulse_message, question_buttons, question_hint

__all__ = [
    "ANSWER_ACTION",
    "INVITE_KIND",
    "KINDS",
    "MAX_QUESTIONS",
    "MAX_TEXT",
    "REMINDER_KIND",
    "TEXT_ACTION",
    "AnswerOutcome",
    "EmailLink",
    "EmailPage",
    "PulseError",
    "QuestionSpec",
    "Release",
    "TickResult",
    "answer_label",
    "answered_people",
    "audience_kind",
    "audience_options",
    "build_pulse_message",
    "close",
    "closed_message",
    "create_pulse",
    "default_window",
    "describe",
    "earlier_tokens",
    "email_page",
    "find_pulse",
    "find_question",
    "invite",
    "invite_key",
    "parse_answer_value",
    "question_buttons",
    "question_hint",
    "recent_pulses",
    "record_answer",
    "record_email_answers",
    "release",
    "reminder_key",
    "reminder_time",
    "respondent_token",
    "scrub",
    "send_reminders",
    "source_of",
    "tick",
    "valid_answer",
    "validate_questions",
]
