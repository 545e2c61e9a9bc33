"""The emulator's web UI: pick a person, read channels and DMs, click, fill modals, read mail.

Pages are rendered on the server; `static/app.js` polls `/ui/fragment` about once a second and
posts the person's actions to `/ui/...` endpoints, which turn them into the signed requests Slack
would send the bot (see `emulator.inbound`).
"""

from __future__ import annotations

import json
import re
import string
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from emulator.inbound import InteractionError, parse_slash
from emulator.render import esc
from emulator.ui_pages import HERE, WorkspacePages, email_links, sanitise_email_html

__all__ = ["WorkspaceUI", "email_links", "sanitise_email_html"]

if TYPE_CHECKING:
    from emulator.server import Emulator


class WorkspaceUI(WorkspacePages):
    """Serve the workspace UI for one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.state = emulator.state
        self.inbound = emulator.inbound
        self.template = string.Template(
            (HERE / "templates" / "page.html").read_text(encoding="utf-8")
        )
        self._clock_session: aiohttp.ClientSession | None = None

    def add_routes(self, app: web.Application) -> None:
        """Register the UI's pages, fragments, action endpoints and static files."""
        app.router.add_get("/", self.root)
        app.router.add_get("/ui", self.page)
        app.router.add_get("/ui/fragment", self.fragment)
        app.router.add_post("/ui/action", self.action)
        app.router.add_post("/ui/send", self.send)
        app.router.add_post("/ui/view/submit", self.view_submit)
        app.router.add_post("/ui/view/close", self.view_close)
        app.router.add_post("/ui/home/open", self.home_open)
        app.router.add_post("/ui/join", self.join)
        app.router.add_post("/ui/clock", self.clock)
        app.router.add_get("/ui/inbox", self.inbox)
        app.router.add_get("/ui/inbox/{id}", self.email)
        app.router.add_get("/ui/errors", self.errors)
        app.router.add_get("/ui/calls", self.calls)
        app.router.add_static("/ui/static", HERE / "static")

        async def close_session(_app: web.Application) -> None:
            if self._clock_session is not None:
                await self._clock_session.close()

        app.on_cleanup.append(close_session)

    async def root(self, request: web.Request) -> web.Response:
        """Send visitors to the workspace."""
        raise web.HTTPFound("/ui")

    async def page(self, request: web.Request) -> web.Response:
        """Render the workspace as one person: sidebar, conversation or Home, composer, modal."""
        user = self.person(request)
        if user is None:
            return self.render_page(
                "No people", '<main class="empty"><p>No people in the workspace yet.</p></main>'
            )
        tab = "home" if request.query.get("tab") == "home" else "messages"
        channel = self.conversation(request, user)
        if channel is None:
            raise web.HTTPFound(self.link(user))
        modal, modal_key = self.modal_html(user)
        if tab == "home":
            heading = f"{esc(self.emulator.config.bot_name)} · Home"
            content = f'<div id="home" class="home" aria-live="polite">{self.home_html(user)}</div>'
            composer = ""
            channel_attr = ""
        else:
            members = len(channel.members)
            heading = esc(self.title_of(channel, user.id))
            if not (channel.is_im or channel.is_mpim):
                heading += f' <span class="members">{members} members</span>'
            content = f'<div id="messages" class="messages" aria-live="polite">{self.messages_html(channel, user)}</div>'
            channel_attr = esc(channel.id)
            if user.id not in channel.members:
                composer = (
                    f'<form class="join" data-join="{esc(channel.id)}"><p>You are not a member of this channel.</p>'
                    '<button type="submit" class="bk-button primary">Join channel</button></form>'
                )
            elif channel.is_archived:
                composer = '<p class="empty">This channel is archived.</p>'
            else:
                placeholder = f"Message {self.title_of(channel, user.id)}"
                composer = (
                    '<form id="composer" class="composer">'
                    '<p id="thread-note" class="hint" hidden>Replying in a thread. '
                    '<button type="button" class="link" id="thread-cancel">Cancel</button></p>'
                    f'<label for="composer-text" class="sr-only">{esc(placeholder)}</label>'
                    f'<textarea id="composer-text" rows="2" placeholder="{esc(placeholder)} — or /cohort help" '
                    'data-testid="composer"></textarea>'
                    '<button type="submit" class="bk-button primary" data-testid="send">Send</button>'
                    '<p class="hint">Enter sends, Shift+Enter adds a line. Slash commands such as '
                    "<code>/cohort help</code> go to the bot.</p></form>"
                )
        body = (
            f'<div class="layout" id="app" data-as="{esc(user.id)}" data-channel="{channel_attr}" '
            f'data-tab="{tab}" data-version="{self.state.version}" data-modal-key="{esc(modal_key)}">'
            f'<aside id="sidebar" class="sidebar">{self.sidebar(user, channel, tab)}</aside>'
            f'<main class="main"><div id="bot-status">{self.bot_status()}</div>'
            f'<h1 class="conv-title">{heading}</h1>{content}{composer}'
            f'<div id="toast" role="status" aria-live="polite"></div></main>'
            f'<div id="modal">{modal}</div></div>'
        )
        return self.render_page(
            f"{self.title_of(channel, user.id)} · {user.real_name}", body, user=user
        )

    async def fragment(self, request: web.Request) -> web.Response:
        """Return the re-rendered parts of the page when the state changed since `?v=`."""
        version = self.state.version
        if request.query.get("v") == str(version):
            return web.json_response({"version": version})
        user = self.person(request)
        if user is None:
            return web.json_response({"version": version})
        data: dict[str, Any] = {"version": version}
        modal, data["modal_key"] = self.modal_html(user)
        data["modal"] = modal
        tab = request.query.get("tab", "messages")
        channel = self.state.channels.get(request.query.get("c", ""))
        if (
            channel is not None
            and user.id not in channel.members
            and (channel.is_private or channel.is_im or channel.is_mpim)
        ):
            channel = None
        if tab == "home":
            data["home"] = self.home_html(user)
        elif channel is not None:
            data["messages"] = self.messages_html(channel, user)
        data["sidebar"] = self.sidebar(user, channel, tab)
        data["counts"] = {"inbox": len(self.state.emails), "errors": len(self.state.notices)}
        data["bot_status"] = self.bot_status()
        return web.json_response(data)

    # -- actions -------------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except json.JSONDecodeError as exc:
            raise web.HTTPBadRequest(text="expected JSON") from exc
        if not isinstance(data, dict) or data.get("as") not in self.state.users:
            raise web.HTTPBadRequest(text="unknown person")
        return data

    @staticmethod
    def _result(result: Any) -> web.Response:
        if result is None:
            return web.json_response({"ok": True})
        payload = {"ok": result.acked, "error": result.error, "status": result.status}
        return web.json_response(payload)

    async def action(self, request: web.Request) -> web.Response:
        """Turn a click or selection into block_actions."""
        data = await self._body(request)
        try:
            result = await self.inbound.click(
                data["as"],
                str(data.get("action_id")),
                channel_id=data.get("channel"),
                message_ts=data.get("ts"),
                view_id=data.get("view_id"),
                block_id=data.get("block_id"),
                value=data.get("value"),
            )
        except InteractionError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return self._result(result)

    async def send(self, request: web.Request) -> web.Response:
        """Send a message, or run a slash command when the text starts with '/'."""
        data = await self._body(request)
        text = str(data.get("text", "")).strip()
        channel_id = str(data.get("channel", ""))
        if not text:
            return web.json_response({"ok": False, "error": "empty"}, status=400)
        try:
            slash = parse_slash(text)
            if slash is not None:
                command, args = slash
                result = await self.inbound.slash_command(data["as"], channel_id, command, args)
                return self._result(result)
            await self.inbound.message(
                data["as"], channel_id, text, thread_ts=data.get("thread_ts"), wait=False
            )
        except InteractionError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def view_submit(self, request: web.Request) -> web.Response:
        """Submit the person's modal."""
        data = await self._body(request)
        try:
            result = await self.inbound.submit_view(
                data["as"], str(data.get("view_id")), data.get("values") or {}
            )
        except InteractionError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return self._result(result)

    async def view_close(self, request: web.Request) -> web.Response:
        """Close the person's modal (or all of their stacked modals)."""
        data = await self._body(request)
        try:
            result = await self.inbound.close_view(
                data["as"], str(data.get("view_id")), clear_all=bool(data.get("all"))
            )
        except InteractionError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return self._result(result)

    async def home_open(self, request: web.Request) -> web.Response:
        """Tell the bot the person opened the Home tab."""
        data = await self._body(request)
        try:
            await self.inbound.app_home_opened(data["as"], wait=False)
        except InteractionError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def join(self, request: web.Request) -> web.Response:
        """Let the person join a public channel."""
        data = await self._body(request)
        try:
            await self.inbound.join_channel(data["as"], str(data.get("channel")))
        except (InteractionError, KeyError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def clock(self, request: web.Request) -> web.Response:
        """Ask the bot to move its clock forward (local mode), via the configured clock_url."""
        url = self.emulator.config.clock_url
        if not url:
            raise web.HTTPNotFound(text="no clock_url configured")
        data = await request.json()
        seconds = int(data.get("seconds", 86400))
        if self._clock_session is None or self._clock_session.closed:
            self._clock_session = aiohttp.ClientSession()
        try:
            async with self._clock_session.post(
                url, json={"advance_seconds": seconds}, timeout=aiohttp.ClientTimeout(total=30)
            ) as resp:
                text = await resp.text()
                return web.json_response(
                    {"ok": 200 <= resp.status < 300, "status": resp.status, "body": text[:2000]}
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return web.json_response({"ok": False, "error": type(exc).__name__}, status=502)

    # -- inbox, errors, calls ------------------------------------------------------------------

    async def inbox(self, request: web.Request) -> web.Response:
        """List mails received by the SMTP sink, newest first."""
        user = self.person(request)
        rows = []
        for mail in reversed(self.state.emails):
            received = datetime.fromtimestamp(mail.received, ZoneInfo("Europe/Oslo")).strftime(
                "%d.%m %H:%M:%S"
            )
            rows.append(
                f"<tr><td>{esc(received)}</td><td>{esc(', '.join(mail.to))}</td>"
                f'<td><a href="/ui/inbox/{mail.id}{"?as=" + esc(user.id) if user else ""}" data-testid="mail-{mail.id}">'
                f"{esc(mail.subject or '(no subject)')}</a></td></tr>"
            )
        smtp = self.emulator.smtp.port
        where = (
            f"SMTP sink on {esc(self.emulator.config.smtp_host)}:{smtp}"
            if smtp
            else "SMTP sink is off"
        )
        table = (
            '<table class="list"><thead><tr><th scope="col">Received</th><th scope="col">To</th>'
            f'<th scope="col">Subject</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            if rows
            else '<p class="empty">No mail yet.</p>'
        )
        body = (
            f'<main class="page"><h1>Inbox</h1><p class="hint">Mail the bot sent to people not on Slack. {where}.</p>'
            f'{table}<p><a href="{self.link(user) if user else "/ui"}">Back to the workspace</a></p></main>'
        )
        return self.render_page("Inbox", body, user=user)

    async def email(self, request: web.Request) -> web.Response:
        """Show one mail: headers, the HTML part in a sandboxed frame, its links and text."""
        user = self.person(request)
        mail = next((m for m in self.state.emails if str(m.id) == request.match_info["id"]), None)
        if mail is None:
            raise web.HTTPNotFound(text="no such mail")
        links = email_links(mail.html or "")
        if not links and mail.text:
            links = [(u, u) for u in re.findall(r"https?://[^\s<>\"']+", mail.text)]
        link_list = "".join(
            f'<li><a href="{esc(href)}" target="_blank" rel="noopener" data-testid="mail-link">{esc(text)}</a></li>'
            for href, text in links
        )
        frame = ""
        if mail.html:
            frame = (
                '<iframe class="mail-frame" title="Mail content" '
                'sandbox="allow-popups allow-popups-to-escape-sandbox" '
                f'srcdoc="{esc(sanitise_email_html(mail.html))}"></iframe>'
            )
        text = (
            f"<details><summary>Plain-text part</summary><pre>{esc(mail.text)}</pre></details>"
            if mail.text
            else ""
        )
        body = (
            f'<main class="page"><p><a href="/ui/inbox{"?as=" + esc(user.id) if user else ""}">← Inbox</a></p>'
            f"<h1>{esc(mail.subject or '(no subject)')}</h1>"
            f'<dl class="mail-head"><dt>From</dt><dd>{esc(mail.mail_from)}</dd><dt>To</dt><dd>{esc(", ".join(mail.to))}</dd></dl>'
            f"{frame}<h2>Links in this mail</h2><ul>{link_list or '<li class=empty>None</li>'}</ul>{text}</main>"
        )
        return self.render_page(mail.subject or "Mail", body, user=user)

    async def errors(self, request: web.Request) -> web.Response:
        """List what went wrong: unanswered interactions, failed events, bad responses."""
        user = self.person(request)
        rows = []
        for notice in reversed(self.state.notices):
            who = self.state.users.get(notice.user_id or "")
            at = datetime.fromtimestamp(notice.at, ZoneInfo("Europe/Oslo")).strftime(
                "%d.%m %H:%M:%S"
            )
            rows.append(
                f"<tr><td>{esc(at)}</td><td>{esc(who.real_name if who else '—')}</td>"
                f"<td><code>{esc(notice.kind)}</code></td><td>{esc(notice.text)}</td></tr>"
            )
        table = (
            '<table class="list"><thead><tr><th scope="col">When</th><th scope="col">Person</th>'
            f'<th scope="col">Kind</th><th scope="col">What happened</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            if rows
            else '<p class="empty">Nothing has gone wrong.</p>'
        )
        body = (
            f'<main class="page"><h1>Errors</h1><p class="hint">What people would have seen go wrong in Slack, '
            f"such as “{esc(self.emulator.config.bot_name)} didn't respond” when the bot did not answer within "
            f"{self.emulator.config.ack_timeout:g} s.</p>{table}"
            f'<p><a href="{self.link(user) if user else "/ui"}">Back to the workspace</a></p></main>'
        )
        return self.render_page("Errors", body, user=user)

    async def calls(self, request: web.Request) -> web.Response:
        """Show the latest Web API calls and counters."""
        user = self.person(request)
        log = self.emulator.calls
        rows = []
        for record in reversed(log.records[-300:]):
            at = time.strftime("%H:%M:%S", time.localtime(record.at))
            status = "ok" if record.ok else esc(record.error)
            rows.append(
                f"<tr><td>{record.seq}</td><td>{esc(at)}</td><td><code>{esc(record.method)}</code></td>"
                f"<td>{esc(record.channel or '')}</td><td>{record.status}</td><td>{status}</td></tr>"
            )
        counts = "".join(
            f"<li><code>{esc(m)}</code>: {n}</li>" for m, n in sorted(log.counts.items())
        )
        body = (
            '<main class="page"><h1>Web API calls</h1>'
            f"<ul class=counts>{counts or '<li class=empty>No calls yet</li>'}</ul>"
            '<table class="list"><thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Method</th>'
            '<th scope="col">Channel</th><th scope="col">HTTP</th><th scope="col">Result</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
            f'<p><a href="{self.link(user) if user else "/ui"}">Back to the workspace</a></p></main>'
        )
        return self.render_page("Calls", body, user=user)
