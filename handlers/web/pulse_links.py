"""Answer pages for pulses sent by email: `GET /p/{token}` shows, only `POST /p` records.

The email's buttons (one per answer value, and "write an answer" for free text) link to
`/p/{token}?q={question}&v={value}`. Opening one records nothing — mail scanners and link
previews open every link — it shows the pulse's questions as a form with that value chosen.
Pressing "Send answers" POSTs the form to `/p`, with the token in the body rather than the
path (no access log line pairs a token with the moment of answering), a nonce and a proof
bound to the token (bot.links.form_proof); only that records, through
bot.pulses.record_email_answers: what a Slack click writes, for an anonymous pulse only the
sealed receipt. See bot/pulse_links.py and docs/privacy.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.links import form_proof, new_nonce, verify_form
from bot.messages import format_when, t
from bot.pulse_links import PulseLinkClaim, PulseLinkError, verify_token
from bot.pulses import (
    MAX_TEXT,
    EmailPage,
    email_page,
    question_hint,
    record_email_answers,
)
from bot.runtime import Runtime
from bot.text import clean, html_text, plain
from handlers.web.links import HEADERS, render_page

logger = logging.getLogger(__name__)

# Three free-text answers of 3,000 characters, percent-encoded (up to 9 bytes a character).
MAX_FORM_BYTES = 3 * MAX_TEXT * 9 + 4096
OPTION_STYLE = (
    "display:block;margin:0 0 8px;padding:10px 12px;border:1px solid #8a9bb0;border-radius:6px;"
    "cursor:pointer;"
)
SUBMIT_STYLE = (
    "display:block;width:100%;margin:16px 0 0;padding:14px 16px;border:0;border-radius:6px;"
    "background:#0b4f8a;color:#fff;font:bold 18px Arial,Helvetica,sans-serif;cursor:pointer;"
)


def _response(status: int, body: str) -> web.Response:
    return web.Response(
        status=status, text=body, content_type="text/html", charset="utf-8", headers=HEADERS
    )


def _page(status: int, *, locale: str, title: str, paragraphs: list[str]) -> web.Response:
    return _response(status, render_page(locale=locale, title=title, paragraphs=paragraphs))


def _error(kind: str, status: int | None = None) -> web.Response:
    """A page in both languages: a link that does not verify names nobody to ask."""
    code = status or (410 if kind == "expired" else 400)
    if kind == "stale":
        prefix = "nudge.page.stale"
    else:
        prefix = f"pulse.page.{kind}"
    return _page(
        code,
        locale="nb",
        title=f"{t(prefix + '.title', 'nb')} / {t(prefix + '.title', 'en')}",
        paragraphs=[t(prefix + ".text", "nb"), t(prefix + ".text", "en")],
    )


def _choices(question: Any, locale: str) -> list[tuple[str, str]]:
    kind = question.kind
    if kind == "scale5":
        return [(str(v), str(v)) for v in range(1, 6)]
    if kind == "nps":
        return [(str(v), str(v)) for v in range(11)]
    if kind == "choice":
        return [(str(i), c) for i, c in enumerate(question.choices)]
    return []


def render_form(
    *, page: EmailPage, token: str, nonce: str, proof: str, chosen: dict[int, str]
) -> str:
    """The questions as one form; the value of the button that was clicked is chosen."""
    loc = page.locale
    when = format_when(page.pulse.closes_at, loc)
    kind = t("pulse.kind.anonymous" if page.pulse.anonymous else "pulse.kind.named", loc)
    parts: list[str] = []
    for question in page.questions:
        qid = question.id or 0
        hint = question_hint(question, loc)
        legend = f"{question.position}. {plain(question.text)}"
        inner = f'<legend style="font-weight:bold;margin:0 0 8px">{html_text(legend)}</legend>' + (
            f'<p style="margin:0 0 8px;color:#4a4a4a">{html_text(hint)}</p>' if hint else ""
        )
        if question.kind == "text":
            inner += (
                f'<textarea name="t.{qid}" maxlength="{MAX_TEXT}" rows="5" '
                'style="width:100%;box-sizing:border-box;font:inherit"></textarea>'
            )
        else:
            options = [("", t("pulse.page.skip", loc)), *_choices(question, loc)]
            for value, label in options:
                checked = " checked" if chosen.get(qid, "") == value else ""
                inner += (
                    f'<label style="{OPTION_STYLE}"><input type="radio" name="a.{qid}" '
                    f'value="{html_text(value)}"{checked}> {html_text(label)}</label>'
                )
        parts.append(f'<fieldset style="border:0;padding:0;margin:0 0 24px">{inner}</fieldset>')
    form = (
        '<form method="post" action="/p">'
        f'<input type="hidden" name="token" value="{html_text(token)}">'
        f'<input type="hidden" name="nonce" value="{html_text(nonce)}">'
        f'<input type="hidden" name="proof" value="{html_text(proof)}">'
        + "".join(parts)
        + f'<button type="submit" style="{SUBMIT_STYLE}">{html_text(t("pulse.page.submit", loc))}'
        "</button></form>"
    )
    paragraphs = [
        t("pulse.page.lead", loc),
        plain(kind).replace("*", ""),
        t("pulse.page.again", loc, when=when),
    ]
    return render_page(locale=loc, title=plain(page.pulse.title), paragraphs=paragraphs, extra=form)


def _parse_answers(
    form: Mapping[str, Any], page: EmailPage
) -> list[tuple[int, int | None, str | None]] | None:
    """(question id, value, text) for each answered question; None if any is malformed."""
    get = form.get
    out: list[tuple[int, int | None, str | None]] = []
    for question in page.questions:
        qid = question.id or 0
        if question.kind == "text":
            text = clean(str(get(f"t.{qid}", "") or "")).strip()
            if len(text) > MAX_TEXT:
                return None
            if text:
                out.append((qid, None, text))
            continue
        raw = str(get(f"a.{qid}", "") or "")
        if not raw:
            continue
        if not raw.isdigit() or len(raw) > 3:
            return None
        out.append((qid, int(raw), None))
    return out


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    """Add `GET /p/{token}` (shows; HEAD too) and `POST /p` (records)."""

    def _verify(token: str) -> PulseLinkClaim:
        return verify_token(token, keys=runtime.settings.verification_keys, now=runtime.clock.now())

    async def show(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        now = runtime.clock.now()
        try:
            claim = _verify(token)
        except PulseLinkError as exc:
            return _error(exc.kind)
        async with runtime.db.session() as session:  # read only: opening records nothing
            page = await email_page(
                session, pulse_id=claim.pulse_id, person_id=claim.person_id, now=now
            )
        if page is None or not page.invited:
            return _error("tampered")
        if page.closed is not None:
            return _page(
                200, locale=page.locale, title=plain(page.pulse.title), paragraphs=[page.closed]
            )
        chosen: dict[int, str] = {}
        q, v = request.query.get("q", ""), request.query.get("v", "")
        if q.isdigit() and v.isdigit():
            chosen[int(q)] = v
        nonce = new_nonce()
        proof = form_proof(key=runtime.settings.signing_key, token=token, nonce=nonce)
        return _response(
            200, render_form(page=page, token=token, nonce=nonce, proof=proof, chosen=chosen)
        )

    async def record(request: web.Request) -> web.Response:
        now = runtime.clock.now()
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return _error("stale", 413)
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return _error("stale", 403)  # a form posted from another site
        try:
            form = await request.post()
        except (ValueError, web.HTTPException):
            return _error("stale")
        token, nonce, proof = (str(form.get(k, ""))[:300] for k in ("token", "nonce", "proof"))
        try:
            claim = _verify(token)
        except PulseLinkError as exc:
            return _error(exc.kind)
        if not verify_form(
            keys=runtime.settings.verification_keys, token=token, nonce=nonce, proof=proof
        ):
            return _error("stale")
        async with runtime.db.session() as session:
            page = await email_page(
                session, pulse_id=claim.pulse_id, person_id=claim.person_id, now=now
            )
        if page is None or not page.invited:
            return _error("tampered")
        if page.closed is not None:
            return _page(
                200, locale=page.locale, title=plain(page.pulse.title), paragraphs=[page.closed]
            )
        answers = _parse_answers(form, page)
        if answers is None:
            return _error("stale")
        loc = page.locale
        status = 200
        if not answers:
            paragraphs = [t("pulse.page.nothing", loc)]
        else:
            async with runtime.db.transaction() as session:
                outcomes = await record_email_answers(
                    session,
                    pulse_id=claim.pulse_id,
                    person_id=claim.person_id,
                    answers=answers,
                    now=now,
                    settings=runtime.settings,
                )
            refused = [o for o in outcomes if not o.accepted]
            paragraphs = [(refused[0] if refused else outcomes[-1]).message]
            if any(o.status == "invalid" for o in refused):
                status = 400  # an answer out of range: nothing was recorded
        when = format_when(page.pulse.closes_at, loc)
        paragraphs += [t("pulse.page.again", loc, when=when), t("nudge.page.close", loc)]
        title = t("pulse.page.title" if status == 200 else "pulse.page.invalid", loc)
        if status != 200:
            paragraphs = [t("pulse.page.invalid_text", loc), *paragraphs[1:]]
        return _page(
            status,
            locale=loc,
            title=title,
            paragraphs=[plain(p).replace("*", "") for p in paragraphs],
        )

    web_app.router.add_get("/p/{token}", show, allow_head=True)
    web_app.router.add_post("/p", record)
