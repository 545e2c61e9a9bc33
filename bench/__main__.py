"""`python -m bench` (and `make bench`): run every benchmark, each in its own process.

`python -m bench fanout report` runs only those. Results go to stdout; docs/benchmarks.md
records them with the exact commands.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ("report", "fanout", "matching", "whole_bot")


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    status = 0
    for name in names:
        print(f"== bench.{name} ==", flush=True)
        status |= subprocess.call([sys.executable, "-m", f"bench.{name}"])
    return status


if __name__ == "__main__":
    sys.exit(main())
