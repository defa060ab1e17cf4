"""The arrow runs one way, dashboard -> analytics: ``analytics`` never imports Streamlit or the dashboard,
so the engine, the CLI and the weekly pack run in a bare Python shell."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("streamlit", "dashboard")
# Times the dashboard's pages through Streamlit's AppTest; imports it inside main(), never at import time.
USES_STREAMLIT = {"analytics.bench.pages"}


def analytics_modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "analytics").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":  # importing it would run a command
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def imported_names(path: Path) -> set[str]:
    """Every module an ``import`` names anywhere in the file, inside functions too (lazy imports)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_analytics_module_imports_streamlit_or_the_dashboard_even_lazily():
    offenders = {}
    for path in sorted((ROOT / "analytics").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        bad = sorted(n for n in imported_names(path) if n.split(".")[0] in FORBIDDEN)
        if bad and module not in USES_STREAMLIT:
            offenders[module] = bad
    assert not offenders


def test_importing_every_analytics_module_loads_neither_streamlit_nor_the_dashboard():
    modules = analytics_modules()
    assert len(modules) > 50 and "analytics.figures" in modules and "analytics.report" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
