"""Print the part of requirements.lock the bot needs at run time, hashes and all.

requirements.lock pins the dev tools too (pytest, ruff, mypy, playwright, …). The Docker image
installs only what `[project.dependencies]` reaches: the lock's `# via` lines give each pin's
parents, so the runtime set is the project's dependencies and everything they pull in. Pins and
hashes are copied as they are, so the image gets exactly the versions the tests ran with; if a
runtime package were missing, `pip install --require-hashes` would refuse to guess one.

    python scripts/runtime-requirements.py [requirements.lock] [pyproject.toml] > runtime.lock
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> dict[str, tuple[str, set[str]]]:
    """Each pinned package: its block of lines, and the names it is required `via`."""
    entries: dict[str, tuple[str, set[str]]] = {}
    current: str | None = None
    lines: list[str] = []
    parents: set[str] = set()
    in_via = False

    def close() -> None:
        if current is not None:
            entries[current] = ("".join(lines), parents)

    for line in text.splitlines(keepends=True):
        if line and not line[0].isspace() and not line.startswith("#"):
            close()
            match = _NAME.match(line)
            assert match, line
            current, lines, parents, in_via = canonical(match.group(1)), [line], set(), False
            continue
        if current is None:
            continue
        stripped = line.strip()
        if stripped.startswith("--hash") or stripped.endswith("\\"):
            lines.append(line)
        elif stripped.startswith("# via"):
            in_via = True
            rest = stripped.removeprefix("# via").strip()
            if rest:
                parents.add(rest)
        elif in_via and stripped.startswith("#"):
            parents.add(stripped.lstrip("#").strip())
    close()
    return {
        name: (block, {canonical(_NAME.match(p).group(1)) for p in via if _NAME.match(p)})  # type: ignore[union-attr]
        for name, (block, via) in entries.items()
    }


def runtime_names(pyproject: dict[str, object], lock: dict[str, tuple[str, set[str]]]) -> set[str]:
    """The project's dependencies and every pin reached only through them."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    roots = {canonical(_NAME.match(d).group(1)) for d in project["dependencies"]}  # type: ignore[union-attr]
    wanted = set(roots)
    changed = True
    while changed:
        changed = False
        for name, (_, parents) in lock.items():
            if name not in wanted and parents & wanted:
                wanted.add(name)
                changed = True
    return wanted & set(lock)


def main(argv: list[str]) -> int:
    lock_path = Path(argv[1] if len(argv) > 1 else "requirements.lock")
    pyproject_path = Path(argv[2] if len(argv) > 2 else "pyproject.toml")
    lock = parse_lock(lock_path.read_text(encoding="utf-8"))
    pyproject = tomllib.loads(pyproject_path.read_text(encoding="utf-8"))
    names = runtime_names(pyproject, lock)
    sys.stdout.write(f"# The run-time part of {lock_path.name} (scripts/runtime-requirements.py)\n")
    for name in sorted(names):
        sys.stdout.write(lock[name][0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
