"""A goal's value in every school year, its straight path from the baseline to the target, and its status."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core.school_year import year_span, year_start
from equity_metrics.goals import goal_predictor
from equity_metrics.goals.model import (
    COMPARE_DECIMALS,
    IDEA_RULE,
    MEASURES,
    MOVEMENT_IMPROVED,
    MOVEMENT_UNCHANGED,
    MOVEMENT_WORSENED,
    STATUS_MET,
    STATUS_NOT_MEASURABLE,
    STATUS_OFF_TRACK,
    STATUS_ON_TRACK,
    YEAR_COLUMNS,
    Goal,
    Measure,
    lower_is_better,
)
from equity_metrics.measures import analysis, rules
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import Indicator, get_indicator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative.findings import group_noun, mid_sentence, subject_noun
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store

ResultFunction = Callable[[Store, str, Sequence[str], Filters, MetricOptions], analysis.Result]


def _rounded(value: float) -> float:
    return round(float(value), COMPARE_DECIMALS)


def at_least_as_good(value: float, reference: float, lower_better: bool) -> bool:
    """True when `value` is as good as `reference` or better (compared at COMPARE_DECIMALS places)."""
    v, r = _rounded(value), _rounded(reference)
    return v <= r if lower_better else v >= r


def straight_path(baseline_value: float, baseline_year: str, target_value: float, target_year: str,
                  school_year: str) -> float:
    """The value on the straight line from the baseline to the target in `school_year` (the target itself from
    the target year on; the baseline before the baseline year)."""
    span = year_start(target_year) - year_start(baseline_year)
    if span <= 0:
        return float(target_value)
    share = min(max((year_start(school_year) - year_start(baseline_year)) / span, 0.0), 1.0)
    return float(baseline_value + (target_value - baseline_value) * share)


@dataclass(frozen=True)
class YearStatus:
    """A goal's status as of one school year."""

    status: str
    path_value: float
    reason: str = ""


def assess(value: float, note: str, school_year: str, baseline_value: float, baseline_year: str | None,
           baseline_note: str, target_value: float, target_year: str, lower_better: bool) -> YearStatus:
    """The status as of one year: not measurable (no value: the note says why), met (target reached), on track
    (at least as good as the straight path from the baseline), off track."""
    path = (straight_path(baseline_value, baseline_year, target_value, target_year, school_year)
            if baseline_year is not None and math.isfinite(baseline_value) else float("nan"))
    if not math.isfinite(value):
        return YearStatus(STATUS_NOT_MEASURABLE, path, note or "no value")
    if at_least_as_good(value, target_value, lower_better):
        return YearStatus(STATUS_MET, path)
    if not math.isfinite(path):
        where = f"the baseline year {baseline_year}" if baseline_year else "no year"
        return YearStatus(STATUS_NOT_MEASURABLE, path, f"no baseline to measure progress from: {where} has no value"
                                                       + (f" ({baseline_note})" if baseline_note else ""))
    return YearStatus(STATUS_ON_TRACK if at_least_as_good(value, path, lower_better) else STATUS_OFF_TRACK, path)


@dataclass(frozen=True)
class GoalProgress:
    """A goal measured in every school year from its baseline: `years` has YEAR_COLUMNS (one row per year,
    oldest first; value NaN where not measurable, the note saying why). The status is about `status_year`,
    the latest year with the indicator's data."""

    goal: Goal
    indicator: Indicator
    measure: Measure
    lower_better: bool
    baseline_year: str | None
    baseline_value: float
    years: pd.DataFrame
    status: str
    status_year: str | None
    reason: str
    value: float
    path_value: float
    previous_year: str | None = None
    previous_value: float = float("nan")
    previous_status: str | None = None
    movement: str = ""
    idea_above_threshold: bool | None = None  # risk ratios of indicators where higher is worse only
    idea_reasonable_progress: bool | None = None

    @property
    def unit(self) -> str:
        return self.measure.unit(self.indicator)

    @property
    def axis_years(self) -> list[str]:
        """School years on a progress chart: the baseline (or first year) to the target or the latest year."""
        listed = list(self.years["school_year"])
        first = self.baseline_year or (listed[0] if listed else self.goal.target_year)
        last = max([self.goal.target_year, *listed], key=year_start)
        return year_span(min(first, self.goal.target_year, key=year_start), last)


def _all_years(store: Store) -> set[str]:
    return set().union(*analysis.data_years(store).values()) if store.table_exists("facts_student_year") else set()


