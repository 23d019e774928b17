"""Pure, vectorised formulas for equity measures, computed from per-group counts or sufficient statistics.

Conventions shared by every function here (formulas and sources: the project's metrics reference, metrics.md):

* Inputs are array-likes or scalars and are broadcast against each other (numpy rules). Outputs are float64
  arrays; when every input was a scalar the result is a numpy scalar (``np.float64``, ``np.bool_`` or
  ``np.str_``) instead of a 0-d array. Functions "over groups" (`share`, `weighted_risk_ratio`,
  `eta_squared`, `adverse_impact_ratio`) treat the LAST axis as the groups, so a 2-D input holds one unit per
  row.
* An undefined result is NaN, never an exception or a warning: division by zero, a zero count where a
  logarithm is needed, a sample too small for a standard deviation. Counts that cannot be counts (negative,
  e.g. a CRDC reserve code such as -9 that slipped through, NaN or infinite) also give NaN. Only a bad
  *parameter* (a confidence level outside (0, 1), a window of fewer than 1 year) raises ``ValueError``.
* Threshold comparisons (`adverse_impact`, `above_threshold_each_year`, `reasonable_progress`) are made on
  values rounded to 10 decimal places, so floating-point noise cannot change a flag: 0.48/0.60 is exactly the
  four-fifths line (not adverse), and (30/100)/(10/100) = 2.9999999999999996 counts as a risk ratio of 3.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from equity_metrics.core.constants import DEFAULT_CONFIDENCE, FOUR_FIFTHS

__all__ = [
    "CHI_SQUARE",
    "FISHER_EXACT",
    "above_threshold_each_year",
    "adverse_impact",
    "benjamini_hochberg",
    "adverse_impact_ratio",
    "alternate_risk_ratio",
    "binomial_z",
    "chi_square_independence",
    "cohens_d",
    "complement_sums",
    "cramers_v",
    "eta_squared",
    "hedges_g",
    "hedges_g_interval",
    "katz_interval",
    "mantel_haenszel_risk_ratio",
    "mean_sd_from_sums",
    "median_gap_in_sd",
    "rate",
    "rate_difference",
    "reasonable_progress",
    "relative_difference_in_composition",
    "representation_index",
    "risk_ratio",
    "share",
    "staff_student_gap",
    "two_by_two_test",
    "weighted_risk_ratio",
    "welch_t_test",
    "wilson_interval",
    "z_value",
]

# Names reported by `two_by_two_test` for the test that produced each p-value.
CHI_SQUARE = "chi-square"
FISHER_EXACT = "Fisher's exact"

# Smallest expected count for which the chi-square approximation is used (Cochran's rule).
_MIN_EXPECTED = 5
# Largest count (2**53) below which every integer is exact in float64; the 2x2 test refuses bigger tables.
_MAX_EXACT_COUNT = float(2**53)
# Decimal places at which flag thresholds are compared (removes floating-point noise, nothing else).
_FLAG_DECIMALS = 10
# Relative tolerance for "as likely as the observed table" in Fisher's two-sided test (R's fisher.test uses
# the same 1e-7), so tables that tie exactly are not split by rounding error in the probabilities.
_FISHER_TIE_TOLERANCE = 1e-7

Floats = NDArray[np.float64] | np.float64
Bools = NDArray[np.bool_] | np.bool_


# --------------------------------------------------------------------------------------------------------
# helpers


def _f(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def _out(x: np.ndarray) -> np.ndarray | np.generic:
    """A 0-d result becomes a numpy scalar; anything else is returned as is."""
    x = np.asarray(x)
    return x[()] if x.ndim == 0 else x


def _counts_ok(a: np.ndarray, n: np.ndarray) -> NDArray[np.bool_]:
    """True where a, n are a usable numerator/denominator pair: finite, 0 <= a <= n, n > 0."""
    with np.errstate(all="ignore"):
        return np.isfinite(a) & np.isfinite(n) & (a >= 0) & (n > 0) & (a <= n)


def _divide(num: np.ndarray, den: np.ndarray) -> NDArray[np.float64]:
    """num / den with NaN wherever den == 0 (instead of inf or a warning)."""
    with np.errstate(all="ignore"):
        return np.where(den == 0, np.nan, num / den)


def _round_flag(x: ArrayLike) -> NDArray[np.float64]:
    with np.errstate(all="ignore"):
        return np.round(_f(x), _FLAG_DECIMALS)


# --------------------------------------------------------------------------------------------------------
# rates, intervals and ratios


def z_value(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """Two-sided standard-normal quantile z = Phi^-1((1 + confidence) / 2); 1.959963984540054 for 95%."""
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + float(confidence) / 2.0)


def rate(numerator: ArrayLike, denominator: ArrayLike) -> Floats:
    """Risk a / n (IDEA "risk", 34 CFR 300.647(a)); NaN when n <= 0 or either count is negative or not finite.

    The numerator may exceed the denominator (e.g. removals per student), so a > n is allowed here.
    """
    a, n = np.broadcast_arrays(_f(numerator), _f(denominator))
    with np.errstate(all="ignore"):
        ok = np.isfinite(a) & np.isfinite(n) & (a >= 0) & (n > 0)
        return _out(np.where(ok, a / n, np.nan))


def wilson_interval(
    numerator: ArrayLike, denominator: ArrayLike, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[Floats, Floats]:
    """Wilson score interval (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n) (Wilson 1927).

    With h = z·sqrt(p(1−p)/n + z²/4n²): high = (p + z²/2n + h) / (1 + z²/n) and, since the bounds are the
    roots of a quadratic whose product is p²/(1 + z²/n), low = p² / (p + z²/2n + h) — the same value without
    the cancellation of "centre − half-width" (accurate for tiny rates; exactly 0 when a = 0). high is set to
    exactly 1 when a = n. NaN unless 0 <= a <= n and n > 0.
    """
    a, n = np.broadcast_arrays(_f(numerator), _f(denominator))
    z = z_value(confidence)
    z2 = z * z
    ok = _counts_ok(a, n)
    with np.errstate(all="ignore"):
        p = a / n
        q = (n - a) / n
        h = z * np.sqrt(p * q / n + z2 / (4.0 * n * n))
        upper_sum = p + z2 / (2.0 * n) + h  # every term >= 0: no cancellation
        high = upper_sum / (1.0 + z2 / n)
        low = p * p / upper_sum
    low = np.where(ok, np.clip(low, 0.0, 1.0), np.nan)
    high = np.where(ok, np.where(a == n, 1.0, np.clip(high, 0.0, 1.0)), np.nan)
    return _out(low), _out(high)


def risk_ratio(a: ArrayLike, n: ArrayLike, c: ArrayLike, m: ArrayLike) -> Floats:
    """Risk ratio (a/n) / (c/m) (IDEA 34 CFR 300.647(b)); NaN when either rate is undefined or c/m = 0."""
    return _out(_divide(_f(rate(a, n)), _f(rate(c, m))))


def katz_interval(
    a: ArrayLike, n: ArrayLike, c: ArrayLike, m: ArrayLike, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[Floats, Floats]:
    """Katz log interval exp(ln RR ± z·sqrt(1/a − 1/n + 1/c − 1/m)) (Katz et al. 1978).

    NaN when a = 0 or c = 0 (the log of a zero risk is undefined) and unless 0 <= a <= n, 0 <= c <= m.
    """
    a, n, c, m = np.broadcast_arrays(_f(a), _f(n), _f(c), _f(m))
    z = z_value(confidence)
    ok = _counts_ok(a, n) & _counts_ok(c, m) & (a > 0) & (c > 0)
    with np.errstate(all="ignore"):
        log_rr = np.log(a) - np.log(n) - np.log(c) + np.log(m)
        se = np.sqrt(np.maximum(1.0 / a - 1.0 / n + 1.0 / c - 1.0 / m, 0.0))
        low = np.exp(log_rr - z * se)
        high = np.exp(log_rr + z * se)
    return _out(np.where(ok, low, np.nan)), _out(np.where(ok, high, np.nan))


def mantel_haenszel_risk_ratio(
    a: ArrayLike, n: ArrayLike, c: ArrayLike, m: ArrayLike, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[Floats, Floats, Floats]:
    """Mantel–Haenszel risk ratio over strata (the LAST axis) with its Greenland–Robins interval.

    RR_MH = sum(a_s m_s / T_s) / sum(c_s n_s / T_s), T_s = n_s + m_s (Mantel & Haenszel 1959; Rothman,
    Greenland & Lash, Modern Epidemiology, ch. 15), and
    Var(ln RR_MH) = sum((n_s m_s (a_s + c_s) - a_s c_s T_s) / T_s^2) / (sum(a_s m_s / T_s) sum(c_s n_s / T_s))
    (Greenland & Robins 1985). With one stratum this is the crude ratio and Katz's interval. A stratum with
    no one in it (T_s = 0) adds nothing, so strata may be padded with zeros. NaN unless every stratum's counts
    are counts (0 <= a_s <= n_s, 0 <= c_s <= m_s) and both sums are positive. Returns (ratio, low, high).
    """
    a, n, c, m = np.broadcast_arrays(_f(a), _f(n), _f(c), _f(m))
    z = z_value(confidence)
    total = n + m
    with np.errstate(all="ignore"):
        safe = np.where(total > 0, total, 1.0)
        top = np.sum(np.where(total > 0, a * m / safe, 0.0), axis=-1)
        bottom = np.sum(np.where(total > 0, c * n / safe, 0.0), axis=-1)
        spread = np.sum(np.where(total > 0, (n * m * (a + c) - a * c * total) / (safe * safe), 0.0), axis=-1)
        ratio = top / bottom
        se = np.sqrt(np.maximum(spread / (top * bottom), 0.0))
        low, high = ratio * np.exp(-z * se), ratio * np.exp(z * se)
    with np.errstate(all="ignore"):
        counts = np.isfinite(a + n + c + m) & (a >= 0) & (a <= n) & (c >= 0) & (c <= m)
    ok = np.all(counts, axis=-1) & (top > 0) & (bottom > 0)
    return (_out(np.where(ok, ratio, np.nan)), _out(np.where(ok, low, np.nan)), _out(np.where(ok, high, np.nan)))


def rate_difference(a: ArrayLike, n: ArrayLike, c: ArrayLike, m: ArrayLike) -> Floats:
    """Percentage-point gap a/n − c/m (as a fraction); NaN when either rate is undefined."""
    with np.errstate(all="ignore"):
        return _out(_f(rate(a, n)) - _f(rate(c, m)))


def alternate_risk_ratio(a: ArrayLike, n: ArrayLike, comparison_rate: ArrayLike) -> Floats:
    """Alternate risk ratio (a/n) / comparison rate (IDEA 34 CFR 300.647(b)); NaN when the rate is <= 0."""
    r = _f(rate(a, n))
    cr = _f(comparison_rate)
    with np.errstate(all="ignore"):
        return _out(np.where(cr > 0, r / cr, np.nan))


# --------------------------------------------------------------------------------------------------------
# significance tests on counts


def _fisher_two_sided(a: int, n: int, c: int, m: int) -> float:
    """Two-sided Fisher exact p for [[a, n−a], [c, m−c]]: total probability of the tables no more likely than it.

    With the margins fixed, a follows the hypergeometric law; P(k + 1) / P(k) = (K − k)(n − k) / ((k + 1)(m − K
    + k + 1)) with K = a + c, so the log-probabilities are cumulative sums of log-ratios, normalised by their
    total (no factorials, no overflow).
    """
    events = a + c
    lo = max(0, events - m)
    hi = min(events, n)
    if lo == hi:
        return 1.0
    k = np.arange(lo, hi, dtype=np.float64)
    log_ratio = np.log((events - k) * (n - k)) - np.log((k + 1.0) * (m - events + k + 1.0))
    log_p = np.concatenate(([0.0], np.cumsum(log_ratio)))
    log_p -= log_p.max()
    probs = np.exp(log_p)
    as_extreme = log_p <= log_p[a - lo] + np.log1p(_FISHER_TIE_TOLERANCE)
    return min(float(probs[as_extreme].sum() / probs.sum()), 1.0)


_FISHER_BLOCK_CELLS = 2_000_000  # rows x support width computed at once: bounds memory for huge tables


def _fisher_two_sided_many(a: np.ndarray, n: np.ndarray, c: np.ndarray, m: np.ndarray) -> np.ndarray:
    """`_fisher_two_sided` for many tables at once (the same arithmetic, row by row, in 2-D blocks).

    Each row's support k = lo..hi of the hypergeometric law is laid along axis 1, padded with -inf log
    probabilities; rows are grouped by support width so a block never exceeds _FISHER_BLOCK_CELLS cells.
    """
    a, n, c, m = (np.asarray(x, dtype=np.float64) for x in (a, n, c, m))
    events = a + c
    lo = np.maximum(0.0, events - m)
    width = (np.minimum(events, n) - lo + 1).astype(np.int64)
    out = np.ones(a.shape[0], dtype=np.float64)
    order = np.argsort(width, kind="stable")
    start = 0
    while start < order.size:
        rows = max(1, _FISHER_BLOCK_CELLS // max(int(width[order[start]]), 1))
        end = start + 1
        while end < order.size and (end - start + 1) * int(width[order[end]]) <= _FISHER_BLOCK_CELLS and end - start < rows:
            end += 1
        index = order[start:end]
        start = end
        steps = int(width[index].max()) - 1
        if steps == 0:
            continue  # a single possible table: p = 1
        j = np.arange(steps, dtype=np.float64)[None, :]
        k = lo[index, None] + j
        e, nn, mm = events[index, None], n[index, None], m[index, None]
        valid = j < (width[index, None] - 1)
        with np.errstate(all="ignore"):
            log_ratio = np.where(valid, np.log((e - k) * (nn - k)) - np.log((k + 1.0) * (mm - e + k + 1.0)), -np.inf)
        log_p = np.concatenate((np.zeros((index.size, 1)), np.cumsum(log_ratio, axis=1)), axis=1)
        log_p -= log_p.max(axis=1, keepdims=True)
        probs = np.exp(log_p)
        observed = log_p[np.arange(index.size), (a[index] - lo[index]).astype(np.int64)]
        as_extreme = log_p <= observed[:, None] + np.log1p(_FISHER_TIE_TOLERANCE)
        out[index] = np.minimum((probs * as_extreme).sum(axis=1) / probs.sum(axis=1), 1.0)
    return out


def two_by_two_test(a: ArrayLike, n: ArrayLike, c: ArrayLike, m: ArrayLike) -> tuple[Floats, np.ndarray]:
    """p-value and test name per row for the 2×2 table [[a, n−a], [c, m−c]].

    Pearson chi-square without continuity correction, chi² = N(ad − bc)² / (n·m·(a+c)·(b+d)) on 1 df, when
    every expected count is >= 5; otherwise Fisher's exact test, two-sided (tables with probability no
    greater than the observed one, relative tolerance 1e-7) — the rule in metrics.md ("Intervals and tests").
    Edge cases: a zero column margin (nobody, or everybody, in both groups has the outcome) has expected
    counts of 0, so Fisher's test runs and gives p = 1.0 (the only possible table); an empty group (n = 0 or
    m = 0) or counts that are not integers with 0 <= a <= n, 0 <= c <= m (and n + m <= 2**53) give p = NaN
    and name "".
    """
    a, n, c, m = np.broadcast_arrays(_f(a), _f(n), _f(c), _f(m))
    with np.errstate(all="ignore"):
        ok = (
            _counts_ok(a, n)
            & _counts_ok(c, m)
            & (a == np.round(a))
            & (n == np.round(n))
            & (c == np.round(c))
            & (m == np.round(m))
            & (n + m <= _MAX_EXACT_COUNT)
        )
    a, n, c, m = (np.where(ok, x, 1.0) for x in (a, n, c, m))  # placeholders keep the arithmetic quiet
    b = n - a
    d = m - c
    total = n + m
    events = a + c
    non_events = b + d
    # The smallest expected count is min(row) * min(column) / N; compared as min(row) * min(column) >= 5N so
    # that no division rounds (exact for any realistic count).
    use_chi = ok & (np.minimum(n, m) * np.minimum(events, non_events) >= _MIN_EXPECTED * total)
    with np.errstate(all="ignore"):
        chi2 = total * (a * d - b * c) ** 2 / (n * m * events * non_events)
        p = np.where(use_chi, special.chdtrc(1.0, chi2), np.nan)
    names = np.full(a.shape, "", dtype="<U14")
    names[use_chi] = CHI_SQUARE
    use_fisher = ok & ~use_chi
    names[use_fisher] = FISHER_EXACT
    flat_p = p.ravel().copy()
    fisher = np.flatnonzero(use_fisher)
    if fisher.size:
        flat_p[fisher] = _fisher_two_sided_many(a.ravel()[fisher], n.ravel()[fisher], c.ravel()[fisher],
                                                m.ravel()[fisher])
    return _out(flat_p.reshape(p.shape)), _out(names)


def chi_square_independence(numerators: ArrayLike, denominators: ArrayLike) -> tuple[float, int, float]:
    """Pearson chi² = Σ (O − E)² / E, dof = k − 1 and p for the k×2 table [events, non-events] per group.

    Groups with a zero denominator are dropped first. If any count is invalid (negative, not finite, or a
    numerator above its denominator), fewer than 2 groups remain, or the events (or non-events) column is all
    zero, chi² and p are NaN (dof is still max(k − 1, 0) of the kept groups).
    """
    a = _f(numerators).ravel()
    n = _f(denominators).ravel()
    if a.shape != n.shape:
        raise ValueError("numerators and denominators must have the same length")
    with np.errstate(all="ignore"):
        valid = bool(np.all(np.isfinite(a) & np.isfinite(n) & (a >= 0) & (n >= 0) & (a <= n)))
        keep = n > 0
    a, n = a[keep], n[keep]
    k = int(a.size)
    dof = max(k - 1, 0)
    if not valid:
        return float("nan"), dof, float("nan")
    with np.errstate(all="ignore"):
        events = float(a.sum())
        total = float(n.sum())
    non_events = total - events
    if k < 2 or events <= 0 or non_events <= 0 or not np.isfinite(total):
        return float("nan"), dof, float("nan")
    with np.errstate(all="ignore"):
        expected_events = n * events / total
        expected_non = n * non_events / total
        chi2 = float(
            np.sum((a - expected_events) ** 2 / expected_events + ((n - a) - expected_non) ** 2 / expected_non)
        )
    return chi2, dof, float(special.chdtrc(dof, chi2))


def cramers_v(numerators: ArrayLike, denominators: ArrayLike) -> float:
    """Cramér's V = sqrt(chi² / (N·(min(k, 2) − 1))) = sqrt(chi² / N) for a k×2 table (Cramér 1946).

    N and k count only the groups kept by `chi_square_independence`; NaN whenever its chi² is NaN.
    """
    chi2, dof, _ = chi_square_independence(numerators, denominators)
    if np.isnan(chi2):
        return float("nan")
    k = dof + 1
    n = _f(denominators).ravel()
    with np.errstate(all="ignore"):
        total = float(n[n > 0].sum())
        return float(np.sqrt(chi2 / (total * (min(k, 2) - 1))))


# --------------------------------------------------------------------------------------------------------
# composition


def share(values: ArrayLike, *, axis: int = -1) -> Floats:
    """Share of the whole x_g / Σx along `axis` (E_g from enrollment, C_g from outcome counts).

    The whole slice is NaN when its total is 0 or any value in it is negative or not finite.
    """
    v = np.atleast_1d(_f(values))
    with np.errstate(all="ignore"):
        bad = np.any(~np.isfinite(v) | (v < 0), axis=axis, keepdims=True)
        total = np.sum(v, axis=axis, keepdims=True)
        out = np.where(bad | (total == 0) | ~np.isfinite(total), np.nan, v / total)
    return _out(out) if np.ndim(values) else _out(out[0])


def representation_index(numerator_share: ArrayLike, denominator_share: ArrayLike) -> Floats:
    """Representation index C_g / E_g (= R_g / R_all; CRDC's headline form); NaN when E_g = 0."""
    return _out(_divide(_f(numerator_share), _f(denominator_share)))


def relative_difference_in_composition(numerator_share: ArrayLike, denominator_share: ArrayLike) -> Floats:
    """Relative difference in composition (C_g − E_g) / E_g; NaN when E_g = 0."""
    c = _f(numerator_share)
    e = _f(denominator_share)
    with np.errstate(all="ignore"):
        return _out(_divide(c - e, e))


def weighted_risk_ratio(risks: ArrayLike, standard_shares: ArrayLike) -> Floats:
    """Weighted risk ratio R_g (1 − p_g) / Σ_{j≠g} p_j R_j over the last axis (IDEA; p = standard shares).

    `standard_shares` must be shares of one standard population (summing to 1 over the groups); they are not
    re-normalised. A group with p_j = 0 contributes nothing to the sums even if its risk is NaN; any other
    NaN risk makes the ratios that need it NaN. NaN when the denominator is 0.
    """
    r, p = np.broadcast_arrays(np.atleast_1d(_f(risks)), np.atleast_1d(_f(standard_shares)))
    with np.errstate(all="ignore"):
        weighted = np.where(p == 0, 0.0, p * r)
    k = r.shape[-1]
    others = ~np.eye(k, dtype=bool)  # others[g, j]: j is not g
    with np.errstate(all="ignore"):
        denominator = np.where(others, weighted[..., None, :], 0.0).sum(axis=-1)
    with np.errstate(all="ignore"):
        return _out(_divide(r * (1.0 - p), denominator))


def staff_student_gap(staff_share: ArrayLike, student_share: ArrayLike) -> Floats:
    """Teacher diversity gap: student share − staff share (a fraction; 0.55 − 0.22 = 0.33 in TNTP's figures)."""
    with np.errstate(all="ignore"):
        return _out(_f(student_share) - _f(staff_share))


# --------------------------------------------------------------------------------------------------------
# scores from sufficient statistics


def mean_sd_from_sums(n: ArrayLike, total: ArrayLike, total_of_squares: ArrayLike) -> tuple[Floats, Floats]:
    """Mean Σx/n and sample SD sqrt((Σx² − Σx·mean) / (n − 1)) (ddof = 1) from n, Σx, Σx².

    The sum of squared deviations is clamped at 0 (rounding can make it slightly negative). Mean is NaN for
    n <= 0, SD NaN for n < 2. Sums cannot recover digits lost when the mean is huge relative to the SD
    (relative error about 1e-16·mean²/variance); centre the data before summing in that case.
    """
    n, t, s = np.broadcast_arrays(_f(n), _f(total), _f(total_of_squares))
    with np.errstate(all="ignore"):
        mean = np.where(n > 0, t / n, np.nan)
        ss = np.maximum(s - t * mean, 0.0)
        sd = np.where(n >= 2, np.sqrt(ss / (n - 1.0)), np.nan)
    return _out(mean), _out(sd)


def complement_sums(
    n: ArrayLike,
    total: ArrayLike,
    total_of_squares: ArrayLike,
    unit_n: ArrayLike,
    unit_total: ArrayLike,
    unit_total_of_squares: ArrayLike,
) -> tuple[Floats, Floats, Floats]:
    """Sufficient statistics of "all others in the unit": (unit_n − n, unit_total − total, unit_Σx² − Σx²)."""
    with np.errstate(all="ignore"):
        return (
            _out(_f(unit_n) - _f(n)),
            _out(_f(unit_total) - _f(total)),
            _out(_f(unit_total_of_squares) - _f(total_of_squares)),
        )


def cohens_d(
    mean1: ArrayLike, sd1: ArrayLike, n1: ArrayLike, mean2: ArrayLike, sd2: ArrayLike, n2: ArrayLike
) -> Floats:
    """Cohen's d = (mean1 − mean2) / sqrt(((n1−1)s1² + (n2−1)s2²) / (n1+n2−2)) (Cohen 1988, pooled SD).

    A group of 1 contributes 0 to the pooled sum of squares (its SD, NaN, is not needed). NaN unless
    n1, n2 >= 1 and n1 + n2 > 2, or when the pooled SD is 0.
    """
    m1, s1, n1, m2, s2, n2 = np.broadcast_arrays(_f(mean1), _f(sd1), _f(n1), _f(mean2), _f(sd2), _f(n2))
    with np.errstate(all="ignore"):
        ss1 = np.where(n1 == 1, 0.0, (n1 - 1.0) * s1 * s1)
        ss2 = np.where(n2 == 1, 0.0, (n2 - 1.0) * s2 * s2)
        ok = (n1 >= 1) & (n2 >= 1) & (n1 + n2 > 2) & ~(s1 < 0) & ~(s2 < 0)
        pooled = np.sqrt((ss1 + ss2) / (n1 + n2 - 2.0))
        d = np.where(ok & (pooled > 0), (m1 - m2) / pooled, np.nan)
    return _out(d)


def hedges_g(
    mean1: ArrayLike, sd1: ArrayLike, n1: ArrayLike, mean2: ArrayLike, sd2: ArrayLike, n2: ArrayLike
) -> Floats:
    """Hedges' g = d · (1 − 3 / (4(n1 + n2) − 9)) (Hedges 1981 small-sample correction of Cohen's d)."""
    d = _f(cohens_d(mean1, sd1, n1, mean2, sd2, n2))
    with np.errstate(all="ignore"):
        total = _f(n1) + _f(n2)
        return _out(d * (1.0 - 3.0 / (4.0 * total - 9.0)))


def hedges_g_interval(
    g: ArrayLike, n1: ArrayLike, n2: ArrayLike, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[Floats, Floats]:
    """g ± z·sqrt((n1+n2)/(n1·n2) + g²/(2(n1+n2))), the large-sample SE of Hedges & Olkin (1985), ch. 5.

    Source: L. V. Hedges and I. Olkin, Statistical Methods for Meta-Analysis (Academic Press, 1985), the
    asymptotic variance of the standardised mean difference. NaN unless n1 > 0 and n2 > 0.
    """
    g, n1, n2 = np.broadcast_arrays(_f(g), _f(n1), _f(n2))
    z = z_value(confidence)
    with np.errstate(all="ignore"):
        se = np.sqrt((n1 + n2) / (n1 * n2) + g * g / (2.0 * (n1 + n2)))
        se = np.where((n1 > 0) & (n2 > 0), se, np.nan)
        return _out(g - z * se), _out(g + z * se)


def welch_t_test(
    mean1: ArrayLike, sd1: ArrayLike, n1: ArrayLike, mean2: ArrayLike, sd2: ArrayLike, n2: ArrayLike
) -> Floats:
    """Two-sided p of Welch's t = (m1 − m2)/sqrt(s1²/n1 + s2²/n2), Welch–Satterthwaite df (Welch 1947).

    df = (v1 + v2)² / (v1²/(n1−1) + v2²/(n2−1)) with v = s²/n. NaN unless n1, n2 >= 2, or when the
    standard error is 0 (no spread in either group: the test is undefined).
    """
    m1, s1, n1, m2, s2, n2 = np.broadcast_arrays(_f(mean1), _f(sd1), _f(n1), _f(mean2), _f(sd2), _f(n2))
    with np.errstate(all="ignore"):
        v1 = s1 * s1 / n1
        v2 = s2 * s2 / n2
        se2 = v1 + v2
        t = (m1 - m2) / np.sqrt(se2)
        df = se2 * se2 / (v1 * v1 / (n1 - 1.0) + v2 * v2 / (n2 - 1.0))
        ok = (n1 >= 2) & (n2 >= 2) & (s1 >= 0) & (s2 >= 0) & (se2 > 0) & np.isfinite(t)
        p = np.where(ok, 2.0 * special.stdtr(np.where(ok, df, 1.0), -np.abs(np.where(ok, t, 0.0))), np.nan)
    return _out(np.minimum(p, 1.0))


def eta_squared(n: ArrayLike, total: ArrayLike, total_of_squares: ArrayLike) -> Floats:
    """Eta squared SS_between / SS_total over the groups on the last axis, from per-group n, Σx, Σx².

    SS_between = Σ n_g (mean_g − grand mean)², SS_within = Σ (Σx²_g − Σx_g·mean_g) (each clamped at 0),
    SS_total = SS_between + SS_within. Groups with n = 0 are ignored. NaN when SS_total = 0, no one is counted,
    or any n is negative or any input not finite.
    """
    n, t, s = np.broadcast_arrays(np.atleast_1d(_f(n)), np.atleast_1d(_f(total)), np.atleast_1d(_f(total_of_squares)))
    with np.errstate(all="ignore"):
        bad = np.any(~np.isfinite(n) | ~np.isfinite(t) | ~np.isfinite(s) | (n < 0), axis=-1)
        present = n > 0
        big_n = n.sum(axis=-1, keepdims=True)
        grand = t.sum(axis=-1, keepdims=True) / big_n
        mean = np.where(present, t / n, 0.0)
        ssb = np.where(present, n * (mean - grand) ** 2, 0.0).sum(axis=-1)
        ssw = np.where(present, np.maximum(s - t * mean, 0.0), 0.0).sum(axis=-1)
        sst = ssb + ssw
        eta = np.where(bad | (big_n[..., 0] <= 0) | (sst == 0), np.nan, ssb / sst)
    return _out(eta)


def median_gap_in_sd(median_group: ArrayLike, median_reference: ArrayLike, reference_sd: ArrayLike) -> Floats:
    """Median gap (median_g − median_ref) / reference SD (OpenSDP form); NaN when the SD is <= 0."""
    sd = _f(reference_sd)
    with np.errstate(all="ignore"):
        return _out(np.where(sd > 0, (_f(median_group) - _f(median_reference)) / sd, np.nan))


# --------------------------------------------------------------------------------------------------------
# legal and regulatory rules


def adverse_impact_ratio(selection_rates: ArrayLike) -> Floats:
    """Each selection rate / the highest rate on the last axis (EEOC four-fifths rule, 29 CFR 1607.4(D)).

    NaN rates are skipped when finding the highest (and stay NaN); a negative rate counts as NaN. NaN when
    the highest rate is 0 or every rate is NaN.
    """
    r = np.atleast_1d(_f(selection_rates))
    with np.errstate(all="ignore"):
        r = np.where(r < 0, np.nan, r)
    if r.shape[-1] == 0:
        return r
    highest = np.fmax.reduce(r, axis=-1, keepdims=True)  # ignores NaN, no warning
    with np.errstate(all="ignore"):
        out = np.where(highest > 0, r / highest, np.nan)
    return _out(out) if np.ndim(selection_rates) else _out(out[0])


def adverse_impact(ratios: ArrayLike, threshold: float = FOUR_FIFTHS) -> Bools:
    """Adverse impact indicated: ratio < threshold strictly (29 CFR 1607.4(D); 0.80 exactly is not adverse).

    Compared at 10 decimal places, so 0.48/0.60 = 0.7999999999999999 is not adverse. NaN gives False: "not
    indicated", which callers must show as "not computed" from the NaN ratio, not as a pass.
    """
    with np.errstate(all="ignore"):
        return _out(_round_flag(ratios) < _round_flag(threshold))


def benjamini_hochberg(p_values: ArrayLike) -> Floats:
    """Benjamini–Hochberg q-values (adjusted p-values controlling the false discovery rate) over every finite
    p-value given, one family; NaN stays NaN (a test not run is not part of the family).

    q_(i) = min over j >= i of (m / j) * p_(j), p sorted ascending, capped at 1 (Benjamini & Hochberg 1995;
    statsmodels `multipletests(method="fdr_bh")`)."""
    p = _f(p_values).ravel()
    q = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m:
        order = finite[np.argsort(p[finite], kind="stable")]
        scaled = p[order] * m / np.arange(1, m + 1)
        q[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return _out(q.reshape(np.shape(p_values)))


def binomial_z(observed: ArrayLike, total: ArrayLike, pool_share: ArrayLike) -> Floats:
    """Binomial z = (observed − N·p) / sqrt(N·p·(1 − p)) (Hazelwood School District v. US, 433 U.S. 299 (1977)).

    NaN unless N > 0 and 0 < p < 1.
    """
    x, big_n, p = np.broadcast_arrays(_f(observed), _f(total), _f(pool_share))
    with np.errstate(all="ignore"):
        ok = (big_n > 0) & (p > 0) & (p < 1) & np.isfinite(x)
        expected = big_n * p
        z = (x - expected) / np.sqrt(expected * (1.0 - p))
        return _out(np.where(ok, z, np.nan))


def above_threshold_each_year(
    values_by_year: Sequence[float], threshold: float, years: int, *, inclusive: bool = False
) -> bool:
    """True when each of the last `years` values is > threshold (>= when `inclusive`), 34 CFR 300.647(d)(1).

    Washington uses > 3.0 (inclusive=False), Maryland >= 3.0 (inclusive=True). Values are compared at 10
    decimal places; NaN (or None) counts as not above; fewer than `years` values gives False.
    """
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years!r}")
    values = _f([np.nan if v is None else v for v in values_by_year])
    if values.size < years:
        return False
    window = _round_flag(values[-years:])
    limit = _round_flag(threshold)
    with np.errstate(all="ignore"):
        above = window >= limit if inclusive else window > limit
    return bool(np.all(above))


def reasonable_progress(values_by_year: Sequence[float], years: int = 2) -> bool:
    """True when the value fell in each of the last `years` year-over-year steps (34 CFR 300.647(d)(2)).

    Needs years + 1 values (else False); a NaN (or None) in that window gives False; each step must be a
    strict decrease at 10 decimal places.
    """
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years!r}")
    values = _f([np.nan if v is None else v for v in values_by_year])
    if values.size < years + 1:
        return False
    window = _round_flag(values[-(years + 1) :])
    with np.errstate(all="ignore"):
        return bool(np.all(window[1:] < window[:-1]))
