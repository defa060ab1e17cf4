"""``python -m analytics evaluate --variants [NAME,...]``: detection on each messy sample marketplace.

Each named generator variant (``analytics/generator/variants.py``) is built in a folder of its own
(temporary unless ``--keep DIR``): generated, ingested, scored weekly over the last K weeks (8 by
default) and evaluated against its labels with ``analytics.evaluate.evaluate``. One row each:

    variant   sellers insiders  AP    recall  benign  unlab.  delay  per scenario (flagged/buyers)

``default`` is the demo's mix; every other row is the plain generator plus that one variant. ``rare``
is built at ten times the sellers asked for, so that its 0.5 % of buyers still makes about 15 a
scenario. The sizes and the seed are options; the same ones give the same marketplaces.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analytics.generator.variants import DEFAULT, SIZE_FACTOR, VARIANTS

ALL = ("default",) + VARIANTS
# Short names for the per-scenario column, in this order.
SHORT = {"review_wipe": "wipe", "harvested_reviewers": "harvest", "competitor_sabotage": "sabotage",
         "bought_reinstatement": "reinstate", "sales_intel": "intel", "sales_intel_unlogged": "unlogged"}


@dataclass
class VariantResult:
    name: str
    sellers: int
    insiders: int
    evaluation: object          # analytics.evaluate.Evaluation
    seconds: float


def parse_names(spec: str | None) -> list[str]:
    """``None``/``"all"``: every row; else a comma-separated list of ``default``, ``plain`` and the
    variant names (``lags+slow`` builds one marketplace with both)."""
    if spec is None or spec.strip().lower() == "all":
        return list(ALL)
    names = [n.strip().lower() for n in spec.split(",") if n.strip()]
    for name in names:
        for part in name.split("+"):
            if part not in ALL and part != "plain":
                raise ValueError(f"unknown variant {part!r}: choose from all, plain, {', '.join(ALL)}")
    return names


def size_for(name: str, sellers: int) -> int:
    factor = max((SIZE_FACTOR.get(part, 1) for part in name.split("+")), default=1)
    return sellers * factor


def run_variant(name: str, folder: Path, *, sellers: int, seed: int, days: int, weeks: int,
                log=None) -> VariantResult:
    """Generate, ingest, score weekly and evaluate one variant in ``folder`` (made empty first)."""
    from analytics.evaluate import evaluate
    from analytics.generator import generate
    from analytics.ingest import ingest
    from analytics.scoring import score

    started = time.perf_counter()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    size = size_for(name, sellers)
    market = generate(folder, sellers=size, days=days, seed=seed, variants=name.replace("+", ","))
    if log:
        log(f"{name}: generated {size:,} sellers in {market.seconds:.0f} s")
    db = folder / "market.duckdb"
    ingest(market.export_dir, db=db, progress=False)
    if weeks <= 0:
        score(db=db)
    result = evaluate(db=db, labels=market.labels_path, weeks=weeks)
    insiders = sum(n for s, n in market.scenarios.items() if not s.startswith("benign_"))
    seconds = time.perf_counter() - started
    if log:
        log(f"{name}: scored and evaluated in {seconds:.0f} s")
    return VariantResult(name, size, insiders, result, seconds)


def run_variants(names: list[str] | None = None, *, sellers: int = 1500, seed: int = 7, days: int = 365,
                 weeks: int = 8, keep: Path | None = None, log=None) -> list[VariantResult]:
    results = []
    for name in names or list(ALL):
        if keep is not None:
            results.append(run_variant(name, Path(keep) / name, sellers=sellers, seed=seed, days=days,
                                       weeks=weeks, log=log))
            continue
        with tempfile.TemporaryDirectory(prefix=f"variant-{name}-") as tmp:
            results.append(run_variant(name, Path(tmp), sellers=sellers, seed=seed, days=days, weeks=weeks,
                                       log=log))
    return results


def _per_scenario(per_scenario: pd.DataFrame) -> str:
    rows = {r.scenario: r for r in per_scenario.itertuples()}
    parts = [f"{short} {int(rows[s].flagged)}/{int(rows[s].sellers)}" for s, short in SHORT.items() if s in rows]
    return "  ".join(parts)


def format_results(results: list[VariantResult], *, seed: int, weeks: int) -> str:
    def pct(x: float, digits: int) -> str:
        return "-" if pd.isna(x) else f"{100 * x:.{digits}f}%"

    header = (f"{'variant':<10}{'sellers':>8}{'insiders':>9}{'AP':>7}{'recall':>8}{'benign':>8}{'unlab.':>8}"
              f"{'delay':>7}  per scenario: flagged/buyers")
    lines = [f"generator variants, seed {seed}, {weeks} weekly runs each "
             f"(default = {', '.join(DEFAULT)}; others = plain + that one)", header]
    for r in results:
        e = r.evaluation
        delay = "-" if pd.isna(e.median_delay_days) else f"{e.median_delay_days:.0f} d"
        ap = "-" if pd.isna(e.average_precision) else f"{e.average_precision:.3f}"
        recall = "-" if pd.isna(e.recall_flagged) else f"{e.recall_flagged:.3f}"
        lines.append(f"{r.name:<10}{r.sellers:>8,}{r.insiders:>9}{ap:>7}{recall:>8}"
                     f"{pct(e.benign_flagged_share, 1):>8}{pct(e.unlabelled_flagged_share, 2):>8}{delay:>7}  "
                     f"{_per_scenario(e.per_scenario)}")
    lines.append("AP: average precision, insiders vs everyone else; recall: insiders flagged; benign, unlab.: "
                 "look-alikes and unlabelled sellers flagged; delay: median days from onset to the first "
                 "weekly flag (latest run for the rest)")
    return "\n".join(lines)


def variants_command(spec: str | None = None, *, sellers: int = 1500, seed: int = 7, days: int = 365,
                     weeks: int = 8, keep: Path | None = None) -> None:
    names = parse_names(spec)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    results = run_variants(names, sellers=sellers, seed=seed, days=days, weeks=weeks, keep=keep, log=log)
    print(format_results(results, seed=seed, weeks=weeks))
