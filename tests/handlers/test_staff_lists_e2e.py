"""Nobody silently dropped: the dropout digest with 39 cases in 4 classes, through the local
workspace over real HTTP. The digest stays inside Slack's 50 blocks, says "and 16 more" with a
button to the whole list, the list pages through all 39 with case numbers, and one staff
member following a case up is what the other sees."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.state import WorkspaceState
from schedules.digest import run_weekly_digest
from storage.models import Assignment, AuditEvent, RiskCase
from tests.utils.factories import create_class, create_cohort, create_person, enrol
from tests.utils.workspace import Workspace, eventually, running_workspace

CLASSES = ("Bergen", "Bodø", "Oslo", "Tromsø")
PER_CLASS = (10, 10, 10, 9)  # 39 flagged participants


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="anne@lu.no", user_id="UANNE")
    state.add_user("bo", real_name="Bo Stab", email="bo@lu.no", locale="en-GB", user_id="UBO")


async def build(ws: Workspace, now: Any) -> None:
    async with ws.runtime.db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026")
        for city, n in zip(CLASSES, PER_CLASS, strict=True):
            cls = await create_class(s, cohort=cohort, name=city)
            for i in range(n):
                p = await create_person(s, name=f"{city} deltaker {i + 1:02d}")
                await enrol(s, person=p, cohort=cohort, cls=cls)
        s.add(
            Assignment(
                cohort_id=cohort.id,
                key="a1",
                title="Oppgave 1",
                release_at=now - timedelta(days=20),
                due_at=now - timedelta(days=3),
            )
        )
        await create_person(s, name="Anne Stab", email="anne@lu.no", slack_user_id="UANNE")
        await create_person(
            s, name="Bo Stab", email="bo@lu.no", slack_user_id="UBO", locale="en", is_staff=True
        )


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    return str(blocks)


async def digest_of(ws: Workspace, user: str) -> Any:
    async def arrived() -> bool:
        return bool(ws.dm(user))

    await eventually(arrived)
    return ws.dm(user)[-1]


async def test_digest_of_39_cases_shows_23_says_16_more_and_pages_all_with_case_numbers(
    settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(update={"staff_emails": ("anne@lu.no",)})
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        now = clock.now()
        await build(ws, now)
        result = await run_weekly_digest(ws.runtime, now)
        assert (result.cases, result.staff) == (39, 2)
        await ws.at(now)
        digest = await digest_of(ws, "UANNE")
        blocks = digest.blocks
        assert len(blocks) <= 50
        async with ws.runtime.db.session() as s:
            cases = {c.id: c for c in (await s.execute(select(RiskCase))).scalars()}
        assert len(cases) == 39
        text = blocks_text(blocks)
        shown = [cid for cid in cases if f"*Sak {cid}*:" in text]
        assert len(shown) == 23
        assert "Viser 23 av 39 – 16 til i hele lista." in text
        # The last class is not silently gone: the way to the whole list is in the message.
        [open_button] = [
            e
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "staff_list.open"
        ]
        assert open_button["text"]["text"] == "Vis hele lista (39)"
        bo_digest = await digest_of(ws, "UBO")
        assert "Showing 23 of 39 – 16 more in the whole list." in blocks_text(bo_digest.blocks)

        # Open the whole list from the digest: page 1 of 1 holds all 39 (40 a page).
        await ws.emulator.inbound.click(
            "UANNE",
            "staff_list.open",
            channel_id=ws.dm_channel("UANNE"),
            message_ts=digest.ts,
            value=open_button["value"],
        )
        await ws.emulator.inbound.drain()

        async def modal_open() -> bool:
            return ws.state.top_modal("UANNE") is not None

        await eventually(modal_open)
        modal = ws.state.top_modal("UANNE")
        assert modal is not None
        listed = blocks_text(modal.payload["blocks"])
        assert all(f"*Sak {cid}*:" in listed for cid in cases)
        for city in CLASSES:
            assert f"{city} deltaker 09" in listed
        assert "saker: 39 · åpne: 39 · fulgt opp: 0" in listed
        assert "Side 1 av 1 · 1–39 av 39" in listed
        assert len(modal.payload["blocks"]) <= 100
        async with ws.runtime.db.session() as s:
            reads = (
                (await s.execute(select(AuditEvent).where(AuditEvent.action == "staff_list.read")))
                .scalars()
                .all()
            )
        assert [r.detail["shown"] for r in reads] == [39]

        # Anne follows a case up from the list: the list redraws, Bo's digest copy says so.
        case_id = shown[0]
        await ws.emulator.inbound.click(
            "UANNE", f"risk.followed_up.{case_id}", view_id=modal.id, value=str(case_id)
        )
        await ws.emulator.inbound.drain()

        async def bo_sees_it() -> bool:
            current = ws.state.find_message(ws.dm_channel("UBO"), bo_digest.ts)
            return current is not None and "Followed up by Anne Stab" in str(current.blocks)

        await eventually(bo_sees_it)
        bo_now = ws.state.find_message(ws.dm_channel("UBO"), bo_digest.ts)
        assert bo_now is not None
        actions = {
            e["action_id"] for b in bo_now.blocks if b["type"] == "actions" for e in b["elements"]
        }
        assert f"risk.followed_up.{case_id}" not in actions  # no button left for it
        assert len(actions) == 23  # 22 cases still open, and the whole-list button

        async def list_redrawn() -> bool:
            top = ws.state.top_modal("UANNE")
            return top is not None and "åpne: 38 · fulgt opp: 1" in blocks_text(
                top.payload["blocks"]
            )

        await eventually(list_redrawn)
        modal = ws.state.top_modal("UANNE")
        assert modal is not None
        assert "saker: 39 · åpne: 38 · fulgt opp: 1" in blocks_text(modal.payload["blocks"])
        assert "Fulgt opp av Anne Stab" in blocks_text(modal.payload["blocks"])
        # Bo's Home shows 38 open cases, not 39.
        home = ws.state.home_views.get("UBO")
        assert home is not None and "Week 10, 2026: 38 participants" in str(home.payload)


async def test_followup_with_an_unknown_case_says_so_and_changes_nothing(
    settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(update={"staff_emails": ("anne@lu.no",)})
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        await build(ws, clock.now())
        await run_weekly_digest(ws.runtime, clock.now())
        unknown = await ws.ask("UANNE", "followup 99999 Ringte")
        assert "Det finnes ingen risikosak med nummer «99999»" in unknown.text
        assert "noe gikk galt" not in unknown.text
        word = await ws.ask("UANNE", "followup kari Ringte")
        assert "ingen risikosak med nummer «kari»" in word.text
        usage = await ws.ask("UANNE", "followup")
        assert "`/cohort followup SAK notat`" in usage.text
        async with ws.runtime.db.session() as s:
            cases = (await s.execute(select(RiskCase))).scalars().all()
        assert cases and all(c.followed_up_at is None for c in cases)
        first = min(c.id for c in cases if c.id is not None)
        marked = await ws.ask("UANNE", f"followup {first} Ringte henne")
        assert f"Sak {first} er markert som fulgt opp av Anne Stab" in marked.text
        async with ws.runtime.db.session() as s:
            case = await s.get(RiskCase, first)
        assert case is not None and case.note == "Ringte henne"


async def test_staff_home_shows_every_class_and_assignment_within_100_blocks(
    settings: Settings, clock: FrozenClock
) -> None:
    """4 classes × 4 assignments: the last class's assignments were gone from Home, no note."""
    settings = settings.model_copy(update={"staff_emails": ("anne@lu.no",)})
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        now = clock.now()
        await build(ws, now)  # 4 classes, Oppgave 1 overdue for all 39
        async with ws.runtime.db.transaction() as s:
            cohort_id = (await s.execute(select(Assignment.cohort_id))).scalars().first()
            for n in range(2, 5):
                s.add(
                    Assignment(
                        cohort_id=cohort_id,
                        key=f"a{n}",
                        title=f"Oppgave {n}",
                        release_at=now - timedelta(days=1),
                        due_at=now + timedelta(days=7 * n),
                    )
                )
        await run_weekly_digest(ws.runtime, now)  # 39 risk cases on Home too
        await ws.emulator.inbound.app_home_opened("UANNE")
        await ws.emulator.inbound.drain()

        async def published() -> bool:
            return ws.state.home_views.get("UANNE") is not None

        await eventually(published)
        view = ws.state.home_views["UANNE"]
        blocks = view.payload["blocks"]
        assert len(blocks) <= 100
        text = str(blocks)
        assert "fikk ikke plass" not in text  # no section left out for room
        for city, n in zip(CLASSES, PER_CLASS, strict=True):
            section = next(
                b["text"]["text"]
                for b in blocks
                if b["type"] == "section" and b["text"]["text"].startswith(f"*{city}*")
            )
            for k in range(1, 5):
                assert f"Oppgave {k} (" in section
            assert f"levert: 0 · åpne: 0 · forfalt: {n}" in section  # Oppgave 1, overdue
            assert f"levert: 0 · åpne: {n} · forfalt: 0" in section  # Oppgave 2, open
        # The 39 risk cases: ten shown, the rest counted, with the whole list a click away.
        assert "… og 29 til: se hele lista under." in text
        assert "Vis hele lista (39)" in text

        # `/cohort assignments` says the same for every class, inside one message.
        reply = await ws.ask("UANNE", "assignments")
        assert len(reply.blocks) <= 50
        said = str(reply.blocks)
        for city in CLASSES:
            assert f"*{city}*" in said
        assert said.count("Oppgave 4 (") == len(CLASSES)
        # One class with names: every overdue participant of the last class is named.
        named = await ws.ask("UANNE", "assignments Tromsø")
        for i in range(PER_CLASS[-1]):
            assert f"Tromsø deltaker {i + 1:02d}" in str(named.blocks)
