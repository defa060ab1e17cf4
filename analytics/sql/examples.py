"""The gallery: example queries that answer real questions, one ``examples/<slug>.sql`` file each.

A file opens with comment lines: the first is the question (the title), the rest say what the
rows are and how to read them. The whole file, comments included, goes into the editor.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent / "examples"


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    description: str
    sql: str


def _parse(path: Path) -> Example:
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line.removeprefix("--").strip())
    if not header or not header[0]:
        raise ValueError(f"{path}: an example must open with a `-- question` comment line")
    return Example(slug=path.stem, title=header[0], description=" ".join(header[1:]).strip(), sql=text)


@cache
def gallery() -> tuple[Example, ...]:
    """Every example, in file-name order."""
    return tuple(_parse(p) for p in sorted(_DIR.glob("*.sql")))


def by_slug(slug: str) -> Example | None:
    return next((e for e in gallery() if e.slug == slug), None)
