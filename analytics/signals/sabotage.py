"""Sabotage: rivals attacked (1-star bursts, suspensions) while this seller gained from their fall.

Insiders were paid to attack a buyer's competitors: flood their listings with fake 1-star reviews and
have their accounts suspended. An honest seller also gains when a rival has a genuine bad week (a
defective batch, an honest suspension), so one coincidence proves nothing. Three traces
are tested, each against the seller's own category, and combined (``combination.min_p_combination``: valid
whatever their dependence; the smallest p-value times the number of traces present) into one p-value per seller:

A. The attackers also praise this seller (the strongest trace: attack accounts are often reused
   sock-puppets that also praise the buyer). The accounts that wrote the 1-star reviews of every
   rating burst in the category are chosen without looking at whom they praise, so under no sabotage
   their 5-star reviews land on a seller as anyone's praise does, in proportion to its share of the
   category's fans. The count of burst accounts that praised this seller (its own attackers aside),
   over the whole history and all its categories, is judged against that expectation, with the
   spread beyond Poisson estimated from the bulk of the sellers (honest critics favour close
   substitutes). No window between praise and attack and no number of 1-star reviews per account
   is assumed. At least ``MIN_ATTACK_ACCOUNTS`` accounts are needed.
B. Who gains from the fall. Each rival hit (a week of 1-star reviews far above what that product
   usually gets, or a suspension) after which the rival's rank really fell is an event. Its peers are
   the products that stood near the rival (the ``PEERS`` nearest its usual standing, kept if within a
   factor of four of where it stood just before); each is compared on how much its rank improved over
   the four weeks after against the four before, beyond its own trend over the period (standardised by
   the usual four-week swings of products at its level of rank). Under no sabotage a product's place
   among the peers is uniform. A seller's places are weighted by how much it stood to gain (closeness
   in rank to the rival, times the size of the rival's fall) and combined over its events (weighted
   Stouffer; events within four weeks of each other form one episode whose places are averaged, so
   overlapping windows are not counted twice).
C. A rival suspended off-routine, and who gained from it (only where access_log has rows). Each
   suspension is tied to the employees whose logged suspension of that seller lies within a span
   learnt from the log (nine in ten suspensions' nearest log lines), and the employee is judged
   against the other staff who suspend (``StaffHistory.peer_rarity``: the share of their suspensions
   done by someone for whom suspending is as unusual). Over the off-routine suspensions
   (``OFF_ROUTINE_P``), chosen from the log alone, the seller's places among the rival's competitors
   are combined as in B. So the trace is the one seller that gained most from a suspension its
   suspender does not usually do, never the whole portfolio of an employee (a trace "the same
   employee touched both sides" marked 76 of 578 honest sellers at p < 0.05 on an independent
   marketplace: managers touch every seller).

B and C rest on a premise: sabotage's beneficiaries gain visibly when their rivals fall. It is
checked on the marketplace at hand (``premise_holds``: where trace A marks enough sellers, their gain
p-values must run lower than the others'); where the check fails, B and C are absent (NaN) and carry
no weight, rather than diluting A. On an independent marketplace and on our demo the check fails:
the buyers' rank gains sit among everyone else's.

The seller is tested when any trace could be computed for it (an untestable trace is NaN, never
p = 1, in the combination); a seller of a category with burst accounts that fewer than
``MIN_ATTACK_ACCOUNTS`` of them praised is tested with nothing found (p = 1 in ``tested``, counted by
the false-discovery step). ``n_tests`` counts those sellers and ``tested`` gives each one's p-value.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analytics.scoring.context import ScoringContext
from analytics.signals import EVIDENCE_COLUMNS, SignalResult, tested_frame
from analytics.signals.combination import min_p_combination
from analytics.signals.rivalry import (WindowMeans, block_trend, positions, report_limit, staff_touches,
                                       suspension_episodes, swing_by_level, window_mean_at)
from analytics.signals.staff_history import staff_history

NAME = "sabotage"
TITLE = "Rivals attacked while this seller gained"
COLOR = "#8c564b"
CORE = True
FDR = 0.05
WEIGHT = 1.0

MIN_ATTACK_ACCOUNTS = 2  # one burst account that also praised the seller is a coincidence, however rare
BURST_MIN_ONE_STAR = 5  # a week with fewer 1-star reviews is never a burst
BURST_P = 1e-4  # Poisson tail below which a week's 1-star count is a burst for that product
WINDOW = 28  # days before / after a hit over which ranks are compared
MIN_DAYS = 7  # observed days needed on each side of a hit
MIN_PEERS = 5  # sellers in the category to compare with; fewer and an event says nothing
MIN_FALL = 1.0  # the rival's rank must fall by at least one usual four-week swing
MIN_PROXIMITY = 0.25  # sellers standing more than 4x away from the rival's share are not judged on its fall
PEERS = 200  # products nearest the rival's usual standing that a hit's peers are drawn from
FALL_CAP = 3.0  # a delisted or suspended rival counts as this big a fall
OFF_ROUTINE_P = 0.05  # a suspension whose employee is this unusual among the suspending staff is off-routine
PREMISE_MIN = 3  # sellers needed on each side to check that beneficiaries gain visibly from rivals' falls


# --- A. the attackers also praise this seller ---------------------------------------------------------

def attackers_praise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per seller: how many of the accounts behind its rivals' rating bursts also gave it 5 stars
    (k_accounts), how many would by chance (expected_accounts), and the tail p_accounts (Poisson, or
    negative binomial where the category's praise is overdispersed).

    ``rows`` is ``targeting_burst_praise``: the burst accounts ('attack': category, reviewer, rival
    hit, when), their 5-star reviews in that category ('praise') and every seller's number of
    5-star reviewers there ('fans'). The burst accounts are chosen without looking at whom they
    praise, so under no sabotage an account's praise lands on a seller as any praise in the category
    does: with the seller's share f of the category's fans per seller it praised. An account that
    praised m other sellers (not the ones it attacked) praises this one with chance at most m x f,
    so the expected count is the sum of that over the accounts that attacked rivals (the seller's own
    attackers left out) and the count is judged against it over the whole history, all categories
    summed. Timing and verification are not used: nothing says when a sock puppet praises its
    client, or that it buys nothing. A seller is testable from ``MIN_ATTACK_ACCOUNTS`` accounts (one
    account that praised it is a coincidence, however rare); fewer: NaN."""
    columns = ["seller_id", "k_accounts", "expected_accounts", "p_accounts", "category", "rival_seller_id",
               "rival_accounts", "rivals_hit", "first_attack_at"]
    attack = rows[rows["part"] == "attack"]
    if attack.empty:
        return pd.DataFrame(columns=columns)
    praise = rows[rows["part"] == "praise"]
    fans = rows[rows["part"] == "fans"][["category", "seller_id", "n"]]
    # Praise of a seller the account itself attacked says nothing about sabotage on its behalf.
    attacked = attack[["category", "reviewer_key", "seller_id"]].assign(own=True)
    praise = praise.merge(attacked, on=["category", "reviewer_key", "seller_id"], how="left")
    praise = praise[praise["own"].isna()].drop(columns="own")
    # m: how many sellers each burst account praised in the category, besides those it attacked.
    accounts = attack.drop_duplicates(["category", "reviewer_key"])[["category", "reviewer_key"]]
    m = praise.groupby(["category", "reviewer_key"]).size().rename("m")
    accounts = accounts.join(m, on=["category", "reviewer_key"]).fillna({"m": 0})
    accounts = accounts[accounts["m"] > 0]
    if accounts.empty:
        return pd.DataFrame(columns=columns)
    by_m = accounts.groupby(["category", "m"]).size().rename("accounts").reset_index()
    fans = fans.assign(share=fans["n"] / fans.groupby("category")["n"].transform("sum"))
    fans = fans[fans["category"].isin(by_m["category"])]
    # Expected: sum over accounts of min(1, m x share), by category (sellers x distinct m, small).
    expected = np.zeros(len(fans))
    for category, group in by_m.groupby("category", sort=False):
        inside = np.flatnonzero((fans["category"] == category).to_numpy())
        share = fans["share"].to_numpy()[inside]
        expected[inside] = (np.minimum(1.0, share[:, None] * group["m"].to_numpy()[None, :])
                            * group["accounts"].to_numpy()[None, :]).sum(axis=1)
    fans = fans.assign(expected=expected)
    # The seller's own attackers are not its trials: take their chances out of its expectation.
    own = attack.merge(accounts, on=["category", "reviewer_key"]).merge(fans[["category", "seller_id", "share"]],
                                                                        on=["category", "seller_id"])
    own_chance = (np.minimum(1.0, own["m"] * own["share"])).groupby([own["category"], own["seller_id"]]).sum()
    fans = fans.join(own_chance.rename("own_chance"), on=["category", "seller_id"]).fillna({"own_chance": 0.0})
    fans["expected"] = np.maximum(fans["expected"] - fans["own_chance"], 0.0)
    observed = praise.groupby(["category", "seller_id"])["reviewer_key"].nunique().rename("k")
    fans = fans.join(observed, on=["category", "seller_id"]).fillna({"k": 0})
    per_seller = fans.groupby("seller_id")[["k", "expected"]].sum()
    k = per_seller["k"].to_numpy()
    expected = np.maximum(per_seller["expected"].to_numpy(), 1e-12)
    # Honest critics of one product do not praise at random (comparison shoppers favour its close
    # substitutes): the count's spread beyond Poisson is estimated from the bulk of the sellers (the
    # most extreme 2% set aside as possible discoveries) and the tail taken from a negative binomial
    # with that variance (Poisson where the bulk shows no extra spread).
    dispersion = _dispersion(k, expected)
    if dispersion > 1.0:
        size = expected / (dispersion - 1.0)
        p = stats.nbinom.sf(k - 1, size, size / (size + expected))
    else:
        p = stats.poisson.sf(k - 1, expected)
    per_seller["p_accounts"] = np.where(k >= MIN_ATTACK_ACCOUNTS, np.clip(p, 0.0, 1.0), np.nan)
    per_seller = per_seller.rename(columns={"k": "k_accounts", "expected": "expected_accounts"})

    # For the sentence: the rival those accounts hit most, and when they first did.
    links = praise[["category", "reviewer_key", "seller_id"]].merge(
        attack.rename(columns={"seller_id": "rival_seller_id"})[["category", "reviewer_key", "rival_seller_id",
                                                                  "first_at"]],
        on=["category", "reviewer_key"])
    if links.empty:
        main = pd.DataFrame(columns=["category", "rival_seller_id", "rival_accounts", "rivals_hit",
                                     "first_attack_at"], index=pd.Index([], name="seller_id"))
    else:
        per_rival = links.groupby(["seller_id", "category", "rival_seller_id"]).agg(
            rival_accounts=("reviewer_key", "nunique"), first_attack_at=("first_at", "min")).reset_index()
        main = per_rival.sort_values(["seller_id", "rival_accounts", "first_attack_at"],
                                     ascending=[True, False, True]).drop_duplicates("seller_id").set_index("seller_id")
        main["rivals_hit"] = per_rival.groupby("seller_id")["rival_seller_id"].nunique()
        main["first_attack_at"] = links.groupby("seller_id")["first_at"].min()
    return per_seller.join(main, how="left").reset_index()[columns]


