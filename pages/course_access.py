"""Course access: enrollment in AP, IB, honors and dual credit, gifted identification, Algebra I in grade 8,
AP exams and failing a course (from course marks), by group; and, for access, the "missing seats" each group
would fill at the comparison's rate."""

import streamlit as st

from equity_metrics.measures.course_access import missing_seats
from views.cache import get_store
from views.components import data_source_banner, dimension_label, indicator_view, rate_indicator_ids, show_frame
from views.state import current

store = get_store()
state = current()
st.title("Course access")
data_source_banner(store)
result = indicator_view(
    store,
    state,
    rate_indicator_ids(["Course access"]),
    key="course_access",
    threshold=None,  # IDEA's disproportionality rule is about special education and discipline
    empty_message="No course data yet: load a course enrollment or course marks file and an enrollment roster on "
                  "the Data page.",
)
if result is not None and not result.indicator.higher_is_worse:  # seats are access; failing a course is not
    indicator, comparison = result.indicator, result.options.comparison_label
    st.subheader("Missing seats")
    st.caption(f"How many more {indicator.population_label} of each group would {indicator.event} "
               f"if the group had the rate of {comparison}: comparison rate × n − students with the outcome, rounded "
               "down, never below zero. Only groups whose rate and comparison rate are shown are counted.")
    seats = missing_seats(result.table, result.groups)
    if seats.empty:
        st.info("No group's rate and comparison rate can both be shown with these filters.")
    else:
        total = int(seats["missing_seats"].sum())
        st.metric(f"Missing seats, {', '.join(result.school_years)}", f"{total:,}")
        show_frame(seats, "course_access_seats", f"{indicator.id}_missing_seats.csv",
                   {**{g: dimension_label(g) for g in result.groups}, "denominator": "n", "numerator": "With outcome",
                    "rate": "Rate", "comparison_rate": f"Rate of {comparison}",
                    "expected_at_comparison_rate": "Expected at the comparison rate", "missing_seats": "Missing seats"},
                   percent=("rate", "comparison_rate"), decimals={"expected_at_comparison_rate": "%.1f"})
