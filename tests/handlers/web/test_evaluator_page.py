"""The evaluator page over real HTTP: bad links get a clear page and change nothing, a mail
scanner's GETs change nothing, the page shows aggregates and nobody, and a proposal needs the
page's own form and records once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlmodel import SQLModel, func, select

from app import build_runtime, create_web_app
from bot.clock import FrozenClock
from bot.evaluator import issue_link
from bot.links import make_link
from bot.settings import Settings
from bot.text import MARKERS
from emulator.server import free_port
from storage.models import EvaluatorProposal
from tests.utils.evaluator import EVALUATOR, NOW, SECRET_NAMES, build_world, evaluator_settings

SCANNERS: list[dict[str, str]] = [
    {"User-Agent": "Mozilla/5.0 (compatible; SafeLinks scanner)"},
    {"Purpose": "prefetch", "Sec-Purpose": "prefetch"},
    {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site"},
]
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)> *fet* <!channel>"


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[tuple[Any, str, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = evaluator_settings(settings).model_copy(update={"base_url": base})
    runtime = build_runtime(settings, clock=FrozenClock(NOW))
    await build_world(runtime.db, settings)
    async with runtime.db.transaction() as s:
        link = await issue_link(s, email=EVALUATOR, settings=settings, now=NOW, actor="cli")
    runner = web.AppRunner(create_web_app(runtime, None))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield runtime, base, link.url
    finally:
        await runner.cleanup()
        await runtime.db.dispose()


async def _snapshot(runtime: Any) -> dict[str, int]:
    """Rows per table: any write anywhere shows."""
    out = {}
    async with runtime.db.session() as s:
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = int(
                (await s.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return out


async def _proposals(runtime: Any) -> list[EvaluatorProposal]:
    async with runtime.db.session() as s:
        return list((await s.execute(select(EvaluatorProposal))).scalars())


def _form(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))


async def test_a_bad_link_gets_a_clear_page_and_changes_nothing(site: Any) -> None:
    runtime, base, url = site
    token = url.rsplit("/", 1)[1]
    before = await _snapshot(runtime)
    nudge_link = make_link(
        base_url=base,
        key=runtime.settings.signing_key,
        nudge_answer_id=1,
        answer="done",
        expires_at=NOW + timedelta(days=1),
    )
    async with aiohttp.ClientSession() as http:
        for bad in (token[:-3] + "xyz", "nonsense", nudge_link.rsplit("/", 1)[1]):
            async with http.get(f"{base}/e/{bad}") as resp:
                assert resp.status == 400
                text = await resp.text()
                assert "Lenken virker ikke" in text and "This link does not work" in text
            async with http.post(f"{base}/e/{bad}/propose", data={"text": "x"}) as resp:
                assert resp.status == 400
        runtime.clock.set(NOW + timedelta(days=runtime.settings.link_ttl_days, seconds=1))
        async with http.get(url) as resp:
            assert resp.status == 410
            assert "Lenken er utløpt" in await resp.text()
        runtime.clock.set(NOW)
        runtime.settings = runtime.settings.model_copy(update={"evaluator_emails": ()})
        async with http.get(url) as resp:
            assert resp.status == 403
            assert "Ingen tilgang" in await resp.text()
    assert await _snapshot(runtime) == before


async def test_the_page_shows_the_aggregates_and_nobody(site: Any) -> None:
    _, _, url = site
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-store"
            html = await resp.text()
        async with http.get(url + "?lang=en") as resp:
            english = await resp.text()
    assert "Etter samling 1" in html and "Hvor nyttig var samlingen?" in html
    assert "Tromsø" in html and "<td>*</td>" in html
    assert "Aggregated results" in english
    for name in SECRET_NAMES:
        assert name not in html
    assert "@kommune.no" not in html and "synes alt var bra" not in html
    assert EVALUATOR not in html  # not even the evaluator's own email


async def test_a_mail_scanner_opening_every_link_changes_nothing(site: Any) -> None:
    runtime, base, url = site
    before = await _snapshot(runtime)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            html = await resp.text()
        links = [base + h.replace("&amp;", "&") for h in re.findall(r'href="(/e/[^"]+)"', html)]
        assert any("/report/2026.csv" in u for u in links)
        for target in [url, *links]:
            for headers in SCANNERS:
                async with http.get(target, headers=headers) as resp:
                    assert resp.status == 200
                async with http.head(target, headers=headers) as resp:
                    assert resp.status == 200
        async with http.get(f"{url}/report/2026.csv") as resp:
            csv_text = await resp.text()
    assert csv_text.splitlines()[0].endswith(",missing,origin")
    assert all(name not in csv_text for name in SECRET_NAMES)
    assert await _snapshot(runtime) == before


async def test_proposing_needs_the_pages_form_and_records_once(site: Any) -> None:
    runtime, _, url = site
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            form = _form(await resp.text())
        data = {**form, "text": HOSTILE, "kind": "scale5", "choices": "", "pulse": ""}
        # Without the page's proof, or from another site: refused, nothing recorded.
        async with http.post(f"{url}/propose", data={**data, "proof": "forged"}) as resp:
            assert resp.status == 400
        async with http.post(
            f"{url}/propose", data=data, headers={"Sec-Fetch-Site": "cross-site"}
        ) as resp:
            assert resp.status == 400
        assert await _proposals(runtime) == []
        # A bad proposal says why (nb) and records nothing.
        async with http.post(f"{url}/propose", data={**data, "kind": "stars"}) as resp:
            assert resp.status == 400
            assert "Velg en svartype" in await resp.text()
        async with http.post(f"{url}/propose", data=data) as resp:
            assert resp.status == 200
            assert "Forslaget er sendt" in await resp.text()
        async with http.post(f"{url}/propose", data=data) as resp:  # the double submit
            assert resp.status == 200
            assert "allerede sendt" in await resp.text()
        (row,) = await _proposals(runtime)
        assert row.proposed_by == EVALUATOR and row.text == HOSTILE
        async with http.get(url) as resp:
            page = await resp.text()
    # The hostile words are shown as words: no tag of theirs survives.
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_a_long_list_of_proposals_says_how_many_more(site: Any) -> None:
    runtime, _, url = site
    async with runtime.db.transaction() as s:
        for i in range(203):
            s.add(EvaluatorProposal(proposed_by=EVALUATOR, text=f"Spørsmål {i}", kind="scale5"))
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        html = await resp.text()
    assert html.count("<li>Spørsmål ") == 200
    assert "… og 3 til." in html


async def test_a_proposal_can_name_the_session_it_is_for(site: Any) -> None:
    runtime, _, url = site
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            html = await resp.text()
        sessions = re.findall(r'<option value="(\d+)">Samling 2 \(Kull E\)', html)
        assert len(sessions) == 1
        data = {
            **_form(html),
            "text": "Hva tar du med deg?",
            "kind": "text",
            "session": sessions[0],
        }
        async with http.post(f"{url}/propose", data=data) as resp:
            assert resp.status == 200
        # A session that is not coming (or not a session at all) is refused; nothing recorded.
        async with http.get(url) as resp:
            again = _form(await resp.text())
        bad = {**data, **again, "session": "999"}
        async with http.post(f"{url}/propose", data=bad) as resp:
            assert resp.status == 400
            assert "Den samlingen finnes ikke" in await resp.text()
    (row,) = await _proposals(runtime)
    assert row.session_id == int(sessions[0]) and row.kind == "text"


# --- attacks on the proposal form (red team) ---------------------------------------------------
# A proposal's words go on into a pulse question (Slack, Teams, email) and into the annual report,
# so the form takes only words: a NUL byte (PostgreSQL refuses it in text: before the fix the POST
# failed with a server error there), the bot's own private-use markers (adapters read them as a
# person reference or formatting) and bidi overrides are taken out, and a proposal of nothing but
# such characters is refused with a clear page and records nothing.

REF = "\ue002U0SECRET\ue003Kari Nordmann\ue004"


async def _post(url: str, **fields: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            form = _form(await resp.text())
        data = {**form, "kind": "choice", "pulse": "", **fields}
        async with http.post(f"{url}/propose", data=data) as resp:
            return resp.status, await resp.text()


async def test_control_characters_and_markers_do_not_get_into_a_proposal(site: Any) -> None:
    runtime, _, url = site
    status, page = await _post(
        url,
        text=f"Hvor\x00 nyttig var {REF} samlingen?\u202e",
        choices=f"Svært\x00 nyttig;Litt {REF};Ikke",
    )
    assert status == 200, page
    (row,) = await _proposals(runtime)
    stored = row.text + "".join(row.choices)
    assert "\x00" not in stored and "\u202e" not in stored
    assert not any(m in stored for m in MARKERS)
    assert row.text.startswith("Hvor nyttig var")
    assert row.choices[0] == "Svært nyttig"


async def test_a_proposal_of_only_invisible_characters_is_refused(site: Any) -> None:
    runtime, _, url = site
    status, page = await _post(url, text="\x00\ue002\u202e", kind="scale5", choices="")
    assert (status == 400 and "Forslaget" in page) or status == 400
    assert await _proposals(runtime) == []
    status, page = await _post(url, text="Hva var best?", choices="\x00;\ue001")
    assert status == 400 and "trenger 2 til" in page
    assert await _proposals(runtime) == []
