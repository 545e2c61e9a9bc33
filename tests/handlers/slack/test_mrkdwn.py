"""The Slack edge renders neutral text once more, whatever path a payload takes."""

from __future__ import annotations

import json

from bot.messages import t
from bot.text import has_markers, words
from handlers.slack.mrkdwn import RenderingAck, escape_people, mrkdwn, render_api_args

POISON = "<!channel> @here *fet* <https://evil.invalid|klikk her>"


def test_people_words_in_every_web_api_argument_are_rendered() -> None:
    marked = t("pulse.results.title", "nb", title=POISON)
    args = render_api_args(
        {
            "channel": "C1",
            "text": marked,
            "initial_comment": marked,
            "title": marked,
            "files": [{"id": "F1", "title": marked}],
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": marked}}],
        }
    )
    assert not has_markers(json.dumps(args, ensure_ascii=False))
    for key in ("text", "initial_comment"):
        assert "<!channel>" not in args[key] and "&lt;!channel&gt;" in args[key]
    assert args["title"] == args["files"][0]["title"]  # plain: shown literally
    assert args["blocks"][0]["text"]["text"] == args["text"]


def test_rendering_is_idempotent() -> None:
    once = mrkdwn(words(POISON))
    assert mrkdwn(once) == once
    assert escape_people(POISON).count("@\u2060here") == 1


async def test_acks_are_rendered() -> None:
    ack = RenderingAck()
    response = await ack(response_action="errors", errors={"bio": words(POISON)})
    body = json.loads(response.body)
    assert body["errors"]["bio"] == POISON  # plain_text: as written, no markers
