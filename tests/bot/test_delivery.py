"""The outbox and the dispatcher: dedupe, timing, outcomes, pauses, leases, concurrency."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FrozenClock
from bot.delivery import Dispatcher, cancel, delivery_overview, resume_sending, schedule
from bot.notifier import OutgoingMessage, RecordingNotifier, SendResult
from bot.settings import Settings
from bot.text import plain
from storage.db import Database
from storage.models import DeliveryState, Person
from storage.queries import deliveries as q
from tests.utils.deliveries import (
    ScriptedNotifier,
    all_deliveries,
    by_target,
    enqueue_many,
    message,
)
from tests.utils.factories import create_person

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 Oslo


def dispatcher(
    db: Database, settings: Settings, clock: FrozenClock, **notifiers: object
) -> Dispatcher:
    return Dispatcher(
        db,
        notifiers or {"slack": RecordingNotifier()},  # type: ignore[arg-type]
        clock,
        None,
        settings,
        "test",
        rng=random.Random(1),
    )


async def test_same_key_enqueues_once(db: Database, settings: Settings) -> None:
    async with db.transaction() as session:
        first = await schedule(
            session,
            key="pulse:41:invite:person:977",
            transport="slack",
            kind="pulse_invite",
            target="U977",
            message=message(),
            send_at=NOW,
            audience="participant",
            settings=settings,
        )
        second = await schedule(
            session,
            key="pulse:41:invite:person:977",
            transport="slack",
            kind="pulse_invite",
            target="U977",
            message=message("again"),
            send_at=NOW,
            audience="participant",
            settings=settings,
        )
    assert (first, second) == (True, False)
    rows = await all_deliveries(db)
    assert len(rows) == 1 and rows[0].message["text"] == "Hei!"


async def test_replace_pending_updates_only_unsent(db: Database, settings: Settings) -> None:
    async def put(text: str, when: datetime) -> bool:
        async with db.transaction() as session:
            return await schedule(
                session,
                key="assignment:1:post",
                transport="slack",
                kind="assignment_post",
                target="C1",
                message=message(text),
                send_at=when,
                audience="channel",
                settings=settings,
                replace_pending=True,
            )

    await put("v1", NOW + timedelta(days=1))
    await put("v2", NOW + timedelta(days=2))
    [row] = await all_deliveries(db)
    assert row.message["text"] == "v2" and row.send_at == NOW + timedelta(days=2)
    async with db.transaction() as session:
        await cancel(session, key_prefix="assignment:1:")
    assert await put("v3", NOW) is False  # cancelled: left alone
    [row] = await all_deliveries(db)
    assert row.state == DeliveryState.CANCELLED and row.message["text"] == "v2"


async def test_schedule_moves_out_of_quiet_hours(db: Database, settings: Settings) -> None:
    late = datetime(2026, 5, 16, 21, 30, tzinfo=UTC)  # Saturday 23:30, then 17 May
    async with db.transaction() as session:
        for audience, urgent in (("participant", False), ("line_manager", False), ("staff", True)):
            await schedule(
                session,
                key=f"k:{audience}",
                transport="slack",
                kind="nudge",
                target="U1",
                message=message(),
                send_at=late,
                audience=audience,
                settings=settings,
                urgent=urgent,
            )
    rows = {r.dedupe_key: r.send_at for r in await all_deliveries(db)}
    assert rows["k:participant"] == datetime(2026, 5, 18, 6, 0, tzinfo=UTC)  # Mon 08:00 CEST
    assert rows["k:line_manager"] == datetime(2026, 5, 18, 6, 0, tzinfo=UTC)
    assert rows["k:staff"] == late


async def test_tick_sends_due_only(db: Database, settings: Settings, clock: FrozenClock) -> None:
    await enqueue_many(db, settings, count=3, send_at=clock.now())
    await enqueue_many(
        db, settings, count=2, send_at=clock.now() + timedelta(hours=1), prefix="later"
    )
    notifier = RecordingNotifier()
    stats = await dispatcher(db, settings, clock, slack=notifier).tick()
    assert stats.sent == 3 and len(notifier.sent) == 3
    states = Counter(r.state for r in await all_deliveries(db))
    assert states == {DeliveryState.SENT: 3, DeliveryState.PENDING: 2}
    assert (await dispatcher(db, settings, clock, slack=notifier).tick()).claimed == 0
    clock.advance(timedelta(hours=1))
    assert (await dispatcher(db, settings, clock, slack=notifier).tick()).sent == 2
    sent = [r for r in await all_deliveries(db) if r.state == DeliveryState.SENT]
    assert all(r.sent_at is not None and r.result_ref and r.attempts == 1 for r in sent)


async def test_many_batches_in_one_tick(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(update={"dispatch_batch": 7, "dispatch_concurrency": 3})
    await enqueue_many(db, settings, count=50, send_at=clock.now())
    notifier = RecordingNotifier()
    stats = await dispatcher(db, settings, clock, slack=notifier).tick()
    assert stats.sent == 50 and stats.batches == 8
    assert Counter(t for t, _ in notifier.sent).most_common(1)[0][1] == 1


async def test_cancelled_deliveries_are_not_sent(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    async with db.transaction() as session:
        session.add(Person(id=977, email="kari@example.no", name="Kari Nordmann"))
    async with db.transaction() as session:
        for kind in ("assignment_reminder", "assignment_post"):
            await schedule(
                session,
                key=f"assignment:12:{kind}:977",
                transport="slack",
                kind=kind,
                target="U977",
                message=message(),
                send_at=clock.now(),
                audience="participant",
                settings=settings,
                person_id=977,
                source="assignment:12",
            )
    async with db.transaction() as session:
        n = await cancel(
            session, source="assignment:12", person_id=977, kinds=["assignment_reminder"]
        )
    assert n == 1
    notifier = RecordingNotifier()
    await dispatcher(db, settings, clock, slack=notifier).tick()
    assert [m.text for _, m in notifier.sent] == ["Hei!"]
    with pytest.raises(ValueError):
        async with db.transaction() as session:
            await cancel(session)


async def test_transient_error_retries_with_backoff(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    await enqueue_many(db, settings, count=1, send_at=clock.now())
    notifier = ScriptedNotifier(
        by_target({"U00000": [SendResult("retry", error="internal_error")]})
    )
    d = dispatcher(db, settings, clock, slack=notifier)
    stats = await d.tick()
    assert stats.retried == 1
    [row] = await all_deliveries(db)
    assert (
        row.state == DeliveryState.PENDING and row.attempts == 1 and row.error == "internal_error"
    )
    # first backoff: base 1 s with jitter 0.5–1.0
    assert row.retry_at is not None and row.send_at == clock.now()  # its place is kept
    assert (
        clock.now() + timedelta(seconds=0.5) <= row.retry_at <= clock.now() + timedelta(seconds=1)
    )
    assert (await d.tick()).claimed == 0  # not due yet
    clock.advance(timedelta(seconds=2))
    assert (await d.tick()).sent == 1
    [row] = await all_deliveries(db)
    assert row.state == DeliveryState.SENT and row.attempts == 2 and row.error is None


async def test_retry_after_is_honoured_and_not_counted(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    await enqueue_many(db, settings, count=1, send_at=clock.now())
    notifier = ScriptedNotifier(
        by_target({"U00000": [SendResult("retry", error="ratelimited", retry_after=30)]})
    )
    await dispatcher(db, settings, clock, slack=notifier).tick()
    [row] = await all_deliveries(db)
    assert row.retry_at == clock.now() + timedelta(seconds=30) and row.attempts == 0
    assert row.send_at == clock.now()  # its place in its target's chain is kept


async def test_gives_up_after_max_attempts(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(update={"dispatch_max_attempts": 3})
    await enqueue_many(db, settings, count=1, send_at=clock.now())
    notifier = ScriptedNotifier(lambda t, n: SendResult("retry", error="service_unavailable"))
    d = dispatcher(db, settings, clock, slack=notifier)
    for _ in range(5):
        await d.tick()
        clock.advance(timedelta(minutes=5))
    [row] = await all_deliveries(db)
    assert row.state == DeliveryState.FAILED and row.attempts == 3
    assert row.error == "gave up after 3 attempts: service_unavailable"
    assert len(notifier.calls) == 3


async def test_permanent_error_fails_at_once_and_shows_for_staff(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    async with db.transaction() as session:
        session.add(Person(id=5, email="ola@example.no", name="Ola Nordmann"))
    async with db.transaction() as session:
        await schedule(
            session,
            key="nudge:1:5",
            transport="slack",
            kind="nudge",
            target="U5",
            message=message(),
            send_at=clock.now(),
            audience="participant",
            settings=settings,
            person_id=5,
        )
    notifier = ScriptedNotifier(lambda t, n: SendResult("failed", error="user_not_found"))
    stats = await dispatcher(db, settings, clock, slack=notifier).tick()
    assert stats.failed == 1 and len(notifier.calls) == 1
    async with db.session() as session:
        overview = await delivery_overview(session)
    assert overview.counts == {"failed": 1}
    [failure] = overview.failures
    assert (failure.error, failure.person_name, failure.person_email) == (
        "user_not_found",
        "Ola Nordmann",
        "ola@example.no",
    )


async def test_email_without_smtp_is_held_not_failed(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    """Attacks "email that can't go is said, not queued to fail": no SMTP_URL, then SMTP."""
    assert settings.smtp_url is None
    await enqueue_many(
        db, settings, count=3, send_at=clock.now(), transport="email", target=lambda i: f"a{i}@b.no"
    )
    await enqueue_many(db, settings, count=2, send_at=clock.now(), prefix="slack")
    slack = RecordingNotifier()
    stats = await dispatcher(db, settings, clock, slack=slack).tick()
    assert stats.sent == 2 and stats.failed == 0 and len(slack.sent) == 2
    rows = [r for r in await all_deliveries(db) if r.transport == "email"]
    assert [(r.state, r.error, r.attempts) for r in rows] == [
        (DeliveryState.PENDING, "held: email not configured (set SMTP_URL)", 0)
    ] * 3
    async with db.session() as session:
        overview = await delivery_overview(session)
    assert overview.held == {"email": 3} and overview.counts == {"pending": 3, "sent": 2}
    # Email is configured (a restart with SMTP_URL): rows not yet due are no longer "held".
    later = clock.now() + timedelta(days=30)
    await enqueue_many(
        db,
        settings,
        count=1,
        send_at=later,
        transport="email",
        target=lambda i: "z@b.no",
        prefix="l",
    )
    # The held rows go, and the note with them.
    email = RecordingNotifier(transport="email")
    configured = settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1"})
    stats = await dispatcher(db, configured, clock, slack=slack, email=email).tick()
    assert stats.sent == 3 and sorted(t for t, _ in email.sent) == ["a0@b.no", "a1@b.no", "a2@b.no"]
    rows = [r for r in await all_deliveries(db) if r.transport == "email"]
    assert [(r.state, r.error) for r in rows] == [(DeliveryState.SENT, None)] * 3 + [
        (DeliveryState.PENDING, None)
    ]
    async with db.session() as session:
        assert (await delivery_overview(session)).held == {}


async def test_rows_queued_by_a_process_with_smtp_are_held_by_one_without(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    configured = settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1"})
    await enqueue_many(
        db, configured, count=2, send_at=clock.now(), transport="email", target=lambda i: "a@b.no"
    )
    assert [r.error for r in await all_deliveries(db)] == [None, None]
    await dispatcher(db, settings, clock, slack=RecordingNotifier()).tick()
    rows = await all_deliveries(db)
    assert {(r.state, r.error) for r in rows} == {
        (DeliveryState.PENDING, "held: email not configured (set SMTP_URL)")
    }


async def test_invalid_auth_pauses_sending_and_alerts_staff_by_email(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(
        update={"staff_emails": ("staff@example.no",), "dispatch_concurrency": 1}
    )
    await enqueue_many(db, settings, count=5, send_at=clock.now())
    slack = ScriptedNotifier(lambda t, n: SendResult("paused", error="invalid_auth"))
    email = RecordingNotifier(transport="email")
    d = dispatcher(db, settings, clock, slack=slack, email=email)
    await d.tick()
    assert len(slack.calls) == 1  # did not burn through the queue
    async with db.session() as session:
        overview = await delivery_overview(session)
    assert [p.transport for p in overview.pauses] == ["slack"]
    assert overview.counts == {"pending": 5, "sent": 1}  # nothing lost; the alert went out
    # the alert is urgent and due at once: the same tick sent it by email
    assert [t for t, _ in email.sent] == ["staff@example.no"]
    await d.tick()
    alert = email.sent[0][1]
    text = plain(alert.text)
    assert "er stanset: invalid_auth" in text and "is paused: invalid_auth" in text
    assert "cohortbot deliveries --resume slack" in alert.text
    assert len(slack.calls) == 1
    # a new token: staff resume, everything goes
    slack.script = lambda t, n: SendResult("sent", ref="ok")
    async with db.transaction() as session:
        assert await resume_sending(session, transport="slack")
    stats = await d.tick()
    assert stats.sent == 5


async def test_blocked_channel_is_deferred_while_others_flow(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    await enqueue_many(db, settings, count=6, send_at=clock.now(), target=lambda i: f"C{i % 3}")
    notifier = ScriptedNotifier(waits={"C1": 30.0})  # a 429 told us to wait 30 s on C1
    stats = await dispatcher(db, settings, clock, slack=notifier).tick()
    assert stats.sent == 4 and stats.deferred == 2
    assert sorted(set(notifier.calls)) == ["C0", "C2"]
    deferred = [r for r in await all_deliveries(db) if r.target == "C1"]
    assert all(r.state == DeliveryState.PENDING and r.attempts == 0 for r in deferred)
    assert all(r.retry_at == clock.now() + timedelta(seconds=30) for r in deferred)
    assert all(r.send_at == clock.now() for r in deferred)


async def test_expired_claim_is_taken_over_and_in_flight_ones_marked_uncertain(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    await enqueue_many(db, settings, count=3, send_at=clock.now())
    lease = timedelta(seconds=settings.dispatch_lease_seconds)
    # A dispatcher claims all three, starts sending one, and dies.
    async with db.transaction() as session:
        claimed = await q.claim_due_deliveries(
            session=session,
            now=clock.now(),
            limit=10,
            claimed_by="dead:1",
            lease_until=clock.now() + lease,
        )
    async with db.transaction() as session:
        assert await q.mark_in_flight(
            session=session,
            delivery_id=claimed[0].id,
            claimed_by="dead:1",
            now=clock.now(),
            lease_until=clock.now() + lease,
        )
    notifier = RecordingNotifier()
    d = dispatcher(db, settings, clock, slack=notifier)
    assert (await d.tick()).claimed == 0  # still leased
    clock.advance(lease + timedelta(seconds=1))
    stats = await d.tick()
    assert stats.sent == 3 and stats.resent_uncertain == 1
    async with db.session() as session:
        overview = await delivery_overview(session)
    assert overview.counts == {"sent": 3} and overview.possibly_duplicated == 1
    rows = await all_deliveries(db)
    assert rows[0].error and rows[0].error.startswith("uncertain: was in flight at dead:1")
    assert rows[1].error is None


async def test_a_stale_dispatcher_cannot_send_a_claim_taken_over(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    await enqueue_many(db, settings, count=1, send_at=clock.now())
    lease = timedelta(seconds=settings.dispatch_lease_seconds)
    async with db.transaction() as session:
        [old] = await q.claim_due_deliveries(
            session=session,
            now=clock.now(),
            limit=1,
            claimed_by="slow:1",
            lease_until=clock.now() + lease,
        )
    clock.advance(lease * 2)
    assert (await dispatcher(db, settings, clock).tick()).sent == 1
    async with db.transaction() as session:
        assert not await q.mark_in_flight(
            session=session,
            delivery_id=old.id,
            claimed_by="slow:1",
            now=clock.now(),
            lease_until=clock.now(),
        )


async def test_notifier_exception_is_a_retry(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    def boom(target: str, n: int) -> SendResult:
        raise ConnectionResetError

    await enqueue_many(db, settings, count=1, send_at=clock.now())
    stats = await dispatcher(db, settings, clock, slack=ScriptedNotifier(boom)).tick()
    assert stats.retried == 1
    [row] = await all_deliveries(db)
    assert row.state == DeliveryState.PENDING and "ConnectionResetError" in (row.error or "")


@pytest.mark.postgres
async def test_two_dispatchers_on_postgres_never_double_send(
    postgres_url: str, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={"database_url": postgres_url, "dispatch_batch": 25, "dispatch_concurrency": 8}
    )
    now = datetime.now(UTC)
    first, second = Database(postgres_url), Database(postgres_url)
    try:
        await enqueue_many(first, settings, count=600, send_at=now)
        calls: Counter[str] = Counter()

        class Counting:
            transport = "slack"

            async def send(self, *, target: str, message: object) -> SendResult:
                calls[target] += 1
                await asyncio.sleep(0)  # let the other dispatcher run in between
                return SendResult("sent", ref=target)

        clock = FrozenClock(now + timedelta(seconds=1))
        a = Dispatcher(first, {"slack": Counting()}, clock, None, settings, "a")  # type: ignore[dict-item]
        b = Dispatcher(second, {"slack": Counting()}, clock, None, settings, "b")  # type: ignore[dict-item]
        stats_a, stats_b = await asyncio.gather(a.tick(), b.tick())
        assert len(calls) == 600
        assert max(calls.values()) == 1
        assert stats_a.sent + stats_b.sent == 600
        assert stats_a.sent > 0 and stats_b.sent > 0  # both really took part
        async with first.session() as session:
            assert await q.count_deliveries_by_state(session=session) == {"sent": 600}
    finally:
        await first.dispose()
        await second.dispose()


async def test_an_ambiguous_attempt_that_arrived_is_not_resent(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    await enqueue_many(db, settings, count=2, send_at=clock.now())

    class Lossy(ScriptedNotifier):
        async def find_sent(self, *, target: str, message: object) -> SendResult | None:
            self.lookups.append(message.meta["delivery_key"])  # type: ignore[attr-defined]
            return SendResult("sent", ref="found") if target == "U00000" else None

    notifier = Lossy(
        lambda t, n: (
            SendResult("retry", error="connection: ServerDisconnectedError")
            if n == 1
            else SendResult("sent", ref="new")
        )
    )
    notifier.lookups = []  # type: ignore[attr-defined]
    d = dispatcher(db, settings, clock, slack=notifier)
    await d.tick()
    clock.advance(timedelta(minutes=1))
    await d.tick()
    refs = {r.target: r.result_ref for r in await all_deliveries(db)}
    assert refs == {"U00000": "found", "U00001": "new"}
    assert sorted(notifier.calls) == ["U00000", "U00001", "U00001"]  # U00000 not posted again
    assert sorted(notifier.lookups) == ["test:0", "test:1"]  # type: ignore[attr-defined]
    assert d.recovered == 1


async def test_a_lingering_tick_ends_when_only_paused_work_is_due(
    db: Database, settings: Settings
) -> None:
    class Ticking:
        """A clock that moves a millisecond each time it is read, like real time."""

        def __init__(self) -> None:
            self.clock = FrozenClock(NOW)

        def now(self) -> datetime:
            return self.clock.advance(timedelta(milliseconds=1))

    await enqueue_many(db, settings, count=5, send_at=NOW)
    slack = ScriptedNotifier(lambda t, n: SendResult("paused", error="token_revoked"))
    d = Dispatcher(db, {"slack": slack}, Ticking(), None, settings, "t", linger=True)
    stats = await asyncio.wait_for(d.tick(), timeout=30)
    assert stats.paused == 5 and len(slack.calls) <= settings.dispatch_concurrency
    assert (await asyncio.wait_for(d.tick(), timeout=30)).claimed == 0


async def test_staff_listed_only_in_the_setting_are_alerted_on_slack_when_email_pauses(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    """Staff are who the settings say: a listed, never-flagged staff member gets the alert."""
    settings = settings.model_copy(
        update={"staff_emails": ("anne@lu.no",), "smtp_url": "smtp://127.0.0.1:1"}
    )
    async with db.transaction() as session:
        await create_person(session, email="anne@lu.no", name="Anne", slack_user_id="UANNE")
    await enqueue_many(
        db, settings, count=1, send_at=clock.now(), transport="email", target=lambda i: "x@k.no"
    )
    email = ScriptedNotifier(lambda t, n: SendResult("paused", error="535 auth"), transport="email")
    slack = RecordingNotifier()
    await dispatcher(db, settings, clock, slack=slack, email=email).tick()
    assert [t for t, _ in slack.sent] == ["UANNE"]


async def test_outbox_stamps_are_the_callers_clock_not_the_wall_clock(
    db: Database, settings: Settings
) -> None:
    """A caller's `now` far from the wall clock must be what the rows' stamps say."""
    long_ago = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)
    later = long_ago + timedelta(hours=1)
    async with db.transaction() as session:
        for key in ("stamp:a", "stamp:b"):
            await schedule(
                session,
                key=key,
                transport="slack",
                kind="pulse_invite",
                target="U1",
                message=message(),
                send_at=NOW,
                audience="participant",
                settings=settings,
                urgent=True,
                now=long_ago,
            )
        await q.insert_deliveries(
            session=session,
            rows=[
                {
                    "dedupe_key": "stamp:c",
                    "transport": "slack",
                    "kind": "nudge",
                    "target": "U2",
                    "message": message().to_json(),
                    "send_at": NOW,
                    "person_id": None,
                    "source": None,
                    "urgent": False,
                    "error": None,
                }
            ],
            now=long_ago,
        )
        assert await cancel(session, key_prefix="stamp:b", reason="test", now=later) == 1
    rows = {d.dedupe_key: d for d in await all_deliveries(db)}

    def utc(value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    assert utc(rows["stamp:a"].created_at) == long_ago
    assert utc(rows["stamp:a"].updated_at) == long_ago
    assert utc(rows["stamp:b"].updated_at) == later
    assert utc(rows["stamp:c"].created_at) == long_ago


async def test_a_draining_tick_finishes_sends_in_flight_and_gives_back_the_rest(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    # A clean shutdown mid-tick: what is in flight is sent and recorded, what was claimed but
    # not begun is pending again at once (not stuck until its lease runs out), and the next
    # start sends it: nobody missed, nobody twice.
    await enqueue_many(db, settings, count=20, send_at=clock.now())
    started, release = asyncio.Event(), asyncio.Event()

    class HeldNotifier(RecordingNotifier):
        async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
            started.set()
            await release.wait()
            return await super().send(target=target, message=message)

    notifier = HeldNotifier("slack")
    two = settings.model_copy(update={"dispatch_concurrency": 2})
    first = Dispatcher(db, {"slack": notifier}, clock, None, two, "first")
    tick = asyncio.ensure_future(first.tick())
    await asyncio.wait_for(started.wait(), timeout=60)
    first.drain()
    release.set()
    await asyncio.wait_for(tick, timeout=60)
    rows = await all_deliveries(db)
    sent = [r for r in rows if r.state == DeliveryState.SENT]
    pending = [r for r in rows if r.state == DeliveryState.PENDING]
    assert 1 <= len(sent) <= 2 and len(sent) + len(pending) == 20
    assert all(r.claimed_by is None and r.lease_until is None for r in pending)

    await Dispatcher(db, {"slack": notifier}, clock, None, two, "second").tick()
    assert sorted(t for t, _ in notifier.sent) == sorted(f"U{i:05d}" for i in range(20))
