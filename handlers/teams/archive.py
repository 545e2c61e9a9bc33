"""The archive in Teams (personal chat): `arkiv ORD…` / `archive WORDS` searches, `arkiv mine`
lists one's own items with Change, Withdraw (asks first) and Download, `arkiv legg til` /
`archive add` opens a card form that stores the item exactly as Slack's modal does.

The rules live in `bot.archive` (`forms`, `items`, `search`, `downloads`); this module parses
the card's values, calls them and renders cards. An Adaptive Card has no file input: a file is
attached to a message in the chat instead (handlers/teams/files.py), and the bot answers with
the form carrying it; the form opened by `arkiv legg til` says so, and that a link works too.
Downloads are the same signed, expiring, per-person links as Slack's, opened with
`Action.OpenUrl`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from bot.archive import store_for
from bot.archive.downloads import DownloadError, link_for
from bot.archive.files import Upload
from bot.archive.forms import (
    ArchiveForm,
    check_form,
    doer_of,
    error_field,
    parse_request,
    save_form,
    search_page,
)
from bot.archive.items import (
    MAX_KEYWORD,
    MAX_SUMMARY,
    MAX_TITLE,
    MAX_URL,
    VISIBILITIES,
    ArchiveError,
    get_own_item,
    my_items,
    withdraw_item,
)
from bot.archive.search import Hit, Results, visibility_label
from bot.messages import esc, t
from bot.notifier import Button, OutgoingMessage, Section
from bot.people import Actor
from bot.runtime import Runtime
from bot.text import Markup
from handlers.teams.cards import (
    CONTENT_TYPE,
    SCHEMA_URL,
    VERSION,
    build_card,
    execute_action,
    text_block,
    text_card,
)
from handlers.teams.context import identify, incoming
from handlers.teams.files import (
    FileError,
    SharedFile,
    fetch_file,
    open_reference,
    sign_reference,
)
from handlers.teams.replies import reply_card
from handlers.teams.text import to_plain

logger = logging.getLogger(__name__)

SAVE_VERB = "archive.save"
CHANGE_VERB = "archive.change"
WITHDRAW_VERB = "archive.withdraw"
CONFIRM_VERB = "archive.withdraw.confirm"
DOWNLOAD_VERB = "archive.download"
MINE_VERB = "archive.mine"
VERBS = re.compile(r"^archive\.(save|change|withdraw|withdraw\.confirm|download|mine)$")
MAX_SNIPPET = 300
MAX_MINE = 20
MAX_KEYWORDS_INPUT = 20 * (MAX_KEYWORD + 2)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- search and one's own items: neutral messages, rendered by cards.build_card -----------


def _by(hit: Hit, locale: str) -> str:
    if hit.kind == "material" and hit.owner is None:
        return t("archive.hit.material", locale)
    if hit.owner is None:
        return t("archive.hit.anonymous", locale)
    key = "archive.hit.by_hidden" if hit.name_hidden_from_others else "archive.hit.by"
    return t(key, locale, name=hit.owner)


def _hit_section(hit: Hit, locale: str) -> Section:
    lines: list[str] = [
        Markup(f"*{esc(hit.title)}*  ·  {_by(hit, locale)}"),
        esc(_clip(hit.snippet, MAX_SNIPPET)),
    ]
    if hit.keywords:
        lines.append(t("archive.hit.keywords", locale, keywords=", ".join(hit.keywords)))
    if hit.url:
        lines.append(t("archive.hit.link", locale, url=hit.url))
    buttons = (
        (Button(DOWNLOAD_VERB, t("archive.button.download", locale), str(hit.id)),)
        if hit.has_file
        else ()
    )
    return Section(text="\n".join(lines), buttons=buttons)


def next_page_command(words: str, page: int, locale: str) -> str:
    """The words that ask for the next page ("arkiv turnus side 2")."""
    head, word = ("archive", "page") if locale == "en" else ("arkiv", "side")
    return " ".join(part for part in (head, words, word, str(page)) if part)


def search_message(results: Results, locale: str, *, page: int) -> OutgoingMessage:
    """One page of results, best first, "… og N til" when the page is not all; without words,
    the archive's commands under them."""
    words = results.words
    title = (
        t("archive.search.title", locale, words=words)
        if words
        else t("archive.browse.title", locale)
    )
    sections: list[Section] = []
    if not results.hits:
        key = "archive.search.none" if words else "archive.search.empty"
        sections.append(Section(text=t(key, locale, words=words) if words else t(key, locale)))
    else:
        first, last = results.offset + 1, results.offset + len(results.hits)
        count = t("archive.search.count", locale, total=results.total, first=first, last=last)
        sections.append(Section(text=count))
        sections += [_hit_section(hit, locale) for hit in results.hits]
        rest = results.total - last
        if rest > 0:
            command = next_page_command(words, page + 1, locale)
            sections.append(Section(text=t("teams.archive.more", locale, n=rest, command=command)))
    if not words:
        sections.append(Section(text=t("teams.archive.usage", locale)))
    return OutgoingMessage(text=title, title=title, sections=tuple(sections), locale=locale)


