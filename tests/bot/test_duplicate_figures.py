"""Exact duplicate figures, attacked with known truth: a transport that records what really
arrived. Eight answers are lost after the message arrived (a dropped connection, a 5xx), and
the dispatcher sends those eight again; two more are lost but found in the conversation
before a resend; three 5xx did not land and the conversation shows it. The outbox must say 8
may have arrived twice — not 7, not 13 — overall, per announcement, in `cohortbot
deliveries` and in `broadcast --report`."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from typer.testing import CliRunner

from bot import broadcasts as bc
from bot.clock import FrozenClock
from bot.delivery import Dispatcher, delivery_overview
from bot.notifier import OutgoingMessage, SendResult
from bot.settings import Settings
from cli import app
from storage.db import Database
from tests.utils.factories import create_class, create_cohort, create_person, enrol

PEOPLE = 30
LOST_THEN_RESENT = range(0, 8)  # arrived, answer lost, sent again: two copies
LOST_THEN_FOUND = range(8, 10)  # arrived, answer lost, found before a resend: one copy
FAILED_NOT_ARRIVED = range(10, 13)  # a 5xx that did not land; the history says so: one copy


@dataclass
class TruthfulSlack:
    """Records every copy that arrived; loses some answers; can look in the conversation."""

    targets: dict[str, int]  # Slack user id -> person index
    transport: str = "slack"
    arrived: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        self.calls[target] += 1
        i = self.targets[target]
        if self.calls[target] == 1 and i in FAILED_NOT_ARRIVED:
            return SendResult("retry", error="http_500", maybe_sent=True)
        self.arrived[target] += 1  # every other attempt lands
        if self.calls[target] == 1 and i in LOST_THEN_RESENT:
            if i % 2:
                return SendResult("retry", error="http_503", maybe_sent=True)
            return SendResult("retry", error="connection: ServerDisconnectedError", maybe_sent=True)
        if self.calls[target] == 1 and i in LOST_THEN_FOUND:
            return SendResult("retry", error="connection: TimeoutError", maybe_sent=True)
        return SendResult("sent", ref=f"{target}:{self.calls[target]}")

    async def find_sent(self, *, target: str, message: OutgoingMessage) -> SendResult | None:
        # The history the notifier can read: the LOST_THEN_FOUND copies are there, and for the
        # FAILED_NOT_ARRIVED it can tell nothing arrived; for the rest it cannot tell.
        i = self.targets[target]
        if i in LOST_THEN_FOUND and self.arrived[target]:
            return SendResult("sent", ref=f"{target}:found")
        if i in FAILED_NOT_ARRIVED:
            return SendResult("absent")
        return None


async def scenario(url: str, settings: Settings) -> tuple[int, TruthfulSlack]:
    db = Database(url)
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    try:
        async with db.transaction() as s:
            cohort = await create_cohort(s, key="2026h")
            klass = await create_class(s, cohort=cohort, key="bergen")
            for i in range(PEOPLE):
                p = await create_person(s, slack_user_id=f"U{i:03d}")
                await enrol(s, person=p, cohort=cohort, cls=klass)
            sent = await bc.send(
                s,
                settings,
                actor=None,
                audience=bc.Audience.parse("cohort:2026h"),
                text="Hei!",
                send_at=clock.now(),
                urgent=True,
            )
        assert sent.id is not None
        slack = TruthfulSlack({f"U{i:03d}": i for i in range(PEOPLE)})
        settings = settings.model_copy(update={"dispatch_backoff_seconds": 0.0})
        dispatcher = Dispatcher(
            db, {"slack": slack}, clock, None, settings, "t", rng=random.Random(1)
        )
        for _ in range(3):
            await dispatcher.tick()
        return sent.id, slack
    finally:
        await db.dispose()


async def test_the_outbox_counts_exactly_the_deliveries_that_may_have_arrived_twice(
    database_url: str, settings: Settings
) -> None:
    broadcast_id, slack = await scenario(database_url, settings)
    truth = sum(1 for n in slack.arrived.values() if n >= 2)
    assert truth == len(LOST_THEN_RESENT) == 8
    assert all(slack.arrived[f"U{i:03d}"] == 1 for i in LOST_THEN_FOUND)
    assert all(slack.arrived[f"U{i:03d}"] == 1 for i in FAILED_NOT_ARRIVED)
    assert sum(slack.arrived.values()) == PEOPLE + truth
    db = Database(database_url)
    try:
        async with db.session() as s:
            overview = await delivery_overview(s)
            report = await bc.delivery_report(s, broadcast_id)
    finally:
        await db.dispose()
    assert overview.counts == {"sent": PEOPLE}
    assert (overview.possibly_duplicated, overview.extra_copies) == (truth, truth)
    assert overview.duplicates_by_source[f"broadcast:{broadcast_id}"].deliveries == truth
    assert (report.maybe_twice, report.extra_copies, report.sent) == (truth, truth, PEOPLE)


def test_deliveries_and_broadcast_report_print_the_exact_figures(
    cli: CliRunner, database_url: str, settings: Settings
) -> None:
    broadcast_id, _ = asyncio.run(scenario(database_url, settings))
    shown = cli.invoke(app, ["deliveries"])
    assert shown.exit_code == 0, shown.output
    out = " ".join(shown.output.split())
    assert "8 deliveries may have arrived twice (at most 8 extra copies)" in out
    assert f"announcement {broadcast_id}: 8 may have arrived twice (at most 8 extra)" in out
    report = cli.invoke(app, ["broadcast", "--report", str(broadcast_id)])
    assert report.exit_code == 0, report.output
    out = " ".join(report.output.split())
    assert f"announcement {broadcast_id}: {PEOPLE} deliveries, {PEOPLE} sent, 0 failed" in out
    assert "may have arrived twice: 8 (at most 8 extra copies;" in out


async def test_a_crash_mid_send_then_a_transient_error_still_counts_as_maybe_twice(
    database_url: str, settings: Settings
) -> None:
    """The old count lost the takeover note when the resend first failed transiently."""
    from datetime import timedelta

    from storage.queries import deliveries as q
    from tests.utils.deliveries import ScriptedNotifier, by_target, enqueue_many

    db = Database(database_url)
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    settings = settings.model_copy(update={"dispatch_backoff_seconds": 0.0})
    lease = timedelta(seconds=settings.dispatch_lease_seconds)
    try:
        await enqueue_many(db, settings, count=2, send_at=clock.now())
        async with db.transaction() as s:
            [first, _] = await q.claim_due_deliveries(
                session=s,
                now=clock.now(),
                limit=1 + 1,
                claimed_by="dead",
                lease_until=clock.now() + lease,
            )
        async with db.transaction() as s:  # in flight when the process died
            await q.mark_in_flight(
                session=s,
                delivery_id=first.id,
                claimed_by="dead",
                now=clock.now(),
                lease_until=clock.now() + lease,
            )
        clock.advance(lease + timedelta(seconds=1))
        flaky = ScriptedNotifier(
            by_target({first.target: [SendResult("retry", error="http_429x")]})
        )
        d = Dispatcher(db, {"slack": flaky}, clock, None, settings, "t", rng=random.Random(1))
        await d.tick()
        await d.tick()
        assert flaky.sent_to(first.target) == 2
        async with db.session() as s:
            overview = await delivery_overview(s)
        assert overview.counts == {"sent": 2}
        # The dead process's attempt may have arrived; the resend did: one may have come twice.
        assert (overview.possibly_duplicated, overview.extra_copies) == (1, 1)
    finally:
        await db.dispose()
