"""A cohort where one person (Kari) has data in every table that can hold a person, for the
export, erasure and retention tests; and scanners that look for her in the database's bytes."""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.consent import record_consent
from bot.notifier import OutgoingMessage
from bot.planner import plan_deliveries
from bot.sealed import respondent_token
from bot.settings import Settings
from storage.models import (
    AssignmentProgress,
    AuditEvent,
    Broadcast,
    ConsentKind,
    Delivery,
    EvaluatorLink,
    EvaluatorProposal,
    JobClaim,
    MatchBlock,
    MatchCheckin,
    MatchGroup,
    MatchRound,
    Network,
    NetworkChannel,
    NetworkMembership,
    OutboxFile,
    PersonIdentity,
    ProcessedEvent,
    PulseAnswer,
    PulseParticipation,
    ReportDownload,
    RiskCase,
    SendingPause,
)
from tests.utils.assignments import World, add_assignment, add_nudge, build_programme, oslo
from tests.utils.factories import _add, create_pulse, create_session

KARI_NAME = "Kari Ødegård Nordmann"
KARI_EMAIL = "kari@bergen.kommune.no"
KARI_SLACK = "UKARI"
REFLECTION = "Jeg snakket med Mona om turnusplanen på Fana sykehjem"
PULSE_TEXT = "Samlingen om turnus var svært nyttig for meg"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
KARI_TEAMS = ("29:kari-teams", "aad-kari", "a:kari-chat")  # her Teams user, Entra and chat ids


@dataclass
class RightsWorld:
    world: World
    kari_id: int
    ola_receipt: str

    @property
    def needles(self) -> list[str]:
        """What must be gone from every byte of the database after Kari's erasure."""
        return [
            KARI_EMAIL,
            KARI_NAME,
            KARI_SLACK,
            REFLECTION,
            PULSE_TEXT,
            PROJECT_TEXT,
            PROJECT_WORD,
            *KARI_TEAMS,
        ]


