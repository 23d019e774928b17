"""Goals in words and tables: values in their units, titles, status sentences, the goals table."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from equity_metrics.core.school_year import year_start
from equity_metrics.goals import goal_predictor
from equity_metrics.goals.model import (
    GOAL_TABLE_COLUMNS,
    IDEA_RULE,
    MEASURES,
    MOVEMENT_IMPROVED,
    MOVEMENT_WORSENED,
    STATUS_MET,
    STATUS_NOT_MEASURABLE,
    STATUS_ON_TRACK,
    Goal,
    Measure,
    lower_is_better,
)
from equity_metrics.goals.progress import GoalProgress, ResultFunction, goal_progress
from equity_metrics.goals.repository import list_goals
from equity_metrics.measures import analysis
from equity_metrics.measures.indicators import Indicator
from equity_metrics.measures.metrics import ALL_OTHERS
from equity_metrics.narrative.findings import group_noun, mid_sentence, subject_noun
from equity_metrics.storage.store import Store


def format_value(value: float, measure: Measure, indicator: Indicator) -> str:
    """A value in its measure's unit: '2.93', '11.8%', '7.8 percentage points', '46.5 points'."""
    if value is None or not math.isfinite(value):
        return "—"
    if measure.id == "risk_ratio":
        return f"{value:.2f}"
    if measure.across_groups:
        return f"{value:.3f}"
    if measure.id == "rate":
        return f"{value:.1f}%"
    return f"{value:.1f} {measure.unit(indicator)}"


def comparison_noun(goal: Goal) -> str:
    who = subject_noun(goal.indicator)
    if goal.comparison == ALL_OTHERS:
        return f"all other {who}"
    return mid_sentence(group_noun({goal.dimension: goal.comparison}, who))


def goal_title(goal: Goal) -> str:
    """'Out-of-school suspension, risk ratio: Black or African American students vs all other students
    (District)'."""
    indicator = goal.indicator
    measure = MEASURES[goal.measure]
    if measure.across_groups:
        return goal_predictor.title(indicator, goal.dimension, goal.scope)
    who = group_noun({goal.dimension: goal.group_value}, subject_noun(indicator))
    label = measure.label.split(" (")[0].lower()
    return f"{indicator.label}, {label}: {who} vs {comparison_noun(goal)} ({goal.scope})"


def target_phrase(goal: Goal, lower_better: bool | None = None) -> str:
    """'2.00 or lower by 2027-28' ('0.050 or lower by 2027-28' for Cramér's V)."""
    measure, indicator = MEASURES[goal.measure], goal.indicator
    lower = lower_is_better(measure, indicator) if lower_better is None else lower_better
    return f"{format_value(goal.target_value, measure, indicator)} or {'lower' if lower else 'higher'} by {goal.target_year}"


def progress_sentence(progress: GoalProgress) -> str:
    """The status in words, naming the year it is about, the baseline, the straight path and the change since
    the year before; for risk ratios of a harm, the IDEA multi-year flag and reasonable progress."""
    goal, measure, indicator = progress.goal, progress.measure, progress.indicator

    def fmt(value: float) -> str:
        return format_value(value, measure, indicator)

    year = progress.status_year or goal.target_year
    target = target_phrase(goal, progress.lower_better)
    baseline = (f"the baseline ({fmt(progress.baseline_value)} in {progress.baseline_year})"
                if progress.baseline_year and math.isfinite(progress.baseline_value) else "")
    if progress.status == STATUS_NOT_MEASURABLE:
        text = f"Not measurable in {year}: {progress.reason}."
        if progress.previous_year:
            text += f" The last value was {fmt(progress.previous_value)} in {progress.previous_year}."
        text += f" Target: {target}."
    elif progress.status == STATUS_MET:
        text = f"Met in {year}: {fmt(progress.value)} (target: {target}" + (
            f"; baseline: {fmt(progress.baseline_value)} in {progress.baseline_year}" if baseline else "") + ")."
    elif progress.status == STATUS_ON_TRACK:
        text = (f"On track in {year}: {fmt(progress.value)}, at least as good as the straight path from {baseline} to "
                f"the target ({target}), which is {fmt(progress.path_value)} in {year}.")
    elif year_start(year) >= year_start(goal.target_year):
        text = f"Off track in {year}: {fmt(progress.value)}; the target ({target}) has not been reached."
    else:
        text = (f"Off track in {year}: {fmt(progress.value)}, behind the straight path from {baseline} to the "
                f"target ({target}), which is {fmt(progress.path_value)} in {year}.")
    if progress.movement and progress.previous_year:
        text += (f" Since {progress.previous_year}: {progress.movement} ({fmt(progress.previous_value)} to "
                 f"{fmt(progress.value)}).")
    if progress.idea_above_threshold is not None:
        text += (f" IDEA significant disproportionality ({IDEA_RULE.label}): "
                 f"{'yes' if progress.idea_above_threshold else 'no'}; reasonable progress (a lower risk ratio in each "
                 f"of the last {IDEA_RULE.progress_years} years): {'yes' if progress.idea_reasonable_progress else 'no'}.")
    return text


def _row_of(progress: GoalProgress) -> dict[str, object]:
    goal = progress.goal
    across = progress.measure.across_groups  # no group and no comparison: both left empty
    return {
        "goal_id": goal.goal_id, "indicator_id": goal.indicator_id, "indicator": progress.indicator.label,
        "dimension": goal.dimension, "group_value": None if across else goal.group_value, "school": goal.school,
        "comparison": None if across else goal.comparison, "measure": goal.measure, "unit": progress.unit,
        "baseline_year": progress.baseline_year, "baseline_value": progress.baseline_value,
        "target_value": goal.target_value, "target_year": goal.target_year, "status_year": progress.status_year,
        "value": progress.value, "path_value": progress.path_value, "status": progress.status,
        "reason": progress.reason, "previous_year": progress.previous_year, "previous_value": progress.previous_value,
        "movement": progress.movement, "idea_above_threshold_each_year": progress.idea_above_threshold,
        "idea_reasonable_progress": progress.idea_reasonable_progress, "owner": goal.owner,
        "strategy": goal.strategy, "note": goal.note,
    }


def progress_frame(progresses: Iterable[GoalProgress]) -> pd.DataFrame:
    """One row per goal with GOAL_TABLE_COLUMNS (stable snake_case names)."""
    frame = pd.DataFrame([_row_of(p) for p in progresses], columns=list(GOAL_TABLE_COLUMNS))
    for column in ("baseline_value", "target_value", "value", "path_value", "previous_value"):
        frame[column] = frame[column].astype("float64")
    frame["goal_id"] = frame["goal_id"].astype("Int64")
    for column in ("idea_above_threshold_each_year", "idea_reasonable_progress"):
        frame[column] = frame[column].astype("boolean")
    return frame


def goals_table(store: Store, rates: ResultFunction = analysis.rates,
                gaps: ResultFunction = analysis.gaps) -> pd.DataFrame:
    """Every goal with its latest value and status (the `goals` command): GOAL_TABLE_COLUMNS."""
    return progress_frame(goal_progress(store, goal, rates, gaps) for goal in list_goals(store))


def moved_and_slipped(progresses: Iterable[GoalProgress]) -> tuple[list[GoalProgress], list[GoalProgress]]:
    """Goals whose latest value improved on the year before, and goals whose value worsened."""
    listed = list(progresses)
    return ([p for p in listed if p.movement == MOVEMENT_IMPROVED],
            [p for p in listed if p.movement == MOVEMENT_WORSENED])
