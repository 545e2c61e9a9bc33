"""Participants outside the chat tool are reached by email, and answer through the safe page.

A fake Slack (the emulator, real HTTP) holds two of the class; three are not on it and get
email (a local aiosmtpd server), one of whose addresses bounces. The bot's web app runs for
real, so every link in every mail is fetched as a mail scanner would (records nothing), and an
answer is given by the page's form POST (records exactly what a Slack click records: the
sealed receipt of an anonymous pulse, and nothing about the person). The adversary then holds
the whole database (no secret key) and tries to link the email answerer to the answer.
"""

from __future__ import annotations

import email
import json
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from sqlmodel import col, select

from app import build_runtime, create_web_app
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.people import Actor
from bot.pulses import QuestionSpec, create_pulse
from bot.ratelimit import RateLimiter, RateLimits
from bot.reach import BOUNCED, unreachable_people
from bot.results import pulse_results, results_text
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.slack.home.reach import reach_section
from handlers.slack.notifier import SlackNotifier, make_slack_client
from handlers.web.email_notifier import EmailNotifier
from schedules.pulses import run_pulse_tick
from storage.models import AuditEvent, Delivery, PulseParticipation, PulseReach, PulseReceipt
from tests.utils.factories import create_class, create_cohort, create_person, enrol

emulator_server = pytest.importorskip("emulator.server")

OPENS = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Oslo
CLOSES = OPENS + timedelta(days=7)
BOUNCING = "borte@hemsedal.kommune.no"
SCANNER_HEADERS: list[dict[str, str]] = [
    {"User-Agent": "Mozilla/5.0 (compatible; SafeLinks scanner)"},
    {"Purpose": "prefetch", "Sec-Purpose": "prefetch"},
    {"X-Moz": "prefetch", "Sec-Fetch-Mode": "no-cors"},
]


class Sink:
    """An aiosmtpd handler that keeps what it receives and refuses one address (a bounce)."""

    def __init__(self, refuse: set[str]) -> None:
        self.mails: list[Message] = []
        self.refuse = refuse
        self.refuse_data = 0  # how many DATA commands to defer with a 451

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            self.refuse_data -= 1
            return "451 4.3.0 Try again later"
        self.mails.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.mails if address in str(m["To"])]


@dataclass
class World:
    runtime: Runtime
    sink: Sink
    emulator: Any
    bot_url: str
    clock: FrozenClock
    people: dict[str, int] = field(default_factory=dict)


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    sink = Sink({BOUNCING})
    smtp = Controller(sink, hostname="127.0.0.1", port=emulator_server.free_port())
    smtp.start()
    emulator = await emulator_server.start_emulator(smtp_port=None)
    port = emulator_server.free_port()
    bot_url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(
        update={"smtp_url": f"smtp://127.0.0.1:{smtp.port}", "base_url": bot_url}
    )
    clock = FrozenClock(OPENS - timedelta(hours=1))
    runtime = build_runtime(settings, clock=clock)
    http = aiohttp.ClientSession()
    client = make_slack_client(token=emulator.bot_token, base_url=emulator.api_url, session=http)
    runtime.notifiers["slack"] = SlackNotifier(client, RateLimiter(RateLimits(scale=1000)))
    runtime.notifiers["email"] = EmailNotifier.from_settings(settings)
    world = World(runtime, sink, emulator, bot_url, clock)
    on_slack = {
        name: emulator.state.add_user(name.lower(), real_name=name).id for name in ("Ada", "Bo")
    }
    async with runtime.db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026")
        klass = await create_class(s, cohort=cohort, key="hemsedal", name="Hemsedal")
        for name, address in (
            ("Ada", "ada@gol.kommune.no"),
            ("Bo", "bo@gol.kommune.no"),
            ("Cecilie", "cecilie@hol.kommune.no"),
            ("Dag", "dag@al.kommune.no"),
            ("Eli", BOUNCING),
        ):
            person = await create_person(
                s, name=name, email=address, slack_user_id=on_slack.get(name)
            )
            await enrol(s, person=person, cohort=cohort, cls=klass)
            assert person.id is not None
            world.people[name] = person.id
        await create_pulse(
            s,
            title="Etter samling 2",
            questions=[
                QuestionSpec("scale5", "Hvor nyttig var samlingen?"),
                QuestionSpec("choice", "Hva var best?", ("Forelesning", "Gruppe", "Case")),
                QuestionSpec("text", "Hva kan bli bedre?"),
            ],
            cohort_id=cohort.id,
            opens_at=OPENS,
            closes_at=CLOSES,
            now=clock.now(),
            anonymous=True,
        )
    runner = web.AppRunner(create_web_app(runtime, None))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield world
    finally:
        await runner.cleanup()
        await http.close()
        await emulator.stop()
        await runtime.db.dispose()
        smtp.stop()


