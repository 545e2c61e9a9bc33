"""Searching and browsing the archive, showing only what the searcher may see.

Who sees what (`storage.queries.archive.visible_to`, the one place the rule is written):
staff see everything; the owner sees their own items; `all` items are seen by every current or
former student; `cohort` items by people enrolled in the item's cohort; `nobody` items by the
owner and staff only. "Any current student" (the command line without `--as`) sees `all` items.

The words are matched with Norwegian stemming on both databases ("sykepleieren" finds
"sykepleiere"), ranked (PostgreSQL `ts_rank`; SQLite FTS5 `bm25`), title and keywords weighing
most. Snippets are cut from the text of items the searcher may see, after the visibility
filter, so a hidden item's words never reach a snippet. An owner's name is shown only when they
chose so (staff always see it, marked as hidden from others).

Staff searches and reads are audited with the owners' ids (`cohortbot audit --person` finds
them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit
from bot.archive.index import hide_name, name_words
from bot.archive.stemming import query_stems, stem, words_of
from bot.archive.stopwords import STOPWORDS
from bot.messages import t
from bot.text import Markup, clean
from storage.models import ArchiveItem, ArchiveVisibility, Person
from storage.queries import archive as q
from storage.queries import people as people_q
from storage.queries.archive import Viewer

MAX_QUERY = 200
PAGE = 10
SNIPPET = 160


class UnknownSearcher(LookupError):
    """`--as EMAIL` names nobody."""


ANY_STUDENT = Viewer(person_id=None, is_staff=False, is_student=True, cohort_ids=frozenset())


async def viewer_for(
    session: AsyncSession, *, person: Person | None, staff_emails: tuple[str, ...] = ()
) -> Viewer:
    """What `person` may see; None is any current student."""
    if person is None:
        return ANY_STUDENT
    assert person.id is not None
    if person.is_staff or person.email in staff_emails:
        return Viewer(person.id, True, True, frozenset())
    cohorts = await q.student_cohorts(session=session, person_id=person.id)
    return Viewer(person.id, False, bool(cohorts), frozenset(c for c, _ in cohorts))


async def viewer_by_email(
    session: AsyncSession, email: str | None, *, staff_emails: tuple[str, ...] = ()
) -> Viewer:
    if email is None:
        return ANY_STUDENT
    person = await people_q.get_person_by_email(session=session, email=email)
    if person is None or person.erased_at is not None:
        raise UnknownSearcher(email)
    return await viewer_for(session, person=person, staff_emails=staff_emails)


@dataclass(frozen=True)
class Hit:
    """One item as the searcher may see it (people's words unmarked; callers mark them)."""

    id: int
    kind: str
    title: str
    snippet: str
    keywords: tuple[str, ...]
    owner: str | None  # the name, when shown to this searcher
    name_hidden_from_others: bool
    visibility: str
    has_file: bool
    file_name: str | None
    url: str | None
    mine: bool


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int
    offset: int
    words: str


def fts_query(words: str) -> str:
    """An FTS5 query over the stems of `words`: each stem quoted (no FTS syntax gets
    through), all required; Norwegian stop words are left out as PostgreSQL does."""
    stems = [s for s in query_stems(words) if s not in STOPWORDS]
    return " ".join(f'"{s}"' for s in stems)


def snippet(item: ArchiveItem, words: str, *, limit: int = SNIPPET) -> str:
    """About `limit` characters around the first word whose stem the query has (summary,
    then file text), else the summary's start."""
    wanted = set(query_stems(words)) - STOPWORDS
    for source in (item.summary, item.file_text or ""):
        for m in re.finditer(r"[^\W_]+", source):
            if stem(m.group(0).casefold()) in wanted:
                start = max(0, m.start() - limit // 3)
                piece = source[start : start + limit]
                piece = " ".join(piece.split())
                return ("…" if start else "") + piece + ("…" if start + limit < len(source) else "")
    text = " ".join(item.summary.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _hits(
    session: AsyncSession, viewer: Viewer, items: list[ArchiveItem], words: str
) -> list[Hit]:
    names = await q.owner_names(
        session=session, owner_ids=[i.owner_id for i in items if i.owner_id is not None]
    )
    hits = []
    for item in items:
        assert item.id is not None
        mine = viewer.person_id is not None and item.owner_id == viewer.person_id
        shown = item.owner_id is not None and (item.show_name or viewer.is_staff or mine)
        # A name the owner hid is masked in the snippet (their file's text often has it) and
        # the file's own name (often "Firstname_Lastname.pdf") is not shown.
        hidden = (
            name_words(names.get(item.owner_id))
            if item.owner_id is not None and not shown
            else frozenset()
        )
        text = snippet(item, words) if words else snippet(item, "")
        hits.append(
            Hit(
                id=item.id,
                kind=item.kind,
                title=item.title,
                snippet=hide_name(text, hidden),
                keywords=tuple(item.keywords or ()),
                owner=names.get(item.owner_id or 0) if shown else None,
                name_hidden_from_others=item.owner_id is not None and not item.show_name,
                visibility=item.visibility,
                has_file=item.file_key is not None,
                file_name=item.file_name if shown or item.owner_id is None else None,
                url=item.url,
                mine=mine,
            )
        )
    return hits


async def search(
    session: AsyncSession,
    *,
    viewer: Viewer,
    words: str,
    now: datetime,
    actor: str = "cli",
    limit: int = PAGE,
    offset: int = 0,
) -> Results:
    """The items matching `words` that `viewer` may see, best first (all of them, newest
    first, when `words` is empty)."""
    words = " ".join(clean(words).split())[:MAX_QUERY]
    if words and words_of(words):
        found = await q.search(
            session=session,
            viewer=viewer,
            sqlite_match=fts_query(words),
            websearch=words,
            limit=limit,
            offset=offset,
        )
    else:
        words = ""
        found = await q.visible_items(session=session, viewer=viewer, limit=limit, offset=offset)
    hits = await _hits(session, viewer, found.items, words)
    if viewer.is_staff and hits:
        await audit.record(
            session,
            actor=actor,
            actor_id=viewer.person_id,
            action="archive.search",
            subject="archive",
            detail={
                "items": [h.id for h in hits],
                "person_ids": sorted({i.owner_id for i in found.items if i.owner_id}),
            },
        )
    return Results(hits, found.total, offset, words)


def visibility_label(visibility: str, locale: str | None) -> Markup:
    """Who sees an item, in words ("only me (and programme staff)", …)."""
    known = visibility if visibility in set(ArchiveVisibility) else ArchiveVisibility.NOBODY
    return Markup(t(f"archive.visibility.{known}", locale))
