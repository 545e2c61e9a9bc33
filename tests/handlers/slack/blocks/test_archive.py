"""The archive's Block Kit builders: valid for Slack, within its limits, people's words inert."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.archive.search import Hit, Results
from handlers.slack.blocks.archive import (
    build_archive_modal,
    build_home_archive,
    build_my_items,
    build_search_results,
    parse_archive_form,
)


@dataclass
class Row:
    id: int | None = 7
    title: str = "<!channel> Turnus"
    summary: str = "Om turnus"
    keywords: list[str] = field(default_factory=lambda: ["turnus"])
    visibility: str = "cohort"
    show_name: bool = True
    url: str | None = None
    file_name: str | None = "a.pdf"
    file_key: str | None = "0" * 32 + ".pdf"
    owner_id: int | None = 3


def _hit(i: int) -> Hit:
    return Hit(
        id=i,
        kind="project",
        title=f"<@U123> *Prosjekt {i}*",
        snippet="… sykepleiere & <b>ledere</b> …",
        keywords=("turnus",),
        owner="Anne <!here>",
        name_hidden_from_others=False,
        visibility="all",
        has_file=True,
        file_name="a.pdf",
        url=None,
        mine=False,
    )


def test_the_modals_are_valid_views_and_staff_get_no_name_question() -> None:
    for staff in (False, True):
        view = build_archive_modal("nb", staff=staff)
        View(**view).validate_json()
        blocks = {b.get("block_id") for b in view["blocks"]}
        assert {"title", "summary", "keywords", "file", "url", "visibility"} <= blocks
        assert ("show_name" in blocks) is (not staff)
    change = build_archive_modal("en", staff=False, item=Row())
    View(**change).validate_json()
    ids = {b.get("block_id") for b in change["blocks"]}
    assert "file" not in ids and "url" not in ids  # an item with a file keeps it
    assert change["blocks"][1]["element"]["initial_value"] == "<!channel> Turnus"  # plain text


def test_a_submitted_form_parses_to_plain_values() -> None:
    view = {
        "private_metadata": '{"item_id": 7}',
        "state": {
            "values": {
                "title": {"value": {"type": "plain_text_input", "value": "T"}},
                "visibility": {"value": {"selected_option": {"value": "all"}}},
                "show_name": {"value": {"selected_options": [{"value": "yes"}]}},
                "file": {"value": {"files": [{"id": "F1"}, {"id": "F2"}]}},
            }
        },
    }
    form = parse_archive_form(view)
    assert (form.item_id, form.title, form.visibility, form.show_name) == (7, "T", "all", True)
    assert form.files == [{"id": "F1"}]  # one file
    assert parse_archive_form({"private_metadata": "not json"}).item_id is None


def test_results_say_how_many_more_and_people_words_cannot_ping() -> None:
    results = Results([_hit(i) for i in range(1, 11)], total=23, offset=0, words="turnus")
    blocks = build_search_results(results, "nb", page=1)
    assert len(blocks) <= 50
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    shown = str(blocks)
    assert "<!here>" not in shown and "<@U123>" not in shown and "<b>" not in shown
    assert "&lt;!here&gt;" in shown
    assert "og 13 til" in shown and "side 2" in shown


def test_own_items_and_home_are_valid_blocks() -> None:
    for block in [
        *build_my_items([Row(), Row(id=8, file_key=None)], "en"),
        *build_home_archive("nb"),
    ]:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    mine = str(build_my_items([Row()], "en"))
    assert "archive.withdraw" in mine and "confirm" in mine and "&lt;!channel&gt;" in mine
