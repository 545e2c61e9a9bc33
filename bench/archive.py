"""Archive benchmark: add N items with extracted text, then search them as a student.

    .venv/bin/python -m bench.archive                      # SQLite, then PostgreSQL if it answers
    .venv/bin/python -m bench.archive --db sqlite --items 2000

Figures are wall time of the real code paths (`add_item` with its index entry; `search` with
the visibility filter, ranking and snippets) on a fresh database. The text is Norwegian-like:
words drawn from a fixed vocabulary with inflections, ~5,000 characters of "file text" per item.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

POSTGRES_URL = "postgresql://127.0.0.1:5432/test"
NOW = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)
STEMS = (
    "sykepleier sykepleiere sykepleieren ledelse lederen ledere turnus turnusplanlegging "
    "kommune kommunen kommunene hjemmetjenesten sykehjem medarbeider medarbeidersamtale "
    "budsjett økonomi kvalitet pasient pasientene tillit samarbeid endring endringsledelse "
    "kompetanse rekruttering fravær sykefravær arbeidsmiljø veiledning refleksjon prosjekt"
).split()
QUERIES = ("sykepleieren", "turnusplanleggingen", "kommunene ledelse", "endringsledelse", "xyzzy")


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(STEMS) for _ in range(words)) + "."


async def run(url: str, items: int, work: Path) -> dict[str, Any]:
    from bot.archive.files import LocalFileStore
    from bot.archive.items import Doer, Submission, add_item
    from bot.archive.search import ANY_STUDENT, search
    from bot.settings import Settings
    from storage.db import Database
    from storage.migrate import upgrade
    from storage.models import ArchiveItem

    upgrade(url)
    settings = Settings(database_url=url, archive_dir=str(work / "archive"))
    db = Database(url)
    rng = random.Random(7)
    out: dict[str, Any] = {"database": db.dialect, "items": items}
    began = time.perf_counter()
    for i in range(items):
        # Through the real path, with the extracted text as the file text.
        item = await add_item(
            db,
            LocalFileStore(work / "archive"),
            settings,
            submission=Submission(
                title=f"Prosjekt {i}: " + text(rng, 4),
                summary=text(rng, 40),
                keywords=tuple(rng.sample(STEMS, 3)),
                visibility=("all", "all", "nobody")[i % 3],
            ),
            doer=Doer(None, True, "bench"),
            now=NOW,
        )
        async with db.transaction() as session:
            row = await session.get(ArchiveItem, item.id)
            assert row is not None
            row.file_text = text(rng, 700)
            from bot.archive.index import reindex

            await reindex(session, row)
    out["add_per_item_ms"] = round((time.perf_counter() - began) * 1000 / items, 1)
    print(f"  add + index: {out['add_per_item_ms']} ms per item", flush=True)
    for words in QUERIES:
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            async with db.transaction() as session:
                found = await search(session, viewer=ANY_STUDENT, words=words, now=NOW)
            times.append((time.perf_counter() - t0) * 1000)
        out[words] = {
            "hits": found.total,
            "p50_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
        }
        print(f"  search {words!r}: {out[words]}", flush=True)
    await db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--items", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.db in ("sqlite", "both"):
            print("SQLite", flush=True)
            asyncio.run(run(f"sqlite:///{work / 'bench.db'}", args.items, work))
        if args.db in ("postgresql", "both"):
            import psycopg

            name = f"cohortbot_bench_{int(time.time())}"
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                print("PostgreSQL", flush=True)
                url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
                asyncio.run(run(url, args.items, work))
            finally:
                with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
