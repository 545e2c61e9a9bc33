"""More attacks on anonymous pulses (issue 12, beyond tests/test_anonymity.py): the adversary
snapshots the WHOLE database — every table and column, PostgreSQL's `xmin`/`ctid` of every row,
every sequence — just before and just after one person's click, through the real Slack and
Teams front doors (signed HTTP, the person resolved as in production). Whatever else changes
at that moment names the person at the moment they answered, and on PostgreSQL pairs their row
with the receipt by transaction id (the identity row was written one transaction before it).

Before the fix, a click in Teams rewrote the person's `person_identity` row (`updated_at` and
the stored conversation reference, which carried the incoming activity's id) in the
transaction right before the receipt's: each Teams respondent's time of answering, exactly.
After: only `pulse_receipt` changes, for Slack and Teams, on SQLite and PostgreSQL.
"""

# The `bot` fixture is shared with the networks end-to-end tests; test arguments shadow it.
# ruff: noqa: F811

from __future__ import annotations

from storage.models import PulseReceipt
from tests.handlers.test_networks_e2e import PARTICIPANTS, Bot, bot, rows  # noqa: F401
from tests.handlers.test_pulse_e2e import make_pulse
from tests.utils.snapshot import changed, snapshot
from tests.utils.workspace import eventually


async def test_a_slack_click_changes_nothing_but_the_sealed_receipt(bot: Bot) -> None:
    pulse_id, (q1, _) = await make_pulse(bot)
    user = PARTICIPANTS[2]
    before = await snapshot(bot.runtime.db)
    assert await bot.click(user, f"pulse.answer.{q1}.3", f"{pulse_id}:{q1}:3") == 200

    async def answered() -> bool:
        return len(await rows(bot, PulseReceipt)) == 1 and len(bot.ephemerals(user)) == 1

    await eventually(answered)
    assert changed(before, await snapshot(bot.runtime.db)) == {"pulse_receipt"}
