"""`cohortbot archive add|search|withdraw`: the digital archive from the command line (staff).

The flags are a contract that checks drive (docs/archive.md). Bad input is one line on stderr,
a nonzero exit, and nothing stored: exit 2 for a usage error (both --file and --url, a missing
file, a bad visibility), 1 for a refusal (unknown owner, a file too large or unreadable).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from bot.settings import Settings
from cli.common import app, console, fail, load, open_database, require_schema, run_async

if TYPE_CHECKING:  # imported where used: `cohortbot --help` stays quick
    from bot.archive.items import ArchiveError, Submission
    from storage.models import ArchiveItem

archive_app = typer.Typer(
    help="The digital archive: projects, lectures and material.", no_args_is_help=True
)
app.add_typer(archive_app, name="archive")

CLI_LOCALE = "en"


def _refuse(exc: ArchiveError) -> NoReturn:
    """One line on stderr (nothing was stored) and the exit code for its kind."""
    from bot.text import plain

    fail(plain(exc.text(CLI_LOCALE)), 2 if exc.key in USAGE_ERRORS else 1)
    raise typer.Exit(1)  # unreachable: fail exits


USAGE_ERRORS = frozenset(
    {
        "archive.error.file_and_url",
        "archive.error.visibility",
        "archive.error.missing",
        "archive.error.url",
    }
)


def _read_file(path: Path, settings: Settings) -> tuple[str, bytes]:
    if not path.is_file():
        fail(f"no such file: {str(path)[:200]}; nothing was stored", 2)
    if path.stat().st_size > settings.archive_max_file_bytes:
        mib = settings.archive_max_file_bytes / (1024 * 1024)
        fail(f"the file is too large: {mib:.1f} MiB at most; nothing was stored")
    return path.name, path.read_bytes()


@archive_app.command("add")
def archive_add(
    title: str = typer.Option(..., "--title", help="The title."),
    summary: str = typer.Option(..., "--summary", help="A short summary."),
    keywords: str | None = typer.Option(
        None, "--keywords", metavar="K,…", help="Comma-separated keywords."
    ),
    file: Path | None = typer.Option(
        None, "--file", metavar="F", help="A PDF, Word or other file."
    ),
    url: str | None = typer.Option(None, "--url", metavar="U", help="A link instead of a file."),
    visibility: str | None = typer.Option(
        None,
        "--visibility",
        metavar="nobody|cohort|all",
        help="Who may see it (default: all for staff material, nobody for a participant's).",
    ),
    owner: str | None = typer.Option(
        None, "--owner", metavar="EMAIL", help="Add a participant's project on their behalf."
    ),
    show_name: bool = typer.Option(
        False, "--show-name", help="Show the owner's name with the item (with --owner)."
    ),
) -> None:
    """Add a lecture or material (no owner), or a participant's project (--owner)."""
    from bot.archive.files import Upload
    from bot.archive.items import (
        ArchiveError,
        Submission,
        check_submission,
        check_visibility,
        parse_keywords,
    )

    settings = load()
    if file is not None and url is not None:
        fail("give either --file or --url, not both; nothing was stored", 2)
    if visibility is not None:
        try:
            check_visibility(visibility)
        except ArchiveError as exc:
            _refuse(exc)
    upload = Upload(*_read_file(file, settings)) if file is not None else None
    submission = Submission(
        title=title,
        summary=summary,
        keywords=parse_keywords(keywords),
        visibility=visibility,
        show_name=show_name,
        url=url,
        upload=upload,
    )
    try:
        check_submission(submission)
    except ArchiveError as exc:
        _refuse(exc)
    require_schema(settings)
    item = run_async(_add(settings, submission, owner))
    what = (
        f"file {item.file_name} ({item.file_size} bytes, {item.file_type}, "
        f"{len(item.file_text or '')} characters of text)"
        if item.file_key
        else (f"link {item.url}" if item.url else "no file")
    )
    console.print(
        f"added archive item {item.id}: {item.title!r}, visible to {item.visibility}, {what}",
        highlight=False,
        markup=False,
    )


async def _add(settings: Settings, submission: Submission, owner: str | None) -> ArchiveItem:
    from bot.archive import store_for
    from bot.archive.items import ArchiveError, Doer, add_item
    from bot.clock import SystemClock

    async with open_database(settings) as db:
        try:
            return await add_item(
                db,
                store_for(settings),
                settings,
                submission=submission,
                doer=Doer(None, True, "cli"),
                now=SystemClock().now(),
                owner_email=owner,
            )
        except ArchiveError as exc:
            _refuse(exc)


@archive_app.command("search")
def archive_search(
    words: list[str] = typer.Argument(None, metavar="WORDS", help="What to look for."),
    as_email: str | None = typer.Option(
        None,
        "--as",
        metavar="EMAIL",
        help="Show what this person may see (default: what any current student may see).",
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="How many results to list."),
) -> None:
    """Search titles, summaries, keywords and file text (Norwegian stemming), best first."""
    settings = load()
    require_schema(settings)
    run_async(_search(settings, " ".join(words or []), as_email, limit))


async def _search(settings: Settings, words: str, as_email: str | None, limit: int) -> None:
    from bot.archive.search import UnknownSearcher, search, viewer_by_email
    from bot.clock import SystemClock

    async with open_database(settings) as db, db.transaction() as session:
        try:
            viewer = await viewer_by_email(session, as_email, staff_emails=settings.staff_emails)
        except UnknownSearcher:
            fail(f"nobody with the email {as_email!r}")
        found = await search(
            session, viewer=viewer, words=words, now=SystemClock().now(), actor="cli", limit=limit
        )
    who = as_email or "any current student"
    if not found.hits:
        console.print(f"no results for {words!r} that {who} may see", highlight=False, markup=False)
        return
    console.print(
        f"{found.total} result{'s' if found.total != 1 else ''} that {who} may see, best first",
        highlight=False,
        markup=False,
    )
    for hit in found.hits:
        by = hit.owner or ("staff material" if hit.kind == "material" else "name not shown")
        extra = (
            f"  file: {hit.file_name or 'yes (name not shown)'}"
            if hit.has_file
            else (f"  link: {hit.url}" if hit.url else "")
        )
        console.print(
            f"#{hit.id}  {hit.title}  ({by}; visible to {hit.visibility}){extra}",
            highlight=False,
            markup=False,
        )
        console.print(f"    {hit.snippet}", highlight=False, markup=False)
    if found.total > len(found.hits):
        console.print(
            f"and {found.total - len(found.hits)} more (--limit {found.total} shows them all)",
            highlight=False,
            markup=False,
        )


@archive_app.command("withdraw")
def archive_withdraw(item_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Withdraw (delete) an item and its file."""
    settings = load()
    require_schema(settings)
    title = run_async(_withdraw(settings, item_id))
    console.print(
        f"withdrew archive item {item_id}: {title!r} and its file", highlight=False, markup=False
    )


async def _withdraw(settings: Settings, item_id: int) -> str:
    from bot.archive import store_for
    from bot.archive.items import ArchiveError, Doer, withdraw_item

    async with open_database(settings) as db:
        try:
            return await withdraw_item(
                db, store_for(settings), item_id=item_id, doer=Doer(None, True, "cli")
            )
        except ArchiveError:
            fail(f"no archive item {item_id}")
            raise
