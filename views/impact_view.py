"""Equity impact assessments in the app: pick one or start one; the standard questions with the user's answers;
the current figures for the groups and schools it names (from the protected tables, as every page shows them);
the goals that monitor it; a download as one HTML file; delete."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from equity_metrics import goals
from equity_metrics.core.constants import DIMENSIONS
from equity_metrics.goals import impact
from equity_metrics.goals.impact import ImpactAssessment
from equity_metrics.goals.impact_figures import ImpactFigure, impact_figures
from equity_metrics.measures import aggregate
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.reports.export_tables import column_label, provenance
from equity_metrics.reports.impact_report import impact_file_name, impact_report_html, scope_line
from equity_metrics.storage.store import Store, StoreError
from views.cache import cached, cached_indicators_with_data, cached_school_years
from views.components import dimension_label, show_frame
from views.goals_view import progress_of
from views.state import ViewState
from views.text import escape_markdown

NEW = "Start a new assessment"
LATEST = "The latest year with data"
MESSAGE_KEY = "impact_message"
CHOSEN_KEY = "impact_chosen_number"


@st.cache_data(show_spinner="Filling in the figures…", max_entries=64)
def cached_impact_figures(_store: Store, cache_key: str, indicators: tuple[str, ...], schools: tuple[str, ...],
                          school_year: str | None, dimension: str, groups: tuple[str, ...],
                          options: MetricOptions) -> list[ImpactFigure]:
    """The figures of an assessment, keyed by what they depend on (not by its answers)."""
    del cache_key
    draft = ImpactAssessment("figures", school_year=school_year, schools=schools, dimension=dimension,
                             groups=groups, indicators=indicators)
    return impact_figures(_store, draft, options)


def figures_of(store: Store, assessment: ImpactAssessment, options: MetricOptions) -> list[ImpactFigure]:
    return cached(cached_impact_figures, store, assessment.indicators, assessment.schools, assessment.school_year,
                  assessment.dimension, assessment.groups, options)


def impact_view(store: Store, state: ViewState) -> None:
    """The page body: the message of the last save, the picker, the chosen assessment, then its form."""
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        st.success(escape_markdown(message))
    try:
        assessments = impact.list_assessments(store)
    except StoreError as error:
        st.error(escape_markdown(error))
        return
    labels = {f"{a.assessment_id}. {a.title}": a for a in assessments}
    if CHOSEN_KEY in st.session_state:  # just saved or deleted: show that one (or a new form)
        number = st.session_state.pop(CHOSEN_KEY)
        st.session_state["impact_pick"] = next((label for label, a in labels.items() if a.assessment_id == number),
                                               NEW)
    choice = st.selectbox("Assessment", [NEW, *labels], key="impact_pick",
                          format_func=lambda label: label if label == NEW else escape_markdown(label))
    chosen = labels.get(choice)
    if chosen is not None:
        assessment_card(store, state, chosen)
    with st.expander("Edit this assessment" if chosen else "A new assessment", expanded=chosen is None):
        assessment_form(store, chosen)


def assessment_card(store: Store, state: ViewState, assessment: ImpactAssessment) -> None:
    """The assessment as a reader sees it: scope, answers, figures, goals, then the download and delete."""
    st.subheader(escape_markdown(assessment.title))
    st.caption(escape_markdown(scope_line(assessment)))
    for number, question in enumerate(impact.QUESTIONS, start=1):
        st.markdown(f"**{number}. {escape_markdown(question.text)}**")
        answer = assessment.answer(question.key)
        st.markdown(escape_markdown(answer) if answer else "*Not answered yet.*")
    st.markdown("#### What the data show for the groups affected")
    figures = figures_of(store, assessment, state.options)
    if not figures:
        st.caption("No indicator is chosen: choose indicators below to fill in the current figures.")
    for index, figure in enumerate(figures):
        figure_block(figure, f"impact_{assessment.assessment_id}_{index}")
    goal_lines = linked_goal_lines(store, assessment.goal_ids)
    st.markdown("#### Goals that monitor it")
    for line in goal_lines or ["No goal is linked yet: link one below, or add one on the Goals page."]:
        st.markdown(f"- {escape_markdown(line)}")
    document = impact_report_html(assessment, figures, goal_lines, provenance(store), state.options)
    left, right = st.columns(2)
    left.download_button("Download the assessment (HTML)", data=document.encode("utf-8"),
                         file_name=impact_file_name(assessment), mime="text/html", on_click="ignore",
                         key=f"impact_download_{assessment.assessment_id}", icon=":material/download:")
    if right.button("Delete this assessment", key=f"impact_delete_{assessment.assessment_id}",
                    icon=":material/delete:"):
        _change(lambda: _deleted(store, int(assessment.assessment_id or 0)),
                f"Assessment {assessment.assessment_id} deleted.")


def figure_block(figure: ImpactFigure, key: str) -> None:
    """One indicator at one place: a heading naming it, the year and the place; the sentences; the table."""
    st.markdown(f"**{escape_markdown(figure.indicator_label)}: {escape_markdown(figure.place)}, "
                f"{escape_markdown(figure.school_year)}**")
    if figure.message:
        st.caption(escape_markdown(figure.message))
        return
    for sentence in figure.sentences:
        st.markdown(f"- {escape_markdown(sentence)}")
    dimension = figure.table.columns[0]
    labels = {dimension: dimension_label(dimension), **{c: column_label(c) for c in figure.table.columns[1:]}}
    show_frame(figure.table, key, f"impact_{figure.indicator_id}_{_slug(figure.place)}_{figure.school_year}.csv",
               labels)


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def linked_goal_lines(store: Store, goal_ids: Sequence[int]) -> list[str]:
    """One line per linked goal: number, title, status and its sentence; a deleted goal says so."""
    lines = []
    for goal_id in goal_ids:
        try:
            progress = progress_of(store, goals.get_goal(store, goal_id))
        except goals.GoalNotFoundError:
            lines.append(f"Goal {goal_id} no longer exists.")
            continue
        lines.append(f"Goal {goal_id}: {goals.goal_title(progress.goal)} ({progress.status}). "
                     f"{goals.progress_sentence(progress)}")
    return lines


def assessment_form(store: Store, current: ImpactAssessment | None) -> None:
    """The fields of an assessment (keyed by its number, so each one keeps its own), then Save."""
    base = current or ImpactAssessment(title="")
    suffix = str(base.assessment_id or "new")
    title = st.text_input("Title: the decision it weighs", value=base.title, key=f"impact_title_{suffix}",
                          max_chars=200)
    left, middle, right = st.columns(3)
    kind = left.selectbox("Kind of decision", impact.DECISION_KINDS, key=f"impact_kind_{suffix}",
                          index=impact.DECISION_KINDS.index(base.decision_kind))
    years = [LATEST, *cached(cached_school_years, store)]
    year = middle.selectbox("School year of the figures", years, key=f"impact_year_{suffix}",
                            index=years.index(base.school_year) if base.school_year in years else 0)
    dimensions = list(DIMENSIONS)
    dimension = right.selectbox("Groups by", dimensions, format_func=dimension_label, key=f"impact_dimension_{suffix}",
                                index=dimensions.index(base.dimension) if base.dimension in dimensions else 0)
    known = aggregate.schools(store)
    schools = st.multiselect("Schools affected (none: the whole district)", known,
                             default=[s for s in base.schools if s in known], key=f"impact_schools_{suffix}")
    values = DIMENSIONS[dimension].values
    groups = st.multiselect("Groups most affected (none: every group)", values, key=f"impact_groups_{suffix}_{dimension}",
                            default=[g for g in base.groups if g in values])
    with_data = list(cached(cached_indicators_with_data, store))
    indicators = st.multiselect("Indicators whose figures are filled in", with_data, key=f"impact_indicators_{suffix}",
                                default=[i for i in base.indicators if i in with_data],
                                format_func=lambda i: INDICATORS[i].label)
    goal_ids = _goal_picker(store, base, suffix)
    answers = {q.key: st.text_area(f"{n}. {q.text}", value=base.answer(q.key), help=q.prompt, max_chars=10_000,
                                   key=f"impact_answer_{q.key}_{suffix}")
               for n, q in enumerate(impact.QUESTIONS, start=1)}
    if st.button("Save the assessment", type="primary", key=f"impact_save_{suffix}", icon=":material/save:"):
        draft = ImpactAssessment(title=title, decision_kind=kind, school_year=None if year == LATEST else year,
                                 schools=tuple(schools), dimension=dimension, groups=tuple(groups),
                                 indicators=tuple(indicators), goal_ids=tuple(goal_ids), answers=answers,
                                 assessment_id=base.assessment_id)
        _change(lambda: _saved_number(store, draft), "Assessment {} saved.")


def _goal_picker(store: Store, base: ImpactAssessment, suffix: str) -> list[int]:
    try:
        stored = {g.goal_id: goals.goal_title(g) for g in goals.list_goals(store) if g.goal_id is not None}
    except StoreError:
        stored = {}
    return st.multiselect("Goals that monitor it", list(stored), key=f"impact_goals_{suffix}",
                          default=[g for g in base.goal_ids if g in stored],
                          format_func=lambda g: escape_markdown(f"{g}. {stored[g]}"))


def _deleted(store: Store, number: int) -> int:
    impact.delete_assessment(store, number)
    return 0


def _saved_number(store: Store, draft: ImpactAssessment) -> int:
    return int(impact.save_assessment(store, draft).assessment_id or 0)


def _change(call: Callable[[], int], message: str) -> None:
    """Run a store change; on success say so on the next run (showing the saved one), else say what was wrong."""
    try:
        number = call()
    except (ValueError, StoreError) as error:
        st.error(f"Not saved: {escape_markdown(error)}")
        return
    st.session_state[MESSAGE_KEY] = message.format(number)
    st.session_state[CHOSEN_KEY] = number  # 0 after a deletion: the picker goes back to a new assessment
    st.rerun()