def _group_rows(goal: Goal, indicator: Indicator, measure: Measure, rates: ResultFunction,
                gaps: ResultFunction, store: Store) -> tuple[pd.DataFrame, str]:
    """The goal's group, one row per year with data (already suppressed), or an empty frame and why."""
    compute = rates if measure.indicator_kind == "rate" else gaps
    try:
        result = compute(store, indicator.id, ("school_year", goal.dimension), goal.filters, goal.options)
    except (analysis.NoDataError, ValueError) as error:
        return pd.DataFrame(), str(error)
    table = result.table
    return table[table[goal.dimension].astype(str) == goal.group_value].reset_index(drop=True), ""


def _measured(rows: pd.DataFrame, measure: Measure, indicator: Indicator) -> pd.DataFrame:
    """Value and interval per year in the measure's unit; gaps oriented so positive is worse for the group."""
    sign = (1.0 if indicator.higher_is_worse else -1.0) if measure.gap else 1.0
    out = pd.DataFrame({"school_year": rows["school_year"].astype(str)})
    out["value"] = rows[measure.column].to_numpy(dtype="float64") * measure.scale * sign
    if measure.interval:
        out["ci_low"] = rows[measure.interval[0]].to_numpy(dtype="float64") * measure.scale
        out["ci_high"] = rows[measure.interval[1]].to_numpy(dtype="float64") * measure.scale
    else:
        out["ci_low"] = out["ci_high"] = np.nan
    out["note"] = rows["note"].astype(str).to_numpy()
    return out.set_index("school_year")


@dataclass(frozen=True)
class YearlyValues:
    """A goal's value in every school year the store knows (oldest first): `frame` has school_year, value,
    ci_low, ci_high and note (why there is no value: not loaded, hidden, not calculated). `with_data` are the
    years with the indicator's data; `rows` the group's rows of the result table (for the IDEA rules)."""

    frame: pd.DataFrame
    with_data: tuple[str, ...]
    rows: pd.DataFrame

    def value(self, year: str) -> tuple[float, str]:
        """The year's value (NaN when there is none) and its note."""
        found = self.frame[self.frame["school_year"] == year]
        if found.empty:
            return float("nan"), f"no data for {year}"
        return float(found["value"].iloc[0]), str(found["note"].iloc[0])


def _goal_rows(store: Store, goal: Goal, rates: ResultFunction, gaps: ResultFunction,
               association: goal_predictor.AssociationFunction
               ) -> tuple[pd.DataFrame, str, pd.DataFrame, Callable[[str], str]]:
    """The result rows the goal reads (the group's, or the association's per year), why there are none, the
    values per year in the measure's unit (indexed by school year), and the note for a year without a row."""
    indicator = get_indicator(goal.indicator_id)
    measure = MEASURES[goal.measure]
    if measure.across_groups:
        rows, error = goal_predictor.association_rows(store, indicator, goal.dimension, association)
        measured = goal_predictor.measured(rows, indicator) if not rows.empty else pd.DataFrame()
        return rows, error, measured, lambda year: goal_predictor.missing_note(indicator, goal.dimension, year)
    rows, error = _group_rows(goal, indicator, measure, rates, gaps, store)
    measured = _measured(rows, measure, indicator) if not rows.empty else pd.DataFrame()
    who = mid_sentence(group_noun({goal.dimension: goal.group_value}, subject_noun(indicator)))
    where = f" at {goal.school}" if goal.school else ""
    return rows, error, measured, lambda year: f"no {who}{where} in {year}"


def yearly_values(store: Store, goal: Goal, rates: ResultFunction = analysis.rates,
                  gaps: ResultFunction = analysis.gaps,
                  association: goal_predictor.AssociationFunction = analysis.association_by_year) -> YearlyValues:
    """The goal's measure in every school year the store knows (nothing is checked against the target).
    `association` computes how much the group predicts the outcome (the predictor measure)."""
    indicator = get_indicator(goal.indicator_id)
    rows, error, measured, missing = _goal_rows(store, goal, rates, gaps, association)
    with_data = analysis.years_with_data(store, indicator) if store.table_exists("facts_student_year") else []
    kind_label = KINDS[analysis.required_kind(indicator)].label.lower()
    records = []
    for year in sorted(_all_years(store) | set(with_data), key=year_start):
        value = low = high = np.nan
        if year not in with_data:
            note = f"no {kind_label} loaded for {year}"
        elif error:
            note = error
        elif year not in measured.index:
            note = missing(year)
        else:
            row = measured.loc[year]
            value, low, high = float(row["value"]), float(row["ci_low"]), float(row["ci_high"])
            note = str(row["note"]) or ("" if math.isfinite(value) else "not calculated")
        records.append({"school_year": year, "value": value, "ci_low": low, "ci_high": high, "note": note})
    frame = pd.DataFrame.from_records(records, columns=["school_year", "value", "ci_low", "ci_high", "note"])
    frame = frame.astype({"value": "float64", "ci_low": "float64", "ci_high": "float64"})
    return YearlyValues(frame, tuple(with_data), rows)


