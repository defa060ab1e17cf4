"""Accuracy of `detect` on public human-annotated series (the Turing Change Point Dataset).

    python -m analytics.changepoints.benchmark --data bench_data/tcpd

`--data` is a folder holding TCPD's `annotations.json` and the series as TCPD JSON files
(`datasets/<name>/<name>.json`, any depth). The data is not part of this repository: fetch it
from github.com/alan-turing-institute/TCPD. Multivariate series are skipped (`detect` is
univariate), as in TCPDBench's univariate table.

Prints F1 (5-point margin) and cover per series for `detect`'s defaults, for a naive baseline in
the same run (binary segmentation with the plain independent-noise sup-F test on levels), and for
"no change at all", then the means. The defaults' reasons are in `detector`, `noise` and
`jumps`; where reasoning left a choice (the minimum segment share, the integrated-noise threshold)
the default is the setting a leave-one-out run picks: it chooses,
for each series in turn, the best setting of a small grid (alpha, minimum segment share, the
integrated-noise threshold, the share of alpha spent on sudden shifts) on the other series, among the settings that keep the false-alarm
rate on autocorrelated noise at 5 % or less, and scores it on the series left out, so its mean is
an honest estimate for series the defaults were not chosen on (the defaults' own figures above
it are in-sample). Then the
false-alarm rate of the defaults on seeded AR(1) series without a change (phi 0.5-0.9, 365
points), and the speed of `detect`, `step_test` and `segments` on 1,000 seeded 365-point series
(autocorrelated noise, one step, two regressors).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.signal import lfilter

from analytics.changepoints.detector import JUMP_SHARE, MIN_SEGMENT, TRIM, detect
from analytics.changepoints.exceptions import NotEnoughPoints
from analytics.changepoints.metrics import covering, f_measure
from analytics.changepoints.noise import INTEGRATED_AR, white_noise_variance
from analytics.changepoints.search import BinarySegmentation
from analytics.changepoints.segments import segments
from analytics.changepoints.signal import as_signal
from analytics.changepoints.steptest import step_test


@dataclass(frozen=True)
class Series:
    name: str
    values: np.ndarray
    annotations: dict[str, list[int]]


def load_tcpd(folder: Path) -> tuple[list[Series], list[str]]:
    """Univariate annotated series under `folder`, and the names of those skipped (and why)."""
    annotations = json.loads((folder / "annotations.json").read_text())
    series, skipped = [], []
    for path in sorted(folder.rglob("*.json")):
        if path.name in {"annotations.json", "checksums.json", "schema.json"}:
            continue
        data = json.loads(path.read_text())
        name = data.get("name", path.stem)
        if name not in annotations:
            skipped.append(f"{name} (no annotations)")
        elif data.get("n_dim", len(data["series"])) != 1:
            skipped.append(f"{name} (multivariate)")
        else:
            raw = data["series"][0]["raw"]
            values = np.array([np.nan if v is None else v for v in raw], dtype=float)
            series.append(Series(name, values, annotations[name]))
    return series, skipped


def naive_baseline(values: np.ndarray) -> list[int]:
    """Binary segmentation with the textbook sup-F test: level shifts, independent noise."""
    search = BinarySegmentation("level", alpha=0.05, min_size=5, family_alpha=False,
                                variance=white_noise_variance)
    return search.fit(as_signal(values, min_points=10)).predict()


def no_change(values: np.ndarray) -> list[int]:
    return []


METHODS: dict[str, Callable[[np.ndarray], list[int]]] = {
    "detect": detect, "baseline": naive_baseline, "zero": no_change,
}


@dataclass
class Outcome:
    f1: float
    cover: float
    n_found: float
    seconds: float


def evaluate(method: Callable[[np.ndarray], list[int]], item: Series) -> Outcome:
    started = time.perf_counter()
    try:
        found = method(item.values)
    except NotEnoughPoints:
        found = []
    seconds = time.perf_counter() - started
    f1 = f_measure(item.annotations, found)[0]
    return Outcome(f1, covering(item.annotations, found, len(item.values)), len(found), seconds)


#: the settings the leave-one-out run chooses from: significance level, minimum segment share of the
#: observed points, the AR coefficient from which the noise counts as integrated, and the share of
#: alpha spent on sudden shifts
GRID = {"alpha": (0.01, 0.02, 0.05), "trim": (0.03, 0.05, 0.08),
        "integrated": (0.95, 0.97, 0.99), "jumps": (0.0, 0.1, 0.2)}
#: the false-alarm budget on autocorrelated noise without a change
MAX_FALSE_ALARMS = 0.05


@dataclass(frozen=True)
class Setting:
    alpha: float
    trim: float
    integrated: float | None
    jumps: float

    def __str__(self) -> str:
        return (f"alpha={self.alpha} trim={self.trim} integrated={self.integrated} "
                f"jumps={self.jumps}")

    def detector(self, model: str = "trend", **options) -> Callable[[np.ndarray], list[int]]:
        def run(values: np.ndarray) -> list[int]:
            n_observed = int(np.count_nonzero(~np.isnan(np.asarray(values, dtype=float))))
            size = max(MIN_SEGMENT, math.ceil(self.trim * n_observed))
            return detect(values, model=model, alpha=self.alpha, min_size=size,
                          integrated=self.integrated, jumps=self.jumps, **options)
        return run


DEFAULTS = Setting(alpha=0.05, trim=TRIM, integrated=INTEGRATED_AR, jumps=JUMP_SHARE)


def ar1_without_change(n_series: int, length: int = 365, seed: int = 365) -> list[np.ndarray]:
    """Seeded stationary AR(1) series, phi drawn uniformly from [0.5, 0.9], no change."""
    rng = np.random.default_rng(seed)
    burn_in = 200
    return [lfilter([1.0], [1.0, -rng.uniform(0.5, 0.9)], rng.standard_normal(length + burn_in))
            [burn_in:] for _ in range(n_series)]


def false_alarm_rate(method: Callable[[np.ndarray], list[int]], series: list[np.ndarray]) -> float:
    """Share of change-free series in which `method` reports any change point (for `detect`,
    max_breaks=1 gives the same answer faster: any change point needs the first test to pass)."""
    return float(np.mean([bool(method(y)) for y in series]))


def leave_one_out(series: list[Series], n_null: int = 300) -> dict:
    """For each series: the grid setting with the best mean of F1 and cover on all the others
    (among settings within the false-alarm budget), scored on the series left out."""
    null = ar1_without_change(n_null)
    settings = [Setting(*combo) for combo in itertools.product(*GRID.values())]
    allowed = [st for st in settings
               if false_alarm_rate(st.detector(max_breaks=1), null) <= MAX_FALSE_ALARMS]
    outcomes = {st: [evaluate(st.detector(), s) for s in series] for st in allowed}
    merit = {st: np.array([(o.f1 + o.cover) / 2 for o in outcomes[st]]) for st in allowed}
    held_out, chosen = [], Counter()
    for i in range(len(series)):
        # settings that tie on the other series (they differ only on this one) are all chosen,
        # and the series gets their mean: no tie is broken in favour of the defaults
        training = {st: merit[st].sum() - merit[st][i] for st in allowed}
        top = max(training.values())
        best = [st for st in allowed if training[st] >= top - 1e-12]
        chosen.update({st: 1 / len(best) for st in best})
        held_out.append(Outcome(*(float(np.mean([getattr(outcomes[st][i], field)
                                                  for st in best]))
                                  for field in ("f1", "cover", "n_found", "seconds"))))
    fitted = max(allowed, key=lambda st: (merit[st].sum(), st == DEFAULTS))
    return {"held_out": held_out, "chosen": chosen, "fitted": fitted,
            "fitted_outcomes": outcomes[fitted], "n_settings": len(settings),
            "n_allowed": len(allowed)}


def summary(outcomes: list[Outcome]) -> str:
    return (f"mean F1 {np.mean([o.f1 for o in outcomes]):.3f}  mean cover "
            f"{np.mean([o.cover for o in outcomes]):.3f}  change points per series "
            f"{np.mean([o.n_found for o in outcomes]):.2f}")


def speed(n_series: int = 1000, length: int = 365) -> dict[str, float]:
    """Milliseconds per call on seeded daily-like series: AR(1) noise (phi 0.5), one step,
    two explanatory regressors."""
    rng = np.random.default_rng(2026)
    series, regressors = [], []
    for _ in range(n_series):
        shocks = rng.standard_normal(length)
        noise = np.empty(length)
        noise[0] = shocks[0]
        for t in range(1, length):
            noise[t] = 0.5 * noise[t - 1] + shocks[t]
        at = int(rng.integers(60, length - 60))
        series.append(noise + rng.choice([0.0, 1.5]) * (np.arange(length) >= at))
        regressors.append(rng.standard_normal((length, 2)))
    timings = {}
    for name, call in {
        "detect": lambda y, x: detect(y),
        "baseline": lambda y, x: naive_baseline(y),
        "step_test": lambda y, x: step_test(y, length // 2, exog=x),
        "segments": lambda y, x: segments(y, [length // 3, 2 * length // 3]),
    }.items():
        started = time.perf_counter()
        for y, x in zip(series, regressors):
            call(y, x)
        timings[name] = 1000 * (time.perf_counter() - started) / n_series
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.changepoints.benchmark",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("bench_data/tcpd"),
                        help="folder with TCPD annotations.json and dataset JSON files")
    args = parser.parse_args(argv)
    if not (args.data / "annotations.json").is_file():
        print(f"no annotations.json in {args.data}; fetch the TCPD data first (see --help)",
              file=sys.stderr)
        return 1
    series, skipped = load_tcpd(args.data)
    if not series:
        print(f"no univariate TCPD series found under {args.data}", file=sys.stderr)
        return 1

    results = {m: [evaluate(fn, s) for s in series] for m, fn in METHODS.items()}
    header = f"{'series':<20}{'n':>5}{'ann.':>6}" + "".join(
        f"{m + ' F1':>13}{'cover':>7}{'#cp':>5}" for m in METHODS)
    print(header)
    for i, s in enumerate(series):
        n_ann = np.mean([len(v) for v in s.annotations.values()])
        row = f"{s.name:<20}{len(s.values):>5}{n_ann:>6.1f}"
        for m in METHODS:
            r = results[m][i]
            row += f"{r.f1:>13.3f}{r.cover:>7.3f}{r.n_found:>5}"
        print(row)
    print("-" * len(header))
    note = f"; skipped: {', '.join(skipped)}" if skipped else ""
    print(f"{len(series)} univariate series{note}")
    for m in METHODS:
        rs = results[m]
        ms = 1000 * np.mean([r.seconds for r in rs])
        print(f"{m:<9} {summary(rs)}  ({ms:.1f} ms per series)")
    loo = leave_one_out(series)
    print(f"leave-one-out over {loo['n_settings']} settings ({loo['n_allowed']} within the "
          f"false-alarm budget of {MAX_FALSE_ALARMS:.0%}; each series scored with the setting "
          f"best on the others):")
    print(f"  held out  {summary(loo['held_out'])}")
    print(f"  fitted to all {len(series)} series (in-sample, optimistic): {loo['fitted']}: "
          f"{summary(loo['fitted_outcomes'])}")
    print("  chosen (folds; a tie counts as a share): " + "; ".join(
        f"{st} x{k:.3g}" for st, k in loo["chosen"].most_common()))
    null = ar1_without_change(1000, seed=2026)
    print("false alarms on 1,000 seeded AR(1) series without a change (phi 0.5-0.9, 365 points): "
          + ", ".join(f"{model} {false_alarm_rate(DEFAULTS.detector(model, max_breaks=1), null):.1%}"
                      for model in ("trend", "level")))
    timings = speed()
    print("speed on 1,000 seeded 365-point series: " + ", ".join(
        f"{name} {ms:.2f} ms" for name, ms in timings.items()) + " per call")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
