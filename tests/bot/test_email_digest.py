"""The daily email digest keeps the outbox's promises when two dispatchers race for it.

Two dispatchers (two processes' worth: their own claim tokens) tick at once over the same
outbox on this pass's database (PostgreSQL: `FOR UPDATE SKIP LOCKED`): every part goes out
exactly once, in some email, and every delivery ends sent.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.clock import FrozenClock
from bot.delivery import Dispatcher, schedule
from bot.email_digest import combine, day_end
from bot.notifier import Button, OutgoingMessage, RecordingNotifier, Section
from bot.settings import Settings
from storage.db import Database
from tests.utils.deliveries import all_deliveries

DAY = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # Wednesday 09:00 in Oslo
KINDS = ("assignment_reminder", "announcement", "pulse_invite", "pulse_reminder")


def _keys(notifier: RecordingNotifier) -> list[str]:
    out: list[str] = []
    for _target, message in notifier.sent:
        out += message.meta.get("digest") or [message.meta["delivery_key"]]
    return out


async def test_two_dispatchers_racing_send_every_part_once(
    db: Database, settings: Settings
) -> None:
    settings = settings.model_copy(update={"dispatch_batch": 3, "dispatch_concurrency": 2})
    async with db.transaction() as s:
        for person in range(6):
            for n in range(5):
                await schedule(
                    s,
                    key=f"p{person}:m{n}",
                    transport="email",
                    kind=KINDS[n % len(KINDS)],
                    target=f"person{person}@example.no",
                    message=OutgoingMessage(text=f"m{n}", title=f"Melding {n}"),
                    send_at=DAY + timedelta(hours=n),
                    audience="participant",
                    settings=settings,
                    now=DAY - timedelta(days=1),
                )
    clock = FrozenClock(DAY)
    one, two = RecordingNotifier("email"), RecordingNotifier("email")
    first = Dispatcher(db, {"email": one}, clock, settings=settings, process_id="a")
    second = Dispatcher(db, {"email": two}, clock, settings=settings, process_id="b")
    await asyncio.gather(first.tick(), second.tick(), first.tick(), second.tick())
    sent = Counter(_keys(one) + _keys(two))
    assert set(sent) == {f"p{p}:m{n}" for p in range(6) for n in range(5)}
    assert max(sent.values()) == 1  # nothing twice
    rows = await all_deliveries(db)
    assert {r.state for r in rows} == {"sent"} and len(rows) == 30
    # Most people got one email for the day: only a part held by the other dispatcher at the
    # moment of claiming goes in a second one.
    emails = Counter(target for target, _ in one.sent + two.sent)
    assert sum(emails.values()) < 30 and all(n <= 3 for n in emails.values())


def test_combine_keeps_every_part_and_its_buttons_in_order() -> None:
    parts = [
        OutgoingMessage(
            text="Påminnelse",
            title="Oppgave 2",
            sections=(Section(text="Frist fredag"),),
            meta={"delivery_key": "a"},
        ),
        OutgoingMessage(
            text="Puls",
            title="Etter samling 2",
            sections=(
                Section(text="Hvor nyttig?", buttons=(Button("x", "4", url="cohortbot-link:p"),)),
            ),
            context="Du kan endre svaret.",
            meta={"delivery_key": "b"},
        ),
    ]
    combined = combine(parts, day=DAY.date())
    texts = [s.text for s in combined.sections]
    assert texts[0] == "Her er 2 meldinger til deg i én e-post."
    assert texts[1].startswith("Melding 1 av 2") and "Oppgave 2" in texts[1]
    assert texts.index("Frist fredag") < texts.index("Hvor nyttig?")
    assert combined.sections[texts.index("Hvor nyttig?")].buttons[0].url == "cohortbot-link:p"
    assert "Du kan endre svaret." in texts
    assert combined.subject == "2 meldinger fra lederutdanningen – onsdag 4. mars"
    assert combined.meta["digest"] == ["a", "b"]
    assert combine(parts[:1], day=DAY.date()) is parts[0]


def test_the_local_day_ends_at_local_midnight_across_dst() -> None:
    # Sunday 29 March 2026: Oslo moves to summer time; the day is 23 hours long.
    end = day_end(datetime(2026, 3, 29, 10, 0, tzinfo=UTC), "Europe/Oslo")
    assert end.astimezone(UTC) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    end = day_end(datetime(2026, 3, 28, 22, 30, tzinfo=UTC), "Europe/Oslo")  # 23:30 Saturday
    assert end.astimezone(UTC) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
