"""Published rules applied to result tables: IDEA multi-year flags, the EEOC four-fifths rule, the binomial z
against a labour pool (Hazelwood), the staff-vs-student representation gap, and the alternate and weighted
risk ratios. Each takes the suppressed tables that `analysis` returns (so privacy rules still hold) and adds
columns; the formulas themselves live in `stats`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core import stats
from equity_metrics.core.constants import (
    DEFAULT_RISK_RATIO_THRESHOLD,
    FOUR_FIFTHS,
    PEOPLE_OF_COLOR,
    UNKNOWN,
    WHITE,
)
from equity_metrics.measures.metrics import COMPARISON_BELOW_MINIMUMS, MetricOptions

IDEA_YEARS = 3  # states may look back up to 3 consecutive years (34 CFR 300.647(d)(1))
PROGRESS_YEARS = 2  # "reasonable progress" in each of the 2 prior years (34 CFR 300.647(d)(2))


@dataclass(frozen=True)
class MultiYearRule:
    """A significant-disproportionality rule: the measure above `threshold` in each of the last `years` years
    (`inclusive` for "at or above", as Maryland; Washington uses strictly above)."""

    threshold: float = DEFAULT_RISK_RATIO_THRESHOLD
    years: int = IDEA_YEARS
    inclusive: bool = False
    progress_years: int = PROGRESS_YEARS
    measure: str = "risk_ratio"

    @property
    def label(self) -> str:
        sign = "≥" if self.inclusive else ">"
        return f"{self.measure.replace('_', ' ')} {sign} {self.threshold:g} in each of the last {self.years} years"


def multi_year_flags(table: pd.DataFrame, group_dims: Sequence[str], rule: MultiYearRule = MultiYearRule(),
                     year_column: str = "school_year") -> pd.DataFrame:
    """One row per group: its measure in each year (wide, oldest first), whether it is above the threshold
    in each of the last `rule.years` years, and whether it made reasonable progress (a lower value in each of
    the last `rule.progress_years` steps). Years where the measure was not calculated count as not above."""
    keys = list(group_dims)
    years = sorted(table[year_column].unique())
    wide = table.pivot_table(index=keys, columns=year_column, values=rule.measure, aggfunc="first", dropna=False)
    wide = wide.reindex(columns=years)
    values = wide.to_numpy(dtype="float64")
    flagged = [stats.above_threshold_each_year(row, rule.threshold, rule.years, inclusive=rule.inclusive)
               for row in values]
    progress = [stats.reasonable_progress(row, rule.progress_years) for row in values]
    out = wide.reset_index()
    out.columns = [*keys, *years]
    out["above_threshold_each_year"] = flagged
    out["reasonable_progress"] = progress
    out["rule"] = rule.label
    return out


def adverse_impact_table(table: pd.DataFrame, group_dims: Sequence[str],
                         threshold: float = FOUR_FIFTHS) -> pd.DataFrame:
    """The EEOC four-fifths rule (29 CFR 1607.4(D)) on a selection-rate table: each known group's rate over
    the highest known group's rate, and `adverse_impact` when that ratio is strictly below `threshold`.
    Groups whose rate is not shown (suppressed) get no ratio and no flag, with a note."""
    out = table[[*group_dims, "denominator", "numerator", "rate", "note"]].copy()
    known = np.ones(len(out), dtype=bool)
    for dim in group_dims:
        known &= (out[dim] != UNKNOWN).to_numpy()
    rates = np.where(known, out["rate"].to_numpy(dtype="float64"), np.nan)
    ratios = stats.adverse_impact_ratio(rates) if np.isfinite(rates).any() else np.full(len(out), np.nan)
    out["impact_ratio"] = ratios
    out["adverse_impact"] = stats.adverse_impact(ratios, threshold) & np.isfinite(ratios)
    out.loc[~np.isfinite(ratios), "note"] = out.loc[~np.isfinite(ratios), "note"].where(
        out.loc[~np.isfinite(ratios), "note"] != "", "ratio not calculated")
    return out


def representation_z(table: pd.DataFrame, group_dim: str, pool_shares: Mapping[str, float],
                     total: float | None = None) -> pd.DataFrame:
    """Binomial z of each group's count in a table (e.g. teachers hired, by race) against its share of the
    available labour pool that the user supplies (Hazelwood School District v. United States, 1977).

    A group's z needs only its own shown count and the total (`total`: the unit's shown total, e.g. all hires
    from the result's totals; by default the sum of the rows when none is hidden): another group's hidden
    count does not stop it."""
    counts = table.set_index(group_dim)["numerator"].astype("float64")
    if total is None:
        total = float(table["numerator"].sum()) if not table["numerator"].isna().any() else np.nan
    total = float(total) if total is not None and pd.notna(total) else np.nan
    rows = []
    for group, share in pool_shares.items():
        observed = counts.get(group, np.nan)
        rows.append({group_dim: group, "observed": observed, "total": total, "pool_share": share,
                     "expected": total * share, "z": float(stats.binomial_z(observed, total, share))})
    return pd.DataFrame(rows)


def composition_gap(staff: pd.DataFrame, students: pd.DataFrame, group_dim: str = "race") -> pd.DataFrame:
    """Staff share vs student share per group (shares of known groups), plus a 'People of color' row: the
    teacher diversity gap is student share minus staff share."""
    staff_share = staff.set_index(group_dim)["share_of_denominator"]
    student_share = students.set_index(group_dim)["share_of_denominator"]
    groups = [g for g in dict.fromkeys([*student_share.index, *staff_share.index]) if g != UNKNOWN]
    out = pd.DataFrame({group_dim: groups,
                        "staff_share": [staff_share.get(g, np.nan) for g in groups],
                        "student_share": [student_share.get(g, np.nan) for g in groups]})
    out = pd.concat([out, pd.DataFrame({group_dim: ["People of color"],
                                        "staff_share": [_of_color_share(staff_share)],
                                        "student_share": [_of_color_share(student_share)]})],
                    ignore_index=True)
    out["gap"] = stats.staff_student_gap(out["staff_share"].to_numpy(), out["student_share"].to_numpy())
    return out


def _of_color_share(shares: pd.Series) -> float:
    """Share of known groups who are people of color: 1 - White share (exact even when some other group's
    count is hidden); the sum of the groups' shares when White is not shown, NaN when any of them is hidden."""
    white = shares.get(WHITE, np.nan)
    if np.isfinite(white):
        return float(1.0 - white)
    of_color = shares[shares.index.isin(PEOPLE_OF_COLOR)]
    return float(of_color.sum()) if np.isfinite(of_color).all() and len(of_color) else float("nan")


