"""Equity Explorer: the Streamlit entry point. Builds the navigation, the shared sidebar filters and the one
cached store, then runs the chosen page. Run with `streamlit run app.py`."""

import streamlit as st

from views.state import sidebar
from views.store import get_store, remove_leftover_uploads

st.set_page_config(page_title="Equity Explorer", page_icon=":material/balance:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/insights:", default=True),
    st.Page("pages/discipline.py", title="Discipline", icon=":material/gavel:"),
    st.Page("pages/course_access.py", title="Course access", icon=":material/school:"),
    st.Page("pages/achievement.py", title="Achievement", icon=":material/grading:"),
    st.Page("pages/special_education.py", title="Special education", icon=":material/diversity_3:"),
    st.Page("pages/staffing.py", title="Staffing", icon=":material/badge:"),
    st.Page("pages/climate.py", title="Climate", icon=":material/sentiment_satisfied:"),
    st.Page("pages/schools.py", title="Schools", icon=":material/grid_view:"),
    st.Page("pages/trends.py", title="Trends", icon=":material/trending_up:"),
    st.Page("pages/goals.py", title="Goals", icon=":material/flag:"),
    st.Page("pages/report.py", title="Report", icon=":material/summarize:"),
    st.Page("pages/present.py", title="Present", icon=":material/slideshow:"),
    st.Page("pages/data.py", title="Data", icon=":material/database:"),
]

store = get_store()
remove_leftover_uploads()
page = st.navigation(PAGES, expanded=True)  # every page listed, no "View more"
sidebar(store)
page.run()
