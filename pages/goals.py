"""Goals: targets for any indicator, group, scope and comparison, each with its progress chart and status
sentence; add, edit and delete goals, and export or import them as CSV.

The page is a few named sections fed by one `GoalsPage` state (views/goal_forms.py)."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from equity_metrics import goals
from equity_metrics.charts import goal_charts
from equity_metrics.core.constants import DIMENSIONS, GROUP_DIMENSIONS
from equity_metrics.measures.aggregate import schools as school_names
from equity_metrics.measures.indicators import INDICATORS, Indicator
from equity_metrics.measures.metrics import ALL_OTHERS
from equity_metrics.reports.export_tables import table_csv_bytes
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import StoreError
from views.cache import cached, cached_indicators_with_data, cached_school_years, get_store
from views.components import data_source_banner, dimension_label, empty_state
from views.goal_forms import MESSAGE_KEY, GoalsPage, save_goal, target_input
from views.goals_view import all_progress, goal_card, status_counts, values_of
from views.state import current
from views.text import escape_markdown

UPLOADS_KEY = "goal_uploads_done"
FIRST_VALUE = "(first year with a value)"
INTRODUCTION = (
    "Each goal is measured again from the stored data on every visit, so next year's files update every goal. "
    "Its status is about the latest school year with the indicator's data: met (the target is reached), on track "
    "(at least as good as the straight path from the baseline to the target in that year), off track, or not "
    "measurable (hidden to protect privacy, too few students, or not loaded; the reason is given). Goals use the "
    "default minimums (n-size 30, cell size 10), whatever the sidebar says."
)


def _every_goal(page: GoalsPage) -> None:
    """How many goals have each status, then every goal's card."""
    if not page.progresses:
        empty_state("No goals yet. Add one below, or import a goals CSV.")
        return
    counts = status_counts(page.progresses).items()
    for column, (status, count) in zip(st.columns(len(goals.STATUSES)), counts, strict=True):
        column.metric(status.capitalize(), count)
    for progress in page.progresses:
        goal_card(goal_charts.report_of(progress), key=f"goal_{progress.goal.goal_id}", store=page.store)


def _draft_goal(page: GoalsPage, choices: list[Indicator]) -> tuple[goals.Goal, Indicator, goals.Measure]:
    """The choices of a new goal made outside its form (indicator, measure, scope, groups, comparison), so the
    boxes follow each other; the goal drafted from them, with no target yet."""
    indicator = st.selectbox("Indicator", choices, format_func=lambda i: f"{i.domain} · {i.label}",
                             key="goal_new_indicator")
    source_dimensions = SOURCES[indicator.source].dimensions
    left, right = st.columns(2)
    measure = left.selectbox("Measure", goals.measures_for(indicator), format_func=lambda m: m.label,
                             key=f"goal_new_measure_{indicator.kind}")
    # How much the group predicts the outcome is measured district-wide, across every group at once.
    scopes = [None, *school_names(page.store)] if "school" in source_dimensions and not measure.across_groups \
        else [None]
    school = right.selectbox("Scope", scopes, format_func=lambda s: s or goals.DISTRICT, key="goal_new_school")
    left, middle, right = st.columns(3)
    dimension = left.selectbox("Student groups", [d for d in GROUP_DIMENSIONS if d in source_dimensions],
                               format_func=dimension_label, key="goal_new_dimension")
    if measure.across_groups:
        group, comparison = "", ALL_OTHERS
        middle.caption(escape_markdown(f"No group to pick: {measure.unit(indicator)} measures how much "
                                       f"{dimension_label(dimension).lower()} predicts {indicator.label.lower()} "
                                       "across every group at once, for the district (lower is better)."))
    else:
        group = middle.selectbox("Group", DIMENSIONS[dimension].values, key=f"goal_new_group_{dimension}")
        comparison = right.selectbox(
            "Compared with", [ALL_OTHERS, *(v for v in DIMENSIONS[dimension].values if v != group)],
            format_func=lambda c: "All other students" if c == ALL_OTHERS else c,
            key=f"goal_new_comparison_{dimension}")
    draft = goals.Goal(indicator.id, dimension, group, measure.id, 0.0, page.latest or "", comparison=comparison,
                       school=school)
    return draft, indicator, measure


