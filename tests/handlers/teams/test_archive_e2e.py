"""The archive in Teams from the outside: `arkiv legg til` opens a card form whose Action.Execute
stores the item as Slack's modal does, a classmate finds it, someone in another cohort never
does; `arkiv mine` changes visibility, downloads through the signed link and withdraws. Hostile
and bad input on the way. Bot Framework activities into /api/messages over real HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import select

from bot.archive import store_for
from bot.archive.files import Upload
from bot.archive.items import Doer, Submission, add_item
from storage.models import ArchiveItem, AuditEvent
from tests.handlers.teams.conftest import TeamsWorld, card_actions, card_of, card_text
from tests.utils.archive import make_pdf
from tests.utils.factories import create_cohort, create_person, enrol

HOSTILE = "<at>Stab</at> **Turnus** <script>alert(1)</script> på Fana"
PEOPLE = {  # user: (email, name, cohort, locale)
    "anne": ("anne@kommune.no", "Anne Berg", "a", "nb"),
    "arne": ("arne@kommune.no", "Arne Dahl", "a", "nb"),
    "berit": ("berit@kommune.no", "Berit Lie", "b", "nb"),
    "ola": ("ola@kommune.no", "Ola Hansen", "a", "en"),
}


async def _people(world: TeamsWorld) -> dict[str, int]:
    ids: dict[str, int] = {}
    async with world.runtime.db.transaction() as s:
        cohorts = {
            "a": await create_cohort(s, key="2026v", name="Kull 2026 vår"),
            "b": await create_cohort(s, key="2025h", name="Kull 2025 høst"),
        }
        staff = await create_person(s, email="stab@lederutdanning.no", name="Stab", is_staff=True)
        ids["stab"] = staff.id  # type: ignore[assignment]
        for user, (email, name, cohort, locale) in PEOPLE.items():
            p = await create_person(s, email=email, name=name, locale=locale)
            await enrol(s, person=p, cohort=cohorts[cohort])
            ids[user] = p.id  # type: ignore[assignment]
        loner = await create_person(s, email="erik@kommune.no", name="Erik Sjef")
        ids["erik"] = loner.id  # type: ignore[assignment]
    return ids


async def _chat(world: TeamsWorld, user: str) -> str:
    email, name, *_ = PEOPLE.get(user) or (f"{user}@kommune.no", user.title())
    if user == "stab":
        email, name = "stab@lederutdanning.no", "Stab"
    return await world.install(user, email, name)


async def _say(world: TeamsWorld, user: str, text: str) -> dict[str, Any]:
    chat = f"a:{user}"
    if chat not in world.connector.state.rosters:
        await _chat(world, user)
    before = len(world.connector.state.sent_to(chat))
    body = world.activity("message", user=user, conversation=chat, text=text)
    assert (await world.post(body))[0] in (200, 202)
    replies = world.connector.state.sent_to(chat)[before:]
    assert len(replies) == 1, replies
    return card_of(replies[0])


async def _click(
    world: TeamsWorld, user: str, action: dict[str, Any], **inputs: Any
) -> dict[str, Any]:
    if f"a:{user}" not in world.connector.state.rosters:
        email, name, *_ = PEOPLE.get(user) or (f"{user}@kommune.no", user.title())
        world.personal(user, email, name)
    status, body = await world.click(user, f"a:{user}", action, **inputs)
    assert status == 200 and body["statusCode"] == 200, body
    return body["value"]


def _action(card: dict[str, Any], verb: str, value: str | None = None) -> dict[str, Any]:
    found = [
        a
        for a in card_actions(card)
        if a.get("verb") == verb and (value is None or a["data"].get("value") == value)
    ]
    assert found, (verb, [a.get("verb") for a in card_actions(card)])
    return found[0]


async def _items(world: TeamsWorld) -> list[ArchiveItem]:
    async with world.runtime.db.session() as s:
        return list((await s.exec(select(ArchiveItem))).all())  # type: ignore[call-overload]


FORM = {
    "title": HOSTILE,
    "summary": "Hvordan sykepleiere i hjemmetjenesten planlegger turnusen sammen.",
    "keywords": "turnus, sykepleie",
    "url": "https://example.org/rapport",
    "visibility": "cohort",
    "show_name": "true",
}


async def test_a_participant_adds_a_project_with_the_card_and_only_her_cohort_finds_it(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    ids = await _people(world)
    form = await _say(world, "anne", "arkiv legg til")
    inputs = {el["id"]: el for el in form["body"] if el["type"].startswith("Input.")}
    assert set(inputs) == {"title", "summary", "keywords", "url", "visibility", "show_name"}
    assert [c["value"] for c in inputs["visibility"]["choices"]] == ["nobody", "cohort", "all"]
    assert inputs["visibility"]["value"] == "nobody"  # private until she chooses
    assert "Send den til meg her i chatten, så får du skjemaet med filen i." in card_text(form)
    save = _action(form, "archive.save")
    assert save["type"] == "Action.Execute" and save["associatedInputs"] == "Auto"
    answer = await _click(world, "anne", save, **FORM)
    assert "er lagt i arkivet (nr." in card_text(answer) and "arkiv mine" in card_text(answer)
    [item] = await _items(world)
    assert (item.owner_id, item.title, item.visibility, item.show_name, item.url) == (
        ids["anne"],
        HOSTILE,
        "cohort",
        True,
        "https://example.org/rapport",
    )
    assert item.keywords == ["turnus", "sykepleie"] and item.kind == "project"
    # A classmate finds it by an inflected word; her name is shown, the title as written.
    found = await _say(world, "arne", "arkiv sykepleieren")
    text = card_text(found)
    assert "1 treff du kan se." in text and "av Anne Berg" in text
    assert "\\*\\*Turnus\\*\\*" in text and "**Turnus**" not in text and "<at>" not in text
    assert "<script\\>" in text
    assert "Stikkord: turnus, sykepleie" in text
    # Someone in another cohort never sees it: not in the results, the count or a snippet.
    other = await _say(world, "berit", "arkiv sykepleieren")
    assert "Ingen treff du kan se for «sykepleieren»." in card_text(other)
    assert "Turnus" not in str(other) and "hjemmetjenesten" not in str(other)
    browse = await _say(world, "berit", "arkiv")
    assert "Arkivet har ingenting du kan se ennå." in card_text(browse)
    assert "arkiv legg til" in card_text(browse)  # the usage, in Teams' words


async def test_hidden_items_never_reach_results_counts_or_snippets(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    ids = await _people(world)
    runtime = world.runtime
    store = store_for(runtime.settings)
    staff = Doer(ids["stab"], True, f"person:{ids['stab']}")
    now = runtime.clock.now()
    for i in range(12):
        await add_item(
            runtime.db,
            store,
            runtime.settings,
            submission=Submission(title=f"Turnus del {i:02d}", summary=f"Om turnus nr {i}."),
            doer=staff,
            now=now,
        )
    await add_item(
        runtime.db,
        store,
        runtime.settings,
        submission=Submission(
            title="Hemmelig turnus", summary="Turnus og kodeordet blåbærsyltetøy.", show_name=True
        ),
        doer=Doer(ids["anne"], False, f"person:{ids['anne']}"),
        now=now,
    )
    first = await _say(world, "arne", "arkiv turnus")
    text = card_text(first)
    assert "12 treff du kan se, viser 1–10." in text
    assert "… og 2 til. Skriv «arkiv turnus side 2» for neste side." in text
    second = await _say(world, "arne", "arkiv turnus side 2")
    assert "12 treff du kan se, viser 11–12." in card_text(second)
    assert "til. Skriv" not in card_text(second)
    for card in (first, second):
        assert "Hemmelig" not in str(card) and "blåbær" not in str(card)
    secret = await _say(world, "arne", "arkiv blåbærsyltetøy")
    assert card_text(secret).endswith("Ingen treff du kan se for «blåbærsyltetøy».")
    assert "Hemmelig" not in str(secret) and "kodeordet" not in str(secret)
    # The owner sees her own private item; the count says so.
    mine = card_text(await _say(world, "anne", "arkiv turnus"))
    assert "13 treff du kan se" in mine and "Hemmelig turnus" in mine
    # Browsing without words pages too ("arkiv side 2").
    assert "viser 11–12." in card_text(await _say(world, "arne", "arkiv side 2"))
    # A name its owner hid is hidden from others, in the byline and the snippet.
    await add_item(
        runtime.db,
        store,
        runtime.settings,
        submission=Submission(
            title="Vaktbytte",
            summary="Skrevet av Anne Berg om vaktbytte.",
            visibility="all",
            show_name=False,
        ),
        doer=Doer(ids["anne"], False, f"person:{ids['anne']}"),
        now=now,
    )
    masked = await _say(world, "berit", "arkiv vaktbytte")
    assert "navn ikke vist" in card_text(masked) and "Anne" not in str(masked)
    assert "Berg" not in str(masked)


async def test_own_items_change_visibility_download_and_withdraw(teams_world: TeamsWorld) -> None:
    world = teams_world
    ids = await _people(world)
    runtime = world.runtime
    pdf = make_pdf(["Turnus i hjemmetjenesten"])
    await add_item(
        runtime.db,
        store_for(runtime.settings),
        runtime.settings,
        submission=Submission(
            title="Turnusprosjekt", summary="Om turnus.", upload=Upload("turnus.pdf", pdf)
        ),
        doer=Doer(ids["anne"], False, f"person:{ids['anne']}"),
        now=runtime.clock.now(),
    )
    [item] = await _items(world)
    assert item.visibility == "nobody"
    mine = await _say(world, "anne", "arkiv mine")
    assert "Synlig for: bare meg (og programstaben)" in card_text(mine)
    verbs = [a["verb"] for a in card_actions(mine)]
    assert verbs == ["archive.change", "archive.withdraw", "archive.download"]
    # A classmate cannot see it, nor replay her buttons.
    assert "Ingen treff" in card_text(await _say(world, "arne", "arkiv turnus"))
    withdraw = _action(mine, "archive.withdraw")
    for replayed in (
        _action(mine, "archive.change"),
        withdraw,
        {**withdraw, "verb": "archive.withdraw.confirm"},
    ):
        refused = await _click(world, "arne", replayed)
        assert "Finner ikke arkivoppføring" in card_text(refused), replayed["verb"]
    refused = await _click(world, "arne", _action(mine, "archive.download"))
    assert "har ikke lenger tilgang" in card_text(refused)
    assert len(await _items(world)) == 1
    # Change: the form filled in; choose "all".
    form = await _click(world, "anne", _action(mine, "archive.change"))
    values = {el["id"]: el.get("value") for el in form["body"] if el["type"].startswith("Input.")}
    assert values["title"] == "Turnusprosjekt" and values["visibility"] == "nobody"
    assert "url" not in values  # an item with a file takes no link
    changed = await _click(
        world, "anne", _action(form, "archive.save"), **{**values, "visibility": "all"}
    )
    assert "er endret, synlig for: alle nåværende og tidligere studenter" in card_text(changed)
    assert (await _items(world))[0].visibility == "all"
    assert "1 treff" in card_text(await _say(world, "berit", "arkiv turnus"))
    # Download: a signed link for her only, opened by the client.
    link_card = await _click(world, "anne", _action(mine, "archive.download"))
    assert "virker i 60 minutter, bare for deg" in card_text(link_card)
    [url] = [a["url"] for a in card_actions(link_card) if a["type"] == "Action.OpenUrl"]
    path = urlsplit(url).path
    assert path.startswith("/archive/")
    async with world.http.get(world.bot_url + path) as response:
        assert response.status == 200 and await response.read() == pdf
    # Withdraw asks first; Cancel keeps it, then Withdraw deletes it and the link stops.
    ask = await _click(world, "anne", _action(mine, "archive.withdraw"))
    assert "slettes for godt" in card_text(ask)
    kept = await _click(world, "anne", _action(ask, "archive.mine"))
    assert "Turnusprosjekt" in card_text(kept) and len(await _items(world)) == 1
    done = await _click(world, "anne", _action(ask, "archive.withdraw.confirm"))
    assert "er trukket tilbake" in card_text(done)
    assert await _items(world) == []
    async with world.http.get(world.bot_url + path) as response:
        assert response.status == 404
    assert "Du har ikke lagt noe i arkivet" in card_text(await _say(world, "anne", "arkiv mine"))


async def test_bad_input_is_answered_on_the_card_and_nothing_is_stored(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    await _people(world)
    form = await _say(world, "anne", "arkiv legg til")
    save = _action(form, "archive.save")
    cases = [
        ({"title": ""}, "Feltet «Tittel» mangler. Ingenting er lagret."),
        ({"title": {"forged": "object"}}, "Feltet «Tittel» mangler."),
        ({"summary": "   "}, "Feltet «Sammendrag» mangler."),
        ({"title": "x" * 201}, "Feltet «Tittel» er for langt: høyst 200 tegn."),
        ({"url": "javascript:alert(1)"}, "Lenken må være en hel http- eller https-adresse"),
        ({"visibility": "everyone"}, "Synlighet må være nobody, cohort eller all"),
        ({"keywords": ",".join(f"k{i}" for i in range(21))}, "Høyst 20 stikkord."),
    ]
    for change, expected in cases:
        answer = await _click(world, "anne", save, **{**FORM, **change})
        text = card_text(answer)
        assert "⚠️" in text and expected in text, (change, text)
        # The form comes back with what she wrote, so she can fix it.
        values = {el["id"]: el.get("value") for el in answer["body"] if "id" in el}
        if isinstance(change.get("title"), str) and change["title"]:
            assert values["title"] == change["title"][:200]
        assert _action(answer, "archive.save")
    assert await _items(world) == []
    # Someone in no cohort cannot add projects: said on the card, nothing stored.
    world.personal("erik", "erik@kommune.no", "Erik Sjef")
    refused = await _click(world, "erik", save, **FORM)
    assert "Arkivet er for nåværende og tidligere studenter" in card_text(refused)
    # A replayed save that names an item of someone else's changes nothing.
    refused = await _click(world, "arne", save | {"data": {"item": "1"}}, **FORM)
    assert "Finner ikke arkivoppføring 1 blant dine." in card_text(refused)
    assert await _items(world) == []
    async with world.runtime.db.session() as s:
        rows = (await s.exec(select(AuditEvent))).all()  # type: ignore[call-overload]
    assert not [e for e in rows if e.action.startswith("archive.")]


async def test_the_archive_in_english_per_person(teams_world: TeamsWorld) -> None:
    world = teams_world
    await _people(world)
    form = await _say(world, "ola", "archive add")
    assert "Add to the archive" in card_text(form)
    assert "Send it to me here in the chat, and you get the form with the file in it." in card_text(
        form
    )
    labels = [el.get("label") for el in form["body"] if el["type"].startswith("Input.")]
    assert labels[:2] == ["Title", "Summary"]
    answer = await _click(world, "ola", _action(form, "archive.save"), **FORM)
    assert "is in the archive (no." in card_text(answer) and "archive mine" in card_text(answer)
    bad = await _click(world, "ola", _action(form, "archive.save"), **{**FORM, "title": ""})
    assert "The field “Title” is missing. Nothing was saved." in card_text(bad)
    found = await _say(world, "ola", "archive turnus")
    assert "1 result you may see." in card_text(found)
    mine = await _say(world, "ola", "archive mine")
    assert "Your items in the archive" in card_text(mine)
    assert [a["title"] for a in card_actions(mine)] == ["Change", "Withdraw"]
    # Anne (bokmål) in the same cohort finds Ola's item in Norwegian.
    assert "1 treff du kan se." in card_text(await _say(world, "anne", "arkiv turnus"))


async def test_the_action_submit_fallback_stores_the_same_item(teams_world: TeamsWorld) -> None:
    world = teams_world
    ids = await _people(world)
    form = await _say(world, "anne", "arkiv legg til")
    save = _action(form, "archive.save")
    # A client without Universal Actions sends the fallback's data, with the inputs, as a message.
    before = len(world.connector.state.sent_to("a:anne"))
    body = world.activity(
        "message", user="anne", conversation="a:anne", value={**save["fallback"]["data"], **FORM}
    )
    assert (await world.post(body))[0] in (200, 202)
    replies = world.connector.state.sent_to("a:anne")[before:]
    assert len(replies) == 1 and "er lagt i arkivet" in card_text(card_of(replies[0]))
    [item] = await _items(world)
    assert (item.owner_id, item.title, item.visibility) == (ids["anne"], HOSTILE, "cohort")


async def _send_file(world: TeamsWorld, user: str, name: str, data: bytes) -> dict[str, Any]:
    from emulator.teams_connector import file_attachment

    chat = f"a:{user}"
    if chat not in world.connector.state.rosters:
        await _chat(world, user)
    before = len(world.connector.state.sent_to(chat))
    attachment = file_attachment(world.connector.url, world.connector.state, name=name, data=data)
    body = world.activity(
        "message", user=user, conversation=chat, text="", attachments=[attachment]
    )
    assert (await world.post(body))[0] in (200, 202)
    replies = world.connector.state.sent_to(chat)[before:]
    assert len(replies) == 1, replies
    return card_of(replies[0])


async def test_a_file_sent_in_the_chat_goes_into_the_archive_with_the_form(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    ids = await _people(world)
    pdf = make_pdf(["Sykepleiere og turnusplanlegging i sykehjem"])
    form = await _send_file(world, "anne", "../../etc/passwd.pdf", pdf)
    assert "Fil: ../../etc/passwd.pdf" in card_text(form)
    inputs = {el["id"] for el in form["body"] if el["type"].startswith("Input.")}
    assert "url" not in inputs  # a file or a link, not both
    save = _action(form, "archive.save")
    assert world.connector.state.file_gets == []  # fetched only when the form is saved
    # Cheap checks first: a missing title keeps the file on the form, fetches nothing.
    bad = await _click(world, "anne", save, **{**FORM, "url": "", "title": ""})
    assert "Feltet «Tittel» mangler." in card_text(bad) and "passwd" in card_text(bad)
    assert world.connector.state.file_gets == [] and await _items(world) == []
    # A forged link next to the file is refused.
    both = await _click(world, "anne", save, **FORM)
    assert "Gi enten en fil eller en lenke, ikke begge." in card_text(both)
    answer = await _click(
        world, "anne", _action(bad, "archive.save"), **{**FORM, "url": "", "title": "Turnus"}
    )
    assert "er lagt i arkivet" in card_text(answer), card_text(answer)
    [item] = await _items(world)
    assert item.owner_id == ids["anne"] and item.file_name == "passwd.pdf"
    assert "turnusplanlegging" in (item.file_text or "")
    # A classmate finds it by a word in the file and downloads it.
    found = await _say(world, "arne", "arkiv turnusplanlegging")
    link_card = await _click(world, "arne", _action(found, "archive.download"))
    [url] = [a["url"] for a in card_actions(link_card) if a["type"] == "Action.OpenUrl"]
    async with world.http.get(world.bot_url + urlsplit(url).path) as response:
        assert response.status == 200 and await response.read() == pdf


async def test_a_forged_or_replayed_file_reference_fetches_nothing(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    await _people(world)
    form = await _send_file(world, "anne", "prosjekt.pdf", make_pdf(["Turnus"]))
    save = _action(form, "archive.save")
    fields = {**FORM, "url": ""}
    # Another person replaying Anne's card cannot use her file.
    other = await _click(world, "arne", save, **fields)
    assert "Filen er ikke lenger tilgjengelig for meg." in card_text(other)
    # An edited reference (another address) is refused.
    ref = save["data"]["file"]
    raw, _, sig = ref.partition(".")
    forged = {**save, "data": {**save["data"], "file": raw[:-2] + "xx." + sig}}
    refused = await _click(world, "anne", forged, **fields)
    assert "Filen er ikke lenger tilgjengelig for meg." in card_text(refused)
    # After an hour the reference has expired.
    world.runtime.clock.advance(timedelta(hours=1, seconds=1))  # type: ignore[attr-defined]
    late = await _click(world, "anne", save, **fields)
    assert "Send den på nytt i chatten." in card_text(late)
    assert world.connector.state.file_gets == [] and await _items(world) == []


async def test_a_file_too_big_or_unreadable_is_refused_on_the_card(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    await _people(world)
    world.runtime.settings = world.runtime.settings.model_copy(
        update={"archive_max_file_bytes": 2000}
    )
    big = await _send_file(world, "anne", "stor.pdf", b"%PDF-1.4 " + b"x" * 5000)
    refused = await _click(world, "anne", _action(big, "archive.save"), **{**FORM, "url": ""})
    assert "Filen er for stor" in card_text(refused) and "stor.pdf" not in card_text(refused)
    broken = await _send_file(world, "anne", "skadet.pdf", b"%PDF-1.4 not really a pdf")
    refused = await _click(world, "anne", _action(broken, "archive.save"), **{**FORM, "url": ""})
    assert "kan ikke leses" in card_text(refused)
    assert await _items(world) == []


async def test_forged_actions_with_another_cohorts_item_id_change_or_fetch_nothing(
    teams_world: TeamsWorld,
) -> None:
    """Berit's item is visible to her cohort (B) only. Anne (cohort A) never sees it — search,
    browse, count, "arkiv mine" — and hand-made Action.Execute payloads carrying its id (a
    save that would change it, withdraw, its confirmation, download) change and fetch nothing."""
    world = teams_world
    ids = await _people(world)
    runtime = world.runtime
    pdf = make_pdf(["Kodeord multekrem"])
    await add_item(
        runtime.db,
        store_for(runtime.settings),
        runtime.settings,
        submission=Submission(
            title="Multekrem i turnus",
            summary="Kodeordet multekrem.",
            visibility="cohort",
            show_name=True,
            upload=Upload("multekrem.pdf", pdf),
        ),
        doer=Doer(ids["berit"], False, f"person:{ids['berit']}"),
        now=runtime.clock.now(),
    )
    [item] = await _items(world)
    before = item.model_dump()
    assert "1 treff du kan se." in card_text(await _say(world, "berit", "arkiv multekrem"))
    for words in ("arkiv multekrem", "arkiv", "arkiv mine"):
        seen = await _say(world, "anne", words)
        assert "Multekrem i turnus" not in str(seen) and "Kodeordet" not in str(seen), words
    assert "Ingen treff du kan se" in card_text(await _say(world, "anne", "arkiv multekrem"))
    form = await _say(world, "anne", "arkiv legg til")
    save = _action(form, "archive.save")
    forged_save = {**save, "data": {**save["data"], "item": str(item.id)}}
    refused = await _click(world, "anne", forged_save, **{**FORM, "title": "Kapret"})
    assert "Finner ikke arkivoppføring" in card_text(refused)
    for verb in ("archive.change", "archive.withdraw", "archive.withdraw.confirm"):
        refused = await _click(world, "anne", {"verb": verb, "data": {"value": str(item.id)}})
        assert "Finner ikke arkivoppføring" in card_text(refused), verb
    got = await _click(world, "anne", {"verb": "archive.download", "data": {"value": str(item.id)}})
    assert "har ikke lenger tilgang" in card_text(got)
    assert not [a for a in card_actions(got) if a["type"] == "Action.OpenUrl"]
    [after] = await _items(world)
    assert after.model_dump() == before
    # Berit's own download still works: the refusals were about Anne, not the item.
    own = await _click(
        world, "berit", {"verb": "archive.download", "data": {"value": str(item.id)}}
    )
    assert "virker i 60 minutter, bare for deg" in card_text(own)
