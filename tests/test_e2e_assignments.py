"""End to end: the bot's HTTP server, the local Slack workspace and its SMTP sink, a moving clock.

A planned assignment is posted to every class channel at the Oslo-local release time; a
participant clicks "Mark as done" (a signed block_actions request into /slack/events) and gets
no more reminders while the others get theirs; a line manager answers in Slack (the DM shows
the recorded answer) and another by a link from a real email, fetched through the bot's server.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import FrozenClock
from bot.planner import plan_deliveries
from bot.settings import Settings
from emulator.state import WorkspaceState
from schedules.nudges import run_nudge_followups
from storage.models import AssignmentProgress, AuditEvent, Delivery, DeliveryState, NudgeAnswer
from tests.utils.assignments import (
    World,
    add_assignment,
    add_nudge,
    build_programme,
    oslo,
)
from tests.utils.workspace import Workspace, eventually, running_workspace

RELEASE = oslo(2026, 9, 10, 16, 0)
DUE = oslo(2026, 9, 25, 23, 59)
NUDGE_AT = oslo(2026, 9, 14, 9, 0)  # Monday


def seed(state: WorkspaceState) -> None:
    """The Slack side of tests.utils.assignments.build_programme."""
    for uid, name, email, locale in (
        ("UKARI", "Kari Nordmann", "kari@bergen.kommune.no", "nb-NO"),
        ("UOLA", "Ola Hansen", "ola@bergen.kommune.no", "en-GB"),
        ("USIRI", "Siri Berg", "siri@bergen.kommune.no", "nb-NO"),
        ("UMONA", "Mona Leder", "mona@bergen.kommune.no", "nb-NO"),
        ("USTAFF", "Stab", "staff@lederutdanning.no", "nb-NO"),
    ):
        state.add_user(
            name.split()[0].lower(), real_name=name, email=email, locale=locale, user_id=uid
        )
    state.add_channel(
        "lu-2026h-bergen", members=["UKARI", "UOLA", "USIRI", "USTAFF"], channel_id="CBERGEN"
    )
    state.add_channel("lu-2026h-tromso", members=["USTAFF"], channel_id="CTROMSO")


@dataclass
class Loop(Workspace):
    """The running workspace and the programme seeded into it."""

    world: World

    def channel(self, channel_id: str) -> list[Any]:
        return self.state.channel_messages(channel_id)

    def dm(self, user_id: str) -> list[Any]:
        """The person's DM with the bot, without opening one (empty if there is none)."""
        im = self.state.im_between(self.state.bot_user_id, user_id)
        return self.state.channel_messages(im.id) if im else []


@pytest.fixture
async def loop(settings: Settings) -> AsyncIterator[Loop]:
    clock = FrozenClock(oslo(2026, 9, 1, 9, 0))
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        async with ws.runtime.db.transaction() as session:
            world = await build_programme(session)
            await add_assignment(session, world.cohort, release_at=RELEASE, due_at=DUE)
            await add_nudge(
                session, world.cohort, send_at=NUDGE_AT, respond_by=oslo(2026, 9, 18, 16)
            )
            await plan_deliveries(
                session=session,
                cohort_id=world.cohort.id,
                settings=ws.runtime.settings,
                now=clock.now(),
            )
        yield Loop(ws.emulator, ws.runtime, clock, ws.dispatcher, ws.bot_url, ws.http, world)


