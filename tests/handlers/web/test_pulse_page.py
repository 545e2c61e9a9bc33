"""A mail scanner cannot answer a pulse for a person; the person still answers in one press.

Two anonymous pulses go out by email for real (SMTP to a local aiosmtpd server): one question
(a 1–5 scale) and three (scale, choice, free text). The page behind an email button chooses
nothing; the value clicked in the email is only marked. The adversary is a link sandbox: it
(a) opens the page, (b) submits the form without a submitter (`form.submit()`), (c) clicks the
first button, (d) replays a POST body. (a), (b), (d) record nothing more; (c) records nothing on
a page of several questions and, on a one-question page, the first answer — the residual limit
docs/privacy.md names (the same as the nudge page's). Hostile forms and links get 400 and
change nothing.
"""

from __future__ import annotations

import email
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from sqlmodel import select

from app import build_runtime, create_web_app
from bot import sealed
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.notifier import RecordingNotifier
from bot.pulse_links import verify_token
from bot.pulses import MAX_TEXT, QuestionSpec, create_pulse, respondent_token
from bot.pulses.lifecycle import close
from bot.runtime import Runtime
from bot.settings import Settings
from emulator.server import free_port
from handlers.web.email_notifier import EmailNotifier
from schedules.pulses import run_pulse_tick
from storage.models import Pulse, PulseQuestion, PulseReceipt
from tests.utils.factories import create_class, create_cohort, create_person, enrol
from tests.utils.snapshot import changed, snapshot
from tests.utils.workspace import eventually

CHROMIUM = Path("/usr/bin/chromium")
OPENS = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Oslo
CLOSES = OPENS + timedelta(days=7)
CECILIE, DAG, FIONA = "cecilie@hol.kommune.no", "dag@al.kommune.no", "fiona@nore.kommune.no"
MARK_NB, MARK_EN = "Du valgte dette i e-posten", "You chose this in the email"


class Sink:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.mails: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.mails if address in str(m["To"])]


@dataclass
class World:
    runtime: Runtime
    sink: Sink
    bot_url: str
    clock: FrozenClock
    people: dict[str, int] = field(default_factory=dict)
    pulses: dict[str, int] = field(default_factory=dict)
    questions: dict[str, list[int]] = field(default_factory=dict)


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    bot_url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(
        update={"smtp_url": f"smtp://127.0.0.1:{smtp.port}", "base_url": bot_url}
    )
    clock = FrozenClock(OPENS - timedelta(hours=1))
    runtime = build_runtime(settings, clock=clock)
    runtime.notifiers["email"] = EmailNotifier.from_settings(settings)
    runtime.notifiers["slack"] = RecordingNotifier()
    world = World(runtime, sink, bot_url, clock)
    async with runtime.db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026")
        klass = await create_class(s, cohort=cohort, key="hol", name="Hol")
        for name, address, locale in (
            ("Cecilie", CECILIE, "nb"),
            ("Dag", DAG, "nb"),
            ("Fiona", FIONA, "en"),
        ):
            person = await create_person(s, name=name, email=address, locale=locale)
            await enrol(s, person=person, cohort=cohort, cls=klass)
            assert person.id is not None
            world.people[name] = person.id
        for key, title, specs in (
            ("one", "Samling 2 på ett spørsmål", [QuestionSpec("scale5", "Hvor nyttig?")]),
            (
                "three",
                "Etter samling 2",
                [
                    QuestionSpec("scale5", "Hvor nyttig var samlingen?"),
                    QuestionSpec("choice", "Hva var best?", ("Forelesning", "Gruppe", "Case")),
                    QuestionSpec("text", "Hva kan bli bedre?"),
                ],
            ),
        ):
            pulse = await create_pulse(
                s,
                title=title,
                questions=specs,
                cohort_id=cohort.id,
                opens_at=OPENS,
                closes_at=CLOSES,
                now=clock.now(),
                anonymous=True,
            )
            assert pulse.id is not None
            world.pulses[key] = pulse.id
            rows = await s.execute(
                select(PulseQuestion)
                .where(PulseQuestion.pulse_id == pulse.id)
                .order_by(PulseQuestion.position)  # type: ignore[arg-type]
            )
            world.questions[key] = [q.id for q in rows.scalars() if q.id is not None]
    runner = web.AppRunner(create_web_app(runtime, None))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        world.clock.set(OPENS)
        await run_pulse_tick(runtime, OPENS)
        await Dispatcher(runtime).tick()

        async def mailed() -> bool:
            return all(sink.to(a) for a in (CECILIE, DAG, FIONA))

        await eventually(mailed)
        yield world
    finally:
        await runner.cleanup()
        await runtime.db.dispose()
        smtp.stop()


