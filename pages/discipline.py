"""Discipline: removal rates by group with 95% intervals, risk ratios vs the comparison with the 3.0 line,
and each group's share of enrollment vs its share of removals."""

import streamlit as st

from equity_metrics.indicators import indicators_in
from views.components import data_source_banner, indicator_view
from views.state import current
from views.store import get_store

store = get_store()
state = current()
st.title("Discipline")
data_source_banner(store)
indicator_view(
    store,
    state,
    [i.id for i in indicators_in("Discipline") if i.kind == "rate"],
    key="discipline",
    empty_message="No discipline data yet: load a discipline incidents file and an enrollment roster on the Data page.",
)
