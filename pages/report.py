"""Report: the findings and goals picked from every page, in order, and the slide deck and self-contained
HTML report built from them."""

import streamlit as st

from views.basket_view import basket_view
from views.cache import get_store
from views.components import data_source_banner
from views.state import current

store = get_store()
current()  # makes sure the page runs inside the app (navigation and sidebar)
st.title("Report")
data_source_banner(store)
basket_view(store)
