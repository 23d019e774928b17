"""Equity impact assessments: a proposed policy, program, budget or schedule change weighed before it is made,
with Race Forward's questions, the current figures for the groups and schools it affects, and the goals that
will monitor it."""

import streamlit as st

from views.cache import get_store
from views.components import data_source_banner
from views.impact_view import impact_view
from views.state import current

store = get_store()
st.title("Impact assessments")
st.caption("Weigh a decision before it is made: who it affects, what the data show for them, who benefits or is "
           "burdened, how they were engaged, how harm is prevented and how the results will be monitored.")
data_source_banner(store)
impact_view(store, current())