class _Page(HTMLParser):
    """The answer page: its form's hidden fields, radios (and which are checked), buttons."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.radios: list[tuple[str, str]] = []
        self.checked: list[str] = []
        self.buttons: list[tuple[str, str]] = []  # (name, value) of each submit button
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        if tag == "input" and a.get("type") == "radio":
            self.radios.append((a["name"], a.get("value", "")))
        if tag == "input" and "checked" in a:
            self.checked.append(a.get("name", ""))
        if tag == "button" or (tag == "input" and a.get("type") == "submit"):
            self.buttons.append((a.get("name", ""), a.get("value", "")))


def _links(mail: Message) -> list[str]:
    found: list[str] = []
    for part in mail.walk():
        if part.get_content_type() == "text/html":
            body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            found += [u.replace("&amp;", "&") for u in re.findall(r'href="([^"]+)"', body)]
    return found


def link(world: World, address: str, pulse: str, *, value: str | None = None) -> str:
    """The person's email link for `pulse` (with `v=value`; None: the first one)."""
    keys = world.runtime.settings.verification_keys
    for mail in world.sink.to(address):
        for url in (u for u in _links(mail) if "/p/" in u):
            token = urlsplit(url).path.removeprefix("/p/")
            claim = verify_token(token, keys=keys, now=world.clock.now())
            if claim.pulse_id != world.pulses[pulse]:
                continue
            if value is None or parse_qs(urlsplit(url).query).get("v") == [value]:
                return url
    raise AssertionError(f"no link for {pulse} v={value} to {address}")


async def receipt(world: World, pulse: str, person: str) -> dict[int, dict[str, Any]] | None:
    """What the person's sealed receipt holds (opened with the key), None if there is none."""
    settings = world.runtime.settings
    pulse_id = world.pulses[pulse]
    token = respondent_token(settings, pulse_id, world.people[person])
    async with world.runtime.db.session() as s:
        row = await s.get(PulseReceipt, (pulse_id, token))
    if row is None:
        return None
    return sealed.unseal(settings.signing_key, pulse_id=pulse_id, token=token, sealed=row.sealed)


async def receipts(world: World) -> int:
    async with world.runtime.db.session() as s:
        return len((await s.execute(select(PulseReceipt))).scalars().all())


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as resp:
        return resp.status, await resp.text()


async def _post(world: World, http: aiohttp.ClientSession, data: Any) -> tuple[int, str]:
    async with http.post(
        f"{world.bot_url}/p", data=data, headers={"Sec-Fetch-Site": "same-origin"}
    ) as resp:
        return resp.status, await resp.text()


# --- the page ------------------------------------------------------------------------------


async def test_the_page_chooses_nothing_and_marks_what_was_clicked_in_the_email(
    world: World,
) -> None:
    before = await snapshot(world.runtime.db)
    async with aiohttp.ClientSession() as http:
        status, html = await _get(http, link(world, CECILIE, "one", value="4"))
        assert status == 200
        page = _Page(html)
        qid = world.questions["one"][0]
        # One question: one submit button per value, in order; nothing is a default.
        assert page.buttons == [(f"a.{qid}", str(v)) for v in range(1, 6)]
        assert page.radios == [] and page.checked == [] and "checked" not in html
        assert html.count(MARK_NB) == 1
        marked = re.search(r"<button[^>]*>([^<]*)<span[^>]*>" + MARK_NB, html)
        assert marked is not None and marked.group(1) == "4"
        assert "Trykk på svaret ditt" in html

        status, html = await _get(http, link(world, CECILIE, "three", value="1"))
        page = _Page(html)
        q1, q2, q3 = world.questions["three"]
        assert status == 200 and page.checked == [] and "checked" not in html
        assert {n for n, _ in page.radios} == {f"a.{q1}", f"a.{q2}"}
        assert page.buttons == [("", "")]  # "Send svar", carrying no answer
        assert f'<textarea name="t.{q3}"' in html
        assert html.count(MARK_NB) == 1
        # The mark is on the scale's "1" (the email's v=1 for the first question), not "Gruppe".
        assert re.search(rf'name="a.{q1}" value="1"> 1<span[^>]*>{MARK_NB}', html)

        status, html = await _get(http, link(world, FIONA, "one", value="2"))
        assert status == 200 and html.count(MARK_EN) == 1 and "Press your answer" in html
        # The free-text link marks nothing.
        text_link = next(
            u for u in _links(world.sink.to(CECILIE)[0]) if "?" not in u and "/p/" in u
        )
        status, html = await _get(http, text_link)
        assert status == 200 and MARK_NB not in html and "checked" not in html
    assert changed(before, await snapshot(world.runtime.db)) == set()