def _dispersion(k: np.ndarray, expected: np.ndarray) -> float:
    """Quasi-Poisson dispersion of counts ``k`` around ``expected``: the mean squared Pearson residual
    over sellers with something to expect, the largest 2% trimmed (they may be the buyers)."""
    use = expected >= 0.05
    if use.sum() < 20:
        return 1.0
    r2 = (k[use] - expected[use]) ** 2 / expected[use]
    keep = r2 <= np.quantile(r2, 0.98)
    return float(max(1.0, r2[keep].mean()))


def burst_praise(ctx: ScoringContext, weeks: pd.DataFrame) -> pd.DataFrame:
    """``targeting_burst_praise`` for the burst product-weeks ``weeks`` (product_id, week)."""
    if weeks.empty:
        return pd.DataFrame(columns=["part", "category", "reviewer_key", "seller_id", "first_at", "n"])
    return ctx.query("targeting_burst_praise", burst_products=weeks["product_id"].astype(str).tolist(),
                     burst_weeks=weeks["week"].astype(np.int64).tolist())


# --- hits on rivals ----------------------------------------------------------------------------------

def burst_weeks(ctx: ScoringContext) -> pd.DataFrame:
    """Product-weeks whose 1-star count is far above that product's usual (Poisson tail under
    ``BURST_P``): product_id, seller_id, category, week, one_star, first_one_star_at."""
    weeks = ctx.query("targeting_rating_bursts", min_one_star=BURST_MIN_ONE_STAR)
    if weeks.empty:
        return weeks
    # Usual 1-star count for a week like this one: the product's own share of 1-star reviews times
    # this week's other reviews, or its usual weekly count, whichever is larger (so a product that is
    # simply getting more reviews this week is not bursting).
    odds = (weeks["one_star_other_weeks"] + 0.5) / (weeks["other_reviews_other_weeks"] + 1.0)
    per_week = (weeks["one_star_other_weeks"] + 0.5) / weeks["other_weeks"]
    usual = np.maximum(odds * weeks["other_reviews"], per_week)
    weeks["p"] = stats.poisson.sf(weeks["one_star"] - 1, usual)
    return weeks[weeks["p"] < BURST_P].sort_values(["product_id", "week"]).reset_index(drop=True)


