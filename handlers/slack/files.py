"""Fetch a file a person shared in a Slack modal (file_input), within a size limit.

The URL comes from `files.info` (Slack's answer, not the payload a client sent), and is fetched
only from Slack's file host or the configured API's host (the local workspace), with the bot
token: a forged submission cannot make the bot fetch other addresses.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.archive.files import Upload
from bot.settings import Settings

SLACK_FILE_HOSTS = frozenset({"files.slack.com"})


class FileFetchError(Exception):
    """The file could not be fetched (gone, not allowed, too large: `too_big`)."""


def _allowed(url: str, settings: Settings) -> bool:
    parts = urlsplit(url)
    api = urlsplit(settings.slack_api_url)
    if parts.hostname in SLACK_FILE_HOSTS and parts.scheme == "https":
        return True
    return (parts.scheme, parts.netloc) == (api.scheme, api.netloc)


async def fetch_shared_file(
    client: AsyncWebClient,
    http: aiohttp.ClientSession | None,
    settings: Settings,
    *,
    file_id: str,
    limit: int,
) -> Upload:
    """The file's name and bytes; `FileFetchError("too_big")` past `limit` bytes."""
    info = await client.files_info(file=file_id)
    file = info.get("file") or {}
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    name = str(file.get("name") or "file")
    if not url or not _allowed(url, settings):
        raise FileFetchError("not allowed")
    if int(file.get("size") or 0) > limit:
        raise FileFetchError("too_big")
    own = http is None
    session = http or aiohttp.ClientSession()
    try:
        headers = {"Authorization": f"Bearer {client.token}"}
        timeout = aiohttp.ClientTimeout(total=120)
        async with session.get(url, headers=headers, timeout=timeout, allow_redirects=False) as r:
            if r.status != 200:
                raise FileFetchError(f"status {r.status}")
            data = await r.content.read(limit + 1)
    except aiohttp.ClientError as exc:
        raise FileFetchError(type(exc).__name__) from exc
    finally:
        if own:
            await session.close()
    if len(data) > limit:
        raise FileFetchError("too_big")
    return Upload(name, data)
