"""An SMTP sink on a local port: every mail the bot sends lands in the emulator's inbox.

It runs on the emulator's own event loop (no thread) and accepts any AUTH credentials, so an
`SMTP_URL` such as `smtp://user:pass@127.0.0.1:2525` works unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from emulator.state import Email, WorkspaceState

logger = logging.getLogger(__name__)


def parse_mail(raw: bytes) -> tuple[str, str | None, str | None]:
    """Return the subject, plain-text part and HTML part of a raw RFC 5322 message."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    subject = str(message.get("Subject", ""))
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    text = text_part.get_content() if text_part is not None else None
    html = html_part.get_content() if html_part is not None else None
    return subject, text, html


class _Handler:
    def __init__(self, state: WorkspaceState) -> None:
        self.state = state

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or (
            envelope.content if isinstance(envelope.content, bytes) else b""
        )
        try:
            subject, text, html = parse_mail(raw)
        except Exception:
            logger.exception("Failed to parse a received mail")
            subject, text, html = "(unparseable)", raw.decode(errors="replace"), None
        email = self.state.add_email(
            mail_from=str(envelope.mail_from or ""),
            to=[str(r) for r in envelope.rcpt_tos],
            subject=subject,
            text=text,
            html=html,
            raw=raw,
        )
        logger.debug("Received mail %s for %d recipients", email.id, len(email.to))
        return "250 Message accepted for delivery"


def _accept_any(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    return AuthResult(success=True)


class SmtpSink:
    """Receive mail on a local port into `WorkspaceState.emails`."""

    def __init__(self, state: WorkspaceState) -> None:
        self.state = state
        self.server: asyncio.Server | None = None
        self.port: int | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on `host:port` (0 picks a free port) and return the port."""
        handler = _Handler(self.state)
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SMTP(
                handler,
                hostname="cohortbot-emulator",
                auth_require_tls=False,
                authenticator=_accept_any,
                enable_SMTPUTF8=True,
            ),
            host=host,
            port=port,
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    def inbox(self, address: str | None = None) -> list[Email]:
        """Return received mails, optionally for one address."""
        return self.state.emails_to(address) if address else list(self.state.emails)
