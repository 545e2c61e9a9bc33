"""The email transport against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.notifier import Button, OutgoingMessage, Section
from emulator.server import free_port
from handlers.web.email_notifier import EmailNotifier, render_html, render_plain

NUDGE = OutgoingMessage(
    text="Har dere snakket om oppgaven?",
    title="Nærmeste leder: oppgave 2",
    subject="Oppgave 2 – har dere snakket sammen?",
    sections=(
        Section(
            text="Kari har levert oppgave 2.\n\nHar dere snakket om den?",
            fields=(("Frist", "fredag 6. mars"),),
            buttons=(
                Button("nudge_done", "Ja, vi har snakket", url="https://bot.example/r/abc?x=1&y=2"),
                Button("nudge_later", "Ikke ennå", url="https://bot.example/r/def"),
            ),
        ),
    ),
    context="Du får denne fordi du er nærmeste leder for Kari <script>.",
)


class Sink:
    def __init__(self, refuse: int | None = None) -> None:
        self.messages: list[Message] = []
        self.refuse = refuse

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse:
            return f"{self.refuse} no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, Controller]]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller
    controller.stop()


async def test_sends_multipart_with_links(smtp: tuple[Sink, Controller]) -> None:
    sink, controller = smtp
    notifier = EmailNotifier(f"smtp://127.0.0.1:{controller.port}", "cohortbot <bot@example.no>")
    result = await notifier.send(target="leder@kommune.no", message=NUDGE)
    assert result.status == "sent" and result.ref
    [msg] = sink.messages
    assert msg["To"] == "leder@kommune.no"
    assert "Oppgave 2" in str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    types = [part.get_content_type() for part in msg.walk()]
    assert "text/plain" in types and "text/html" in types


async def test_refused_recipient_fails_deferred_retries(smtp: tuple[Sink, Controller]) -> None:
    sink, controller = smtp
    notifier = EmailNotifier(f"smtp://127.0.0.1:{controller.port}", "bot@example.no")
    sink.refuse = 550
    assert (await notifier.send(target="x@y.no", message=NUDGE)).status == "failed"
    sink.refuse = 450
    assert (await notifier.send(target="x@y.no", message=NUDGE)).status == "retry"


async def test_unreachable_server_is_a_retry() -> None:
    notifier = EmailNotifier(f"smtp://127.0.0.1:{free_port()}", "bot@example.no", timeout=2)
    result = await notifier.send(target="x@y.no", message=NUDGE)
    assert result.status == "retry"


def test_plain_text_lists_buttons_as_links() -> None:
    text = render_plain(NUDGE)
    assert "Ja, vi har snakket: https://bot.example/r/abc?x=1&y=2" in text
    assert "Frist: fredag 6. mars" in text


def test_html_is_escaped_and_phone_friendly() -> None:
    page = render_html(NUDGE)
    assert '<meta name="viewport"' in page and 'lang="nb"' in page
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert 'href="https://bot.example/r/abc?x=1&amp;y=2"' in page
    assert "max-width:600px" in page


def test_bad_url_is_refused() -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        EmailNotifier("http://example.no", "bot@example.no")
