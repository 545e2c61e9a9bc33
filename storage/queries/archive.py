"""The archive's rows and its full-text index (storage/search.py), on both databases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, column, false, func, literal_column, or_, select, table, text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    ArchiveItem,
    ArchiveVisibility,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    Person,
)
from storage.search import SEARCH_TABLE

# Who counts as a student (current or former) for the archive: anyone admitted to a cohort,
# whether they are in it now, completed or left. Applicants and people who never started are
# not students.
STUDENT_STATUSES = (
    EnrolmentStatus.ADMITTED,
    EnrolmentStatus.ACTIVE,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.WITHDRAWN,
)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: staff see everything; others what `visible_to` lets through.

    `person_id` None with `is_student` True is "any current student" (the CLI without `--as`).
    """

    person_id: int | None
    is_staff: bool
    is_student: bool
    cohort_ids: frozenset[int]


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition for items `viewer` may see (the one place the rule is written)."""
    if viewer.is_staff:
        return literal_column("1") == literal_column("1")
    conditions: list[ColumnElement[bool]] = []
    if viewer.person_id is not None:
        conditions.append(col(ArchiveItem.owner_id) == viewer.person_id)
    if viewer.is_student:
        conditions.append(col(ArchiveItem.visibility) == ArchiveVisibility.ALL)
    if viewer.cohort_ids:
        conditions.append(
            and_(
                col(ArchiveItem.visibility) == ArchiveVisibility.COHORT,
                col(ArchiveItem.cohort_id).in_(sorted(viewer.cohort_ids)),
            )
        )
    return or_(*conditions) if conditions else false()


async def student_cohorts(*, session: AsyncSession, person_id: int) -> list[tuple[int, str]]:
    """(cohort id, status) of the person's enrolments that make them a student, newest first."""
    result = await session.execute(
        select(col(Enrolment.cohort_id), col(Enrolment.status))
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(
            col(Enrolment.person_id) == person_id,
            or_(col(Enrolment.status).in_(STUDENT_STATUSES), col(Enrolment.is_alumnus).is_(True)),
        )
        .order_by(col(Cohort.start_date).desc().nulls_last(), col(Cohort.id).desc())
    )
    return [(int(c), str(s)) for c, s in result.all()]


async def current_cohort_ids(*, session: AsyncSession) -> list[int]:
    """Cohorts not completed, newest first (where staff material shown to "the cohort" goes)."""
    result = await session.execute(
        select(col(Cohort.id))
        .where(col(Cohort.status) != "completed")
        .order_by(col(Cohort.start_date).desc().nulls_last(), col(Cohort.id).desc())
    )
    return [int(i) for i in result.scalars()]


async def get_item(*, session: AsyncSession, item_id: int) -> ArchiveItem | None:
    return await session.get(ArchiveItem, item_id)


async def items_of_owner(*, session: AsyncSession, owner_id: int) -> list[ArchiveItem]:
    result = await session.execute(
        select(ArchiveItem)
        .where(col(ArchiveItem.owner_id) == owner_id)
        .order_by(col(ArchiveItem.created_at).desc(), col(ArchiveItem.id).desc())
    )
    return list(result.scalars())


async def all_items(*, session: AsyncSession) -> list[ArchiveItem]:
    result = await session.execute(select(ArchiveItem).order_by(col(ArchiveItem.id)))
    return list(result.scalars())


async def file_keys(*, session: AsyncSession) -> set[str]:
    """Every file key a row refers to (the store deletes files no row refers to)."""
    result = await session.execute(
        select(col(ArchiveItem.file_key)).where(col(ArchiveItem.file_key).is_not(None))
    )
    return {str(k) for k in result.scalars()}


async def owner_names(*, session: AsyncSession, owner_ids: Sequence[int]) -> dict[int, str]:
    ids = sorted(set(owner_ids))
    if not ids:
        return {}
    result = await session.execute(
        select(col(Person.id), col(Person.name)).where(col(Person.id).in_(ids))
    )
    return {int(i): str(n) for i, n in result.all()}


async def save_item(*, session: AsyncSession, item: ArchiveItem) -> ArchiveItem:
    session.add(item)
    await session.flush()
    return item


async def delete_item(*, session: AsyncSession, item: ArchiveItem) -> None:
    """Delete the row and its index entry (the file goes with `bot.archive.files`)."""
    assert item.id is not None
    await delete_document(session=session, item_id=item.id)
    await session.delete(item)
    await session.flush()


# --- the full-text index -------------------------------------------------------------------


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


async def delete_document(*, session: AsyncSession, item_id: int) -> None:
    await session.execute(text(f"DELETE FROM {SEARCH_TABLE} WHERE item_id = :id"), {"id": item_id})


