"""Storage: SQLModel tables, the async engine and sessions, all queries, Alembic migrations."""
