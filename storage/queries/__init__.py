"""All SQL lives here, one module per area, as keyword-only functions."""

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession


def insert_for(session: AsyncSession) -> Any:
    """The dialect's own INSERT (the one with ON CONFLICT) for the session's database."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
