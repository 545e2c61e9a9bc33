"""Answer links through the bot's real HTTP app: GET shows, only the page's POST records;
400 tampered, 410 expired."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from app import build_runtime, create_web_app
from bot.clock import FrozenClock
from bot.planner import plan_deliveries
from bot.settings import Settings
from storage.models import NudgeAnswer
from tests.utils.assignments import add_nudge, build_programme, deliveries, message_of, oslo

SEND = oslo(2026, 8, 24, 9, 0)


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[tuple[TestClient, FrozenClock, object]]:
    clock = FrozenClock(SEND)
    runtime = build_runtime(settings, clock=clock)
    async with runtime.db.transaction() as session:
        p = await build_programme(session)
        await add_nudge(session, p.cohort, send_at=SEND)
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=SEND - timedelta(days=1)
        )
    async with TestClient(TestServer(create_web_app(runtime, None))) as client:
        yield client, clock, (runtime, p)
    await runtime.db.dispose()


async def _erik_links(runtime) -> dict[str, str]:  # type: ignore[no-untyped-def]
    rows = await deliveries(runtime.db, "nudge:")
    erik = next(d for d in rows.values() if d.transport == "email")
    buttons = [b for s in message_of(erik).sections for b in s.buttons]
    return {b.value.split(":")[1]: b.url.removeprefix("http://127.0.0.1:3000") for b in buttons}


def _form(body: str) -> dict[str, str]:
    """The hidden fields of the answer page's form."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', body))


async def _answers_on_record(runtime) -> list[str | None]:  # type: ignore[no-untyped-def]
    async with runtime.db.session() as session:
        rows = (await session.execute(select(NudgeAnswer))).scalars().all()
    return [r.answer for r in rows]


async def test_opening_a_link_shows_the_question_and_records_nothing(world) -> None:  # type: ignore[no-untyped-def]
    client, _, (runtime, _p) = world
    links = await _erik_links(runtime)
    for url in links.values():
        for _ in range(2):
            resp = await client.get(url)
            body = await resp.text()
            assert resp.status == 200 and "Per Olsen" in body and 'method="post"' in body
            assert resp.headers["Cache-Control"] == "no-store"
            assert (await client.head(url)).status == 200
            assert (await client.options(url)).status == 405
    assert set(await _answers_on_record(runtime)) == {None}


async def test_the_pages_button_records_once_and_replays_show_the_same(world) -> None:  # type: ignore[no-untyped-def]
    client, clock, (runtime, p) = world
    links = await _erik_links(runtime)
    page = await (await client.get(links["done"])).text()
    assert page.index('value="done"') < page.index('value="cannot"')  # the clicked one first
    form = _form(page)
    first = await client.post(links["done"], data={**form, "answer": "done"})
    body = await first.text()
    assert first.status == 200
    assert '<html lang="nb">' in body and "Takk for svaret" in body and "Per Olsen" in body
    clock.advance(timedelta(hours=1))
    again = await client.post(links["done"], data={**form, "answer": "done"})
    assert again.status == 200 and "allerede registrert" in await again.text()
    async with runtime.db.session() as session:
        row = (
            await session.execute(select(NudgeAnswer).where(NudgeAnswer.participant_id == p.per.id))
        ).scalar_one()
    assert (row.answer, row.answered_via, row.answered_at) == ("done", "email", SEND)


async def test_a_post_without_the_pages_proof_records_nothing(world) -> None:  # type: ignore[no-untyped-def]
    client, _, (runtime, _p) = world
    links = await _erik_links(runtime)
    other_link = _form(await (await client.get(links["cannot"])).text())
    forged = [
        {"answer": "done"},
        {"answer": "done", "nonce": "abc", "proof": "abc"},
        {**other_link, "answer": "done"},  # the proof of another link's page
        {**_form(await (await client.get(links["done"])).text()), "answer": "maybe"},
    ]
    for data in forged:
        resp = await client.post(links["done"], data=data)
        assert resp.status == 400, data
    cross = _form(await (await client.get(links["done"])).text())
    resp = await client.post(
        links["done"], data={**cross, "answer": "done"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert resp.status == 403
    assert set(await _answers_on_record(runtime)) == {None}


async def test_a_tampered_link_gets_400_and_changes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    client, _, (runtime, _p) = world
    links = await _erik_links(runtime)
    token = links["done"].removeprefix("/r/")
    payload, signature = token.split(".")
    for bad in (f"{payload}.{signature[:-3]}abc", f"{payload[:-2]}xx.{signature}", "nonsense"):
        resp = await client.get(f"/r/{bad}")
        text = await resp.text()
        assert resp.status == 400
        assert "Lenken virker ikke" in text and "This link does not work" in text
    async with runtime.db.session() as session:
        rows = (await session.execute(select(NudgeAnswer))).scalars().all()
    assert all(r.answer is None for r in rows)


async def test_an_expired_link_gets_410_in_the_managers_language(world) -> None:  # type: ignore[no-untyped-def]
    client, clock, (runtime, _p) = world
    links = await _erik_links(runtime)
    clock.advance(timedelta(days=31))
    resp = await client.get(links["done"])
    text = await resp.text()
    assert resp.status == 410
    assert re.search(r'<html lang="nb">', text) and "Lenken er utløpt" in text
    async with runtime.db.session() as session:
        rows = (await session.execute(select(NudgeAnswer))).scalars().all()
    assert all(r.answer is None for r in rows)


async def test_links_signed_before_a_key_rotation_work_until_they_expire(world) -> None:  # type: ignore[no-untyped-def]
    """The old key in COHORTBOT_SECRET_KEY_PREVIOUS: a mailed link and a page rendered before
    the rotation still record; the same link after its expiry gets 410; without the previous
    key it is 400 and records nothing."""
    _, clock, (runtime, p) = world
    links = await _erik_links(runtime)  # signed with the old key
    old_page = _form(await (await world[0].get(links["later"])).text())  # rendered before
    new_key = "rotated-secret-key-9876543210fedcba"
    rotated = runtime.settings.model_copy(
        update={"secret_key": new_key, "secret_key_previous": runtime.settings.secret_key}
    )
    forgotten = runtime.settings.model_copy(update={"secret_key": new_key})
    for settings, expect in ((forgotten, 400), (rotated, 200)):
        after = build_runtime(settings, clock=clock)
        async with TestClient(TestServer(create_web_app(after, None))) as client:
            shown = await client.get(links["done"])
            assert shown.status == expect
            if expect == 400:
                assert set(await _answers_on_record(runtime)) == {None}
                continue
            form = _form(await shown.text())
            resp = await client.post(links["done"], data={**form, "answer": "done"})
            assert resp.status == 200 and "Takk for svaret" in await resp.text()
            stale = await client.post(links["later"], data={**old_page, "answer": "later"})
            assert stale.status == 200  # the page's proof was made with the old key
            clock.advance(timedelta(days=31))
            assert (await client.get(links["done"])).status == 410
        await after.db.dispose()
    async with runtime.db.session() as session:
        row = (
            await session.execute(select(NudgeAnswer).where(NudgeAnswer.participant_id == p.per.id))
        ).scalar_one()
    assert row.answer == "later"
