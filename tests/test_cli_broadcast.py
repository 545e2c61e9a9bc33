"""`cohortbot broadcast` through Typer's test runner: preview, confirm, send, report."""

from __future__ import annotations

import asyncio

from sqlmodel import select
from typer.testing import CliRunner

from cli import app
from storage.db import Database
from storage.models import Delivery, DeliveryState
from tests.utils.factories import create_class, create_cohort, create_person, enrol


def seed(url: str) -> None:
    async def go() -> None:
        db = Database(url)
        async with db.transaction() as s:
            cohort = await create_cohort(s, key="2026h")
            klass = await create_class(s, cohort=cohort, key="bergen")
            for i, county in enumerate(["Vestland", "Vestland", "Troms"]):
                p = await create_person(s, slack_user_id=f"U{i}", county=county)
                await enrol(s, person=p, cohort=cohort, cls=klass)
        await db.dispose()

    asyncio.run(go())


def deliveries(url: str) -> list[Delivery]:
    async def go() -> list[Delivery]:
        db = Database(url)
        async with db.session() as s:
            rows = list((await s.exec(select(Delivery))).all())
        await db.dispose()
        return rows

    return asyncio.run(go())


def test_broadcast_to_a_filtered_cohort(cli: CliRunner, database_url: str) -> None:
    seed(database_url)
    args = ["broadcast", "--audience", "cohort:2026h", "--county", "Vestland", "--text", "Hei!"]
    declined = cli.invoke(app, args, input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "2 recipients (2 slack)" in declined.output and "not sent" in declined.output
    assert deliveries(database_url) == []

    sent = cli.invoke(app, [*args, "--urgent", "--yes", "--at", "2026-03-02 22:00"])
    assert sent.exit_code == 0, sent.output
    assert "announcement 1 queued for 2 recipients" in sent.output
    rows = deliveries(database_url)
    assert sorted(d.target for d in rows) == ["U0", "U1"] and all(d.urgent for d in rows)

    report = cli.invoke(app, ["broadcast", "--report", "1"])
    assert report.exit_code == 0, report.output
    assert "2 deliveries, 0 sent, 0 failed, 2 waiting" in report.output
    assert all(d.state == DeliveryState.PENDING for d in rows)


def test_broadcast_errors_are_one_line(cli: CliRunner, database_url: str) -> None:
    seed(database_url)
    bad = cli.invoke(app, ["broadcast", "--audience", "everyone", "--text", "x", "--yes"])
    assert bad.exit_code == 1 and "unknown audience" in bad.output
    unknown = cli.invoke(app, ["broadcast", "--audience", "cohort:1999v", "--text", "x", "--yes"])
    assert unknown.exit_code == 1 and "unknown cohort" in unknown.output
    when = cli.invoke(
        app, ["broadcast", "--audience", "cohort:2026h", "--text", "x", "--at", "tomorrow"]
    )
    assert when.exit_code == 1 and "expected 'YYYY-MM-DD HH:MM'" in when.output
    missing = cli.invoke(app, ["broadcast", "--report", "99"])
    assert missing.exit_code == 1 and "unknown announcement 99" in missing.output


def set_state(url: str, state: str) -> None:
    async def go() -> None:
        db = Database(url)
        async with db.transaction() as s:
            row = (await s.exec(select(Delivery).order_by(Delivery.id))).first()
            assert row is not None
            row.state = state
            s.add(row)
        await db.dispose()

    asyncio.run(go())


def test_scheduled_announcements_are_listed_changed_and_cancelled_until_they_start(
    cli: CliRunner, database_url: str
) -> None:
    seed(database_url)
    base = ["broadcast", "--audience", "cohort:2026h", "--text", "Hei!", "--yes"]
    assert cli.invoke(app, [*base, "--at", "2030-03-04 10:00"]).exit_code == 0
    listed = cli.invoke(app, ["broadcast", "--list"])
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.output.splitlines() if x.strip().startswith("1 "))
    assert "scheduled" in line and "2030-03-04 10:00" in line
    assert "DMs · slack 3 · email 0 · sent 0 · failed 0" in line

    changed = cli.invoke(
        app, ["broadcast", "--change", "1", "--at", "2030-03-05 09:30", "--text", "Ny tekst"]
    )
    assert changed.exit_code == 0, changed.output
    assert "2030-03-05 09:30" in changed.output
    rows = deliveries(database_url)
    assert {d.message["text"] for d in rows} == {"Ny tekst"}
    assert {d.send_at.strftime("%H:%M") for d in rows} == {"08:30"}  # 09:30 in Oslo, winter
    past = cli.invoke(app, ["broadcast", "--change", "1", "--at", "2020-01-01 09:00"])
    assert past.exit_code == 1 and "nothing changed" in past.output
    nothing = cli.invoke(app, ["broadcast", "--change", "1"])
    assert nothing.exit_code == 1 and "needs --text or --at" in nothing.output

    cancelled = cli.invoke(app, ["broadcast", "--cancel", "1"])
    assert cancelled.exit_code == 0, cancelled.output
    assert "announcement 1 cancelled: 3 deliveries stopped" in cancelled.output
    assert {d.state for d in deliveries(database_url)} == {DeliveryState.CANCELLED}
    again = cli.invoke(app, ["broadcast", "--cancel", "1"])
    assert again.exit_code == 1 and "cancelled already; nothing changed" in again.output
    assert "cancelled" in cli.invoke(app, ["broadcast", "--list"]).output
    unknown = cli.invoke(app, ["broadcast", "--cancel", "99"])
    assert unknown.exit_code == 1 and "unknown announcement 99" in unknown.output


