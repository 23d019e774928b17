"""Score gaps adjusted by regression: "is it poverty?" for means.

`adjusted_gap_columns` fits, for each group of a gap table, ordinary least squares of the value (a scale
score, days lost) on the group (against all other students, or each group against the chosen comparison
group), the controls the user picks (low income, disability, English learner, sex, ...: one indicator per
level, Unknown a level of its own) and school fixed effects, with standard errors clustered by school (the
sandwich with statsmodels' small-sample factor G/(G-1) (N-1)/(N-K), K counting the school effects) and a t
interval on G - 1 degrees of freedom.

DuckDB does the heavy work: one query returns, per school, the students' count and the sums of every
product of the model's variables. The within-school (fixed-effects) cross-products are those sums minus the
school's means, so the coefficients (Frisch–Waugh–Lovell) and each school's score sum X_s'e_s =
X_s'y_s - X_s'X_s b follow without a pass over the students.

Privacy. Coefficients are given only for groups whose crude gap is shown; a hidden group is its own level
in the model and its coefficient is never shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from equity_metrics.core.constants import DEFAULT_CONFIDENCE
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import Indicator
from equity_metrics.measures.metrics import ALL_OTHERS, MetricOptions
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import Store, quote_identifier

__all__ = ["ADJUSTED_GAP_COLUMNS", "CONTROLS", "SchoolSums", "adjusted_gap_columns", "fit_within_schools",
           "school_sums"]

ADJUSTED_GAP_COLUMNS = ("adjusted_mean_difference", "adjusted_mean_difference_ci_low",
                        "adjusted_mean_difference_ci_high", "adjusted_p_value")
CONTROLS = ("low_income", "disability", "english_learner", "section_504", "sex")
SCHOOL = "school"  # always in the model as fixed effects, and the clusters of the standard errors


@dataclass(frozen=True)
class SchoolSums:
    """Per school: students, the sums of the variables and of their products (variables in `names`)."""

    names: tuple[str, ...]  # the outcome first, then the group and control indicators
    counts: np.ndarray  # (schools,)
    sums: np.ndarray  # (schools, k)
    products: np.ndarray  # (schools, k, k)


@dataclass(frozen=True)
class Fit:
    """One within-school regression: coefficients, clustered covariance and degrees of freedom."""

    names: tuple[str, ...]
    coefficients: np.ndarray
    covariance: np.ndarray
    clusters: int


def _levels(store: Store, table: str, column: str, where: str, params: dict) -> list[str]:
    frame = store.query(f"SELECT DISTINCT {quote_identifier(column)} AS v FROM {table} WHERE {where} "
                        "ORDER BY 1", params)
    return [str(v) for v in frame["v"].dropna()]


def school_sums(store: Store, indicator: Indicator, group_dim: str, controls: Sequence[str], year: str,
                grade_band: str | None = None) -> SchoolSums:
    """The model's sufficient statistics per school, for one school year (and grade band)."""
    source = SOURCES[indicator.source]
    table = source.table
    value = f"(CAST({indicator.value} AS DOUBLE) * {float(indicator.scale)!r})"
    where = f"school_year = $year AND ({indicator.population}) AND {value} IS NOT NULL AND school IS NOT NULL"
    params: dict[str, object] = {"year": year}
    if grade_band:
        where += " AND grade_band = $band"
        params["band"] = grade_band
    variables: list[tuple[str, str]] = [("y", value)]
    base = dict(params)
    for dim in (group_dim, *controls):
        levels = _levels(store, table, dim, where, base)
        kept = levels if dim == group_dim else levels[1:]  # a control's first level is its reference
        for i, level in enumerate(kept):
            key = f"{dim}_{i}"
            params[key] = level
            variables.append((f"{dim}={level}", f"CAST(coalesce({quote_identifier(dim)} = ${key}, FALSE) AS DOUBLE)"))
    columns = [f"sum({expr}) AS s{i}" for i, (_, expr) in enumerate(variables)]
    columns += [f"sum(({a}) * ({b})) AS p{i}_{j}" for i, (_, a) in enumerate(variables)
                for j, (_, b) in enumerate(variables) if j >= i]
    sql = (f"SELECT {quote_identifier(SCHOOL)} AS school, count(*) AS n, {', '.join(columns)} FROM {table} "
           f"WHERE {where} GROUP BY 1 ORDER BY 1")
    frame = store.query(sql, params)
    k = len(variables)
    products = np.zeros((len(frame), k, k))
    for i in range(k):
        for j in range(i, k):
            products[:, i, j] = products[:, j, i] = frame[f"p{i}_{j}"].to_numpy(dtype="float64")
    sums = frame[[f"s{i}" for i in range(k)]].to_numpy(dtype="float64")
    return SchoolSums(tuple(name for name, _ in variables), frame["n"].to_numpy(dtype="float64"), sums, products)


