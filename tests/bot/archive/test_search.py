"""Archive search on the database of this pass: Norwegian stemming, ranking, and the promise
that nobody finds what they may not see — not in results, counts or snippets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.archive import store_for
from bot.archive.files import Upload
from bot.archive.items import (
    ArchiveError,
    Change,
    Doer,
    Submission,
    add_item,
    change_item,
    withdraw_item,
)
from bot.archive.search import ANY_STUDENT, search, viewer_by_email
from bot.clock import FrozenClock
from bot.settings import Settings
from storage.db import Database
from tests.utils.archive import ArchiveWorld, build_archive_world, make_docx, make_pdf

CLI = Doer(None, True, "cli")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
async def world(db: Database) -> ArchiveWorld:
    async with db.transaction() as session:
        return await build_archive_world(session)


async def _add(
    db: Database, settings: Settings, clock: FrozenClock, doer: Doer, **kw: object
) -> int:
    upload = kw.pop("upload", None)
    item = await add_item(
        db,
        store_for(settings),
        settings,
        submission=Submission(upload=upload, **kw),  # type: ignore[arg-type]
        doer=doer,
        now=clock.now(),
    )
    assert item.id is not None
    return item.id


def _stored(settings: Settings) -> int:
    return len(list(Path(settings.archive_dir).iterdir()))


async def _search(db: Database, settings: Settings, words: str, who: str | None) -> list[int]:
    async with db.transaction() as session:
        viewer = await viewer_by_email(session, who)
        found = await search(session, viewer=viewer, words=words, now=NOW, limit=50)
    return [h.id for h in found.hits]


async def test_an_inflected_word_finds_its_other_forms(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    nurses = await _add(
        db,
        settings,
        clock,
        CLI,
        title="Veiledning i hjemmetjenesten",
        summary="Erfaringer fra sykepleiere som leder team i kommunene.",
        visibility="all",
    )
    await _add(
        db, settings, clock, CLI, title="Budsjett", summary="Økonomi og tall.", visibility="all"
    )
    assert await _search(db, settings, "sykepleieren", None) == [nurses]
    assert await _search(db, settings, "kommunen", None) == [nurses]
    # All words must match (as PostgreSQL's websearch does); stop words are ignored on both.
    assert await _search(db, settings, "sykepleiere og budsjett", None) == []
    assert await _search(db, settings, "sykepleiere og kommuner", None) == [nurses]


async def test_text_inside_pdf_and_docx_files_is_found(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    pdf = await _add(
        db,
        settings,
        clock,
        CLI,
        title="Forelesning 3",
        summary="Lysark.",
        visibility="all",
        upload=Upload("forelesning.pdf", make_pdf(["Turnusplanlegging i sykehjem", "Ærlig talt"])),
    )
    docx = await _add(
        db,
        settings,
        clock,
        world.doer("anne"),
        title="Prosjektoppgave",
        summary="Min oppgave.",
        visibility="all",
        upload=Upload("oppgave.docx", make_docx(["Lederutdanningen ga meg mot", "Fana"])),
    )
    assert await _search(db, settings, "turnusplanleggingen", None) == [pdf]
    assert await _search(db, settings, "lederutdanning", None) == [docx]
    assert await _search(db, settings, "ærlig", None) == [pdf]


async def test_title_and_keywords_rank_above_the_file_text(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    in_body = await _add(
        db,
        settings,
        clock,
        CLI,
        title="Samling 2",
        summary="Notater.",
        visibility="all",
        upload=Upload("a.pdf", make_pdf(["Litt om medarbeidersamtaler og mye annet"])),
    )
    in_title = await _add(
        db,
        settings,
        clock,
        CLI,
        title="Medarbeidersamtalen",
        summary="Slik gjør du den.",
        visibility="all",
    )
    in_keywords = await _add(
        db,
        settings,
        clock,
        CLI,
        title="Verktøy",
        summary="Skjema.",
        visibility="all",
        keywords=("medarbeidersamtaler",),
    )
    found = await _search(db, settings, "medarbeidersamtaler", None)
    assert set(found[:2]) == {in_title, in_keywords} and found[2] == in_body


async def _three_of_annes(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> dict[str, int]:
    anne = world.doer("anne")
    ids = {}
    for visibility in ("nobody", "cohort", "all"):
        ids[visibility] = await _add(
            db,
            settings,
            clock,
            anne,
            title=f"Refleksjon {visibility}",
            summary="Om samarbeid.",
            visibility=visibility,
            upload=Upload(
                f"{visibility}.pdf",
                make_pdf([f"Tillit og hemmelig{visibility} i team"]),
            ),
        )
    return ids


async def test_each_searcher_sees_exactly_what_the_rules_allow(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    ids = await _three_of_annes(db, settings, clock, world)
    expect = {
        "anne@example.no": {"nobody", "cohort", "all"},  # the owner
        "staff@example.no": {"nobody", "cohort", "all"},
        "arne@example.no": {"cohort", "all"},  # same cohort
        "berit@example.no": {"all"},  # another cohort
        "frida@example.no": {"all"},  # a former student
        "outsider@example.no": set(),  # not a student
        None: {"all"},  # any current student
    }
    for who, visible in expect.items():
        found = await _search(db, settings, "tillit", who)
        assert set(found) == {ids[v] for v in visible}, who
        # Browsing without words follows the same rule.
        assert set(await _search(db, settings, "", who)) == {ids[v] for v in visible}, who


async def test_a_hidden_item_never_shows_in_results_counts_or_snippets(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    await _three_of_annes(db, settings, clock, world)
    async with db.transaction() as session:
        viewer = await viewer_by_email(session, "berit@example.no")
        secret = await search(session, viewer=viewer, words="hemmelignobody", now=clock.now())
        common = await search(session, viewer=viewer, words="tillit team", now=clock.now())
        cohort_word = await search(session, viewer=viewer, words="hemmeligcohort", now=clock.now())
    assert secret.total == 0 and secret.hits == []
    assert cohort_word.total == 0
    assert common.total == 1
    shown = " ".join(h.snippet + h.title for h in common.hits)
    assert "hemmeligall" in shown
    assert "hemmelignobody" not in shown and "hemmeligcohort" not in shown


async def test_changing_visibility_and_withdrawing_take_effect_at_once(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    ids = await _three_of_annes(db, settings, clock, world)
    anne = world.doer("anne")
    await change_item(
        db, item_id=ids["all"], change=Change(visibility="nobody"), doer=anne, now=clock.now()
    )
    assert await _search(db, settings, "tillit", "berit@example.no") == []
    # Someone else cannot change or withdraw Anne's item, and learns nothing about it.
    with pytest.raises(ArchiveError) as refused:
        await withdraw_item(db, store_for(settings), item_id=ids["cohort"], doer=world.doer("arne"))
    assert refused.value.key == "archive.error.no_item"
    assert _stored(settings) == 3
    title = await withdraw_item(db, store_for(settings), item_id=ids["cohort"], doer=anne)
    assert title == "Refleksjon cohort"
    assert await _search(db, settings, "hemmeligcohort", "anne@example.no") == []
    assert _stored(settings) == 2
    async with db.session() as session:
        left = (await session.execute(text("SELECT count(*) FROM archive_search"))).scalar_one()
    assert left == 2


@pytest.mark.parametrize(
    "words",
    [
        '"',
        "NEAR(a b",
        "title:tillit",
        "tillit*",
        "-tillit",
        "a OR b AND",
        "'; DROP TABLE x; --",
        "()",
    ],
)
async def test_search_syntax_from_people_is_words_not_commands(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld, words: str
) -> None:
    await _three_of_annes(db, settings, clock, world)
    async with db.transaction() as session:
        found = await search(session, viewer=ANY_STUDENT, words=words, now=clock.now())
    assert found.total <= 1  # nothing raised, nothing hidden let through


async def test_staff_searches_are_audited_with_the_owners(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    await _three_of_annes(db, settings, clock, world)
    await _search(db, settings, "tillit", "staff@example.no")
    await _search(db, settings, "tillit", "berit@example.no")
    from bot.audit import read_log

    async with db.session() as session:
        entries, _ = await read_log(session, person_id=world.anne)
    assert [e.action for e in entries].count("archive.search") == 1
