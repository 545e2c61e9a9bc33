"""Answer pages for pulses sent by email: `GET /p/{token}` shows, only `POST /p` records.

The email's buttons (one per answer value, and "write an answer" for free text) link to
`/p/{token}?q={question}&v={value}`. Opening one records nothing — mail scanners and link
previews open every link. The page shows the pulse's questions with **nothing chosen**: the
value clicked in the email is only marked ("You chose this in the email"), so a page that is
submitted without a person choosing (a sandbox's `form.submit()`, or its only submit button)
carries no answer and records nothing. A one-question pulse shows one submit button per value,
as the nudge page does: one press on the page records it. A longer pulse shows radios, none
checked, and "Send answers"; a question left without a choice is left out.

The POST goes to `/p`, with the token in the body rather than the path (no access log line
pairs a token with the moment of answering), a nonce and a proof bound to the token
(bot.links.form_proof); only that records, through bot.pulses.record_email_answers: what a
Slack click writes, for an anonymous pulse only the sealed receipt. A form with a field this
pulse does not ask for, a value not among the choices or an oversized field gets 400 and
changes nothing. See bot/pulse_links.py and docs/privacy.md ("What a robot on the page can do").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from multidict import MultiMapping

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
MAX_FIELD = 300  # token, nonce and proof are far shorter; a longer one is not ours
OPTION_STYLE = (
    "display:block;margin:0 0 8px;padding:10px 12px;border:1px solid #8a9bb0;border-radius:6px;"
    "cursor:pointer;"
)
MARKED_STYLE = "border:3px solid #0b4f8a;"
ANSWER_STYLE = (
    "display:block;width:100%;margin:0 0 12px;padding:14px 16px;border-radius:6px;"
    "font:bold 18px Arial,Helvetica,sans-serif;cursor:pointer;text-align:left;"
    "background:#e8eef5;color:#0b3a66;"
)
MARK_STYLE = "display:block;font-weight:normal;font-size:15px;margin:4px 0 0"
SUBMIT_STYLE = (
    "display:block;width:100%;margin:16px 0 0;padding:14px 16px;border:0;border-radius:6px;"
    "background:#0b4f8a;color:#fff;font:bold 18px Arial,Helvetica,sans-serif;cursor:pointer;"
)
NOTICE_STYLE = (
    "margin:0 0 16px;padding:10px 12px;border-left:6px solid #a35200;background:#fff4e5;"
    "font-weight:bold"
)


class BadForm(Exception):
    """A form or link the page did not serve: a field it does not ask for, a value not among
    the choices, an oversized field. Answered with 400; nothing changes."""


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


def _choices(question: Any) -> list[tuple[str, str]]:
    kind = question.kind
    if kind == "scale5":
        return [(str(v), str(v)) for v in range(1, 6)]
    if kind == "nps":
        return [(str(v), str(v)) for v in range(11)]
    if kind == "choice":
        return [(str(i), c) for i, c in enumerate(question.choices)]
    return []


def one_press(page: EmailPage) -> bool:
    """Whether the page is one question with fixed answers: one submit button per answer."""
    return len(page.questions) == 1 and page.questions[0].kind != "text"


def email_choice(page: EmailPage, query: Mapping[str, str]) -> tuple[int, str] | None:
    """The (question, value) the email's button stood for, to mark on the page (never to check).

    No `q` and `v` (the "write an answer" link): None. Anything else that is not one of this
    pulse's questions with one of its values — a question of another pulse, a value off the
    scale, an oversized or doubled parameter — raises BadForm.
    """
    q, v = query.get("q"), query.get("v")
    if q is None and v is None:
        return None
    if q is None or v is None or len(q) > 12 or len(v) > 3 or not q.isdigit():
        raise BadForm("q and v")
    question = next((x for x in page.questions if x.id == int(q)), None)
    if question is None or v not in {value for value, _ in _choices(question)}:
        raise BadForm("not this pulse's question or value")
    return int(q), v


def render_form(
    *,
    page: EmailPage,
    token: str,
    nonce: str,
    proof: str,
    marked: tuple[int, str] | None,
    notice: str | None = None,
) -> str:
    """The questions as one form, nothing chosen; the value clicked in the email is marked."""
    loc = page.locale
    when = format_when(page.pulse.closes_at, loc)
    kind = t("pulse.kind.anonymous" if page.pulse.anonymous else "pulse.kind.named", loc)
    mark = html_text(t("pulse.page.marked", loc))
    buttons = one_press(page)
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
        elif buttons:
            # One press records (as on the nudge page), so nothing here is a default: the
            # values keep their order and the email's choice is marked, not put first.
            for value, label in _choices(question):
                is_marked = marked == (qid, value)
                border = MARKED_STYLE if is_marked else "border:1px solid #8a9bb0;"
                note = f'<span style="{MARK_STYLE}">{mark}</span>' if is_marked else ""
                inner += (
                    f'<button type="submit" name="a.{qid}" value="{html_text(value)}" '
                    f'style="{ANSWER_STYLE}{border}">{html_text(label)}{note}</button>'
                )
        else:
            options = [("", t("pulse.page.skip", loc)), *_choices(question)]
            for value, label in options:
                is_marked = value != "" and marked == (qid, value)
                style = OPTION_STYLE + (MARKED_STYLE if is_marked else "")
                note = f'<span style="{MARK_STYLE}">{mark}</span>' if is_marked else ""
                # Never `checked`: a form submitted without a person choosing carries no answer.
                inner += (
                    f'<label style="{style}"><input type="radio" name="a.{qid}" '
                    f'value="{html_text(value)}"> {html_text(label)}{note}</label>'
                )
        parts.append(f'<fieldset style="border:0;padding:0;margin:0 0 24px">{inner}</fieldset>')
    submit = (
        ""
        if buttons
        else f'<button type="submit" style="{SUBMIT_STYLE}">'
        f"{html_text(t('pulse.page.submit', loc))}</button>"
    )
    form = (
        (f'<p role="alert" style="{NOTICE_STYLE}">{html_text(plain(notice))}</p>' if notice else "")
        + '<form method="post" action="/p">'
        f'<input type="hidden" name="token" value="{html_text(token)}">'
        f'<input type="hidden" name="nonce" value="{html_text(nonce)}">'
        f'<input type="hidden" name="proof" value="{html_text(proof)}">'
        + "".join(parts)
        + submit
        + "</form>"
    )
    paragraphs = [
        t("pulse.page.lead_one" if buttons else "pulse.page.lead", loc),
        plain(kind).replace("*", ""),
        t("pulse.page.again", loc, when=when),
    ]
    return render_page(locale=loc, title=plain(page.pulse.title), paragraphs=paragraphs, extra=form)


def parse_answers(
    form: MultiMapping[Any], page: EmailPage
) -> list[tuple[int, int | None, str | None]]:
    """(question id, value, text) for each question answered; BadForm if the form is not ours.

    Only `token`, `nonce`, `proof` and one `a.{id}` / `t.{id}` per question of this pulse (of
    its kind) may be there; a question without a choice is left out, not recorded.
    """
    wanted = {"token", "nonce", "proof"}
    for question in page.questions:
        wanted.add(f"{'t' if question.kind == 'text' else 'a'}.{question.id}")
    for name in form:
        if name not in wanted:
            raise BadForm("a field this pulse does not ask for")
        if len(form.getall(name)) != 1:
            raise BadForm("a field twice")
    out: list[tuple[int, int | None, str | None]] = []
    for question in page.questions:
        qid = question.id or 0
        if question.kind == "text":
            raw = form.get(f"t.{qid}", "")
            if not isinstance(raw, str) or len(raw) > MAX_TEXT * 2:
                raise BadForm("text")
            text = clean(raw).strip()
            if len(text) > MAX_TEXT:
                raise BadForm("text too long")
            if text:
                out.append((qid, None, text))
            continue
        raw = form.get(f"a.{qid}", "")
        if not isinstance(raw, str):
            raise BadForm("value")
        if not raw:
            continue  # not chosen (or "leave this one out")
        if raw not in {value for value, _ in _choices(question)}:
            raise BadForm("a value not among the choices")
        out.append((qid, int(raw), None))
    return out


async def _posted(
    request: web.Request,
) -> tuple[MultiMapping[Any], str, str, str] | web.Response:
    """The POSTed form and its token, nonce and proof; or the error page (nothing read)."""
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        return _error("stale", 413)
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return _error("stale", 403)  # a form posted from another site
    try:
        form = await request.post()
    except (ValueError, web.HTTPException):
        return _error("stale")
    fields = [form.get(k, "") for k in ("token", "nonce", "proof")]
    if not all(isinstance(f, str) and len(f) <= MAX_FIELD for f in fields):
        return _error("stale")
    token, nonce, proof = (str(f) for f in fields)
    return form, token, nonce, proof


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    """Add `GET /p/{token}` (shows; HEAD too) and `POST /p` (records)."""

    def _verify(token: str) -> PulseLinkClaim:
        return verify_token(token, keys=runtime.settings.verification_keys, now=runtime.clock.now())

    def _form(page: EmailPage, token: str, **kwargs: Any) -> str:
        nonce = new_nonce()
        proof = form_proof(key=runtime.settings.signing_key, token=token, nonce=nonce)
        return render_form(page=page, token=token, nonce=nonce, proof=proof, **kwargs)

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
        if any(len(request.query.getall(k, [])) > 1 for k in ("q", "v")):
            return _error("tampered")
        try:
            marked = email_choice(page, request.query)
        except BadForm:
            return _error("tampered")
        return _response(200, _form(page, token, marked=marked))

    async def record(request: web.Request) -> web.Response:
        now = runtime.clock.now()
        posted = await _posted(request)
        if isinstance(posted, web.Response):
            return posted
        form, token, nonce, proof = posted
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
        loc = page.locale
        try:
            answers = parse_answers(form, page)
        except BadForm:
            return _invalid(page)
        if not answers:
            # Submitted without a choice — a person who pressed too early, or a robot
            # (form.submit(), the only submit button): nothing is recorded; ask again.
            notice = t("pulse.page.choose_one" if one_press(page) else "pulse.page.choose", loc)
            return _response(200, _form(page, token, marked=None, notice=notice))
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
        if any(o.status == "invalid" for o in refused):
            return _invalid(page)  # all or nothing: nothing was recorded
        paragraphs = [(refused[0] if refused else outcomes[-1]).message]
        when = format_when(page.pulse.closes_at, loc)
        paragraphs += [t("pulse.page.again", loc, when=when), t("nudge.page.close", loc)]
        return _page(
            200,
            locale=loc,
            title=t("pulse.page.title", loc),
            paragraphs=[plain(p).replace("*", "") for p in paragraphs],
        )

    def _invalid(page: EmailPage) -> web.Response:
        loc = page.locale
        when = format_when(page.pulse.closes_at, loc)
        return _page(
            400,
            locale=loc,
            title=t("pulse.page.invalid", loc),
            paragraphs=[
                t("pulse.page.invalid_text", loc),
                plain(t("pulse.page.again", loc, when=when)),
            ],
        )

    web_app.router.add_get("/p/{token}", show, allow_head=True)
    web_app.router.add_post("/p", record)
