"""Consents with history (issue 16): who, which words, when, and withdrawal that acts at once."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot import networks as nw
from bot.assignments import save_reflection
from bot.clock import FrozenClock
from bot.consent import consent_history, shown_text
from bot.rights import export_person
from bot.settings import Settings
from storage.db import Database
from storage.models import ConsentKind, Network, NetworkMembership
from tests.bot.test_networks import _cohort_network, _id, staff
from tests.utils.assignments import add_assignment, build_programme, oslo
from tests.utils.channels import FakeChannelAdmin, run_steps
from tests.utils.factories import slack_ids as stored_slack_ids


async def test_withdrawn_alumni_consent_takes_them_out_of_the_alumni_channels_at_once(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    cohort, people, _ = await _cohort_network(db, admin, settings, clock, per_class=2)
    kari = people[0]
    async with db.transaction() as s:
        await nw.complete_cohort(s, settings, cohort_id=cohort.id, now=clock.now(), actor=staff())
        await nw.record_alumni_consent(
            s,
            settings,
            person_id=_id(kari),
            cohort_id=cohort.id,
            consent=True,
            now=clock.now(),
        )
    await run_steps(db, admin, settings, clock)
    async with db.session() as s:
        kari_slack = (await stored_slack_ids(s))[_id(kari)]
    channels = [admin.channel("lu-alumni"), admin.channel("lu-alumni-vestland")]
    assert all(kari_slack in admin.members[c] for c in channels)
    clock.advance(timedelta(days=40))
    async with db.transaction() as s:
        withdrawn = await nw.withdraw_alumni_consent(
            s, settings, person_id=_id(kari), now=clock.now()
        )
    assert withdrawn == 1
    await run_steps(db, admin, settings, clock)
    assert all(kari_slack not in admin.members[c] for c in channels)
    async with db.session() as s:
        alumni_memberships = (
            await s.exec(
                select(NetworkMembership)
                .join(Network, col(Network.id) == col(NetworkMembership.network_id))
                .where(
                    col(NetworkMembership.person_id) == _id(kari),
                    col(Network.slack_channel_id).in_(channels),
                )
            )
        ).all()
        history = await consent_history(s, person_id=_id(kari))
    assert len(alumni_memberships) == len(channels)
    assert all(m.left_at == clock.now() for m in alumni_memberships)
    assert [(c.kind, c.granted) for c in history] == [("alumni", True), ("alumni", False)]
    assert history[0].scope == f"cohort:{cohort.id}"
    assert cohort.name in history[0].text and history[0].text_version.startswith(
        "networks.alumni.consent.text@nb#"
    )
    assert history[1].at - history[0].at == timedelta(days=40)
    async with db.transaction() as s:
        export = await export_person(s, email=kari.email, now=clock.now(), actor="cli")
    assert [c["granted"] for c in export["data_classes"]["consents"]] == [True, False]


async def test_directory_opt_in_and_out_are_each_recorded_once(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    _, people, _ = await _cohort_network(db, admin, settings, clock, per_class=1)
    kari = people[0]
    async with db.transaction() as s:
        await nw.update_profile(s, person_id=_id(kari), now=clock.now(), findable=True, bio="Hei")
        await nw.update_profile(s, person_id=_id(kari), now=clock.now(), findable=True, bio="Hei!")
        await nw.update_profile(s, person_id=_id(kari), now=clock.now(), findable=False)
    async with db.session() as s:
        history = await consent_history(s, person_id=_id(kari))
        found = await nw.search_directory(s, "Hei", staff())
    assert [(c.kind, c.granted) for c in history] == [("directory", True), ("directory", False)]
    assert history[0].text == shown_text(ConsentKind.DIRECTORY, "nb").text
    assert found == [] or all(p.person_id != _id(kari) for p in found)


async def test_reflection_sharing_is_a_consent_per_assignment(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as s:
        w = await build_programme(s)
        a = await add_assignment(s, w.cohort, release_at=oslo(2026, 3, 2), due_at=oslo(2026, 3, 20))
    now = oslo(2026, 3, 5, 12)
    async with db.transaction() as s:
        await save_reflection(s, a.id, _id(w.ola), "Første utkast", True, now)
        await save_reflection(s, a.id, _id(w.ola), "Andre utkast", True, now)
        await save_reflection(s, a.id, _id(w.ola), "Tredje", False, now + timedelta(hours=1))
    async with db.session() as s:
        history = await consent_history(s, person_id=_id(w.ola))
    assert [(c.scope, c.granted) for c in history] == [
        (f"assignment:{a.id}", True),
        (f"assignment:{a.id}", False),
    ]
    assert history[0].text_version.startswith(
        "assignment.reflection.share@en#"
    )  # Ola reads English
