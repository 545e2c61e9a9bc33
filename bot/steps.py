"""Channel work and file uploads as outbox steps: they follow the commit deciding them.

The domain (`bot.networks`) decides in its transaction that a channel should exist, or that
people should be in or out of it, and writes each decision as a delivery on the Slack transport
whose message carries the step (`meta["step"]`). The dispatcher performs it after the commit
like any other delivery: claimed once across processes, resumed after a crash when its lease
runs out, retried on 429 (`Retry-After`) and 5xx. A decision rolled back leaves nothing in Slack.

Every step is safe to repeat: a taken name adopts the existing channel (a create whose answer
was lost, or a second process), "already_in_channel" on invite and "not_in_channel" on kick
count as done, "already_archived" too.

A channel that does not exist yet is named by its network: target `network:<id>`. Steps and
messages addressed so — also channel references in a message's text — wait until the create
step has stored the channel id on the network (the predecessor's result, in the database), and
fail with its reason if it failed. All steps of one network share that target, so one
dispatcher chain takes them in the order they were decided.

Teams (when TEAMS_TEAM_ID names the programme's team) gets a channel per class the same way,
on the outbox transport "teams_channels": a create step, then member steps (Entra object
ids), each keyed like the Slack ones and carrying the team's id, so what was decided stays
what is done; completing the cohort archives them (`archive_team_channel`) as it archives
Slack's. The channel made is stored on the neutral `network_channel` row (platform "teams");
`resolve` reads it there. The Teams adapter (handlers/teams/graph.py) turns the
neutral name into a valid Teams channel name and adopts a channel of that name.

A file upload (a report, a chart, a data export asked for) is a step too: its bytes are stored
beside the delivery (`outbox_file`) in the deciding transaction, read when the step runs and
deleted once it is sent or has failed. An upload whose answer was lost may arrive twice, like a
message (at most the ones in flight at a hard crash).
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notifier import OutgoingMessage, SendResult
from bot.settings import Settings
from bot.text import REF_SEP
from storage.models import DeliveryState, Network, NetworkKind
from storage.queries import deliveries as dq
from storage.queries import networks as nq

NETWORK_TARGET_PREFIX = "network:"
SLACK = "slack"
TEAMS_CHANNELS = "teams_channels"  # the outbox transport of Teams channel steps (Graph)
TEAMS = "teams"  # the platform on `network_channel`
_PLATFORM_OF = {TEAMS_CHANNELS: TEAMS}
CREATE = "channel_create"
INVITE = "channel_invite"
KICK = "channel_kick"
ARCHIVE = "channel_archive"
UPLOAD = "file_upload"
CHANNEL_KINDS = frozenset({CREATE, INVITE, KICK, ARCHIVE})
STEP_KINDS = CHANNEL_KINDS | {UPLOAD}
# A step that waits for its channel looks again after this long (not counted as an attempt).
WAIT_SECONDS = 2.0
WAITING = "waiting"
_NETWORK_REF = re.compile(re.escape(REF_SEP) + r"network:(\d+)" + re.escape(REF_SEP))


class ChannelAdmin(Protocol):
    """The port that performs channel steps; `handlers/slack/channels.py` implements it.

    Raise `StepRetry` for what may pass (429, 5xx, a dropped connection), `StepAuthError` for
    a rejected token and `StepError` for a permanent refusal.
    """

    async def create_channel(self, name: str, private: bool) -> str:
        """Create the channel, or adopt the existing one with this name; return its id."""
        ...

    async def invite(self, channel: str, user_ids: Sequence[str]) -> None: ...

    async def remove(self, channel: str, user_id: str) -> None: ...

    async def archive(self, channel: str, progress: Mapping[str, Any] | None = None) -> None:
        """Archive the channel. `progress`: what an earlier attempt left for this one (the
        `StepRetry.progress` it raised), None on the first."""
        ...


class StepError(Exception):
    """The platform refused the step for good; the message names the method and its error."""


class StepRetry(Exception):
    """The step may succeed later (rate limited, a server error, a dropped connection).

    `progress`: kept with the step for its next attempt (say, the asynchronous operation it
    started and is now waiting for); None keeps what was kept before.
    """

    def __init__(
        self,
        reason: str,
        retry_after: float | None = None,
        progress: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.progress = progress


class StepAuthError(Exception):
    """The token was rejected: the transport pauses."""


# --- deciding (in the caller's transaction) ---------------------------------------------------


def network_target(network_id: int) -> str:
    return f"{NETWORK_TARGET_PREFIX}{network_id}"


def channel_of(network: Network) -> str:
    """Where to address the network's channel: its id, the network while it is being made,
    or "" when it has none (no Slack: see `makes_channels`)."""
    if network.slack_channel_id:
        return network.slack_channel_id
    if not network.slack_channel_name:
        return ""
    assert network.id is not None
    return network_target(network.id)


def is_pending_channel(ref: str | None) -> bool:
    """True for a `network:<id>` reference whose channel is still being created."""
    return bool(ref) and str(ref).startswith(NETWORK_TARGET_PREFIX)


def makes_channels(settings: Settings) -> bool:
    """Is there a Slack workspace to make channels in? Without one no Slack channel work is
    decided (Teams class channels: `makes_teams_channels`)."""
    return settings.has_slack_credentials


def makes_teams_channels(settings: Settings) -> bool:
    """Is there a Teams team to make class channels in (Teams on, TEAMS_TEAM_ID set)?"""
    return settings.teams != "off" and bool(settings.teams_team_id)


def _create_key(network_id: int, transport: str = SLACK) -> str:
    if transport == SLACK:
        return f"channel-create:{network_id}"
    return f"{transport}-create:{network_id}"


async def _enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    target: str,
    step: dict[str, Any],
    now: datetime,
    person_id: int | None = None,
    source: str | None = None,
    transport: str = SLACK,
) -> bool:
    message = OutgoingMessage(text="", meta={"step": step})
    return await dq.enqueue_delivery(
        session=session,
        dedupe_key=key[:200],
        transport=transport,
        kind=kind,
        target=target,
        message=message.to_json(),
        send_at=now,
        person_id=person_id,
        source=source,
        # Channel work is not a message to a person: no quiet hours.
        urgent=True,
        now=now,
    )


async def create_channel(
    session: AsyncSession,
    settings: Settings,
    *,
    network: Network,
    name: str,
    private: bool,
    now: datetime,
) -> bool:
    """Decide that the network gets a channel called `name` (adopted if the name is taken).

    Once per network; a create that failed (say, a private channel the bot cannot see) is
    tried again when decided again, after staff fixed the cause.
    """
    if not makes_channels(settings):
        return False
    assert network.id is not None
    key = _create_key(network.id)
    if await dq.rearm_failed(session=session, dedupe_key=key, now=now):
        return True
    return await _enqueue(
        session,
        key=key,
        kind=CREATE,
        target=network_target(network.id),
        step={"op": "create", "name": name, "private": private},
        now=now,
        source=f"network:{network.id}",
    )


async def invite(
    session: AsyncSession,
    settings: Settings,
    *,
    network: Network,
    user_ids: Sequence[str],
    now: datetime,
) -> bool:
    """Decide that these people join the network's channel (one step, up to any number)."""
    users = sorted(dict.fromkeys(u for u in user_ids if u))
    if not users or not makes_channels(settings):
        return False
    assert network.id is not None
    digest = hashlib.sha256(",".join(users).encode()).hexdigest()[:16]
    return await _enqueue(
        session,
        key=f"channel-invite:{network.id}:{now.isoformat()}:{digest}",
        kind=INVITE,
        target=network_target(network.id),
        step={"op": "invite", "users": users},
        now=now,
        source=f"network:{network.id}",
    )


