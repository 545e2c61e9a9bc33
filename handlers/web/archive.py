"""`GET /archive/{token}`: an archive file through its signed, short-lived link.

Opening the link only reads (a mail scanner or link preview fetching it changes nothing but
the audit log of a staff read). The file is sent as an attachment with its safe name, never
rendered by the browser (`nosniff`, a sandboxing CSP), so a hostile file cannot run as a page
on the bot's origin. Bad links get 400, expired 410, withdrawn or no longer visible 404.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from bot.archive import store_for
from bot.archive.downloads import DownloadError, open_download
from bot.messages import t
from bot.runtime import Runtime
from handlers.web.links import HEADERS, render_page

logger = logging.getLogger(__name__)

FILE_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


KEYS = {"tampered": "archive.download.tampered", "expired": "archive.download.expired"}


def _ascii_name(name: str) -> str:
    kept = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name)
    return kept or "file"


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    """Serve archive downloads on `web_app`."""

    async def download(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            found = await open_download(
                runtime.db,
                store_for(runtime.settings),
                runtime.settings,
                token=token,
                now=runtime.clock.now(),
            )
        except DownloadError as exc:
            key = KEYS.get(exc.kind, "archive.download.gone")
            # nb first, en second: the link tells us nothing trustworthy about the reader.
            page = render_page(locale="nb", title=t(key, "nb"), paragraphs=[t(key, "en")])
            return web.Response(
                status=exc.http_status, text=page, content_type="text/html", headers=HEADERS
            )
        disposition = (
            f'attachment; filename="{_ascii_name(found.name)}"; '
            f"filename*=UTF-8''{quote(found.name, safe='')}"
        )
        return web.Response(
            body=found.data,
            content_type=found.content_type,
            headers={**FILE_HEADERS, "Content-Disposition": disposition},
        )

    web_app.router.add_get("/archive/{token}", download, allow_head=True)
