"""The report basket on screen: each item with its sentence, moved, renamed or removed, and the deck and
the HTML report built from it (rendered on this computer when the download is clicked)."""

from __future__ import annotations

import streamlit as st

from equity_metrics.reports.basket import BasketItem, clear_basket, list_items, move_item, remove_item
from equity_metrics.reports.builders import build_item
from equity_metrics.reports.deck import basket_deck
from equity_metrics.reports.export_tables import provenance
from equity_metrics.reports.html_report import basket_report
from equity_metrics.storage.store import Store
from views.text import escape_markdown

_PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def basket_item_card(store: Store, item: BasketItem, count: int) -> None:
    """One item: its title and current sentence (recomputed now), and controls to move or remove it."""
    built = build_item(store, item, provenance(store))
    with st.container(border=True):
        st.markdown(f"**{item.position}. {escape_markdown(item.title)}**")
        st.markdown(escape_markdown(built.sentence))
        if built.hidden_note:
            st.caption(escape_markdown(built.hidden_note))
        up, down, remove = st.columns(3)
        if up.button("Move up", key=f"basket_up_{item.item_id}", disabled=item.position == 1,
                     icon=":material/arrow_upward:"):
            move_item(store, item.item_id, item.position - 1)
            st.rerun()
        if down.button("Move down", key=f"basket_down_{item.item_id}", disabled=item.position == count,
                       icon=":material/arrow_downward:"):
            move_item(store, item.item_id, item.position + 1)
            st.rerun()
        if remove.button("Remove", key=f"basket_remove_{item.item_id}", icon=":material/delete:"):
            remove_item(store, item.item_id)
            st.rerun()


def basket_view(store: Store) -> None:
    """The whole basket and its two outputs."""
    items = list_items(store)
    if not items:
        st.info("The report is empty. Add findings with **Export or add to report → Add to report** under any "
                "chart, or add a goal on the Goals page.", icon=":material/playlist_add:")
        return
    title = st.text_input("Report title", value="Equity findings", key="report_title")
    subtitle = st.text_input("Subtitle (e.g. the meeting)", value="", key="report_subtitle")
    deck, html = st.columns(2)
    deck.download_button("Slide deck (.pptx)", data=lambda: basket_deck(store, title, subtitle),
                         file_name="equity_findings.pptx", mime=_PPTX_MIME, on_click="ignore", key="report_pptx",
                         icon=":material/slideshow:", type="primary")
    html.download_button("Report (.html, opens offline)", data=lambda: basket_report(store, title, subtitle).encode(),
                         file_name="equity_findings.html", mime="text/html", on_click="ignore", key="report_html",
                         icon=":material/article:")
    st.caption("Both are recomputed from the data now, with the same suppression as the screen, and name the "
               "datasets and today's date.")
    for item in items:
        basket_item_card(store, item, len(items))
    if st.button("Empty the report", key="basket_clear", icon=":material/remove_shopping_cart:"):
        clear_basket(store)
        st.rerun()
