"""``python -m analytics.bench NAME [options]``: run the benchmark in ``analytics/bench/NAME.py``."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import analytics.bench as package


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = available()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in names:
        usage = f"usage: python -m analytics.bench {{{','.join(names)}}} [options]"
        if argv and argv[0] not in ("-h", "--help"):
            print(f"{usage}\nerror: no benchmark named {argv[0]!r}", file=sys.stderr)
            return 2
        print(usage)
        return 0 if argv else 2
    module = importlib.import_module(f"analytics.bench.{argv[0]}")
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