def rating_bursts(ctx: ScoringContext, bursts: pd.DataFrame) -> pd.DataFrame:
    """The burst weeks as hits (one per run of consecutive burst weeks): category, day_idx,
    rival_seller_id, product_id, kind, size."""
    if bursts.empty:
        return pd.DataFrame(columns=["category", "day_idx", "rival_seller_id", "product_id", "kind", "size"])
    new_run = (bursts["product_id"] != bursts["product_id"].shift()) | (bursts["week"].diff() > 1)
    bursts = bursts.assign(run=new_run.cumsum())
    runs = bursts.groupby("run").agg(product_id=("product_id", "first"), rival_seller_id=("seller_id", "first"),
                                     category=("category", "first"), first_at=("first_one_star_at", "min"),
                                     size=("one_star", "sum"))
    runs["day_idx"] = (pd.to_datetime(runs["first_at"]).dt.normalize() - pd.Timestamp(ctx.first_day)).dt.days
    runs["kind"] = "burst"
    return runs[["category", "day_idx", "rival_seller_id", "product_id", "kind", "size"]].reset_index(drop=True)


def suspensions(ctx: ScoringContext) -> pd.DataFrame:
    """Suspensions known on the as-of day, as hits on every category the suspended seller lists in."""
    episodes = suspension_episodes(ctx)
    if episodes.empty:
        return pd.DataFrame(columns=["category", "day_idx", "rival_seller_id", "product_id", "kind", "size"])
    products = ctx.product_matrices.products
    hits = episodes[["seller_id", "suspended_at"]].merge(
        products[["seller_id", "category"]].drop_duplicates(), on="seller_id")
    hits["day_idx"] = (pd.to_datetime(hits["suspended_at"]).dt.normalize() - pd.Timestamp(ctx.first_day)).dt.days
    hits = hits.rename(columns={"seller_id": "rival_seller_id"}).assign(product_id=None, kind="suspension", size=1)
    return hits[["category", "day_idx", "rival_seller_id", "product_id", "kind", "size"]]


