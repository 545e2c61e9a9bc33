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