def alternate_risk_ratio_at_school(table: pd.DataFrame, district: pd.DataFrame, district_totals: pd.DataFrame,
                                   units: Sequence[str], groups: Sequence[str],
                                   options: MetricOptions) -> pd.DataFrame:
    """34 CFR 300.647(b)(5) applied at a school: where the school's own comparison group (its all other
    students) misses the minimums, the group's rate in the school over the district's all other students'
    rate (the district standing in for the State, the school for the LEA), provided the group meets the
    minimums itself and the district's comparison group does too. `district` and `district_totals` are the
    district's rate table and unit totals for the same groups, year(s) and grade band; their counts are shown
    ones, so the ratio rests on nothing hidden. Adds `alternate_risk_ratio` after the risk ratio's interval."""
    out = table.copy()
    district_units = [u for u in units if u != "school"]
    keys = [*district_units, *groups]
    shown = district[[*keys, "denominator", "numerator"]].rename(
        columns={"denominator": "_district_n", "numerator": "_district_a"})
    totals = district_totals[[*district_units, "denominator", "numerator"]].rename(
        columns={"denominator": "_total_n", "numerator": "_total_a"})
    merged = out[keys].merge(shown, on=keys, how="left")
    merged = merged.merge(totals, on=district_units, how="left") if district_units else merged.assign(
        _total_n=totals["_total_n"].iloc[0] if len(totals) else np.nan,
        _total_a=totals["_total_a"].iloc[0] if len(totals) else np.nan)
    m = merged["_total_n"].to_numpy(dtype="float64", na_value=np.nan) - merged["_district_n"].to_numpy(
        dtype="float64", na_value=np.nan)
    c = merged["_total_a"].to_numpy(dtype="float64", na_value=np.nan) - merged["_district_a"].to_numpy(
        dtype="float64", na_value=np.nan)
    a = out["numerator"].to_numpy(dtype="float64", na_value=np.nan)
    n = out["denominator"].to_numpy(dtype="float64", na_value=np.nan)
    applies = (out["note"].str.contains(COMPARISON_BELOW_MINIMUMS, regex=False).to_numpy()
               & ~out["suppressed"].to_numpy(dtype=bool) & (n >= options.min_n) & (a >= options.min_cell)
               & (m >= options.min_n) & (c >= options.min_cell))
    with np.errstate(all="ignore"):
        ratio = stats.alternate_risk_ratio(a, n, c / m)
    position = list(out.columns).index("risk_ratio_ci_high") + 1
    out.insert(position, "alternate_risk_ratio", np.where(applies, ratio, np.nan))
    out["note"] = np.where(applies, out["note"].str.replace(
        COMPARISON_BELOW_MINIMUMS, "comparison group below the minimums: alternate risk ratio against the "
        "district's all other students (34 CFR 300.647(b)(5))", regex=False), out["note"])
    return out


