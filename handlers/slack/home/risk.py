"""Staff Home: open risk cases from the latest weekly digest, with the "Followed up" button.

The button reuses the digest's action id (`risk.followed_up.<case>`), so
handlers/actions/risk.py marks the case; showing names is audited in `bot.home`.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.home import read_open_risk_cases
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.home_sections import Blocks, build_risk_cases
from handlers.slack.home.registry import home_section


@home_section("risk.open_cases", roles={"staff"}, order=70)
async def open_risk_cases(runtime: Runtime, actor: Actor) -> Blocks:
    """At most ten people with open dropout signals and their reasons; the rest are counted."""
    async with runtime.db.transaction() as session:  # the audit row commits with the read
        cases = await read_open_risk_cases(session, staff_id=actor.person_id)
    return build_risk_cases(cases, locale=actor.locale)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