async def test_a_form_sent_without_a_choice_records_nothing_and_asks_again(world: World) -> None:
    """What `form.submit()` sends (no submitter): the hidden fields and nothing chosen."""
    before = await snapshot(world.runtime.db)
    async with aiohttp.ClientSession() as http:
        for address, pulse, notice in (
            (CECILIE, "one", "Ingenting er registrert ennå. Trykk på svaret ditt."),
            (CECILIE, "three", "Du har ikke valgt noe svar, så ingenting er registrert."),
            (FIONA, "one", "Nothing has been recorded yet. Press your answer."),
            (FIONA, "three", "You have not chosen an answer, so nothing was recorded."),
        ):
            _, html = await _get(http, link(world, address, pulse, value="3"))
            page = _Page(html)
            status, again = await _post(world, http, page.hidden)
            assert status == 200 and notice in again
            shown = _Page(again)
            assert shown.buttons == page.buttons and shown.checked == []  # the form, again
            assert shown.hidden["nonce"] != page.hidden["nonce"]
            # "Leave this one out" everywhere and an empty text: the same, nothing recorded.
            fields = dict(page.hidden) | {name: "" for name, _ in page.radios}
            fields |= {f"t.{q}": "   " for q in world.questions[pulse][2:]}
            status, again = await _post(world, http, fields)
            assert status == 200 and notice in again
    assert changed(before, await snapshot(world.runtime.db)) == set()
    assert await receipts(world) == 0


async def test_one_press_on_the_one_question_page_records_that_answer(world: World) -> None:
    before = await snapshot(world.runtime.db)
    qid = world.questions["one"][0]
    async with aiohttp.ClientSession() as http:
        _, html = await _get(http, link(world, CECILIE, "one", value="4"))
        status, done = await _post(world, http, _Page(html).hidden | {f"a.{qid}": "4"})
    assert status == 200 and "Takk for svaret" in done
    assert changed(before, await snapshot(world.runtime.db)) == {"pulse_receipt"}
    assert await receipt(world, "one", "Cecilie") == {qid: {"v": 4, "t": None}}
    assert await receipts(world) == 1


async def test_questions_left_unanswered_are_not_recorded_and_one_post_is_one_receipt(
    world: World,
) -> None:
    q1, q2, q3 = world.questions["three"]
    async with aiohttp.ClientSession() as http:
        _, html = await _get(http, link(world, DAG, "three", value="5"))
        hidden = _Page(html).hidden
        before = await snapshot(world.runtime.db)
        status, _ = await _post(world, http, hidden | {f"a.{q2}": "1"})  # only the choice
        assert status == 200
        after = await snapshot(world.runtime.db)
        assert changed(before, after) == {"pulse_receipt"}
        assert len(after["pulse_receipt"]) == 1
        assert await receipt(world, "three", "Dag") == {q2: {"v": 1, "t": None}}
        # Later, only the text: the earlier answer stays, the same one receipt is rewritten.
        status, _ = await _post(world, http, hidden | {f"a.{q1}": "", f"t.{q3}": "Mer tid"})
        assert status == 200
        later = await snapshot(world.runtime.db)
        assert changed(after, later) == {"pulse_receipt"} and len(later["pulse_receipt"]) == 1
    assert await receipt(world, "three", "Dag") == {
        q2: {"v": 1, "t": None},
        q3: {"v": None, "t": "Mer tid"},
    }


async def test_a_replayed_post_changes_nothing_more(world: World) -> None:
    qid = world.questions["one"][0]
    async with aiohttp.ClientSession() as http:
        _, html = await _get(http, link(world, DAG, "one", value="2"))
        body = _Page(html).hidden | {f"a.{qid}": "2"}
        assert (await _post(world, http, body))[0] == 200
        once = await snapshot(world.runtime.db)
        for _ in range(2):
            assert (await _post(world, http, body))[0] == 200
        assert changed(once, await snapshot(world.runtime.db)) == set()
    assert await receipt(world, "one", "Dag") == {qid: {"v": 2, "t": None}}


