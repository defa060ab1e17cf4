"""Harvested reviewers: new 4-5 star reviewers who came from rivals' products, arriving together.

Staff sold the e-mail addresses of customers who had reviewed competitors' products; the buyer then
asks them for 5-star reviews. What that leaves: a seller's new reviewers are, for a few weeks, mostly
people whose first review in the category was of a rival's product. Ordinary customers also review
several products in a category (natural overlap), more so as the data's history grows (early on
nobody has a history yet), and some sellers' customers are keener comparison shoppers than others'.
So the count is judged against:

* its category that week: the share of everyone else's new reviewers who came from a rival and gave
  4-5 stars (leave this seller out, shrunk towards the category's usual share);
* the seller's own history: the seller's share is drawn from a law learnt from its other weeks,
  starting from the spread between sellers the marketplace shows (a beta-binomial tail,
  ``review_windows.BetaBinomialLaw``);
* conditional on how many new reviewers came, so a viral week (many new reviewers of the usual
  kinds) is not news.

Two components, each for two markers (from a rival and 4-5 stars; the same without a verified
purchase, since harvested reviewers often did not buy), combined by ``min_p_combination`` (Bonferroni
over the four; under no harvest they are only weakly dependent, Spearman 0.04-0.29 between their
log p-values on an independent marketplace, so little is lost to it):

* the whole history: the seller's marked new reviewers against what its categories' weekly shares
  predict for the reviewers it got, beta-binomial with the spread between honest sellers estimated
  from the bulk (``review_windows.robust_rate_shape``: discoveries set aside until stable). This is
  where a harvest spread over months shows: on an independent marketplace the buyers' whole-history
  share of unverified rival-first praise was a median 4.8x their categories' (honest sellers 0.93x),
  while per window it was too thin to pass the burst gate and the Bonferroni over windows;
* the window scan: only windows where the seller's count of new reviewers burst (leaked e-mails bring
  reviews together), with at least ``review_windows.MIN_MARKED`` such reviewers, windows of 2 to 8
  weeks, judged against the category that week and the seller's own history outside the window; the
  best window is Bonferroni-corrected over the bursts. It dates a sharp harvest and finds it early.

A reviewer counts once per seller (their first review of it). Under ``MIN_MARKED`` marked reviewers
in all a seller is tested with nothing found (p = 1): a family or a club is not a harvest.

This signal is core: far beyond its category, over its history or in a burst, few honest stories produce it.

``before``/``after``: the share of the seller's new reviewers who came from a rival and gave it
4-5 stars, in the weeks before the window and in it (for a whole-history finding: before and after
the low point of its cumulative excess over the category). ``effect``: log of observed over expected such
reviewers in the window (0.5 added to both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult, tested_frame
from analytics.signals.combination import min_p_combination
from analytics.signals.review_windows import (MIN_MARKED, REPORT_P, BetaBinomialLaw, ShareScan, review_facts,
                                              share_scan, window_dates)

NAME = "harvested_reviewers"
TITLE = "New reviewers who had reviewed rivals first"
COLOR = "#e377c2"
CORE = True
FDR = 0.05
WEIGHT = 1.0


def find(ctx: ScoringContext) -> SignalResult:
    facts = review_facts(ctx)
    nr = facts.new_reviewers
    from_rivals = nr.rival_first & (nr.rating >= 4)
    # Two markers, the second sharper where harvested reviewers did not buy the product; each tested over
    # the whole history and in windows, the four combined by min-p (Bonferroni over those present).
    markers = [from_rivals, from_rivals & ~nr.verified]
    scans = share_scan(facts, *markers, robust=True, calibrate=True)
    p_windows = np.column_stack([scan.scan.p_value for scan in scans])
    p_whole = np.column_stack([whole_history(scan) for scan in scans])
    p_seller = min_p_combination(np.column_stack([p_whole, p_windows]))
    p_seller = np.where(np.isnan(p_seller), 1.0, p_seller)
    marker = np.argmin(np.minimum(p_windows, p_whole), axis=1)
    in_window = p_windows[np.arange(len(marker)), marker] <= p_whole[np.arange(len(marker)), marker]
    tested_sellers = scans[0].total_reviewers > 0
    n_tests = int(tested_sellers.sum())
    tested = tested_frame(facts.sellers[tested_sellers], p_seller[tested_sellers])
    reported = np.flatnonzero(p_seller <= REPORT_P)
    if len(reported) == 0:
        return SignalResult.empty(n_tests, tested)

    rows_of = facts.rows_of(reported, nr.unit, nr.minute)
    rows = []
    for s in reported:
        found = scans[marker[s]]
        harvested = markers[marker[s]]
        k = int(found.scan.window[s])
        if not in_window[s] or k < 0:
            rows.append(_whole_history_row(facts, found, int(s), int(marker[s]), float(p_seller[s])))
            continue
        first, last = window_dates(facts, found.scan.windows, k)
        own = rows_of[int(s)]
        day = facts.day(nr.minute[own])
        came = own[harvested[own] & (day >= first) & (day < last)]
        start = int(facts.day(nr.minute[came]).min())
        before_weeks = slice(0, int(found.scan.windows.start[k]))
        seen_before = found.weekly_reviewers[s, before_weeks].sum()
        before = found.weekly_chosen[s, before_weeks].sum() / seen_before if seen_before else np.nan
        n, x, e = (found.scan.at_best[name][s] for name in ("reviewers", "chosen", "expected"))
        unverified = int((~nr.verified[came]).sum())
        kind = "gave it 4-5 stars" if marker[s] == 0 else "gave it 4-5 stars without a verified purchase"
        unverified_words = f", {unverified} unverified" if marker[s] == 0 else ""
        category = facts.categories[facts.unit_category[pd.Series(nr.unit[came]).mode().iloc[0]]]
        before_words = f"{100 * before:.0f}% of its new reviewers before, " if seen_before else ""
        rows.append({
            "seller_id": facts.sellers[s],
            "signal": NAME,
            "changepoint_date": facts.date(start),
            "before": float(before),
            "after": float(x / n),
            "effect": float(np.log((x + 0.5) / (e + 0.5))),
            "p_value": float(p_seller[s]),
            "measure": "share of new reviewers who had reviewed a rival's product first and " + kind.replace(" it", ""),
            "product_id": None,
            "related_seller_id": None,
            "detail": (f"{x:.0f} of its {n:.0f} new reviewers between {facts.date(first)} and "
                       f"{facts.date(last - 1)} had reviewed rivals' products in {category} first and {kind} "
                       f"({100 * x / n:.0f}%{unverified_words}), against {before_words}"
                       f"{100 * e / n:.0f}% expected from its category in those weeks"),
        })
    return SignalResult(pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS)), n_tests, tested)


def whole_history(found: ShareScan) -> np.ndarray:
    """Per seller: the beta-binomial tail of its marked new reviewers over its whole history, against
    what its categories' weekly shares predict for the reviewers it got, with the spread between
    honest sellers learnt from the bulk (``found.shape``). Under ``MIN_MARKED`` marked reviewers in
    all: p = 1 (a family or a club is not a harvest); no new reviewers at all: NaN (nothing tested)."""
    n, x, e = found.total_reviewers, found.total_chosen, found.total_expected
    p = np.full(len(n), np.nan)
    tried = n > 0
    p[tried] = 1.0
    tail = tried & (x >= MIN_MARKED) & (e > 0)
    if tail.any():
        p[tail] = BetaBinomialLaw.learnt(n[tail], e[tail], found.shape).tail(x[tail])
    return p


def _whole_history_row(facts, found: ShareScan, s: int, marker: int, p_value: float) -> dict:
    """The evidence row of a seller found over its whole history: where its marked reviewers started
    to run ahead of what its categories predict (the low point of the cumulative excess before its
    highest point), the share before that and from then on."""
    weekly_n = found.weekly_reviewers[s]
    weekly_x = found.weekly_chosen[s]
    n, x, e = float(found.total_reviewers[s]), float(found.total_chosen[s]), float(found.total_expected[s])
    excess = np.cumsum(weekly_x - weekly_n * (e / max(n, 1.0)))
    peak = int(np.argmax(excess))
    onset = int(np.argmin(np.concatenate([[0.0], excess[:peak + 1]])))  # weeks before the excess starts
    first, _ = facts.week_days(onset + 1)
    seen_before, seen_after = weekly_n[:onset].sum(), weekly_n[onset:].sum()
    before = weekly_x[:onset].sum() / seen_before if seen_before else np.nan
    after = weekly_x[onset:].sum() / seen_after if seen_after else np.nan
    kind = "gave it 4-5 stars" if marker == 0 else "gave it 4-5 stars without a verified purchase"
    since = facts.date(first)
    before_words = f"{100 * before:.0f}% before {since}, " if seen_before else ""
    return {
        "seller_id": facts.sellers[s],
        "signal": NAME,
        "changepoint_date": since,
        "before": float(before),
        "after": float(after),
        "effect": float(np.log((x + 0.5) / (e + 0.5))),
        "p_value": p_value,
        "measure": "share of new reviewers who had reviewed a rival's product first and " + kind.replace(" it", ""),
        "product_id": None,
        "related_seller_id": None,
        "detail": (f"{x:.0f} of its {n:.0f} new reviewers over its whole history had reviewed rivals' products "
                   f"in its category first and {kind} ({100 * x / n:.0f}%, {100 * after:.0f}% from {since} on), "
                   f"against {before_words}{100 * e / n:.0f}% expected from its category in the same weeks"),
    }
