"""Staff reads that chat adapters without their own storage access share (Teams today).

Each read is audited like its Slack counterpart.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.results import PulseResults, pulse_results
from bot.settings import Settings
from storage.models import Pulse
from storage.queries.people import record_audit
from storage.queries.pulses import find_pulse, recent_pulses


async def read_pulse_results(
    session: AsyncSession, *, ref: str, settings: Settings, staff_person_id: int | None
) -> tuple[PulseResults | None, list[Pulse]]:
    """A pulse's suppressed results by number or title (audited), else the latest pulses."""
    pulse = await find_pulse(session=session, ref=ref) if ref.strip() else None
    results = (
        await pulse_results(session, pulse.id, settings=settings)
        if pulse is not None and pulse.id is not None
        else None
    )
    if results is None:
        return None, await recent_pulses(session=session)
    await record_audit(
        session=session,
        actor=f"person:{staff_person_id}",
        actor_id=staff_person_id,
        action="pulse.results",
        subject=f"pulse:{results.pulse.id}",
    )
    return results, []
