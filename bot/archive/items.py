"""Adding, changing, withdrawing and listing archive items; who may do what.

- A participant (anyone admitted to a cohort, current or former) adds their own project; it is
  shown to their newest cohort when its visibility is `cohort`. They change or withdraw it at
  any time; withdrawing deletes the row, its index entry and (after the commit) its file.
- Staff add lectures and material (no owner) or a participant's project on their behalf
  (`owner_email`), and may change or withdraw any item. Staff material shown to `cohort` goes
  to the newest cohort that is not completed.
- Everything is checked before anything is stored: bad input raises `ArchiveError` (a catalogue
  key and values, nb and en) and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit
from bot.archive.extract import ExtractError, extract_text_async
from bot.archive.files import (
    FileStore,
    Upload,
    detect_type,
    discard,
    safe_filename,
    sha256,
    suffix_for,
)
from bot.archive.index import reindex
from bot.messages import t
from bot.settings import Settings
from bot.text import clean
from storage.db import Database
from storage.emails import canonical_email
from storage.models import ArchiveItem, ArchiveVisibility, Person
from storage.queries import archive as q
from storage.queries import people as people_q

VISIBILITIES = tuple(v.value for v in ArchiveVisibility)
MAX_TITLE = 200
MAX_SUMMARY = 3000
MAX_KEYWORDS = 20
MAX_KEYWORD = 50
MAX_URL = 1000


class ArchiveError(Exception):
    """Bad input or a refused action; `text(locale)` says why (nothing was changed)."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, locale: str | None) -> str:
        return t(self.key, locale, **self.values)


@dataclass(frozen=True)
class Doer:
    """Who acts: a person (Slack) or the command line (`person_id` None, staff)."""

    person_id: int | None
    is_staff: bool
    label: str  # audit actor: "person:<id>" or "cli"


@dataclass(frozen=True)
class Submission:
    """What a person or staff gives for an item (before checks)."""

    title: str
    summary: str
    keywords: tuple[str, ...] = ()
    visibility: str | None = None  # None: the default for the kind of item
    show_name: bool = False
    url: str | None = None
    upload: Upload | None = None


@dataclass(frozen=True)
class Change:
    """A change to an item; None leaves a field as it is."""

    title: str | None = None
    summary: str | None = None
    keywords: tuple[str, ...] | None = None
    visibility: str | None = None
    show_name: bool | None = None
    url: str | None = None


@dataclass(frozen=True)
class PreparedFile:
    name: str
    data: bytes
    file_type: str
    text: str