async def test_hostile_links_and_forms_get_400_and_change_nothing(world: World) -> None:
    one, (q1, q2, q3) = world.questions["one"][0], world.questions["three"]
    base = link(world, CECILIE, "one", value="4").split("?", 1)[0]
    before = await snapshot(world.runtime.db)
    async with aiohttp.ClientSession() as http:
        for query in (
            f"q={q1}&v=4",  # a question of another pulse
            f"q={one}&v=9",  # off the scale
            f"q={one}&v=0",
            f"q={one}&v=abc",
            f"q={one}",  # half a choice
            "v=4",
            f"q={one}&v=4&v=5",  # twice
            f"q={one}&q={one}&v=4",
            f"q={'1' * 40}&v=4",  # oversized
            f"q={one}&v={'4' * 40}",
        ):
            status, html = await _get(http, f"{base}?{query}")
            assert status == 400, query
            assert "Lenken virker ikke" in html and "This link does not work" in html
        _, html = await _get(http, f"{base}?q={one}&v=4")
        hidden = _Page(html).hidden
        _, html = await _get(http, link(world, CECILIE, "three", value="4"))
        other = _Page(html).hidden
        for extra in (
            {f"a.{q1}": "4"},  # another pulse's question on this pulse's form
            {f"a.{one}": "9"},  # not among the choices
            {f"a.{one}": "0"},
            {f"a.{one}": "-1"},
            {f"a.{one}": "4" * 5000},  # oversized
            {f"a.{one}": " 4"},
            {f"t.{one}": "fire"},  # text for a scale
            {"a.999999": "4"},
            {"mood": "4"},
        ):
            status, html = await _post(world, http, hidden | extra)
            assert status == 400, extra
            assert "ingenting er registrert" in html
        status, _ = await _post(world, http, list(hidden.items()) + [(f"a.{one}", "4")] * 2)
        assert status == 400  # one question answered twice in one form
        # The three-question pulse: oversized text, a value of another question's scale.
        for extra in (
            {f"t.{q3}": "x" * (MAX_TEXT + 1)},
            {f"a.{q2}": "4"},  # "Hva var best?" has three choices
            {f"a.{q1}": "4", f"a.{q2}": "7"},  # all or nothing: the good one is not kept
        ):
            status, _ = await _post(world, http, other | extra)
            assert status == 400, extra
        # Another link's proof, a long token, a forged proof: refused before anything is read.
        status, _ = await _post(world, http, hidden | {"proof": other["proof"], f"a.{one}": "4"})
        assert status == 400
        status, _ = await _post(world, http, hidden | {"token": "A" * 400, f"a.{one}": "4"})
        assert status == 400
        status, _ = await _post(world, http, hidden | {"proof": "x" * 43, f"a.{one}": "4"})
        assert status == 400
    assert changed(before, await snapshot(world.runtime.db)) == set()


async def test_another_persons_proof_and_a_post_after_the_close_record_nothing(
    world: World,
) -> None:
    """A form put together from two people's pages (Cecilie's token, Dag's nonce and proof)
    is refused; a page opened while the pulse was open and posted once it has closed — fresh,
    or the replay of a post that counted — records nothing and says the pulse is closed."""
    qid = world.questions["one"][0]
    async with aiohttp.ClientSession() as http:
        _, html = await _get(http, link(world, CECILIE, "one", value="4"))
        cecilie = _Page(html).hidden
        _, html = await _get(http, link(world, DAG, "one", value="2"))
        dag = _Page(html).hidden
        before = await snapshot(world.runtime.db)
        for mixed in (
            cecilie | {"nonce": dag["nonce"], "proof": dag["proof"]},
            dag | {"token": cecilie["token"]},
        ):
            status, _ = await _post(world, http, mixed | {f"a.{qid}": "5"})
            assert status == 400
        assert changed(before, await snapshot(world.runtime.db)) == set()
        assert (await _post(world, http, dag | {f"a.{qid}": "2"}))[0] == 200
        assert await receipt(world, "one", "Dag") == {qid: {"v": 2, "t": None}}
        # Staff close it early (its answers are released), then the pulse's own close passes.
        world.clock.set(OPENS + timedelta(hours=2))
        async with world.runtime.db.transaction() as s:
            pulse = await s.get(Pulse, world.pulses["one"])
            assert pulse is not None
            await close(s, pulse, now=world.clock.now(), settings=world.runtime.settings)
        closed = await snapshot(world.runtime.db)
        for at, code, says in (
            (OPENS + timedelta(hours=3), 200, "så svaret ble ikke registrert"),
            (CLOSES, 410, "Pulsen er stengt"),
        ):
            world.clock.set(at)  # 410 at the close itself: the link expires with the pulse
            for body in (
                cecilie | {f"a.{qid}": "5"},
                dag | {f"a.{qid}": "1"},
                dag | {f"a.{qid}": "2"},
            ):
                status, html = await _post(world, http, body)
                assert status == code and says in html, (at, html)
            assert changed(closed, await snapshot(world.runtime.db)) == set()
    assert await receipt(world, "one", "Cecilie") is None