def mine_message(items: Sequence[Any], locale: str) -> OutgoingMessage:
    """One's own items, each with Change, Withdraw and (with a file) Download."""
    title = t("archive.mine.title", locale)
    if not items:
        sections = [Section(text=t("teams.archive.mine.none", locale))]
        return OutgoingMessage(text=title, title=title, sections=tuple(sections), locale=locale)
    sections = []
    for item in items[:MAX_MINE]:
        shown = t("archive.yes" if item.show_name else "archive.no", locale)
        text = t(
            "archive.mine.item",
            locale,
            title=item.title,
            visibility=visibility_label(item.visibility, locale),
            shown=Markup(shown),
        )
        buttons = [
            Button(CHANGE_VERB, t("archive.button.change", locale), str(item.id)),
            Button(WITHDRAW_VERB, t("archive.button.withdraw", locale), str(item.id), "danger"),
        ]
        if item.file_key:
            buttons.append(
                Button(DOWNLOAD_VERB, t("archive.button.download", locale), str(item.id))
            )
        sections.append(Section(text=text, buttons=tuple(buttons)))
    if len(items) > MAX_MINE:
        sections.append(Section(text=t("archive.mine.more", locale, n=len(items) - MAX_MINE)))
    return OutgoingMessage(text=title, title=title, sections=tuple(sections), locale=locale)


# --- the add/change form: an Adaptive Card of inputs -------------------------------------


def _label(key: str, locale: str) -> str:
    return to_plain(t(key, locale))


def _text_input(
    input_id: str, label: str, value: str, limit: int, *, multiline: bool = False, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "isMultiline": multiline,
        "maxLength": limit,
        "value": value[:limit],  # people's own words: an input shows them as written
        **extra,
    }


def form_card(
    locale: str,
    *,
    staff: bool,
    item: Any = None,
    values: ArchiveForm | None = None,
    error: str | None = None,
    file: SharedFile | None = None,
    file_ref: str | None = None,
) -> dict[str, Any]:
    """Add (or change, with `item`) an archive item: title, summary, keywords, a link, who may
    see it, and "show my name" for one's own work; `values` and `error` redraw a refused form
    with what was written and why nothing was stored."""
    if values is None and item is not None:
        values = ArchiveForm(
            item_id=item.id,
            title=item.title,
            summary=item.summary,
            keywords=", ".join(item.keywords or ()),
            url=item.url or "",
            visibility=item.visibility,
            show_name=item.show_name,
        )
    default = item.visibility if item is not None else ("all" if staff else "nobody")
    chosen = (values.visibility if values else "") or default
    if chosen not in VISIBILITIES:
        chosen = default
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _label(
                "archive.modal.change_title" if item is not None else "archive.modal.title",
                locale,
            ),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
            "style": "heading",
        },
        text_block(t("archive.modal.intro_staff" if staff else "archive.modal.intro", locale)),
    ]
    if error:
        body.append(text_block(f"⚠️ {error}", color="Attention", weight="Bolder"))
    body += [
        _text_input(
            "title",
            _label("archive.field.title", locale),
            values.title if values else "",
            MAX_TITLE,
            isRequired=True,
            errorMessage=_label("teams.archive.required", locale),
        ),
        _text_input(
            "summary",
            _label("archive.field.summary", locale),
            values.summary if values else "",
            MAX_SUMMARY,
            multiline=True,
            isRequired=True,
            errorMessage=_label("teams.archive.required", locale),
        ),
        _text_input(
            "keywords",
            _label("archive.field.keywords", locale),
            values.keywords if values else "",
            MAX_KEYWORDS_INPUT,
        ),
    ]
    if file is not None:
        body.append(text_block(t("teams.archive.file", locale, name=file.name)))
    elif item is None or not item.file_key:
        if item is None:
            body.append(text_block(t("teams.archive.no_file", locale), isSubtle=True))
        body.append(
            _text_input(
                "url",
                _label("teams.archive.field.url", locale),
                values.url if values else "",
                MAX_URL,
                style="url",
                placeholder="https://…",
            )
        )
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "visibility",
            "label": _label("archive.field.visibility", locale),
            "style": "expanded",
            "isRequired": True,
            "value": chosen,
            "choices": [
                {"title": _label(f"archive.visibility.{v}", locale), "value": v}
                for v in VISIBILITIES
            ],
        }
    )
    owned = item.owner_id is not None if item is not None else not staff
    if owned:
        body.append(
            {
                "type": "Input.Toggle",
                "id": "show_name",
                "label": _label("archive.field.show_name", locale),
                "title": _label("archive.field.show_name_option", locale),
                "value": "true" if values and values.show_name else "false",
                "valueOn": "true",
                "valueOff": "false",
            }
        )
    data = {"item": str(item.id) if item is not None else ""}
    if file is not None and file_ref:
        data["file"] = file_ref
    save = execute_action(
        SAVE_VERB, t("archive.modal.submit", locale), data, style={"style": "positive"}
    )
    save["associatedInputs"] = "Auto"
    body.append({"type": "ActionSet", "actions": [save]})
    return {"type": "AdaptiveCard", "$schema": SCHEMA_URL, "version": VERSION, "body": body}


