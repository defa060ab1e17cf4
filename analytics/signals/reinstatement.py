"""Bought reinstatements: serious suspensions lifted within hours, by a staff member who does that often.

Many honest reinstatements are fast too: automated verification holds lifted within hours, an invoice or
licence accepted within the hour of the appeal, an IP claim withdrawn by the rights owner (no appeal
needed). So an episode is judged against its reason's *honest* durations including their fast part, and
the rest of the evidence comes from what DOMAIN.md says a bought one has on top: a staff member whose
reinstatements are unusual, and repeats.

Which employee lifted a suspension is attributed from the access log (``attribute``): each
reinstatement's nearest reinstating action on the seller, either side, within a window learnt from the
log's own lags (log lines come seconds to hours from their event), whatever the action's spelling.

Per reinstated episode, the reason's reference is its episodes from *other* sellers that no unusual
staff member reinstated and that this run has not already discovered (a seller is never part of its
own reference; discoveries are set aside and the test run again until they stop changing, within the
run only):

- speed: for a reason that usually takes days (Kaplan-Meier 75th percentile of at least 72 h), the
  chance that a reference episode is lifted this fast under a mixture of honest quick lifts (their
  share: the reference's, but never above the robust team rate where staff are known, since in a
  crowded team most quick lifts may be bought; their spread as a log-normal) and the slow majority
  (a log-normal fitted to the reason's Kaplan-Meier median and 75th percentile, suspensions still open
  or closed censored); never below 1e-5. For reasons that are usually fast (verification holds) the
  share of the reference lifted as fast (this episode counted in).
- staff (only where ``access_log`` logged the reinstatement), two views of the same employee,
  combined by min-p: (a) their quick lifts of slow reasons for *other* sellers against honest staff's
  rate, estimated from the median employee (robust to a minority of corrupt staff); in a large team
  (at least 8 employees with 5 such lifts) honest employees differ too, so the spread is measured
  robustly (MAD, beta-binomial) and who is unusual is decided with false-discovery control across
  employees; where the employees fall into two groups, one lifting most of its slow-reason
  suspensions quickly (a crowded team, whose median busy member sells), the honest rate is the other
  group's (``_two_group_rate``), never higher than the above; (b) how seldom reinstating is part of the employee's own work, against the staff who do
  the other reinstatements (``staff_history.peer_rarity``).

A seller's episodes and distinct reinstating employees are combined with Fisher's method over the
components present, so repeats add up. Without ``access_log`` the staff part is absent and the rest
works unchanged.

Appeal timing ("no appeal, or one written minutes before") is reported in the detail but not scored:
honest quick lifts come minutes after an appeal too (a document accepted within the hour), so among
quick lifts it separated little, and as a Fisher term it cost more degrees of freedom than it gave
(demo: 11 of 15 bought reinstatements found with it, 13 without).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from analytics.scoring.combine import bh_q_values
from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult, tested_frame
from analytics.signals.combination import fisher_combination, min_p_combination
from analytics.signals.rivalry import access_log_rows, suspension_episodes
from analytics.signals.staff_history import staff_history

NAME = "reinstatement"
TITLE = "Suspension lifted unusually fast for its reason"
COLOR = "#d62728"
CORE = True
FDR = 0.05
WEIGHT = 1.0

MIN_EPISODES_FOR_REASON = 8  # below this a reason is pooled with all others
MIN_LOG_SCALE = 1.0  # never believe ordinary durations tighter than a factor e per standard deviation
MIN_EPISODE_P = 1e-5  # nor any tail beyond this
QUICK_HOURS = 24.0  # "lifted within hours"
SLOW_REASON_HOURS = 72.0  # a reason whose Kaplan-Meier 75th percentile is at least this takes days
UNUSUAL_STAFF_P = 0.05  # small team: an employee this unlikely at the shared rate is left out of it
BLATANT_STAFF_P = 1e-4  # large team: this unlikely at one shared rate is left out before the spread is measured
UNUSUAL_STAFF_FDR = 0.05  # then unusual = discovered at this false-discovery level against the honest spread
MAX_STAFF_RHO = 0.5  # honest employees' rates never believed to differ more than this correlation says
MIN_STAFF_LIFTS = 5  # slow-reason reinstatements that let an employee show how honest staff differ
MIN_STAFF_FOR_SPREAD = 8  # employees with that many needed to measure the spread (a large team)
TWO_GROUPS_P = 0.001  # the employees are taken for two groups (honest, corrupt) only at this level
MOSTLY_QUICK = 0.5  # and only where the upper group lifts most of its slow-reason suspensions quickly
Z75 = stats.norm.ppf(0.75)
MAX_LAG_HOURS = 72.0  # a log line further than this from a reinstatement is never taken for its cause
LAG_QUANTILE = 0.95  # the attribution window covers this share of the log's own nearest lags (x 2)
MIN_ATTRIBUTION_MINUTES = 15.0  # never narrower than this (clocks and queues)
SET_ASIDE_PASSES = 3  # discovered sellers leave the speed reference; repeated until stable


def ordinary_duration(hours: np.ndarray, ended: np.ndarray) -> tuple[float, float, float]:
    """Location and scale of a log-normal for a reason's slow majority, and its Kaplan-Meier 75th
    percentile in hours (inf when fewer than three quarters ever end).

    Fitted to the Kaplan-Meier median and 75th percentile (suspensions still open or closed are
    censored, not "never reinstated"): the body of the reason's durations, which neither the bought
    fast lifts at one end nor a long tail of stalled cases at the other moves much. (The 90th
    percentile, used before, is often beyond the data; the longest case then set a spread so wide that
    a lift within hours looked ordinary for a reason that takes weeks.) Where the 75th percentile is
    beyond the data, the longest observed case bounds the spread from below.
    """
    fit = SurvfuncRight(hours, ended.astype(int))
    q50, q75 = fit.quantile(0.50), fit.quantile(0.75)
    observed_q75 = float(q75) if np.isfinite(q75) else np.inf
    longest = float(np.nanmax(hours))
    if not np.isfinite(q50):
        return float(np.log(longest)), float(MIN_LOG_SCALE), observed_q75
    upper = q75 if np.isfinite(q75) and q75 > q50 else max(longest, q50 * np.e)
    scale = max((np.log(upper) - np.log(q50)) / Z75, MIN_LOG_SCALE)
    return float(np.log(q50)), float(scale), observed_q75


def attribute(reinstated: pd.DataFrame, actions: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Which employee's reinstating action caused each reinstatement, with the window learnt from the log.

    ``reinstated``: seller_id, reinstated_at; ``actions``: employee_id, seller_id, ts. A log line can
    come seconds or hours before or after the event it caused (queues, batch jobs, clocks): each
    reinstatement's nearest reinstating action on the same seller (either side, within
    ``MAX_LAG_HOURS``) is a candidate, and the window is twice the ``LAG_QUANTILE`` of those lags (at
    least ``MIN_ATTRIBUTION_MINUTES``): wide enough for the log at hand, never a fixed guess.
    Returns (seller_id, reinstated_at, employee_id, lag_minutes) and the window in minutes."""
    columns = ["seller_id", "reinstated_at", "employee_id", "lag_minutes"]
    if reinstated.empty or actions.empty:
        return pd.DataFrame(columns=columns), float("nan")
    events = reinstated[["seller_id", "reinstated_at"]].dropna().drop_duplicates()
    events = events.assign(reinstated_at=pd.to_datetime(events["reinstated_at"]).astype("datetime64[us]"))
    logged = actions.assign(ts=pd.to_datetime(actions["ts"]).astype("datetime64[us]"))
    nearest = pd.merge_asof(events.sort_values("reinstated_at"), logged.sort_values("ts"),
                            left_on="reinstated_at", right_on="ts", by="seller_id", direction="nearest",
                            tolerance=pd.Timedelta(hours=MAX_LAG_HOURS))
    nearest = nearest.dropna(subset=["employee_id"])
    if nearest.empty:
        return pd.DataFrame(columns=columns), float("nan")
    nearest["lag_minutes"] = (nearest["reinstated_at"] - nearest["ts"]).dt.total_seconds() / 60.0
    window = max(2.0 * float(np.quantile(nearest["lag_minutes"].abs(), LAG_QUANTILE)), MIN_ATTRIBUTION_MINUTES)
    window = min(window, 60.0 * MAX_LAG_HOURS)
    kept = nearest[nearest["lag_minutes"].abs() <= window]
    return kept[columns].reset_index(drop=True), window


