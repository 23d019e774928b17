"""Discipline: removal rates by group with 95% intervals, risk ratios vs the comparison with the 3.0 line,
each group's share of enrollment vs its share of removals; the stages from referral to expulsion; the
chosen indicator by race x sex and race x disability; and, when a state's disproportionality file of percentages
is loaded, each group's share of enrollment and of the disciplined (kind representation)."""

import streamlit as st

from equity_metrics.measures.indicators import indicators_in
from views.aggregate_views import representation_view
from views.cache import get_store
from views.components import closer_look, data_source_banner, indicator_view, intersection_view, stage_view
from views.state import current

store = get_store()
state = current()
st.title("Discipline")
data_source_banner(store)
result = indicator_view(
    store,
    state,
    [i.id for i in indicators_in("Discipline") if i.kind == "rate"],
    key="discipline",
    first="oss",  # the headline measure
    empty_message="No discipline data yet: load a discipline incidents file and an enrollment roster on the Data page.",
)
if result is not None:
    def stages() -> None:
        st.caption("A referral is any disciplinary action on file for the student that year. Each sanction is "
                   "shown per enrolled student and as a share of the students referred.")
        stage_view(store, state, key="discipline_stages")

    closer_look({
        "From referral to expulsion": stages,
        "Race × sex": lambda: intersection_view(store, state, result.indicator, "sex", key="discipline_race_sex"),
        "Race × disability": lambda: intersection_view(store, state, result.indicator, "disability",
                                                       key="discipline_race_disability"),
    }, key="discipline_closer")
representation_view(store)  # a state's shares of enrollment and of the disciplined, when such a file is loaded