def _text(value: Any) -> str:
    """A card value as text: anything but a string (a forged payload) counts as empty."""
    return value if isinstance(value, str) else ""


def _item_id(value: Any) -> int | None:
    raw = str(value) if isinstance(value, (str, int)) else ""
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def parse_form(data: dict[str, Any]) -> ArchiveForm:
    """The form's values as sent by Teams (Action.Execute data merged with the inputs)."""
    return ArchiveForm(
        item_id=_item_id(data.get("item")),
        title=_text(data.get("title")),
        summary=_text(data.get("summary")),
        keywords=_text(data.get("keywords")),
        url=_text(data.get("url")).strip(),
        visibility=_text(data.get("visibility")).strip(),
        show_name=_text(data.get("show_name")).lower() == "true",
    )


def error_text(error: ArchiveError, locale: str) -> str:
    """Why nothing was stored, naming the field by its label on the card."""
    values = dict(error.values)
    if "field" in values:
        field = error_field(error)
        key = "teams.archive.field.url" if field == "url" else f"archive.field.{field}"
        values["field"] = to_plain(t(key, locale))
    return t(error.key, locale, **values)


# --- what the command and the clicks do ----------------------------------------------------


async def archive_command(runtime: Runtime, actor: Actor, args: str, reply: Any) -> None:
    locale = actor.locale
    request = parse_request(args)
    if request.kind == "add":
        await reply(None, card=form_card(locale, staff=actor.is_staff))
        return
    if request.kind == "mine":
        items = await my_items(runtime.db, person_id=actor.known_id)
        await reply(mine_message(items, locale))
        return
    results = await search_page(
        runtime.db,
        runtime.settings,
        actor=actor,
        words=request.words,
        page=request.page,
        now=runtime.clock.now(),
    )
    await reply(search_message(results, locale, page=request.page))


FILE_ERRORS = ("archive.error.too_big", "archive.error.empty_file", "archive.error.unreadable")


async def archive_file_command(
    runtime: Runtime, actor: Actor, args: str, reply: Any, *, file: SharedFile
) -> None:
    """A file attached in the chat: the add form, with the file in it."""
    assert actor.person_id is not None
    ref = sign_reference(runtime.settings, file, person_id=actor.person_id, now=runtime.clock.now())
    await reply(None, card=form_card(actor.locale, staff=actor.is_staff, file=file, file_ref=ref))


async def _upload(runtime: Runtime, actor: Actor, file: SharedFile) -> Upload:
    """The attached file's bytes, or ArchiveError saying why not (nothing is stored)."""
    limit = runtime.settings.archive_max_file_bytes
    try:
        return await fetch_file(runtime.http, file, mode=runtime.settings.teams, limit=limit)
    except FileError as exc:
        if exc.kind == "too_big":
            raise ArchiveError("archive.error.too_big", mib=f"{limit / 1048576:.0f}") from exc
        logger.warning("Failed to fetch a file attached in Teams (%s)", exc.kind)
        raise ArchiveError("teams.archive.file.failed") from exc


