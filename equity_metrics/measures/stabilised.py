"""Small schools: empirical-Bayes (beta-binomial) stabilised rates and a reliability flag.

Contract
--------
Input is a *protected* rate table (the `.table` of `analysis.rates(store, indicator, by=["school", ...])`):
one row per school x group (and school year), with `numerator`, `denominator`, `rate`, `suppressed` and
`note`. A row is *shown* when it is not suppressed and its counts and rate are shown; nothing else is read.

`stabilised_rates(table, keys)` fits one beta prior Beta(alpha, beta) per set of rows that share `keys` (the
group and the school year: the schools of one group in one year) by maximum likelihood of the beta-binomial
marginal, from the **shown rows only**. When the fit fails, or the schools vary no more than chance would
make them (the maximum-likelihood prior strength runs off to infinity), the method of moments (Kleinman,
1973) is used instead, and `prior_method` says so. Each shown row then gets its posterior
Beta(a + alpha, n - a + beta): `stabilised_rate` is its mean, `stabilised_rate_ci_low/high` its equal-tailed
interval (default 95%). Columns added: STABILISED_COLUMNS.

`reliability(table)` adds the relative standard error of the raw rate, sqrt(p(1 - p)/n) / p, and flags it
`unreliable` when it is over RSE_UNRELIABLE (30%, the NCES/CDC convention); a rate of 0 has no finite RSE and
is flagged. Columns added: RELIABILITY_COLUMNS. Reliability is a statistical warning, never a privacy rule:
it hides nothing and is kept apart from `suppressed` and `note`.

Privacy. A hidden row gets NaN in every added column, never a value: the posterior mean is
(a + alpha) / (n + alpha + beta), so a stabilised rate of a hidden row would give its hidden count back. The
prior is computed from shown counts only, so it reveals nothing the table does not already show.

Caveat (say it wherever these are shown): a stabilised rate pulls a small school toward the typical school
of the same group, more the smaller the school. It is not the school's observed rate, and it can reorder
schools (`reorderings` counts the pairs whose order it changes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special
from scipy import stats as scipy_stats

from equity_metrics.core.constants import DEFAULT_CONFIDENCE
from equity_metrics.measures.indicators import Indicator

__all__ = [
    "CAVEAT",
    "COLUMN_LABELS",
    "MIN_SCHOOLS",
    "ML",
    "MOMENTS",
    "NO_PRIOR",
    "RELIABILITY_COLUMNS",
    "RSE_UNRELIABLE",
    "STABILISED_COLUMNS",
    "SURVEY_REASON",
    "BetaPrior",
    "Stabilised",
    "fit_beta_prior",
    "method_of_moments",
    "not_offered",
    "beta_binomial_log_likelihood",
    "posterior",
    "prior_keys",
    "reliability",
    "reliability_text",
    "relative_standard_error",
    "reorderings",
    "shown_rows",
    "stabilised_rates",
]

RSE_UNRELIABLE = 0.30  # relative standard error above which an estimate is flagged unreliable (NCES, CDC/NCHS)
MIN_SCHOOLS = 3  # shown schools needed to fit a prior for a group
ML = "maximum likelihood"
MOMENTS = "method of moments"
NO_PRIOR = "none"
STABILISED_COLUMNS = ("stabilised_rate", "stabilised_rate_ci_low", "stabilised_rate_ci_high", "prior_method")
RELIABILITY_COLUMNS = ("relative_standard_error", "unreliable")
COLUMN_LABELS = {
    "stabilised_rate": "Stabilised rate (empirical Bayes)",
    "stabilised_rate_ci_low": "Stabilised 95% interval low",
    "stabilised_rate_ci_high": "Stabilised 95% interval high",
    "prior_method": "Prior fitted by",
    "relative_standard_error": "Relative standard error",
    "unreliable": "Unreliable (RSE over 30%)",
}
CAVEAT = ("Stabilised rates (empirical Bayes) pull each school's rate toward the district's typical school for "
          "the same group, more strongly the fewer students the school has. A stabilised rate is an estimate, "
          "not the school's observed rate, and it can reorder schools: a small school with a higher observed rate can "
          "rank below a larger one. Hidden cells get none.")

_MAX_LOGIT = 30.0


@dataclass(frozen=True)
class BetaPrior:
    """The prior Beta(alpha, beta) fitted across shown schools; `method` is ML, MOMENTS or NO_PRIOR (then
    alpha and beta are NaN), `schools` and `students` what it was fitted from, `note` why when not ML."""

    alpha: float
    beta: float
    method: str
    schools: int
    students: int
    note: str = ""

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """alpha + beta: how many students' worth of evidence the prior adds to each school."""
        return self.alpha + self.beta

    @property
    def usable(self) -> bool:
        return self.method != NO_PRIOR


