"""`cohortbot report annual|final|evaluator|pulse`: the reports, written through one helper."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import typer

from cli.common import app, console, fail, load, open_database, require_schema, run_async

report_app = typer.Typer(help="Reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("annual")
def report_annual(
    year: int = typer.Option(..., "--year", min=2000, max=2100, help="The report year."),
    fmt: str = typer.Option("html", "--format", help="html, xlsx or csv."),
    out: Path = typer.Option(..., "--out", help="Where to write the file."),
    locale: str = typer.Option("nb", "--locale", help="nb (default) or en headings."),
) -> None:
    """Write the annual status report (every cohort active in the year) as HTML, XLSX or CSV."""
    from bot.report import produce_annual_report

    data = _write_report(
        fmt,
        out,
        lambda session, **common: produce_annual_report(session, year=year, **common),
        locale=locale,
    )
    console.print(f"annual report {year} ({fmt}, {len(data):,} bytes) written to {out}")


@report_app.command("final")
def report_final(
    first: int = typer.Option(..., "--from", min=2000, max=2100, help="The first year."),
    last: int = typer.Option(..., "--to", min=2000, max=2100, help="The last year."),
    fmt: str = typer.Option("html", "--format", help="html, xlsx or csv."),
    out: Path = typer.Option(..., "--out", help="Where to write the file."),
    locale: str = typer.Option("nb", "--locale", help="nb (default) or en headings."),
) -> None:
    """Write the contract's final report over several years (the annual report's sections)."""
    from bot.report import produce_final_report

    if last < first:
        fail(f"--to {last} is before --from {first}")
    data = _write_report(
        fmt,
        out,
        lambda session, **common: produce_final_report(
            session, first_year=first, last_year=last, **common
        ),
        locale=locale,
    )
    console.print(f"final report {first}–{last} ({fmt}, {len(data):,} bytes) written to {out}")


def _write_report(
    fmt: str, out: Path, produce: Callable[..., Awaitable[bytes]], *, locale: str
) -> bytes:
    """Check the format, run `produce(session, fmt=, settings=, now=, actor=, locale=)` in one
    transaction and write its bytes to `out`."""
    from bot.clock import SystemClock
    from bot.report import REPORT_FORMATS

    if fmt not in REPORT_FORMATS:
        fail(f"--format {fmt!r} is not one of {', '.join(REPORT_FORMATS)}")
    settings = load()
    require_schema(settings)

    async def run() -> bytes:
        async with open_database(settings) as db:
            async with db.transaction() as session:
                return await produce(
                    session,
                    fmt=fmt,
                    settings=settings,
                    now=SystemClock().now(),
                    actor="cli",
                    locale=locale,
                )

    data = run_async(run())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return data


@report_app.command("evaluator")
def report_evaluator(
    year: int = typer.Option(..., "--year", min=2000, max=2100, help="The pulse year."),
    out: Path = typer.Option(..., "--out", help="Where to write the CSV."),
) -> None:
    """Write the anonymised pulse data for the external evaluator (CSV, small groups hidden)."""
    from bot.results import evaluator_rows, render_evaluator_csv
    from storage.queries.people import record_audit

    settings = load()
    require_schema(settings)

    async def produce() -> str:
        async with open_database(settings) as db:
            async with db.transaction() as session:
                rows = await evaluator_rows(session, year=year, settings=settings)
                await record_audit(
                    session=session,
                    actor="cli",
                    action="report.evaluator",
                    subject=f"year:{year}",
                    detail={"rows": len(rows)},
                )
                return render_evaluator_csv(rows)

    text = run_async(produce())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(f"evaluator export {year} ({text.count(chr(10)) - 1} rows) written to {out}")


@report_app.command("pulse")
def report_pulse(
    ref: str = typer.Argument(..., help="The pulse id or key."),
    locale: str = typer.Option("nb", "--locale", help="nb or en."),
) -> None:
    """Show a pulse's live response rates and results per class (small groups hidden)."""
    from bot.results import pulse_results, results_text
    from storage.queries.people import record_audit
    from storage.queries.pulses import find_pulse

    settings = load()
    require_schema(settings)

    async def produce() -> str | None:
        async with open_database(settings) as db:
            async with db.transaction() as session:
                pulse = await find_pulse(session=session, ref=ref)
                if pulse is None or pulse.id is None:
                    return None
                results = await pulse_results(session, pulse.id, settings=settings)
                await record_audit(
                    session=session,
                    actor="cli",
                    action="pulse.results",
                    subject=f"pulse:{pulse.id}",
                )
                return results_text(results, locale=locale) if results else None

    text = run_async(produce())
    if text is None:
        fail(f"no pulse {ref!r}")
    console.print(text, highlight=False, markup=False)