async def _save(runtime: Runtime, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    locale = actor.locale
    form = parse_form(data)
    item = None
    file: SharedFile | None = None
    ref = data.get("file") if form.item_id is None else None
    try:
        if form.item_id is not None:
            item = await get_own_item(runtime.db, item_id=form.item_id, doer=doer_of(actor))
        if ref:
            try:
                file = open_reference(
                    runtime.settings, ref, person_id=actor.person_id, now=runtime.clock.now()
                )
            except FileError:
                raise ArchiveError("teams.archive.file.expired") from None
            if form.url:
                raise ArchiveError("archive.error.file_and_url")
        check_form(form)
        upload = await _upload(runtime, actor, file) if file is not None else None
        saved = await save_form(
            runtime.db,
            store_for(runtime.settings),
            runtime.settings,
            form=form,
            doer=doer_of(actor),
            now=runtime.clock.now(),
            upload=upload,
        )
    except ArchiveError as exc:
        if exc.key == "archive.error.no_item":
            return text_card(exc.text(locale))
        if exc.key in (*FILE_ERRORS, "teams.archive.file.expired", "teams.archive.file.failed"):
            file = None  # the file itself is the problem: the form goes on without it
        return form_card(
            locale,
            staff=actor.is_staff,
            item=item,
            values=form,
            error=error_text(exc, locale),
            file=file,
            file_ref=str(ref) if file is not None else None,
        )
    visibility = visibility_label(saved.visibility, locale)
    if item is not None:
        return text_card(t("archive.changed", locale, title=saved.title, visibility=visibility))
    return text_card(
        t("teams.archive.added", locale, title=saved.title, id=saved.id, visibility=visibility)
    )


async def _withdraw_ask(runtime: Runtime, actor: Actor, item_id: int) -> dict[str, Any]:
    locale = actor.locale
    item = await get_own_item(runtime.db, item_id=item_id, doer=doer_of(actor))
    text = t("archive.withdraw.confirm", locale, title=item.title)
    buttons = (
        Button(CONFIRM_VERB, t("archive.button.withdraw", locale), str(item_id), "danger"),
        Button(MINE_VERB, t("archive.modal.cancel", locale), str(item_id)),
    )
    title = t("archive.button.withdraw", locale)
    return build_card(
        OutgoingMessage(
            text=title, title=title, sections=(Section(text=text, buttons=buttons),), locale=locale
        )
    )


async def _download(runtime: Runtime, actor: Actor, item_id: int) -> dict[str, Any]:
    locale = actor.locale
    assert actor.person is not None
    try:
        title, url = await link_for(
            runtime.db,
            runtime.settings,
            item_id=item_id,
            person=actor.person,
            now=runtime.clock.now(),
        )
    except DownloadError:
        return text_card(t("archive.download.gone", locale))
    minutes = runtime.settings.archive_link_minutes
    text = t("teams.archive.download.ready", locale, title=title, minutes=minutes)
    button = Button(DOWNLOAD_VERB, t("archive.button.download", locale), url=url)
    return build_card(
        OutgoingMessage(
            text=text,
            title=t("archive.button.download", locale),
            sections=(Section(text=text, buttons=(button,)),),
            locale=locale,
        )
    )


async def answer(runtime: Runtime, actor: Actor, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    """The card that answers a click on one of the archive's cards."""
    locale = actor.locale
    if actor.person is None:
        return text_card(t("error.unknown_user", locale))
    if verb == SAVE_VERB:
        return await _save(runtime, actor, data)
    if verb == MINE_VERB:
        return build_card(
            mine_message(await my_items(runtime.db, person_id=actor.known_id), locale)
        )
    item_id = _item_id(data.get("value"))
    try:
        if item_id is None:
            raise ArchiveError("archive.error.no_item", id="?")
        if verb == DOWNLOAD_VERB:
            return await _download(runtime, actor, item_id)
        if verb == CHANGE_VERB:
            item = await get_own_item(runtime.db, item_id=item_id, doer=doer_of(actor))
            return form_card(locale, staff=actor.is_staff, item=item)
        if verb == WITHDRAW_VERB:
            return await _withdraw_ask(runtime, actor, item_id)
        if verb == CONFIRM_VERB:
            title = await withdraw_item(
                runtime.db, store_for(runtime.settings), item_id=item_id, doer=doer_of(actor)
            )
            return text_card(t("archive.withdrawn", locale, title=title))
    except ArchiveError as exc:
        return text_card(exc.text(locale))
    return text_card(t("error.generic", locale))


def register(teams: Any, runtime: Runtime) -> None:
    """The archive cards' Action.Execute verbs, and their Action.Submit fallback."""
    from microsoft_agents.activity import AdaptiveCardInvokeResponse

    agent = teams.agent

    async def handle(context: Any, verb: str, data: dict[str, Any]) -> dict[str, Any]:
        actor = await identify(runtime, teams.connector, incoming(context.activity))
        try:
            return await answer(runtime, actor, verb, data)
        except Exception:
            logger.exception("Failed to answer the Teams archive action %s", verb)
            return text_card(t("error.generic", actor.locale))

    def _data(value: Any) -> dict[str, Any]:
        return dict(value) if isinstance(value, dict) else {}

    @agent.adaptive_card.action_execute(VERBS)
    async def on_execute(context: Any, _state: Any, data: Any) -> Any:
        verb = str(context.activity.value.get("action", {}).get("verb", ""))
        card = await handle(context, verb, _data(data))
        return AdaptiveCardInvokeResponse(status_code=HTTPStatus.OK, type=CONTENT_TYPE, value=card)

    @agent.adaptive_card.action_submit(VERBS)
    async def on_submit(context: Any, _state: Any, data: Any) -> None:
        values = _data(data)
        card = await handle(context, str(values.get("verb", "")), values)
        await reply_card(teams, context.activity, card)