def _buttons(message: Any) -> list[tuple[str, str, str | None]]:
    return [
        (e["action_id"], e.get("value", ""), b.get("block_id"))
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def test_assignment_loop_done_stops_reminders_for_that_person_only(loop: Loop) -> None:
    await loop.at(RELEASE - timedelta(minutes=1))
    assert loop.channel("CBERGEN") == []
    await loop.at(RELEASE)
    for channel in ("CBERGEN", "CTROMSO"):
        [post] = loop.channel(channel)
        assert "Ny oppgave: Kartlegg eget arbeidssted" in str(post.blocks)
        assert "fredag 25. september kl. 23.59" in str(post.blocks)
    [post] = loop.channel("CBERGEN")
    async with loop.runtime.db.session() as session:
        sent = (
            (await session.execute(select(Delivery).where(col(Delivery.kind) == "assignment_post")))
            .scalars()
            .all()
        )
    assert {d.sent_at for d in sent} == {datetime(2026, 9, 10, 14, 0, tzinfo=UTC)}

    result = await loop.emulator.inbound.click(
        "UKARI", "assignment_done", channel_id="CBERGEN", message_ts=post.ts
    )
    assert result.acked

    async def kari_done() -> bool:
        async with loop.runtime.db.session() as session:
            rows = (await session.execute(select(AssignmentProgress))).scalars().all()
        return any(r.done_at is not None for r in rows)

    await eventually(kari_done)

    async def confirmed() -> bool:
        return any(
            "Registrert som gjort" in e.text
            for e in loop.emulator.state.ephemerals_for("UKARI", "CBERGEN")
        )

    await eventually(confirmed)
    # A second click records nothing new and says so.
    await loop.emulator.inbound.click(
        "UKARI", "assignment_done", channel_id="CBERGEN", message_ts=post.ts
    )

    async def said_already() -> bool:
        return any(
            "allerede" in e.text for e in loop.emulator.state.ephemerals_for("UKARI", "CBERGEN")
        )

    await eventually(said_already)

    for day in (19, 25, 26):
        await loop.at(oslo(2026, 9, day, 9, 0))
    assert loop.dm("UKARI") == []
    ola = [m.text for m in loop.dm("UOLA")]
    assert len(ola) == 3 and "was due" in ola[-1]
    per = loop.emulator.state.emails_to("per@tromso.kommune.no")
    # Per is not on Slack: the assignment itself, then the reminders, by email.
    assert len(per) == 4 and per[0].subject.startswith("Ny oppgave")
    assert not loop.dm("USIRI")  # withdrawn


async def test_manager_answers_in_slack_and_by_email_link(loop: Loop) -> None:
    await loop.at(NUDGE_AT)
    [dm] = loop.dm("UMONA")  # one combined message for Kari and Ola
    buttons = _buttons(dm)
    assert len(buttons) == 6
    kari_done = next(b for b in buttons if b[0] == "nudge_answer_done")
    await loop.emulator.inbound.click(
        "UMONA", kari_done[0], channel_id=dm.channel, message_ts=dm.ts, block_id=kari_done[2]
    )

    async def updated() -> bool:
        message = loop.emulator.state.find_message(dm.channel, dm.ts)
        return message is not None and "Takk! Registrert for Kari Nordmann: Gjort" in str(
            message.blocks
        )

    await eventually(updated)
    message = loop.emulator.state.find_message(dm.channel, dm.ts)
    assert message is not None and len(_buttons(message)) == 3  # Ola's buttons are still there
    await loop.at(NUDGE_AT + timedelta(minutes=5))
    # Kari hears "confirmed" only when it is final (the manager may still change it).
    assert not any("Mona Leder har bekreftet" in m.text for m in loop.dm("UKARI"))

    [mail] = loop.emulator.state.emails_to("erik@tromso.kommune.no")
    assert mail.html and 'lang="nb"' in mail.html and "Per Olsen" in (mail.text or "")
    assert ">Ditt svar for Per Olsen</h2>" in mail.html  # a heading per participant
    assert ">Gjort – for Per Olsen</a>" in mail.html  # links say what they do, and for whom
    links = dict(
        re.findall(
            r"^(Gjort|Kan ikke denne gangen|Ikke ennå)[^:]*: (\S+?)\r?$", mail.text or "", re.M
        )
    )
    assert set(links) == {"Gjort", "Kan ikke denne gangen", "Ikke ennå"}
    url = links["Kan ikke denne gangen"]
    assert url.startswith(f"{loop.bot_url}/r/")
    async with loop.http.get(url) as resp:  # opening the link shows the question only
        assert resp.status == 200
        page = await resp.text()
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))
    async with loop.http.post(url, data={**form, "answer": "cannot"}) as resp:
        assert resp.status == 200
        assert "Registrert for Per Olsen: Kan ikke denne gangen" in await resp.text()
    async with loop.http.post(url, data={**form, "answer": "cannot"}) as resp:  # replay
        assert resp.status == 200 and "allerede registrert" in await resp.text()
    async with loop.http.get(url[:-4] + "AAAA") as resp:
        assert resp.status == 400
    async with loop.runtime.db.session() as session:
        answers = {
            a.participant_id: a for a in (await session.execute(select(NudgeAnswer))).scalars()
        }
    assert (answers[loop.world.per.id].answer, answers[loop.world.per.id].answered_via) == (
        "cannot",
        "email",
    )
    assert answers[loop.world.kari.id].answered_via == "slack"
    assert answers[loop.world.ola.id].answer is None

    # Nobody answers for Ola: one reminder after five working days, then staff see it.
    stats = await run_nudge_followups(loop.runtime, oslo(2026, 9, 21, 9, 0))
    assert stats.reminded == 1
    await loop.at(oslo(2026, 9, 21, 9, 1))
    assert len(loop.dm("UMONA")) == 2 and "Ola Hansen" in loop.dm("UMONA")[-1].text
    stats = await run_nudge_followups(loop.runtime, oslo(2026, 9, 28, 9, 0))
    assert stats.escalated == 1
    await loop.emulator.inbound.app_home_opened("USTAFF")

    async def staff_sees_it() -> bool:
        view = next(
            (
                v
                for v in loop.emulator.state.views.values()
                if v.user_id == "USTAFF" and v.type == "home"
            ),
            None,
        )
        return view is not None and "Mona Leder" in str(view.payload.get("blocks"))

    await eventually(staff_sees_it)
    # Past the answer deadline Mona's "Done" is final, and Kari is told.
    await loop.at(oslo(2026, 9, 28, 9, 5))
    assert any("Mona Leder har bekreftet" in m.text for m in loop.dm("UKARI"))
    async with loop.runtime.db.session() as session:
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert "nudges.silent_read" in actions  # names on staff's Home are an audited read

    # /cohort managers: involvement per nudge (3 asked, 2 answered, 1 "Done") and Ola's manager.
    await loop.emulator.inbound.slash_command("USTAFF", "CBERGEN", "/cohort", "managers")

    async def figures_shown() -> bool:
        return any(
            "2 av 3 har svart (67 %), 1 «Gjort»" in str(e.blocks) and "Mona Leder" in str(e.blocks)
            for e in loop.emulator.state.ephemerals_for("USTAFF", "CBERGEN")
        )

    await eventually(figures_shown)
    # "Resend" on the list says to whom and for whom (a manager may be silent for several).
    listing = next(
        e
        for e in loop.emulator.state.ephemerals_for("USTAFF", "CBERGEN")
        if "nudge_resend" in str(e.blocks)
    )
    resend = next(b for b in _buttons(listing) if b[0] == "nudge_resend")
    await loop.emulator.inbound.click(
        "USTAFF", resend[0], channel_id="CBERGEN", message_ts=listing.ts, block_id=resend[2]
    )

    async def resent() -> bool:
        return any(
            e.text == "Sendt på nytt til Mona Leder for Ola Hansen."
            for e in loop.emulator.state.ephemerals_for("USTAFF", "CBERGEN")
        )

    await eventually(resent)
    await loop.emulator.inbound.slash_command("UKARI", "CBERGEN", "/cohort", "managers")

    async def refused() -> bool:
        return any(
            "Dette kan bare programstaben gjøre" in e.text
            for e in loop.emulator.state.ephemerals_for("UKARI", "CBERGEN")
        )

    await eventually(refused)


