"""End to end in the local workspace: staff create a pulse with `/cohort pulse`, participants answer
it in their DMs (buttons and the free-text modal), staff read results and get the annual report.

Everything goes over real HTTP between the emulator and the bot; time moves only when the test
moves it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.clock import FrozenClock
from bot.pulses import QuestionSpec, create_pulse
from bot.settings import Settings
from emulator.state import WorkspaceState
from schedules.pulses import run_pulse_tick
from storage.models import PulseAnswer, PulseParticipation, PulseReceipt
from tests.utils.factories import create_class, create_cohort, create_person, enrol
from tests.utils.workspace import eventually, running_workspace

NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Oslo
PEOPLE = [("UKARI", "Kari Nordmann"), ("UOLA", "Ola Hansen"), ("UINA", "Ina Berg")]


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="anne@lederutdanning.no", user_id="USTAFF")
    for uid, name in PEOPLE:
        state.add_user(uid.lower(), real_name=name, email=f"{uid.lower()}@kommune.no", user_id=uid)


async def test_a_pulse_from_creation_to_report(settings: Settings) -> None:
    clock = FrozenClock(NOW)
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        async with ws.runtime.db.transaction() as s:
            cohort = await create_cohort(s, key="2026v", name="Kull 2026 vår")
            bergen = await create_class(s, cohort=cohort, key="bergen", name="Klasse Bergen")
            await create_person(
                s,
                email="anne@lederutdanning.no",
                name="Anne Stab",
                slack_user_id="USTAFF",
                is_staff=True,
            )
            for uid, name in PEOPLE:
                p = await create_person(
                    s, email=f"{uid.lower()}@kommune.no", name=name, slack_user_id=uid
                )
                await enrol(s, person=p, cohort=cohort, cls=bergen)

        # Staff: /cohort pulse opens the modal; submitting it creates the pulse.
        await ws.command("USTAFF", "pulse")
        await eventually(lambda: _has_modal(ws, "USTAFF"))
        modal = ws.state.modal_stacks["USTAFF"][-1]
        await ws.emulator.inbound.submit_view(
            "USTAFF",
            modal.id,
            {
                "title": {"value": "Etter samling 1"},
                "q1": {"value": "Hvor nyttig var samlingen?"},
                "q1_kind": {"value": "scale5"},
                "q2": {"value": "Hva kan bli bedre?"},
                "q2_kind": {"value": "text"},
                "audience": {"value": "participants"},
                "closes_days": {"value": "7"},
                "anonymous": {"value": ["yes"]},
            },
        )
        await ws.emulator.inbound.drain()
        await eventually(lambda: _dm_contains(ws, "USTAFF", "Pulsen «Etter samling 1» er laget"))

        # The pulse job invites everyone; the dispatcher sends the DMs.
        result = await run_pulse_tick(ws.runtime, clock.now())
        await ws.at(clock.now())
        assert result.invited == 3
        invite = ws.dm("UKARI")[-1]
        assert "svarene kan ikke spores tilbake til deg" in str(invite.blocks)

        # Kari clicks 4, then the text button, writes in the modal and sends it.
        button = _find(invite.blocks, "4")
        await ws.emulator.inbound.click(
            "UKARI", button["action_id"], channel_id=ws.dm_channel("UKARI"), message_ts=invite.ts
        )
        await ws.emulator.inbound.drain()
        await eventually(lambda: _dm_contains(ws, "UKARI", "Svaret ditt er registrert"))
        text_button = _find(ws.dm("UKARI")[-1].blocks, "Skriv svar")
        await ws.emulator.inbound.click(
            "UKARI",
            text_button["action_id"],
            channel_id=ws.dm_channel("UKARI"),
            message_ts=invite.ts,
        )
        await ws.emulator.inbound.drain()
        await eventually(lambda: _has_modal(ws, "UKARI"))
        text_modal = ws.state.modal_stacks["UKARI"][-1]
        await ws.emulator.inbound.submit_view(
            "UKARI", text_modal.id, {"pulse_text_answer": {"text": "Mer tid til kollegagruppene"}}
        )
        await ws.emulator.inbound.drain()

        async def stored() -> bool:
            async with ws.runtime.db.session() as s:
                receipts = (await s.exec(select(PulseReceipt))).all()
            return len(receipts) == 1 and len(ws.dm("UKARI")) >= 1

        await eventually(stored)
        async with ws.runtime.db.session() as s:
            assert (await s.exec(select(PulseAnswer))).all() == []  # sealed until close
            answered = (
                await s.exec(select(PulseParticipation).where(PulseParticipation.answered))
            ).all()
        assert answered == []  # nothing per person changes when answering

        # Halfway is Thursday 21:00, in quiet hours: the reminder goes in the morning, to all
        # three asked (anonymous: a reminder only to those who had not answered would say who had).
        clock.set(NOW + timedelta(days=3, hours=12))
        night = await run_pulse_tick(ws.runtime, clock.now())
        clock.set(NOW + timedelta(days=4))
        reminded = await run_pulse_tick(ws.runtime, clock.now())
        await ws.at(NOW + timedelta(days=4))
        assert (night.reminded, reminded.reminded) == (0, 3)
        assert any("Har du svart allerede" in m.text for m in ws.dm("UKARI"))
        assert any("Har du svart allerede" in m.text for m in ws.dm("UOLA"))

        # Staff, while it is open: how many so far, and that results come at close.
        await ws.command("USTAFF", "results 1")
        reply = await ws.last_ephemeral("USTAFF")
        assert "Svart så langt: 1 av 3" in reply.text and "når den stenger" in reply.text
        # Closed: the answers are released (1 answer is under 5: hidden), the report as a file.
        clock.set(NOW + timedelta(days=7))
        assert (await run_pulse_tick(ws.runtime, clock.now())).closed == 1
        async with ws.runtime.db.session() as s:
            answers = (await s.exec(select(PulseAnswer))).all()
            assert (await s.exec(select(PulseReceipt))).all() == []
        assert sorted(((a.value, a.text) for a in answers), key=str) == [
            (4, None),
            (None, "Mer tid til kollegagruppene"),
        ]
        assert all(a.person_id is None and a.class_id is None for a in answers)
        before = len(ws.ephemerals("USTAFF"))
        await ws.command("USTAFF", "results 1")
        await eventually(lambda: _truthy(len(ws.ephemerals("USTAFF")) > before))
        reply = ws.ephemerals("USTAFF")[-1]
        assert "1 av 3 har svart" in reply.text and "skjult" in reply.text
        await ws.command("USTAFF", "report 2026 html")

        async def report_uploaded() -> bool:
            await ws.dispatcher.tick()  # the upload is an outbox step after the commit
            return any(
                f.name == "arsrapport-2026.html" and f.completed for f in ws.state.files.values()
            )

        await eventually(report_uploaded)
        html = next(f for f in ws.state.files.values() if f.name == "arsrapport-2026.html")
        assert html.content is not None and b"Etter samling 1" in html.content


async def _truthy(value: object) -> bool:
    return bool(value)


async def test_the_text_button_of_a_closed_pulse_says_so_before_any_writing(
    settings: Settings,
) -> None:
    """After the deadline the free-text button opens no modal (the answer could not be kept), and
    the reply names the deadline people were given, not the later moment the close job ran."""
    clock = FrozenClock(NOW)
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        async with ws.runtime.db.transaction() as s:
            cohort = await create_cohort(s, key="2026v", name="Kull 2026 vår")
            bergen = await create_class(s, cohort=cohort, key="bergen", name="Klasse Bergen")
            for uid, name in PEOPLE:
                p = await create_person(
                    s, email=f"{uid.lower()}@kommune.no", name=name, slack_user_id=uid
                )
                await enrol(s, person=p, cohort=cohort, cls=bergen)
            await create_pulse(
                s,
                title="Etter samling 1",
                questions=[QuestionSpec("text", "Hva kan bli bedre?")],
                cohort_id=cohort.id,
                opens_at=NOW,
                closes_at=NOW + timedelta(days=7),  # tirsdag 10. mars kl. 09.00
                now=NOW,
                anonymous=True,
            )
        await run_pulse_tick(ws.runtime, clock.now())
        await ws.at(clock.now())
        invite = ws.dm("UOLA")[-1]

        # The close job runs three hours after the deadline.
        clock.set(NOW + timedelta(days=7, hours=3))
        assert (await run_pulse_tick(ws.runtime, clock.now())).closed == 1
        text_button = _find(invite.blocks, "Skriv svar")
        await ws.emulator.inbound.click(
            "UOLA", text_button["action_id"], channel_id=ws.dm_channel("UOLA"), message_ts=invite.ts
        )
        await ws.emulator.inbound.drain()
        reply = await ws.last_ephemeral("UOLA")
        assert "stengte tirsdag 10. mars kl. 09.00" in reply.text
        assert not ws.state.modal_stacks.get("UOLA")


async def _has_modal(ws, user: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(ws.state.modal_stacks.get(user))


async def _dm_contains(ws, user: str, text: str) -> bool:  # type: ignore[no-untyped-def]
    return any(text in (m.text + str(m.blocks)) for m in ws.dm(user))


def _find(blocks: list, label: str) -> dict:  # type: ignore[type-arg]
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["text"]["text"] == label:
                return element
    raise AssertionError(f"no button {label!r}")
