"""The tables for the whole domain. Timestamps are UTC (`UTCDateTime`); foreign keys are enforced.

Naming follows the programme's own words: programme, cohort, class, session, assignment,
line manager, pulse, network, alumni, delivery. `ProgrammeSession` is a "samling" (the in-person
session), named so to keep it apart from a database session.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import JSON, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def fk(
    target: str,
    *,
    nullable: bool = False,
    ondelete: Literal["CASCADE", "SET NULL", "RESTRICT"] = "CASCADE",
) -> Any:
    """A foreign key column; CASCADE for owned rows, SET NULL for optional references."""
    return Field(default=None, foreign_key=target, nullable=nullable, index=True, ondelete=ondelete)


def ts(*, nullable: bool = True, default_now: bool = False, index: bool = False) -> Any:
    """A UTC timestamp column."""
    if default_now:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_type=JSON, nullable=False)


def text_field(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=Text, nullable=nullable)


# --- programme structure -------------------------------------------------------------------


class CohortStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"


class Programme(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = ts(default_now=True)


class Cohort(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = fk("programme.id")
    key: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    timezone: str = Field(default="Europe/Oslo", max_length=64)
    start_date: date | None = None
    end_date: date | None = None
    status: str = Field(default=CohortStatus.PLANNED, max_length=16)
    completed_at: datetime | None = ts()
    slack_channel_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = ts(default_now=True)


class CohortClass(SQLModel, table=True):
    """A class ("klasse") of a cohort, in one city."""

    __tablename__ = "cohort_class"
    __table_args__ = (UniqueConstraint("cohort_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = fk("cohort.id")
    key: str = Field(max_length=64)
    name: str = Field(max_length=200)
    city: str = Field(max_length=100)
    slack_channel_id: str | None = Field(default=None, max_length=32)
    slack_channel_name: str | None = Field(default=None, max_length=80)


class ProgrammeSession(SQLModel, table=True):
    """An in-person session ("samling") of a cohort."""

    __tablename__ = "programme_session"
    __table_args__ = (UniqueConstraint("cohort_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = fk("cohort.id")
    key: str = Field(max_length=64)
    number: int
    title: str = Field(max_length=200)
    starts_at: datetime = ts(nullable=False)
    ends_at: datetime = ts(nullable=False)
    location: str | None = Field(default=None, max_length=200)
    line_manager_involved: bool = False


# --- people --------------------------------------------------------------------------------


# An erased person's stub (kept for a report not yet delivered) has an email ending in this:
# a reserved domain that can never receive mail.
ERASED_EMAIL_SUFFIX = "@erased.invalid"


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320)  # stored lower-case
    name: str = Field(max_length=200)
    locale: str = Field(default="nb", max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    municipality: str | None = Field(default=None, max_length=100)
    county: str | None = Field(default=None, max_length=100)
    service_area: str | None = Field(default=None, max_length=100)
    workplace: str | None = Field(default=None, max_length=200)
    position: str | None = Field(default=None, max_length=200)
    gender: str | None = Field(default=None, max_length=32)
    education: str | None = Field(default=None, max_length=200)
    is_staff: bool = False
    # Directory profile (shown only when findable).
    findable: bool = False
    project_title: str | None = Field(default=None, max_length=300)
    topics: str | None = Field(default=None, max_length=500)
    bio: str | None = text_field()
    created_at: datetime = ts(default_now=True)
    updated_at: datetime = ts(default_now=True)
    # Set when the person asked for erasure but a legal basis keeps part of their record (e.g. a
    # result for a report not yet delivered): the row is then a stub without name or contact.
    erased_at: datetime | None = ts()
    # When the privacy notice (art. 13) was first sent to them; None: not told yet.
    privacy_notice_at: datetime | None = ts()


class PersonIdentity(SQLModel, table=True):
    """How one person is reached on one chat platform ("slack" or "teams").

    One row per person and platform, and a platform's user id belongs to one person. For
    Slack: the user id ("U…") and whether the account is active (`active`, from the directory);
    the id never moves to another person (`save_identity(take_over=False)`). For Teams: the
    user's id in the bot's channel (`user_id`, "29:…"), their Entra (AAD) object id and
    tenant, and the conversation reference of their 1:1 chat with the bot (`service_url` +
    `conversation_id`, the rest in `reference`), stored when they install the app or write to
    it; `active` is False once they removed the app. Export and erasure treat the rows as the
    `chat_identities` data class (docs/delivery.md, "Slack ids in `person_identity`").
    """

    __tablename__ = "person_identity"
    __table_args__ = (
        UniqueConstraint("platform", "user_id"),
        UniqueConstraint("person_id", "platform"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = fk("person.id")
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=200)
    aad_object_id: str | None = Field(default=None, max_length=64, index=True)
    tenant_id: str | None = Field(default=None, max_length=64)
    service_url: str | None = Field(default=None, max_length=500)
    conversation_id: str | None = Field(default=None, max_length=300)
    reference: dict[str, Any] = json_field()
    active: bool = True
    created_at: datetime = ts(default_now=True)
    updated_at: datetime = ts(default_now=True)


class EnrolmentStatus(StrEnum):
    """A participant's recorded status: set by the import, staff in Slack or the CLI, never
    inferred from the calendar (a cohort's end date passing completes nobody)."""

    APPLICANT = "applicant"
    ADMITTED = "admitted"
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    NOT_STARTED = "not_started"  # admitted, but never started


class ExamResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class Enrolment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "cohort_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = fk("person.id")
    cohort_id: int = fk("cohort.id")
    class_id: int | None = fk("cohort_class.id", nullable=True, ondelete="SET NULL")
    status: str = Field(default=EnrolmentStatus.ACTIVE, max_length=16, index=True)
    applied_on: date | None = None
    admitted_on: date | None = None
    started_on: date | None = None
    completed_on: date | None = None
    withdrawn_on: date | None = None
    not_started_on: date | None = None
    # A category from bot.enrolment_status.WITHDRAWAL_REASONS; never free text.
    withdrawal_reason: str | None = Field(default=None, max_length=32)
    credits: float | None = None
    exam_result: str | None = Field(default=None, max_length=16)
    # When the credits or exam result were recorded as final: the year they count in.
    result_on: date | None = None
    is_alumnus: bool = False
    # None: not asked or no answer, and then not kept in alumni messaging.
    alumni_consent: bool | None = None
    alumni_consent_at: datetime | None = ts()


class LineManagerLink(SQLModel, table=True):
    """Who is a participant's line manager ("nærmeste leder") in a cohort."""

    __tablename__ = "line_manager_link"
    __table_args__ = (UniqueConstraint("participant_id", "cohort_id"),)
    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = fk("person.id")
    manager_id: int = fk("person.id")
    cohort_id: int = fk("cohort.id")


# --- assignments ---------------------------------------------------------------------------


class Assignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cohort_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = fk("cohort.id")
    key: str = Field(max_length=64)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    url: str | None = Field(default=None, max_length=1000)
    release_at: datetime = ts(nullable=False)
    due_at: datetime = ts(nullable=False)
    line_manager_involved: bool = False
    # Reminder offsets before the due time, in minutes (default 7 days and 1 day).
    reminder_offsets: list[int] = json_field(lambda: [7 * 24 * 60, 24 * 60])
    session_id: int | None = fk("programme_session.id", nullable=True, ondelete="SET NULL")


class AssignmentProgress(SQLModel, table=True):
    __tablename__ = "assignment_progress"
    __table_args__ = (UniqueConstraint("assignment_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = fk("assignment.id")
    person_id: int = fk("person.id")
    done_at: datetime | None = ts()
    reflection: str | None = text_field()
    reflection_shareable: bool = False
    updated_at: datetime = ts(default_now=True)


# --- line-manager nudges -------------------------------------------------------------------


class Nudge(SQLModel, table=True):
    """A line-manager nudge from the plan: one wave, sent to every participant's manager."""

    __table_args__ = (UniqueConstraint("cohort_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = fk("cohort.id")
    key: str = Field(max_length=64)
    kind: str = Field(max_length=32)  # before_start | assignment | session | custom
    title: str = Field(max_length=200)
    text: str = Field(default="", sa_type=Text)
    send_at: datetime = ts(nullable=False)
    respond_by: datetime | None = ts()
    assignment_id: int | None = fk("assignment.id", nullable=True, ondelete="SET NULL")
    session_id: int | None = fk("programme_session.id", nullable=True, ondelete="SET NULL")


class NudgeAnswerValue(StrEnum):
    DONE = "done"
    LATER = "later"
    CANNOT = "cannot"


class NudgeAnswer(SQLModel, table=True):
    """One nudge for one participant's manager, and what the manager answered."""

    __tablename__ = "nudge_answer"
    __table_args__ = (UniqueConstraint("nudge_id", "participant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    nudge_id: int = fk("nudge.id")
    participant_id: int = fk("person.id")
    manager_id: int = fk("person.id")
    answer: str | None = Field(default=None, max_length=16)
    answered_at: datetime | None = ts()
    answered_via: str | None = Field(default=None, max_length=16)  # slack | email
    sent_at: datetime | None = ts()
    reminded_at: datetime | None = ts()
    escalated_at: datetime | None = ts()
    handled_at: datetime | None = ts()
    handled_by_id: int | None = fk("person.id", nullable=True, ondelete="SET NULL")


# --- pulses --------------------------------------------------------------------------------


class Pulse(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cohort_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int | None = fk("cohort.id", nullable=True)
    key: str = Field(max_length=64)
    title: str = Field(max_length=200)
    anonymous: bool = True
    # participants | alumni | class:<key>
    audience: str = Field(default="participants", max_length=32)
    opens_at: datetime = ts(nullable=False)
    closes_at: datetime = ts(nullable=False)
    reminder_at: datetime | None = ts()
    # When the one reminder pass was done (a pulse-level time: the same for everybody asked).
    reminders_done_at: datetime | None = ts()
    closed_at: datetime | None = ts()
    # When an anonymous pulse's sealed answers were opened and moved into `pulse_answer`.
    released_at: datetime | None = ts()
    session_id: int | None = fk("programme_session.id", nullable=True, ondelete="SET NULL")
    created_by_id: int | None = fk("person.id", nullable=True, ondelete="SET NULL")


class PulseQuestion(SQLModel, table=True):
    __tablename__ = "pulse_question"
    __table_args__ = (UniqueConstraint("pulse_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    pulse_id: int = fk("pulse.id")
    position: int
    kind: str = Field(max_length=16)  # scale5 | nps | choice | text
    text: str = Field(max_length=500)
    choices: list[str] = json_field(list)
    # Set when the question came from the Directorate (an evaluator's proposal staff accepted):
    # unique, so accepting one proposal twice can never add two questions. `plan apply` leaves
    # these questions alone and keeps them after the plan's own (bot.plan_apply).
    proposal_id: int | None = Field(
        default=None,
        foreign_key="evaluator_proposal.id",
        nullable=True,
        unique=True,
        ondelete="SET NULL",
    )


class PulseParticipation(SQLModel, table=True):
    """Who has been asked. For named pulses also who has answered; never what they answered.

    For an anonymous pulse `answered` stays False for everybody: who answered is only in the
    sealed receipts (`PulseReceipt`), readable with COHORTBOT_SECRET_KEY, and after close only
    the count per class (`PulseResponseCount`) is kept. Nothing here changes when someone answers
    an anonymous pulse, and there is no per-person reminder time (see docs/privacy.md).
    """

    __tablename__ = "pulse_participation"
    __table_args__ = (UniqueConstraint("pulse_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    pulse_id: int = fk("pulse.id")
    person_id: int = fk("person.id")
    invited_at: datetime | None = ts()
    answered: bool = False


class PulseReceipt(SQLModel, table=True):
    """The completion ledger of an open anonymous pulse, with the person's answers sealed.

    `token` is HMAC(COHORTBOT_SECRET_KEY, pulse, person): the bot finds a person's receipt with
    it, nobody without the key can tell whose it is. `sealed` is the person's answers, padded to
    one length per pulse and encrypted (AES-GCM, key derived from the secret key). Receipts are
    deleted when the pulse closes and its answers are released (bot.pulses.release).
    """

    __tablename__ = "pulse_receipt"
    # WITHOUT ROWID on SQLite: stored in token order, not in the order people answered.
    __table_args__ = ({"sqlite_with_rowid": False},)
    pulse_id: int = Field(foreign_key="pulse.id", primary_key=True, ondelete="CASCADE")
    token: str = Field(primary_key=True, max_length=64)
    sealed: bytes = Field(sa_type=LargeBinary, nullable=False)


class PulseResponseCount(SQLModel, table=True):
    """How many answered a released anonymous pulse, per class: a count, never a person."""

    __tablename__ = "pulse_response_count"
    __table_args__ = (UniqueConstraint("pulse_id", "class_id"),)
    id: int | None = Field(default=None, primary_key=True)
    pulse_id: int = fk("pulse.id")
    class_id: int | None = fk("cohort_class.id", nullable=True, ondelete="SET NULL")
    answered: int = 0


class PulseReach(SQLModel, table=True):
    """How many of a pulse's audience were reached by which channel, per class, at invite time.

    A recorded count (slack | teams | email | none), never a person: the results and the report
    say per class how many were asked on Slack, in Teams, by email, and how many could not be
    reached at all (no chat account and no usable email address).
    """

    __tablename__ = "pulse_reach"
    __table_args__ = (UniqueConstraint("pulse_id", "class_id", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    pulse_id: int = fk("pulse.id")
    class_id: int | None = fk("cohort_class.id", nullable=True, ondelete="SET NULL")
    channel: str = Field(max_length=16)
    people: int = 0


class PulseAnswer(SQLModel, table=True):
    """An answer to one question.

    Named pulses set `person_id` and `respondent_token`. Answers of an anonymous pulse are
    written only when it closes, all in one statement in shuffled order, with no person, no
    token, no time and a random id; `class_id` only for a class whose respondents are shown in
    the results (bot.suppression.suppress_groups over respondents per class), else NULL, so a
    class with one respondent is not on any row (see docs/privacy.md).
    """

    __tablename__ = "pulse_answer"
    # WITHOUT ROWID on SQLite: rows are stored in (random) id order, not in insertion order.
    __table_args__ = (
        UniqueConstraint("question_id", "respondent_token"),
        {"sqlite_with_rowid": False},
    )
    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    pulse_id: int = fk("pulse.id")
    question_id: int = fk("pulse_question.id")
    person_id: int | None = fk("person.id", nullable=True)
    respondent_token: str | None = Field(default=None, max_length=64)
    class_id: int | None = fk("cohort_class.id", nullable=True, ondelete="SET NULL")
    value: int | None = None
    text: str | None = text_field()


# --- networks and matching -----------------------------------------------------------------


class ProposalState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class EvaluatorProposal(SQLModel, table=True):
    """A question the Directorate (an evaluator, COHORTBOT_EVALUATOR_EMAILS) proposes for a pulse.

    `pulse_id` / `session_id` say what it is meant for (both optional); once accepted,
    `pulse_id` is the pulse it went into and the question row points back (`proposal_id`).
    `form_nonce` is the nonce of the page form that sent it: a double submit records once.
    """

    __tablename__ = "evaluator_proposal"
    id: int | None = Field(default=None, primary_key=True)
    proposed_by: str = Field(max_length=254)  # the evaluator's email (not a person row)
    text: str = Field(max_length=500)
    kind: str = Field(max_length=16)  # scale5 | nps | choice | text
    choices: list[str] = json_field(list)
    pulse_id: int | None = fk("pulse.id", nullable=True, ondelete="SET NULL")
    session_id: int | None = fk("programme_session.id", nullable=True, ondelete="SET NULL")
    state: str = Field(default=ProposalState.PROPOSED, max_length=16, index=True)
    form_nonce: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = ts(default_now=True)
    decided_at: datetime | None = ts()
    decided_by: str | None = Field(default=None, max_length=120)  # "person:12" | "cli"
    decided_by_id: int | None = fk("person.id", nullable=True, ondelete="SET NULL")
    reason: str | None = Field(default=None, max_length=500)


class EvaluatorLink(SQLModel, table=True):
    """A signed link staff sent an evaluator: the token names this row, never the email."""

    __tablename__ = "evaluator_link"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    created_at: datetime = ts(default_now=True)
    expires_at: datetime = ts(nullable=False)
    created_by: str = Field(max_length=120)
    revoked_at: datetime | None = ts()


class NetworkKind(StrEnum):
    COHORT = "cohort"
    CLASS = "class"
    PEER_GROUP = "peer_group"
    ALUMNI_NATIONAL = "alumni_national"
    ALUMNI_REGION = "alumni_region"


class Network(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    key: str = Field(unique=True, max_length=120)
    name: str = Field(max_length=200)
    cohort_id: int | None = fk("cohort.id", nullable=True)
    class_id: int | None = fk("cohort_class.id", nullable=True)
    region: str | None = Field(default=None, max_length=100)
    slack_channel_id: str | None = Field(default=None, max_length=32)
    slack_channel_name: str | None = Field(default=None, max_length=80)
    is_private: bool = False
    match_every_weeks: int | None = None  # peer matching rhythm; None = no matching
    next_match_at: datetime | None = ts()
    archived_at: datetime | None = ts()


class NetworkChannel(SQLModel, table=True):
    """A network's channel on one chat platform other than Slack (today: "teams").

    One row per network and platform, written when the outbox's create step has made (or
    adopted) the channel: its id on the platform (`channel_id`), the space it lives in
    (`container_id`: for Teams the team's group id) and the name it was given. Slack's ids are
    still on `Network` (`slack_channel_id`), as Slack user ids are still on `Person`.
    """

    __tablename__ = "network_channel"
    __table_args__ = (
        UniqueConstraint("network_id", "platform"),
        UniqueConstraint("platform", "container_id", "channel_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = fk("network.id")
    platform: str = Field(max_length=16)
    container_id: str = Field(max_length=200)
    channel_id: str = Field(max_length=300)
    name: str = Field(max_length=200)
    created_at: datetime = ts(default_now=True)


class NetworkMembership(SQLModel, table=True):
    __tablename__ = "network_membership"
    __table_args__ = (UniqueConstraint("network_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = fk("network.id")
    person_id: int = fk("person.id")
    joined_at: datetime = ts(default_now=True)
    left_at: datetime | None = ts()
    matching_opt_in: bool = True
    paused_until: date | None = None
    ignored_intros: int = 0
    ghosted: bool = False  # stopped after 3 ignored intros, until they opt back in


class MatchBlock(SQLModel, table=True):
    """ "Don't match me with X"."""

    __tablename__ = "match_block"
    __table_args__ = (UniqueConstraint("person_id", "blocked_person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = fk("person.id")
    blocked_person_id: int = fk("person.id")


class MatchRound(SQLModel, table=True):
    __tablename__ = "match_round"
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = fk("network.id")
    started_at: datetime = ts(nullable=False)
    midpoint_at: datetime | None = ts()
    ends_at: datetime | None = ts()


class MatchGroup(SQLModel, table=True):
    __tablename__ = "match_group"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = fk("match_round.id")
    slack_channel_id: str | None = Field(default=None, max_length=32)
    member_ids: list[int] = json_field(list)


class MatchCheckin(SQLModel, table=True):
    """ "Did you meet?" (yes | not_yet | could_not), per person and group."""

    __tablename__ = "match_checkin"
    __table_args__ = (UniqueConstraint("group_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = fk("match_group.id")
    person_id: int = fk("person.id")
    answer: str = Field(max_length=16)
    answered_at: datetime = ts(default_now=True)


# --- broadcasts ----------------------------------------------------------------------------


class Broadcast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_by_id: int | None = fk("person.id", nullable=True, ondelete="SET NULL")
    audience: dict[str, Any] = json_field(dict)
    text: str = Field(sa_type=Text)
    mode: str = Field(default="dm", max_length=16)  # dm | channel
    send_at: datetime = ts(nullable=False)
    urgent: bool = False
    recipient_count: int = 0
    created_at: datetime = ts(default_now=True)


# --- delivery (the outbox) -----------------------------------------------------------------


class DeliveryState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNCERTAIN = "uncertain"  # was in flight when a process died; may have been sent


class Delivery(SQLModel, table=True):
    """One outgoing message. Written in the transaction that causes it; sent by the dispatcher."""

    __table_args__ = (
        Index("ix_delivery_due", "state", "send_at"),
        # A target's chain (storage.queries.deliveries.claims): is any of its deliveries held
        # under a live lease, and which are due.
        Index("ix_delivery_chain", "target", "transport", "state", "lease_until"),
    )
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=200)
    transport: str = Field(max_length=16)  # slack | email
    kind: str = Field(max_length=48, index=True)  # assignment_post, assignment_reminder, nudge, ...
    target: str = Field(max_length=320)  # Slack channel or user id, or an email address
    person_id: int | None = fk("person.id", nullable=True, ondelete="SET NULL")
    source: str | None = Field(default=None, max_length=120, index=True)  # e.g. "assignment:12"
    message: dict[str, Any] = json_field(dict)  # a neutral message (bot.messages), not Block Kit
    # The order key of its target's chain (storage.queries.deliveries.claims): a retry leaves
    # it alone and waits until `retry_at`, so the target's later deliveries wait behind it.
    send_at: datetime = ts(nullable=False)
    # Not before then: a transient failure's retry (Retry-After, backoff) or a blocked
    # channel's deferral. None, or a past time, once it may go.
    retry_at: datetime | None = ts()
    urgent: bool = False
    state: str = Field(default=DeliveryState.PENDING, max_length=16)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = ts()
    sent_at: datetime | None = ts()
    error: str | None = Field(default=None, max_length=500)
    result_ref: str | None = Field(default=None, max_length=64)  # Slack ts, Message-ID
    # Attempts whose outcome the outbox does not know: in flight when a process died, or sent
    # and the answer lost (a dropped connection). Each may have arrived. `found_sent`: one of
    # them was found in the conversation before sending again, so no new copy was made.
    unknown_attempts: int = 0
    found_sent: bool = False
    created_at: datetime = ts(default_now=True)
    updated_at: datetime = ts(default_now=True)


class OutboxFile(SQLModel, table=True):
    """The bytes of a file an outbox step uploads (a report, a chart, a data export).

    Written with the `file_upload` delivery that uploads it, in the transaction deciding it,
    and deleted when that delivery is sent or has failed: kept only while the upload waits.
    """

    __tablename__ = "outbox_file"
    # Ids never come back after a delete: a step names its file by id.
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=200)
    content: bytes = Field(sa_type=LargeBinary, nullable=False)
    # Whose data the file holds (a data export), so erasing them deletes it; None for figures.
    person_id: int | None = fk("person.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = ts(default_now=True)


class SendingPause(SQLModel, table=True):
    """Set when Slack says the token is bad: all Slack sending stops until staff resume it."""

    __tablename__ = "sending_pause"
    transport: str = Field(primary_key=True, max_length=16)
    reason: str = Field(max_length=500)
    paused_at: datetime = ts(default_now=True)


class JobClaim(SQLModel, table=True):
    """Scheduled work done once: a matching round, a digest, a pulse opening, a cohort's end.

    Keyed uniquely by (job, subject, due): the row is inserted in the transaction that does the
    work, so with any number of processes exactly one does it (the others find the key taken,
    or wait on its row lock until it commits). Work that spans several transactions (the
    planner) holds the row under a lease instead: `lease_until` on the real clock, never the
    local workspace's shifted one.
    """

    __tablename__ = "job_claim"
    __table_args__ = (UniqueConstraint("job", "subject", "due"),)
    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=48)
    subject: str = Field(max_length=120)
    due: str = Field(max_length=40)  # the due time (ISO UTC) or period, e.g. "2026-W48"
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = ts()
    done_at: datetime | None = ts()
    created_at: datetime = ts(default_now=True)


class ReportDownload(SQLModel, table=True):
    """A rendered report waiting to be downloaded through a link (staff in Teams).

    Only the SHA-256 of the link's random token is stored, so the database alone cannot make
    a working link. The file holds published figures only (no names, no free text).
    """

    __tablename__ = "report_download"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    filename: str = Field(max_length=120)
    content_type: str = Field(max_length=120)
    content: bytes = Field(sa_type=LargeBinary, nullable=False)
    created_at: datetime = ts(default_now=True)
    expires_at: datetime = ts(nullable=False, index=True)


# --- inbound, audit, risk ------------------------------------------------------------------


class ProcessedEvent(SQLModel, table=True):
    """Slack event ids already handled; Slack retries events and Bolt does not deduplicate."""

    __tablename__ = "processed_event"
    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = ts(default_now=True)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = ts(default_now=True, index=True)
    actor_id: int | None = fk("person.id", nullable=True, ondelete="SET NULL")
    actor: str = Field(max_length=120)  # "person:12", "cli", "system"
    action: str = Field(max_length=80)
    subject: str | None = Field(default=None, max_length=120)
    detail: dict[str, Any] = json_field(dict)


class ConsentKind(StrEnum):
    ALUMNI = "alumni"  # scope "cohort:<id>": stay in alumni networks after the programme
    DIRECTORY = "directory"  # findable in the alumni directory
    REFLECTION_SHARING = "reflection_sharing"  # scope "assignment:<id>"


class Consent(SQLModel, table=True):
    """One consent decision: who, to what (kind, scope), which text, when, and how.

    Rows are never updated: a withdrawal is a new row with `granted` false, so the history stays.
    The current state is the newest row per (person, kind, scope).
    """

    __table_args__ = (Index("ix_consent_current", "person_id", "kind", "scope", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = fk("person.id")
    kind: str = Field(max_length=32)
    scope: str = Field(default="", max_length=64)
    granted: bool
    text_version: str = Field(max_length=120)  # "<message key>@<locale>#<hash of the text>"
    text: str = Field(default="", sa_type=Text)  # the words the person was shown
    via: str = Field(max_length=16)  # slack | email | cli | system
    at: datetime = ts(nullable=False)


class RiskCase(SQLModel, table=True):
    """A participant flagged in the staff digest, and whether staff followed up."""

    __tablename__ = "risk_case"
    __table_args__ = (UniqueConstraint("person_id", "cohort_id", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = fk("person.id")
    cohort_id: int = fk("cohort.id")
    week: str = Field(max_length=10)  # ISO week, e.g. 2026-W48
    reasons: list[str] = json_field(list)
    followed_up_at: datetime | None = ts()
    followed_up_by_id: int | None = fk("person.id", nullable=True, ondelete="SET NULL")
    note: str | None = text_field()


# --- the digital archive (spec 7.2) --------------------------------------------------------


class ArchiveVisibility(StrEnum):
    """Who may see an archive item besides its owner and staff."""

    NOBODY = "nobody"  # only the owner and staff
    COHORT = "cohort"  # people enrolled in the item's cohort (current and former)
    ALL = "all"  # every current and former student


class ArchiveItem(SQLModel, table=True):
    """A participant's project or staff's lecture or material in the archive.

    The file itself lives in the archive store (a directory or S3), never here: `file_key` names
    it there. `file_text` is the text extracted from a PDF or DOCX, for search only.
    `owner_id` is None for staff material; `cohort_id` is whose cohort a `cohort` item is
    shown to.
    """

    __tablename__ = "archive_item"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = fk("person.id", nullable=True)
    added_by_id: int | None = fk("person.id", nullable=True, ondelete="SET NULL")
    cohort_id: int | None = fk("cohort.id", nullable=True, ondelete="SET NULL")
    kind: str = Field(default="project", max_length=16)  # project | material
    title: str = Field(max_length=200)
    summary: str = Field(sa_type=Text)
    keywords: list[str] = json_field(list)
    visibility: str = Field(default=ArchiveVisibility.NOBODY, max_length=8, index=True)
    show_name: bool = False
    url: str | None = Field(default=None, max_length=1000)
    file_key: str | None = Field(default=None, max_length=200, unique=True)
    file_name: str | None = Field(default=None, max_length=200)
    file_type: str | None = Field(default=None, max_length=16)  # pdf | docx | other
    file_size: int | None = None
    file_sha256: str | None = Field(default=None, max_length=64)
    file_text: str | None = text_field()
    created_at: datetime = ts(default_now=True)
    updated_at: datetime = ts(default_now=True)


__all__ = [
    "ERASED_EMAIL_SUFFIX",
    "ArchiveItem",
    "ArchiveVisibility",
    "Assignment",
    "AssignmentProgress",
    "AuditEvent",
    "Broadcast",
    "Cohort",
    "CohortClass",
    "CohortStatus",
    "Consent",
    "ConsentKind",
    "Delivery",
    "DeliveryState",
    "Enrolment",
    "EnrolmentStatus",
    "ExamResult",
    "JobClaim",
    "LineManagerLink",
    "MatchBlock",
    "MatchCheckin",
    "MatchGroup",
    "MatchRound",
    "Network",
    "NetworkKind",
    "NetworkMembership",
    "Nudge",
    "NudgeAnswer",
    "NudgeAnswerValue",
    "Person",
    "ProcessedEvent",
    "Programme",
    "ProgrammeSession",
    "Pulse",
    "PulseAnswer",
    "PulseParticipation",
    "PulseQuestion",
    "PulseReceipt",
    "PulseResponseCount",
    "RiskCase",
    "SendingPause",
]