async def kick(
    session: AsyncSession,
    settings: Settings,
    *,
    network: Network,
    user_id: str,
    now: datetime,
    person_id: int | None = None,
) -> bool:
    """Decide that this person leaves the network's channel."""
    if not makes_channels(settings):
        return False
    assert network.id is not None
    return await _enqueue(
        session,
        key=f"channel-kick:{network.id}:{user_id}:{now.isoformat()}",
        kind=KICK,
        target=network_target(network.id),
        step={"op": "kick", "user": user_id},
        now=now,
        person_id=person_id,
        source=f"network:{network.id}",
    )


async def archive(
    session: AsyncSession, settings: Settings, *, network: Network, now: datetime
) -> bool:
    """Decide that the network's channel is archived (a no-op if it was never made)."""
    if not makes_channels(settings):
        return False
    assert network.id is not None
    if not network.slack_channel_id:
        pending = await dq.get_delivery_by_key(session=session, dedupe_key=_create_key(network.id))
        if pending is None:
            return False
    return await _enqueue(
        session,
        key=f"channel-archive:{network.id}",
        kind=ARCHIVE,
        target=network_target(network.id),
        step={"op": "archive"},
        now=now,
        source=f"network:{network.id}",
    )


async def create_team_channel(
    session: AsyncSession,
    settings: Settings,
    *,
    network: Network,
    name: str,
    owner: str | None,
    now: datetime,
) -> bool:
    """Decide that the network gets a private channel in the programme's team (Teams).

    `name` is the neutral name (the adapter makes it a valid channel name); `owner` the Entra
    object id Graph needs as the private channel's first owner. Once per network, like
    `create_channel`; a failed create is decided again by the next sync.
    """
    if not makes_teams_channels(settings):
        return False
    assert network.id is not None
    key = _create_key(network.id, TEAMS_CHANNELS)
    step = {
        "op": "create",
        "name": name,
        "private": True,
        "team": settings.teams_team_id,
        "owner": owner or "",
    }
    # Again with today's name: a create refused for its name (another class's channel has it)
    # goes through once staff renamed the class.
    message = OutgoingMessage(text="", meta={"step": step}).to_json()
    if await dq.rearm_failed(session=session, dedupe_key=key, now=now, message=message):
        return True
    return await _enqueue(
        session,
        key=key,
        kind=CREATE,
        target=network_target(network.id),
        step=step,
        now=now,
        source=f"network:{network.id}",
        transport=TEAMS_CHANNELS,
    )


