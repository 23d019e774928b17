"""Views of published aggregates on the existing pages: staff FTE by race (Staffing). Every table comes from
the library's protected staff table (`equity_metrics.measures.staff_fte`); text from the files is escaped."""

from __future__ import annotations

import streamlit as st

from equity_metrics.measures import staff_fte
from equity_metrics.storage.store import Store
from views.components import show_frame
from views.text import escape_markdown

__all__ = ["staff_fte_view"]

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
        result = _composition(store, store.cache_key(), level, job, year, unit)
    except staff_fte.NoStaffFteError as error:
        st.info(escape_markdown(str(error)))
        return
    show_frame(result.table, "staff_fte", "staff_fte_by_race.csv", _LABELS, percent=("share",),
               decimals={"fte": "%.1f", "race_sum": "%.1f", "reported_total": "%.1f", "difference": "%+.1f"})
    for note in result.notes:
        st.caption(escape_markdown(note))
