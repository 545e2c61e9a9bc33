"""HTTP routes beside Slack's: one-click answer links under /r/ and the local-mode clock.

Each module in this package may define `add_routes(web_app, runtime)`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from aiohttp import web

from bot.runtime import Runtime


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    """Add every module's routes."""
    package = sys.modules[__name__]
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        add = getattr(module, "add_routes", None)
        if callable(add):
            add(web_app, runtime)