def reinstating_staff(ctx: ScoringContext, episodes: pd.DataFrame) -> pd.DataFrame:
    """(seller_id, reinstated_at, employee_id) for the reinstatements among ``episodes`` that the access
    log attributes to an employee (``attribute``); empty without an access log."""
    if access_log_rows(ctx) == 0:
        return pd.DataFrame(columns=["seller_id", "reinstated_at", "employee_id"])
    attributed, _ = attribute(episodes[episodes["reinstated"]], ctx.query("reinstatement_actions"))
    return attributed[["seller_id", "reinstated_at", "employee_id"]]


def employee_history(ctx: ScoringContext):
    """The staff history an employee's reinstatement is judged against (None without an access log)."""
    return staff_history(ctx)


def staff_p_values(episodes: pd.DataFrame) -> tuple[pd.DataFrame, set, float]:
    """Per (seller, employee) where the employee lifted one of the seller's slow-reason suspensions
    quickly: ``p_staff``, how unlikely the employee's quick lifts for *other* sellers are for an honest
    employee. Also the set of unusual employees (those left out of the team's rate) and the honest
    team's quick-lift rate (NaN where no reinstatement was attributed to an employee)."""
    known = episodes[episodes["reinstated"] & episodes["slow_reason"] & episodes["employee_id"].notna()]
    columns = ["seller_id", "employee_id", "n_other", "k_other", "team_rate", "p_staff"]
    if known.empty:
        return pd.DataFrame(columns=columns), set(), float("nan")
    per_employee = known.groupby("employee_id")["quick"].agg(n="size", k="sum")
    k, n = per_employee["k"].to_numpy(float), per_employee["n"].to_numpy(float)
    large_team = (n >= MIN_STAFF_LIFTS).sum() >= MIN_STAFF_FOR_SPREAD
    # Employees whose quick lifts are beyond one shared rate leave it (iterated until stable), so a
    # few corrupt employees do not make fast lifts look ordinary: only the blatant ones where the team
    # is large enough to measure how honest employees differ, else every unlikely one. The iteration
    # starts from the median employee's rate, not the pooled one: in a team where a tenth of the
    # reinstatements are bought, the pooled rate is the buyers' as much as the team's.
    rate = _median_rate(k, n)
    usual = _staff_tail(k, n, rate, 0.0) >= (BLATANT_STAFF_P if large_team else UNUSUAL_STAFF_P)
    for _ in range(20):
        rate = _pooled_rate(k[usual], n[usual])
        now = _staff_tail(k, n, rate, 0.0) >= (BLATANT_STAFF_P if large_team else UNUSUAL_STAFF_P)
        if (now == usual).all():
            break
        usual = now
    rho = 0.0
    if large_team:
        # Honest staff differ among themselves (queues, shifts, rights-owner withdrawals): the rest's
        # spread (beta-binomial, by moments) is honest variation, not evidence. Who is unusual against
        # it is decided with false-discovery control across employees; the rate is pooled over the rest.
        rho = _rate_spread(k[usual], n[usual], rate)
        usual = bh_q_values(_staff_tail(k, n, rate, rho), len(k)) > UNUSUAL_STAFF_FDR
        rate = _pooled_rate(k[usual], n[usual])
    # Where most of the busy reinstaters are corrupt (a crowded team), neither the median employee nor
    # the rest after the blatant ones are honest: the employees' counts as two groups, if they are.
    honest = _two_group_rate(k, n)
    if np.isfinite(honest):
        rate = min(rate, honest)
    pairs = (known.groupby(["employee_id", "seller_id"])["quick"].agg(n="size", k="sum").reset_index()
             .merge(per_employee.add_suffix("_employee"), left_on="employee_id", right_index=True))
    pairs = pairs[pairs["k"] > 0]
    pairs["n_other"] = pairs["n_employee"] - pairs["n"]
    pairs["k_other"] = pairs["k_employee"] - pairs["k"]
    pairs = pairs[pairs["n_other"] > 0]
    pairs["team_rate"] = rate
    pairs["p_staff"] = _staff_tail(pairs["k_other"].to_numpy(float), pairs["n_other"].to_numpy(float), rate, rho)
    return pairs[columns], set(per_employee.index[~usual]), rate