class _Form(HTMLParser):
    """The answer page's form: its action and hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        if tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        if tag == "input" and a.get("type") == "radio":
            self.radios.setdefault(a["name"], []).append(a.get("value", ""))


def _links(mail: Message) -> list[str]:
    found: list[str] = []
    for part in mail.walk():
        if part.get_content_maintype() != "text":
            continue
        body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        pattern = r'href="([^"]+)"' if part.get_content_subtype() == "html" else r"(https?://\S+)"
        found += [u.replace("&amp;", "&") for u in re.findall(pattern, body)]
    return found


def _text(mail: Message) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode("utf-8"))
    return ""


async def _open(world: World) -> None:
    world.clock.set(OPENS)
    await run_pulse_tick(world.runtime, OPENS)
    await Dispatcher(world.runtime).tick()


def full_dump(world: World) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, every column (PostgreSQL: with xmin/ctid), as the adversary."""
    db = world.runtime.db
    if db.dialect == "postgresql":
        import psycopg

        url = world.runtime.settings.database_url
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                ).fetchall()
            ]
            out = {}
            for table in tables:
                cur = conn.execute(
                    f'SELECT *, xmin::text AS xmin, ctid::text AS ctid FROM "{table}"'
                )
                names = [d.name for d in cur.description or []]
                rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
                out[table] = sorted(rows, key=lambda r: json.dumps(r, default=str))
            return out
    conn = sqlite3.connect(db.url.split("///", 1)[1])
    try:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        ]
        out = {}
        for table in tables:
            cur = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cur.description]
            out[table] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        return out
    finally:
        conn.close()


def _snapshot(world: World) -> str:
    return json.dumps(full_dump(world), sort_keys=True, default=str)


async def test_people_not_on_slack_are_asked_by_email_and_count_as_invited(world: World) -> None:
    await _open(world)
    slack_posts = world.emulator.calls.calls("chat.postMessage", ok=True)
    assert len(slack_posts) == 2  # Ada and Bo, in Slack
    assert len(world.sink.to("cecilie@hol.kommune.no")) == 1
    assert len(world.sink.to("dag@al.kommune.no")) == 1
    assert world.sink.to(BOUNCING) == []  # refused by the server
    mail = world.sink.to("cecilie@hol.kommune.no")[0]
    assert "Etter samling 2" in str(mail["Subject"])
    links = _links(mail)
    # 5 scale values + 3 choices + "write an answer", in the HTML and the text part
    assert len(links) == 18 and all(u.startswith(f"{world.bot_url}/p/") for u in links)
    assert "Ingenting registreres før du velger svaret ditt der" in _text(mail)
    async with world.runtime.db.session() as s:
        invited = (await s.execute(select(PulseParticipation))).scalars().all()
        reach = {r.channel: r.people for r in (await s.execute(select(PulseReach))).scalars().all()}
        bounced = (
            await s.execute(select(Delivery).where(col(Delivery.target) == BOUNCING))
        ).scalar_one()
    assert len(invited) == 5  # email counts as invited; the bounce was not known yet
    assert reach == {"slack": 2, "email": 3}
    assert bounced.state == "failed" and bounced.error == "recipient refused (550)"
    async with world.runtime.db.session() as s:
        results = await pulse_results(s, invited[0].pulse_id, settings=world.runtime.settings)
    assert results is not None
    text = results_text(results)
    assert "0 av 5" in text
    # Per class, how they were asked; 2 and 3 are under 5, so hidden (and not solvable from
    # "5 invited": either could be anything from 0 to 5). Zero identifies nobody: shown.
    assert "Hemsedal: nådd via Slack * · Teams 0 · e-post * · ikke nådd 0" in text


