"""Score distributions by group: the 10th, 25th, 50th, 75th and 90th percentiles of each group, computed in SQL.

Never an individual score, never the lowest or highest one. A group is shown or hidden exactly as in the
score-gap table of the same split and filters (small counts and complementary suppression, then the n-size),
which this module takes from `analysis.gaps`, so the two views of one page can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from equity_metrics.core.constants import UNKNOWN
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters, check_dimensions, filter_sql, grouping_sql
from equity_metrics.measures.indicators import Indicator, get_indicator
from equity_metrics.measures.metrics import ALL_OTHERS, MetricOptions
from equity_metrics.narrative import findings
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import Store

QUANTILES: tuple[float, ...] = (0.10, 0.25, 0.50, 0.75, 0.90)
QUANTILE_COLUMNS: tuple[str, ...] = ("p10", "p25", "median", "p75", "p90")
DISTRIBUTION_COLUMNS: tuple[str, ...] = ("n", *QUANTILE_COLUMNS, "suppressed", "note")


@dataclass(frozen=True)
class Distribution:
    """Suppressed percentiles per group: unit and group columns, then DISTRIBUTION_COLUMNS."""

    indicator: Indicator
    groups: tuple[str, ...]
    units: tuple[str, ...]
    filters: Filters
    options: MetricOptions
    table: pd.DataFrame

    @property
    def school_years(self) -> tuple[str, ...]:
        return self.filters.school_years


def quantile_cells(store: Store, indicator: Indicator, dimensions: Sequence[str],
                   filters: Filters = Filters()) -> pd.DataFrame:
    """One row per non-empty cell: the dimensions, n and QUANTILE_COLUMNS (DuckDB's quantile_cont: linear
    interpolation between the closest ranks, as numpy's default), of the indicator's value times its scale."""
    source = SOURCES[indicator.source]
    dimensions = check_dimensions(source, dimensions)
    where, params = filter_sql(filters, source)
    params["probabilities"] = list(QUANTILES)
    select_dims, group_by = grouping_sql(dimensions)
    value = f"(CAST({indicator.value} AS DOUBLE) * {float(indicator.scale)!r})"
    sql = (f"SELECT {select_dims}count({value}) FILTER (WHERE {indicator.population}) AS n, "
           f"quantile_cont({value}, $probabilities) FILTER (WHERE {indicator.population}) AS quantiles "
           f"FROM {source.table} WHERE {where} {group_by}")
    frame = store.query(sql, params)
    frame = frame[frame["n"] > 0].reset_index(drop=True)
    values = np.array([list(q) for q in frame["quantiles"]], dtype="float64").reshape(len(frame), len(QUANTILES))
    for index, column in enumerate(QUANTILE_COLUMNS):
        frame[column] = values[:, index]
    frame["n"] = frame["n"].astype("int64")
    return frame[[*dimensions, "n", *QUANTILE_COLUMNS]]


def score_distribution(store: Store, indicator_id: str, by: Sequence[str] = ("race",), filters: Filters = Filters(),
                       options: MetricOptions = MetricOptions()) -> Distribution:
    """Percentiles of a score by group (school year and school in `by` are units, as in `analysis.gaps`)."""
    indicator = get_indicator(indicator_id)
    if indicator.kind != "mean":
        raise ValueError(f"{indicator.id} is a rate: a distribution needs a score")
    # Who may be shown does not depend on the comparison; all others always exists.
    gaps = analysis.gaps(store, indicator_id, by, filters, replace(options, comparison=ALL_OTHERS))
    dims = [*gaps.units, *gaps.groups]
    cells = quantile_cells(store, indicator, dims, gaps.filters)
    table = gaps.table[[*dims, "n", "suppressed", "note"]].merge(cells.drop(columns="n"), on=dims, how="left",
                                                                 validate="one_to_one")
    hidden = table["suppressed"].to_numpy(dtype=bool)
    for column in QUANTILE_COLUMNS:
        table[column] = np.where(hidden, np.nan, table[column].to_numpy(dtype="float64"))
    table["note"] = np.where(hidden, table["note"], "")
    return Distribution(indicator, gaps.groups, gaps.units, gaps.filters, options,
                        table[[*dims, *DISTRIBUTION_COLUMNS]])


def _score(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}"


def distribution_headline(result: Distribution) -> str:
    """"The median math scale score ranged from 2,431 (Black or African American students) to 2,540 (Asian
    students), 109 points apart (2024-25); the middle halves of their scores overlap." Descriptive only:
    it claims no test."""
    indicator, table = result.indicator, result.table
    named = [*result.units, *result.groups]
    known = np.ones(len(table), dtype=bool)
    for group in result.groups:
        known &= (table[group] != UNKNOWN).to_numpy()
    shown = table[known & ~table["suppressed"].to_numpy(dtype=bool)]
    year = ", ".join(result.school_years)
    if shown.empty:
        return f"{indicator.label}: no group has enough students to show its scores with these filters."

    def noun(row: pd.Series) -> str:
        return findings.group_noun({d: str(row[d]) for d in named})

    low = shown.loc[shown["median"].astype("float64").idxmin()]
    high = shown.loc[shown["median"].astype("float64").idxmax()]
    if len(shown) == 1 or low["median"] == high["median"]:
        return f"The median {indicator.event} was {_score(low['median'])} for {findings.mid_sentence(noun(low))} ({year})."
    apart = f"{_score(high['median'] - low['median'])} {indicator.unit or 'points'} apart"
    overlap = "do not overlap" if low["p75"] < high["p25"] else "overlap"
    return (f"The median {indicator.event} ranged from {_score(low['median'])} ({findings.mid_sentence(noun(low))}) "
            f"to {_score(high['median'])} ({findings.mid_sentence(noun(high))}), {apart} ({year}); the middle "
            f"halves of their scores {overlap}.")