def _two_group_rate(k: np.ndarray, n: np.ndarray, iterations: int = 200) -> float:
    """The honest quick-lift rate where the employees fall into two groups, one of which lifts most of
    its slow-reason suspensions quickly (what DOMAIN.md says bought reinstatements are; honest quick
    lifts are the exception for a slow reason): a two-component binomial mixture over every employee's
    (quick lifts, lifts), fitted by EM, and the lower component's rate (Jeffreys-smoothed over its
    expected lifts). NaN unless two groups fit significantly better than one (likelihood ratio,
    chi-squared with two degrees of freedom, at TWO_GROUPS_P) and the upper group's rate is above one
    half: honest staff whose rates merely differ are not split in two."""
    used = n > 0
    k, n = k[used].astype(float), n[used].astype(float)
    if k.size < 3:
        return float("nan")
    pooled = k.sum() / n.sum()
    if pooled <= 0 or pooled >= 1:
        return float("nan")
    one_group = stats.binom.logpmf(k, n, pooled).sum()
    own = (k + 0.5) / (n + 1)
    low, high = float(np.quantile(own, 0.25)), float(np.quantile(own, 0.9))
    if high <= low:
        return float("nan")
    share_high = 0.5
    for _ in range(iterations):
        log_low = stats.binom.logpmf(k, n, low) + np.log1p(-share_high)
        log_high = stats.binom.logpmf(k, n, high) + np.log(share_high)
        in_high = np.exp(log_high - np.logaddexp(log_low, log_high))
        share_high = float(np.clip(in_high.mean(), 1e-6, 1 - 1e-6))
        low = float(np.clip((k * (1 - in_high)).sum() / max((n * (1 - in_high)).sum(), 1e-12), 1e-9, 1 - 1e-9))
        high = float(np.clip((k * in_high).sum() / max((n * in_high).sum(), 1e-12), 1e-9, 1 - 1e-9))
    if high < low:
        low, high, in_high = high, low, 1 - in_high
    two_groups = np.logaddexp(stats.binom.logpmf(k, n, low) + np.log1p(-share_high),
                              stats.binom.logpmf(k, n, high) + np.log(share_high)).sum()
    if high <= MOSTLY_QUICK or stats.chi2.sf(2 * (two_groups - one_group), 2) > TWO_GROUPS_P:
        return float("nan")
    return float(((k * (1 - in_high)).sum() + 0.5) / ((n * (1 - in_high)).sum() + 1))


