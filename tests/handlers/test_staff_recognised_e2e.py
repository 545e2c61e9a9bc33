"""Staff are who the settings say: a person in COHORTBOT_STAFF_EMAILS, never imported, is
recognised on first contact by their Slack email (users.info against the emulator)."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.people import recognise_staff
from bot.settings import Settings
from emulator.state import WorkspaceState
from storage.models import AuditEvent, Person
from tests.utils.factories import create_person
from tests.utils.factories import slack_ids as stored_slack_ids
from tests.utils.workspace import running_workspace


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="Anne@Lederutdanning.no", user_id="UANNE")
    state.add_user("ola", real_name="Ola Hansen", email="ola@example.no", user_id="UOLA")
    state.add_user(
        "gone", real_name="Gone Stab", email="gone@lederutdanning.no", user_id="UGONE", deleted=True
    )


async def test_listed_staff_member_is_recognised_on_first_contact_with_nothing_imported(
    settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(
        update={"staff_emails": ("anne@lederutdanning.no", "gone@lederutdanning.no")}
    )
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        reply = await ws.ask("UANNE", "help")
        text = str(reply.blocks)
        assert "For programstaben" in text and "Jeg kjenner deg ikke" not in text
        async with ws.runtime.db.session() as s:
            [anne] = (await s.execute(select(Person))).scalars().all()
            accounts = await stored_slack_ids(s)
            audit = (
                (await s.execute(select(AuditEvent).where(AuditEvent.action == "staff.recognised")))
                .scalars()
                .all()
            )
        assert (anne.email, anne.name, accounts.get(anne.id), anne.is_staff) == (
            "anne@lederutdanning.no",
            "Anne Stab",
            "UANNE",
            False,  # staff because the setting says so, not because a flag was written
        )
        assert [a.subject for a in audit] == [f"person:{anne.id}"]
        # A staff-only command works straight away.
        assert "Utsendelser" in str((await ws.ask("UANNE", "deliveries")).blocks)


async def test_unlisted_or_deactivated_slack_users_are_not_made_staff(
    settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(
        update={"staff_emails": ("anne@lederutdanning.no", "gone@lederutdanning.no")}
    )
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        assert "Jeg kjenner deg ikke ennå" in (await ws.ask("UOLA", "deliveries")).text
        # A deactivated account cannot send a command; the lookup it would get says "deleted".
        gone = await ws.runtime.user_lookup.user("UGONE")
        assert gone is not None and gone.deleted and gone.email == "gone@lederutdanning.no"
        async with ws.runtime.db.transaction() as s:
            assert (
                await recognise_staff(session=s, settings=settings, user=gone, now=clock.now())
                is None
            )
        async with ws.runtime.db.session() as s:
            assert (await s.execute(select(Person))).scalars().all() == []


async def test_staff_email_already_linked_to_another_slack_account_is_not_moved(
    settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(update={"staff_emails": ("anne@lederutdanning.no",)})
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        async with ws.runtime.db.transaction() as s:
            await create_person(
                s, email="anne@lederutdanning.no", name="Anne Stab", slack_user_id="UOTHER"
            )
        assert "Jeg kjenner deg ikke ennå" in (await ws.ask("UANNE", "deliveries")).text
        async with ws.runtime.db.session() as s:
            [anne] = (await s.execute(select(Person))).scalars().all()
            accounts = await stored_slack_ids(s)
        assert accounts == {anne.id: "UOTHER"}


async def test_listed_staff_are_linked_at_start_so_the_digest_reaches_them(
    settings: Settings, clock: FrozenClock
) -> None:
    from handlers.slack.context import recognise_listed_staff
    from storage.queries.risk import staff_recipients

    settings = settings.model_copy(
        update={"staff_emails": ("anne@lederutdanning.no", "nobody@lederutdanning.no")}
    )
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        assert await recognise_listed_staff(ws.runtime) == 1
        assert await recognise_listed_staff(ws.runtime) == 0  # once
        async with ws.runtime.db.session() as s:
            staff = await staff_recipients(session=s, staff_emails=settings.staff_emails)
        assert [(p.email, slack_id) for p, slack_id in staff] == [
            ("anne@lederutdanning.no", "UANNE")
        ]