# --- B. who gains from the fall ------------------------------------------------------------------------

def event_study(ctx: ScoringContext, hits: pd.DataFrame) -> pd.DataFrame:
    """One row per (hit, seller near the rival) for hits after which the rival fell: the seller's
    standardised rank gain, its place among the hit's peers (p_place: 0.5/N for the biggest gainer of
    N, uniform under no sabotage), its weight, and its representative product (the one that stood
    closest to the rival before the hit, chosen before looking at gains).

    A hit's peers are the ``PEERS`` other products of the category nearest the rival's usual standing
    (then kept if within a factor of ``1 / MIN_PROXIMITY`` of where the rival stood just before): a
    category can hold ten thousand products, and the far ones stood to gain little from its fall."""
    m = ctx.product_matrices
    n_days = len(m.days)
    hits = hits[(hits["day_idx"] >= MIN_DAYS) & (hits["day_idx"] + MIN_DAYS <= n_days)]
    if hits.empty:
        return pd.DataFrame()
    hits = hits.reset_index(drop=True).assign(event=lambda h: np.arange(len(h)))
    products = m.products
    rows_of = products.groupby("category").indices
    seller_codes, seller_names = pd.factorize(products["seller_id"])
    hits = hits.assign(rival=positions(seller_names, hits["rival_seller_id"]),
                       named=np.where(hits["product_id"].isna(), -1,
                                      positions(products["product_id"], hits["product_id"].fillna(""))))
    parts = []
    for category, events in hits.groupby("category", sort=False):
        rows = rows_of.get(category)
        if rows is None or rows.size < MIN_PEERS + 1:
            continue
        part = _category_event_study(m, rows, events, seller_codes)
        if part is not None:
            parts.append(part)
    if not parts:
        return pd.DataFrame()
    study = pd.concat(parts, ignore_index=True)
    study["seller"] = seller_codes[study["product"].to_numpy()]
    # A seller's product that stood closest to the rival speaks for it (chosen before looking at gains).
    study = study.sort_values(["event", "proximity"], ascending=[True, False], kind="stable") \
        .drop_duplicates(["event", "seller"])
    study["weight"] = study["proximity"] * study["fall"] / FALL_CAP
    study["seller_id"] = pd.Categorical.from_codes(study["seller"].to_numpy(), categories=pd.Index(seller_names))
    study["product_id"] = pd.Categorical.from_codes(study["product"].to_numpy(),
                                                    categories=pd.Index(products["product_id"]))
    study = study.merge(hits[["event", "day_idx", "category", "rival_seller_id", "kind"]], on="event")
    return study.drop(columns=["product", "seller"]).reset_index(drop=True)