def test_an_announcement_that_has_started_can_no_longer_be_cancelled_or_changed(
    cli: CliRunner, database_url: str
) -> None:
    seed(database_url)
    args = ["broadcast", "--audience", "cohort:2026h", "--text", "Hei!", "--yes"]
    assert cli.invoke(app, [*args, "--at", "2030-03-04 10:00"]).exit_code == 0
    set_state(database_url, DeliveryState.SENT)
    refused = cli.invoke(app, ["broadcast", "--cancel", "1"])
    assert refused.exit_code == 1
    assert "has started going out (1 sent): it can no longer be cancelled" in refused.output
    changed = cli.invoke(app, ["broadcast", "--change", "1", "--text", "x"])
    assert changed.exit_code == 1 and "can no longer be changed" in changed.output
    states = sorted(d.state for d in deliveries(database_url))
    assert states == [DeliveryState.PENDING, DeliveryState.PENDING, DeliveryState.SENT]
    assert "sending" in cli.invoke(app, ["broadcast", "--list"]).output


def test_preview_says_audience_where_when_and_who_cannot_be_reached_without_smtp(
    cli: CliRunner, database_url: str
) -> None:
    from storage.models import LineManagerLink

    async def go() -> None:
        db = Database(database_url)
        async with db.transaction() as s:
            cohort = await create_cohort(s, key="2026h", name="Kull 2026 høst")
            klass = await create_class(s, cohort=cohort, key="bergen", name="Bergen")
            for i in range(3):
                p = await create_person(s, slack_user_id=f"U{i}")
                await enrol(s, person=p, cohort=cohort, cls=klass)
                m = await create_person(
                    s, email=f"leder{i}@kommune.no", slack_user_id="UM0" if i == 0 else None
                )
                s.add(LineManagerLink(participant_id=p.id, manager_id=m.id, cohort_id=cohort.id))
        await db.dispose()

    asyncio.run(go())
    args = ["broadcast", "--audience", "line_managers:2026h", "--text", "Hei!"]
    shown = cli.invoke(app, [*args, "--at", "2030-03-04 10:00"], input="n\n")
    assert shown.exit_code == 0, shown.output
    out = " ".join(shown.output.split())
    assert "Audience: Line managers – Kull 2026 høst" in out
    assert "Where: a direct message to each person (email to managers not on Slack)" in out
    assert "When: Monday 4 March at 10:00" in out
    assert "How many: 3 – by Slack: 1 · by email: 2 · can't be reached: 2" in out
    assert "Email is not configured (SMTP_URL): the 2 by email can't be reached now" in out