@dataclass(frozen=True)
class Stabilised:
    """The input table with STABILISED_COLUMNS, and one row per prior (the keys, alpha, beta, method, ...)."""

    table: pd.DataFrame
    priors: pd.DataFrame


SURVEY_REASON = ("Stabilised rates and the reliability flag are not offered for surveys: a survey's rates count "
                 "answers, and one respondent's answers are not independent, so the binomial model would overstate "
                 "their precision.")


def not_offered(indicator: Indicator) -> str:
    """Why stabilised rates and the reliability flag do not apply to an indicator ('' when they do): the
    binomial model needs one row per person, and a survey's rates count answers (several per respondent)."""
    return SURVEY_REASON if indicator.source == "survey" else ""


def beta_binomial_log_likelihood(alpha: float, beta: float, a: np.ndarray, n: np.ndarray) -> float:
    """Sum over schools of log P(a | n, alpha, beta) under the beta-binomial:
    log C(n, a) + log B(a + alpha, n - a + beta) - log B(alpha, beta)."""
    a, n = np.asarray(a, dtype="float64"), np.asarray(n, dtype="float64")
    log_choose = special.gammaln(n + 1) - special.gammaln(a + 1) - special.gammaln(n - a + 1)
    return float(np.sum(log_choose + special.betaln(a + alpha, n - a + beta) - special.betaln(alpha, beta)))


