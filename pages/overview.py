"""Overview: the largest, most certain gaps in the data, each as a generated sentence and a small chart; and
the goals that moved toward their target or slipped since the year before."""

import streamlit as st

from equity_metrics.measures.aggregate import count_rows
from equity_metrics.narrative import findings, wording
from views.cache import cached, cached_audit, get_store
from views.components import data_source_banner, empty_state, findings_list
from views.goals_view import goals_overview
from views.language import _, tr
from views.state import current

store = get_store()
state = current()
st.title(_("Overview"))
data_source_banner(store)

audit = cached(cached_audit, store, state.by, state.filters, state.options)
if audit.empty:
    empty_state(_("No data yet: load an enrollment roster (and discipline, course or test files) on the Data page."))
    st.stop()

columns = st.columns(3)
columns[0].metric(_("School year"), state.school_year or "—")
columns[1].metric(_("Students in view"), tr().integer(count_rows(store, "student_year", state.filters)))
columns[2].metric(_("Indicators with data"), f"{audit['indicator_id'].nunique()}")

st.subheader(_("Largest gaps"))
st.caption(_(
    "Each group compared with {comparison}, in {year}. Shown: gaps that are statistically significant after the "
    "false-discovery-rate correction across every comparison tested here (Benjamini-Hochberg q < 0.05) with a "
    "risk-ratio interval excluding 1, largest first. Groups below the minimums are not compared."
).format(comparison=wording.comparison_phrase(state.options, "students", tr()), year=state.school_year))
found = findings.largest_gaps(audit, state.by, state.options, limit=6, per_indicator=1, lang=state.lang)
if not found:
    empty_state(_("No statistically certain gap above parity was found with these filters."))
findings_list(found, key="overview_finding", comparison_label=state.options.comparison_label, store=store,
              options=state.options)

st.subheader(_("Goals"))
goals_overview(store)