def parse_keywords(raw: str | None) -> tuple[str, ...]:
    """ "ledelse, sykepleie ,," -> ("ledelse", "sykepleie"), duplicates dropped."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,;\n]", raw or ""):
        word = " ".join(clean(part).split())
        if word:
            seen.setdefault(word, None)
    return tuple(seen)


def _text(value: str | None, *, field: str, limit: int) -> str:
    text = " ".join(clean(value or "").split(" ")).strip()
    if not text:
        raise ArchiveError("archive.error.missing", field=field)
    if len(text) > limit:
        raise ArchiveError("archive.error.too_long", field=field, n=limit)
    return text


def check_visibility(value: str | None) -> str:
    if value not in VISIBILITIES:
        raise ArchiveError("archive.error.visibility", value=str(value)[:40])
    return value


def check_url(value: str) -> str:
    url = clean(value).strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ArchiveError("archive.error.url")
    if any(c in url for c in ' <>"|\n'):
        raise ArchiveError("archive.error.url")
    return url


def check_keywords(keywords: tuple[str, ...]) -> tuple[str, ...]:
    if len(keywords) > MAX_KEYWORDS:
        raise ArchiveError("archive.error.keywords", n=MAX_KEYWORDS)
    if any(len(k) > MAX_KEYWORD for k in keywords):
        raise ArchiveError("archive.error.keyword_long", n=MAX_KEYWORD)
    return keywords


def check_submission(sub: Submission) -> Submission:
    """The submission cleaned, or `ArchiveError` for the first problem found."""
    if sub.url and sub.upload is not None:
        raise ArchiveError("archive.error.file_and_url")
    return replace(
        sub,
        title=_text(sub.title, field="title", limit=MAX_TITLE),
        summary=_text(sub.summary, field="summary", limit=MAX_SUMMARY),
        keywords=check_keywords(parse_keywords(",".join(sub.keywords))),
        visibility=None if sub.visibility is None else check_visibility(sub.visibility),
        url=check_url(sub.url) if sub.url else None,
    )


async def prepare_file(upload: Upload, settings: Settings) -> PreparedFile:
    """Check size and type and extract the text (in a worker thread); nothing is stored."""
    limit = settings.archive_max_file_bytes
    if len(upload.data) > limit:
        raise ArchiveError("archive.error.too_big", mib=_mib(limit))
    if not upload.data:
        raise ArchiveError("archive.error.empty_file")
    file_type = detect_type(upload.data)
    try:
        text = await extract_text_async(upload.data, file_type)
    except ExtractError as exc:
        raise ArchiveError("archive.error.unreadable", kind=exc.kind.upper()) from exc
    return PreparedFile(safe_filename(upload.name), upload.data, file_type, text)


def _mib(n: int) -> str:
    value = n / (1024 * 1024)
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".replace(".", ",")


def default_visibility(*, owned: bool) -> str:
    """Staff material is for everyone; a participant's work is private until they choose
    (privacy by default, GDPR art. 25)."""
    return ArchiveVisibility.NOBODY if owned else ArchiveVisibility.ALL


async def _owner(session: AsyncSession, email: str) -> Person:
    person = await people_q.get_person_by_email(session=session, email=email)
    if person is None or person.id is None or person.erased_at is not None:
        raise ArchiveError("archive.error.unknown_owner", email=canonical_email(email)[:80])
    return person


async def _cohort_for(
    session: AsyncSession, *, owner: Person | None, visibility: str
) -> int | None:
    if owner is not None:
        assert owner.id is not None
        cohorts = await q.student_cohorts(session=session, person_id=owner.id)
        if cohorts:
            return cohorts[0][0]
        if visibility == ArchiveVisibility.COHORT:
            raise ArchiveError("archive.error.no_cohort_owner")
        return None
    current = await q.current_cohort_ids(session=session)
    if visibility == ArchiveVisibility.COHORT and not current:
        raise ArchiveError("archive.error.no_cohort")
    return current[0] if current else None


async def add_item(
    db: Database,
    store: FileStore,
    settings: Settings,
    *,
    submission: Submission,
    doer: Doer,
    now: datetime,
    owner_email: str | None = None,
) -> ArchiveItem:
    """Add an item: a participant's own (`doer` not staff), or staff's (for `owner_email` or
    nobody). Raises `ArchiveError` before storing anything."""
    sub = check_submission(submission)
    prepared = await prepare_file(sub.upload, settings) if sub.upload is not None else None
    async with db.transaction() as session:
        owner: Person | None = None
        if owner_email is not None:
            if not doer.is_staff:
                raise ArchiveError("archive.error.not_allowed")
            owner = await _owner(session, owner_email)
        elif not doer.is_staff:
            assert doer.person_id is not None
            owner = await session.get(Person, doer.person_id)
            if owner is None or not await q.student_cohorts(
                session=session, person_id=doer.person_id
            ):
                raise ArchiveError("archive.error.not_student")
        visibility = sub.visibility or default_visibility(owned=owner is not None)
        cohort_id = await _cohort_for(session, owner=owner, visibility=visibility)
        item = ArchiveItem(
            owner_id=owner.id if owner else None,
            added_by_id=doer.person_id,
            cohort_id=cohort_id,
            kind="project" if owner else "material",
            title=sub.title,
            summary=sub.summary,
            keywords=list(sub.keywords),
            visibility=visibility,
            show_name=sub.show_name if owner else False,
            url=sub.url,
            created_at=now,
            updated_at=now,
        )
        if prepared is not None:
            # Stored before the row: if the commit fails, the file is an orphan the sweep takes.
            item.file_key = await store.put(prepared.data, suffix=suffix_for(prepared.file_type))
            item.file_name = prepared.name
            item.file_type = prepared.file_type
            item.file_size = len(prepared.data)
            item.file_sha256 = sha256(prepared.data)
            item.file_text = prepared.text or None
        await q.save_item(session=session, item=item)
        await reindex(session, item)
        if doer.is_staff:
            await audit.record(
                session,
                actor=doer.label,
                actor_id=doer.person_id,
                action="archive.add",
                subject=f"archive:{item.id}",
                detail={"person_id": item.owner_id} if item.owner_id else {},
            )
    return item


async def _editable(session: AsyncSession, item_id: int, doer: Doer) -> ArchiveItem:
    item = await q.get_item(session=session, item_id=item_id)
    if item is None or not (doer.is_staff or item.owner_id == doer.person_id):
        # The same answer for "no such item" and "not yours": ids tell nothing.
        raise ArchiveError("archive.error.no_item", id=item_id)
    return item


async def change_item(
    db: Database, *, item_id: int, change: Change, doer: Doer, now: datetime
) -> ArchiveItem:
    """Change an item (its owner or staff)."""
    async with db.transaction() as session:
        item = await _editable(session, item_id, doer)
        if change.title is not None:
            item.title = _text(change.title, field="title", limit=MAX_TITLE)
        if change.summary is not None:
            item.summary = _text(change.summary, field="summary", limit=MAX_SUMMARY)
        if change.keywords is not None:
            item.keywords = list(check_keywords(parse_keywords(",".join(change.keywords))))
        if change.visibility is not None:
            visibility = check_visibility(change.visibility)
            if visibility == ArchiveVisibility.COHORT and item.cohort_id is None:
                owner = await session.get(Person, item.owner_id) if item.owner_id else None
                item.cohort_id = await _cohort_for(session, owner=owner, visibility=visibility)
            item.visibility = visibility
        if change.show_name is not None and item.owner_id is not None:
            item.show_name = change.show_name
        if change.url is not None:
            if change.url and item.file_key:
                raise ArchiveError("archive.error.file_and_url")
            item.url = check_url(change.url) if change.url else None
        item.updated_at = now
        await q.save_item(session=session, item=item)
        await reindex(session, item)
        await q.compact_index(session=session)  # the old wording leaves the index's segments
        if doer.is_staff and item.owner_id != doer.person_id:
            await audit.record(
                session,
                actor=doer.label,
                actor_id=doer.person_id,
                action="archive.change",
                subject=f"archive:{item.id}",
                detail={"person_id": item.owner_id} if item.owner_id else {},
            )
    return item


async def withdraw_item(db: Database, store: FileStore, *, item_id: int, doer: Doer) -> str:
    """Withdraw (delete) an item and its file; returns its title for the confirmation."""
    async with db.transaction() as session:
        item = await _editable(session, item_id, doer)
        title, key, owner_id = item.title, item.file_key, item.owner_id
        await q.delete_item(session=session, item=item)
        # FTS5 keeps a deleted row's terms in its segments until a merge: merge now, so a
        # withdrawn item's words do not stay in the database file.
        await q.compact_index(session=session)
        if doer.is_staff and owner_id != doer.person_id:
            await audit.record(
                session,
                actor=doer.label,
                actor_id=doer.person_id,
                action="archive.withdraw",
                subject=f"archive:{item_id}",
                detail={"person_id": owner_id} if owner_id else {},
            )
    await discard(store, [key])
    return title


async def my_items(db: Database, *, person_id: int) -> list[ArchiveItem]:
    async with db.session() as session:
        return await q.items_of_owner(session=session, owner_id=person_id)


async def get_own_item(db: Database, *, item_id: int, doer: Doer) -> ArchiveItem:
    """An item its owner (or staff) may change, for the change form."""
    async with db.session() as session:
        return await _editable(session, item_id, doer)