async def add_team_channel_members(
    session: AsyncSession,
    settings: Settings,
    *,
    network: Network,
    user_ids: Sequence[str],
    since: datetime,
    now: datetime,
) -> bool:
    """Decide that these people (Entra object ids) become members of the network's Teams
    channel; keyed by `since` (when they joined the network), so deciding again is a no-op,
    except for an add that failed (its channel's create failed, a user Graph refused): that
    one is tried again, like a failed create, after staff fixed the cause."""
    users = sorted(dict.fromkeys(u for u in user_ids if u))
    if not users or not makes_teams_channels(settings):
        return False
    assert network.id is not None
    key = _team_invite_key(network.id, since, users)
    if await dq.rearm_failed(session=session, dedupe_key=key, now=now):
        return True
    return await _enqueue(
        session,
        key=key,
        kind=INVITE,
        target=network_target(network.id),
        step={"op": "invite", "users": users, "team": settings.teams_team_id},
        now=now,
        source=f"network:{network.id}",
        transport=TEAMS_CHANNELS,
    )


def _team_invite_key(network_id: int, since: datetime, users: Sequence[str]) -> str:
    digest = hashlib.sha256(",".join(sorted(users)).encode()).hexdigest()[:16]
    return f"{TEAMS_CHANNELS}-invite:{network_id}:{since.isoformat()}:{digest}"