def method_of_moments(a: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Kleinman's (1973) moment estimates for unequal sizes: the pooled mean mu = sum a / sum n and the
    intra-school correlation rho from S = sum n_i (p_i - mu)^2, whose expectation is
    mu(1 - mu)[(N - sum n_i^2 / N) rho + (K - 1)(1 - rho)]. Returns (mu, rho); rho <= 0 means the schools vary
    no more than chance would make them."""
    a, n = np.asarray(a, dtype="float64"), np.asarray(n, dtype="float64")
    total, k = n.sum(), len(n)
    mu = a.sum() / total
    spread = float(np.sum(n * (a / n - mu) ** 2))
    between = total - float(np.sum(n ** 2)) / total - (k - 1)
    if between <= 0 or not 0 < mu < 1:
        return float(mu), 0.0
    return float(mu), float((spread / (mu * (1 - mu)) - (k - 1)) / between)


def fit_beta_prior(a: Sequence[float], n: Sequence[float]) -> BetaPrior:
    """The beta prior across schools (shown counts only) by maximum likelihood of the beta-binomial
    marginal, over (logit mean, log strength) with L-BFGS-B from the moment estimates; the method of moments
    when that fails or the strength runs to its bound (no variation beyond chance). The strength is capped at
    the students the fit rests on: a prior never counts for more than all of them."""
    a, n = np.asarray(a, dtype="float64"), np.asarray(n, dtype="float64")
    keep = np.isfinite(a) & np.isfinite(n) & (n > 0)
    a, n = a[keep], n[keep]
    schools, students = len(n), int(n.sum())
    if schools < MIN_SCHOOLS:
        return BetaPrior(math.nan, math.nan, NO_PRIOR, schools, students,
                         f"fewer than {MIN_SCHOOLS} schools shown for this group: no prior")
    if a.sum() == 0 or a.sum() == n.sum():
        return BetaPrior(math.nan, math.nan, NO_PRIOR, schools, students,
                         "every shown school's rate is 0% (or every one is 100%): nothing to stabilise")
    mu, rho = method_of_moments(a, n)
    cap = float(n.sum())
    strength0 = min(1 / rho - 1, cap) if rho > 0 else cap
    bounds = [(-_MAX_LOGIT, _MAX_LOGIT), (math.log(1e-3), math.log(cap))]

    def negative(theta: np.ndarray) -> float:
        mean, strength = special.expit(theta[0]), math.exp(theta[1])
        return -beta_binomial_log_likelihood(mean * strength, (1 - mean) * strength, a, n)

    start = np.array([special.logit(mu), min(max(math.log(max(strength0, 1e-3)), bounds[1][0]), bounds[1][1])])
    try:
        fitted = optimize.minimize(negative, start, method="L-BFGS-B", bounds=bounds)
        ok = bool(fitted.success) and np.all(np.isfinite(fitted.x))
    except (ValueError, FloatingPointError):
        ok = False
    if ok and bounds[1][0] + 1e-6 < fitted.x[1] < bounds[1][1] - 1e-6:
        mean, strength = float(special.expit(fitted.x[0])), math.exp(float(fitted.x[1]))
        return BetaPrior(mean * strength, (1 - mean) * strength, ML, schools, students)
    if rho >= 1:  # all-or-nothing schools: no beta prior fits (its strength would be 0 or less)
        return BetaPrior(math.nan, math.nan, NO_PRIOR, schools, students,
                         "the schools differ too much for a common prior: nothing to stabilise")
    if rho > 0 and 1 / rho - 1 < cap:
        why = "the maximum-likelihood fit did not converge" if not ok else "the maximum-likelihood fit hit a bound"
        strength, note = 1 / rho - 1, f"{why}: method of moments"
    else:
        strength = cap
        how_much = "no more" if rho <= 0 else "hardly more"
        note = (f"the schools vary {how_much} than chance would make them: method of moments, prior strength "
                f"capped at the {students} students of the fit (nearly the pooled rate)")
    return BetaPrior(mu * strength, (1 - mu) * strength, MOMENTS, schools, students, note)


def posterior(a: np.ndarray, n: np.ndarray, prior: BetaPrior, confidence: float = DEFAULT_CONFIDENCE
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posterior mean and equal-tailed interval of Beta(a + alpha, n - a + beta) for each school."""
    a, n = np.asarray(a, dtype="float64"), np.asarray(n, dtype="float64")
    shape1, shape2 = a + prior.alpha, n - a + prior.beta
    tail = (1 - confidence) / 2
    return (shape1 / (shape1 + shape2), scipy_stats.beta.ppf(tail, shape1, shape2),
            scipy_stats.beta.ppf(1 - tail, shape1, shape2))


def shown_rows(table: pd.DataFrame) -> np.ndarray:
    """Rows whose rate and both counts are shown (never a hidden or uncalculated row)."""
    suppressed = table["suppressed"].astype(bool).to_numpy()
    a = pd.to_numeric(table["numerator"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    n = pd.to_numeric(table["denominator"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    rate = pd.to_numeric(table["rate"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return ~suppressed & np.isfinite(a) & np.isfinite(n) & (n > 0) & np.isfinite(rate)


def prior_keys(units: Sequence[str], groups: Sequence[str], across: str = "school") -> list[str]:
    """The columns that define one prior: every unit and group dimension but the one stabilised across."""
    return [d for d in (*units, *groups) if d != across]


def stabilised_rates(table: pd.DataFrame, keys: Sequence[str], confidence: float = DEFAULT_CONFIDENCE) -> Stabilised:
    """STABILISED_COLUMNS for every shown row, one prior per combination of `keys` (e.g. the race group and
    the school year), fitted from the shown rows of that combination only; NaN (and prior_method "") for
    hidden rows and where no prior could be fitted."""
    table = table.reset_index(drop=True)
    shown = shown_rows(table)
    a = pd.to_numeric(table["numerator"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    n = pd.to_numeric(table["denominator"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    mean, low, high = (np.full(len(table), np.nan) for _ in range(3))
    method = np.full(len(table), "", dtype=object)
    priors = []
    grouped = table.groupby(list(keys), sort=False, dropna=False).indices if keys else {(): np.arange(len(table))}
    for key, index in grouped.items():
        index = np.asarray(index)
        rows = index[shown[index]]
        prior = fit_beta_prior(a[rows], n[rows])
        key = key if isinstance(key, tuple) else (key,)
        priors.append({**dict(zip(keys, key, strict=True)), "alpha": prior.alpha, "beta": prior.beta,
                       "prior_mean": prior.mean if prior.usable else math.nan, "method": prior.method,
                       "schools": prior.schools, "students": prior.students, "note": prior.note})
        if not prior.usable or not len(rows):
            continue
        mean[rows], low[rows], high[rows] = posterior(a[rows], n[rows], prior, confidence)
        method[rows] = prior.method
    out = table.copy()
    out["stabilised_rate"], out["stabilised_rate_ci_low"], out["stabilised_rate_ci_high"] = mean, low, high
    out["prior_method"] = method
    return Stabilised(out, pd.DataFrame(priors))


def relative_standard_error(a: np.ndarray, n: np.ndarray) -> np.ndarray:
    """sqrt(p(1 - p)/n) / p with p = a/n; infinite for a rate of 0, NaN where n is not positive."""
    a, n = np.asarray(a, dtype="float64"), np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = a / n
        rse = np.sqrt(p * (1 - p) / n) / p
    return np.where(p == 0, np.inf, np.where(n > 0, rse, np.nan))


def reliability(table: pd.DataFrame) -> pd.DataFrame:
    """The table with RELIABILITY_COLUMNS: the raw rate's relative standard error and `unreliable` (RSE over
    RSE_UNRELIABLE), for shown rows only; hidden rows get NaN and <NA>. Privacy columns are left as they are."""
    table = table.reset_index(drop=True)
    shown = shown_rows(table)
    a = pd.to_numeric(table["numerator"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    n = pd.to_numeric(table["denominator"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    rse = np.where(shown, relative_standard_error(a, n), np.nan)
    out = table.copy()
    out["relative_standard_error"] = rse
    with np.errstate(invalid="ignore"):
        flagged = np.round(rse, 10) > RSE_UNRELIABLE  # 10 decimals: 0.30000000000000004 is 30%, not over it
    out["unreliable"] = pd.array(np.where(shown, flagged, False), dtype="boolean")
    out.loc[~shown, "unreliable"] = pd.NA
    return out


def reliability_text(rse: float) -> str:
    """'unreliable: RSE 42%', 'unreliable: a rate of 0 has no relative standard error', 'RSE 12%', or '' (no
    shown rate)."""
    if rse != rse:
        return ""
    if math.isinf(rse):
        return "unreliable: a rate of 0 has no relative standard error"
    percent = f"RSE {rse * 100:.0f}%"
    return f"unreliable: {percent}" if round(rse, 10) > RSE_UNRELIABLE else percent


def reorderings(table: pd.DataFrame, keys: Sequence[str]) -> int:
    """Pairs of schools (same `keys`, both stabilised) whose order by stabilised rate is the reverse of their
    order by raw rate (ties in either order are not counted)."""
    count = 0
    done = table[table["stabilised_rate"].notna()]
    parts = done.groupby(list(keys), sort=False, dropna=False) if keys else [((), done)]
    for _, part in parts:
        raw = part["rate"].to_numpy(dtype="float64")
        smooth = part["stabilised_rate"].to_numpy(dtype="float64")
        raw_order = np.sign(raw[:, None] - raw[None, :])
        smooth_order = np.sign(smooth[:, None] - smooth[None, :])
        count += int(np.sum(raw_order * smooth_order < 0)) // 2
    return count
