"""The emulator's web UI, drawn: the sidebar, conversations, Home, modals and the page itself.

`emulator.ui.WorkspaceUI` serves these and takes the person's actions; this part only reads the
workspace and writes HTML (everything a person or the bot wrote is escaped).
"""

from __future__ import annotations

import json
import re
import string
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from emulator.inbound import InboundSender
from emulator.render import Renderer, esc
from emulator.state import ROLES, Channel, Ephemeral, Message, User, View, WorkspaceState

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


class WorkspacePages:
    """The HTML of the workspace UI, over `self.emulator`'s state (mixed into `WorkspaceUI`)."""

    emulator: Emulator
    state: WorkspaceState
    template: string.Template
    inbound: InboundSender

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