async def test_expired_email_link_changes_nothing(loop: Loop) -> None:
    await loop.at(NUDGE_AT)
    [mail] = loop.emulator.state.emails_to("erik@tromso.kommune.no")
    url = re.findall(r"^Gjort[^:]*: (\S+?)\r?$", mail.text or "", re.M)[0]
    loop.clock.set(NUDGE_AT + timedelta(days=31))
    async with loop.http.get(url) as resp:
        assert resp.status == 410 and "Lenken er utløpt" in await resp.text()
    async with loop.runtime.db.session() as session:
        rows = (await session.execute(select(NudgeAnswer))).scalars().all()
    assert all(r.answer is None for r in rows)
    async with loop.runtime.db.session() as session:
        pending = (
            (
                await session.execute(
                    select(Delivery).where(col(Delivery.state) == DeliveryState.PENDING)
                )
            )
            .scalars()
            .all()
        )
    assert pending  # reminders are still waiting; nothing was cancelled by the bad click


async def test_reflection_modal_slash_command_and_home(loop: Loop) -> None:
    await loop.at(RELEASE)
    [post] = loop.channel("CBERGEN")
    await loop.emulator.inbound.click(
        "UOLA", "assignment_reflect", channel_id="CBERGEN", message_ts=post.ts
    )

    async def modal_open() -> bool:
        return loop.emulator.state.top_modal("UOLA") is not None

    await eventually(modal_open)
    modal = loop.emulator.state.top_modal("UOLA")
    assert modal is not None and modal.payload["title"]["text"] == "Reflection"
    empty = await loop.emulator.inbound.submit_view(
        "UOLA", modal.id, {"reflection": {"text": "   "}}
    )
    assert empty.acked and "reflection" in modal.errors  # the bot refused blank text
    await loop.emulator.inbound.submit_view(
        "UOLA",
        modal.id,
        {"reflection": {"text": "I talked to my team."}, "share": {"shareable": ["yes"]}},
    )

    async def saved() -> bool:
        async with loop.runtime.db.session() as session:
            rows = (await session.execute(select(AssignmentProgress))).scalars().all()
        return any(r.reflection == "I talked to my team." and r.reflection_shareable for r in rows)

    await eventually(saved)
    await eventually(lambda: _async(any("reflection" in m.text for m in loop.dm("UOLA"))))

    # A participant's /cohort assignments lists their own open ones; staff name a class.
    await loop.emulator.inbound.slash_command("UKARI", "CBERGEN", "/cohort", "assignments")
    await eventually(
        lambda: _async(
            any(
                "Dine åpne oppgaver" in str(e.blocks)
                for e in loop.emulator.state.ephemerals_for("UKARI", "CBERGEN")
            )
        )
    )
    loop.clock.set(oslo(2026, 9, 27, 12, 0))
    await loop.emulator.inbound.slash_command("USTAFF", "CBERGEN", "/cohort", "assignments bergen")

    async def staff_table() -> bool:
        return any(
            "Forsinket" in str(e.blocks) and "Ola Hansen" in str(e.blocks)
            for e in loop.emulator.state.ephemerals_for("USTAFF", "CBERGEN")
        )

    await eventually(staff_table)
    # App Home: Kari's open assignment with its buttons; marking done there refreshes Home.
    await loop.emulator.inbound.app_home_opened("UKARI")

    def home(user: str) -> Any:
        return next(
            (
                v
                for v in loop.emulator.state.views.values()
                if v.user_id == user and v.type == "home"
            ),
            None,
        )

    await eventually(
        lambda: _async(home("UKARI") is not None and "Kartlegg" in str(home("UKARI").payload))
    )
    view = home("UKARI")
    await loop.emulator.inbound.click("UKARI", "assignment_done", view_id=view.id)
    await eventually(
        lambda: _async("ingen åpne oppgaver" in str(home("UKARI").payload.get("blocks")))
    )


