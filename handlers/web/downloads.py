"""`GET /files/{token}`: a rendered report behind a download link (sent to staff in Teams).

The token is a capability (bot.downloads); opening it changes nothing but the audit log. An
unknown link gets 404, an expired one 410, both with a short page in bokmål and English.
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.downloads import open_download
from bot.messages import t
from bot.runtime import Runtime
from handlers.web.links import HEADERS, render_page

SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def _refusal(status: int, kind: str) -> web.Response:
    return web.Response(
        status=status,
        text=render_page(
            locale="nb",
            title=f"{t(f'download.{kind}.title', 'nb')} / {t(f'download.{kind}.title', 'en')}",
            paragraphs=[t(f"download.{kind}.text", "nb"), t(f"download.{kind}.text", "en")],
        ),
        content_type="text/html",
        charset="utf-8",
        headers=HEADERS,
    )


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    async def download(request: web.Request) -> web.Response:
        token = request.match_info.get("token", "")
        async with runtime.db.transaction() as session:
            found = await open_download(session, token=token, now=runtime.clock.now())
        if found == "expired":
            return _refusal(410, "expired")
        if isinstance(found, str):
            return _refusal(404, "unknown")
        filename = SAFE_FILENAME.sub("_", found.filename) or "rapport"
        return web.Response(
            body=found.content,
            headers={
                "Content-Type": found.content_type,
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
                "X-Robots-Tag": "noindex",
                "X-Content-Type-Options": "nosniff",
            },
        )

    web_app.router.add_get("/files/{token}", download, allow_head=False)
