"""The emulator's users.info, users.lookupByEmail, users.list."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from emulator.webapi.core import Call, SlackError, WebApiCore, paginate


class UserMethods(WebApiCore):
    """users.info, users.lookupByEmail, users.list."""

    METHOD_ATTRS: ClassVar[dict[str, str]] = {
        "users.info": "users_info",
        "users.lookupByEmail": "users_lookup_by_email",
        "users.list": "users_list",
    }

    async def users_info(self, call: Call) -> dict[str, Any]:
        """Describe a person."""
        user = self._user(call.get("user"))
        call.notes["user"] = user.id
        return {
            "user": user.to_slack(self.config.team_id, include_locale=call.flag("include_locale"))
        }

    async def users_lookup_by_email(self, call: Call) -> dict[str, Any]:
        """Find a person by email."""
        email = call.get("email")
        if not email:
            raise SlackError("invalid_arguments")
        user = self.state.user_by_email(str(email))
        if user is None:
            raise SlackError("users_not_found")
        return {"user": user.to_slack(self.config.team_id)}

    async def users_list(self, call: Call) -> dict[str, Any]:
        """List everyone in the workspace, a page at a time."""
        users = list(self.state.users.values())
        page, cursor = paginate(users, call, default_limit=1000, max_limit=1000)
        include_locale = call.flag("include_locale")
        return {
            "members": [
                u.to_slack(self.config.team_id, include_locale=include_locale) for u in page
            ],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }
