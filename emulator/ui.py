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
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from aiohttp import web

from emulator.inbound import InteractionError, parse_slash
from emulator.render import Renderer, esc
from emulator.state import ROLES, Channel, Ephemeral, Message, User, View

if TYPE_CHECKING:
    from emulator.server import Emulator

HERE = Path(__file__).parent
ROLE_LABELS = {
    "staff": "Staff",
    "participant": "Participants",
    "line manager": "Line managers",
    "alumnus": "Alumni",
}
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_ON_ATTR = re.compile(r"\son\w+\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)
_HREF = re.compile(
    r"<a\b[^>]*?href\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL
)
_TAGS = re.compile(r"<[^>]+>")


def sanitise_email_html(raw: str) -> str:
    """Strip scripts and event handlers and make links open outside the sandboxed frame."""
    cleaned = _ON_ATTR.sub("", _SCRIPT.sub("", raw))
    base = '<base target="_blank">'
    if re.search(r"<head[^>]*>", cleaned, re.IGNORECASE):
        return re.sub(r"(<head[^>]*>)", r"\1" + base, cleaned, count=1, flags=re.IGNORECASE)
    return base + cleaned


def email_links(raw: str) -> list[tuple[str, str]]:
    """Return (href, text) of every http(s) link in an HTML mail."""
    links = []
    for href, inner in _HREF.findall(raw):
        if href.lower().startswith(("http://", "https://")):
            text = _TAGS.sub("", inner).strip() or href
            links.append((href, " ".join(text.split())))
    return links


class WorkspaceUI:
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

    # -- helpers -------------------------------------------------------------------------------

    @property
    def renderer(self) -> Renderer:
        """Return a renderer over the current users and channels."""
        return Renderer(self.state.users, self.state.channels)

    def people(self) -> list[User]:
        """Return the people one can act as, staff first."""
        order = {role: i for i, role in enumerate(ROLES)}
        return sorted(
            (u for u in self.state.users.values() if not u.is_bot),
            key=lambda u: (order.get(u.role or "", len(order)), u.real_name),
        )

    def person(self, request: web.Request) -> User | None:
        """Return the person the page acts as (?as= id or email), defaulting to the first active one."""
        wanted = request.query.get("as") or ""
        user = self.state.user_by_email(wanted) if "@" in wanted else self.state.users.get(wanted)
        if user is not None and not user.is_bot:
            return user
        return next((u for u in self.people() if not u.deleted), None)

    def conversation(self, request: web.Request, user: User) -> Channel | None:
        """Return the conversation shown (?c= id or name), defaulting to the DM with the bot."""
        wanted = request.query.get("c")
        channel = self.state.channels.get(wanted or "") or self.state.channel_by_name(wanted or "")
        if channel is not None and (
            user.id in channel.members
            or not (channel.is_private or channel.is_im or channel.is_mpim)
        ):
            return channel
        if wanted:
            return None
        channel, _ = self.state.open_im(user.id)
        return channel

    def title_of(self, channel: Channel, viewer: str) -> str:
        """Return how a conversation is named in the sidebar."""
        if channel.is_im:
            peer = next((m for m in channel.members if m != viewer), viewer)
            user = self.state.users.get(peer)
            return user.real_name if user else peer
        if channel.is_mpim:
            names = [
                self.state.users[m].real_name.split()[0]
                for m in channel.members
                if m != viewer and m in self.state.users
            ]
            return ", ".join(names)
        return ("🔒 " if channel.is_private else "#") + channel.name

    def when(self, ts: str, user: User) -> str:
        """Format a message ts in the person's time zone."""
        try:
            zone = ZoneInfo(user.tz)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        moment = datetime.fromtimestamp(float(ts), zone)
        return moment.strftime("%d.%m %H:%M")

    def link(self, user: User, **params: str) -> str:
        """Return a /ui link keeping the person."""
        query = "&".join(f"{k}={esc(v)}" for k, v in {"as": user.id, **params}.items())
        return f"/ui?{query}"

    # -- fragments -----------------------------------------------------------------------------

    def person_picker(self, current: User | None) -> str:
        """Render the person picker grouped by role tag."""
        groups: dict[str, list[User]] = {}
        for user in self.people():
            groups.setdefault(ROLE_LABELS.get(user.role or "", "Others"), []).append(user)
        html_groups = []
        for label, users in groups.items():
            options = "".join(
                f'<option value="{esc(u.id)}"{" selected" if current and u.id == current.id else ""}'
                f"{' disabled' if u.deleted else ''}>{esc(u.real_name)}"
                f"{' — ' + esc(u.role) if u.role else ''}{' (deactivated)' if u.deleted else ''}</option>"
                for u in users
            )
            html_groups.append(f'<optgroup label="{esc(label)}">{options}</optgroup>')
        return (
            '<label for="person" class="picker-label">Acting as</label>'
            f'<select id="person" data-testid="person-picker">{"".join(html_groups)}</select>'
        )

    def sidebar(self, user: User, current: Channel | None, tab: str) -> str:
        """Render the channel and DM list of one person."""
        mine = self.state.conversations_of(user.id)
        channels = [c for c in mine if not (c.is_im or c.is_mpim)]
        dms = [
            c
            for c in mine
            if (c.is_im or c.is_mpim) and not (c.is_im and self.state.bot_user_id in c.members)
        ]
        others = [
            c
            for c in self.state.channels.values()
            if not (c.is_private or c.is_im or c.is_mpim or c.is_archived)
            and user.id not in c.members
        ]

        def item(channel: Channel, label: str | None = None) -> str:
            active = current is not None and channel.id == current.id and tab == "messages"
            cls = ' class="active" aria-current="page"' if active else ""
            archived = " (archived)" if channel.is_archived else ""
            name = label or self.title_of(channel, user.id)
            return (
                f'<li><a href="{self.link(user, c=channel.id)}"{cls} data-testid="conv-{esc(channel.id)}">'
                f"{esc(name)}{archived}</a></li>"
            )

        bot_dm = self.state.im_between(user.id, self.state.bot_user_id)
        bot_link = self.link(user, c=bot_dm.id) if bot_dm else self.link(user)
        bot_name = self.emulator.config.bot_name
        home_active = ' class="active" aria-current="page"' if tab == "home" else ""
        on_bot_dm = bot_dm is not None and current is not None and current.id == bot_dm.id
        msgs_active = (
            ' class="active" aria-current="page"' if tab == "messages" and on_bot_dm else ""
        )
        parts = [
            '<nav aria-label="Conversations">',
            f'<h2>App</h2><ul><li><a href="{self.link(user, tab="home")}"{home_active} data-testid="app-home">'
            f"{esc(bot_name)} · Home</a></li>"
            f'<li><a href="{bot_link}"{msgs_active} data-testid="app-messages">'
            f"{esc(bot_name)} · Messages</a></li></ul>",
            f"<h2>Channels</h2><ul>{''.join(item(c) for c in channels) or '<li class=empty>None yet</li>'}</ul>",
            f"<h2>Direct messages</h2><ul>{''.join(item(c) for c in dms) or '<li class=empty>None</li>'}</ul>",
        ]
        if others:
            parts.append(
                f"<h2>Other public channels</h2><ul>{''.join(item(c) for c in others)}</ul>"
            )
        parts.append("</nav>")
        return "".join(parts)

    def message_html(
        self, message: Message | Ephemeral, viewer: User, *, replies: list[Message] | None = None
    ) -> str:
        """Render one message (or ephemeral message) with its blocks, files and replies."""
        r = self.renderer
        is_ephemeral = isinstance(message, Ephemeral)
        author_id = (
            (message.author or self.state.bot_user_id)
            if isinstance(message, Ephemeral)
            else message.user
        )
        author = self.state.users.get(author_id)
        name = author.real_name if author else author_id
        badge = ' <span class="badge">APP</span>' if author and author.is_bot else ""
        body = r.blocks(message.blocks) if message.blocks else r.mrkdwn(message.text)
        extra = ""
        edited = ""
        if isinstance(message, Message):
            extra += r.attachments(message.attachments) if message.attachments else ""
            for file in message.files:
                extra += (
                    f'<div class="file">📎 <a href="{esc(file.get("url_private"))}" target="_blank">'
                    f"{esc(file.get('title') or file.get('name'))}</a> ({esc(file.get('size'))} bytes)</div>"
                )
            edited = ' <span class="edited">(edited)</span>' if message.edited else ""
        only_you = '<div class="only-you">Only visible to you</div>' if is_ephemeral else ""
        cls = "msg ephemeral" if is_ephemeral else "msg"
        reply = ""
        if isinstance(message, Message) and not (
            message.thread_ts and message.thread_ts != message.ts
        ):
            reply = (
                f' <button type="button" class="link" data-reply-ts="{esc(message.ts)}" '
                f'aria-label="Reply in thread to {esc(name)}">Reply</button>'
            )
        thread = ""
        if replies:
            thread = (
                '<div class="thread" aria-label="Thread replies">'
                + "".join(self.message_html(m, viewer) for m in replies)
                + "</div>"
            )
        return (
            f'<article class="{cls}" id="m{esc(message.ts.replace(".", ""))}" data-ts="{esc(message.ts)}" '
            f'data-channel="{esc(message.channel)}" data-ephemeral="{int(is_ephemeral)}" '
            f'aria-label="Message from {esc(name)}">'
            f"{only_you}<header><strong>{esc(name)}</strong>{badge} "
            f'<time datetime="{esc(message.ts)}">{esc(self.when(message.ts, viewer))}</time>{edited}{reply}</header>'
            f'<div class="body">{body}</div>{extra}{thread}</article>'
        )

    def messages_html(self, channel: Channel, viewer: User) -> str:
        """Render a conversation's messages, ephemerals and this person's notices, oldest first."""
        items: list[tuple[float, str]] = []
        for message in self.state.channel_messages(channel.id):
            replies = (
                self.state.thread_replies(channel.id, message.ts) if message.reply_count else []
            )
            items.append((float(message.ts), self.message_html(message, viewer, replies=replies)))
        for ephemeral in self.state.ephemerals_for(viewer.id, channel.id):
            items.append((float(ephemeral.ts), self.message_html(ephemeral, viewer)))
        for notice in self.state.notices_for(viewer.id):
            if notice.user_id == viewer.id and notice.channel_id in (channel.id, None):
                items.append(
                    (
                        notice.at,
                        f'<div class="notice" role="alert" data-testid="notice">⚠️ {esc(notice.text)}</div>',
                    )
                )
        items.sort(key=lambda item: item[0])
        if not items:
            return '<p class="empty">No messages yet.</p>'
        return "".join(html for _, html in items)

    def home_html(self, user: User) -> str:
        """Render the person's App Home view."""
        notices = "".join(
            f'<div class="notice" role="alert" data-testid="notice">⚠️ {esc(n.text)}</div>'
            for n in self.state.notices
            if n.user_id == user.id and n.channel_id is None
        )
        view = self.state.home_views.get(user.id)
        if view is None:
            name = esc(self.emulator.config.bot_name)
            return (
                f'{notices}<p class="empty">{name} has not published a Home view for you yet.</p>'
            )
        return notices + (
            f'<div class="home-view" data-view-id="{esc(view.id)}">'
            f"{self.renderer.blocks(view.payload.get('blocks', []), values=view.values)}</div>"
        )

    def modal_html(self, user: User) -> tuple[str, str]:
        """Render the person's top modal (and a key that changes when it must re-render)."""
        view = self.state.top_modal(user.id)
        if view is None:
            return "", ""
        return self.render_modal(
            view
        ), f"{view.id}:{view.hash}:{json.dumps(view.errors, sort_keys=True)}"

    def render_modal(self, view: View) -> str:
        """Render a modal as a dialog with a form."""
        p = view.payload
        r = self.renderer
        stack = self.state.modal_stacks.get(view.user_id) or []
        general = view.errors.get("", "")
        general_html = (
            f'<div class="field-error" role="alert">{esc(general)}</div>' if general else ""
        )
        submit = ""
        if p.get("submit"):
            submit = f'<button type="submit" class="bk-button primary" data-testid="modal-submit">{esc(r.plain(p["submit"]))}</button>'
        close_text = r.plain(p.get("close")) or ("Back" if len(stack) > 1 else "Cancel")
        return (
            f'<div class="modal-backdrop"><div class="modal" role="dialog" aria-modal="true" '
            f'aria-labelledby="modal-title" data-view-id="{esc(view.id)}" data-testid="modal">'
            f'<header><h2 id="modal-title">{esc(r.plain(p.get("title")))}</h2>'
            f'<button type="button" class="icon" data-modal-close="all" aria-label="Close all">✕</button></header>'
            f'<form id="modal-form" novalidate>{general_html}'
            f"{r.blocks(p.get('blocks', []), values=view.values, errors=view.errors)}"
            f'<footer><button type="button" class="bk-button" data-modal-close="one" data-testid="modal-close">'
            f"{esc(close_text)}</button>{submit}</footer></form></div></div>"
        )

    def bot_status(self) -> str:
        """Render a banner when the bot cannot be reached or no request URL is set."""
        if not self.emulator.config.bot_events_url:
            text = "No bot request URL is configured: actions here are not sent to any bot."
        elif self.inbound.unreachable:
            text = self.inbound.unreachable
        else:
            return ""
        return f'<div class="banner" role="status" data-testid="bot-status">{esc(text)}</div>'

    # -- pages ---------------------------------------------------------------------------------

    def render_page(
        self, title: str, body: str, *, user: User | None = None, extra_header: str = ""
    ) -> web.Response:
        """Fill the page template."""
        cfg = self.emulator.config
        as_param = f"?as={esc(user.id)}" if user else ""
        clock = ""
        if cfg.clock_url:
            clock = (
                '<form id="clock" class="clock" data-testid="fast-forward">'
                '<label for="clock-step">Fast-forward the bot clock</label>'
                '<select id="clock-step"><option value="3600">1 hour</option>'
                '<option value="86400" selected>1 day</option><option value="604800">1 week</option></select>'
                '<button type="submit" class="bk-button">Fast-forward</button>'
                '<span id="clock-result" role="status"></span></form>'
            )
        page = self.template.substitute(
            title=esc(title),
            team=esc(cfg.team_name),
            picker=self.person_picker(user) if user else "",
            inbox_link=f"/ui/inbox{as_param}",
            errors_link=f"/ui/errors{as_param}",
            calls_link=f"/ui/calls{as_param}",
            inbox_count=len(self.state.emails),
            errors_count=len(self.state.notices),
            clock=clock,
            extra_header=extra_header,
            body=body,
            version=self.state.version,
        )
        return web.Response(text=page, content_type="text/html")

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
