"""Goals in the app: progress computed through the cached library calls, one goal's card, and the short
summary the Overview shows (which goals moved, which slipped)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from equity_metrics import goals
from equity_metrics.charts import goal_charts
from equity_metrics.core.i18n import N_
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.analysis import Result
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.reports.basket import add_item
from equity_metrics.reports.goal_items import GoalSpec
from equity_metrics.storage.store import Store, StoreError
from views.cache import cached, cached_gaps, cached_rates
from views.chart_output import show_chart
from views.language import _ as gettext
from views.text import escape_markdown

STATUS_COLOURS = {goals.STATUS_MET: "green", goals.STATUS_ON_TRACK: "blue", goals.STATUS_OFF_TRACK: "orange",
                  goals.STATUS_NOT_MEASURABLE: "gray"}
DECIMALS = {"risk_ratio": "%.2f", "predictor": "%.3f"}  # per measure, in the "Every school year" table
YEAR_LABELS = {"school_year": "School year", "value": "Value", "ci_low": "95% CI low", "ci_high": "95% CI high",
               "path_value": "Straight path", "target_value": "Target", "status": "Status", "note": "Note"}


def _rates(store: Store, indicator_id: str, by: Sequence[str], filters: Filters, options: MetricOptions) -> Result:
    return cached(cached_rates, store, indicator_id, tuple(by), filters, options)


def _gaps(store: Store, indicator_id: str, by: Sequence[str], filters: Filters, options: MetricOptions) -> Result:
    return cached(cached_gaps, store, indicator_id, tuple(by), filters, options)


@st.cache_data(show_spinner=False, max_entries=128)
def cached_association(_store: Store, cache_key: str, indicator_id: str, dimension: str, filters: Filters,
                       options: MetricOptions) -> pd.DataFrame:
    """How much a dimension predicts an indicator, per school year (analysis.association_by_year)."""
    del cache_key  # the store file and data version: part of the cache key only
    return analysis.association_by_year(_store, indicator_id, dimension, filters, options)


def _association(store: Store, indicator_id: str, dimension: str, filters: Filters,
                 options: MetricOptions) -> pd.DataFrame:
    return cached(cached_association, store, indicator_id, dimension, filters, options)


def progress_of(store: Store, goal: goals.Goal) -> goals.GoalProgress:
    """A goal's progress from the cached result tables (recomputed when the data change)."""
    return goals.goal_progress(store, goal, _rates, _gaps, _association)


def values_of(store: Store, goal: goals.Goal) -> goals.YearlyValues:
    """A draft goal's value in every year (for choosing a baseline and target)."""
    return goals.yearly_values(store, goal, _rates, _gaps, _association)


def all_progress(store: Store) -> list[goals.GoalProgress] | None:
    """Every stored goal's progress; None (with the error shown) when the store cannot answer."""
    try:
        return [progress_of(store, goal) for goal in goals.list_goals(store)]
    except StoreError as error:
        st.error(str(error))
        return None


def status_badge(status: str) -> str:
    """Markdown for a status as a coloured badge (the word is always written, colour is never the only cue)."""
    return f":{STATUS_COLOURS[status]}-badge[{status.capitalize()}]"


def goal_card(report: goal_charts.GoalReport, key: str, store: Store | None = None) -> None:
    """One goal: number, status, title, the status sentence, owner and strategy, the chart and every year;
    with the store, a button that adds the goal's progress to the report."""
    goal = report.goal
    with st.container(border=True):
        st.markdown(f"{status_badge(report.progress.status)} Goal {goal.goal_id}: {escape_markdown(report.title)}")
        st.markdown(escape_markdown(report.sentence))
        details = [f"Owner: {goal.owner}" if goal.owner else "", f"Strategy: {goal.strategy}" if goal.strategy else "",
                   f"Note: {goal.note}" if goal.note else ""]
        if any(details):
            st.caption(escape_markdown(" · ".join(d for d in details if d)))
        show_chart(report.chart, key=f"{key}_chart", alt=report.sentence)
        with st.expander("Every school year", expanded=False):
            decimals = DECIMALS.get(goal.measure, "%.1f")
            config = {YEAR_LABELS[c]: st.column_config.NumberColumn(format=decimals)
                      for c in ("value", "ci_low", "ci_high", "path_value", "target_value")}
            st.dataframe(report.table[list(YEAR_LABELS)].rename(columns=YEAR_LABELS), hide_index=True,
                         column_config=config, key=f"{key}_years", placeholder="")
        if store is not None and st.button("Add to report", key=f"{key}_basket", icon=":material/playlist_add:"):
            add_item(store, GoalSpec(int(goal.goal_id)), title=f"Goal {goal.goal_id}: {report.title}")
            st.toast("Goal added to the report. Open the Report page to build the deck.",
                     icon=":material/playlist_add_check:")


def status_counts(progresses: Sequence[goals.GoalProgress]) -> dict[str, int]:
    return {status: sum(1 for p in progresses if p.status == status) for status in goals.STATUSES}


# A goal's status as the Overview says it (the status values themselves are the library's, in English).
STATUS_WORDS = {"met": N_("met"), "on track": N_("on track"), "off track": N_("off track"),
                "not measurable": N_("not measurable")}


def _status(status: str) -> str:
    return gettext(STATUS_WORDS[status]) if status in STATUS_WORDS else status


def _movement_line(progress: goals.GoalProgress) -> str:
    fmt = progress.measure, progress.indicator
    before = goals.format_value(progress.previous_value, *fmt)
    now = goals.format_value(progress.value, *fmt)
    return "- " + escape_markdown(gettext("Goal {id}, {title}: {before} in {year} to {now} in {status_year} ({status})")
                                  .format(id=progress.goal.goal_id, title=goals.goal_title(progress.goal),
                                          before=before, year=progress.previous_year, now=now,
                                          status_year=progress.status_year, status=_status(progress.status)))


def goals_overview(store: Store) -> None:
    """The Overview's goals section: how many goals have each status, which moved toward their target in the
    latest year and which slipped."""
    progresses = all_progress(store)
    if progresses is None:
        return
    if not progresses:
        st.caption(gettext("No goals yet: set targets on the Goals page, and each one is followed here as new data "
                           "arrive."))
        return
    counts = status_counts(progresses)
    st.markdown(gettext("{count} goal(s): {statuses}.").format(
        count=len(progresses), statuses=", ".join(f"{n} {_status(status)}" for status, n in counts.items() if n)))
    moved, slipped = goals.moved_and_slipped(progresses)
    none = "- " + gettext("none")
    st.markdown(gettext("Moved toward the target since the year before:") + "\n" + (
        "\n".join(_movement_line(p) for p in moved) if moved else none))
    st.markdown(gettext("Slipped since the year before:") + "\n" + (
        "\n".join(_movement_line(p) for p in slipped) if slipped else none))