async def index_document(
    *,
    session: AsyncSession,
    item_id: int,
    title: str,
    keywords: str,
    summary: str,
    body: str,
) -> None:
    """(Re)index one item. On SQLite the caller passes stemmed text; PostgreSQL stems itself."""
    await delete_document(session=session, item_id=item_id)
    values = {"id": item_id, "title": title, "keywords": keywords, "summary": summary, "body": body}
    if _dialect(session) == "sqlite":
        await session.execute(
            text(
                f"INSERT INTO {SEARCH_TABLE} (item_id, title, keywords, summary, body) "
                "VALUES (:id, :title, :keywords, :summary, :body)"
            ),
            values,
        )
        return
    await session.execute(
        text(
            f"INSERT INTO {SEARCH_TABLE} (item_id, document) VALUES (:id, "
            "setweight(to_tsvector('norwegian', :title), 'A') || "
            "setweight(to_tsvector('norwegian', :keywords), 'A') || "
            "setweight(to_tsvector('norwegian', :summary), 'B') || "
            "setweight(to_tsvector('norwegian', :body), 'C'))"
        ),
        values,
    )


async def compact_index(*, session: AsyncSession) -> None:
    """Merge the SQLite index's segments so deleted entries leave no trace in its pages
    (FTS5 otherwise keeps a deleted row's terms until a merge); VACUUM frees the pages."""
    if _dialect(session) == "sqlite":
        await session.execute(
            text(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('optimize')")
        )


@dataclass(frozen=True)
class Hits:
    items: list[ArchiveItem]
    total: int


_FTS = table(SEARCH_TABLE, column("item_id", Integer), column("document"))
# Column weights (item_id, title, keywords, summary, body), as PostgreSQL's A, A, B, C.
_BM25: ColumnElement[Any] = literal_column(f"bm25({SEARCH_TABLE}, 0.0, 10.0, 10.0, 4.0, 1.0)")


async def search(
    *,
    session: AsyncSession,
    viewer: Viewer,
    sqlite_match: str,
    websearch: str,
    limit: int,
    offset: int = 0,
) -> Hits:
    """Items matching the query that `viewer` may see, best first, and how many there are.

    `sqlite_match` is an FTS5 query over stems (built by `bot.archive.search`); `websearch` is
    the words as typed, for PostgreSQL's `websearch_to_tsquery('norwegian', …)`.
    """
    visible = visible_to(viewer)
    join_on = _FTS.c.item_id == col(ArchiveItem.id)
    rank: Any
    matches: Any
    if _dialect(session) == "sqlite":
        if not sqlite_match:
            return Hits([], 0)
        matches = text(f"{SEARCH_TABLE} MATCH :q").bindparams(q=sqlite_match)
        rank = _BM25
        order: list[Any] = [rank.asc(), col(ArchiveItem.id).desc()]
    else:
        query = func.websearch_to_tsquery(literal_column("'norwegian'::regconfig"), websearch)
        matches = _FTS.c.document.op("@@")(query)
        rank = func.ts_rank(_FTS.c.document, query)
        order = [rank.desc(), col(ArchiveItem.id).desc()]
    total = (
        await session.execute(
            select(func.count())
            .select_from(ArchiveItem)
            .join(_FTS, join_on)
            .where(matches, visible)
        )
    ).scalar_one()
    result = await session.execute(
        select(ArchiveItem)
        .join(_FTS, join_on)
        .where(matches, visible)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return Hits(list(result.scalars()), int(total))


async def visible_items(
    *, session: AsyncSession, viewer: Viewer, limit: int, offset: int = 0
) -> Hits:
    """Every item `viewer` may see, newest first (browsing without words)."""
    visible = visible_to(viewer)
    total = (
        await session.execute(select(func.count()).select_from(ArchiveItem).where(visible))
    ).scalar_one()
    result = await session.execute(
        select(ArchiveItem)
        .where(visible)
        .order_by(col(ArchiveItem.updated_at).desc(), col(ArchiveItem.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return Hits(list(result.scalars()), int(total))


async def visible_item(
    *, session: AsyncSession, viewer: Viewer, item_id: int
) -> ArchiveItem | None:
    """The item if `viewer` may see it, else None (the same for "no such item")."""
    result = await session.execute(
        select(ArchiveItem).where(col(ArchiveItem.id) == item_id, visible_to(viewer))
    )
    return result.scalar_one_or_none()


async def owned_items_changed_before(
    *, session: AsyncSession, before: datetime
) -> list[ArchiveItem]:
    result = await session.execute(
        select(ArchiveItem).where(
            col(ArchiveItem.owner_id).is_not(None), col(ArchiveItem.updated_at) < before
        )
    )
    return list(result.scalars())
