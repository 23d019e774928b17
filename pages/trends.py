"""Trends: any rate indicator by group across school years (each year computed on its own, never pooled),
with intervals, and the multi-year flag (above the risk-ratio threshold in each of the last K years)."""

import streamlit as st

from equity_metrics.charts import specs as charts
from equity_metrics.measures import rules
from equity_metrics.narrative import findings
from equity_metrics.narrative.findings import group_noun
from views.cache import cached, cached_rates, cached_school_years, get_store
from views.chart_output import show_chart
from views.components import (
    data_source_banner,
    dimension_label,
    empty_state,
    for_source,
    guarded,
    indicator_picker,
    rate_indicator_ids,
    result_scope,
    scope_caption,
    show_frame,
    show_headline,
)
from views.exports import export_menu
from views.state import current
from views.text import escape_markdown

store = get_store()
st.title("Trends")
data_source_banner(store)
indicator = indicator_picker(store, rate_indicator_ids(), key="trends_indicator")
if indicator is None:
    empty_state("No data yet: load an enrollment roster (and discipline, course or test files) on the Data page.")
    st.stop()
state = for_source(current(), indicator.source)
filters = state.filters_through_year(cached(cached_school_years, store))
result = guarded(lambda: cached(cached_rates, store, indicator.id, ("school_year", state.dimension),
                                      filters, state.options))
if result is None:
    st.stop()
years = list(dict.fromkeys(result.table["school_year"].astype(str)))
span = f"{years[0]} to {years[-1]}" if len(years) > 1 else years[0]
st.caption(f"Every school year with {indicator.label.lower()} data up to {state.school_year or 'the latest'} "
           f"({span}); each year is computed on its own. Groups are compared with {state.options.comparison_label} "
           "of the same year.")
latest = result.table[result.table["school_year"].astype(str) == years[-1]]
show_headline(f"In {years[-1]}: {findings.rate_headline(indicator, latest, [state.dimension], state.options)}")
scope_caption(result)
if len(years) < 2:
    st.info(f"Only {years[0]} has data for {indicator.label.lower()}: a trend needs at least two years.")
chart = charts.trend_chart(result.table, state.dimension, indicator,
                           f"{indicator.label} by {dimension_label(state.dimension).lower()}: "
                           f"{result_scope(result).where()}")
show_chart(chart, key="trends_chart", alt=f"{indicator.label} by group and year")
notes = [f"{row['school_year']} · {group_noun({state.dimension: str(row[state.dimension])})}: {row['note']}"
         for _, row in result.table[result.table["suppressed"].astype(bool)].iterrows()]
if notes:
    st.caption(escape_markdown("Not shown (gaps in the lines): " + " · ".join(notes)))
export_menu(store, result, "trends", chart, f"{indicator.label} by group and year",
            ["Not shown (gaps in the lines): " + " · ".join(notes)] if notes else [])

st.subheader(f"How much {dimension_label(state.dimension).lower()} predicts it")
summary = result.summary.assign(school_year=result.summary["school_year"].astype(str))
st.caption(escape_markdown(findings.association_sentence(indicator, dimension_label(state.dimension), summary)))
place = filters.schools[0] if filters.schools else "the district"
show_chart(charts.association_chart(
    summary, f"{indicator.label}: how much {dimension_label(state.dimension).lower()} predicts it, {span}, {place}",
    dimension_label(state.dimension)), key="trends_association_chart", alt="Cramér's V by school year")

st.subheader("Multi-year flag")
threshold = st.number_input("Risk-ratio threshold", min_value=1.0, max_value=10.0, value=3.0, step=0.1,
                            key="trends_threshold")
rule = rules.MultiYearRule(threshold=float(threshold))
flags = rules.multi_year_flags(result.table, [state.dimension], rule)
flagged = flags[flags["above_threshold_each_year"]]
st.markdown(f"**{len(flagged)} group(s)** with a {rule.label} vs {state.options.comparison_label}"
            + (": " + escape_markdown(", ".join(str(g) for g in flagged[state.dimension])) if len(flagged) else "."))
show_frame(flags, "trends_flags", f"{indicator.id}_multi_year.csv",
           {state.dimension: dimension_label(state.dimension), **{y: f"Risk ratio {y}" for y in years},
            "above_threshold_each_year": "Above threshold each year", "reasonable_progress": "Reasonable progress",
            "rule": "Rule"}, decimals={y: "%.2f" for y in years})
