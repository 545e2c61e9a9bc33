"""The archive's cards are valid Adaptive Cards 1.5 and stay inside Teams' limits."""

from __future__ import annotations

import json
from types import SimpleNamespace

from bot.archive.forms import ArchiveForm
from bot.archive.search import Hit, Results
from handlers.teams.archive import form_card, mine_message, search_message
from handlers.teams.cards import MAX_CARD_BYTES, build_card
from tests.handlers.teams.test_cards import validate


def _hit(i: int) -> Hit:
    return Hit(
        id=i,
        kind="project",
        title=f"**Tittel** {i} <at>x</at>",
        snippet="ø" * 400,
        keywords=("turnus",),
        owner="Anne",
        name_hidden_from_others=False,
        visibility="all",
        has_file=True,
        file_name="a.pdf",
        url="https://example.org",
        mine=False,
    )


def test_the_form_is_valid_when_adding_changing_and_refused() -> None:
    item = SimpleNamespace(
        id=3,
        title="T",
        summary="S",
        keywords=["a"],
        url=None,
        visibility="cohort",
        show_name=True,
        owner_id=1,
        file_key="k",
    )
    refused = ArchiveForm(None, "x" * 999, "s", "k", "u", "forged", True)
    for card in (
        form_card("nb", staff=False),
        form_card("en", staff=True),
        form_card("nb", staff=False, item=item),
        form_card("nb", staff=False, values=refused, error="⚠️"),
    ):
        validate(card)
    staff = {el.get("id") for el in form_card("nb", staff=True)["body"]}
    assert "show_name" not in staff  # staff material has no name question
    changed = form_card("nb", staff=False, item=item)
    assert "url" not in {el.get("id") for el in changed["body"]}  # a file, so no link
    values = {
        el.get("id"): el.get("value") for el in form_card("nb", staff=False, values=refused)["body"]
    }
    assert values["visibility"] == "nobody" and len(values["title"]) == 200


def test_a_full_page_of_results_and_a_long_own_list_fit_in_a_card() -> None:
    results = Results([_hit(i) for i in range(10)], total=57, offset=10, words="turnus")
    card = build_card(search_message(results, "nb", page=2))
    validate(card)
    assert len(json.dumps(card, ensure_ascii=False).encode()) <= MAX_CARD_BYTES
    assert "… og 37 til. Skriv «arkiv turnus side 3» for neste side." in json.dumps(
        card, ensure_ascii=False
    )
    items = [
        SimpleNamespace(id=i, title=f"T{i}", visibility="all", show_name=False, file_key="k")
        for i in range(25)
    ]
    mine = build_card(mine_message(items, "en"))
    validate(mine)
    assert "… and 5 more." in json.dumps(mine, ensure_ascii=False)


def test_files_are_fetched_only_from_sharepoint_over_https_or_loopback_in_dev() -> None:
    from handlers.teams.files import allowed_url

    assert allowed_url("https://contoso-my.sharepoint.com/personal/a/download.aspx?x=1", "on")
    for url in (
        "http://contoso-my.sharepoint.com/x",
        "https://sharepoint.com.evil.example/x",
        "https://evil.example/contoso.sharepoint.com",
        "https://user@contoso.sharepoint.com/x",
        "https://127.0.0.1/x",
        "file:///etc/passwd",
        "",
    ):
        assert not allowed_url(url, "on"), url
    assert allowed_url("http://127.0.0.1:8123/download/x", "dev")
    assert not allowed_url("https://contoso.sharepoint.com/x", "dev")
    assert not allowed_url("http://169.254.169.254/latest/meta-data", "dev")
