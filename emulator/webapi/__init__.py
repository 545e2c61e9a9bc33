"""The Slack Web API subset the bot calls, served under `/api/{method}`.

Requests are accepted as Slack accepts them: query string, form-encoded or JSON bodies, with the
token in `Authorization: Bearer …` or a `token` parameter. Errors are HTTP 200 with
`{"ok": false, "error": …}`, except rate limits (429 + Retry-After) and injected 5xx faults.
"""

from __future__ import annotations

from typing import ClassVar

from emulator.webapi.chat import ChatMethods
from emulator.webapi.conversations import ConversationMethods
from emulator.webapi.core import (
    Call,
    Handler,
    Hold,
    SlackError,
    WebApiCore,
    decode_cursor,
    encode_cursor,
    paginate,
)
from emulator.webapi.files import FileMethods
from emulator.webapi.users import UserMethods
from emulator.webapi.views import ViewMethods

__all__ = [
    "Call",
    "Handler",
    "Hold",
    "SlackError",
    "WebApi",
    "decode_cursor",
    "encode_cursor",
    "paginate",
]


class WebApi(ChatMethods, ConversationMethods, UserMethods, ViewMethods, FileMethods):
    """Serve the Web API against a `WorkspaceState`."""

    METHOD_ATTRS: ClassVar[dict[str, str]] = (
        WebApiCore.METHOD_ATTRS
        | ChatMethods.METHOD_ATTRS
        | ConversationMethods.METHOD_ATTRS
        | UserMethods.METHOD_ATTRS
        | ViewMethods.METHOD_ATTRS
        | FileMethods.METHOD_ATTRS
    )
