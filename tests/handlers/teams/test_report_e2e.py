"""`rapport` in Teams: the annual report rendered in the background and sent as a download
link, served by GET /files/{token}; over real HTTP against the local connector."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from sqlmodel import select

from handlers.teams.report import wait_for_reports
from storage.models import AuditEvent, ReportDownload
from tests.handlers.teams.conftest import TeamsWorld, card_actions, card_of, card_text
from tests.utils.assignments import build_programme


async def _say(world: TeamsWorld, user: str, chat: str, text: str) -> list[dict]:
    before = len(world.connector.state.sent_to(chat))
    body = world.activity("message", user=user, conversation=chat, text=text)
    assert (await world.post(body))[0] in (200, 202)
    await wait_for_reports()
    return [card_of(r) for r in world.connector.state.sent_to(chat)[before:]]


async def test_staff_get_the_report_as_a_link_that_downloads_it(teams_world: TeamsWorld) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        await build_programme(session)
    chat = await world.install("stab", "staff@lederutdanning.no", "Stab")
    preparing, ready = await _say(world, "stab", chat, "rapport 2026 xlsx")
    assert "Lager årsrapporten for 2026 (XLSX)" in card_text(preparing)
    assert "Årsrapporten for 2026 er klar (XLSX" in card_text(ready)
    [link] = [a["url"] for a in card_actions(ready) if a["type"] == "Action.OpenUrl"]
    assert link.startswith(world.runtime.settings.base_url.rstrip("/") + "/files/")
    path = urlsplit(link).path
    async with world.http.get(world.bot_url + path) as response:
        assert response.status == 200
        body = await response.read()
        assert body[:2] == b"PK"  # an XLSX (a zip)
        assert 'filename="arsrapport-2026.xlsx"' in response.headers["Content-Disposition"]
        assert response.headers["Cache-Control"] == "no-store"
    async with world.runtime.db.session() as session:
        rows = (await session.exec(select(ReportDownload))).all()  # type: ignore[call-overload]
        actions = [
            e.action
            for e in (await session.exec(select(AuditEvent))).all()  # type: ignore[call-overload]
        ]
    # The database holds only the token's hash: the link's token is nowhere in it.
    token = path.rsplit("/", 1)[1]
    assert len(rows) == 1 and rows[0].token_hash != token and len(token) >= 40
    assert token not in rows[0].token_hash
    assert actions.count("report.annual") == 1 and actions.count("report.download") == 1
    # A guessed or edited link is unknown; the real one expires after a day.
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 300, ""):
        async with world.http.get(f"{world.bot_url}/files/{bad}") as response:
            assert response.status == 404
            if bad:
                assert "Fant ikke filen" in await response.text()
    world.runtime.clock.advance(timedelta(hours=24, seconds=1))  # type: ignore[attr-defined]
    async with world.http.get(world.bot_url + path) as response:
        assert response.status == 410
        text = await response.text()
        assert "Lenken er utløpt" in text and "The link has expired" in text
    async with world.runtime.db.session() as session:
        assert (await session.exec(select(ReportDownload))).all() == []  # type: ignore[call-overload]


async def test_report_in_english_defaults_to_html_and_participants_are_refused(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        await build_programme(session)
    chat = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    [refused] = await _say(world, "per", chat, "rapport")
    assert "Årsrapport" not in card_text(refused)
    async with world.runtime.db.session() as session:
        assert (await session.exec(select(ReportDownload))).all() == []  # type: ignore[call-overload]
    staff = await world.install("stab", "staff@lederutdanning.no", "Stab")
    preparing, ready = await _say(world, "stab", staff, "report 2025")
    del preparing
    [link] = [a["url"] for a in card_actions(ready) if a["type"] == "Action.OpenUrl"]
    async with world.http.get(world.bot_url + urlsplit(link).path) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        assert "arsrapport-2025.html" in response.headers["Content-Disposition"]


async def test_stopping_the_bot_lets_a_report_being_made_reach_staff(
    teams_world: TeamsWorld,
) -> None:
    from app import finish_teams_reports

    world = teams_world
    async with world.runtime.db.transaction() as session:
        await build_programme(session)
    chat = await world.install("stab", "staff@lederutdanning.no", "Stab")
    before = len(world.connector.state.sent_to(chat))
    body = world.activity("message", user="stab", conversation=chat, text="rapport 2026 csv")
    assert (await world.post(body))[0] in (200, 202)
    await finish_teams_reports()  # what the bot's shutdown does before closing its session
    texts = [card_text(card_of(r)) for r in world.connector.state.sent_to(chat)[before:]]
    assert len(texts) == 2 and "Årsrapporten for 2026 er klar (CSV" in texts[1]
