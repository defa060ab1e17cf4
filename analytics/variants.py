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

import argparse
import pickle
import resource
import shutil
import subprocess
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


MAX_MEMORY_GB = 10  # per variant's child process: a runaway one fails its row, not the machine


@dataclass
class VariantResult:
    name: str
    sellers: int
    insiders: int
    evaluation: object          # analytics.evaluate.Evaluation; None when the variant failed
    seconds: float
    error: str = ""             # why it failed


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


def run_isolated(name: str, folder: Path, *, sellers: int, seed: int, days: int, weeks: int,
                 max_memory_gb: float = MAX_MEMORY_GB) -> VariantResult:
    """``run_variant`` in a child process whose address space is capped at ``max_memory_gb``: what
    it allocates goes back to the system when it ends, and a variant that outgrows the cap fails
    its own row instead of the machine (its progress lines go to standard error)."""
    folder.mkdir(parents=True, exist_ok=True)
    result_file = folder.parent / f".{folder.name}.result.pickle"
    result_file.unlink(missing_ok=True)
    limit = int(max_memory_gb * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-m", "analytics.variants", name, str(folder), str(result_file), "--sellers", str(sellers),
         "--seed", str(seed), "--days", str(days), "--weeks", str(weeks)],
        stdout=subprocess.PIPE, text=True, preexec_fn=cap, check=False)
    seconds = time.perf_counter() - started
    if child.returncode == 0 and result_file.exists():
        result = pickle.loads(result_file.read_bytes())
        result_file.unlink()
        return result
    reason = (child.stdout.strip().splitlines() or [""])[-1]
    if child.returncode < 0:
        reason = f"killed by signal {-child.returncode}" + (f" ({reason})" if reason else "")
    return VariantResult(name, size_for(name, sellers), 0, None, seconds,
                         error=reason or f"exit status {child.returncode}")


def run_variants(names: list[str] | None = None, *, sellers: int = 1500, seed: int = 7, days: int = 365,
                 weeks: int = 8, keep: Path | None = None, log=None,
                 max_memory_gb: float = MAX_MEMORY_GB) -> list[VariantResult]:
    """Each variant in turn, in ``keep/<name>/`` or a temporary folder, each in a child process with its
    memory capped (see ``run_isolated``)."""
    results = []
    for name in names or list(ALL):
        with tempfile.TemporaryDirectory(prefix=f"variant-{name}-") as tmp:
            folder = Path(keep) / name if keep is not None else Path(tmp) / name
            result = run_isolated(name, folder, sellers=sellers, seed=seed, days=days, weeks=weeks,
                                  max_memory_gb=max_memory_gb)
            if log and result.error:
                log(f"{name}: failed: {result.error}")
            results.append(result)
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
        if e is None:
            lines.append(f"{r.name:<10}{r.sellers:>8,}  failed after {r.seconds:.0f} s: {r.error}")
            continue
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
                     weeks: int = 8, keep: Path | None = None, max_memory_gb: float = MAX_MEMORY_GB) -> None:
    names = parse_names(spec)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    results = run_variants(names, sellers=sellers, seed=seed, days=days, weeks=weeks, keep=keep, log=log,
                           max_memory_gb=max_memory_gb)
    print(format_results(results, seed=seed, weeks=weeks))


def _child(argv: list[str] | None = None) -> int:
    """The child process of ``run_isolated``: one variant, its result pickled to a file; on failure,
    the reason as the last line of standard output."""
    parser = argparse.ArgumentParser(prog="python -m analytics.variants")
    parser.add_argument("name")
    parser.add_argument("folder", type=Path)
    parser.add_argument("result", type=Path)
    for option in ("--sellers", "--seed", "--days", "--weeks"):
        parser.add_argument(option, type=int, required=True)
    args = parser.parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    try:
        result = run_variant(args.name, args.folder, sellers=args.sellers, seed=args.seed, days=args.days,
                             weeks=args.weeks, log=log)
    except MemoryError as exc:
        print(f"out of memory under the child's cap: {' '.join(str(exc).split())[:200]}")
        return 1
    except Exception as exc:  # noqa: BLE001 - any failure becomes this variant's row
        print(f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        return 1
    args.result.write_bytes(pickle.dumps(result))
    return 0


if __name__ == "__main__":
    # Through the imported module, so that the pickled result's classes are analytics.variants's.
    from analytics.variants import _child as child

    raise SystemExit(child())
