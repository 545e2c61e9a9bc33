"""The email transport: line managers who are not in Slack answer nudges by one-click links.

Renders an OutgoingMessage as multipart plain text + HTML (single column, 16 px text, dark on
white, buttons as large labelled links) and sends it with aiosmtplib. `SMTP_URL` looks like
`smtp://user:pass@host:587` (STARTTLS when the server offers it), `smtps://…:465` (TLS) or
`smtp://localhost:1025` (a local sink).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import replace
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.notifier import OutgoingMessage, SendResult
from bot.pulse_links import has_placeholders, mint_links
from bot.settings import Settings, SettingsError
from bot.text import plain as unescape

logger = logging.getLogger(__name__)

TEXT_COLOUR = "#1a1a1a"
MUTED_COLOUR = "#4a4a4a"
BUTTON_COLOUR = "#0b4f8a"  # white text on this is 8.3:1, well above WCAG AA
DANGER_COLOUR = "#a32020"


def as_plain(message: OutgoingMessage) -> OutgoingMessage:
    """The message as plain text: people's words as written, references as names.

    The HTML part escapes all of it once; the text part shows it as it is."""
    return replace(
        message,
        text=unescape(message.text),
        title=unescape(message.title) if message.title else message.title,
        context=unescape(message.context) if message.context else message.context,
        subject=unescape(message.subject) if message.subject else message.subject,
        sections=tuple(
            replace(
                section,
                text=unescape(section.text),
                fields=tuple((unescape(k), unescape(v)) for k, v in section.fields),
                buttons=tuple(replace(b, label=unescape(b.label)) for b in section.buttons),
            )
            for section in message.sections
        ),
    )


def render_plain(message: OutgoingMessage) -> str:
    """The plain-text part."""
    message = as_plain(message)
    lines: list[str] = []
    if message.title:
        lines += [message.title, "=" * min(len(message.title), 60), ""]
    if not message.sections and message.text:
        lines += [message.text, ""]
    for section in message.sections:
        if section.text:
            lines += [section.text, ""]
        for label, value in section.fields:
            lines.append(f"{label}: {value}")
        if section.fields:
            lines.append("")
        for button in section.buttons:
            if button.url:
                lines.append(f"{button.label}: {button.url}")
        if any(b.url for b in section.buttons):
            lines.append("")
    if message.context:
        lines += ["--", message.context]
    return "\n".join(lines).rstrip() + "\n"


def _paragraphs(text: str) -> str:
    return "".join(
        f'<p style="margin:0 0 16px 0;">{html.escape(p).replace(chr(10), "<br>")}</p>'
        for p in text.split("\n\n")
        if p.strip()
    )


def render_html(message: OutgoingMessage) -> str:
    """The HTML part: readable on a phone, good contrast, no images or remote content."""
    message = as_plain(message)
    parts: list[str] = []
    if message.title:
        parts.append(
            f'<h1 style="font-size:22px;line-height:1.3;margin:0 0 16px 0;color:{TEXT_COLOUR};">'
            f"{html.escape(message.title)}</h1>"
        )
    if not message.sections and message.text:
        parts.append(_paragraphs(message.text))
    for section in message.sections:
        if section.text and section.buttons and "\n" not in section.text.strip():
            # A one-line text over links is their heading (e.g. one participant of several in
            # a manager's nudge): a real heading lets screen-reader users jump between them.
            parts.append(
                f'<h2 style="font-size:18px;line-height:1.3;margin:24px 0 12px 0;'
                f'color:{TEXT_COLOUR};">{html.escape(section.text.strip())}</h2>'
            )
        elif section.text:
            parts.append(_paragraphs(section.text))
        if section.fields:
            rows = "".join(
                f'<tr><td style="padding:4px 12px 4px 0;font-weight:bold;vertical-align:top;">'
                f"{html.escape(label)}</td>"
                f'<td style="padding:4px 0;">{html.escape(value)}</td></tr>'
                for label, value in section.fields
            )
            parts.append(f'<table role="presentation" style="margin:0 0 16px 0;">{rows}</table>')
        for button in section.buttons:
            if not button.url:
                continue
            colour = DANGER_COLOUR if button.style == "danger" else BUTTON_COLOUR
            parts.append(
                f'<p style="margin:0 0 12px 0;"><a href="{html.escape(button.url, quote=True)}" '
                f'style="display:inline-block;padding:12px 20px;background:{colour};'
                f'color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold;">'
                f"{html.escape(button.label)}</a></p>"
            )
    if message.context:
        parts.append(
            f'<p style="margin:24px 0 0 0;font-size:14px;color:{MUTED_COLOUR};">'
            f"{html.escape(message.context)}</p>"
        )
    lang = "nb" if message.locale == "nb" else "en"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(message.subject or message.title or '')}</title></head>"
        '<body style="margin:0;padding:0;background:#ffffff;">'
        f'<div style="max-width:600px;margin:0 auto;padding:24px 16px;font-family:Arial,'
        f'Helvetica,sans-serif;font-size:16px;line-height:1.5;color:{TEXT_COLOUR};">'
        + "".join(parts)
        + "</div></body></html>"
    )


def build_email(message: OutgoingMessage, *, sender: str, to: str) -> EmailMessage:
    """The MIME message for `to`."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = to
    email["Subject"] = message.subject or message.title or message.text[:78]
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "localhost"
    email["Message-ID"] = make_msgid(domain=domain)
    email.set_content(render_plain(message))
    email.add_alternative(render_html(message), subtype="html")
    return email


class EmailNotifier:
    """Sends OutgoingMessages by SMTP."""

    transport = "email"

    def __init__(
        self,
        smtp_url: str,
        sender: str,
        *,
        timeout: float = 30,
        links: Callable[[OutgoingMessage], OutgoingMessage] | None = None,
    ) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL: expected smtp://user:pass@host:587 or smtps://host:465")
        self.hostname = parts.hostname
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout
        # Turns stored link placeholders into real links as the mail goes (bot.pulse_links):
        # those tokens are in the mailbox only, never in the database.
        self.links = links

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> EmailNotifier:
        """The email transport of these settings, minting answer links with its secret key."""
        try:
            key = settings.signing_key
        except SettingsError:
            key = None  # no key (a local sink, a test): answer links cannot be made, and say so
        base_url = settings.base_url
        links = None if key is None else (lambda m: mint_links(m, key=key, base_url=base_url))
        return cls(settings.smtp_url or "", settings.smtp_from, links=links, **kw)

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        if self.links is not None:
            message = self.links(message)
        elif has_placeholders(message):
            return SendResult("failed", error="answer links cannot be made (no secret key)")
        email = build_email(message, sender=self.sender, to=target)
        try:
            await aiosmtplib.send(
                email,
                hostname=self.hostname,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=None if not self.use_tls else False,  # None: STARTTLS if offered
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if any(400 <= c < 500 for c in codes):
                return SendResult("retry", error=f"recipient deferred ({codes[0]})")
            return SendResult("failed", error=f"recipient refused ({codes[0] if codes else '?'})")
        except aiosmtplib.SMTPAuthenticationError as exc:
            return SendResult("paused", error=f"SMTP authentication failed ({exc.code})")
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                return SendResult("retry", error=f"SMTP {exc.code}")
            return SendResult("failed", error=f"SMTP {exc.code}: {exc.message[:200]}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return SendResult("retry", error=f"SMTP connection: {type(exc).__name__}")
        return SendResult("sent", ref=str(email["Message-ID"]).strip("<>")[:64])
