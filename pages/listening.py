"""Listening sessions: themes from coded excerpts (listening sessions, focus groups, open-ended comments) by
group of participants, protected like every count, with quotes of the shown groups to pick for the report."""

import streamlit as st

from views.cache import get_store
from views.components import data_source_banner
from views.listening_view import listening_view

store = get_store()
st.title("Listening sessions")
data_source_banner(store)
listening_view(store)
