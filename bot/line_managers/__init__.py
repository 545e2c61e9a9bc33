"""Line-manager nudges: the combined messages, one-click answers, reminders and escalation.

A nudge is one wave from the plan. Each participant's manager gets one message per wave that
names every one of their participants in it, with an answer per participant ("Done", "Not yet
— remind me in a week", "Can't this time"): Slack buttons when the manager is on Slack, else an
email with one signed link per answer. Every answer is a `NudgeAnswer` row (one per nudge and
participant); answering is idempotent.

No answer after N working days (default 5, Norwegian holidays skipped) brings one reminder;
still none after N more brings the case to staff ("escalated"), who can resend or mark it
handled. Deliveries of one nudge share the source `nudge:{id}`.

The package by concern: `common` (kinds, outbox keys, working days, addressees), `compose` (the
combined message), `planning` (the waves), `answers` (answering and the link page), `followups`
(reminders and escalation), `staff` (silent managers, resend, handled, involvement) and `views`
(a manager's own overview, the staff follow-up). Everything is importable from here.
"""

from __future__ import annotations

from bot.line_managers.answers import (
    AnswerOutcome,
    AnswerPage,
    answer_deadline,
    answer_nudge,
    answer_page,
    answer_values,
    manager_locale,
    outcome_text,
)
from bot.line_managers.common import (
    ANSWERS,
    FINAL,
    KIND_CONFIRMED,
    KIND_LATER,
    KIND_NUDGE,
    KIND_REMINDER,
    KIND_RESEND,
    LATER_DELAY,
    Addressee,
    NotYourNudge,
    NudgeNotFound,
    addressee_for,
    answer_label,
    manager_key,
    source_for,
    working_days_after,
)
from bot.line_managers.compose import (
    nudge_message,
)
from bot.line_managers.followups import (
    FollowupStats,
    run_followups,
)
from bot.line_managers.planning import (
    plan_nudges,
)
from bot.line_managers.staff import (
    InvolvementOverview,
    SilentManager,
    involvement_overview,
    mark_handled,
    resend_nudge,
    silent_managers,
)
from bot.line_managers.views import (
    FOLLOWUP_STATES,
    ManagerCase,
    ManagerFollowup,
    ManagerOverview,
    followup_overview,
    manager_followup,
    manager_overview,
)

__all__ = [
    "ANSWERS",
    "FINAL",
    "FOLLOWUP_STATES",
    "KIND_CONFIRMED",
    "KIND_LATER",
    "KIND_NUDGE",
    "KIND_REMINDER",
    "KIND_RESEND",
    "LATER_DELAY",
    "Addressee",
    "AnswerOutcome",
    "AnswerPage",
    "FollowupStats",
    "InvolvementOverview",
    "ManagerCase",
    "ManagerFollowup",
    "ManagerOverview",
    "NotYourNudge",
    "NudgeNotFound",
    "SilentManager",
    "addressee_for",
    "answer_deadline",
    "answer_label",
    "answer_nudge",
    "answer_page",
    "answer_values",
    "followup_overview",
    "involvement_overview",
    "manager_followup",
    "manager_key",
    "manager_locale",
    "manager_overview",
    "mark_handled",
    "nudge_message",
    "outcome_text",
    "plan_nudges",
    "resend_nudge",
    "run_followups",
    "silent_managers",
    "source_for",
    "working_days_after",
]
