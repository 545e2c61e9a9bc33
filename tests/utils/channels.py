"""A recording ChannelAdmin for network tests: channels, members and group DMs in memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.delivery import Dispatcher, TickStats
from bot.notifier import OutgoingMessage, SendResult
from bot.settings import Settings
from bot.steps import perform, step_of
from storage.db import Database


@dataclass
class FakeChannelAdmin:
    """Behaves like Slack for what the bot asks: adopt by name, invite, remove, archive, DMs."""

    names: dict[str, str] = field(default_factory=dict)  # name -> id
    private: dict[str, bool] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)
    archived: set[str] = field(default_factory=set)
    group_dms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    invites: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)

    async def create_channel(self, name: str, private: bool) -> str:
        if name not in self.names:
            channel = f"C{len(self.names) + 1:04d}"
            self.names[name] = channel
            self.private[channel] = private
            self.members[channel] = set()
        return self.names[name]

    async def invite(self, channel: str, user_ids: Sequence[str]) -> None:
        if user_ids:
            self.invites.append((channel, tuple(user_ids)))
            self.members[channel].update(user_ids)

    async def remove(self, channel: str, user_id: str) -> None:
        self.removed.append((channel, user_id))
        self.members[channel].discard(user_id)

    async def archive(self, channel: str, progress: Mapping[str, Any] | None = None) -> None:
        self.archived.add(channel)

    async def open_group_dm(self, user_ids: Sequence[str]) -> str:
        key = tuple(sorted(user_ids))
        for channel, users in self.group_dms.items():
            if users == key:
                return channel
        channel = f"G{len(self.group_dms) + 1:04d}"
        self.group_dms[channel] = key
        return channel

    def channel(self, name: str) -> str:
        return self.names[name]


@dataclass
class StepNotifier:
    """A "slack" transport for domain tests: channel steps go to the fake admin (through the
    same `bot.steps.perform` the Slack notifier uses); other messages are recorded."""

    admin: FakeChannelAdmin
    posts: list[tuple[str, OutgoingMessage]] = field(default_factory=list)
    transport: str = "slack"

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        step = step_of(message)
        if step is not None:
            return await perform(self.admin, target=target, step=step)
        self.posts.append((target, message))
        return SendResult("sent", ref=f"{len(self.posts)}.000")


async def run_steps(
    db: Database, admin: FakeChannelAdmin, settings: Settings, clock: Clock
) -> TickStats:
    """Run the outbox once, as the bot does after a commit: the decided channel work happens."""
    dispatcher = Dispatcher(db, {"slack": StepNotifier(admin)}, clock, None, settings, "steps")
    return await dispatcher.tick()
