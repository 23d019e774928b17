"""Equity Explorer: the Streamlit entry point. Builds the navigation, the shared sidebar filters and the one
cached store, then runs the chosen page. Run with `streamlit run app.py`."""

import streamlit as st

from views.state import sidebar
from views.store import get_store

st.set_page_config(page_title="Equity Explorer", page_icon=":material/balance:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/insights:", default=True),
    st.Page("pages/discipline.py", title="Discipline", icon=":material/gavel:"),
    st.Page("pages/data.py", title="Data", icon=":material/database:"),
]

store = get_store()
page = st.navigation(PAGES)
sidebar(store)
page.run()
