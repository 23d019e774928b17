"""The progress chart of one goal (Altair): its value in each school year with the 95% interval, the target
line and the straight path from the baseline to the target, in the group's colour (a goal on how much the
group predicts the outcome, which names no group, in dark grey).

Built only from a `GoalProgress` (already suppressed values, one row per year, never student rows). A year
with no value is not drawn: the line breaks there, the year is marked "not measurable" on the axis, and the
subtitle says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import altair as alt
import pandas as pd

from equity_metrics import goals
from equity_metrics.charts.specs import CHART_WIDTH, group_colour, wrap_title
from equity_metrics.goals import goal_predictor
from equity_metrics.goals.model import STATUS_NOT_MEASURABLE
from equity_metrics.goals.progress import GoalProgress
from equity_metrics.goals.text import comparison_noun, format_value, goal_title, target_phrase
from equity_metrics.measures import analysis
from equity_metrics.narrative.findings import group_noun, mid_sentence, subject_noun
from equity_metrics.storage.store import Store

CHART_HEIGHT = 260
PATH_COLOUR = "#555555"
TARGET_COLOUR = "#222222"
INTERVAL_COLOUR = "#222222"
HIDDEN_TEXT = "not measurable"
ACROSS_GROUPS_COLOUR = "#333333"  # a solid line, against the dashed path and the dotted target


def _y(progress: GoalProgress, field: str = "value") -> alt.Y:
    measure = progress.measure
    title = measure.label if measure.id != "score_gap" else f"{measure.label} ({progress.unit})"
    if measure.across_groups:
        title = progress.unit
    return alt.Y(f"{field}:Q", title=title, scale=alt.Scale(zero=measure.id != "risk_ratio"))


def chart_frame(progress: GoalProgress) -> pd.DataFrame:
    """The years of a goal with text for tooltips (values in the measure's unit)."""
    frame = progress.years.copy()

    def text(value: float) -> str:
        return format_value(value, progress.measure, progress.indicator)

    frame["value_text"] = [text(v) for v in frame["value"]]
    frame["interval_text"] = [f"{text(low)} to {text(high)}" if math.isfinite(low) and math.isfinite(high) else ""
                              for low, high in zip(frame["ci_low"], frame["ci_high"], strict=True)]
    frame["path_text"] = [text(v) for v in frame["path_value"]]
    return frame


def progress_chart(progress: GoalProgress) -> alt.LayerChart:
    """Values by year with intervals, the target (a horizontal line), and the straight path from the baseline
    to the target (dashed)."""
    goal = progress.goal
    colour = (ACROSS_GROUPS_COLOUR if progress.measure.across_groups
              else group_colour(goal.dimension, goal.group_value))
    years = progress.axis_years
    x = alt.X("school_year:O", sort=years, scale=alt.Scale(domain=years), title="School year",
              axis=alt.Axis(labelAngle=0))
    frame = chart_frame(progress)
    tooltip = [alt.Tooltip("school_year:N", title="School year"), alt.Tooltip("value_text:N", title="Value"),
               alt.Tooltip("interval_text:N", title="95% interval"), alt.Tooltip("path_text:N", title="Straight path"),
               alt.Tooltip("status:N", title="Status that year"), alt.Tooltip("note:N", title="Note")]
    measured = frame[frame["value"].notna()]
    hidden = frame[frame["value"].isna()]
    line = alt.Chart(frame).mark_line(color=colour, strokeWidth=2.5, invalid="break-paths-filter-domains").encode(
        x=x, y=_y(progress), tooltip=tooltip)
    points = alt.Chart(measured).mark_point(filled=True, size=90, color=colour, stroke=INTERVAL_COLOUR,
                                            strokeWidth=0.8, opacity=1).encode(x=x, y=_y(progress), tooltip=tooltip)
    layers: list[alt.Chart] = []
    with_interval = measured[measured["ci_low"].notna() & measured["ci_high"].notna()]
    if not with_interval.empty:
        layers.append(alt.Chart(with_interval).mark_rule(color=INTERVAL_COLOUR, strokeWidth=1.5).encode(
            x=x, y=_y(progress, "ci_low"), y2=alt.Y2("ci_high:Q"), tooltip=tooltip))
    target = pd.DataFrame({"value": [goal.target_value], "school_year": [goal.target_year],
                           "label": [f"Target: {target_phrase(goal, progress.lower_better)}"]})
    layers.append(alt.Chart(target).mark_rule(color=TARGET_COLOUR, strokeDash=[2, 3], strokeWidth=1.5).encode(
        y=_y(progress), tooltip=[alt.Tooltip("label:N", title="Target")]))
    layers.append(alt.Chart(target).mark_text(align="left", dx=4, dy=-7, color=TARGET_COLOUR).encode(
        x=alt.value(0), y=_y(progress), text=alt.Text("label:N")))
    if progress.baseline_year is not None and math.isfinite(progress.baseline_value):
        path = pd.DataFrame({"school_year": [progress.baseline_year, goal.target_year],
                             "value": [progress.baseline_value, goal.target_value],
                             "label": ["Baseline", "Target"]})
        layers.append(alt.Chart(path).mark_line(color=PATH_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(
            x=x, y=_y(progress), tooltip=[alt.Tooltip("label:N", title="Straight path"),
                                          alt.Tooltip("school_year:N", title="School year")]))
    layers += [line, points]
    if not hidden.empty:
        layers.append(alt.Chart(hidden).mark_text(color="#555555", fontStyle="italic", angle=0).encode(
            x=x, y=alt.value(CHART_HEIGHT - 10), text=alt.value(HIDDEN_TEXT), tooltip=tooltip))
    subtitle = wrap_title("Dots and line: the value each school year" + (" (black lines: 95% interval)"
                                                                         if not with_interval.empty else "")
                          + "; dotted line: the target; dashed line: the straight path from the baseline to the "
                          "target.", 110)
    if progress.measure.gap:
        who = mid_sentence(group_noun({goal.dimension: goal.group_value}, subject_noun(progress.indicator)))
        subtitle += wrap_title(f"The gap: how much worse off {who} are than {comparison_noun(goal)}, in "
                               f"{progress.unit} (below 0: better off).", 110)
    if progress.measure.across_groups:
        subtitle += wrap_title(goal_predictor.explanation(progress.indicator, goal.dimension), 110)
    notes = [f"{row.school_year}: {row.note}" for row in hidden.itertuples() if row.status == STATUS_NOT_MEASURABLE]
    if notes:
        subtitle += wrap_title("Not measurable: " + "; ".join(notes), 110)
    chart = alt.layer(*layers).properties(width=CHART_WIDTH, height=CHART_HEIGHT)
    return chart.properties(title=alt.TitleParams(wrap_title(goal_title(goal)), subtitle=subtitle, anchor="start",
                                                  fontSize=14))


@dataclass(frozen=True)
class GoalReport:
    """Everything a goal shows: title, progress, status sentence, chart and per-year table (for the Goals page
    and the report basket)."""

    goal: goals.Goal
    progress: goals.GoalProgress
    title: str
    sentence: str
    chart: alt.LayerChart
    table: pd.DataFrame


def report_of(progress: goals.GoalProgress) -> GoalReport:
    """A goal's report from its progress."""
    return GoalReport(progress.goal, progress, goals.goal_title(progress.goal), goals.progress_sentence(progress),
                      progress_chart(progress), progress.years.copy())


def goal_report(store: Store, goal_id: int, rates: goals.ResultFunction = analysis.rates,
                gaps: goals.ResultFunction = analysis.gaps) -> GoalReport:
    """A goal's progress chart, status sentence and per-year table, in one call."""
    return report_of(goals.goal_progress(store, goals.get_goal(store, goal_id), rates, gaps))
