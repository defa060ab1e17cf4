"""The project's SQL, one query per ``.sql`` file in this folder, named after what it returns.

Each file starts with a comment stating its grain. Queries take bound parameters (``$name``), never
string formatting.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent


@cache
def load(name: str) -> str:
    """The text of ``<name>.sql``; raises ``FileNotFoundError`` naming the file when it is missing."""
    path = _DIR / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def names() -> list[str]:
    return sorted(p.stem for p in _DIR.glob("*.sql"))