def _median_rate(k: np.ndarray, n: np.ndarray) -> float:
    """The median employee's quick-lift rate (Jeffreys-smoothed), over employees with at least
    MIN_STAFF_LIFTS lifts where there are any: robust to a minority of corrupt employees."""
    enough = n >= MIN_STAFF_LIFTS
    if not enough.any():
        return _pooled_rate(k, n)
    return float(np.median((k[enough] + 0.5) / (n[enough] + 1)))


def _pooled_rate(k: np.ndarray, n: np.ndarray) -> float:
    """Quick lifts over lifts, with half a pseudo-lift each way (Jeffreys): never a zero rate."""
    return float((k.sum() + 0.5) / (n.sum() + 1))


def _rate_spread(k: np.ndarray, n: np.ndarray, rate: float) -> float:
    """Intra-employee correlation rho of quick lifts, Var(k) = n m (1 - m) (1 + (n - 1) rho): 0 when
    honest employees look alike. Estimated robustly, so that a few corrupt employees left among the
    rest do not pass for honest spread: the dispersion of the employees' standardised counts is
    measured by their median absolute deviation (1.4826 MAD: 1 for binomial counts), not their
    squares, and turned into rho at the employees' typical number of lifts."""
    chance = rate * (1 - rate)
    if len(k) < 3 or chance <= 0:
        return 0.0
    z = (k - n * rate) / np.sqrt(np.maximum(n * chance, 1e-12))
    dispersion = (1.4826 * float(np.median(np.abs(z - np.median(z))))) ** 2
    typical = max(float(np.median(n)) - 1.0, 1.0)
    return float(np.clip((dispersion - 1.0) / typical, 0.0, MAX_STAFF_RHO))


def _staff_tail(k: np.ndarray, n: np.ndarray, rate: float, rho: float) -> np.ndarray:
    """P(at least k of n quick) for an honest employee: beta-binomial (binomial when rho = 0)."""
    if rho <= 0:
        return stats.binom.sf(k - 1, n, rate)
    concentration = 1 / rho - 1
    return stats.betabinom.sf(k - 1, n, rate * concentration, (1 - rate) * concentration)


