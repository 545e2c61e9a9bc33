"""Installing the Teams app for people through Microsoft Graph, as outbox steps, against the
local fake Graph (emulator/teams_connector.py) over real HTTP; then Teams' installationUpdate
reaches the bot and the person is reached in Teams from then on."""

from __future__ import annotations

from sqlmodel import select

from bot.identities import queue_app_installs
from bot.notifier import OutgoingMessage
from handlers.teams.app import build_app_installer
from handlers.teams.graph import graph_url_allowed
from storage.models import Delivery, PersonIdentity
from tests.handlers.teams.conftest import TeamsWorld, card_of, card_text
from tests.utils.assignments import build_programme


def _installer(world: TeamsWorld, graph_url: str | None = None) -> object:
    settings = world.runtime.settings.model_copy(
        update={
            "teams_catalog_app_id": "catalog-app-1",
            "teams_graph_url": graph_url or f"{world.connector.url}/v1.0",
        }
    )
    installer = build_app_installer(settings, world.http)
    assert installer is not None
    world.runtime.notifiers[installer.transport] = installer
    return installer


async def test_preinstall_installs_once_then_teams_reaches_the_person(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    state = world.connector.state
    state.bot_url = world.bot_url
    state.add_graph_user("per", "per@tromso.kommune.no", "Per Olsen")  # Erik is not in Graph
    _installer(world)
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
        plan = await queue_app_installs(
            session, world.runtime.settings, now=world.runtime.clock.now()
        )
    # Per and his line manager Erik have neither Slack nor the app; the rest are in Slack.
    assert sorted(p.name for p in plan.queued) == ["Erik Sjef", "Per Olsen"]
    assert plan.in_chat == 3 and plan.queued_before == 0
    state.fail_next(429, retry_after=0, path="installedApps")
    await world.dispatcher.tick()
    await world.dispatcher.tick()
    await state.settle()  # Teams' installationUpdate for Per has reached the bot
    assert [i["app"] for i in state.installed_apps] == ["catalog-app-1"]
    assert state.graph_calls[0]["bind"].endswith("/appCatalogs/teamsApps/catalog-app-1")
    async with world.runtime.db.session() as session:
        rows = {
            d.person_id: d
            for d in (
                await session.exec(select(Delivery).where(Delivery.kind == "teams_install"))  # type: ignore[call-overload]
            ).all()
        }
        identities = (
            await session.exec(select(PersonIdentity).where(PersonIdentity.platform == "teams"))
        ).all()  # type: ignore[call-overload]
    assert rows[w.per.id].state == "sent" and rows[w.per.id].target == "per@tromso.kommune.no"
    assert rows[w.erik.id].state == "failed" and "http_404" in (rows[w.erik.id].error or "")
    assert [(i.person_id, i.conversation_id) for i in identities] == [(w.per.id, "a:per")]
    # From now on Per is reached in Teams: his welcome card came to the new chat.
    await world.dispatcher.tick()
    [welcome] = state.sent_to("a:per")
    assert "Velkommen" in card_text(card_of(welcome))
    # Asking again queues nobody: Per is in Teams now, Erik's step exists (failed, with why).
    async with world.runtime.db.transaction() as session:
        again = await queue_app_installs(
            session, world.runtime.settings, now=world.runtime.clock.now()
        )
    assert again.queued == [] and again.queued_before == 1 and again.in_chat == 4
    # Graph says 409 for an app already there: done, not an error.
    installer = _installer(world)
    result = await installer.send(target="aad-per", message=OutgoingMessage(text="x"))  # type: ignore[attr-defined]
    assert (result.status, result.ref) == ("sent", "already")


async def test_dev_mode_calls_only_a_loopback_graph(teams_world: TeamsWorld) -> None:
    world = teams_world
    installer = _installer(world, graph_url="https://graph.microsoft.com/v1.0")
    result = await installer.send(target="per@x.no", message=OutgoingMessage(text="x"))  # type: ignore[attr-defined]
    assert result.status == "failed" and "not allowed" in (result.error or "")
    assert world.connector.state.graph_calls == []
    assert graph_url_allowed("on", "https://graph.microsoft.com/v1.0")
    assert not graph_url_allowed("on", "http://graph.microsoft.com/v1.0")
    assert not graph_url_allowed("on", "https://graph.microsoft.com.evil.example/v1.0")
    assert not graph_url_allowed("on", "https://user@graph.microsoft.com/v1.0")
    assert not graph_url_allowed("dev", "https://graph.microsoft.com/v1.0")
