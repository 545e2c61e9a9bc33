"""The Directorate as evaluator: a read-only role with aggregates only, and question proposals.

Evaluators are the emails in COHORTBOT_EVALUATOR_EMAILS. They see the closed pulses' results
and the annual report under the same suppression as everything published (`results`), by a
signed, expiring link to a page (`links`, handlers/web/evaluator.py) that staff send or print,
or in Slack when they have an account there. They never see a person: no name, no email, no
free text, no answer row. They can propose questions; staff accept one into a pulse in one
step (`proposals`), and the annual report marks the questions that came from the Directorate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import schedule
from bot.evaluator.links import AccessDenied, make_token, verify_token
from bot.messages import t
from bot.notifier import OutgoingMessage
from bot.settings import Settings
from storage.emails import canonical_email
from storage.models import EvaluatorLink
from storage.queries import evaluator as q
from storage.queries.people import record_audit

LINK_KIND = "evaluator_link"


class NotAnEvaluator(ValueError):
    """The email is not in COHORTBOT_EVALUATOR_EMAILS."""


def is_evaluator(settings: Settings, email: str | None) -> bool:
    """Whether COHORTBOT_EVALUATOR_EMAILS lists `email` (case does not matter)."""
    return bool(email) and canonical_email(email or "") in settings.evaluator_emails


@dataclass(frozen=True)
class IssuedLink:
    link_id: int
    email: str
    url: str
    expires_at: datetime


async def issue_link(
    session: AsyncSession,
    *,
    email: str,
    settings: Settings,
    now: datetime,
    actor: str,
    actor_id: int | None = None,
) -> IssuedLink:
    """Make a signed link for a listed evaluator (valid COHORTBOT_LINK_TTL_DAYS); audited."""
    if not is_evaluator(settings, email):
        raise NotAnEvaluator(email)
    email = canonical_email(email)
    expires = (now + timedelta(days=settings.link_ttl_days)).replace(microsecond=0)
    row = await q.add_link(
        session=session, email=email, expires_at=expires, created_by=actor, now=now
    )
    assert row.id is not None
    token = make_token(key=settings.signing_key, link_id=row.id, expires_at=expires)
    await record_audit(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action="evaluator.link",
        subject=f"evaluator_link:{row.id}",
        detail={"expires_at": expires.isoformat()},
    )
    return IssuedLink(row.id, email, f"{settings.base_url.rstrip('/')}/e/{token}", expires)


async def send_link(
    session: AsyncSession,
    *,
    email: str,
    settings: Settings,
    now: datetime,
    actor: str,
    actor_id: int | None = None,
    locale: str = "nb",
) -> IssuedLink:
    """Issue a link and put the email that carries it in the outbox (sent after commit)."""
    link = await issue_link(
        session, email=email, settings=settings, now=now, actor=actor, actor_id=actor_id
    )
    when = link.expires_at.date().isoformat()
    text = t("evaluator.mail.text", locale, url=link.url, until=when)
    await schedule(
        session,
        key=f"evaluator:link:{link.link_id}",
        transport="email",
        kind=LINK_KIND,
        target=link.email,
        message=OutgoingMessage(
            text=text,
            title=t("evaluator.mail.subject", locale),
            subject=t("evaluator.mail.subject", locale),
            locale=locale,
            meta={"kind": LINK_KIND},
        ),
        send_at=now,
        audience="staff",
        settings=settings,
        source=f"evaluator_link:{link.link_id}",
        now=now,
    )
    return link


@dataclass(frozen=True)
class EvaluatorAccess:
    """Who a verified link lets in (the email never leaves the server)."""

    link_id: int
    email: str
    expires_at: datetime


async def open_link(
    session: AsyncSession, token: str, *, settings: Settings, now: datetime
) -> EvaluatorAccess:
    """Check a link without writing anything; AccessDenied(tampered | expired | revoked)."""
    claim = verify_token(token, keys=settings.verification_keys, now=now)
    row = await q.get_link(session=session, link_id=claim.link_id)
    if row is None or int(row.expires_at.timestamp()) != int(claim.expires_at.timestamp()):
        raise AccessDenied("tampered")
    if row.revoked_at is not None or not is_evaluator(settings, row.email):
        raise AccessDenied("revoked")
    return EvaluatorAccess(claim.link_id, row.email, claim.expires_at)


async def revoke_link(
    session: AsyncSession, link_id: int, *, now: datetime, actor: str, actor_id: int | None = None
) -> bool:
    """Close one link at once (the others sent to the same address keep working); audited.
    False when there is no such link or it was closed already: nothing changes then."""
    closed = await q.revoke_link(session=session, link_id=link_id, now=now)
    if closed:
        await record_audit(
            session=session,
            actor=actor,
            actor_id=actor_id,
            action="evaluator.link.revoke",
            subject=f"evaluator_link:{link_id}",
        )
    return closed


async def list_links(session: AsyncSession) -> tuple[list[EvaluatorLink], int]:
    """The links made, newest first (at most 200), and how many there are in all."""
    return await q.list_links(session=session), await q.count_links(session=session)


async def annual_report(
    session: AsyncSession, *, year: int, fmt: str, settings: Settings, now: datetime, locale: str
) -> bytes:
    """The annual report exactly as staff publish it (same suppression), rendered off the
    event loop. Reads only: opening it from a link must change nothing (mail scanners)."""
    import asyncio

    from bot.report import REPORT_FORMATS, build_annual_report
    from bot.report.render import render

    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}")
    report = await build_annual_report(
        session, year=year, settings=settings, now=now, locale=locale
    )
    return await asyncio.to_thread(render, report, fmt)


async def annual_report_in_child(
    session: AsyncSession, year: int, fmt: str, settings: Settings, now: datetime, locale: str
) -> bytes:
    """`annual_report` with positional arguments, as `transaction_in_process` calls it (the
    transaction only reads: it changes nothing)."""
    return await annual_report(
        session, year=year, fmt=fmt, settings=settings, now=now, locale=locale
    )


__all__ = [
    "AccessDenied",
    "EvaluatorAccess",
    "IssuedLink",
    "NotAnEvaluator",
    "annual_report",
    "annual_report_in_child",
    "is_evaluator",
    "issue_link",
    "list_links",
    "open_link",
    "revoke_link",
    "send_link",
]