def weighted_risk_ratios(table: pd.DataFrame, group_dim: str, standard_shares: Mapping[str, float] | None = None,
                         totals: pd.DataFrame | None = None, units: Sequence[str] = ()) -> pd.DataFrame:
    """The weighted risk ratio per group (IDEA Data Center): R_g Σ_{j≠g} p_j / Σ_{j≠g} p_j R_j, where R are the
    district's rates and p the shares of a standard population, the State's composition by default taken as
    the district's own known groups (then it is the crude risk ratio).

    It rests on the group's own shown cells: the groups whose counts are hidden are pooled into one, whose
    rate is the unit's shown total minus every shown group (`totals`: the shown unit totals, per `units`) and
    whose weight is the sum of their shares (exact when the hidden groups' rates are equal; otherwise the
    pooled rate stands in for each). Without totals, a hidden group leaves every ratio of its unit
    undefined. Given where the group's rate is shown (and its risk ratio, when the table has one)."""
    out = table.copy()
    weighted = np.full(len(out), np.nan)
    parts = out.groupby(list(units), sort=False).indices.values() if units else [np.arange(len(out))]
    for rows in parts:
        unit = out.iloc[rows]
        total = None
        if totals is not None:
            match = (totals.merge(unit[list(units)].iloc[:1], on=list(units)) if units else totals)
            total = match.iloc[0] if len(match) else None
        weighted[rows] = _weighted_in_unit(unit, group_dim, standard_shares, total)
    shown = np.isfinite(out["rate"].to_numpy(dtype="float64", na_value=np.nan))
    if "risk_ratio" in out.columns:
        shown &= np.isfinite(out["risk_ratio"].to_numpy(dtype="float64", na_value=np.nan))
    out["weighted_risk_ratio"] = np.where(shown, weighted, np.nan)
    return out


def _weighted_in_unit(unit: pd.DataFrame, group_dim: str, standard_shares: Mapping[str, float] | None,
                      total: pd.Series | None) -> np.ndarray:
    """Weighted risk ratios of one unit's rows (NaN for Unknown and hidden rows)."""
    a = unit["numerator"].to_numpy(dtype="float64", na_value=np.nan)
    n = unit["denominator"].to_numpy(dtype="float64", na_value=np.nan)
    known = (unit[group_dim] != UNKNOWN).to_numpy()
    shown = np.isfinite(a) & np.isfinite(n) & (n > 0)
    if standard_shares is None:
        shares = np.where(known, unit["share_of_denominator"].to_numpy(dtype="float64", na_value=np.nan), 0.0)
    else:
        shares = np.where(known, unit[group_dim].map(standard_shares).fillna(0.0).to_numpy(dtype="float64"), 0.0)
    rates = np.where(shown, a / np.where(n > 0, n, np.nan), np.nan)
    hidden = known & ~shown
    pooled_rate = np.nan
    if total is not None and hidden.any() and pd.notna(total["denominator"]) and pd.notna(total["numerator"]):
        # the hidden groups as one: the shown total minus every shown row
        hidden_n = float(total["denominator"]) - float(n[shown].sum())
        pooled_rate = (float(total["numerator"]) - float(a[shown].sum())) / hidden_n if hidden_n > 0 else np.nan
    if not np.isfinite(shares).all() or shares.sum() <= 0:
        return np.full(len(unit), np.nan)
    # One engine (stats.weighted_risk_ratio) over the shown known groups and the pooled hidden ones, with the
    # standard shares normalised over the known groups.
    groups = known & shown
    risks = np.append(rates[groups], pooled_rate)
    weights = np.append(shares[groups], shares[hidden].sum()) / shares.sum()
    out = np.full(len(unit), np.nan)
    out[groups] = np.asarray(stats.weighted_risk_ratio(risks, weights))[:-1]
    return out


