"""`cohortbot evaluator link|proposals|accept|reject`: the Directorate's access and proposals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

from bot.settings import Settings
from cli.common import app, console, fail, load, require_schema, run_async

T = TypeVar("T")

evaluator_app = typer.Typer(
    help="The Directorate as evaluator: signed links and question proposals.",
    no_args_is_help=True,
)
app.add_typer(evaluator_app, name="evaluator")


def _in_transaction(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from storage.db import Database

    async def run() -> T:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                return await work(session)
        finally:
            await db.dispose()

    return run_async(run())


@evaluator_app.command("link")
def evaluator_link(
    email: str = typer.Argument(..., help="An email listed in COHORTBOT_EVALUATOR_EMAILS."),
    send: bool = typer.Option(False, "--send", help="Also email it (through the outbox)."),
    locale: str = typer.Option("nb", "--locale", help="nb (default) or en for the email."),
) -> None:
    """Make a signed link to the evaluator page (valid COHORTBOT_LINK_TTL_DAYS) and print it."""
    from bot.clock import SystemClock
    from bot.evaluator import NotAnEvaluator, issue_link, send_link

    settings = load()
    require_schema(settings)
    now = SystemClock().now()
    try:
        if send:
            link = _in_transaction(
                settings,
                lambda s: send_link(
                    s, email=email, settings=settings, now=now, actor="cli", locale=locale
                ),
            )
        else:
            link = _in_transaction(
                settings,
                lambda s: issue_link(s, email=email, settings=settings, now=now, actor="cli"),
            )
    except NotAnEvaluator:
        fail(f"{email!r} is not in COHORTBOT_EVALUATOR_EMAILS; no link was made")
        return
    until = link.expires_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
    console.print(f"evaluator link {link.link_id} for {link.email}, valid until {until}:")
    console.print(link.url, soft_wrap=True, highlight=False)
    if send:
        console.print("queued as an email in the outbox (see `cohortbot deliveries`)")


@evaluator_app.command("links")
def evaluator_links() -> None:
    """List the links made: id, address, until when, closed or not (newest first)."""
    from bot.clock import SystemClock
    from bot.evaluator import list_links

    settings = load()
    require_schema(settings)
    now = SystemClock().now()
    rows, total = _in_transaction(settings, list_links)
    if not rows:
        console.print("no evaluator links")
        return
    shown = f"{len(rows)} of {total}" if total > len(rows) else str(total)
    console.print(f"{shown} evaluator link(s), newest first:", highlight=False)
    for r in rows:
        until = r.expires_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
        state = "revoked" if r.revoked_at else ("expired" if r.expires_at <= now else "open")
        console.print(
            f"#{r.id} {r.email} until {until} ({state}), made by {r.created_by}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@evaluator_app.command("revoke")
def evaluator_revoke(
    link_id: int = typer.Argument(..., help="The link's id (`evaluator links`)."),
) -> None:
    """Close one link at once; audited. (Removing the address from COHORTBOT_EVALUATOR_EMAILS
    closes all of its links.)"""
    from bot.clock import SystemClock
    from bot.evaluator import revoke_link

    settings = load()
    require_schema(settings)
    now = SystemClock().now()
    if not _in_transaction(settings, lambda s: revoke_link(s, link_id, now=now, actor="cli")):
        fail(f"no open evaluator link {link_id}; nothing was changed")
    console.print(f"evaluator link {link_id} is closed", highlight=False)


@evaluator_app.command("proposals")
def evaluator_proposals(
    everything: bool = typer.Option(False, "--all", help="Also the accepted and rejected ones."),
) -> None:
    """List the questions the Directorate proposed, newest first, with where each goes."""
    from bot.clock import SystemClock
    from bot.evaluator.proposals import count, proposals

    settings = load()
    require_schema(settings)
    now = SystemClock().now()
    states = None if everything else ["proposed"]

    async def read(s: Any) -> tuple[list[Any], int]:
        return await proposals(s, now=now, states=states), await count(s, states=states)

    items, total = _in_transaction(settings, read)
    if not items:
        console.print("no proposals" + ("" if everything else " waiting (--all lists every one)"))
        return
    # One block per proposal, never wrapped mid-word by the terminal's width.
    shown = f"{len(items)} of {total}" if total > len(items) else str(total)
    console.print(f"{shown} proposal(s) from the Directorate, newest first:", highlight=False)
    for v in items:
        target = v.target.title if v.target else "no upcoming pulse"
        if v.state == "accepted":
            target = f"{target} (question {v.position})"
        elif v.state == "rejected":
            target = f"rejected: {v.reason}"
        text = v.text + (f" [{'; '.join(v.choices)}]" if v.choices else "")
        console.print(
            f"#{v.id} {v.state} {v.kind}: {text}\n"
            f"    meant for: {v.meant_for or '-'}; goes into: {target}; from: {v.proposed_by}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@evaluator_app.command("accept")
def evaluator_accept(
    proposal_id: int = typer.Argument(
        ..., help="The proposal's id (`cohortbot evaluator proposals`)."
    ),
    pulse: str | None = typer.Option(
        None, "--pulse", metavar="ID", help="Put it in this pulse (id) instead of the next one."
    ),
) -> None:
    """Add a proposed question to the next pulse (or --pulse) in one step; audited, idempotent."""
    from bot.clock import SystemClock
    from bot.evaluator.proposals import ProposalError, accept
    from bot.messages import t
    from bot.text import plain

    settings = load()
    require_schema(settings)
    if pulse is not None and not pulse.isdigit():
        fail(f"--pulse wants a pulse id (a number), not {pulse!r}", 2)
    now = SystemClock().now()
    try:
        done = _in_transaction(
            settings,
            lambda s: accept(
                s,
                proposal_id,
                now=now,
                actor="cli",
                actor_id=None,
                pulse_id=int(pulse) if pulse else None,
            ),
        )
    except ProposalError as exc:
        fail(plain(exc.text("en")))
        return
    key = "evaluator.accepted" if done.recorded else "evaluator.accepted_already"
    title = done.pulse.title if done.pulse else "?"
    number = done.question.position if done.question else "?"
    console.print(plain(t(key, "en", id=proposal_id, number=number, title=title)), highlight=False)


@evaluator_app.command("reject")
def evaluator_reject(
    proposal_id: int = typer.Argument(..., help="The proposal's id."),
    reason: str = typer.Option(..., "--reason", help="Why (the Directorate sees it)."),
) -> None:
    """Turn a proposal down with a reason; audited."""
    from bot.clock import SystemClock
    from bot.evaluator.proposals import ProposalError, reject
    from bot.messages import t
    from bot.text import plain

    settings = load()
    require_schema(settings)
    now = SystemClock().now()
    try:
        _in_transaction(
            settings,
            lambda s: reject(s, proposal_id, reason=reason, now=now, actor="cli", actor_id=None),
        )
    except ProposalError as exc:
        fail(plain(exc.text("en")))
        return
    console.print(plain(t("evaluator.rejected", "en", id=proposal_id)), highlight=False)
