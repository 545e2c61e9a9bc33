"""One-click answer links from nudge emails: `GET /r/{token}` records the answer and shows a
plain confirmation page in the manager's language. A tampered link gets 400, an expired one
410; neither changes anything. Clicking again shows the same confirmation and records once."""

from __future__ import annotations

import html
import logging

from aiohttp import web

from bot.line_managers import NudgeNotFound, answer_nudge, manager_locale, outcome_text
from bot.links import LinkError, verify_token
from bot.messages import normalise_locale, t
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def render_page(*, locale: str, title: str, paragraphs: list[str]) -> str:
    """A small, fast page: real text, high contrast, readable on a phone."""
    lang = "en" if normalise_locale(locale) == "en" else "nb"
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{margin:0;background:#fff;color:#1a1a1a;font:18px/1.5 Arial,Helvetica,"
        "sans-serif}main{max-width:36rem;margin:0 auto;padding:2rem 1rem}"
        "h1{font-size:1.5rem;margin:0 0 1rem}</style></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )


def _page(status: int, *, locale: str, title: str, paragraphs: list[str]) -> web.Response:
    return web.Response(
        status=status,
        text=render_page(locale=locale, title=title, paragraphs=paragraphs),
        content_type="text/html",
        charset="utf-8",
        headers=HEADERS,
    )


def _bilingual_error(status: int, kind: str) -> web.Response:
    # A tampered link names nobody we can trust, so the page speaks both languages.
    return _page(
        status,
        locale="nb",
        title=f"{t(f'nudge.page.{kind}.title', 'nb')} / {t(f'nudge.page.{kind}.title', 'en')}",
        paragraphs=[t(f"nudge.page.{kind}.text", "nb"), t(f"nudge.page.{kind}.text", "en")],
    )


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    """Add `GET /r/{token}`."""

    async def answer_link(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        now = runtime.clock.now()
        try:
            claim = verify_token(token, key=runtime.settings.signing_key, now=now)
        except LinkError as exc:
            if exc.kind == "expired":
                return await _expired(exc.nudge_answer_id)
            return _bilingual_error(exc.http_status, "tampered")
        try:
            async with runtime.db.transaction() as session:
                outcome = await answer_nudge(
                    session,
                    claim.nudge_answer_id,
                    claim.answer,
                    "email",
                    now,
                    settings=runtime.settings,
                )
        except NudgeNotFound:
            return _bilingual_error(400, "tampered")
        locale = outcome.row.manager_locale
        return _page(
            200,
            locale=locale,
            title=t("nudge.page.title", locale),
            paragraphs=[outcome_text(outcome, locale), t("nudge.page.close", locale)],
        )

    async def _expired(nudge_answer_id: int | None) -> web.Response:
        locale = "nb"
        if nudge_answer_id is not None:
            async with runtime.db.session() as session:
                locale = await manager_locale(session, nudge_answer_id) or locale
        return _page(
            410,
            locale=locale,
            title=t("nudge.page.expired.title", locale),
            paragraphs=[t("nudge.page.expired.text", locale)],
        )

    web_app.router.add_get("/r/{token}", answer_link, allow_head=False)
