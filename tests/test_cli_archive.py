"""`cohortbot archive add|search|withdraw` as external checks drive it: the real command in a
subprocess, exact flags, and bad input that is one line, a nonzero exit and nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from storage.db import Database
from storage.models import ArchiveItem
from tests.test_cli_run import run_cli
from tests.utils.archive import build_archive_world, make_pdf


def env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "COHORTBOT_SECRET_KEY": settings.secret_key or "",
        "COHORTBOT_ARCHIVE_DIR": settings.archive_dir,
        **extra,
    }


@pytest.fixture
async def world(db: Database) -> None:
    async with db.transaction() as session:
        await build_archive_world(session)


async def _rows(db: Database) -> int:
    async with db.session() as session:
        return int(
            (await session.execute(select(func.count()).select_from(ArchiveItem))).scalar_one()
        )


def _files(settings: Settings) -> int:
    path = Path(settings.archive_dir)
    return len(list(path.iterdir())) if path.is_dir() else 0


async def test_staff_material_with_a_pdf_is_found_by_an_inflected_word(
    db: Database, settings: Settings, tmp_path: Path, world: None
) -> None:
    pdf = tmp_path / "forelesning.pdf"
    pdf.write_bytes(make_pdf(["Sykepleiere som ledere i hjemmetjenesten"]))
    added = run_cli(
        [
            "archive",
            "add",
            "--title",
            "Forelesning: ledelse",
            "--summary",
            "Lysark fra samling 2",
            "--keywords",
            "ledelse,helse",
            "--file",
            str(pdf),
            "--visibility",
            "all",
        ],
        env(settings),
        tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert "added archive item 1" in added.stdout and "forelesning.pdf" in added.stdout
    found = run_cli(["archive", "search", "sykepleieren"], env(settings), tmp_path)
    assert found.returncode == 0, found.stderr
    assert "1 result that any current student may see" in found.stdout
    assert "#1  Forelesning: ledelse" in found.stdout
    assert _files(settings) == 1
    missing = run_cli(["archive", "search", "budsjett"], env(settings), tmp_path)
    assert missing.returncode == 0 and "no results" in missing.stdout


async def test_a_participants_item_is_private_until_they_choose(
    db: Database, settings: Settings, tmp_path: Path, world: None
) -> None:
    added = run_cli(
        [
            "archive",
            "add",
            "--title",
            "Prosjekt om turnus",
            "--summary",
            "Turnusplanlegging",
            "--owner",
            "ANNE@example.no",
            "--url",
            "https://example.no/oppgave",
        ],
        env(settings),
        tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert "visible to nobody" in added.stdout
    anyone = run_cli(["archive", "search", "turnus"], env(settings), tmp_path)
    assert "no results" in anyone.stdout
    owner = run_cli(
        ["archive", "search", "turnus", "--as", "anne@example.no"], env(settings), tmp_path
    )
    assert "Prosjekt om turnus" in owner.stdout and "Anne Hansen" in owner.stdout
    peer = run_cli(
        ["archive", "search", "turnus", "--as", "arne@example.no"], env(settings), tmp_path
    )
    assert "no results" in peer.stdout
    unknown = run_cli(
        ["archive", "search", "turnus", "--as", "x@example.no"], env(settings), tmp_path
    )
    assert unknown.returncode == 1 and "nobody with the email" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--file", "F", "--url", "https://example.no/x"], 2, "not both"),
        (["--file", "does-not-exist.pdf"], 2, "no such file"),
        (["--visibility", "everyone"], 2, "nobody, cohort or all"),
        (["--owner", "nobody@example.no"], 1, "can't find anyone"),
        (["--url", "javascript:alert(1)"], 2, "http or https"),
        (["--file", "BIG"], 1, "too large"),
        (["--file", "BROKEN"], 1, "cannot be read"),
        (["--visibility", "cohort", "--owner", "outsider@example.no"], 1, "not admitted"),
    ],
)
async def test_bad_input_is_one_line_a_nonzero_exit_and_nothing_stored(
    db: Database,
    settings: Settings,
    tmp_path: Path,
    world: None,
    args: list[str],
    code: int,
    says: str,
) -> None:
    good = tmp_path / "F.pdf"
    good.write_bytes(make_pdf(["Hei"]))
    big = tmp_path / "big.pdf"
    big.write_bytes(make_pdf(["Hei"]) + b"%" * 5000)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n%%EOF")
    paths = {"F": str(good), "BIG": str(big), "BROKEN": str(broken)}
    args = [paths.get(a, a) for a in args]
    result = run_cli(
        ["archive", "add", "--title", "T", "--summary", "S", *args],
        env(settings, COHORTBOT_ARCHIVE_MAX_FILE_BYTES="4096"),
        tmp_path,
    )
    assert result.returncode == code, (result.stdout, result.stderr)
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert await _rows(db) == 0
    assert _files(settings) == 0


async def test_withdraw_deletes_the_item_and_its_file(
    db: Database, settings: Settings, tmp_path: Path, world: None
) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(make_pdf(["Hei"]))
    run_cli(
        ["archive", "add", "--title", "T", "--summary", "S", "--file", str(pdf)],
        env(settings),
        tmp_path,
    )
    assert _files(settings) == 1
    done = run_cli(["archive", "withdraw", "1"], env(settings), tmp_path)
    assert done.returncode == 0, done.stderr
    assert await _rows(db) == 0 and _files(settings) == 0
    again = run_cli(["archive", "withdraw", "1"], env(settings), tmp_path)
    assert again.returncode == 1 and "no archive item 1" in again.stderr
