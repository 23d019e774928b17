"""Staffing: teachers vs students by race, students' exposure to inexperienced teachers and counselors, the
hiring pipeline under the four-fifths rule, retention and promotion by group, and hires against a labour-pool
share you enter (binomial z)."""

import pandas as pd
import streamlit as st

from equity_metrics.charts import specs as charts
from equity_metrics.core.constants import RACE_LABELS
from equity_metrics.measures import rules
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative.findings import percent
from views.aggregate_views import staff_fte_view
from views.cache import cached, cached_indicators_with_data, cached_rates, get_store
from views.chart_output import show_chart
from views.components import (
    data_source_banner,
    dimension_label,
    empty_state,
    enrollment_indicator,
    for_source,
    guarded,
    indicator_view,
    show_frame,
)
from views.exposure_view import exposure_section
from views.state import current
from views.text import escape_markdown

store = get_store()
state = current()
st.title("Staffing")
data_source_banner(store)
with_data = set(cached(cached_indicators_with_data, store))
race_options = MetricOptions(min_n=state.min_n)


def race_rates(indicator_id: str):
    return guarded(lambda: cached(cached_rates, store, indicator_id, ("race",), state.filters, race_options))


st.subheader("Teachers and students")
student_indicator = enrollment_indicator(store)
if "teacher_retention" not in with_data or student_indicator is None:
    empty_state("Load a staff file (and an enrollment roster) on the Data page to compare teachers with students.")
else:
    teachers, students = race_rates("teacher_retention"), race_rates(student_indicator)
    if teachers is not None and students is not None:
        gap = rules.composition_gap(teachers.table, students.table)
        of_color = gap[gap["race"] == "People of color"].iloc[0]
        title = (f"Students of color were {percent(of_color['student_share'])} of students but teachers of color "
                 f"{percent(of_color['staff_share'])} of teachers, {', '.join(teachers.school_years)}")
        show_chart(charts.share_comparison_chart(
            gap, "race", {"staff_share": "Share of teachers", "student_share": "Share of students"}, title,
            "Light bar: share of teachers; dark bar: share of students (known race/ethnicity only; groups whose "
            "count is hidden are left out and named below)."), key="staffing_composition_chart", alt=title)
        hidden = [r for r in RACE_LABELS if r not in set(gap.dropna(subset=["staff_share"])["race"])]
        if hidden:
            st.caption("Teachers not shown (fewer than 10, hidden to protect privacy, or none): "
                       + ", ".join(hidden) + ". The people-of-color share still counts them: it is 100% minus the "
                       "White share.")
        show_frame(gap, "staffing_composition", "staff_student_composition.csv",
                   {"race": "Race/ethnicity", "staff_share": "Share of teachers", "student_share": "Share of students",
                    "gap": "Gap (students − teachers, pts)"}, percent=("staff_share", "student_share", "gap"))

staff_fte_view(store)  # a state's staff report by race (FTE), when one is loaded

st.subheader("Hiring pipeline: the four-fifths rule")
pipeline_state = for_source(state, "applicant")
stages = [i for i in ("interview_rate", "offer_rate", "hiring_selection") if i in with_data]
if not stages:
    empty_state("No applicant data yet: load an applicant file on the Data page.")
else:
    frames = []
    for stage in stages:
        result = guarded(lambda stage=stage: cached(cached_rates, store, stage, pipeline_state.by,
                                                          pipeline_state.filters, pipeline_state.options))
        if result is not None:
            impact = rules.adverse_impact_table(result.table, list(result.groups))
            frames.append(impact.assign(stage=INDICATORS[stage].label))
    if frames:
        dimension = pipeline_state.dimension
        impact = pd.concat(frames, ignore_index=True)
        impact["finding"] = impact["adverse_impact"].map({True: "adverse impact (below 4/5)", False: ""})
        flagged = impact[impact["adverse_impact"]]
        title = ("Adverse impact (below four-fifths of the highest group's rate): " + "; ".join(
            f"{group} applicants at '{stage}'" for group, stage in zip(flagged[dimension], flagged["stage"], strict=True))
            if len(flagged) else "No group's selection rate was below four-fifths of the highest group's at any stage")
        show_chart(charts.impact_ratio_chart(impact, dimension, title), key="staffing_impact_chart", alt=title)
        not_rated = impact[impact["impact_ratio"].isna()]
        if len(not_rated):
            st.caption(escape_markdown("No ratio: " + " · ".join(f"{s} · {g}: {n}" for s, g, n in zip(
                not_rated["stage"], not_rated[dimension], not_rated["note"], strict=True))))
        show_frame(impact, "staffing_impact", "four_fifths_rule.csv",
                   {"stage": "Stage", dimension: dimension_label(dimension), "denominator": "n", "numerator": "Selected",
                    "rate": "Selection rate", "impact_ratio": "Impact ratio", "finding": "Four-fifths rule",
                    "note": "Note"}, percent=("rate",), decimals={"impact_ratio": "%.2f"})

st.subheader("Retention and promotion")
indicator_view(store, for_source(state, "staff"), ["teacher_retention", "staff_retention", "promotion"],
               key="staffing", threshold=None, empty_message="No staff data yet: load a staff file on the Data page.")

st.subheader("Hires against the available labour pool")
if "hiring_selection" not in with_data:
    empty_state("No applicant data yet: load an applicant file on the Data page.")
else:
    st.caption("Enter each group's share of the qualified labour pool (e.g. from state certification data) to "
               "test whether its share of hires differs from it: binomial z (Hazelwood v. United States, 1977); "
               "|z| above 2 to 3 is the courts' usual line. Groups left blank are not tested.")
    columns = st.columns(4)
    shares = {}
    for index, race in enumerate(RACE_LABELS):
        value = columns[index % 4].number_input(f"{race} (% of pool)", min_value=0.0, max_value=100.0, value=None,
                                                step=1.0, key=f"pool_{index}")
        if value is not None:
            shares[race] = value / 100
    hires = race_rates("hiring_selection")
    if hires is not None and shares:
        all_hires = hires.totals["numerator"].iloc[0] if len(hires.totals) else None
        z = rules.representation_z(hires.table, "race", shares, all_hires)
        z["reading"] = ["not calculated: a hire count is hidden" if pd.isna(v) else
                        ("fewer hires than expected" if v < -2 else "more hires than expected" if v > 2
                         else "within chance (|z| ≤ 2)") for v in z["z"]]
        show_frame(z, "staffing_pool", "labour_pool_z.csv",
                   {"race": "Race/ethnicity", "observed": "Hires", "total": "All hires", "pool_share": "Pool share",
                    "expected": "Expected hires", "z": "z", "reading": "Reading"},
                   percent=("pool_share",), decimals={"expected": "%.1f", "z": "%+.2f", "observed": "%d",
                                                      "total": "%d"})

exposure_section(store, state)  # equitable access: inexperienced teachers and counselors by students' group
