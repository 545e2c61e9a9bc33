"""Count how many people each anonymity attack of issue 12 links, on SQLite and PostgreSQL.

    .venv/bin/python scripts/anonymity_attacks.py

Runs tests/utils/attacks.py's scenario (22 people, 20 answer) on a fresh SQLite file and, when
it answers on 127.0.0.1:5432, a fresh PostgreSQL database, and prints each attack's count.
To count on another checkout (e.g. main), copy this file and tests/utils/attacks.py there and
run it with PYTHONPATH pointing at that checkout.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.settings import Settings
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)
from tests.utils.attacks import all_attacks, render, residue_in_files, run_scenario


async def one(url: str) -> str:
    settings = Settings(
        database_url=url,
        secret_key="attack-scenario-secret-key-0123456789",
        slack_bot_token="xoxb-test",
        slack_signing_secret="x" * 32,
        base_url="http://127.0.0.1:3000",
    )
    db = Database(url)
    try:
        truth, observed = await run_scenario(db, settings)
    finally:
        await db.dispose()
    lines = render(all_attacks(truth, observed))
    if observed.dialect == "sqlite":
        lines += (
            f"\nreceipt tokens/ciphertext left in the files at rest: "
            f"{residue_in_files(observed)} of {len(observed.secrets_seen)}"
        )
    return lines


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/attack.db"
        upgrade(url)
        print("== SQLite ==")
        print(asyncio.run(one(url)))
    if postgres_reachable() is None:
        pg = create_postgres_database()
        try:
            upgrade(pg)
            print("== PostgreSQL ==")
            print(asyncio.run(one(pg)))
        finally:
            drop_postgres_database(pg)


if __name__ == "__main__":
    main()
