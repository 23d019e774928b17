"""Special education and interventions: identification, disability categories, placements, MTSS tiers and
referrals by group; and the IDEA significant-disproportionality table (risk ratio vs all other students by
race in each year, the minimums, the threshold and the multi-year flag)."""

import streamlit as st

from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import ALL_OTHERS, MetricOptions
from equity_metrics.measures.rules import IDEA_YEARS, MultiYearRule
from views.cache import cached, cached_disproportionality, cached_indicators_with_data, cached_school_years, get_store
from views.components import (
    data_source_banner,
    empty_state,
    indicator_view,
    rate_indicator_ids,
    show_frame,
    weighted_view,
)
from views.state import current

store = get_store()
state = current()
st.title("Special education & interventions")
data_source_banner(store)
result = indicator_view(store, state, rate_indicator_ids(["Special education", "Interventions"]),
                        key="special_education",
                        empty_message="No special education or intervention data yet: load a special education "
                                      "file, a referrals and interventions file and an enrollment roster on the "
                                      "Data page.")
if result is not None:
    weighted_view(store, result, key="special_education_weighted")

st.subheader("IDEA significant disproportionality")
st.caption("Each special-education indicator by race/ethnicity: the risk ratio vs all other students (34 CFR "
           "300.647) in each school year up to the one chosen, and whether it was above the threshold in each of "
           f"the last {IDEA_YEARS} years. The sidebar's minimum group size is the n-size; the cell size is the "
           "minimum number of students with the outcome.")
columns = st.columns(3)
threshold = columns[0].number_input("Risk-ratio threshold", min_value=1.0, max_value=10.0, value=3.0, step=0.1,
                                    key="idea_threshold")
min_cell = columns[1].number_input("Minimum cell size", min_value=1, max_value=100, value=10, step=1,
                                   key="idea_min_cell")
inclusive = columns[2].toggle("At or above the threshold counts", value=False, key="idea_inclusive",
                              help="Some states flag a ratio equal to the threshold (≥); others only above it (>).")
with_data = set(cached(cached_indicators_with_data, store))
ids = tuple(i for i in rate_indicator_ids(["Special education"]) if i in with_data)
if not ids:
    empty_state("No special education data yet: load a special education file and an enrollment roster on the "
                "Data page.")
    st.stop()
options = MetricOptions(comparison=ALL_OTHERS, min_n=state.min_n, min_cell=int(min_cell))
rule = MultiYearRule(threshold=float(threshold), inclusive=inclusive)
table = cached(cached_disproportionality, store, ids,
                                  state.filters_through_year(cached(cached_school_years, store)),
                                  options, rule)
if table.empty:
    empty_state("No special education indicator could be measured under these filters.")
    st.stop()
flagged = table[table["above_threshold_each_year"]]
st.metric(f"Indicator × group pairs flagged ({rule.label})", f"{len(flagged)} of {len(table)}")
table = table.assign(indicator=[INDICATORS[i].label for i in table["indicator_id"]])
# Flagged pairs first, then those above the threshold in more years, then the largest latest ratio.
table = table.sort_values(["above_threshold_each_year", "years_above", "risk_ratio"], ascending=False, kind="stable",
                          na_position="last")
year_columns = [c for c in table.columns if c.startswith("risk_ratio_") and c[-2:].isdigit()]
show_frame(
    table, "idea", "idea_significant_disproportionality.csv",
    {"indicator": "Indicator", "race": "Race/ethnicity", "latest_year": "Latest year", "denominator": "n",
     "numerator": "With outcome", "risk_ratio": "Risk ratio", "risk_ratio_ci_low": "RR 95% CI low",
     "risk_ratio_ci_high": "RR 95% CI high", "min_n": "n-size", "min_cell": "Cell size", "threshold": "Threshold",
     "above_threshold_latest": "Above threshold (latest year)", **{c: f"RR {c[-7:]}" for c in year_columns},
     "years_above": "Years above", "above_threshold_each_year": f"Flag: above in each of the last {IDEA_YEARS} years",
     "reasonable_progress": "Reasonable progress", "note": "Note"},
    decimals={"risk_ratio": "%.2f", "risk_ratio_ci_low": "%.2f", "risk_ratio_ci_high": "%.2f", "threshold": "%.1f",
              **{c: "%.2f" for c in year_columns}},
)
