"""``python -m analytics``: load a marketplace export, score it, measure detection, write the weekly pack.

What ``ingest`` accepts (files, columns, types, rules) is the input contract: ``docs/INPUT_CONTRACT.md``,
generated from ``analytics/schema.py`` and printed by ``python -m analytics contract``.

Each command exits 0 on success, and non-zero with a one-line reason on standard error otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from analytics import store


class CommandError(Exception):
    """A failure the user can act on: printed as one line, exit status 1."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _iso_week(text: str) -> str:
    try:
        dt.date.fromisocalendar(int(text[:4]), int(text[6:8]), 1)
        if text[4:6] != "-W" or len(text) != 8:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO week (YYYY-Www, e.g. 2026-W23): {text!r}") from None
    return text


def _demo_db() -> str:
    """The demo database's path as a user in the project folder types it."""
    try:
        return str(store.DEMO_DB.relative_to(store.REPO_ROOT))
    except ValueError:
        return str(store.DEMO_DB)


def build_parser() -> argparse.ArgumentParser:
    contract_doc = "docs/INPUT_CONTRACT.md"
    parser = argparse.ArgumentParser(
        prog="python -m analytics", description=__doc__.splitlines()[0].replace("``", "`"),
        epilog="The export `ingest` loads (one file per table; columns, types and rules) is described in "
               f"{contract_doc}, also printed by `python -m analytics contract`. "
               "Stop a command with Ctrl+C: the database is left as it was.")
    db_help = f"marketplace database (default: $ANOMALY_DB, else the demo database {_demo_db()})"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=None, help=db_help)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="validate and load an export folder (all or nothing)")
    p.add_argument("export_dir", type=Path, metavar="DIR")

    p = sub.add_parser("score", parents=[common], help="score every seller and store the run")
    p.add_argument("--as-of", type=_date, default=None, metavar="DATE",
                   help="score on the data up to the end of this day (default: the last date in the data)")

    p = sub.add_parser("demo", parents=[common], help="generate, ingest and score the sample marketplace")
    p.add_argument("--sellers", type=int, default=1500, metavar="N",
                   help="how many sellers the sample marketplace has (default: 1500; about 15 s)")
    p.add_argument("--seed", type=int, default=7, metavar="S",
                   help="the generator's random seed: the same seed builds the same marketplace (default: 7)")
    p.add_argument("--days", type=int, default=365, metavar="D",
                   help="how many days of history, ending on the demo's last day (default: 365)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="where the export and labels.csv go (default: sample_data/demo/)")
    p.add_argument("--variant", default="default", metavar="NAME[,NAME]",
                   help="how messy the generated marketplace is: default (lags, rare, crowded, slow, sessions), "
                        "plain, or any of lags, rare, crowded, slow, sessions, spellings, nolog, comma-separated")

    p = sub.add_parser("evaluate", parents=[common], help="detection quality against ground-truth labels")
    p.add_argument("--labels", type=Path, default=None, metavar="PATH")
    p.add_argument("--weeks", type=int, default=None, metavar="K",
                   help="also score weekly as-of runs over the last K weeks and report detection delay "
                        "(default: 0; 8 with --variants)")
    p.add_argument("--variants", nargs="?", const="all", default=None, metavar="NAME[,NAME]",
                   help="instead: build each generator variant (all: default and every named one) in a "
                        "temporary folder, score it weekly and print one row each")
    p.add_argument("--sellers", type=int, default=1500, metavar="N",
                   help="with --variants: sellers per marketplace (rare: ten times as many)")
    p.add_argument("--seed", type=int, default=7, metavar="S", help="with --variants: the generator's seed")
    p.add_argument("--days", type=int, default=365, metavar="D", help="with --variants: days per marketplace")
    p.add_argument("--keep", type=Path, default=None, metavar="DIR",
                   help="with --variants: build in DIR/<variant>/ and keep it (default: temporary folders)")
    p.add_argument("--max-memory-gb", type=float, default=10, metavar="GB",
                   help="with --variants: each variant runs in a child process capped at this much memory "
                        "(default: 10); one that needs more fails its own row")

    sub.add_parser("contract", help=f"print the input contract ({contract_doc}): what ingest accepts",
                   description=f"Print the input contract, generated from analytics/schema.py ({contract_doc}).")

    p = sub.add_parser("report", parents=[common], help="write the weekly review pack")
    p.add_argument("--week", type=_iso_week, required=True, metavar="YYYY-Www")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--base-url", metavar="URL", default=None,
                   help="the dashboard's address the pack's links start with (default: $ANOMALY_BASE_URL, "
                        "else http://127.0.0.1:8501)")
    return parser


def _run(args: argparse.Namespace) -> None:
    # Imports are per command so that `ingest` does not pay for statsmodels, and so on.
    if args.command == "contract":
        from analytics.contract import contract_markdown
        sys.stdout.write(contract_markdown())
    elif args.command == "ingest":
        from analytics.ingest import ingest_command
        ingest_command(args.export_dir, db=args.db)
    elif args.command == "score":
        from analytics.scoring import score_command
        score_command(db=args.db, as_of=args.as_of)
    elif args.command == "demo":
        from analytics.demo import demo_command
        demo_command(db=args.db, sellers=args.sellers, seed=args.seed, days=args.days, out=args.out,
                     variants=args.variant)
    elif args.command == "evaluate" and args.variants is not None:
        from analytics.variants import variants_command
        variants_command(args.variants, sellers=args.sellers, seed=args.seed, days=args.days,
                         weeks=8 if args.weeks is None else args.weeks, keep=args.keep,
                         max_memory_gb=args.max_memory_gb)
    elif args.command == "evaluate":
        from analytics.evaluate import evaluate_command
        if args.labels is None:
            raise CommandError("evaluate needs --labels PATH (or --variants to build and measure the sample variants)")
        evaluate_command(db=args.db, labels=args.labels, weeks=args.weeks or 0)
    elif args.command == "report":
        from analytics.report import report_command
        report_command(db=args.db, week=args.week, out=args.out, base_url=args.base_url)
    else:  # pragma: no cover - argparse refuses unknown commands
        raise CommandError(f"unknown command {args.command!r}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _run(args)
    except (CommandError, store.StoreError, ValueError, FileNotFoundError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; the database is unchanged", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The output went to a reader that stopped early (`| head`): nothing went wrong here.
        sys.stdout = None
        return 0
    return 0