def _own_counts(group: pd.DataFrame) -> pd.DataFrame:
    """Per episode, the counts over the same seller's reference episodes (itself included) that are
    subtracted so no seller is part of its own reference."""
    ref = (group.loc[group["in_reference"], ["seller_id", "hours", "reinstated", "quick"]]
           .rename(columns=lambda c: c if c == "seller_id" else f"{c}_ref"))
    pairs = group[["seller_id", "hours"]].reset_index().merge(ref, on="seller_id")
    pairs["le"] = pairs["reinstated_ref"] & (pairs["hours_ref"] <= pairs["hours"])
    pairs["at_risk"] = pairs["reinstated_ref"] | (pairs["hours_ref"] >= pairs["hours"])
    pairs["quick_ref_n"] = pairs["quick_ref"]
    pairs["in_reference"] = True
    pairs["quick_log_hours"] = np.where(pairs["quick_ref"], np.log(pairs["hours_ref"]), 0.0)
    pairs["quick_log_hours_sq"] = pairs["quick_log_hours"] ** 2
    own = pairs.groupby("index")[["le", "at_risk", "quick_ref_n", "in_reference",
                                  "quick_log_hours", "quick_log_hours_sq"]].sum()
    return own.reindex(group.index, fill_value=0)


def episode_p_values(episodes: pd.DataFrame, set_aside: frozenset = frozenset()
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reinstated episodes, each with ``p_speed`` (= ``p_episode``) and the reason's
    ``ordinary_hours``; and the staff p-values (see ``staff_p_values``). ``episodes`` may carry
    ``employee_id`` (who reinstated it, where logged). The episodes of the ``set_aside`` sellers (this
    run's discoveries) are left out of every reference, so bought lifts do not make lifts look ordinary."""
    episodes = episodes.copy()
    if "employee_id" not in episodes:
        episodes["employee_id"] = None
    counts = episodes.groupby("reason")["seller_id"].transform("count")
    episodes["reason_group"] = np.where(counts >= MIN_EPISODES_FOR_REASON, episodes["reason"], "other")
    episodes["hours"] = episodes["hours"].clip(lower=0.01)
    tails = {}
    for reason_group, group in episodes.groupby("reason_group"):
        tails[reason_group] = ordinary_duration(group["hours"].to_numpy(float), group["reinstated"].to_numpy(bool))
    tail = pd.DataFrame(tails, index=["location", "scale", "q75"]).T
    episodes = episodes.join(tail, on="reason_group")
    episodes["slow_reason"] = episodes["q75"] >= SLOW_REASON_HOURS
    episodes["quick"] = episodes["reinstated"] & episodes["slow_reason"] & (episodes["hours"] <= QUICK_HOURS)

    staff, unusual, honest_quick_rate = staff_p_values(episodes)
    episodes["in_reference"] = ~episodes["employee_id"].isin(unusual) & ~episodes["seller_id"].isin(set_aside)

    parts = []
    for _, group in episodes.groupby("reason_group"):
        reinstated = group[group["reinstated"]]
        if reinstated.empty:
            continue
        ref = group[group["in_reference"]]
        lifted = np.sort(ref.loc[ref["reinstated"], "hours"].to_numpy(float))
        open_hours = np.sort(ref.loc[~ref["reinstated"], "hours"].to_numpy(float))
        hours = reinstated["hours"].to_numpy(float)
        own = _own_counts(group).loc[reinstated.index]
        # Leave the seller out: lifted at least as fast / all that were lifted or still open by then.
        le = np.searchsorted(lifted, hours, side="right") - own["le"].to_numpy()
        at_risk = (len(lifted) + len(open_hours) - np.searchsorted(open_hours, hours, side="left")
                   - own["at_risk"].to_numpy())
        quick_other = int(ref["quick"].sum()) - own["quick_ref_n"].to_numpy()
        empirical = (le + 1.0) / (np.maximum(at_risk, 0) + 1.0)  # this one counted in: a valid p-value
        z = (np.log(hours) - reinstated["location"].to_numpy()) / reinstated["scale"].to_numpy()
        slow_tail = stats.norm.cdf(z)
        # A reason that usually takes days: its honest durations are a mixture of the slow majority and
        # the reference's quick lifts (their share among other sellers' episodes, their spread as a
        # log-normal), so that below the fastest one seen the honest fast part still has a tail.
        # Other sellers' quick lifts only: sums over the reference less the seller's own.
        quick_log = np.log(ref.loc[ref["quick"], "hours"].to_numpy(float))
        sum_log = quick_log.sum() - own["quick_log_hours"].to_numpy()
        sum_sq = (quick_log ** 2).sum() - own["quick_log_hours_sq"].to_numpy()
        mean_log = sum_log / np.maximum(quick_other, 1)
        spread = np.sqrt(np.maximum(sum_sq / np.maximum(quick_other, 1) - mean_log ** 2, 0.0))
        fast_tail = stats.norm.cdf((np.log(hours) - mean_log) / np.maximum(spread, MIN_LOG_SCALE))
        others = len(lifted) + len(open_hours) - own["in_reference"].to_numpy()
        share = quick_other / np.maximum(others, 1)
        if np.isfinite(honest_quick_rate):
            # Where staff are known, the honest share of quick lifts is the robust team rate (from the
            # median employee): in a crowded team most quick lifts in the reference may be bought.
            share = np.minimum(share, honest_quick_rate)
        mixture = share * fast_tail + (1 - share) * slow_tail
        p_speed = np.maximum(np.where(reinstated["slow_reason"], mixture, np.maximum(empirical, slow_tail)),
                             MIN_EPISODE_P)
        parts.append(reinstated.assign(p_speed=p_speed,
                                       ordinary_hours=np.exp(reinstated["location"])))
    if not parts:
        return episodes.iloc[0:0].assign(p_speed=[], p_episode=[], ordinary_hours=[]), staff
    scored = pd.concat(parts)
    scored["p_episode"] = scored["p_speed"]
    return scored, staff


def _describe(row) -> str:
    if pd.isna(row.minutes_from_appeal_to_reinstatement):
        appeal = "with no appeal"
    else:
        appeal = f"{row.minutes_from_appeal_to_reinstatement:.0f} minutes after the appeal"
    text = (f"'{row.reason}' suspension on {row.suspended_at:%Y-%m-%d} lifted after {row.hours:.1f} h "
            f"{appeal}; an honest '{row.reason}' suspension is lifted this fast with probability "
            f"{row.p_speed:.2%} (most last about {row.median_hours:.0f} h)")
    if pd.notna(row.staff_employee):
        text += f"; reinstated by {row.staff_employee}"
        if pd.notna(row.staff_n):
            text += (f", {row.staff_k:.0f} of whose {row.staff_n:.0f} slow-reason reinstatements for other "
                     f"sellers came within {QUICK_HOURS:.0f} h (team: {row.staff_rate:.0%})")
        if pd.notna(row.p_kind) and row.p_kind < 0.05:
            text += (f"; reinstating is outside that employee's usual work ({row.reinstate_share:.1%} of "
                     f"their {row.history_actions:.0f} logged actions for other sellers)")
    if row.quick > 1:
        text += f"; {row.quick} unusually quick reinstatements in all"
    return text


def employee_pairs(episodes: pd.DataFrame, staff: pd.DataFrame, history) -> pd.DataFrame:
    """Per (seller, employee who reinstated it): ``p_staff`` (the employee's quick lifts for other sellers
    against honest staff's, where known), ``p_kind`` (how seldom reinstating is part of the employee's own
    work, the seller left out, against the staff who do the marketplace's other reinstatements:
    ``StaffHistory.peer_rarity``; NaN without a long enough history) and ``p_employee``, the two combined
    (min-p: both are about the same employee)."""
    if "employee_id" not in episodes:
        episodes = episodes.assign(employee_id=None)
    known = episodes[episodes["reinstated"].astype(bool) & episodes["employee_id"].notna()]
    pairs = known[["seller_id", "employee_id"]].drop_duplicates().reset_index(drop=True)
    pairs = pairs.merge(staff, on=["seller_id", "employee_id"], how="left")
    pairs["p_kind"] = np.nan
    pairs["reinstate_share"] = np.nan
    pairs["history_actions"] = np.nan
    if history is not None and not pairs.empty:
        pairs["p_kind"] = history.peer_rarity(pairs["employee_id"], "reinstate", pairs["seller_id"])
        share, total = history.share(pairs["employee_id"], "reinstate", pairs["seller_id"])
        pairs["reinstate_share"], pairs["history_actions"] = share, total
    pairs["p_employee"] = min_p_combination(pairs[["p_staff", "p_kind"]].to_numpy(float))
    return pairs


def seller_p_values(scored: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """Per seller: Fisher's method over its reinstated episodes' speed and its distinct reinstating
    employees (absent components left out), so repeats add up."""
    parts = pd.concat([
        pd.DataFrame({"seller_id": scored["seller_id"], "p": scored["p_episode"].astype(float)}),
        pd.DataFrame({"seller_id": pairs["seller_id"], "p": pairs["p_employee"].astype(float)}),
    ], ignore_index=True).dropna()
    parts["p"] = parts["p"].clip(lower=1e-12)
    parts["slot"] = parts.groupby("seller_id").cumcount()
    wide = parts.pivot(index="seller_id", columns="slot", values="p")
    return pd.Series(fisher_combination(wide.to_numpy()), index=wide.index)


def find(ctx: ScoringContext) -> SignalResult:
    episodes = suspension_episodes(ctx)
    if episodes.empty:
        return SignalResult.empty()
    staff_rows = reinstating_staff(ctx, episodes)
    if not staff_rows.empty:
        # Both sides at one resolution, whatever produced the staff rows, or the merge misses them.
        staff_rows = staff_rows.assign(reinstated_at=pd.to_datetime(staff_rows["reinstated_at"]).astype("datetime64[us]"))
        episodes = episodes.assign(reinstated_at=pd.to_datetime(episodes["reinstated_at"]).astype("datetime64[us]"))
        episodes = episodes.merge(staff_rows, on=["seller_id", "reinstated_at"], how="left")
    history = employee_history(ctx)
    # One hypothesis per seller with a reinstatement: sellers whose suspensions are all still open or
    # closed have nothing to judge.
    n_tests = int(episodes.loc[episodes["reinstated"].astype(bool), "seller_id"].nunique())
    if n_tests == 0:
        return SignalResult.empty()

    # Discoveries leave the speed reference and the test is run again, until they no longer change
    # (within this run only: nothing is carried between runs).
    set_aside: frozenset = frozenset()
    for _ in range(SET_ASIDE_PASSES):
        scored, staff = episode_p_values(episodes, set_aside)
        if scored.empty:
            return SignalResult.empty(n_tests)
        pairs = employee_pairs(episodes, staff, history)
        p_seller = seller_p_values(scored, pairs)
        found = frozenset(p_seller.index[bh_q_values(p_seller.to_numpy(), n_tests) <= FDR])
        if found == set_aside:
            break
        set_aside = found

    scored = scored.assign(quick_found=(scored["p_episode"] < 0.05).astype(int))
    per_seller = pd.DataFrame({"p_value": p_seller})
    per_seller["quick"] = scored.groupby("seller_id")["quick_found"].sum()
    strongest_staff = (pairs.sort_values(["seller_id", "p_employee"], na_position="last")
                       .drop_duplicates("seller_id").set_index("seller_id")
                       .rename(columns={"employee_id": "staff_employee", "n_other": "staff_n",
                                        "k_other": "staff_k", "team_rate": "staff_rate"}))
    staff_columns = ["staff_employee", "staff_n", "staff_k", "staff_rate", "p_kind", "reinstate_share",
                     "history_actions"]
    fastest = (scored.drop(columns="quick").sort_values(["seller_id", "p_episode"])
               .drop_duplicates("seller_id").set_index("seller_id")
               .drop(columns=[c for c in staff_columns if c in scored.columns])
               .join(per_seller[["p_value", "quick"]], how="inner")
               .join(strongest_staff.reindex(columns=staff_columns)))
    fastest["median_hours"] = fastest["ordinary_hours"]
    fastest = fastest.reset_index()

    evidence = pd.DataFrame({
        "seller_id": fastest["seller_id"],
        "signal": NAME,
        "changepoint_date": fastest["suspended_at"].dt.date,
        "before": fastest["median_hours"],
        "after": fastest["hours"],
        "effect": np.log(fastest["median_hours"].clip(lower=0.01) / fastest["hours"].clip(lower=0.01)),
        "p_value": fastest["p_value"],
        "measure": "hours from suspension to reinstatement (ordinary for the reason -> this one)",
        "product_id": None,
        "related_seller_id": None,
        "detail": [_describe(row) for row in fastest.itertuples()],
    }, columns=list(EVIDENCE_COLUMNS))
    return SignalResult(evidence, n_tests, tested_frame(p_seller.index, p_seller.to_numpy()))
