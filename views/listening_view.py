"""The Listening sessions page's view: themes by group (protected), one theme's chart, and quotes of the shown
groups, each of which the user may add to the report basket. Library calls only; quotes are escaped."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from equity_metrics.charts.theme_chart import theme_chart, theme_title
from equity_metrics.measures.themes import ALL_PARTICIPANTS, ALL_THEMES, THEME_DIMENSIONS, ThemesResult, themes_by
from equity_metrics.measures.themes_quotes import shown_quotes
from equity_metrics.reports.basket import list_items
from equity_metrics.reports.quote_items import QUOTE_KIND, QuoteSpec, add_quote
from equity_metrics.storage.store import Store
from views.chart_output import show_chart
from views.components import empty_state, show_frame
from views.text import escape_markdown

_BY = {"race": "Race/ethnicity", "role": "Role", "school": "School"}
_QUOTES_SHOWN = 5  # exactly this many, or none (see measures/themes_quotes.py: how many could be is never shown)


@st.cache_data(show_spinner="Protecting the theme counts ...", max_entries=8)
def _themes(_store: Store, cache_key: str, by: str) -> ThemesResult:
    del cache_key
    return themes_by(_store, by)


def _years(store: Store) -> list[str]:
    rows = store.cursor().execute("SELECT DISTINCT school_year FROM excerpts WHERE school_year IS NOT NULL "
                                  "ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def _table(result: ThemesResult) -> None:
    labels = {"theme": "Theme", result.by: _BY[result.by], "respondents": "Participants", "excerpts": "Excerpts",
              "share_of_respondents": "Share of the group's participants", "note": "Note"}
    show_frame(result.table, key=f"listening_{result.by}", file_name=f"themes_by_{result.by}.csv", labels=labels,
               percent=["share_of_respondents"])
    for note in result.notes:
        st.caption(escape_markdown(note))


def _quotes(store: Store, table: pd.DataFrame, by: str, theme: str) -> None:
    rows = table[(table["theme"] == theme) & (table[by] != ALL_PARTICIPANTS) & ~table["suppressed"]]
    groups = rows[by].tolist()
    st.subheader("Quotes")
    st.caption("Only groups shown above are offered, and only participants whose groups are shown under every "
               "dimension are quoted. Participant IDs and names in the file, names after a label such as 'Name:', "
               "speaker labels ('Marisol:'), e-mail addresses and phone numbers are removed; read each quote "
               "before using it. A quote goes in the report only when you add it.")
    if not groups:
        st.caption("No group of this theme is large enough to be quoted.")
        return
    group = st.selectbox("Quotes from", groups, key="listening_group")
    quotes = shown_quotes(store, by, theme, group, limit=_QUOTES_SHOWN)
    if len(quotes) < _QUOTES_SHOWN:
        st.caption(f"Quotes are shown {_QUOTES_SHOWN} at a time; fewer than that of this group can be shown (many of "
                   "its participants belong to a group hidden elsewhere).")
        return
    findings = {i.item_id: i.title for i in list_items(store) if i.kind != QUOTE_KIND}
    finding = st.selectbox("Picked for a finding in the report (optional)", [None, *findings], key="listening_finding",
                           format_func=lambda i: "No finding: a quote on its own" if i is None else findings[i])
    for quote_id, text in zip(quotes["quote_id"], quotes["text"], strict=True):
        st.markdown("> " + escape_markdown(text))
        if st.button("Add this quote to the report", key=f"listening_quote_{quote_id}",
                     icon=":material/playlist_add:"):
            add_quote(store, QuoteSpec(by, group, theme, str(quote_id), finding))
            st.toast(f"Added to the report ({len(list_items(store))} items).", icon=":material/playlist_add_check:")


def listening_view(store: Store) -> None:
    """The whole page below its title."""
    if not store.table_exists("excerpts") or not store.scalar("SELECT count(*) FROM excerpts"):
        empty_state("No coded excerpts yet: load a file of excerpts and their codes (your own, Taguette's "
                    "highlights export or QualCoder's coded text export) on the Data page.")
        return
    by = st.selectbox("Group participants by", THEME_DIMENSIONS, format_func=_BY.get, key="listening_by")
    result = _themes(store, store.cache_key(), by)
    st.subheader("Themes by group")
    st.caption("Participants: people with at least one excerpt coded with the theme. A group of fewer than 10 "
               "participants is hidden, with none of its quotes; counts from 1 to 9 are hidden, and others where "
               "they would let a hidden count be worked out from the totals.")
    _table(result)
    themes = [t for t in dict.fromkeys(result.table["theme"]) if t != ALL_THEMES]
    theme = st.selectbox("Theme", themes, key="listening_theme")
    years = _years(store)
    chart = theme_chart(result.table, by, theme, years)
    show_chart(chart, key=f"listening_chart_{by}", alt=theme_title(result.table, by, theme, years))
    _quotes(store, result.table, by, theme)
