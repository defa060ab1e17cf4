"""``python -m analytics demo``: generate the sample marketplace, ingest it and score it."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
from pathlib import Path

from analytics import store

WEEKLY_RUNS_BEFORE = (2, 1)  # weeks before the last day that the demo also scores


def build_demo(*, db: Path | str | None = None, sellers: int = 1500, seed: int = 7, days: int = 365,
               out: Path | None = None, log=print, variants="default") -> Path:
    """Build a demo marketplace database from scratch and return its path.

    The export goes to ``out/export/`` and the ground-truth labels to ``out/labels.csv``, outside the
    export folder, so nothing the engine reads can see them. ``variants``: how messy the marketplace
    is (``analytics.generator.variants``; the default mix unless told).
    """
    from analytics.generator import generate, parse
    from analytics.ingest import ingest
    from analytics.scoring import score

    mess = parse(variants)
    db_path = store.resolve(db)
    out_dir = Path(out) if out else store.DEMO_DIR
    started = time.perf_counter()
    log(f"generating {sellers:,} sellers x {days} days (seed {seed}, variant {mess.label}) into {out_dir}/export")
    export_dir = out_dir / "export"
    if export_dir.exists():
        shutil.rmtree(export_dir)
    generate(out_dir, sellers=sellers, days=days, seed=seed, variants=mess)
    log(f"generated in {time.perf_counter() - started:.1f} s")

    # A demo is built from scratch (a previous demo database would merge with the new export), in a
    # staging file that replaces the live one only once it is complete.
    staging = db_path.with_name(db_path.name + ".building")
    leftovers = [staging.with_name(staging.name + suffix) for suffix in ("", ".wal", ".lock")]
    with store.writer_lock(db_path):
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        try:
            ingest(export_dir, db=staging)
            # The two previous weekly runs too, so "newly flagged" and the week pages mean something.
            with store.connect_read_only(staging) as con:
                last_day = con.execute('select max("date") from product_daily').fetchone()[0]
            for weeks_back in WEEKLY_RUNS_BEFORE:
                score(db=staging, as_of=last_day - dt.timedelta(days=7 * weeks_back))
            score(db=staging)
            staging.replace(db_path)
        finally:
            for leftover in leftovers:
                leftover.unlink(missing_ok=True)
    log(f"demo database ready at {db_path} in {time.perf_counter() - started:.1f} s "
        f"(labels: {out_dir / 'labels.csv'})")
    return db_path


def demo_command(*, db=None, sellers: int = 1500, seed: int = 7, days: int = 365, out=None,
                 variants="default") -> None:
    build_demo(db=db, sellers=sellers, seed=seed, days=days, out=out, variants=variants,
               log=lambda msg: print(msg, file=sys.stderr))
