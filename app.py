"""Equity Explorer: the Streamlit entry point. Builds the navigation, the shared sidebar filters and the one
cached store, then runs the chosen page. Run with `streamlit run app.py`."""

import streamlit as st

from equity_metrics.storage.store import StoreError
from views.cache import get_store, remove_leftover_uploads
from views.language import _
from views.state import sidebar
from views.text import escape_markdown

# Icons are emoji, drawn by the computer's own fonts: a Material icon as the page or tab icon makes the browser
# fetch it from fonts.gstatic.com (nothing may leave 127.0.0.1). Icons inside the pages come from the font
# Streamlit serves itself.
st.set_page_config(page_title="Equity Explorer", page_icon="⚖️", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title=_("Overview"), icon="🧭", default=True),
    st.Page("pages/discipline.py", title=_("Discipline"), icon="📋"),
    st.Page("pages/course_access.py", title=_("Course access"), icon="🎓"),
    st.Page("pages/achievement.py", title=_("Achievement"), icon="📝"),
    st.Page("pages/special_education.py", title=_("Special education"), icon="🧩"),
    st.Page("pages/staffing.py", title=_("Staffing"), icon="👥"),
    st.Page("pages/climate.py", title=_("Climate"), icon="💬"),
    st.Page("pages/listening.py", title=_("Listening sessions"), icon="🗣️"),
    st.Page("pages/schools.py", title=_("Schools"), icon="🏫"),
    st.Page("pages/trends.py", title=_("Trends"), icon="📈"),
    st.Page("pages/goals.py", title=_("Goals"), icon="🎯"),
    st.Page("pages/impact.py", title=_("Impact assessments"), icon="⚖️"),
    st.Page("pages/report.py", title=_("Report"), icon="📄"),
    st.Page("pages/present.py", title=_("Present"), icon="📽️"),
    st.Page("pages/data.py", title=_("Data"), icon="🗄️"),
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