async def remove_team_channel_member(
    session: AsyncSession,
    settings: Settings,
    *,
    network: Network,
    user_id: str,
    now: datetime,
    person_id: int | None = None,
    since: datetime | None = None,
) -> bool:
    """Decide that this person (an Entra object id) leaves the network's Teams channel.

    `since`: when their membership began. Their add of that membership, if it has not gone
    out yet (waiting for the channel, or for a retry after a 502 or 429), is cancelled: the
    removal is due now and would go first, and the add's retry would then put them back.
    """
    if not user_id or not makes_teams_channels(settings):
        return False
    assert network.id is not None
    if since is not None:
        await dq.cancel_pending(
            session=session,
            dedupe_prefix=_team_invite_key(network.id, since, [user_id]),
            reason="left the network before the add went out",
            now=now,
        )
    if not await _teams_channel_decided(session, network.id):
        return False  # never made: nothing to leave
    return await _enqueue(
        session,
        key=f"{TEAMS_CHANNELS}-kick:{network.id}:{user_id}:{now.isoformat()}",
        kind=KICK,
        target=network_target(network.id),
        step={"op": "kick", "user": user_id, "team": settings.teams_team_id},
        now=now,
        person_id=person_id,
        source=f"network:{network.id}",
        transport=TEAMS_CHANNELS,
    )


async def archive_team_channel(
    session: AsyncSession, settings: Settings, *, network: Network, now: datetime
) -> bool:
    """Decide that the network's Teams channel is archived (a no-op if it was never decided).

    Once per network (its key has no time): completing the cohort twice archives once.
    """
    if not makes_teams_channels(settings):
        return False
    assert network.id is not None
    if not await _teams_channel_decided(session, network.id):
        return False
    return await _enqueue(
        session,
        key=f"{TEAMS_CHANNELS}-archive:{network.id}",
        kind=ARCHIVE,
        target=network_target(network.id),
        step={"op": "archive", "team": settings.teams_team_id},
        now=now,
        source=f"network:{network.id}",
        transport=TEAMS_CHANNELS,
    )


async def _teams_channel_decided(session: AsyncSession, network_id: int) -> bool:
    made = await nq.get_network_channel(session=session, network_id=network_id, platform=TEAMS)
    if made is not None:
        return True
    key = _create_key(network_id, TEAMS_CHANNELS)
    return await dq.get_delivery_by_key(session=session, dedupe_key=key) is not None


async def upload_file(
    session: AsyncSession,
    settings: Settings,
    *,
    target: str,
    content: bytes,
    filename: str,
    title: str,
    now: datetime,
    person_id: int | None = None,
    source: str | None = None,
    about_person_id: int | None = None,
) -> bool:
    """Decide that `content` is uploaded as `filename` to `target` (a person's DM or a channel).

    `person_id`: who receives it; `about_person_id`: whose data it holds (a data export), so
    erasing them deletes the waiting file.
    """
    if not settings.has_slack_credentials:
        return False
    file_id = await dq.add_outbox_file(
        session=session,
        filename=filename[:200],
        content=content,
        now=now,
        person_id=about_person_id,
    )
    return await _enqueue(
        session,
        # Not the file's id: SQLite hands a deleted row's id out again.
        key=f"file-upload:{uuid.uuid4().hex}",
        kind=UPLOAD,
        target=target,
        step={"op": "upload", "file": file_id, "filename": filename, "title": title},
        now=now,
        person_id=person_id,
        source=source,
    )


# --- performing (the dispatcher, after the commit) --------------------------------------------


def step_of(message: OutgoingMessage) -> dict[str, Any] | None:
    step = message.meta.get("step")
    return step if isinstance(step, dict) else None


def _network_ids(target: str, message: Any) -> set[int]:
    ids: set[int] = set()
    if target.startswith(NETWORK_TARGET_PREFIX):
        ids.add(int(target.removeprefix(NETWORK_TARGET_PREFIX)))

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if REF_SEP in value:
                ids.update(int(m) for m in _NETWORK_REF.findall(value))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(message)
    return ids


def _substitute(value: Any, channels: dict[int, str]) -> Any:
    if isinstance(value, str):
        if REF_SEP not in value:
            return value
        return _NETWORK_REF.sub(lambda m: f"{REF_SEP}{channels[int(m.group(1))]}{REF_SEP}", value)
    if isinstance(value, dict):
        return {k: _substitute(v, channels) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, channels) for v in value]
    return value


def _stored_step(message: dict[str, Any]) -> dict[str, Any] | None:
    meta = message.get("meta")
    step = meta.get("step") if isinstance(meta, dict) else None
    return step if isinstance(step, dict) else None