def goal_progress(store: Store, goal: Goal, rates: ResultFunction = analysis.rates,
                  gaps: ResultFunction = analysis.gaps,
                  association: goal_predictor.AssociationFunction = analysis.association_by_year) -> GoalProgress:
    """Measure a goal in every school year from its baseline through the latest year the store knows, and
    its status. `rates`, `gaps` and `association` compute the result tables (the app passes cached versions)."""
    indicator = get_indicator(goal.indicator_id)
    measure = MEASURES[goal.measure]
    lower_better = lower_is_better(measure, indicator)
    values = yearly_values(store, goal, rates, gaps, association)
    with_data, rows = values.with_data, values.rows
    kind_label = KINDS[analysis.required_kind(indicator)].label.lower()
    baseline_year = goal.baseline_year
    if baseline_year is None:
        found = values.frame[values.frame["value"].notna()]
        baseline_year = str(found["school_year"].iloc[0]) if len(found) else None
    baseline_value, baseline_note = values.value(baseline_year) if baseline_year else (float("nan"), "")
    kept = values.frame
    if baseline_year is not None:
        kept = kept[kept["school_year"].map(year_start) >= year_start(baseline_year)]
    records = []
    for row in kept.itertuples(index=False):
        state = assess(row.value, row.note, row.school_year, baseline_value, baseline_year, baseline_note,
                       goal.target_value, goal.target_year, lower_better)
        records.append({"school_year": row.school_year, "value": row.value, "ci_low": row.ci_low,
                        "ci_high": row.ci_high, "path_value": state.path_value, "target_value": goal.target_value,
                        "status": state.status,
                        "note": state.reason if state.status == STATUS_NOT_MEASURABLE else row.note})
    years = pd.DataFrame.from_records(records, columns=list(YEAR_COLUMNS))
    years = years.astype({c: "float64" for c in ("value", "ci_low", "ci_high", "path_value", "target_value")})

    data_rows = years[years["school_year"].isin(with_data)]
    if data_rows.empty:
        status_row = years.iloc[-1] if len(years) else None
        since = f" since {baseline_year}" if baseline_year else ""
        reason = f"no {kind_label} loaded{since}"
    else:
        status_row = data_rows.iloc[-1]
        reason = status_row["note"] if status_row["status"] == STATUS_NOT_MEASURABLE else ""
    status = STATUS_NOT_MEASURABLE if data_rows.empty else str(status_row["status"])
    value = float(status_row["value"]) if status_row is not None else float("nan")
    path = float(status_row["path_value"]) if status_row is not None else float("nan")
    status_year = str(status_row["school_year"]) if status_row is not None else None

    previous = years[years["value"].notna()]
    if status_year is not None:
        previous = previous[previous["school_year"].map(year_start) < year_start(status_year)]
    previous_row = previous.iloc[-1] if len(previous) else None
    movement = ""
    if previous_row is not None and math.isfinite(value):
        before = float(previous_row["value"])
        if _rounded(value) == _rounded(before):
            movement = MOVEMENT_UNCHANGED
        else:
            movement = MOVEMENT_IMPROVED if at_least_as_good(value, before, lower_better) else MOVEMENT_WORSENED

    idea_flag = idea_progress = None
    if measure.id == "risk_ratio" and indicator.higher_is_worse and not rows.empty:
        flags = rules.multi_year_flags(rows, [goal.dimension], IDEA_RULE)
        idea_flag = bool(flags["above_threshold_each_year"].iloc[0])
        idea_progress = bool(flags["reasonable_progress"].iloc[0])

    return GoalProgress(
        goal=goal, indicator=indicator, measure=measure, lower_better=lower_better, baseline_year=baseline_year,
        baseline_value=float(baseline_value), years=years, status=status, status_year=status_year, reason=reason,
        value=value, path_value=path,
        previous_year=str(previous_row["school_year"]) if previous_row is not None else None,
        previous_value=float(previous_row["value"]) if previous_row is not None else float("nan"),
        previous_status=str(previous_row["status"]) if previous_row is not None else None,
        movement=movement, idea_above_threshold=idea_flag, idea_reasonable_progress=idea_progress,
    )
