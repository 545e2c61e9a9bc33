"""One-click answer links from nudge emails: a page that shows, a form that records.

`GET /r/{token}` (and HEAD) only shows the question and the answer buttons: mail scanners
(Microsoft Defender Safe Links and other gateways), link previews and prefetchers open every
link in a mail, so opening one must change nothing. Pressing a button POSTs the page's form,
which carries a nonce and an HMAC binding it to this link (`bot.links.form_proof`); only that
POST records. For the person it is still one click after opening the mail: the button.

A tampered link gets 400, an expired one 410, a POST without the page's proof 400; none
changes anything. Until the nudge's deadline the page offers to change the answer.
"""

from __future__ import annotations

import logging
from datetime import datetime

from aiohttp import web

from bot.line_managers import (
    AnswerPage,
    NudgeNotFound,
    answer_label,
    answer_nudge,
    answer_page,
    answer_values,
    manager_locale,
    outcome_text,
)
from bot.links import LinkError, form_proof, new_nonce, verify_form, verify_token
from bot.messages import format_when, normalise_locale, t
from bot.runtime import Runtime
from bot.text import html_text, plain

logger = logging.getLogger(__name__)

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def render_page(*, locale: str, title: str, paragraphs: list[str], extra: str = "") -> str:
    """A small, fast page: real text, high contrast, readable on a phone."""
    lang = "en" if normalise_locale(locale) == "en" else "nb"
    body = "".join(f"<p>{html_text(p)}</p>" for p in paragraphs) + extra
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html_text(title)}</title>"
        "<style>body{margin:0;background:#fff;color:#1a1a1a;font:18px/1.5 Arial,Helvetica,"
        "sans-serif}main{max-width:36rem;margin:0 auto;padding:2rem 1rem}"
        "h1{font-size:1.5rem;margin:0 0 1rem}</style></head>"
        f"<body><main><h1>{html_text(title)}</h1>{body}</main></body></html>"
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


MAX_FORM_BYTES = 2048
ANSWER_STYLE = (
    "display:block;width:100%;margin:0 0 12px;padding:14px 16px;border:0;border-radius:6px;"
    "font:bold 18px Arial,Helvetica,sans-serif;cursor:pointer;"
)


def render_question(
    *,
    page: AnswerPage,
    token: str,
    nonce: str,
    proof: str,
    chosen: str,
    now: datetime,
) -> str:
    """The question page: who it is about, what is on record, and one button per answer."""
    loc = page.locale
    when = format_when(page.deadline, loc, page.tz)
    lines = [t("nudge.page.question", loc, name=page.participant_name)]
    if page.current:
        lines.append(
            t("nudge.page.current", loc, answer=answer_label(page.current, loc), when=when)
        )
    else:
        lines.append(t("nudge.page.change_until", loc, when=when))
    # The answer the clicked link stood for comes first and stands out; the others follow.
    order = [chosen] + [a for a in answer_values() if a != chosen]
    buttons = "".join(
        f'<button type="submit" name="answer" value="{html_text(a)}" style="{ANSWER_STYLE}'
        f'{"background:#0b4f8a;color:#fff" if i == 0 else "background:#e8eef5;color:#0b3a66"}">'
        f"{html_text(answer_label(a, loc))}</button>"
        for i, a in enumerate(order)
    )
    form = (
        f'<form method="post" action="/r/{html_text(token)}">'
        f'<input type="hidden" name="nonce" value="{html_text(nonce)}">'
        f'<input type="hidden" name="proof" value="{html_text(proof)}">{buttons}</form>'
    )
    return render_page(locale=loc, title=plain(page.title), paragraphs=lines, extra=form)


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    """Add `GET /r/{token}` (shows; HEAD too) and `POST /r/{token}` (records)."""

    async def show_question(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        now = runtime.clock.now()
        try:
            claim = verify_token(token, key=runtime.settings.verification_keys, now=now)
        except LinkError as exc:
            if exc.kind == "expired":
                return await _expired(exc.nudge_answer_id)
            return _bilingual_error(exc.http_status, "tampered")
        try:
            async with runtime.db.session() as session:  # read only: opening records nothing
                page = await answer_page(
                    session, claim.nudge_answer_id, settings=runtime.settings, now=now
                )
        except NudgeNotFound:
            return _bilingual_error(400, "tampered")
        if not page.open:
            assert page.current is not None
            text = t(
                "nudge.page.final",
                page.locale,
                name=page.participant_name,
                answer=answer_label(page.current, page.locale),
            )
            return _page(200, locale=page.locale, title=plain(page.title), paragraphs=[text])
        nonce = new_nonce()
        proof = form_proof(key=runtime.settings.signing_key, token=token, nonce=nonce)
        body = render_question(
            page=page, token=token, nonce=nonce, proof=proof, chosen=claim.answer, now=now
        )
        return web.Response(
            status=200, text=body, content_type="text/html", charset="utf-8", headers=HEADERS
        )

    async def record_answer(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        now = runtime.clock.now()
        try:
            claim = verify_token(token, key=runtime.settings.verification_keys, now=now)
        except LinkError as exc:
            if exc.kind == "expired":
                return await _expired(exc.nudge_answer_id)
            return _bilingual_error(exc.http_status, "tampered")
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return _bilingual_error(413, "stale")
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return _bilingual_error(403, "stale")  # a form posted from another site
        try:
            form = await request.post()
        except (ValueError, web.HTTPException):
            return _bilingual_error(400, "stale")
        nonce, proof, answer = (str(form.get(k, ""))[:100] for k in ("nonce", "proof", "answer"))
        keys = runtime.settings.verification_keys
        if not verify_form(keys=keys, token=token, nonce=nonce, proof=proof):
            return _bilingual_error(400, "stale")
        if answer not in answer_values():
            return _bilingual_error(400, "stale")
        try:
            async with runtime.db.transaction() as session:
                outcome = await answer_nudge(
                    session, claim.nudge_answer_id, answer, "email", now, settings=runtime.settings
                )
                page = await answer_page(
                    session, claim.nudge_answer_id, settings=runtime.settings, now=now
                )
        except NudgeNotFound:
            return _bilingual_error(400, "tampered")
        locale = outcome.row.manager_locale
        paragraphs = [outcome_text(outcome, locale)]
        if page.open:
            when = format_when(page.deadline, locale, page.tz)
            paragraphs.append(t("nudge.page.change_until", locale, when=when))
        paragraphs.append(t("nudge.page.close", locale))
        return _page(200, locale=locale, title=t("nudge.page.title", locale), paragraphs=paragraphs)

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

    web_app.router.add_get("/r/{token}", show_question, allow_head=True)
    web_app.router.add_post("/r/{token}", record_answer)
