"""The demo programme for the local workspace: a plan timed around `now` and ~40 participants.

Everything is generated from a seed, so two runs with the same seed and time give the same
people and plan. The first deliveries fall due a few minutes after `now`.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.directory import DirectoryUser
from bot.networks import sync_cohort_channels
from bot.people_import import Table, run_import
from bot.plan import parse_plan
from bot.plan_apply import apply_plan_to
from bot.settings import Settings
from storage.db import Database
from storage.queries import people as people_q
from storage.queries import plan as plan_q

# Runs the outbox once (a Dispatcher's tick): the demo's channels are outbox steps.
Dispatch = Callable[[], Awaitable[object]]

OSLO = ZoneInfo("Europe/Oslo")
DEMO_COHORT = "demo"

CLASSES = [
    ("bergen", "Klasse Bergen", "Bergen"),
    ("trondheim", "Klasse Trondheim", "Trondheim"),
    ("tromso", "Klasse Tromsø", "Tromsø"),
]

# (municipality, county) near each class's city.
MUNICIPALITIES = {
    "bergen": [
        ("Bergen", "Vestland"),
        ("Askøy", "Vestland"),
        ("Bjørnafjorden", "Vestland"),
        ("Stord", "Vestland"),
        ("Voss", "Vestland"),
        ("Sunnfjord", "Vestland"),
    ],
    "trondheim": [
        ("Trondheim", "Trøndelag"),
        ("Malvik", "Trøndelag"),
        ("Orkland", "Trøndelag"),
        ("Levanger", "Trøndelag"),
        ("Steinkjer", "Trøndelag"),
        ("Molde", "Møre og Romsdal"),
    ],
    "tromso": [
        ("Tromsø", "Troms"),
        ("Harstad", "Troms"),
        ("Senja", "Troms"),
        ("Alta", "Finnmark"),
        ("Bodø", "Nordland"),
        ("Narvik", "Nordland"),
    ],
}

SERVICE_AREAS = [
    "Hjemmetjenester",
    "Sykehjem",
    "Legevakt",
    "Helsestasjon og skolehelsetjeneste",
    "Psykisk helse og rus",
    "Fastlegekontor",
    "Habilitering og rehabilitering",
]
POSITIONS = ["Avdelingsleder", "Enhetsleder", "Teamleder", "Fagleder", "Seksjonsleder"]
EDUCATIONS = [
    "Sykepleier",
    "Vernepleier",
    "Fysioterapeut",
    "Ergoterapeut",
    "Lege",
    "Helsefagarbeider",
]
FIRST_NAMES = [
    ("Ingrid", "kvinne"), ("Kari", "kvinne"), ("Silje", "kvinne"), ("Marte", "kvinne"),
    ("Hanne", "kvinne"), ("Ida", "kvinne"), ("Nora", "kvinne"), ("Sunniva", "kvinne"),
    ("Camilla", "kvinne"), ("Tone", "kvinne"), ("Guro", "kvinne"), ("Åse", "kvinne"),
    ("Hilde", "kvinne"), ("Marit", "kvinne"), ("Sigrid", "kvinne"), ("Elin", "kvinne"),
    ("Ole", "mann"), ("Lars", "mann"), ("Anders", "mann"), ("Per", "mann"), ("Jon", "mann"),
    ("Erik", "mann"), ("Håkon", "mann"), ("Øyvind", "mann"), ("Magnus", "mann"),
    ("Sindre", "mann"), ("Amir", "mann"), ("Fatima", "kvinne"), ("Aleksander", "mann"),
]  # fmt: skip
LAST_NAMES = [
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
    "Jensen", "Karlsen", "Berg", "Haugen", "Hagen", "Bakken", "Solberg", "Strand", "Lie",
    "Dahl", "Lunde", "Moen", "Eide", "Sæther", "Rønning", "Aas", "Vik", "Nygård", "Holm",
]  # fmt: skip
MANAGER_TITLES = ["Kommunalsjef helse og omsorg", "Virksomhetsleder", "Tjenesteleder"]


@dataclass(frozen=True)
class DemoPerson:
    """A person of the demo and whether they have a Slack account in the local workspace."""

    row: dict[str, str]
    role: str  # participant | line_manager | staff
    on_slack: bool


def _slug(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text if ch.isalnum())


def demo_people(seed: int = 2026, participants: int = 40) -> list[DemoPerson]:
    """Participants spread over the three classes, their line managers, and two staff members."""
    rng = random.Random(seed)
    used: set[str] = set()

    def unique_name() -> tuple[str, str]:
        while True:
            first, gender = rng.choice(FIRST_NAMES)
            name = f"{first} {rng.choice(LAST_NAMES)}"
            if name not in used:
                used.add(name)
                return name, gender

    people: list[DemoPerson] = []
    managers: dict[tuple[str, str], tuple[str, str]] = {}  # (municipality, area) -> manager
    for i in range(participants):
        class_key = CLASSES[i % len(CLASSES)][0]
        municipality, county = rng.choice(MUNICIPALITIES[class_key])
        area = rng.choice(SERVICE_AREAS)
        name, gender = unique_name()
        email = (
            f"{_slug(name.split()[0])}.{_slug(name.split()[1])}@{_slug(municipality)}.kommune.no"
        )
        key = (municipality, area)
        if key not in managers:
            manager_name, _ = unique_name()
            manager_email = (
                f"{_slug(manager_name.split()[0])}.{_slug(manager_name.split()[1])}"
                f"@{_slug(municipality)}.kommune.no"
            )
            managers[key] = (manager_email, manager_name)
        manager_email, manager_name = managers[key]
        people.append(
            DemoPerson(
                row={
                    "email": email,
                    "name": name,
                    "class": class_key,
                    "municipality": municipality,
                    "county": county,
                    "service_area": area,
                    "position": rng.choice(POSITIONS),
                    "gender": gender,
                    "education": rng.choice(EDUCATIONS),
                    "line_manager_email": manager_email,
                    "line_manager_name": manager_name,
                    "locale": "en" if i % 13 == 5 else "nb",
                },
                role="participant",
                on_slack=True,
            )
        )
    # About a third of the line managers are not in the programme's Slack: they get email.
    for n, (email, name) in enumerate(sorted(managers.values())):
        people.append(
            DemoPerson(
                row={"email": email, "name": name, "position": MANAGER_TITLES[n % 3]},
                role="line_manager",
                on_slack=n % 3 != 0,
            )
        )
    for email, name in (
        ("stab.anne@lederutdanning.no", "Anne Programleder"),
        ("stab.ola@lederutdanning.no", "Ola Koordinator"),
    ):
        people.append(DemoPerson(row={"email": email, "name": name}, role="staff", on_slack=True))
    return people


def _at(moment: datetime) -> str:
    return moment.astimezone(OSLO).strftime("%Y-%m-%d %H:%M")


def demo_plan(now: datetime) -> dict[str, Any]:
    """A plan whose first session is behind us and whose next deliveries are minutes away."""
    local = now.astimezone(OSLO).replace(second=0, microsecond=0)
    day = local.replace(hour=9, minute=0)
    s1 = day - timedelta(days=20)
    s2 = day + timedelta(days=6)
    s3 = day + timedelta(days=34)
    s4 = day + timedelta(days=69)
    sessions = [
        (1, "Samling 1: Å lede i primærhelsetjenesten", s1, True),
        (2, "Samling 2: Endringsledelse og innovasjon", s2, False),
        (3, "Samling 3: Tjenesteutvikling og kvalitetsforbedring", s3, True),
        (4, "Samling 4: Strategisk ledelse og avslutning", s4, True),
    ]
    return {
        "programme": {"key": "nlph", "name": "Nasjonal lederutdanning for primærhelsetjenesten"},
        "cohort": {
            "key": DEMO_COHORT,
            "name": "Demokull",
            "timezone": "Europe/Oslo",
            "start": s1.date().isoformat(),
            "end": (s4 + timedelta(days=2)).date().isoformat(),
        },
        "classes": [{"key": k, "name": n, "city": c} for k, n, c in CLASSES],
        "sessions": [
            {
                "key": f"s{number}",
                "number": number,
                "title": title,
                "start": _at(start),
                "end": _at(start + timedelta(days=1, hours=6)),
                "location": "Klassens studiested",
                "line_manager": managers_join,
            }
            for number, title, start, managers_join in sessions
        ],
        "assignments": [
            {
                "key": "a1",
                "title": "Forankre utviklingsprosjektet",
                "description": (
                    "Beskriv et utviklingsprosjekt på din egen arbeidsplass (maks én side): hva du "
                    "vil endre, hvorfor, og hvem som berøres. Avtal målet med din nærmeste leder."
                ),
                "release": _at(local + timedelta(minutes=2)),
                "due": "1 day before session 2 at 23:59",
                "line_manager": True,
                "reminders": ["3 days", "1 day"],
            },
            {
                "key": "a2",
                "title": "Intervju med en medarbeider om endring",
                "description": "Intervju en medarbeider om en endring dere har vært gjennom.",
                "release": "2 days after end of session 2 at 09:00",
                "due": "7 days before session 3 at 23:59",
            },
        ],
        "nudges": [
            {
                "key": "prosjekt",
                "kind": "assignment",
                "assignment": "a1",
                "title": "Godkjenn utviklingsprosjektet",
                "text": (
                    "Deltakeren beskriver nå sitt utviklingsprosjekt. Gå gjennom beskrivelsen "
                    "sammen og bekreft at prosjektet er forankret hos deg."
                ),
                "send": _at(local + timedelta(minutes=3)),
                "respond_by": "1 day before session 2 at 16:00",
            },
            {
                "key": "samling3",
                "kind": "session",
                "session": 3,
                "title": "Bli med på samling 3",
                "text": "Nærmeste ledere er invitert til ettermiddagen første dag på samling 3.",
                "send": "21 days before session 3 at 09:00",
                "respond_by": "7 days before session 3 at 16:00",
            },
        ],
        "pulses": [
            {
                "key": "etter-s1",
                "title": "Hvordan var samling 1?",
                "anonymous": True,
                "opens": _at(local + timedelta(minutes=4)),
                "reminder": _at(local + timedelta(days=3)),
                "closes": _at(local + timedelta(days=6)),
                "questions": [
                    {"kind": "scale5", "text": "Hvor nyttig var samlingen for deg som leder?"},
                    {
                        "kind": "choice",
                        "text": "Hvordan var arbeidsmengden?",
                        "choices": ["For lav", "Passe", "For høy"],
                    },
                    {"kind": "text", "text": "Hva bør vi gjøre annerledes til neste gang?"},
                ],
            },
            {
                "key": "etter-s2",
                "title": "Hvordan var samling 2?",
                "anonymous": False,
                "opens": "1 day after end of session 2 at 09:00",
                "reminder": "4 days after end of session 2 at 12:00",
                "closes": "8 days after end of session 2 at 23:59",
                "questions": [
                    {"kind": "scale5", "text": "Hvor nyttig var samlingen for deg som leder?"},
                    {
                        "kind": "nps",
                        "text": "Hvor sannsynlig er det at du anbefaler utdanningen til en kollega?",
                    },
                ],
            },
        ],
    }


def demo_plan_yaml(now: datetime) -> str:
    """The demo plan as YAML text, as a person would write it."""
    return yaml.safe_dump(demo_plan(now), allow_unicode=True, sort_keys=False, width=100)


@dataclass
class DemoReport:
    """What seeding the demo did."""

    created: bool
    participants: int = 0
    line_managers: int = 0
    channels: int = 0


async def demo_exists(db: Database) -> bool:
    async with db.session() as session:
        return await plan_q.get_cohort_by_key(session=session, key=DEMO_COHORT) is not None


async def _sync_channels(
    db: Database, settings: Settings, dispatch: Dispatch | None, now: datetime
) -> int:
    if dispatch is None:
        return 0
    async with db.transaction() as session:
        cohort = await plan_q.get_cohort_by_key(session=session, key=DEMO_COHORT)
        assert cohort is not None and cohort.id is not None
        sync = await sync_cohort_channels(session, settings, cohort_id=cohort.id, now=now)
    # The channels are made by outbox steps after the commit: run them now.
    await dispatch()
    return len(sync.channels)


async def seed_demo(
    db: Database,
    settings: Settings,
    *,
    now: datetime,
    directory_users: list[DirectoryUser] | None = None,
    dispatch: Dispatch | None = None,
    people: list[DemoPerson] | None = None,
) -> DemoReport:
    """Apply the demo plan, import its people, make staff and create the class channels.

    Does nothing if the demo cohort exists, so `make run` can call it on every start.
    `dispatch` runs the outbox (the channel steps); without it no channels are made.
    People are matched to Slack users by email from `directory_users`, as in a real import.
    """
    if await demo_exists(db):
        return DemoReport(created=False)
    people = people or demo_people()
    plan = parse_plan(demo_plan_yaml(now), source="demo plan")
    await apply_plan_to(db, plan, settings=settings, now=now, actor="demo")
    # Channels first, so the planner finds them when the import plans the assignment posts;
    # then again after the import, to invite the people.
    synced = await _sync_channels(db, settings, dispatch, now)
    participants = [p.row for p in people if p.role == "participant"]
    columns = tuple(participants[0])
    table = Table(columns=columns, rows=tuple((n + 2, row) for n, row in enumerate(participants)))
    imported = await run_import(
        db,
        "demo people",
        cohort_ref=DEMO_COHORT,
        today=now.astimezone(OSLO).date(),
        directory_users=directory_users,
        actor="demo",
        table=table,
        settings=settings,
        now=now,
    )
    by_email = {u.email.lower(): u for u in directory_users or [] if u.email}
    async with db.transaction() as session:
        for person in people:
            if person.role == "staff":
                user = by_email.get(person.row["email"])
                await people_q.upsert_staff(
                    session=session,
                    email=person.row["email"],
                    name=person.row["name"],
                    now=now,
                    slack_user_id=user.id if user else None,
                )
    synced = await _sync_channels(db, settings, dispatch, now)
    return DemoReport(
        created=True,
        participants=imported.rows,
        line_managers=sum(1 for p in people if p.role == "line_manager"),
        channels=synced,
    )
