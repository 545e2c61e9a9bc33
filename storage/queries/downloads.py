"""Rendered reports kept for a download link: store, find by token hash, drop the expired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ReportDownload

R: Any = ReportDownload


async def add_download(
    *,
    session: AsyncSession,
    token_hash: str,
    filename: str,
    content_type: str,
    content: bytes,
    now: datetime,
    expires_at: datetime,
) -> ReportDownload:
    row = ReportDownload(
        token_hash=token_hash,
        filename=filename,
        content_type=content_type,
        content=content,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row


async def get_download(*, session: AsyncSession, token_hash: str) -> ReportDownload | None:
    result = await session.execute(select(ReportDownload).where(R.token_hash == token_hash))
    return result.scalar_one_or_none()


async def delete_expired_downloads(*, session: AsyncSession, now: datetime) -> int:
    result: Any = await session.execute(delete(ReportDownload).where(R.expires_at <= now))
    return int(result.rowcount or 0)
