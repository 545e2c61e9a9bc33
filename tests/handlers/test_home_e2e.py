"""App Home through the local workspace: a participant and a staff member open it and see the
next session, open pulses, cohorts at a glance and open risk cases."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import FrozenClock
from bot.home import RISK_VIEW_ACTION
from bot.risk import FOLLOW_UP_ACTION
from bot.settings import Settings
from emulator.state import WorkspaceState
from handlers.slack.blocks.networks import ACTION_PAUSE
from storage.models import (
    AuditEvent,
    CohortStatus,
    Network,
    NetworkMembership,
    Person,
    RiskCase,
)
from storage.queries.pulses import add_participations
from tests.utils.factories import (
    create_class,
    create_cohort,
    create_person,
    create_pulse,
    create_session,
    enrol,
    has_slack_id,
)
from tests.utils.workspace import Workspace, eventually, running_workspace


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="anne@lederutdanning.no", user_id="USTAFF")
    state.add_user(
        "kari", real_name="Kari Nordmann", email="kari@bergen.kommune.no", user_id="UKARI"
    )


@dataclass
class Seeded:
    ws: Workspace
    case_id: int


@pytest.fixture
async def seeded(settings: Settings, clock: FrozenClock) -> AsyncIterator[Seeded]:
    now = clock.now()
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        async with ws.runtime.db.transaction() as s:
            cohort = await create_cohort(s, name="Kull 2026 vår", status=CohortStatus.ACTIVE)
            cls = await create_class(s, cohort=cohort, name="Bergen")
            await create_person(
                s,
                email="anne@lederutdanning.no",
                name="Anne Stab",
                slack_user_id="USTAFF",
                is_staff=True,
            )
            kari = await create_person(
                s, email="kari@bergen.kommune.no", name="Kari Nordmann", slack_user_id="UKARI"
            )
            await enrol(s, person=kari, cohort=cohort, cls=cls)
            # Tuesday 10 March 2026 09:00 in Oslo.
            await create_session(
                s,
                cohort=cohort,
                number=2,
                title="Ledelse i endring",
                starts_at=now + timedelta(days=8),
                location="Scandic Bergen City",
            )
            pulse, _ = await create_pulse(
                s,
                cohort=cohort,
                title="Etter samling 1",
                anonymous=True,
                opens_at=now - timedelta(days=1),
            )
            assert pulse.id is not None and kari.id is not None
            await add_participations(
                session=s, pulse_id=pulse.id, person_ids=[kari.id], invited_at=now
            )
            case = RiskCase(
                person_id=kari.id,
                cohort_id=cohort.id,
                week="2026-W10",
                reasons=["overdue_assignments:2"],
            )
            s.add(case)
            await s.flush()
            assert case.id is not None
            case_id = case.id
        yield Seeded(ws, case_id)


async def open_home(ws: Workspace, user_id: str) -> list[dict[str, Any]]:
    """Open the Home tab and wait for the bot to publish a fresh view (after its ack)."""
    before = ws.state.home_views.get(user_id)
    old_hash = before.hash if before else None
    await ws.emulator.inbound.app_home_opened(user_id)

    async def published() -> bool:
        view = ws.state.home_views.get(user_id)
        return view is not None and view.hash != old_hash

    await eventually(published)
    return ws.state.home_views[user_id].payload["blocks"]


def headers(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "header"]


async def test_participant_sees_next_session_and_open_pulse(seeded: Seeded) -> None:
    blocks = await open_home(seeded.ws, "UKARI")
    text = json.dumps(blocks, ensure_ascii=False)
    assert headers(blocks)[:2] == ["Hei Kari Nordmann!", "Neste samling"]
    assert "Pulser som venter på svar" in headers(blocks)
    assert "*Ledelse i endring* (samling 2)" in text
    assert "tirsdag 10. mars kl. 09.00" in text
    assert "Scandic Bergen City" in text
    assert "*Etter samling 1* – stenger" in text
    assert "Anonym" in text and "direktemeldingen" in text
    # No staff sections, and no names of people at risk.
    assert "Kull i korte trekk" not in text
    assert "Åpne risikosaker" not in text
    assert FOLLOW_UP_ACTION not in text


async def test_staff_sees_cohorts_and_risk_cases_and_the_read_is_audited(seeded: Seeded) -> None:
    ws = seeded.ws
    blocks = await open_home(ws, "USTAFF")
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Kull i korte trekk" in headers(blocks)
    assert "Åpne risikosaker" in headers(blocks)
    assert headers(blocks).index("Kull i korte trekk") < headers(blocks).index("Åpne risikosaker")
    assert "*Kull 2026 vår* (aktivt)" in text
    assert "1 aktive · 0 fullført · 0 sluttet" in text
    assert "Etter samling 1: 0 av 1 har svart (0 %)" in text
    assert "*Kari Nordmann* (Kull 2026 vår, Bergen)" in text
    assert "Neste samling" not in headers(blocks)  # staff are not participants
    async with ws.runtime.db.session() as s:
        audits = list(
            (await s.exec(select(AuditEvent).where(AuditEvent.action == RISK_VIEW_ACTION))).all()
        )
    assert len(audits) == 1 and audits[0].detail["cases"] == [seeded.case_id]


async def test_followed_up_from_home_marks_the_case_with_the_digest_action(
    seeded: Seeded,
) -> None:
    ws = seeded.ws
    await open_home(ws, "USTAFF")
    view = ws.state.home_views["USTAFF"]
    result = await ws.emulator.inbound.click(
        "USTAFF", f"{FOLLOW_UP_ACTION}.{seeded.case_id}", view_id=view.id
    )
    assert result.acked

    async def followed_up() -> bool:
        async with ws.runtime.db.session() as s:
            case = await s.get(RiskCase, seeded.case_id)
            return case is not None and case.followed_up_at is not None

    await eventually(followed_up)

    async def redrawn() -> bool:
        # The click redraws Home at once: the case leaves the list without reopening the tab.
        blocks = ws.state.home_views["USTAFF"].payload["blocks"]
        return "Kari Nordmann" not in json.dumps(blocks, ensure_ascii=False)

    await eventually(redrawn)
    assert ws.emulator.calls.count("chat.postEphemeral") == 0


async def test_a_pause_date_in_the_past_is_refused_with_a_reason(seeded: Seeded) -> None:
    """Slack's date picker offers past days; picking one used to store a pause that was already
    over, so Home redrew unchanged and the click looked lost."""
    ws = seeded.ws
    async with ws.runtime.db.transaction() as s:
        kari = (await s.exec(select(Person).where(has_slack_id("UKARI")))).one()
        network = Network(
            kind="class", key="bergen-kollegaprat", name="Bergen", match_every_weeks=2
        )
        s.add(network)
        await s.flush()
        assert network.id is not None and kari.id is not None
        s.add(NetworkMembership(network_id=network.id, person_id=kari.id))
        network_id = network.id
    await open_home(ws, "UKARI")
    view = ws.state.home_views["UKARI"]
    action_id = f"{ACTION_PAUSE}:{network_id}"

    async def paused_until() -> date | None:
        async with ws.runtime.db.session() as s:
            row = (await s.exec(select(NetworkMembership))).one()
            return row.paused_until

    # Today (Monday 2 March) and yesterday are not in the future.
    for day in ("2026-03-01", "2026-03-02"):
        result = await ws.emulator.inbound.click("UKARI", action_id, view_id=view.id, value=day)
        assert result.acked

    async def refused_twice() -> bool:
        return sum("fram i tid" in m.text for m in ws.dm("UKARI")) == 2

    await eventually(refused_twice)
    assert await paused_until() is None

    await ws.emulator.inbound.click("UKARI", action_id, view_id=view.id, value="2026-04-15")

    async def paused() -> bool:
        return await paused_until() == date(2026, 4, 15)

    await eventually(paused)