def _values_so_far(page: GoalsPage, draft: goals.Goal, indicator: Indicator,
                   measure: goals.Measure) -> tuple[list[str], float]:
    """The draft's value in every year with data, said in a caption; the years a baseline can be, and the
    latest value (the suggested target)."""
    values = values_of(page.store, draft)
    measured = values.frame[values.frame["school_year"].isin(values.with_data)]
    st.caption(("So far: " if len(measured) else "No value yet.") + escape_markdown(" · ".join(
        f"{row.school_year}: " + (goals.format_value(row.value, measure, indicator) if row.value == row.value
                                  else f"not measurable ({row.note})")
        for row in measured.itertuples())))
    shown = measured[measured["value"].notna()]
    default = round(float(shown["value"].iloc[-1]), 3 if measure.across_groups else 2) if len(shown) else 0.0
    return list(values.with_data) or page.known_years, default


def _add_goal_form(page: GoalsPage) -> None:
    st.subheader("Add a goal")
    with_data = set(cached(cached_indicators_with_data, page.store))
    choices = [indicator for indicator in INDICATORS.values() if indicator.id in with_data]
    if not choices:
        empty_state("Load data on the Data page first: a goal is set on an indicator with data.")
        return
    draft, indicator, measure = _draft_goal(page, choices)
    years, default = _values_so_far(page, draft, indicator, measure)
    latest = page.latest
    with st.form("goal_new_form"):
        left, middle, right = st.columns(3)
        baseline = left.selectbox("Baseline year", years, index=max(len(years) - 1, 0), key="goal_new_baseline")
        with middle:
            # Keyed by the draft, so the suggested target (the latest value) follows the choices above.
            target_value = target_input(f"Target ({measure.unit(indicator)})", measure, default,
                                        "goal_new_target_" + "_".join(map(str, (indicator.id, draft.dimension,
                                                                                draft.group_value, draft.comparison,
                                                                                measure.id, draft.school))))
        target_years = page.target_years()
        default_year = goals.school_year_of(goals.year_start(latest) + 3) if latest else target_years[-1]
        target_year = right.selectbox("Target year", target_years, index=target_years.index(default_year),
                                      key="goal_new_target_year")
        owner = st.text_input("Owner", key="goal_new_owner", max_chars=goals.MAX_TEXT_LENGTH)
        strategy = st.text_input("Action or strategy", key="goal_new_strategy", max_chars=goals.MAX_TEXT_LENGTH)
        note = st.text_area("Note", key="goal_new_note", max_chars=goals.MAX_TEXT_LENGTH)
        added = st.form_submit_button("Add goal", type="primary", icon=":material/add:")
    if added:
        new = replace(draft, target_value=float(target_value), target_year=target_year, baseline_year=baseline,
                      owner=owner, strategy=strategy, note=note)
        save_goal("added", lambda: goals.add_goal(page.store, new).goal_id)


def _edit_goal_form(page: GoalsPage, goal: goals.Goal) -> None:
    """The form that changes a goal's baseline, target, owner, strategy and note."""
    goal_id, latest = goal.goal_id, page.latest
    with st.form(f"goal_edit_form_{goal_id}"):
        left, middle, right = st.columns(3)
        baselines = [FIRST_VALUE, *sorted(set(page.known_years) | {goal.baseline_year or latest or ""} - {""},
                                          key=goals.year_start)]
        baseline = left.selectbox("Baseline year", baselines, index=baselines.index(goal.baseline_year or FIRST_VALUE),
                                  key=f"goal_edit_baseline_{goal_id}")
        with middle:
            target_value = target_input(f"Target ({goals.MEASURES[goal.measure].unit(goal.indicator)})",
                                        goals.MEASURES[goal.measure], goal.target_value, f"goal_edit_target_{goal_id}")
        target_years = page.target_years(goal.target_year)
        target_year = right.selectbox("Target year", target_years, index=target_years.index(goal.target_year),
                                      key=f"goal_edit_target_year_{goal_id}")
        owner = st.text_input("Owner", value=goal.owner, key=f"goal_edit_owner_{goal_id}",
                              max_chars=goals.MAX_TEXT_LENGTH)
        strategy = st.text_input("Action or strategy", value=goal.strategy, key=f"goal_edit_strategy_{goal_id}",
                                 max_chars=goals.MAX_TEXT_LENGTH)
        note = st.text_area("Note", value=goal.note, key=f"goal_edit_note_{goal_id}", max_chars=goals.MAX_TEXT_LENGTH)
        edited = st.form_submit_button("Save changes", type="primary", icon=":material/save:")
    if edited:
        changed = replace(goal, baseline_year=None if baseline == FIRST_VALUE else baseline,
                          target_value=float(target_value), target_year=target_year, owner=owner, strategy=strategy,
                          note=note)
        save_goal("saved", lambda: goals.update_goal(page.store, changed).goal_id)