async def _async(value: bool) -> bool:
    return value


async def test_holiday_night_and_dst_moves_reach_slack_at_the_allowed_time(loop: Loop) -> None:
    # Planned on 20 October (summer time): a reminder for 27 October 09:00 local (winter
    # time, 08:00 UTC), and one that would fall on 26 December (a public holiday).
    loop.clock.set(oslo(2026, 10, 20, 12, 0))
    async with loop.runtime.db.transaction() as session:
        dst = await add_assignment(
            session,
            loop.world.cohort,
            key="dst",
            release_at=oslo(2026, 10, 1, 9, 0),
            due_at=oslo(2026, 10, 28, 9, 0),
            offsets=[24 * 60],
        )
        xmas = await add_assignment(
            session,
            loop.world.cohort,
            key="jul",
            release_at=oslo(2026, 12, 1, 9, 0),
            due_at=oslo(2026, 12, 27, 12, 0),
            offsets=[24 * 60],
        )
        await plan_deliveries(
            session=session,
            cohort_id=loop.world.cohort.id,
            settings=loop.runtime.settings,
            now=loop.clock.now(),
        )

    def reminders_for(title_key: str) -> int:
        return sum(1 for m in loop.dm("UOLA") if title_key in m.text)

    assert dst.title == xmas.title  # same factory title; tell them apart by due date text
    await loop.at(datetime(2026, 10, 27, 7, 59, tzinfo=UTC))
    assert reminders_for("Wednesday 28 October") == 0
    await loop.at(datetime(2026, 10, 27, 8, 0, tzinfo=UTC))
    assert reminders_for("Wednesday 28 October") == 1
    await loop.at(oslo(2026, 12, 26, 12, 0))
    assert reminders_for("Sunday 27 December") == 0
    await loop.at(oslo(2026, 12, 27, 7, 59))
    assert reminders_for("Sunday 27 December") == 0  # night
    await loop.at(oslo(2026, 12, 27, 8, 0))
    assert reminders_for("Sunday 27 December") == 1
