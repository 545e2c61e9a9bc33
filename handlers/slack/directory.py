"""The Slack directory adapter: every workspace member, read from `users.list` page by page.

`users.list` is Tier 2 (about 20 calls a minute) with up to 200 members a page, so even a large
workspace takes a few calls; `users.lookupByEmail` per person (Tier 3, about 50 a minute)
would take half an hour for a cohort. 429s are retried after Slack's Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.directory import DirectoryError, DirectoryUser

PAGE_SIZE = 200


def directory_user(member: dict[str, Any]) -> DirectoryUser | None:
    """A directory user from one `users.list` member; None for bots and Slackbot."""
    if member.get("is_bot") or member.get("id") == "USLACKBOT":
        return None
    email = (member.get("profile") or {}).get("email")
    return DirectoryUser(
        id=str(member["id"]),
        email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
        deleted=bool(member.get("deleted")),
        locale=member.get("locale"),
        tz=member.get("tz"),
        name=str(
            member.get("real_name")
            or (member.get("profile") or {}).get("real_name")
            or (member.get("profile") or {}).get("display_name")
            or member.get("name")
            or ""
        )
        or None,
    )


class SlackWebDirectory:
    """`SlackDirectory` over the Web API."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        page_size: int = PAGE_SIZE,
        on_page: Callable[[int], None] | None = None,
    ) -> None:
        self.client = client
        self.page_size = page_size
        self.on_page = on_page  # called with the number of members on each page read

    async def all_users(self) -> list[DirectoryUser]:
        """Everyone in the workspace, active and deactivated, without bots."""
        users: list[DirectoryUser] = []
        cursor: str | None = None
        while True:
            try:
                response = await self.client.users_list(
                    limit=self.page_size, cursor=cursor, include_locale=True
                )
            except SlackApiError as exc:
                error = exc.response.get("error", "unknown_error") if exc.response else "unknown"
                raise DirectoryError(
                    f"Slack refused users.list ({error}): check SLACK_BOT_TOKEN and that the app "
                    "has the users:read and users:read.email scopes"
                ) from None
            except Exception as exc:
                raise DirectoryError(
                    f"could not reach Slack for users.list ({type(exc).__name__}): "
                    "check SLACK_API_URL and the network"
                ) from None
            members = response.get("members") or []
            users.extend(u for u in map(directory_user, members) if u is not None)
            if self.on_page is not None:
                self.on_page(len(members))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return users

    async def user(self, user_id: str) -> DirectoryUser | None:
        """One member by Slack user id (`users.info`), or None if Slack does not know them."""
        try:
            response = await self.client.users_info(user=user_id, include_locale=True)
        except SlackApiError:
            return None  # user_not_found, or the scope is missing: treated as unknown
        member = response.get("user") or {}
        return directory_user(member) if member.get("id") else None

    async def user_by_email(self, email: str) -> DirectoryUser | None:
        """One member by email (`users.lookupByEmail`), or None."""
        try:
            response = await self.client.users_lookupByEmail(email=email)
        except SlackApiError:
            return None
        member = response.get("user") or {}
        return directory_user(member) if member.get("id") else None


def make_slack_directory(
    *, token: str, base_url: str, session: Any = None, on_page: Callable[[int], None] | None = None
) -> SlackWebDirectory:
    """A directory over a Web API client at `base_url` (Slack, the emulator or a test server).

    The client is the limited one every call outside the outbox uses: under a rate limiter,
    honouring `Retry-After` on 429 and retrying 5xx, bounded.
    """
    from bot.ratelimit import RateLimiter
    from handlers.slack.webclient import make_limited_client

    client = make_limited_client(
        token=token, base_url=base_url, limiter=RateLimiter(), session=session
    )
    return SlackWebDirectory(client, on_page=on_page)
