"""``python -m analytics.generator OUT [--sellers N] [--days D] [--seed S] [--light] [--variant NAME[,NAME]]``

Writes a sample marketplace to OUT/export and OUT/labels.csv, then prints what it wrote, how long it
took and the peak memory (for sizing benchmark runs; the demo command calls ``generate`` directly).
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path

from analytics.generator import VARIANTS, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.generator", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, metavar="OUT")
    parser.add_argument("--sellers", type=int, default=1500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--light", action="store_true", help="fewer products per seller, Parquet only")
    parser.add_argument("--variant", default="default", metavar="NAME[,NAME]",
                        help=f"default, plain, or any of {', '.join(VARIANTS)} (comma-separated)")
    args = parser.parse_args(argv)
    market = generate(args.out, sellers=args.sellers, days=args.days, seed=args.seed, light=args.light,
                      variants=args.variant)
    for table, rows in market.rows.items():
        print(f"{table:15s} {rows:>12,d} rows  {market.files[table].name}")
    for scenario, count in market.scenarios.items():
        print(f"{scenario:27s} {count:>6,d} sellers")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"variants: {market.variants.label}")
    print(f"generate: sellers={args.sellers} seconds={market.seconds:.1f} peak_rss_mb={peak_mb:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
