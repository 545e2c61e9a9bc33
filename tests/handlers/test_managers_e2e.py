"""`/cohort managers` with known truth, through the local workspace: 40 participants, 30 line
managers, three nudges. Every open case is in a state with its count (escalated 25, overdue 5,
waiting and not yet due 37, not sent yet 40), a failed email is said as such, nothing is cut
without "and N more", and the whole list pages through all 107."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.state import WorkspaceState
from storage.models import (
    CohortStatus,
    Delivery,
    DeliveryState,
    LineManagerLink,
    Nudge,
    NudgeAnswer,
    NudgeAnswerValue,
)
from tests.utils.factories import create_class, create_cohort, create_person, enrol
from tests.utils.workspace import Workspace, eventually, running_workspace

PARTICIPANTS = 40
MANAGERS = 30


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="anne@lu.no", user_id="UANNE")


def manager_of(i: int) -> int:
    return i % MANAGERS


async def build(ws: Workspace) -> dict[str, Any]:
    now = ws.clock.now()
    async with ws.runtime.db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026", status=CohortStatus.ACTIVE)
        cls = await create_class(s, cohort=cohort, name="Bergen")
        managers = [
            await create_person(s, name=f"Leder {m:02d}", email=f"leder{m}@kommune.no")
            for m in range(MANAGERS)
        ]
        people = []
        for i in range(PARTICIPANTS):
            p = await create_person(s, name=f"Deltaker {i:02d}")
            await enrol(s, person=p, cohort=cohort, cls=cls)
            s.add(
                LineManagerLink(
                    participant_id=p.id, manager_id=managers[manager_of(i)].id, cohort_id=cohort.id
                )
            )
            people.append(p)
        await create_person(s, name="Anne Stab", email="anne@lu.no", slack_user_id="UANNE")
        a = Nudge(
            cohort_id=cohort.id,
            key="a",
            kind="custom",
            title="Oppstartssamtale",
            send_at=now - timedelta(days=2),
            respond_by=now + timedelta(days=5),
        )
        b = Nudge(
            cohort_id=cohort.id,
            key="b",
            kind="custom",
            title="Midtveis",
            send_at=now + timedelta(days=14),
        )
        c = Nudge(
            cohort_id=cohort.id,
            key="c",
            kind="custom",
            title="Prosjektoppgave",
            send_at=now - timedelta(days=20),
            respond_by=now - timedelta(days=10),
        )
        s.add_all([a, b, c])
        await s.flush()
        for i, p in enumerate(people):
            m = managers[manager_of(i)].id
            s.add(
                NudgeAnswer(
                    nudge_id=a.id,
                    participant_id=p.id,
                    manager_id=m,
                    sent_at=now - timedelta(days=2),
                    answer=NudgeAnswerValue.DONE if i < 3 else None,
                    answered_at=now - timedelta(days=1) if i < 3 else None,
                )
            )
            s.add(NudgeAnswer(nudge_id=b.id, participant_id=p.id, manager_id=m))
            row = NudgeAnswer(
                nudge_id=c.id,
                participant_id=p.id,
                manager_id=m,
                sent_at=now - timedelta(days=20),
            )
            if i < 25:
                row.reminded_at = now - timedelta(days=13)
                row.escalated_at = now - timedelta(days=6)
            elif i < 30:
                row.reminded_at = now - timedelta(days=3)
            else:
                row.answer, row.answered_at = NudgeAnswerValue.DONE, now - timedelta(days=15)
            s.add(row)
        # The project nudge's email to manager 1 bounced for good.
        s.add(
            Delivery(
                dedupe_key=f"nudge:{c.id}:manager:{managers[1].id}",
                transport="email",
                kind="nudge",
                target="leder1@kommune.no",
                person_id=managers[1].id,
                source=f"nudge:{c.id}",
                message={"text": "x"},
                send_at=now - timedelta(days=20),
                state=DeliveryState.FAILED,
                error="550 mailbox unavailable",
                attempts=1,
            )
        )
    return {"cohort": cohort}


def distinct_managers(indexes: range) -> int:
    return len({manager_of(i) for i in indexes})


async def test_managers_by_state_with_counts_failed_email_and_the_whole_list(
    settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(update={"staff_emails": ("anne@lu.no",)})
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        await build(ws)
        reply = await ws.ask("UANNE", "managers")
        blocks = reply.blocks
        assert len(blocks) <= 50
        text = str(blocks)
        escalated, overdue = distinct_managers(range(25)), distinct_managers(range(25, 30))
        pending, planned = distinct_managers(range(3, 40)), distinct_managers(range(40))
        assert (
            f"*Eskalert:* 25 ({escalated} ledere) · *forfalt:* 5 ({overdue} ledere) · "
            f"*venter, ikke forfalt:* 37 ({pending} ledere) · *ikke sendt ennå:* 40 "
            f"({planned} ledere)"
        ) in text
        assert "Ingen ubesvarte ledere" not in text and "Alle ledere har svart" not in text
        # The bounced email is said, not "not sent yet".
        assert "Meldinger til ledere som ikke kom fram: 1" in text
        assert "Leder 01 (leder1@kommune.no): email feilet – `550 mailbox unavailable`" in text
        shown = 8 + 5 + 10  # escalated with buttons, overdue lines, waiting lines
        assert f"Viser {shown} av 107 – {107 - shown} til i hele lista." in text
        [button] = [
            e
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "staff_list.open"
        ]
        assert button["text"]["text"] == "Vis hele lista (107)"

        await ws.emulator.inbound.click(
            "UANNE",
            "staff_list.open",
            channel_id=ws.dm_channel("UANNE"),
            message_ts=reply.ts,
            value=button["value"],
        )
        await ws.emulator.inbound.drain()

        async def modal_page(first: int) -> bool:
            top = ws.state.top_modal("UANNE")
            return top is not None and f"· {first}–" in str(top.payload["blocks"])

        seen: list[str] = []
        for page, (first, last) in enumerate(((1, 40), (41, 80), (81, 107)), start=1):
            await eventually(lambda first=first: modal_page(first))
            modal = ws.state.top_modal("UANNE")
            assert modal is not None
            listed = modal.payload["blocks"]
            assert len(listed) <= 100
            assert f"Side {page} av 3 · {first}–{last} av 107" in str(listed)
            items = [
                b["text"]["text"]
                for b in listed
                if b["type"] == "section" and b["text"]["text"].startswith("*Leder")
            ]
            assert len(items) == last - first + 1
            seen += items
            if page < 3:
                [nxt] = [
                    e
                    for b in listed
                    if b["type"] == "actions"
                    for e in b["elements"]
                    if e["action_id"] == "staff_list.page.next"
                ]
                await ws.emulator.inbound.click(
                    "UANNE", "staff_list.page.next", view_id=modal.id, value=nxt["value"]
                )
                await ws.emulator.inbound.drain()
        assert len(set(seen)) == 107
        states = [re.search(r"\n_([^_]+)_", item).group(1) for item in seen]  # type: ignore[union-attr]
        assert states.count("Eskalert til staben") == 25
        assert states.count("Forfalt") == 5
        assert states.count("Venter på svar") == 37
        assert states.count("Ikke sendt ennå") == 40
        failed = [i for i in seen if "Sending med email feilet: `550 mailbox unavailable`" in i]
        assert len(failed) == 1 and "Deltaker 01" in failed[0]


async def test_nobody_past_the_deadline_is_not_nobody_to_follow_up(
    settings: Settings, clock: FrozenClock
) -> None:
    """37 of 40 have not answered, none past the deadline: say so, not "nobody"."""
    settings = settings.model_copy(update={"staff_emails": ("anne@lu.no",)})
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        ctx = await build(ws)
        async with ws.runtime.db.transaction() as s:
            from sqlalchemy import delete, select

            ids = (await s.execute(select(Nudge.id).where(Nudge.key.in_(("b", "c"))))).scalars()
            ids = list(ids)
            await s.execute(delete(NudgeAnswer).where(NudgeAnswer.nudge_id.in_(ids)))
            await s.execute(delete(Delivery))
        assert ctx["cohort"].id
        text = str((await ws.ask("UANNE", "managers")).blocks)
        assert "*Eskalert:* 0 (0 ledere) · *forfalt:* 0 (0 ledere)" in text
        assert f"*venter, ikke forfalt:* 37 ({distinct_managers(range(3, 40))} ledere)" in text
        assert "Viser 10 av 37 – 27 til i hele lista." in text  # the 37 are not hidden
