"""Climate: percent favorable on the student, family and staff surveys by group, and by construct (safety,
belonging, relationships, fair discipline); a school survey summary (respondents, scale scores, answers by
school), when one is loaded."""

import streamlit as st

from views.aggregate_views import survey_summary_view
from views.cache import get_store
from views.components import data_source_banner, facet_view, for_source, indicator_view
from views.state import current

store = get_store()
state = for_source(current(), "survey")
st.title("Climate")
data_source_banner(store)
result = indicator_view(store, state, ["student_survey_favorable", "family_survey_favorable", "staff_survey_favorable"],
                        key="climate", threshold=None,
                        empty_message="No survey data yet: load climate survey responses on the Data page.")
if result is not None:
    st.subheader("By construct")
    st.caption("Percent favorable (4 or 5 of 5) on each construct's questions. Counts are answers, not people: a "
               "respondent answers several questions. A group is hidden by its respondents: fewer than 10 people, "
               "however many answers.")
    facet_view(store, state, result.indicator, "construct", key="climate_construct")

survey_summary_view(store)  # a school survey summary (response rates, scores, answers by school), when one is loaded