def _edit_or_delete(page: GoalsPage) -> None:
    st.subheader("Edit or delete a goal")
    if not page.progresses:
        st.caption("No goal to edit yet.")
        return
    by_id = {p.goal.goal_id: p.goal for p in page.progresses}
    goal_id = st.selectbox("Goal", list(by_id), format_func=lambda i: f"Goal {i}: {goals.goal_title(by_id[i])}",
                           key="goal_edit_choice")
    st.caption("To change the indicator, groups, measure or scope, add a new goal and delete this one (or edit the "
               "CSV export and import it).")
    _edit_goal_form(page, by_id[goal_id])
    confirm = st.checkbox(f"I want to delete goal {goal_id}", key=f"goal_delete_confirm_{goal_id}")
    if st.button("Delete this goal", key="goal_delete", disabled=not confirm, icon=":material/delete:"):
        def delete() -> int:
            goals.delete_goal(page.store, goal_id)
            return goal_id

        save_goal("deleted", delete)


def _export_goals(page: GoalsPage) -> None:
    """Download the goals, and every goal's progress, as CSV; what each column of a goals CSV holds."""
    st.subheader("Export and import (CSV)")
    st.download_button("Download goals (CSV)", data=goals.goals_csv(page.store), file_name="goals.csv",
                       mime="text/csv", on_click="ignore", key="goals_download", icon=":material/download:")
    if page.progresses:
        st.download_button("Download progress: every goal's latest value and status (CSV)",
                           data=table_csv_bytes(goals.progress_frame(page.progresses)),
                           file_name="goals_progress.csv", mime="text/csv", on_click="ignore",
                           key="goals_progress_download", icon=":material/download:")
    with st.expander("The columns of a goals CSV", expanded=False):
        st.dataframe(pd.DataFrame({"Column": list(goals.CSV_COLUMNS), "What it holds": list(goals.CSV_COLUMNS.values()),
                                   "Required": [c in goals.REQUIRED_CSV_COLUMNS for c in goals.CSV_COLUMNS]}),
                     hide_index=True, key="goals_csv_columns")


def _import_goals(page: GoalsPage) -> None:
    """Import goals from a CSV file: all rows or none."""
    uploads_done = st.session_state.setdefault(UPLOADS_KEY, 0)  # a new key empties the uploader after an import
    upload = st.file_uploader("Import goals from a CSV file", type=["csv"], key=f"goals_upload_{uploads_done}",
                              help="A row with the number of an existing goal updates it; any other row adds a "
                                   "goal. If any row has a problem, nothing is imported.")
    if upload is None or not st.button("Import goals", key="goals_import", type="primary", icon=":material/upload:"):
        return
    try:
        imported = goals.import_goals_csv(page.store, upload.getvalue())
    except goals.GoalImportError as error:
        st.error("Nothing was imported:\n" + "\n".join(f"- {escape_markdown(m)}" for m in error.messages))
    except StoreError as error:
        st.error(f"Nothing was imported: {escape_markdown(error)}")
    else:
        st.session_state[MESSAGE_KEY] = imported.message()
        st.session_state[UPLOADS_KEY] = uploads_done + 1
        st.rerun()


store = get_store()
current()  # makes sure the page runs inside the app (navigation and sidebar)
st.title("Goals")
data_source_banner(store)
st.caption(INTRODUCTION)
message = st.session_state.pop(MESSAGE_KEY, None)
if message:
    st.success(message, icon=":material/check_circle:")
progresses = all_progress(store)
if progresses is None:
    st.stop()
page = GoalsPage(store, progresses, list(cached(cached_school_years, store)))
_every_goal(page)
_add_goal_form(page)
_edit_or_delete(page)
_export_goals(page)
_import_goals(page)