async def test_a_bounced_address_shows_as_unreachable_and_the_next_pulse_says_none(
    world: World,
) -> None:
    await _open(world)
    async with world.runtime.db.session() as s:
        rows = await unreachable_people(s, settings=world.runtime.settings)
    assert [(r.name, r.reason, r.detail) for r in rows] == [
        ("Eli", BOUNCED, "recipient refused (550)")
    ]
    # Staff see it in Home, and that read of personal data is audited with whom it named.
    async with world.runtime.db.transaction() as s:
        staff = await create_person(s, name="Stab", email="stab@lu.no", slack_user_id="USTAFF")
    actor = Actor(slack_user_id="USTAFF", person=staff, roles=frozenset({"staff"}))
    blocks = json.dumps(await reach_section(world.runtime, actor), ensure_ascii=False)
    assert "Kan ikke nås (1)" in blocks
    assert (
        "Eli (Hemsedal), borte@hemsedal.kommune.no: ingen chat-konto, og e-posten kom i " in blocks
    )
    async with world.runtime.db.session() as s:
        entries = (
            (
                await s.execute(
                    select(AuditEvent).where(col(AuditEvent.action) == "reach.unreachable.view")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.actor_id, e.subject, e.detail["person_ids"]) for e in entries] == [
        (staff.id, "slack:home", [world.people["Eli"]])
    ]
    async with world.runtime.db.transaction() as s:
        pulse = await create_pulse(
            s,
            title="Puls 2",
            questions=[QuestionSpec("scale5", "Hvordan går det?")],
            cohort_id=None,
            opens_at=OPENS + timedelta(days=1),
            closes_at=CLOSES,
            now=world.clock.now(),
            anonymous=True,
            audience="class:hemsedal",
        )
    # A pulse without a cohort takes everybody in class "hemsedal" of any cohort.
    at = OPENS + timedelta(days=1)
    world.clock.set(at)
    await run_pulse_tick(world.runtime, at)
    async with world.runtime.db.session() as s:
        reach = {
            r.channel: r.people
            for r in (
                await s.execute(select(PulseReach).where(col(PulseReach.pulse_id) == pulse.id))
            ).scalars()
        }
        asked = (
            await s.execute(
                select(PulseParticipation).where(col(PulseParticipation.pulse_id) == pulse.id)
            )
        ).scalars()
        asked_ids = {p.person_id for p in asked}
    assert reach == {"slack": 2, "email": 2, "none": 1}
    assert world.people["Eli"] not in asked_ids and len(asked_ids) == 4


async def test_a_mail_scanner_fetching_every_link_records_nothing(world: World) -> None:
    await _open(world)
    links = [u for m in world.sink.mails for u in _links(m)]
    assert len(links) == 36
    before = _snapshot(world)
    async with aiohttp.ClientSession() as http:
        for url in links:
            for headers in SCANNER_HEADERS:
                async with http.get(url, headers=headers) as resp:
                    assert resp.status == 200
                    page = await resp.text()
                    assert "Send svar" in page
                    assert re.findall(r'href="([^"]+)"', page) == []  # nothing more to follow
                async with http.head(url, headers=headers) as resp:
                    assert resp.status == 200
            world.clock.advance(timedelta(seconds=30))  # the re-scan at click time
            async with http.get(url) as resp:
                assert resp.status == 200
        # A scanner that POSTs to the form's action without the page's proof: refused.
        async with http.post(f"{world.bot_url}/p", data={"token": "x", "a.1": "5"}) as resp:
            assert resp.status == 400
    assert _snapshot(world) == before


async def _answer_by_email(world: World, address: str, *, value: str, choice: str) -> str:
    """Open the first link of the person's mail and press "Send svar" with these answers."""
    link = _links(world.sink.to(address)[0])[0]
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as resp:
            form = _Form()
            form.feed(await resp.text())
        fields = dict(form.hidden)
        names = sorted(form.radios)
        fields[names[0]] = value
        fields[names[1]] = choice
        async with http.post(
            f"{world.bot_url}{form.action}", data=fields, headers={"Sec-Fetch-Site": "same-origin"}
        ) as resp:
            assert resp.status == 200
            return await resp.text()


async def test_an_email_answer_writes_only_the_sealed_receipt_and_no_link_to_the_person(
    world: World,
) -> None:
    await _open(world)
    before = full_dump(world)
    page = await _answer_by_email(world, "cecilie@hol.kommune.no", value="4", choice="1")
    assert "Svaret ditt er registrert" in page
    after = full_dump(world)
    changed = {
        table
        for table in set(before) | set(after)
        if json.dumps(before.get(table), sort_keys=True, default=str)
        != json.dumps(after.get(table), sort_keys=True, default=str)
    }
    # Exactly what a Slack click writes for an anonymous pulse: one sealed receipt, nothing else
    # (no participation flag, no delivery cancelled or stamped, no audit line, no time).
    assert changed == {"pulse_receipt"}
    receipts = after["pulse_receipt"]
    assert len(receipts) == 1
    token = receipts[0]["token"]
    whole = json.dumps(after, default=str)
    assert whole.count(token) == 1  # the receipt's token is nowhere else
    # The link tokens are in the mailbox only: the outbox holds placeholders, never a token.
    for url in _links(world.sink.to("cecilie@hol.kommune.no")[0]):
        link_token = url.split("/p/", 1)[1].split("?", 1)[0]
        assert link_token not in whole
    # Without the key the adversary cannot tell whose receipt it is: each person's HMAC
    # candidate would need the key; a guess with the wrong key names nobody.
    from bot.pulses import respondent_token

    wrong = world.runtime.settings.model_copy(update={"secret_key": "x" * 40})
    guesses = {respondent_token(wrong, p, pid) for pid in world.people.values() for p in (1, 2)}
    assert token not in guesses
    # With the key, the bot finds it is Cecilie's: the answer counts once, at close.
    pulse_id = after["pulse_participation"][0]["pulse_id"]
    real = respondent_token(world.runtime.settings, pulse_id, world.people["Cecilie"])
    assert token == real


async def test_an_email_answer_counts_at_close_like_a_slack_click(world: World) -> None:
    await _open(world)
    await _answer_by_email(world, "cecilie@hol.kommune.no", value="4", choice="1")
    await _answer_by_email(world, "dag@al.kommune.no", value="5", choice="1")
    # Changing an answer before close rewrites the receipt, it does not add one.
    await _answer_by_email(world, "dag@al.kommune.no", value="3", choice="2")
    async with world.runtime.db.session() as s:
        assert len((await s.execute(select(PulseReceipt))).scalars().all()) == 2
    world.clock.set(CLOSES)
    await run_pulse_tick(world.runtime, CLOSES)
    async with world.runtime.db.session() as s:
        pulse_id = (await s.execute(select(PulseParticipation))).scalars().first().pulse_id
        results = await pulse_results(s, pulse_id, settings=world.runtime.settings)
    assert results is not None
    assert results.figures.total_answered == 2 and results.figures.total_invited == 5


# --- one email a day -------------------------------------------------------------------------


async def _queue(world: World, key: str, kind: str, when: datetime, title: str) -> None:
    from bot.delivery import schedule
    from bot.notifier import OutgoingMessage, Section

    async with world.runtime.db.transaction() as s:
        await schedule(
            s,
            key=key,
            transport="email",
            kind=kind,
            target="cecilie@hol.kommune.no",
            message=OutgoingMessage(
                text=title, title=title, sections=(Section(text=f"Innhold: {title}"),)
            ),
            send_at=when,
            audience="participant",
            settings=world.runtime.settings,
            person_id=world.people["Cecilie"],
            now=world.clock.now(),
        )


async def _rows(world: World) -> dict[str, Delivery]:
    async with world.runtime.db.session() as s:
        rows = (
            await s.execute(
                select(Delivery).where(col(Delivery.target) == "cecilie@hol.kommune.no")
            )
        ).scalars()
        return {r.dedupe_key: r for r in rows}


async def test_several_emails_due_the_same_local_day_go_as_one_digest(world: World) -> None:
    day = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # Wednesday 09:00 Oslo
    await _queue(world, "a:reminder", "assignment_reminder", day, "Frist fredag")
    await _queue(world, "b:announce", "announcement", day + timedelta(hours=3), "Ny sal")
    await _queue(world, "c:announce", "announcement", day + timedelta(hours=7), "Ettermiddag")
    await _queue(world, "d:tomorrow", "announcement", day + timedelta(days=1), "I morgen")
    await _queue(world, "a:reminder", "assignment_reminder", day, "Frist fredag")  # twice: once
    world.clock.set(day)
    stats = await Dispatcher(world.runtime).tick()
    mails = world.sink.to("cecilie@hol.kommune.no")
    assert len(mails) == 1 and stats.digested == 2
    body = _text(mails[0])
    assert "3 meldinger fra lederutdanningen" in str(mails[0]["Subject"])
    for title in ("Frist fredag", "Ny sal", "Ettermiddag"):
        assert f"Innhold: {title}" in body
    assert "I morgen" not in body
    rows = await _rows(world)
    assert len(rows) == 4
    today = [rows[k] for k in ("a:reminder", "b:announce", "c:announce")]
    assert {r.state for r in today} == {"sent"}
    assert len({r.result_ref for r in today}) == 1  # one Message-ID: one email
    assert rows["d:tomorrow"].state == "pending"
    for later in (day + timedelta(hours=3), day + timedelta(hours=7)):
        world.clock.set(later)
        await Dispatcher(world.runtime).tick()
    assert len(world.sink.to("cecilie@hol.kommune.no")) == 1  # nothing sent twice
    world.clock.set(day + timedelta(days=1))
    await Dispatcher(world.runtime).tick()
    mails = world.sink.to("cecilie@hol.kommune.no")
    assert len(mails) == 2 and "I morgen" in str(mails[1]["Subject"])  # alone: its own subject


async def test_a_digest_the_server_defers_is_retried_whole_and_nothing_is_dropped(
    world: World,
) -> None:
    day = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    await _queue(world, "a:reminder", "assignment_reminder", day, "Frist fredag")
    await _queue(world, "b:announce", "announcement", day + timedelta(hours=1), "Ny sal")
    world.sink.refuse_data = 1  # the next DATA gets a 451
    world.clock.set(day)
    await Dispatcher(world.runtime).tick()
    rows = await _rows(world)
    assert {r.state for r in rows.values()} == {"pending"}
    assert {r.error for r in rows.values()} == {"SMTP 451"}
    world.clock.set(day + timedelta(minutes=30))
    await Dispatcher(world.runtime).tick()
    mails = world.sink.to("cecilie@hol.kommune.no")
    assert len(mails) == 1 and "Ny sal" in _text(mails[0]) and "Frist fredag" in _text(mails[0])
    assert {r.state for r in (await _rows(world)).values()} == {"sent"}


async def test_bad_links_and_bad_answers_get_a_clear_page_and_change_nothing(world: World) -> None:
    await _open(world)
    link = _links(world.sink.to("cecilie@hol.kommune.no")[0])[0]
    token = link.split("/p/", 1)[1].split("?", 1)[0]
    before = _snapshot(world)
    async with aiohttp.ClientSession() as http:
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        async with http.get(f"{world.bot_url}/p/{tampered}") as resp:
            assert resp.status == 400
            page = await resp.text()
            assert "Lenken virker ikke" in page and "This link does not work" in page
        async with http.get(link) as resp:
            form = _Form()
            form.feed(await resp.text())
        fields = dict(form.hidden)
        fields[sorted(form.radios)[0]] = "9"  # not on a 1-5 scale
        async with http.post(f"{world.bot_url}/p", data=fields) as resp:
            assert resp.status == 400 and "ingenting er registrert" in await resp.text()
        fields[sorted(form.radios)[0]] = "4"
        fields["proof"] = "x" * 43  # a form the bot did not serve for this link
        async with http.post(f"{world.bot_url}/p", data=fields) as resp:
            assert resp.status == 400
        fields = dict(form.hidden)
        fields[sorted(form.radios)[0]] = "4"
        async with http.post(
            f"{world.bot_url}/p", data=fields, headers={"Sec-Fetch-Site": "cross-site"}
        ) as resp:
            assert resp.status == 403  # posted from another site
    assert _snapshot(world) == before
    # After the deadline the page says the pulse closed, and a late POST records nothing.
    world.clock.set(CLOSES + timedelta(minutes=1))
    await run_pulse_tick(world.runtime, CLOSES + timedelta(minutes=1))
    closed = _snapshot(world)
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as resp:
            assert resp.status == 410 and "Pulsen er stengt" in await resp.text()
        async with http.post(f"{world.bot_url}/p", data=fields) as resp:
            assert resp.status == 410
    assert _snapshot(world) == closed


async def test_an_anonymous_pulse_reminds_everybody_asked_by_email_too(world: World) -> None:
    await _open(world)
    await _answer_by_email(world, "cecilie@hol.kommune.no", value="4", choice="1")
    from bot.timing import QuietHours, next_allowed

    # Halfway is Friday 21:00 in Oslo: quiet hours hold the reminder to the next allowed moment.
    halfway = OPENS + (CLOSES - OPENS) / 2
    policy = QuietHours.from_settings(world.runtime.settings)
    allowed = next_allowed(halfway, audience="participant", tz="Europe/Oslo", policy=policy)
    for at in (halfway, allowed):
        world.clock.set(at)
        await run_pulse_tick(world.runtime, at)
        await Dispatcher(world.runtime).tick()
    # Cecilie answered, Dag did not: both are reminded, so the outbox tells nobody who answered.
    for address in ("cecilie@hol.kommune.no", "dag@al.kommune.no"):
        mails = world.sink.to(address)
        assert len(mails) == 2 and "Har du svart allerede, takk" in _text(mails[1])
    assert len(world.emulator.calls.calls("chat.postMessage", ok=True)) == 4


async def test_control_characters_in_a_free_text_answer_cannot_break_the_pulse(
    world: World,
) -> None:
    """Red team: a NUL byte (PostgreSQL text cannot hold one) and the bot's private-use markers
    in the page's free-text field. Before the fix the NUL went into the sealed receipt and, at
    close, made the release of every answer fail on PostgreSQL: one participant could stop a
    pulse from closing. Now the words are cleaned like every other text, the answer counts."""
    await _open(world)
    link = _links(world.sink.to("cecilie@hol.kommune.no")[0])[0]
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as resp:
            html = await resp.text()
        form = _Form()
        form.feed(html)
        textarea = re.search(r'<textarea name="([^"]+)"', html)
        assert textarea is not None
        fields = dict(form.hidden)
        fields[sorted(form.radios)[0]] = "4"
        fields[textarea.group(1)] = "Mer\x00 tid til \ue002U1\ue003Kari\ue004 gruppearbeid\u202e"
        async with http.post(
            f"{world.bot_url}{form.action}", data=fields, headers={"Sec-Fetch-Site": "same-origin"}
        ) as resp:
            assert resp.status == 200, await resp.text()
    world.clock.set(CLOSES)
    await run_pulse_tick(world.runtime, CLOSES)
    async with world.runtime.db.session() as s:
        pulse_id = (await s.execute(select(PulseParticipation))).scalars().first().pulse_id
        results = await pulse_results(s, pulse_id, settings=world.runtime.settings)
        from storage.models import PulseAnswer

        texts = [a.text for a in (await s.execute(select(PulseAnswer))).scalars() if a.text]
    assert results is not None and results.figures.total_answered == 1
    assert texts == ["Mer tid til U1Kari gruppearbeid"]  # the words stay, as words
