"""Achievement: proficiency rates by group, and scale-score gaps (mean differences with Hedges' g and its
interval, eta squared) vs the comparison."""

import streamlit as st

from views.components import data_source_banner, for_source, gap_view, indicator_view
from views.state import current
from views.store import get_store

store = get_store()
state = for_source(current(), "assessment")
st.title("Achievement")
data_source_banner(store)
st.subheader("Proficiency")
indicator_view(store, state, ["math_proficiency", "reading_proficiency"], key="achievement",
               empty_message="No test scores yet: load state assessment results and an enrollment roster on the "
                             "Data page.")
st.subheader("Score gaps")
gap_view(store, state, ["math_scale_score", "reading_scale_score"], key="achievement_gap",
         empty_message="No scale scores yet: load state assessment results and an enrollment roster on the Data page.")