def fit_within_schools(sums: SchoolSums, regressors: Sequence[str]) -> Fit:
    """OLS of the outcome on `regressors` with school fixed effects, clustered by school."""
    index = [sums.names.index(r) for r in regressors]
    counts = sums.counts[:, None, None]
    means = sums.sums / sums.counts[:, None]
    within = sums.products - counts * means[:, :, None] * means[:, None, :]  # per school: X~'X~, X~'y~, y~'y~
    xx = within[:, index][:, :, index]
    xy = within[:, index, 0]
    bread = np.linalg.pinv(xx.sum(axis=0))
    beta = bread @ xy.sum(axis=0)
    scores = xy - xx @ beta  # each school's X_s'e_s
    meat = scores.T @ scores
    schools, n, k = len(sums.counts), sums.counts.sum(), len(index) + len(sums.counts)
    factor = schools / (schools - 1) * (n - 1) / (n - k) if schools > 1 and n > k else np.nan
    return Fit(tuple(regressors), beta, bread @ meat @ bread * factor, schools)


def _estimate(fit: Fit, name: str, confidence: float) -> tuple[float, float, float, float]:
    """A coefficient, its interval (t on clusters - 1 degrees of freedom) and two-sided p-value."""
    i = fit.names.index(name)
    estimate, se = float(fit.coefficients[i]), float(np.sqrt(max(fit.covariance[i, i], 0.0)))
    df = fit.clusters - 1
    if df < 1 or not np.isfinite(se) or se == 0:
        return estimate, np.nan, np.nan, np.nan
    t = scipy_stats.t.ppf(0.5 + confidence / 2, df)
    p = float(2 * scipy_stats.t.sf(abs(estimate / se), df))
    return estimate, estimate - t * se, estimate + t * se, p


def adjusted_gap_columns(store: Store, indicator: Indicator, table: pd.DataFrame, group_dim: str,
                         controls: Sequence[str], filters: Filters, options: MetricOptions,
                         confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """`table` (a one-dimension, one-year, district gap table) with ADJUSTED_GAP_COLUMNS after the crude
    difference's columns: the gap adjusted for `controls` and school fixed effects, for each shown group."""
    if filters.schools:
        raise ValueError("adjusted gaps compare within the district's schools: leave the school filter empty")
    if len(filters.school_years) != 1:
        raise ValueError("adjusted gaps are computed one school year at a time")
    sums = school_sums(store, indicator, group_dim, controls, filters.school_years[0], filters.grade_band)
    control_names = [n for n in sums.names if n.split("=", 1)[0] in controls]
    groups = [n for n in sums.names if n.split("=", 1)[0] == group_dim]
    shown = ~table["suppressed"].to_numpy(dtype=bool) & np.isfinite(
        table["mean_difference"].to_numpy(dtype="float64"))
    values = np.full((len(table), len(ADJUSTED_GAP_COLUMNS)), np.nan)
    reference = None
    if options.comparison != ALL_OTHERS:
        others = [g for g in groups if g != f"{group_dim}={options.comparison}"]
        reference = fit_within_schools(sums, [*others, *control_names]) if len(others) < len(groups) else None
    for row, group in enumerate(table[group_dim].astype(str)):
        name = f"{group_dim}={group}"
        if not shown[row] or name not in groups:
            continue
        if options.comparison == ALL_OTHERS:
            fit = fit_within_schools(sums, [name, *control_names])
        elif reference is None or name not in reference.names:
            continue
        else:
            fit = reference
        values[row] = _estimate(fit, name, confidence)
    out = table.copy()
    position = list(out.columns).index("mean_difference") + 1
    for offset, column in enumerate(ADJUSTED_GAP_COLUMNS):
        out.insert(position + offset, column, values[:, offset])
    return out