def _category_event_study(m, rows: np.ndarray, events: pd.DataFrame, seller_codes: np.ndarray
                          ) -> pd.DataFrame | None:
    n_days = len(m.days)
    matrix_rows = m.products["product_idx"].to_numpy()[rows]
    # Where the rival stood and how far it fell: its share of the category (a delisted rival is at
    # the bottom). What peers gained: their log rank without a new listing's first weeks (a launch
    # climbing the ranks gains from nothing), beyond their own trend, in their usual swings.
    values = m.rel_rank[matrix_rows]
    shares = WindowMeans(values)
    log_rank = m.log_rank[matrix_rows]
    logs = WindowMeans(log_rank)
    # Over a few weeks a category's size barely moves, so share and log rank swing alike: one yardstick.
    swing = log_swing = swing_by_level(log_rank)
    trend = block_trend(log_rank)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        usual = np.nanmean(values, axis=1)
    event_ids = events["event"].to_numpy()
    day = events["day_idx"].to_numpy()

    # The rival's fall, over the rival's products in the category (few per hit).
    rival = events["rival"].to_numpy(np.int64)
    named = events["named"].to_numpy(np.int64)
    local_sellers = seller_codes[rows]
    by_seller = pd.Series(np.arange(rows.size)).groupby(local_sellers).indices
    pair_event, pair_row = [], []
    for j in range(len(events)):
        mine = by_seller.get(rival[j], np.array([], dtype=np.int64))
        if named[j] >= 0:
            mine = mine[rows[mine] == named[j]]
        pair_event.append(np.full(mine.size, j))
        pair_row.append(mine)
    e, r = np.concatenate(pair_event).astype(np.int64), np.concatenate(pair_row).astype(np.int64)
    if e.size == 0:
        return None
    pre, n_pre = shares(r, day[e] - WINDOW, day[e])
    post, n_post = shares(r, day[e], day[e] + WINDOW)
    post_days = np.minimum(day[e] + WINDOW, n_days) - day[e]
    with np.errstate(invalid="ignore", divide="ignore"):
        fall = np.nan_to_num((np.nan_to_num(post) * n_post / post_days - pre) / swing[r], nan=0.0)
    fall = np.where(n_pre >= MIN_DAYS, fall, -np.inf)
    falls = pd.DataFrame({"e": e, "fall": fall, "level": pre}).sort_values("fall", ascending=False) \
        .drop_duplicates("e").set_index("e")
    falls = falls[falls["fall"] >= MIN_FALL].sort_index()
    if falls.empty:
        return None
    fallen = falls.index.to_numpy()

    # Peers: the PEERS products nearest the rival's usual standing (sorted once), not the rival's own.
    order = np.argsort(np.where(np.isnan(usual), np.inf, usual), kind="stable")
    sorted_usual = usual[order]
    centre = np.searchsorted(sorted_usual, falls["level"].to_numpy())
    first = np.clip(centre - PEERS // 2, 0, max(rows.size - PEERS, 0))
    width = min(PEERS, rows.size)
    e = np.repeat(fallen, width)
    r = order[(first[:, None] + np.arange(width)[None, :]).ravel()]
    keep = local_sellers[r] != rival[e]
    e, r = e[keep], r[keep]
    pre, n_pre = shares(r, day[e] - WINDOW, day[e])
    log_pre, n_log_pre = logs(r, day[e] - WINDOW, day[e])
    log_post, n_log_post = logs(r, day[e], day[e] + WINDOW)
    with np.errstate(invalid="ignore", divide="ignore"):
        gain = (log_pre - log_post + trend[r]) / log_swing[r]
        proximity = np.exp(-np.abs(pre - falls["level"].to_numpy()[np.searchsorted(fallen, e)]))
    judged = (n_pre >= MIN_DAYS) & (n_log_pre >= MIN_DAYS) & (n_log_post >= MIN_DAYS) & np.isfinite(gain) \
        & (proximity >= MIN_PROXIMITY)
    study = pd.DataFrame({"event": event_ids[e[judged]], "product": rows[r[judged]], "proximity": proximity[judged],
                          "gain": gain[judged], "fall": np.minimum(falls["fall"].to_numpy()[
                              np.searchsorted(fallen, e[judged])], FALL_CAP)})
    study["peers"] = study.groupby("event")["gain"].transform("size")
    study = study[study["peers"] >= MIN_PEERS]
    if study.empty:
        return None
    place = study.groupby("event")["gain"].rank(ascending=False, method="average")
    study["p_place"] = (place - 0.5) / study["peers"]
    return study


def gains_from_falls(study: pd.DataFrame) -> pd.DataFrame:
    """Per seller: weighted Stouffer z over its episodes and its p-value (p_gain)."""
    if study.empty:
        return pd.DataFrame(columns=["seller_id", "z_gain", "p_gain", "events", "top_places"])
    study = study.sort_values(["category", "day_idx"])
    # Episodes: hits in a category within WINDOW days of the previous one share rank windows.
    starts = study.drop_duplicates("event")[["event", "category", "day_idx"]]
    new_episode = (starts["category"] != starts["category"].shift()) | (starts["day_idx"].diff() > WINDOW)
    starts = starts.assign(episode=new_episode.cumsum())
    study = study.merge(starts[["event", "episode"]], on="event")
    study["z"] = stats.norm.isf(study["p_place"])
    study["wz"] = study["weight"] * study["z"]
    per_episode = study.groupby(["seller_id", "episode"]).agg(wz=("wz", "sum"), w=("weight", "sum"),
                                                             w_max=("weight", "max"))
    per_episode = per_episode[per_episode["w"] > 0]
    per_episode["z"] = per_episode["wz"] / per_episode["w"]  # conservative if the events are dependent
    per_episode["wz"] = per_episode["w_max"] * per_episode["z"]
    per_episode["w2"] = per_episode["w_max"] ** 2
    per_seller = per_episode.groupby("seller_id").agg(wz=("wz", "sum"), w2=("w2", "sum"),
                                                     episodes=("z", "size"))
    per_seller["z_gain"] = per_seller["wz"] / np.sqrt(per_seller["w2"])
    per_seller["p_gain"] = stats.norm.sf(per_seller["z_gain"])
    top = study[study["p_place"] <= 0.1].groupby("seller_id")["event"].nunique()
    per_seller["top_places"] = top.reindex(per_seller.index).fillna(0).astype(int)
    per_seller["events"] = study.groupby("seller_id")["event"].nunique()
    return per_seller.reset_index()[["seller_id", "z_gain", "p_gain", "events", "top_places"]]


# --- C. a rival suspended off-routine, and who gained from it ------------------------------------------

def suspenders(touches: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """The employees behind the rivals' suspensions: per suspension (rival_seller_id, day_idx), each
    employee whose logged suspension of that seller lies within the attribution span of it.

    The span is learnt from the log: for every suspension with a logged suspension of the same seller
    at all, the distance in days to the nearest such log line; the span covers nine in ten of those
    (at least the same or next day). Logs whose lines come hours after their event get a wider span
    than ones that are exact; nothing is copied from a generator."""
    columns = ["rival_seller_id", "day_idx", "employee_id"]
    sus = hits[hits["kind"] == "suspension"][["rival_seller_id", "day_idx"]].drop_duplicates()
    if touches.empty or sus.empty:
        return pd.DataFrame(columns=columns)
    acts = touches[touches["kind"] == "suspend"]
    acts = pd.DataFrame({"employee_id": acts["employee_id"].astype(str), "rival_seller_id": acts["seller_id"].astype(str),
                         "log_day": acts["day_idx"].to_numpy()}).drop_duplicates()
    pairs = sus.merge(acts, on="rival_seller_id")
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    pairs["lag"] = (pairs["log_day"] - pairs["day_idx"]).abs()
    nearest = pairs.groupby(["rival_seller_id", "day_idx"])["lag"].min()
    span = max(1.0, float(np.quantile(nearest, 0.9)))
    pairs = pairs[pairs["lag"] <= span]
    return pairs[columns].drop_duplicates().reset_index(drop=True)


def off_routine_gains(ctx: ScoringContext, touches: pd.DataFrame, hits: pd.DataFrame,
                      study: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per seller: how it placed among a rival's competitors when that rival was suspended by someone
    for whom suspending is unusual (p_staff: ``gains_from_falls`` over those suspensions only), and
    those suspensions (rival, day, employee, p_employee) for the analyst's sentence.

    Each suspension's employee is judged against their peers (``StaffHistory.peer_rarity`` for the kind
    'suspend', the rival left out: the share of other staff's suspensions done by someone for whom
    suspending is as unusual); the suspension is off-routine at ``OFF_ROUTINE_P``. Which suspensions
    count is decided by the log alone, before any gain is looked at, so under no sabotage a seller's
    places among the peers of those suspensions stay uniform: the p-value is honest, and an employee's
    whole portfolio is never pulled in (only the seller that gained most from the rival's fall, time
    after time, stands out). (Joining each place with the employee's p-value instead lifted every
    neighbour of a sabotaged rival, not only the buyer: the employee's rarity is about the rival's
    suspension, not about which neighbour paid.) No off-routine suspension among the seller's rivals:
    NaN (no staff trace), not p = 1."""
    empty = pd.DataFrame(columns=["seller_id", "z_gain", "p_gain", "events", "top_places"])
    none = pd.DataFrame(columns=["rival_seller_id", "day_idx", "employee_id", "p_employee"])
    history = staff_history(ctx)
    if history is None or study.empty:
        return empty, none
    who = suspenders(touches, hits)
    if who.empty:
        return empty, none
    who["p_employee"] = history.peer_rarity(who["employee_id"].to_numpy(), "suspend",
                                            who["rival_seller_id"].to_numpy())
    # Several employees on one suspension: the most unusual, Bonferroni over them.
    who["p_employee"] = np.minimum(1.0, who["p_employee"]
                                   * who.groupby(["rival_seller_id", "day_idx"])["employee_id"].transform("size"))
    who = who.dropna(subset=["p_employee"]).sort_values("p_employee").drop_duplicates(["rival_seller_id", "day_idx"])
    odd = who[who["p_employee"] <= OFF_ROUTINE_P]
    if odd.empty:
        return empty, none
    events = study[study["kind"] == "suspension"].merge(odd[["rival_seller_id", "day_idx"]],
                                                        on=["rival_seller_id", "day_idx"])
    if events.empty:
        return empty, odd.reset_index(drop=True)
    return gains_from_falls(events), odd.reset_index(drop=True)


def premise_holds(accounts: pd.DataFrame, gains: pd.DataFrame) -> bool:
    """Does the marketplace at hand show that sabotage's beneficiaries gain visibly when rivals fall?

    The rank components rest on that premise. Where the reused-accounts trace (independent of ranks)
    already marks at least ``PREMISE_MIN`` sellers (p_accounts <= 0.01), their gain p-values must be
    smaller than the other sellers' (one-sided Mann-Whitney, p <= 0.05); if they are not, rank gains
    carry no weight on this marketplace. With fewer such sellers the premise cannot be checked and
    the rank components count."""
    if accounts.empty or gains.empty:
        return True
    marked = set(accounts.loc[accounts["p_accounts"] <= 0.01, "seller_id"])
    p_gain = gains.set_index("seller_id")["p_gain"].dropna()
    inside = p_gain[p_gain.index.isin(marked)]
    if len(inside) < PREMISE_MIN:
        return True
    outside = p_gain[~p_gain.index.isin(marked)]
    if len(outside) < PREMISE_MIN:
        return True
    return bool(stats.mannwhitneyu(inside, outside, alternative="less").pvalue <= 0.05)


# --- the signal ---------------------------------------------------------------------------------------

def find(ctx: ScoringContext) -> SignalResult:
    bursts = burst_weeks(ctx)
    accounts = attackers_praise(burst_praise(ctx, bursts))
    hits = pd.concat([rating_bursts(ctx, bursts), suspensions(ctx)], ignore_index=True).astype({"day_idx": np.int64})
    study = event_study(ctx, hits) if not hits.empty else pd.DataFrame()
    gains = gains_from_falls(study)
    staff, odd = off_routine_gains(ctx, staff_touches(ctx), hits, study)
    staff = staff.rename(columns={"z_gain": "z_staff", "p_gain": "p_staff", "events": "staff_events",
                                  "top_places": "staff_top_places"})
    if not premise_holds(accounts, gains):
        # Rank gains are not where this marketplace's beneficiaries show: both rank components are absent.
        gains, staff = gains.iloc[0:0], staff.iloc[0:0]

    sellers = pd.DataFrame({"seller_id": pd.concat([accounts["seller_id"], gains["seller_id"],
                                                    staff["seller_id"]]).unique()})
    if sellers.empty:
        return SignalResult.empty()
    combined = (sellers.merge(accounts, on="seller_id", how="left")
                .merge(gains, on="seller_id", how="left")
                .merge(staff, on="seller_id", how="left"))
    combined["p_value"] = min_p_combination(combined[["p_accounts", "p_gain", "p_staff"]].astype(float))
    # A seller whose category had burst accounts but whom fewer than MIN_ATTACK_ACCOUNTS of them praised
    # was tested and nothing was found: p = 1 in the tested frame (counted by the false-discovery step),
    # though absent (NaN) in the combination above, where it must not dilute the other traces.
    nothing = combined["p_value"].isna() & combined["expected_accounts"].notna()
    combined.loc[nothing, "p_value"] = 1.0
    registered = set(ctx.product_matrices.products["seller_id"])
    combined = combined[combined["seller_id"].isin(registered) & combined["p_value"].notna()]
    n_tests = len(combined)
    tested = tested_frame(combined["seller_id"], combined["p_value"])
    candidates = combined[combined["p_value"] <= report_limit(n_tests, FDR)]
    if not study.empty:
        study = study[study["seller_id"].isin(candidates["seller_id"])]
    by_seller = dict(tuple(study.groupby("seller_id"))) if not study.empty else {}
    products = ctx.product_matrices.products
    listed = products[products["seller_id"].isin(candidates["seller_id"])]
    rows_of = {key: listed.iloc[rows] for key, rows in listed.groupby(["seller_id", "category"]).indices.items()}
    rows = [_evidence_row(ctx, c, by_seller.get(c.seller_id, pd.DataFrame()), rows_of, odd)
            for c in candidates.itertuples()]
    evidence = pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
    return SignalResult(evidence, n_tests, tested)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _evidence_row(ctx: ScoringContext, c, own_events: pd.DataFrame, rows_of: dict, odd: pd.DataFrame) -> dict:
    m = ctx.product_matrices
    strongest = None
    if not own_events.empty:
        score = own_events["weight"].to_numpy() * stats.norm.isf(own_events["p_place"].to_numpy())
        strongest = own_events.iloc[int(np.argmax(score))]

    has_accounts = isinstance(c.rival_seller_id, str) and not np.isnan(c.p_accounts) and c.p_accounts < 1
    if has_accounts and (strongest is None or c.p_accounts <= c.p_gain):
        start = pd.Timestamp(c.first_attack_at).normalize()
        rival, category = c.rival_seller_id, c.category
    elif strongest is not None:
        start = pd.Timestamp(m.days[int(strongest["day_idx"])])
        rival, category = strongest["rival_seller_id"], strongest["category"]
    else:
        start, rival, category = None, None, c.category if isinstance(c.category, str) else None

    # The seller's standing before and after, on its product in that category that moved most.
    product_id, before, after = None, np.nan, np.nan
    if start is not None:
        day = int((start - pd.Timestamp(m.days[0])).days)
        own = rows_of.get((c.seller_id, category))
        if own is not None:
            rows = own["product_idx"].to_numpy()
            pre, n_pre = window_mean_at(m.rel_rank, rows, np.full(rows.size, day - WINDOW), WINDOW)
            post, n_post = window_mean_at(m.rel_rank, rows, np.full(rows.size, day), WINDOW)
            moved = np.where((n_pre >= MIN_DAYS) & (n_post >= MIN_DAYS), pre - post, -np.inf)
            if np.isfinite(moved).any():
                best = int(np.argmax(moved))
                product_id = own["product_id"].iloc[best]
                before, after = float(np.exp(pre[best])), float(np.exp(post[best]))

    where = f"in {category}" if category else "in its category"
    parts = []
    if not np.isnan(c.p_accounts) and c.p_accounts <= 0.05:
        rivals = _plural(int(c.rivals_hit), "rival") if isinstance(c.rival_seller_id, str) else "rivals"
        parts.append(f"{_plural(int(c.k_accounts), 'account')} that wrote the 1-star bursts on {rivals} "
                     f"{where} also gave this seller 5 stars ({c.expected_accounts:.2g} expected from its share "
                     f"of the category's praise)")
    if not np.isnan(c.p_gain) and c.p_gain <= 0.05 and c.top_places > 0:
        parts.append(f"it was among the biggest gainers {_plural(int(c.top_places), 'time')} when a rival "
                     f"{where} fell after a 1-star burst or suspension")
    if not np.isnan(c.p_staff) and c.p_staff <= 0.05:
        mine = own_events.merge(odd, on=["rival_seller_id", "day_idx"]) if not own_events.empty else odd.iloc[0:0]
        if not mine.empty:
            first = mine.sort_values(["p_place", "day_idx"]).iloc[0]
            parts.append(f"rival {first['rival_seller_id']} was suspended on {m.days[int(first['day_idx'])].date()} "
                         f"by employee {first['employee_id']}, for whom suspending is unusual (as unusual for "
                         f"{100 * first['p_employee']:.0f}% of the other staff's suspensions), and this seller "
                         f"was among the biggest gainers of its competitors "
                         f"{_plural(int(c.staff_top_places), 'time')}")
    if not parts:
        parts.append(f"rivals {where} were hit by 1-star bursts or suspensions while it gained")
    sentence = "; ".join(parts)
    if np.isfinite(before) and np.isfinite(after) and after < before:
        sentence += f", while its rank improved {before / after:.1f}x"
    if has_accounts:
        effect = float(np.log((c.k_accounts + 0.5) / (c.expected_accounts + 0.5)))
    else:
        effect = float(c.z_gain) if not np.isnan(c.z_gain) else np.nan
    return {
        "seller_id": c.seller_id,
        "signal": NAME,
        "changepoint_date": start.date() if start is not None else None,
        "before": before,
        "after": after,
        "effect": effect,
        "p_value": float(c.p_value),
        "measure": "this seller's sales rank as a share of its category, 4 weeks before -> after the first "
                   "attack (lower = better)",
        "product_id": product_id,
        "related_seller_id": rival,
        "detail": sentence,
    }
