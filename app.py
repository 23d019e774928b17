"""Equity Explorer: the Streamlit entry point. Builds the navigation, the shared sidebar filters and the one
cached store, then runs the chosen page. Run with `streamlit run app.py`."""

import streamlit as st

from equity_metrics.storage.store import StoreError
from views.cache import get_store, remove_leftover_uploads
from views.state import sidebar
from views.text import escape_markdown

# Icons are emoji, drawn by the computer's own fonts: a Material icon as the page or tab icon makes the browser
# fetch it from fonts.gstatic.com (nothing may leave 127.0.0.1). Icons inside the pages come from the font
# Streamlit serves itself.
st.set_page_config(page_title="Equity Explorer", page_icon="⚖️", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="🧭", default=True),
    st.Page("pages/discipline.py", title="Discipline", icon="📋"),
    st.Page("pages/course_access.py", title="Course access", icon="🎓"),
    st.Page("pages/achievement.py", title="Achievement", icon="📝"),
    st.Page("pages/special_education.py", title="Special education", icon="🧩"),
    st.Page("pages/staffing.py", title="Staffing", icon="👥"),
    st.Page("pages/climate.py", title="Climate", icon="💬"),
    st.Page("pages/listening.py", title="Listening sessions", icon="🗣️"),
    st.Page("pages/schools.py", title="Schools", icon="🏫"),
    st.Page("pages/trends.py", title="Trends", icon="📈"),
    st.Page("pages/goals.py", title="Goals", icon="🎯"),
    st.Page("pages/report.py", title="Report", icon="📄"),
    st.Page("pages/present.py", title="Present", icon="📽️"),
    st.Page("pages/data.py", title="Data", icon="🗄️"),
]

try:
    store = get_store()
except StoreError as error:  # damaged, made by another version, read-only, locked: one line saying what to do
    st.error(escape_markdown(str(error)))
    st.stop()
remove_leftover_uploads()
page = st.navigation(PAGES, expanded=True)  # every page listed, no "View more"
sidebar(store)
page.run()