# --- a sandbox's browser -------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (`make browser`)"
)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            await chromium.close()


FIRST_BUTTON = "button, input[type=submit]"


@needs_chromium
async def test_a_sandbox_that_opens_and_submits_the_page_records_nothing(
    world: World, browser: Any
) -> None:
    """(a) open, (b) form.submit() and form.requestSubmit() without a submitter, then (c) on
    the page of three questions, a click on its first button: nothing, each time."""
    before = await snapshot(world.runtime.db)
    page = await browser.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.post_data or "") if r.method == "POST" else None)
    for pulse, notice in (
        ("one", "Ingenting er registrert ennå"),
        ("three", "Du har ikke valgt noe svar"),
    ):
        for submit in ("document.forms[0].submit()", "document.forms[0].requestSubmit()"):
            await page.goto(link(world, CECILIE, pulse, value="4"))  # (a)
            assert changed(before, await snapshot(world.runtime.db)) == set()
            async with page.expect_navigation():
                await page.evaluate(submit)  # (b)
            await page.wait_for_selector(f"text={notice}")
    await page.goto(link(world, CECILIE, "three", value="4"))
    async with page.expect_navigation():
        await page.locator(FIRST_BUTTON).first.click()  # (c): "Send svar", nothing chosen
    await page.wait_for_selector("text=Du har ikke valgt noe svar")
    asked = world.questions["one"] + world.questions["three"]
    assert len(posts) == 5 and all(f"a.{q}=" not in b for b in posts for q in asked)
    # (d) the sandbox replays what it posted: still nothing.
    async with aiohttp.ClientSession() as http:
        for body in posts * 2:
            async with http.post(
                f"{world.bot_url}/p",
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ) as resp:
                assert resp.status == 200
    assert changed(before, await snapshot(world.runtime.db)) == set()
    assert await receipts(world) == 0


@needs_chromium
async def test_the_residual_a_robot_pressing_the_first_answer_of_one_question_is_an_answer(
    world: World, browser: Any
) -> None:
    """(c) on a one-question page: its first button is a real answer (the scale's 1, not the
    email's 4), as on the nudge page. No page can tell that press from a person's; docs/privacy.md
    says so. A replay (d) of it changes nothing more."""
    qid = world.questions["one"][0]
    page = await browser.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.post_data or "") if r.method == "POST" else None)
    await page.goto(link(world, DAG, "one", value="4"))
    async with page.expect_navigation():
        await page.locator(FIRST_BUTTON).first.click()
    await page.wait_for_selector("text=Takk for svaret")
    assert await receipt(world, "one", "Dag") == {qid: {"v": 1, "t": None}}
    once = await snapshot(world.runtime.db)
    async with aiohttp.ClientSession() as http:
        for _ in range(2):
            async with http.post(
                f"{world.bot_url}/p",
                data=posts[0],
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ) as resp:
                assert resp.status == 200
    assert changed(once, await snapshot(world.runtime.db)) == set()


@needs_chromium
async def test_a_person_presses_the_marked_answer_once_and_it_counts_once(
    world: World, browser: Any
) -> None:
    qid = world.questions["one"][0]
    before = await snapshot(world.runtime.db)
    page = await browser.new_page()
    await page.goto(link(world, FIONA, "one", value="4"))
    assert changed(before, await snapshot(world.runtime.db)) == set()
    marked = page.locator("button", has_text=MARK_EN)
    assert await marked.count() == 1 and (await marked.get_attribute("value")) == "4"
    async with page.expect_navigation():
        await marked.click()  # the one press
    await page.wait_for_selector("text=Thank you for your answers")
    await page.go_back()
    await page.reload()
    assert await receipt(world, "one", "Fiona") == {qid: {"v": 4, "t": None}}
    assert await receipts(world) == 1
