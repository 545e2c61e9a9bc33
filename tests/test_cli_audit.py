"""The audit log: every surface that shows staff a list of people leaves an entry, and
`cohortbot audit [--person EMAIL] [--since DATE]` reads it (a real process, a real database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.networks import search_directory
from bot.people import Actor
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.slack.home.deliveries import deliveries_section
from storage.db import Database
from storage.migrate import upgrade
from storage.models import AuditEvent, Delivery, Person
from tests.test_cli_run import run_cli

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def _seed(db: Database) -> None:
    async with db.transaction() as session:
        session.add(Person(id=1, email="kari@example.no", name="Kari Nordmann"))
        session.add(Person(id=2, email="ola@example.no", name="Ola Nordmann"))
        session.add(Person(id=3, email="staff@example.no", name="Stina Stab", is_staff=True))
    async with db.transaction() as session:
        session.add(
            Delivery(
                dedupe_key="nudge:1:1",
                transport="slack",
                kind="nudge",
                target="U1",
                person_id=1,
                send_at=NOW,
                state="failed",
                error="user_not_found",
                attempts=1,
            )
        )


async def _entries(db: Database) -> list[AuditEvent]:
    async with db.session() as s:
        return list((await s.exec(select(AuditEvent).order_by(AuditEvent.id))).all())


def test_deliveries_on_the_command_line_are_audited_and_the_log_reads_back(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    db = Database(url)
    asyncio.run(_seed(db))
    env = {"DATABASE_URL": url}
    shown = run_cli(["deliveries"], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Kari Nordmann" in shown.stdout
    about_kari = run_cli(["audit", "--person", "KARI@example.no"], env, tmp_path)
    assert about_kari.returncode == 0, about_kari.stderr
    assert "deliveries.view" in about_kari.stdout and "cli:deliveries" in about_kari.stdout
    about_ola = run_cli(["audit", "--person", "ola@example.no"], env, tmp_path)
    assert "no audit entries for that person" in about_ola.stdout
    # Reading the log is in the log too; a later --since leaves the older entries out.
    everything = run_cli(["audit"], env, tmp_path)
    assert "audit.read" in everything.stdout and "deliveries.view" in everything.stdout
    future = run_cli(["audit", "--since", "2099-01-01"], env, tmp_path)
    assert "no audit entries." in future.stdout
    limited = run_cli(["audit", "--limit", "1"], env, tmp_path)
    assert "and 4 more (--limit 5 shows them all)" in limited.stdout

    async def check() -> None:
        entries = await _entries(db)
        views = [e for e in entries if e.action == "deliveries.view"]
        assert [(e.actor, e.detail["person_ids"]) for e in views] == [("cli", [1])]
        await db.dispose()

    asyncio.run(check())


def test_bad_audit_arguments_get_a_clear_message_and_change_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    db = Database(url)
    asyncio.run(_seed(db))
    env = {"DATABASE_URL": url}
    bad_date = run_cli(["audit", "--since", "1. mars"], env, tmp_path)
    assert bad_date.returncode == 2 and "--since wants a date like 2026-03-01" in bad_date.stdout
    nobody = run_cli(["audit", "--person", "nobody@example.no"], env, tmp_path)
    assert nobody.returncode == 1 and "nobody with the email" in nobody.stdout

    async def check() -> None:
        assert await _entries(db) == []
        await db.dispose()

    asyncio.run(check())


async def test_staff_home_deliveries_and_directory_search_are_audited(
    db: Database, settings: Settings
) -> None:
    await _seed(db)
    async with db.transaction() as s:
        kari = await s.get(Person, 1)
        staff = await s.get(Person, 3)
        assert kari is not None and staff is not None
        kari.findable = True
        kari.municipality = "Ålesund"
    runtime = Runtime(settings=settings, db=db)
    actor = Actor(slack_user_id="USTAFF", person=staff, roles=frozenset({"staff"}))
    blocks = await deliveries_section(runtime, actor)
    assert "Kari Nordmann" in str(blocks)
    async with db.transaction() as s:
        found = await search_directory(s, "ålesund", actor)
    assert [p.name for p in found] == ["Kari Nordmann"]
    entries = await _entries(db)
    assert [(e.action, e.actor_id, e.subject, e.detail["person_ids"]) for e in entries] == [
        ("deliveries.view", 3, "slack:home", [1]),
        ("directory.search", 3, None, [1]),
    ]
    # Nobody shown, nothing to audit.
    async with db.transaction() as s:
        assert await search_directory(s, "Tromsø", actor) == []
    assert len(await _entries(db)) == 2


async def test_manager_and_staff_list_reads_name_the_people_shown_so_audit_person_finds_them(
    db: Database, settings: Settings
) -> None:
    """Issue 12: `/cohort managers`, its follow-up view, the silent managers and every staff
    list page keep the ids of the people shown; `audit --person` (read_log) finds each."""
    from datetime import timedelta

    from bot import audit
    from bot.home import read_open_risk_cases
    from bot.line_managers import followup_overview, involvement_overview
    from bot.staff_lists import read_page
    from storage.models import NudgeAnswer, RiskCase
    from tests.utils.assignments import add_nudge, build_programme

    async with db.transaction() as s:
        w = await build_programme(s)
        nudge = await add_nudge(s, w.cohort, send_at=NOW - timedelta(days=10))
        s.add(
            NudgeAnswer(
                nudge_id=nudge.id,
                participant_id=w.per.id,
                manager_id=w.erik.id,
                sent_at=NOW - timedelta(days=10),
                escalated_at=NOW - timedelta(days=2),
            )
        )
        s.add(RiskCase(person_id=w.ola.id, cohort_id=w.cohort.id, week="2026-W10", reasons=[]))
        s.add(
            Delivery(
                dedupe_key="x:1",
                transport="email",
                kind="nudge",
                target="kari@bergen.kommune.no",
                person_id=w.kari.id,
                send_at=NOW,
                state="failed",
                error="550",
                attempts=1,
            )
        )
    staff = w.staff.id
    async with db.transaction() as s:
        assert await followup_overview(s, staff_person_id=staff, now=NOW, settings=settings)
        assert await involvement_overview(s, staff_person_id=staff)
        for kind, arg in (("managers", str(w.cohort.id)), ("risk", ""), ("failures", "")):
            page = await read_page(
                s,
                kind=kind,
                arg=arg,
                page=0,
                locale="nb",
                settings=settings,
                now=NOW,
                staff_id=staff,
            )
            assert page.items, kind
        assert (await read_open_risk_cases(s, staff_id=staff)).cases

    async def actions_about(person_id: int) -> list[tuple[str, str | None]]:
        async with db.session() as s:
            lines, _ = await audit.read_log(s, person_id=person_id)
        return sorted((line.action, line.subject) for line in lines)

    cohort = f"cohort:{w.cohort.id}"
    shown_together = [
        ("nudges.followup_read", cohort),
        ("nudges.silent_read", cohort),
        ("staff_list.read", f"managers:{w.cohort.id}"),
    ]
    assert await actions_about(w.erik.id) == shown_together
    assert await actions_about(w.per.id) == shown_together
    risk = await actions_about(w.ola.id)
    assert risk == [("home.risk_cases.view", "week:2026-W10"), ("staff_list.read", "risk")]
    assert await actions_about(w.kari.id) == [("staff_list.read", "failures")]
    assert await actions_about(w.siri.id) == []  # shown nowhere
