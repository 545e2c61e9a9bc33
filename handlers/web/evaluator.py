"""The evaluator page: `/e/{token}`, a signed link staff send to the Directorate.

`GET /e/{token}` (and HEAD) shows the closed pulses' aggregated results, links to the annual
report (`GET /e/{token}/report/{year}.{html|xlsx|csv}`), the question proposals and a form to
propose one. GETs only read: a mail scanner opening the link changes nothing (not even an
audit row; the log has a line with the link id). `POST /e/{token}/propose` records a proposal
only with the page's nonce and its HMAC proof (`bot.links.form_proof`), from the same site;
the nonce is stored with the proposal, so sending the same form twice records once.

A tampered link gets 400, an expired one 410, a revoked one (or an email no longer in
COHORTBOT_EVALUATOR_EMAILS) 403 — each a page in both languages, nothing changed.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.evaluator import AccessDenied, EvaluatorAccess, annual_report_in_child, open_link
from bot.evaluator.proposals import (
    KINDS,
    ProposalError,
    ProposalView,
    count,
    parse_choices,
    proposals,
    propose,
    upcoming_pulses,
    upcoming_sessions,
)
from bot.evaluator.results import EvaluatorResults, evaluator_results
from bot.links import form_proof, new_nonce, verify_form
from bot.messages import format_day, format_when, t
from bot.runtime import Runtime
from bot.text import html_text, plain
from bot.worker_loop import transaction_in_process
from handlers.web.links import HEADERS

logger = logging.getLogger(__name__)

MAX_FORM_BYTES = 8192
STYLE = (
    "body{margin:0;background:#fff;color:#1a1a1a;font:17px/1.5 Arial,Helvetica,sans-serif}"
    "main{max-width:60rem;margin:0 auto;padding:2rem 1rem}h1{font-size:1.6rem}"
    "h2{font-size:1.3rem;margin-top:2rem}h3{font-size:1.05rem}"
    "table{border-collapse:collapse;margin:0 0 1rem}td,th{border:1px solid #ccc;padding:4px 8px;"
    "text-align:right}th:first-child,td:first-child{text-align:left}"
    ".dir{background:#fff4d6;padding:0 4px}label{display:block;margin:.8rem 0 .2rem}"
    "textarea,select{width:100%;max-width:40rem;font:inherit}"
    "button{margin-top:1rem;padding:10px 16px;font:bold 17px Arial,sans-serif;border:0;"
    "border-radius:6px;background:#0b4f8a;color:#fff}"
)
CONTENT_TYPES = {
    "html": "text/html",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _locale(request: web.Request) -> str:
    return "en" if request.query.get("lang") == "en" else "nb"


def page(*, locale: str, title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html_text(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{html_text(title)}</h1>{body}</main></body></html>"
    )


def _respond(status: int, html: str) -> web.Response:
    return web.Response(
        status=status, text=html, content_type="text/html", charset="utf-8", headers=HEADERS
    )


def _denied(kind: str) -> web.Response:
    # A link that does not verify names nobody whose language we know: both languages.
    title = f"{t(f'evaluator.page.{kind}.title', 'nb')} / {t(f'evaluator.page.{kind}.title', 'en')}"
    body = "".join(
        f"<p>{html_text(t(f'evaluator.page.{kind}.text', loc))}</p>" for loc in ("nb", "en")
    )
    status = AccessDenied(kind).http_status if kind != "stale" else 400
    return _respond(status, page(locale="nb", title=title, body=body))


def _results_html(results: EvaluatorResults, locale: str) -> str:
    parts = [
        "<p>"
        + html_text(
            t(
                "evaluator.page.intro",
                locale,
                since=format_day(results.since.date(), locale),
                k=results.min_group_size,
            )
        )
        + "</p>"
    ]
    if not results.pulses:
        parts.append(f"<p>{html_text(t('evaluator.page.none', locale))}</p>")
    for p in results.pulses:
        heading = t(
            "evaluator.page.pulse",
            locale,
            title=p.title,
            cohort=p.cohort,
            opens=format_day(p.opens_at.date(), locale),
            closes=format_day(p.closes_at.date(), locale),
        )
        parts.append(f"<h2>{html_text(heading)}</h2>")
        head = [
            t("report.group", locale),
            t("report.evaluations.invited", locale),
            t("report.evaluations.answered", locale),
        ]
        parts.append(_table(head, [(g, [i, a]) for g, i, a in p.participation]))
        for qn in p.questions:
            text = t("evaluator.page.question", locale, number=qn.position, text=qn.text)
            marker = (
                f' <span class="dir">{html_text(t("report.evaluations.directorate", locale))}</span>'
                if qn.directorate
                else ""
            )
            parts.append(f"<h3>{html_text(text)}{marker}</h3>")
            if qn.kind == "text":
                parts.append(f"<p>{html_text(t('evaluator.page.text_question', locale))}</p>")
                continue
            parts.append(_table([t("report.group", locale), *qn.columns], qn.rows))
    return "".join(parts)


def _table(head: list[str], rows: list[tuple[str, list[str]]]) -> str:
    th = "".join(f"<th>{html_text(h)}</th>" for h in head)
    trs = "".join(
        "<tr><td>"
        + html_text(label)
        + "</td>"
        + "".join(f"<td>{html_text(v)}</td>" for v in cells)
        + "</tr>"
        for label, cells in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _proposals_html(items: list[ProposalView], locale: str) -> str:
    if not items:
        return ""
    lis = []
    for v in items:
        if v.state == "accepted" and v.target is not None:
            state = t("evaluator.state.accepted", locale, title=v.target.title)
        elif v.state == "rejected":
            state = t("evaluator.state.rejected", locale, reason=v.reason or "")
        else:
            state = t("evaluator.state.proposed", locale)
        kind = t(f"evaluator.kind.{v.kind}", locale)
        lis.append(f"<li>{html_text(v.text)} ({html_text(kind)}) – {html_text(state)}</li>")
    return f"<h2>{html_text(t('evaluator.page.proposals', locale))}</h2><ul>{''.join(lis)}</ul>"


def _form_html(
    *,
    token: str,
    nonce: str,
    proof: str,
    pulses: list[tuple[int, str]],
    sessions: list[tuple[int, str]],
    locale: str,
) -> str:
    kinds = "".join(
        f'<option value="{k}">{html_text(t(f"evaluator.kind.{k}", locale))}</option>' for k in KINDS
    )
    options = f'<option value="">{html_text(t("evaluator.page.propose.any", locale))}</option>'
    options += "".join(
        f'<option value="{pid}">{html_text(label)}</option>' for pid, label in pulses
    )
    session_options = (
        f'<option value="">{html_text(t("evaluator.page.propose.any_session", locale))}</option>'
    )
    session_options += "".join(
        f'<option value="{sid}">{html_text(label)}</option>' for sid, label in sessions
    )
    return (
        f"<h2>{html_text(t('evaluator.page.propose', locale))}</h2>"
        f'<form method="post" action="/e/{html_text(token)}/propose?lang={locale}">'
        f'<input type="hidden" name="nonce" value="{html_text(nonce)}">'
        f'<input type="hidden" name="proof" value="{html_text(proof)}">'
        f'<label for="text">{html_text(t("evaluator.page.propose.text", locale))}</label>'
        '<textarea id="text" name="text" rows="3" maxlength="500" required></textarea>'
        f'<label for="kind">{html_text(t("evaluator.page.propose.kind", locale))}</label>'
        f'<select id="kind" name="kind">{kinds}</select>'
        f'<label for="choices">{html_text(t("evaluator.page.propose.choices", locale))}</label>'
        '<textarea id="choices" name="choices" rows="4"></textarea>'
        f'<label for="pulse">{html_text(t("evaluator.page.propose.pulse", locale))}</label>'
        f'<select id="pulse" name="pulse">{options}</select>'
        f'<label for="session">{html_text(t("evaluator.page.propose.session", locale))}</label>'
        f'<select id="session" name="session">{session_options}</select>'
        f'<button type="submit">{html_text(t("evaluator.page.propose.submit", locale))}</button>'
        "</form>"
    )


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    """Add `GET /e/{token}`, `GET /e/{token}/report/{year}.{fmt}` and `POST /e/{token}/propose`."""

    async def _access(token: str) -> EvaluatorAccess:
        async with runtime.db.session() as session:
            return await open_link(
                session, token, settings=runtime.settings, now=runtime.clock.now()
            )

    async def show(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        locale = _locale(request)
        now = runtime.clock.now()
        try:
            access = await _access(token)
        except AccessDenied as exc:
            return _denied(exc.kind)
        async with runtime.db.session() as session:  # read only: opening records nothing
            results = await evaluator_results(
                session, settings=runtime.settings, now=now, locale=locale
            )
            items = await proposals(session, now=now)
            total = await count(session)
            upcoming = await upcoming_pulses(session, now=now)
            sessions = await upcoming_sessions(session, now=now)
        logger.info("Evaluator page shown (link %d)", access.link_id)
        nonce = new_nonce()
        proof = form_proof(key=runtime.settings.signing_key, token=token, nonce=nonce)
        other = "en" if locale == "nb" else "nb"
        body = f'<p><a href="/e/{html_text(token)}?lang={other}">{"English" if other == "en" else "Norsk"}</a></p>'
        body += _results_html(results, locale)
        if results.years:
            links = "".join(
                f"<li>{html_text(t('evaluator.page.report_link', locale, year=y))}: "
                + ", ".join(
                    f'<a href="/e/{html_text(token)}/report/{y}.{fmt}?lang={locale}">{fmt.upper()}</a>'
                    for fmt in ("html", "xlsx", "csv")
                )
                + "</li>"
                for y in results.years
            )
            body += f"<h2>{html_text(t('evaluator.page.reports', locale))}</h2><ul>{links}</ul>"
        body += _proposals_html(items, locale)
        if total > len(items):
            body += (
                f"<p>{html_text(t('evaluator.page.more', locale, count=total - len(items)))}</p>"
            )
        choices = [
            (p.id, f"{p.title} – {plain(format_when(p.opens_at, locale))}")
            for p in upcoming
            if p.id is not None
        ]
        session_choices = [
            (s.id, f"{s.title} ({cohort}) – {plain(format_when(s.starts_at, locale))}")
            for s, cohort in sessions
            if s.id is not None
        ]
        body += _form_html(
            token=token,
            nonce=nonce,
            proof=proof,
            pulses=choices,
            sessions=session_choices,
            locale=locale,
        )
        return _respond(
            200, page(locale=locale, title=t("evaluator.page.title", locale), body=body)
        )

    async def report(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        locale = _locale(request)
        try:
            access = await _access(token)
        except AccessDenied as exc:
            return _denied(exc.kind)
        fmt = request.match_info["fmt"]
        year = int(request.match_info["year"])
        if fmt not in CONTENT_TYPES or not 2000 <= year <= 2100:
            return _denied("tampered")
        # In the warm worker process: the loop that acks Slack's clicks is not held meanwhile.
        data = await transaction_in_process(
            runtime.db,
            annual_report_in_child,
            year,
            fmt,
            runtime.settings,
            runtime.clock.now(),
            locale,
            worker=runtime.worker,
        )
        logger.info("Evaluator report %d %s shown (link %d)", year, fmt, access.link_id)
        headers = dict(HEADERS)
        if fmt != "html":
            headers["Content-Disposition"] = f'attachment; filename="arsrapport-{year}.{fmt}"'
        return web.Response(status=200, body=data, content_type=CONTENT_TYPES[fmt], headers=headers)

    async def submit(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        locale = _locale(request)
        try:
            access = await _access(token)
        except AccessDenied as exc:
            return _denied(exc.kind)
        if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
            return _denied("stale")
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return _denied("stale")  # a form posted from another site
        try:
            form = await request.post()
        except (ValueError, web.HTTPException):
            return _denied("stale")
        nonce, proof = (str(form.get(k, ""))[:100] for k in ("nonce", "proof"))
        if not verify_form(
            keys=runtime.settings.verification_keys, token=token, nonce=nonce, proof=proof
        ):
            return _denied("stale")
        raw_pulse = str(form.get("pulse", "")).strip()
        raw_session = str(form.get("session", "")).strip()
        back = f'<p><a href="/e/{html_text(token)}?lang={locale}">{html_text(t("evaluator.page.back", locale))}</a></p>'
        title = t("evaluator.page.propose", locale)
        try:
            async with runtime.db.transaction() as session:
                row, recorded = await propose(
                    session,
                    email=access.email,
                    text=str(form.get("text", ""))[:2000],
                    kind=str(form.get("kind", ""))[:16],
                    choices=parse_choices(str(form.get("choices", ""))[:2000]),
                    pulse_id=int(raw_pulse) if raw_pulse.isdigit() else None,
                    session_id=int(raw_session) if raw_session.isdigit() else None,
                    nonce=nonce,
                    now=runtime.clock.now(),
                )
        except ProposalError as exc:
            body = f"<p>{html_text(exc.text(locale))}</p>{back}"
            return _respond(400, page(locale=locale, title=title, body=body))
        key = "evaluator.page.proposed" if recorded else "evaluator.page.proposed_already"
        logger.info("Evaluator proposal %s (link %d)", row.id, access.link_id)
        return _respond(
            200, page(locale=locale, title=title, body=f"<p>{html_text(t(key, locale))}</p>{back}")
        )

    web_app.router.add_get("/e/{token}", show, allow_head=True)
    web_app.router.add_get(r"/e/{token}/report/{year:\d{4}}.{fmt:[a-z]+}", report, allow_head=True)
    web_app.router.add_post("/e/{token}/propose", submit)
