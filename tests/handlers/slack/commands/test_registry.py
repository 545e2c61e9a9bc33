"""Every /cohort subcommand is in the help, staff ones in the staff part, in both languages."""

from __future__ import annotations

import importlib
import pkgutil

import handlers.slack.commands as commands_package
from bot.messages import CATALOGUE
from handlers.slack.commands.registry import SUBCOMMANDS, split_command


def _load_all() -> None:
    for info in pkgutil.iter_modules(commands_package.__path__):
        importlib.import_module(f"{commands_package.__name__}.{info.name}")


def test_help_lists_every_subcommand_in_its_part() -> None:
    _load_all()
    names = {sub.name: sub.staff_only for sub in SUBCOMMANDS.values()}
    for lang in ("nb", "en"):
        everyone = CATALOGUE["help.everyone"][lang]
        staff = CATALOGUE["help.staff"][lang]
        evaluator = CATALOGUE["help.evaluator"][lang]
        for name, staff_only in names.items():
            if name == "results":
                # Staff get the full results, the Directorate's evaluators the aggregates only.
                assert "/cohort results" in staff and "/cohort results" in evaluator
                continue
            part = staff if staff_only else everyone
            assert f"/cohort {name}" in part, f"/cohort {name} missing from help ({lang})"


def test_split_command() -> None:
    assert split_command("") == ("help", "")
    assert split_command("  Assignments   bergen nord ") == ("assignments", "bergen nord")