async def build_rights_world(session: AsyncSession, settings: Settings) -> RightsWorld:
    """Kari, with a row in every table that can hold her, and other people's rows naming her."""
    w = await build_programme(session)
    kari, mona, ola, staff = w.kari, w.mona, w.ola, w.staff
    kari.name = KARI_NAME
    kari.findable = True
    kari.bio = "Avdelingsleder i hjemmetjenesten"
    kari.created_at = kari.updated_at = START  # row times fixed too: no test reads the wall clock
    session.add(kari)
    cohort = w.cohort
    cohort.start_date = date(2026, 1, 10)
    cohort.end_date = date(2026, 12, 15)
    session.add(cohort)
    await create_session(session, cohort=cohort, number=1, starts_at=oslo(2026, 3, 10, 9))
    assignment = await add_assignment(
        session, cohort, release_at=oslo(2026, 3, 2, 9), due_at=oslo(2026, 3, 20, 16)
    )
    await add_nudge(session, cohort, send_at=oslo(2026, 3, 3, 9), respond_by=oslo(2026, 3, 10))
    # The real planner: Mona's nudge names Kari; Kari's own reminders go to her Slack id.
    await plan_deliveries(
        session=session, cohort_id=cohort.id, settings=settings, now=oslo(2026, 3, 2, 8)
    )
    assert kari.id is not None
    session.add(
        AssignmentProgress(
            assignment_id=assignment.id,
            person_id=kari.id,
            done_at=oslo(2026, 3, 5, 12),
            reflection=REFLECTION,
            reflection_shareable=True,
        )
    )
    # The planner made Kari's nudge answer row; staff handled it.
    answers = SQLModel.metadata.tables["nudge_answer"]
    await session.execute(
        update(answers)
        .where(answers.c.participant_id == kari.id)
        .values(answer="done", handled_by_id=staff.id)
    )
    pulse, questions = await create_pulse(
        session,
        cohort=cohort,
        anonymous=False,
        created_by_id=staff.id,
        questions=(("scale5", "Hvor nyttig?"), ("text", "Hva var best?")),
        closes_at=datetime(2026, 2, 20, 12, tzinfo=UTC),
    )
    session.add(PulseParticipation(pulse_id=pulse.id, person_id=kari.id, answered=True))
    session.add(
        PulseAnswer(
            pulse_id=pulse.id,
            question_id=questions[0].id,
            person_id=kari.id,
            respondent_token="kari-0",
            value=5,
        )
    )
    session.add(
        PulseAnswer(
            pulse_id=pulse.id,
            question_id=questions[1].id,
            person_id=kari.id,
            respondent_token="kari-1",
            text=PULSE_TEXT,
        )
    )
    # An anonymous answer: an aggregate that stays.
    anon_pulse, anon_q = await create_pulse(session, cohort=cohort, key="anonym")
    session.add(
        PulseAnswer(
            pulse_id=anon_pulse.id, question_id=anon_q[0].id, respondent_token="x" * 64, value=4
        )
    )
    network = await _add(
        session,
        Network(kind="cohort", key=f"cohort:{cohort.key}", name="Kull", cohort_id=cohort.id),
    )
    for person in (kari, ola):
        session.add(NetworkMembership(network_id=network.id, person_id=person.id, joined_at=START))
    session.add(
        NetworkChannel(
            network_id=network.id,
            platform="teams",
            container_id="team-1",
            channel_id="19:kull@thread.tacv2",
            name="Kull",
            created_at=START,
        )
    )
    session.add(MatchBlock(person_id=kari.id, blocked_person_id=ola.id))
    session.add(MatchBlock(person_id=ola.id, blocked_person_id=kari.id))
    match_round = await _add(
        session, MatchRound(network_id=network.id, started_at=oslo(2026, 3, 2, 9))
    )
    group = await _add(
        session, MatchGroup(round_id=match_round.id, member_ids=[kari.id, ola.id, mona.id])
    )
    session.add(MatchCheckin(group_id=group.id, person_id=kari.id, answer="yes", answered_at=START))
    session.add(
        Broadcast(
            created_by_id=staff.id,
            text=f"Gratulerer til {KARI_NAME} med prosjektprisen!",
            send_at=oslo(2026, 3, 2, 10),
        )
    )
    session.add(
        Delivery(
            dedupe_key="broadcast:1:mona",
            transport="email",
            kind="broadcast",
            target=mona.email,
            person_id=mona.id,
            message=OutgoingMessage(
                text=f"Gratulerer til {KARI_NAME} (<@{KARI_SLACK}>, {KARI_EMAIL})"
            ).to_json(),
            send_at=oslo(2026, 3, 2, 10),
        )
    )
    session.add(
        AuditEvent(
            actor=f"person:{staff.id}",
            actor_id=staff.id,
            action="person.read",
            subject=f"person:{kari.id}",
            detail={"email": KARI_EMAIL},
        )
    )
    session.add(AuditEvent(actor=f"person:{kari.id}", actor_id=kari.id, action="profile.update"))
    session.add(
        RiskCase(
            person_id=kari.id,
            cohort_id=cohort.id,
            week="2026-W10",
            reasons=["overdue"],
            followed_up_by_id=staff.id,
            note=f"Ringte {KARI_NAME}, alt ok",
        )
    )
    session.add(
        RiskCase(
            person_id=ola.id,
            cohort_id=cohort.id,
            week="2026-W10",
            reasons=["overdue"],
            note=f"Ola jobber sammen med {KARI_NAME}",
        )
    )
    await record_consent(
        session,
        person_id=kari.id,
        kind=ConsentKind.DIRECTORY,
        granted=True,
        locale="nb",
        via="slack",
        now=oslo(2026, 3, 2, 9),
    )
    # Her Teams identity: the conversation reference Teams sent names her.
    session.add(
        PersonIdentity(
            person_id=kari.id,
            platform="teams",
            user_id="29:kari-teams",
            aad_object_id="aad-kari",
            tenant_id="tenant-1",
            service_url="https://smba.trafficmanager.net/emea/",
            conversation_id="a:kari-chat",
            reference={"user": {"id": "29:kari-teams", "name": KARI_NAME}},
            created_at=START,
            updated_at=START,
        )
    )
    # A Teams message to her chat that was queued before the person link was known.
    session.add(
        Delivery(
            dedupe_key="teams:kari:1",
            transport="teams",
            kind="assignment_reminder",
            target="a:kari-chat|https://smba.trafficmanager.net/emea/",
            message=OutgoingMessage(text="Påminnelse: oppgave 1").to_json(),
            send_at=oslo(2026, 3, 2, 10),
        )
    )
    session.add(ProcessedEvent(event_id="Ev1", received_at=oslo(2026, 3, 2, 9)))
    session.add(JobClaim(job="retention", subject="all", due="2026-03-01", claimed_by="p1"))
    session.add(SendingPause(transport="email", reason="test"))
    # A Directorate proposal a staff member rejected, and the link the evaluator got.
    session.add(
        EvaluatorProposal(
            proposed_by="evaluator@helsedir.no",
            text="Hvor trygg er du?",
            kind="scale5",
            state="rejected",
            decided_by=f"person:{staff.id}",
            decided_by_id=staff.id,
            reason="Dekket",
            created_at=START,
        )
    )
    session.add(
        EvaluatorLink(
            email="evaluator@helsedir.no",
            created_at=START,
            expires_at=START,
            created_by="cli",
        )
    )
    # Kari's data export, waiting for its upload step to the staff member who asked.
    session.add(
        OutboxFile(
            filename="cohortbot-data-kari.json", content=b"{}", person_id=kari.id, created_at=START
        )
    )
    session.add(
        ReportDownload(
            token_hash="0" * 64,
            filename="arsrapport-2026.csv",
            content_type="text/csv",
            content=b"year,measure,value\n",
            expires_at=oslo(2026, 3, 3, 9),
        )
    )
    # Sealed answers to the open anonymous pulse, Kari's and Ola's, and its released count.
    key = settings.signing_key
    receipts = SQLModel.metadata.tables["pulse_receipt"]
    ola_token = respondent_token(key, anon_pulse.id, ola.id)
    for token in (respondent_token(key, anon_pulse.id, kari.id), ola_token):
        await session.execute(
            insert(receipts).values(pulse_id=anon_pulse.id, token=token, sealed=b"\x00" * 64)
        )
    await session.execute(
        insert(SQLModel.metadata.tables["pulse_response_count"]).values(
            pulse_id=anon_pulse.id, answered=1
        )
    )
    await session.execute(
        insert(SQLModel.metadata.tables["pulse_reach"]).values(
            pulse_id=anon_pulse.id, channel="email", people=2
        )
    )
    await _archive(session, settings, kari_id=kari.id, staff_id=staff.id, cohort_id=cohort.id)
    await session.flush()
    return RightsWorld(w, kari.id, ola_token)


