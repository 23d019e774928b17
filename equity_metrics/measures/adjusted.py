"""Adjusted comparisons beside the crude ones: "is it poverty, is it the school?"

`adjusted_risk_ratios` adds the Mantel–Haenszel risk ratio of each group against all other students (or the
chosen comparison group), stratified by the dimension(s) the user names, with its Greenland–Robins interval
(`stats.mantel_haenszel_risk_ratio`): `adjusted_risk_ratio`, `adjusted_risk_ratio_ci_low`,
`adjusted_risk_ratio_ci_high`, placed after the crude risk ratio's columns.

Privacy. The strata are cells of the same protected tables every other view reads (`protected`): a school's
groups for `school`, and for a student dimension the district's pair of groups (race x disability, ...), so
only strata that a published view holds can be asked for. The ratio rests on shown counts only: a stratum in
which any count it needs is hidden is pooled with the other such strata into one stratum, whose counts are
the group's shown totals minus its shown strata. Every count the ratio uses can therefore be worked out from
published numbers, and the ratio tells nothing that they do not. It is given only where the crude risk ratio
is (same n-size and cell-size minimums).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core import stats
from equity_metrics.measures import protected
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import Indicator
from equity_metrics.measures.metrics import ADJUSTED_COLUMNS, ALL_OTHERS, MetricOptions
from equity_metrics.storage.store import Store

__all__ = ["ADJUSTED_COLUMNS", "STRATA_BY_SCHOOL", "Strata", "adjusted_risk_ratios", "adjustment_strata",
           "offered_adjustments", "parse_adjust"]

STRATA_BY_SCHOOL = "school"
_POOLED = "\x1fpooled"  # the stratum that pools the strata with a hidden count


@dataclass(frozen=True)
class Strata:
    """The strata of an adjusted comparison: each group's cells per stratum, and each stratum's totals (all
    students of the stratum, with the protected table's hidden flags)."""

    dimension: str  # the column naming the stratum in `cells` and `totals`
    cells: pd.DataFrame  # units, groups, dimension, denominator, numerator, hide_denominator, hide_numerator
    totals: pd.DataFrame  # units, dimension, denominator, numerator, hide_denominator, hide_numerator


def parse_adjust(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """`low_income,school` or a list of names -> a tuple of dimension names (empty for none)."""
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def adjustment_strata(store: Store, indicator: Indicator, adjust: Sequence[str], units: Sequence[str],
                      groups: Sequence[str], filters: Filters, threshold: int) -> Strata:
    """The strata for `adjust` from the protected tables, or UnprotectedViewError naming what is offered."""
    adjust = tuple(adjust)
    overlap = [d for d in adjust if d in groups or d in units]
    if overlap:
        raise ValueError(f"{', '.join(overlap)} is already a comparison dimension; adjust for another one")
    if indicator.source in protected.PERSONS:
        raise protected.UnprotectedViewError(
            "adjusted ratios are offered for counts of students, not for survey answers")
    if len(adjust) != 1:
        raise protected.UnprotectedViewError(
            f"adjust for one dimension at a time ({', '.join(adjust)} together would need cells that no "
            f"published table holds, so their small counts could not be protected); choose one of: "
            f"{_offered(groups)}")
    dimension = adjust[0]
    years = filters.school_years
    if dimension == STRATA_BY_SCHOOL:
        if filters.schools:
            raise protected.UnprotectedViewError("adjusting for school compares the district's schools: "
                                                 "leave the school filter empty")
        strata_units = [*units, STRATA_BY_SCHOOL]
        cells, totals = protected.protected_rate_cells(store, indicator, years, strata_units, groups, filters,
                                                       threshold)
        return Strata(dimension, cells, totals)
    if len(groups) != 1 or tuple(sorted((groups[0], dimension))) not in {tuple(sorted(p)) for p in protected.PAIRS}:
        raise protected.UnprotectedViewError(
            f"{' x '.join(groups)} is not published split by {dimension}, so no adjusted ratio can rest on "
            f"protected counts; choose one of: {_offered(groups)}")
    cells, _ = protected.protected_rate_cells(store, indicator, years, units, [*groups, dimension], filters,
                                              threshold)
    totals, _ = protected.protected_rate_cells(store, indicator, years, units, [dimension], filters, threshold)
    return Strata(dimension, cells, totals)


def offered_adjustments(groups: Sequence[str], units: Sequence[str] = (), filters: Filters = Filters()
                        ) -> tuple[str, ...]:
    """The dimensions a split can be adjusted for: school (for the district's view), and each dimension that
    a published pair joins it with (for the district's students, all grades)."""
    if len(groups) != 1 or STRATA_BY_SCHOOL in units:
        return ()
    schools = () if filters.schools else (STRATA_BY_SCHOOL,)
    whole = not filters.schools and not filters.grade_band
    pairs = tuple(next(d for d in p if d != groups[0]) for p in protected.PAIRS if groups[0] in p) if whole else ()
    return (*schools, *pairs)


def _offered(groups: Sequence[str]) -> str:
    return ", ".join(offered_adjustments(groups)) or "none for this split"


def adjusted_risk_ratios(table: pd.DataFrame, totals: pd.DataFrame, strata: Strata, units: Sequence[str],
                         groups: Sequence[str], options: MetricOptions) -> pd.DataFrame:
    """`table` (a rate table from `metrics.rate_table`) with ADJUSTED_COLUMNS after the risk ratio's columns.

    `totals` are the view's shown unit totals (`analysis.shown_totals`). A group gets an adjusted ratio where
    its crude risk ratio is shown."""
    units, groups = list(units), list(groups)
    crude = _crude_counts(table, totals, units, groups, options)
    per_stratum = _stratum_counts(strata, units, groups, options)
    keys = [*units, *groups]
    shown = per_stratum[per_stratum["shown"]]
    summed = shown.groupby(keys, sort=False, dropna=False)[["a", "n", "c", "m"]].sum().add_prefix("shown_")
    rest = crude.merge(summed.reset_index(), on=keys, how="left").fillna(
        {f"shown_{x}": 0.0 for x in "ancm"})
    pooled = pd.DataFrame({**{k: rest[k] for k in keys}, "stratum": _POOLED,
                           **{x: rest[x] - rest[f"shown_{x}"] for x in "ancm"}})
    strata_rows = pd.concat([shown[[*keys, "stratum", "a", "n", "c", "m"]], pooled], ignore_index=True)
    strata_rows = strata_rows[(strata_rows["n"] + strata_rows["m"]) != 0]
    ratio, low, high, used = _mantel_haenszel(crude[keys], strata_rows, keys, options)
    crude_shown = crude["show"].to_numpy(dtype=bool)
    show = crude_shown & (used >= 2)  # with every stratum pooled, the "adjusted" ratio is the crude one
    out = table.copy()
    for name, values in zip(ADJUSTED_COLUMNS, (ratio, low, high), strict=True):
        out[name] = np.where(show, values, np.nan)  # placed by metrics.rate_columns
    label = strata.dimension.replace("_", " ")
    pooled_used = (pooled[["n", "m"]].sum(axis=1) > 0).to_numpy() & show
    notes = _add_note(out["note"], show & np.isfinite(ratio),
                      np.where(pooled_used, f"adjusted for {label} (Mantel-Haenszel; strata with a hidden count "
                               "pooled into one)", f"adjusted for {label} (Mantel-Haenszel)"))
    out["note"] = _add_note(notes, crude_shown & (used < 2),
                            f"not adjusted for {label}: its counts by {label} are hidden (privacy)")
    return out


def _crude_counts(table: pd.DataFrame, totals: pd.DataFrame, units: list[str], groups: list[str],
                  options: MetricOptions) -> pd.DataFrame:
    """Per row of the crude table: the group's counts (a, n), its comparison's (c, m) and whether the crude
    risk ratio is shown."""
    keys = [*units, *groups]
    out = table[keys].copy().reset_index(drop=True)
    out["a"] = table["numerator"].to_numpy(dtype="float64", na_value=np.nan)
    out["n"] = table["denominator"].to_numpy(dtype="float64", na_value=np.nan)
    if options.comparison == ALL_OTHERS:
        unit = (out[units].merge(totals[[*units, "denominator", "numerator"]], on=units, how="left") if units
                else pd.DataFrame({"denominator": np.repeat(totals["denominator"].iloc[0], len(out)),
                                   "numerator": np.repeat(totals["numerator"].iloc[0], len(out))}))
        out["c"] = unit["numerator"].to_numpy(dtype="float64", na_value=np.nan) - out["a"]
        out["m"] = unit["denominator"].to_numpy(dtype="float64", na_value=np.nan) - out["n"]
    else:
        reference = _reference_rows(out, units, groups, options.comparison)
        out["c"], out["m"] = reference["a"].to_numpy(), reference["n"].to_numpy()
    out["show"] = np.isfinite(table["risk_ratio"].to_numpy(dtype="float64", na_value=np.nan))
    return out


def _reference_rows(frame: pd.DataFrame, units: list[str], groups: list[str], comparison: str) -> pd.DataFrame:
    """For each row, the counts (a, n) of the comparison group's row in the same unit (and, in a pair, the
    same other dimension); NaN where there is none."""
    holder = next((d for d in groups if comparison in set(frame[d])), None)
    if holder is None:
        raise ValueError(f"comparison group {comparison!r} is not a value of {', '.join(groups)}")
    keys = [d for d in (*units, *groups) if d != holder]
    reference = frame.loc[frame[holder] == comparison, [*keys, "a", "n"]]
    if not keys:
        return pd.DataFrame({"a": np.repeat(reference["a"].iloc[0], len(frame)),
                             "n": np.repeat(reference["n"].iloc[0], len(frame))})
    return frame[keys].merge(reference, on=keys, how="left")[["a", "n"]]


def _stratum_counts(strata: Strata, units: list[str], groups: list[str], options: MetricOptions) -> pd.DataFrame:
    """Per group and stratum: a, n, c, m, and whether every one of them rests on shown counts."""
    dim = strata.dimension
    cells = strata.cells.rename(columns={dim: "stratum"}).reset_index(drop=True)
    keys = [*units, *groups]
    out = cells[[*keys, "stratum"]].copy().reset_index(drop=True)
    out["a"] = cells["numerator"].to_numpy(dtype="float64")
    out["n"] = cells["denominator"].to_numpy(dtype="float64")
    group_shown = ~(cells["hide_numerator"].to_numpy(dtype=bool) | cells["hide_denominator"].to_numpy(dtype=bool))
    if options.comparison == ALL_OTHERS:
        totals = strata.totals.rename(columns={dim: "stratum"})
        merged = out[[*units, "stratum"]].merge(
            totals[[*units, "stratum", "denominator", "numerator", "hide_denominator", "hide_numerator"]],
            on=[*units, "stratum"], how="left")
        out["c"] = merged["numerator"].to_numpy(dtype="float64") - out["a"]
        out["m"] = merged["denominator"].to_numpy(dtype="float64") - out["n"]
        total_shown = ~(merged["hide_numerator"].astype(bool).to_numpy() | merged["hide_denominator"].astype(bool)
                        .to_numpy())
        out["shown"] = group_shown & total_shown
    else:
        with_shown = out.assign(shown=group_shown)
        holder = next(d for d in groups if options.comparison in set(out[d]))
        ref_keys = [d for d in (*units, *groups, "stratum") if d != holder]
        ref = with_shown.loc[with_shown[holder] == options.comparison, [*ref_keys, "a", "n", "shown"]].rename(
            columns={"a": "c", "n": "m", "shown": "ref_shown"})
        merged = with_shown[ref_keys].merge(ref, on=ref_keys, how="left")
        out["c"], out["m"] = merged["c"].to_numpy(dtype="float64"), merged["m"].to_numpy(dtype="float64")
        out["shown"] = group_shown & merged["ref_shown"].fillna(False).to_numpy(dtype=bool)
    return out


def _mantel_haenszel(rows: pd.DataFrame, strata_rows: pd.DataFrame, keys: list[str], options: MetricOptions
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Mantel–Haenszel ratio and interval for each row of `rows` over its (non-empty) strata in
    `strata_rows` (one matrix of groups x strata, padded with empty strata), and how many strata it used."""
    index = rows.reset_index(drop=True).reset_index().rename(columns={"index": "_row"})
    located = strata_rows.merge(index, on=keys, how="inner") if keys else strata_rows.assign(_row=0)
    located["_col"] = located.groupby("_row").cumcount()
    width = int(located["_col"].max()) + 1 if len(located) else 1
    matrices = {x: np.zeros((len(rows), width)) for x in "ancm"}
    for x in "ancm":
        matrices[x][located["_row"].to_numpy(), located["_col"].to_numpy()] = located[x].to_numpy(dtype="float64")
    ratio, low, high = stats.mantel_haenszel_risk_ratio(matrices["a"], matrices["n"], matrices["c"], matrices["m"],
                                                        options.confidence)
    used = np.bincount(located["_row"].to_numpy(), minlength=len(rows))
    return ratio, low, high, used


def _add_note(notes: pd.Series, where: np.ndarray, text: np.ndarray | str) -> pd.Series:
    """`text` appended to the notes where `where` holds."""
    text = np.broadcast_to(np.asarray(text, dtype=object), where.shape)
    current = notes.fillna("").astype(str).to_numpy(dtype=object)
    joined = np.where(current == "", text, current + "; " + text)
    return pd.Series(np.where(where, joined, current), index=notes.index)
