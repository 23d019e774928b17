"""Achievement: proficiency rates by group; scale-score gaps (mean differences with Hedges' g and its
interval, eta squared) vs the comparison; score distributions by group (percentiles only); the gaps
within each school and each grade; and the graduation rate of the latest cohort loaded, by race."""

from dataclasses import replace

import streamlit as st

from views.cache import get_store
from views.components import (
    closer_look,
    data_source_banner,
    distribution_view,
    for_source,
    gap_view,
    indicator_view,
    unit_gap_view,
)
from views.state import current

store = get_store()
state = for_source(current(), "assessment")
st.title("Achievement")
data_source_banner(store)
st.subheader("Proficiency")
indicator_view(store, state, ["math_proficiency", "reading_proficiency"], key="achievement", threshold=None,
               empty_message="No test scores yet: load state assessment results and an enrollment roster on the "
                             "Data page.")
st.subheader("Score gaps")
gaps = gap_view(store, state, ["math_scale_score", "reading_scale_score"], key="achievement_gap",
                empty_message="No scale scores yet: load state assessment results and an enrollment roster on the "
                              "Data page.")
if gaps is not None:
    closer_look({
        "Score distributions": lambda: distribution_view(store, state, gaps.indicator, key="achievement_distribution"),
        "Gaps by school": lambda: unit_gap_view(store, state, gaps.indicator, "school", key="achievement_by_school"),
        "Gaps by grade": lambda: unit_gap_view(store, state, gaps.indicator, "grade", key="achievement_by_grade"),
    }, key="achievement_closer")
st.subheader("Graduation")
st.caption("From a published graduation file (cohort counts per school and group). A cohort is named by the school "
           "year it entered grade 9; the latest cohort loaded is shown, split by race/ethnicity (the file gives each "
           "group apart, never crossed). Trends shows every cohort.")
indicator_view(store, replace(for_source(current(), "graduation"), school_year=None), ["graduation"],
               key="graduation", threshold=None,
               empty_message="No graduation outcomes yet: load a graduation file (the number of students in each "
                             "cohort and of graduates, per school and group) on the Data page.")
