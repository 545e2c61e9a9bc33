"""Register every listener module in a surface package: one file per listener, no central list."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime


def register_package(package: ModuleType, app: AsyncApp, runtime: Runtime) -> None:
    """Import each module of `package` and call its `register(app, runtime)` if it has one."""
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app, runtime)