def with_progress(message: dict[str, Any], progress: dict[str, Any]) -> dict[str, Any] | None:
    """The stored message of a step with `progress` kept in it for the step's next attempt
    (`meta.step.progress`); None when the message holds no step."""
    step = _stored_step(message)
    if step is None:
        return None
    return {**message, "meta": {**message["meta"], "step": {**step, "progress": progress}}}


def needs_lookup(target: str, message: dict[str, Any]) -> bool:
    """Must the dispatcher complete this delivery from the database before sending it?

    True when it addresses a channel by its network, or uploads a stored file.
    """
    step = _stored_step(message)
    return bool(step and step.get("op") == "upload") or bool(_network_ids(target, message))


async def _with_file(session: AsyncSession, message: dict[str, Any]) -> dict[str, Any] | SendResult:
    step = _stored_step(message) or {}
    stored = await dq.get_outbox_file(session=session, file_id=int(step.get("file") or 0))
    if stored is None:
        return SendResult("failed", error="the file to upload is no longer stored")
    # Only in memory, for the transport: the stored message never holds the bytes.
    content = base64.b64encode(stored.content).decode()
    return {**message, "meta": {**message["meta"], "step": {**step, "content": content}}}


async def _made_channel(session: AsyncSession, transport: str, network_id: int) -> str | None:
    """The channel id the create step stored for this transport, if it has run."""
    platform = _PLATFORM_OF.get(transport)
    if platform is None:
        network = await nq.get_network(session=session, network_id=network_id)
        return network.slack_channel_id if network is not None else None
    made = await nq.get_network_channel(session=session, network_id=network_id, platform=platform)
    return made.channel_id if made is not None else None


async def resolve(
    session: AsyncSession, *, target: str, message: dict[str, Any], transport: str = SLACK
) -> tuple[str, dict[str, Any]] | SendResult:
    """The target and message with every `network:<id>` replaced by the channel id.

    A "retry" result (not counted as an attempt) while a channel is still being created, a
    "failed" one when its create step failed or was never decided. The create step itself
    is returned as it is: it is what makes the channel.
    """
    step = _stored_step(message)
    if step is not None and step.get("op") == "upload":
        with_file = await _with_file(session, message)
        if isinstance(with_file, SendResult):
            return with_file
        message = with_file
    ids = _network_ids(target, message)
    if not ids:
        return target, message
    if step is not None and step.get("op") == "create":
        return target, message
    channels: dict[int, str] = {}
    for network_id in sorted(ids):
        made = await _made_channel(session, transport, network_id)
        if made:
            channels[network_id] = made
            continue
        create = await dq.get_delivery_by_key(
            session=session, dedupe_key=_create_key(network_id, transport)
        )
        if create is None:
            return SendResult("failed", error=f"network {network_id} has no channel")
        if create.state in (DeliveryState.FAILED, DeliveryState.CANCELLED):
            return SendResult(
                "failed", error=f"channel not created: {create.error or create.state}"
            )
        return SendResult(
            "retry", error=f"{WAITING}: channel of network {network_id}", retry_after=WAIT_SECONDS
        )
    resolved = (
        channels.get(int(target.removeprefix(NETWORK_TARGET_PREFIX)), target)
        if (target.startswith(NETWORK_TARGET_PREFIX))
        else target
    )
    return resolved, _substitute(message, channels)


async def perform(admin: ChannelAdmin, *, target: str, step: dict[str, Any]) -> SendResult:
    """Carry out one step against the port; "sent" with the channel id as `ref` for a create."""
    op = step.get("op")
    try:
        if op == "create":
            channel = await admin.create_channel(str(step["name"]), bool(step.get("private")))
            return SendResult("sent", ref=channel)
        if op == "invite":
            await admin.invite(target, [str(u) for u in step.get("users") or []])
        elif op == "kick":
            await admin.remove(target, str(step["user"]))
        elif op == "archive":
            progress = step.get("progress")
            await admin.archive(target, progress if isinstance(progress, dict) else None)
        else:
            return SendResult("failed", error=f"unknown step {op!r}")
    except StepRetry as exc:
        return SendResult(
            "retry", error=exc.reason, retry_after=exc.retry_after, progress=exc.progress
        )
    except StepAuthError as exc:
        return SendResult("paused", error=str(exc) or "credentials rejected")
    except StepError as exc:
        return SendResult("failed", error=str(exc))
    except (KeyError, TypeError, ValueError):
        return SendResult("failed", error="the stored step is malformed")
    return SendResult("sent", ref=target)


