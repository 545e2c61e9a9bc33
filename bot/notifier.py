"""Neutral outgoing messages and the Notifier port that transports (Slack, email) implement.

The domain builds `OutgoingMessage`s in neutral text (bot.text: people's words marked); each
transport renders them natively at the edge (Block Kit for Slack, HTML + plain text for email,
Adaptive Cards for Teams). Messages are stored as JSON in the outbox.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol

# A delivery target naming a group conversation of these people rather than an existing one:
# the transport opens (or reopens) the conversation when it sends, so opening it is part of the
# outbox step instead of the transaction that decided it (Slack: conversations.open).
GROUP_TARGET_PREFIX = "group:"


def group_target(user_ids: list[str]) -> str:
    """The target for a group conversation of these people (order does not matter)."""
    return GROUP_TARGET_PREFIX + ",".join(sorted(dict.fromkeys(u for u in user_ids if u)))


def group_members(target: str) -> list[str] | None:
    """The people of a group target, or None for an ordinary target."""
    if not target.startswith(GROUP_TARGET_PREFIX):
        return None
    return [u for u in target.removeprefix(GROUP_TARGET_PREFIX).split(",") if u]


@dataclass(frozen=True)
class Button:
    """A one-click answer. In Slack a button with `action_id`/`value`; in email a signed link."""

    NEUTRAL_TEXT: ClassVar[tuple[str, ...]] = ("label",)  # bot.text: people's words marked

    action_id: str
    label: str
    value: str = ""
    style: str | None = None  # "primary" | "danger"
    url: str | None = None  # email: the signed one-click link


@dataclass(frozen=True)
class Section:
    """A block of text with optional label/value fields and buttons under it."""

    NEUTRAL_TEXT: ClassVar[tuple[str, ...]] = ("text", "fields")

    text: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class OutgoingMessage:
    """What to say, independent of transport. `text` is the plain fallback/notification text.

    Every text is neutral text (bot.text): the bot's words with people's words marked.
    """

    NEUTRAL_TEXT: ClassVar[tuple[str, ...]] = ("text", "title", "context", "subject")

    text: str
    title: str | None = None
    sections: tuple[Section, ...] = ()
    context: str | None = None
    subject: str | None = None  # email subject; defaults to title
    locale: str = "nb"
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutgoingMessage:
        sections = tuple(
            Section(
                text=s.get("text", ""),
                fields=tuple(tuple(f) for f in s.get("fields", ())),
                buttons=tuple(Button(**b) for b in s.get("buttons", ())),
            )
            for s in data.get("sections", ())
        )
        return cls(
            text=data["text"],
            title=data.get("title"),
            sections=sections,
            context=data.get("context"),
            subject=data.get("subject"),
            locale=data.get("locale", "nb"),
            meta=dict(data.get("meta", {})),
        )


@dataclass(frozen=True)
class SendResult:
    """What a transport reports for one send.

    `status`: "sent", "retry" (transient; `retry_after` seconds if the server said so),
    "failed" (permanent; `error` says why), "paused" (credentials bad: stop all sending).
    `progress`, on a channel step's "retry": what the next attempt must know (an asynchronous
    operation to follow), stored with the retry in the step (`bot.steps.with_progress`).
    """

    status: str
    ref: str | None = None
    error: str | None = None
    retry_after: float | None = None
    found: bool = False  # "sent": an earlier attempt was found to have arrived; nothing new sent
    maybe_sent: bool = False  # "retry"/"failed": the message may have arrived all the same
    progress: dict[str, Any] | None = None


class Notifier(Protocol):
    """A transport. `target` is a Slack channel/user id or an email address."""

    transport: str

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult: ...


@dataclass
class RecordingNotifier:
    """A transport for domain and job tests: keeps a transcript of what was sent."""

    transport: str = "slack"
    sent: list[tuple[str, OutgoingMessage]] = field(default_factory=list)

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        self.sent.append((target, message))
        return SendResult(status="sent", ref=str(len(self.sent)))

    def to(self, target: str) -> list[OutgoingMessage]:
        return [m for t, m in self.sent if t == target]
