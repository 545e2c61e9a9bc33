"""People's own words reach Slack escaped and email as they wrote them."""

from bot.messages import t
from bot.notifier import Button, OutgoingMessage, Section
from handlers.slack.blocks.message import build_message_blocks
from handlers.web.email_notifier import render_html, render_plain


def _message() -> OutgoingMessage:
    name = "Per <Pål> & Espen"
    return OutgoingMessage(
        text=t("join.welcome", "nb", network="Kull 2026", name=name),
        title=t("join.welcome", "nb", network="R&D", name="x")[:40],
        sections=(
            Section(
                text=t("join.welcome", "nb", network="Kull 2026", name=name),
                buttons=(
                    Button(
                        "a",
                        t("join.welcome", "nb", network="&", name="<")[:20],
                        url="https://x.no/r/1",
                    ),
                ),
            ),
        ),
    )


def test_slack_gets_escaped_mrkdwn_and_literal_plain_text() -> None:
    blocks = build_message_blocks(_message())
    header, section, actions = blocks[0], blocks[1], blocks[2]
    assert "&amp;" not in header["text"]["text"] and "R&D" in header["text"]["text"]
    assert "Per &lt;Pål&gt; &amp; Espen" in section["text"]["text"]
    assert "&amp;" not in actions["elements"][0]["text"]["text"]


def test_email_shows_what_people_wrote() -> None:
    plain = render_plain(_message())
    assert "Per <Pål> & Espen" in plain
    html_part = render_html(_message())
    assert "Per &lt;Pål&gt; &amp; Espen" in html_part  # HTML-escaped exactly once
    assert "&amp;lt;" not in html_part