async def held_elsewhere(
    session: AsyncSession,
    *,
    kind: str,
    target: str,
    message: dict[str, Any],
    ref: str | None,
    transport: str,
) -> str | None:
    """Why a done create must not be stored as this network's channel: the channel it made or
    adopted is already another network's. Two class names the platform's rules make one
    ("Tromsø?" and "Tromsø" are both "Tromsø (2026h)" in Teams) would otherwise share one
    private channel: the second create finds the first's and adopts it. In Slack a create
    meeting `name_taken` adopts the channel of that name likewise. None when it is not.
    """
    platform = _PLATFORM_OF.get(transport)
    if kind != CREATE or not ref or not target.startswith(NETWORK_TARGET_PREFIX):
        return None
    step = (message.get("meta") or {}).get("step") or {}
    network_id = int(target.removeprefix(NETWORK_TARGET_PREFIX))
    if platform is None:
        if transport != SLACK:
            return None
        # Slack: `name_taken` adopts the channel of that name, which may be another network's.
        other = await nq.get_network_by_channel(session=session, channel_id=ref)
        if other is None or other.id == network_id:
            return None
        return (
            f"the channel #{step.get('name')} is network {other.id}'s already (two networks "
            "ask for one Slack channel name): rename one, then sync again"
        )
    holder = await nq.network_of_channel(
        session=session,
        platform=platform,
        container_id=str(step.get("team") or ""),
        channel_id=ref,
    )
    if holder is None or holder == network_id:
        return None
    return (
        f"the channel {step.get('name')!r} is network {holder}'s already (the class names "
        "are one channel name in Teams): rename one class, then sync again"
    )


async def after_sent(
    session: AsyncSession,
    *,
    kind: str,
    target: str,
    message: dict[str, Any],
    ref: str | None,
    transport: str = SLACK,
    now: datetime | None = None,
) -> None:
    """Store what a done step made, in the transaction that records it: the channel id (an
    upload's bytes are deleted)."""
    if kind == UPLOAD:
        await forget_file(session, message=message)
        return
    if kind != CREATE or not ref or not target.startswith(NETWORK_TARGET_PREFIX):
        return
    network = await nq.get_network(session=session, network_id=int(target.split(":", 1)[1]))
    if network is None:
        return
    step = (message.get("meta") or {}).get("step") or {}
    platform = _PLATFORM_OF.get(transport)
    if platform is not None:
        assert network.id is not None and now is not None
        await nq.save_network_channel(
            session=session,
            network_id=network.id,
            platform=platform,
            container_id=str(step.get("team") or ""),
            channel_id=ref,
            name=str(step.get("name") or network.name),
            now=now,
        )
        return
    network.slack_channel_id = ref
    network.slack_channel_name = str(step.get("name") or network.slack_channel_name or "")
    if network.kind == NetworkKind.COHORT and network.cohort_id is not None:
        cohort = await nq.get_cohort(session=session, cohort_id=network.cohort_id)
        if cohort is not None:
            cohort.slack_channel_id = ref
    elif network.kind == NetworkKind.CLASS and network.class_id is not None:
        klass = await nq.get_class(session=session, class_id=network.class_id)
        if klass is not None:
            klass.slack_channel_id = ref
            klass.slack_channel_name = network.slack_channel_name
    session.add(network)
    await session.flush()


async def forget_file(session: AsyncSession, *, message: dict[str, Any]) -> None:
    """Delete an upload step's stored bytes (it was sent, or failed for good)."""
    step = _stored_step(message)
    if step is not None and step.get("op") == "upload" and step.get("file"):
        await dq.delete_outbox_file(session=session, file_id=int(step["file"]))
