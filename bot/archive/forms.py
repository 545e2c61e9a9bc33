"""What every chat surface of the archive shares: reading the command's words, searching one
page as a person, and checking and saving the add/change form.

Slack (a modal) and Teams (an Adaptive Card) each parse their own form into an `ArchiveForm`
and render the outcome; the rules — what is checked, what is stored, who may — live here and
in `items`, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from bot.archive.files import FileStore, Upload
from bot.archive.items import (
    ArchiveError,
    Change,
    Doer,
    Submission,
    add_item,
    change_item,
    check_submission,
    check_visibility,
    parse_keywords,
)
from bot.archive.search import PAGE, Results, search, viewer_for
from bot.people import Actor
from bot.settings import Settings
from storage.db import Database
from storage.models import ArchiveItem

ADD_WORDS = ("add", "ny", "new", "legg")  # "legg til" starts with "legg"
MINE_WORDS = ("mine", "mitt", "my", "own", "egne")
_PAGE = re.compile(r"(?:^|\s+)(?:side|page)\s+(\d{1,4})$", re.I)
FIELDS = ("title", "summary", "keywords", "url", "visibility")


@dataclass(frozen=True)
class ArchiveRequest:
    """What the words after the archive command ask for."""

    kind: Literal["add", "mine", "search"]
    words: str = ""
    page: int = 1


def split_page(args: str) -> tuple[str, int]:
    """ "turnus side 2" -> ("turnus", 2), "side 2" -> ("", 2); pages count from 1."""
    m = _PAGE.search(args)
    if not m:
        return args, 1
    return args[: m.start()].strip(), max(1, int(m.group(1)))


def parse_request(args: str) -> ArchiveRequest:
    """ "add" / "legg til" -> add; "mine" -> mine; anything else: a search (with its page)."""
    first = args.split(maxsplit=1)[0].lower() if args.strip() else ""
    if first in ADD_WORDS:
        return ArchiveRequest("add")
    if first in MINE_WORDS:
        return ArchiveRequest("mine")
    words, page = split_page(args.strip())
    return ArchiveRequest("search", words, page)


def doer_of(actor: Actor) -> Doer:
    """Who acts on the archive, for a person in a chat tool."""
    return Doer(actor.person_id, actor.is_staff, f"person:{actor.person_id}")


async def search_page(
    db: Database, settings: Settings, *, actor: Actor, words: str, page: int, now: datetime
) -> Results:
    """One page (`PAGE` per page) of what `actor` may see matching `words`; staff audited."""
    async with db.transaction() as session:
        viewer = await viewer_for(session, person=actor.person, staff_emails=settings.staff_emails)
        return await search(
            session,
            viewer=viewer,
            words=words,
            now=now,
            actor=f"person:{actor.person_id}",
            limit=PAGE,
            offset=(max(1, page) - 1) * PAGE,
        )


@dataclass(frozen=True)
class ArchiveForm:
    """A submitted add or change form, as plain values (`item_id` None: add)."""

    item_id: int | None
    title: str
    summary: str
    keywords: str
    url: str
    visibility: str
    show_name: bool


def submission_of(form: ArchiveForm, upload: Upload | None = None) -> Submission:
    return Submission(
        title=form.title,
        summary=form.summary,
        keywords=parse_keywords(form.keywords),
        visibility=form.visibility or None,
        show_name=form.show_name,
        url=form.url or None,
        upload=upload,
    )


def check_form(form: ArchiveForm) -> None:
    """Raise `ArchiveError` for the first problem in the form; nothing is fetched or stored."""
    check_submission(replace(submission_of(form), upload=None))
    if form.visibility:
        check_visibility(form.visibility)


def error_field(error: ArchiveError) -> str:
    """The form field an error is about: one of `FIELDS` (title when none fits)."""
    field = str(error.values.get("field", ""))
    if field in FIELDS:
        return field
    if error.key in ("archive.error.url", "archive.error.file_and_url"):
        return "url"
    if error.key == "archive.error.visibility":
        return "visibility"
    if error.key.startswith("archive.error.keyword"):
        return "keywords"
    return "title"


async def save_form(
    db: Database,
    store: FileStore,
    settings: Settings,
    *,
    form: ArchiveForm,
    doer: Doer,
    now: datetime,
    upload: Upload | None = None,
) -> ArchiveItem:
    """Add the item (or change `form.item_id`), exactly as every surface does; `ArchiveError`
    before anything is stored."""
    if form.item_id is None:
        return await add_item(
            db, store, settings, submission=submission_of(form, upload), doer=doer, now=now
        )
    return await change_item(
        db,
        item_id=form.item_id,
        change=Change(
            title=form.title,
            summary=form.summary,
            keywords=parse_keywords(form.keywords),
            visibility=form.visibility or None,
            show_name=form.show_name,
            url=form.url,
        ),
        doer=doer,
        now=now,
    )
