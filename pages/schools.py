"""Schools: one rate indicator as a school x group heatmap, each cell coloured by the group's risk ratio vs
the comparison within the same school; hidden cells are grey and say so. Off by default, each school's rate
beside its empirical-Bayes stabilised rate, with the caveat and a reliability column."""

import streamlit as st

from equity_metrics.charts import specs as charts
from equity_metrics.narrative.findings import group_noun
from views.cache import cached, cached_rates, get_store
from views.chart_output import show_chart
from views.components import (
    data_source_banner,
    dimension_label,
    empty_state,
    for_source,
    guarded,
    hidden_note,
    indicator_picker,
    rate_indicator_ids,
    result_scope,
    scope_caption,
    show_headline,
    show_table,
)
from views.exports import export_menu
from views.stabilised_view import stabilised_view
from views.state import current

store = get_store()
st.title("Schools")
data_source_banner(store)
indicator = indicator_picker(store, [i for i in rate_indicator_ids() if i not in ("hiring_selection", "interview_rate",
                                                                                 "offer_rate")],
                             key="schools_indicator")
if indicator is None:
    empty_state("No data yet: load an enrollment roster (and discipline, course or test files) on the Data page.")
    st.stop()
state = for_source(current(), indicator.source)
result = guarded(lambda: cached(cached_rates, store, indicator.id, ("school", state.dimension),
                                      state.filters, state.options))
if result is None:
    st.stop()
table, comparison = result.table, state.options.comparison_label
year = result_scope(result).where()
ratios = table[table["risk_ratio"].notna()]
if ratios.empty:
    title = f"{indicator.label}: no group could be compared within a school with these filters ({year})"
else:
    row = ratios.loc[ratios["risk_ratio"].idxmax() if indicator.higher_is_worse else ratios["risk_ratio"].idxmin()]
    group = group_noun({state.dimension: str(row[state.dimension])})
    title = (f"Largest gap: {group} at {row['school']}, risk ratio {row['risk_ratio']:.2f} vs "
             f"{comparison} of that school ({year})")
show_headline(title)  # names a school from the data: escaped
scope_caption(result)
heatmap = charts.heatmap_chart(table, state.dimension, indicator, f"{indicator.label}: risk ratio by school and "
                               f"{dimension_label(state.dimension).lower()}, {year}", comparison)
show_chart(heatmap, key="schools_heatmap", alt=title)
hidden = table[table["suppressed"].astype(bool)]
if len(hidden):
    st.caption(f"{len(hidden)} of {len(table)} school × group cells are hidden (grey): a count under 10 or its "
               "complement would be revealed, or the group has too few students. Each cell's reason is in its "
               "tooltip and in the table's Note column.")
export_menu(store, result, "schools", heatmap, title, [hidden_note(result)])
stabilised_view(result, "schools")  # off by default: raw and stabilised rates side by side, with the caveat
with st.expander("Table: every school and group, with intervals and tests", expanded=False):
    show_table(result, "schools")
