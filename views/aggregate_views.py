"""Views of published aggregates on the existing pages: staff FTE by race (Staffing), a school survey summary
(Climate) and shares of enrollment and of the disciplined by group (Discipline). Every table comes from the
library's protected tables (`equity_metrics.measures.staff_fte`, `equity_metrics.measures.survey_summary`,
`equity_metrics.measures.representation`); text from the files is escaped."""

from __future__ import annotations

import streamlit as st

from equity_metrics.measures import representation, staff_fte, survey_summary
from equity_metrics.storage.store import Store
from views.cache import cached
from views.components import show_frame
from views.text import escape_markdown

__all__ = ["representation_view", "staff_fte_view", "survey_summary_view"]

_LABELS = {"unit": "Unit", "school_id": "School code", "job": "Job group", "race": "Race/ethnicity", "fte": "FTE",
           "share": "Share of FTE", "race_sum": "Race columns' sum", "reported_total": "Reported total (FTE)",
           "difference": "Reported total − race sum", "schools": "Schools with this job",
           "schools_without": "Of them, with no FTE of this race"}


@st.cache_data(show_spinner="Protecting the staff table (the first time for a file takes a minute)…",
               max_entries=64)
def _composition(_store: Store, cache_key: str, level: str, job_group: str | None, year: str,
                 unit: str | None) -> staff_fte.StaffComposition:
    del cache_key
    return staff_fte.staff_composition(_store, level=level, job_group=job_group, school_year=year, unit=unit)


def staff_fte_view(store: Store) -> None:
    """Staff FTE by race and job group, by state, district or school (nothing when no staff FTE is loaded)."""
    years = staff_fte.staff_years(store)
    if not years:
        return
    st.subheader("Staff by race (full-time equivalents)")
    left, middle, right = st.columns(3)
    year = left.selectbox("School year", years, key="staff_fte_year")
    jobs = dict(staff_fte.job_groups(store, year))
    codes = list(jobs)
    job = middle.selectbox("Job group", codes, index=codes.index("23") if "23" in codes else 0,
                           format_func=lambda c: jobs[c], key="staff_fte_job")
    level = right.radio("By", staff_fte.LEVELS, horizontal=True, key="staff_fte_level")
    unit = None
    if level != "state":
        unit = st.text_input("One district or school (its name; empty: every one)", key="staff_fte_unit") or None
    try:
        result = cached(_composition, store, level, job, year, unit)
    except staff_fte.NoStaffFteError as error:
        st.info(escape_markdown(str(error)))
        return
    show_frame(result.table, "staff_fte", "staff_fte_by_race.csv", _LABELS, percent=("share",),
               decimals={"fte": "%.1f", "race_sum": "%.1f", "reported_total": "%.1f", "difference": "%+.1f"})
    for note in result.notes:
        st.caption(escape_markdown(note))


_SURVEY_LABELS = {"unit": "School", "school_id": "School code", "respondent": "Respondents", "respondents":
                  "Respondents (number)", "eligible": "Eligible", "response_rate": "Response rate (%)",
                  "scale": "Scale", "score": "Score (0-10)", "sum": "Sum of the schools' scores",
                  "schools": "Schools", "item": "Item", "option": "Option", "count": "Number choosing it",
                  "percent": "Percent choosing it", "answered": "Answered", "item_score": "Item score (0-10)",
                  "hidden": "Hidden (privacy)"}
_WHAT = {"response": "Respondents and response rates", "scores": "Scale scores", "items": "Answers to one item"}


@st.cache_data(show_spinner="Protecting the survey summary (the first time for a file takes a few seconds)…",
               max_entries=64)
def _survey(_store: Store, cache_key: str, what: str, year: str, school: str | None,
            item: str | None) -> survey_summary.SurveySummary:
    del cache_key
    return survey_summary.survey_summary(_store, what=what, school_year=year, school=school, item=item)


def survey_summary_view(store: Store) -> None:
    """A school survey summary: respondents and response rates, scale scores or one item's answers, for all
    schools and one school or every school (nothing when no survey summary is loaded)."""
    years = survey_summary.survey_summary_years(store)
    if not years:
        return
    st.subheader("School survey summary")
    left, middle, right = st.columns(3)
    year = left.selectbox("School year", years, key="survey_summary_year")
    what = middle.radio("Show", list(_WHAT), format_func=_WHAT.get, key="survey_summary_what")
    school = right.text_input("One school (its code or name; empty: every school)",
                              key="survey_summary_school") or None
    item = None
    if what == "items":
        items = survey_summary.survey_summary_items(store, year)
        item = st.selectbox("Item", items, key="survey_summary_item")
    try:
        result = cached(_survey, store, what, year, school, item)
    except survey_summary.NoSurveySummaryError as error:
        st.info(escape_markdown(str(error)))
        return
    show_frame(result.table.drop(columns=["school_year"]), "survey_summary", f"survey_summary_{what}_{year}.csv",
               _SURVEY_LABELS, decimals={"score": "%.3f", "sum": "%.1f", "item_score": "%.1f", "percent": "%.0f"})
    for note in result.notes:
        st.caption(escape_markdown(note))


_REPRESENTATION_LABELS = {"level": "Level", "district": "District", "school": "School", "category": "Category",
                          "group": "Group", "enrollment": "Enrollment", "share_of_enrollment": "Share of enrollment (%)",
                          "share_of_disciplined": "Share of the disciplined (%)", "gap_points": "Gap (points)",
                          "over_or_under": "Over or under", "file_label": "The file's label", "note": "Note"}


@st.cache_data(show_spinner="Reading the shares…", max_entries=64)
def _representation(_store: Store, cache_key: str, level: str, year: str, unit: str | None,
                    category: str | None) -> representation.Representation:
    del cache_key
    return representation.representation(_store, level=level, school_year=year, unit=unit, category=category)


def representation_view(store: Store) -> None:
    """Each group's share of enrollment and of the students disciplined, by state, district or school, from a
    state's disproportionality file (percentages, not counts; nothing when none is loaded)."""
    years = representation.representation_years(store)
    if not years:
        return
    st.subheader("Shares of enrollment and of the disciplined (a state's file of percentages)")
    st.caption("Percentages, not counts: each group's share of enrollment beside its share of the students "
               "disciplined (one or more incidents), and the gap in percentage points.")
    left, middle, right = st.columns(3)
    year = left.selectbox("School year", years, key="representation_year")
    level = middle.radio("Level", representation.LEVELS, horizontal=True, key="representation_level")
    category = right.text_input("One category (e.g. Race/Ethnicity; empty: every one)",
                                key="representation_category") or None
    unit = None
    if level != "state":
        unit = st.text_input("One district or school (its name; empty: every one)", key="representation_unit") or None
    try:
        result = cached(_representation, store, level, year, unit, category)
    except representation.NoRepresentationError as error:
        st.info(escape_markdown(str(error)))
        return
    show_frame(result.table.drop(columns=["school_year"]), "representation", f"representation_{level}_{year}.csv",
               _REPRESENTATION_LABELS, decimals={"share_of_enrollment": "%.1f", "share_of_disciplined": "%.1f",
                                                 "gap_points": "%+.1f"})
    for note in result.notes:
        st.caption(escape_markdown(note))