# Kari's project in the archive (with a file in the archive store), and staff material naming
# her; the project's own words must go with her, the material's mention of her too.
PROJECT_TEXT = "Turnusprosjektet ved Fana sykehjem ga oss færre vikarer"
PROJECT_WORD = "vikarbruksreduksjonsprosjekt"  # one word, stemmed unchanged: the index holds it


async def _archive(
    session: AsyncSession, settings: Settings, *, kari_id: int, staff_id: int, cohort_id: int
) -> None:
    from bot.archive import store_for
    from bot.archive.index import reindex
    from storage.models import ArchiveItem

    data = b"%PDF-1.4 " + KARI_NAME.encode() + b" " + PROJECT_WORD.encode()
    key = await store_for(settings).put(data, suffix="pdf")
    project = ArchiveItem(
        owner_id=kari_id,
        added_by_id=staff_id,
        cohort_id=cohort_id,
        title="Færre vikarer",
        summary=PROJECT_TEXT,
        keywords=["turnus"],
        visibility="all",
        show_name=True,
        file_key=key,
        file_name="kari-prosjekt.pdf",
        file_type="pdf",
        file_size=len(data),
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_text=f"{KARI_NAME}: {PROJECT_WORD}",
        created_at=START,
        updated_at=START,
    )
    material = ArchiveItem(
        title="Gjesteforelesning",
        summary=f"Forelesning med {KARI_NAME} om turnus",
        visibility="all",
        kind="material",
        created_at=START,
        updated_at=START,
    )
    for item in (project, material):
        session.add(item)
        await session.flush()
        await reindex(session, item)


def _forms(needle: str) -> list[bytes]:
    """The byte spellings a needle can have in a database or a dump: UTF-8, JSON-escaped (and
    that again with pg_dump's doubled backslashes), lower- and upper-case."""
    escaped = json.dumps(needle)[1:-1]
    copy_escaped = escaped.replace("\\", "\\\\")  # pg_dump's COPY doubles backslashes
    return sorted(
        {
            needle.encode(),
            escaped.encode(),
            copy_escaped.encode(),
            needle.lower().encode(),
            needle.upper().encode(),
        }
    )


def find_needles(data: bytes, needles: list[str]) -> list[str]:
    """The needles (in any spelling) present in `data`."""
    lowered = data.lower()
    found = []
    for needle in needles:
        if any(form in data or form.lower() in lowered for form in _forms(needle)):
            found.append(needle)
    return found


def sqlite_files(database_url: str) -> list[Path]:
    """The database file and its WAL and shared-memory files, as far as they exist."""
    main = Path(database_url.removeprefix("sqlite:///"))
    return [p for p in (main, Path(f"{main}-wal"), Path(f"{main}-shm")) if p.exists()]


def sqlite_bytes(database_url: str) -> bytes:
    return b"".join(p.read_bytes() for p in sqlite_files(database_url))


def pg_dump_bytes(database_url: str) -> bytes:
    """A full plain-text pg_dump of the database."""
    return subprocess.run(
        ["pg_dump", "--no-owner", database_url],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout


def later(moment: datetime, days: int) -> datetime:
    return moment + timedelta(days=days)
