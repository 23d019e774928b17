"""The Staffing page's section on equitable access: students' exposure to inexperienced teachers and to
counselors, by group (`measures.exposure`), with each school's figures."""

from __future__ import annotations

import numpy as np
import streamlit as st

from equity_metrics.charts.exposure_chart import exposure_chart
from equity_metrics.measures import exposure
from equity_metrics.measures.exposure import EXPOSURES, ExposureResult
from equity_metrics.narrative.exposure import exposure_finding, exposure_value
from equity_metrics.storage.store import Store
from views.cache import cached
from views.chart_output import show_chart
from views.components import dimension_label, empty_state, guarded, show_frame
from views.state import ViewState
from views.text import escape_markdown

__all__ = ["exposure_section"]


@st.cache_data(show_spinner=False, max_entries=64)
def cached_exposure_years(_store: Store, cache_key: str) -> list[str]:
    return exposure.exposure_years(_store)


@st.cache_data(show_spinner=False, max_entries=128)
def cached_exposure(_store: Store, cache_key: str, exposure_id: str, dimension: str, year: str,
                    min_n: int) -> ExposureResult:
    return exposure.exposure_table(_store, exposure_id, dimension, year, min_n=min_n)


def exposure_section(store: Store, state: ViewState) -> None:
    """Subheader, exposure picker, chart, group table, notes and the schools' figures."""
    st.subheader("Equitable access: the teachers and counselors each group's schools have")
    years = cached(cached_exposure_years, store)
    if not years:
        empty_state("Load a staff file (with years of experience and roles) and an enrollment roster for the same "
                    "year on the Data page to see which students attend schools with inexperienced teachers.")
        return
    year = state.school_year if state.school_year in years else years[-1]
    dimension = state.dimension if state.dimension in exposure.protected.SINGLE_SPLITS else "race"
    exposure_id = st.radio("Figure", list(EXPOSURES), format_func=lambda e: EXPOSURES[e].label, horizontal=True,
                           key="exposure_figure")
    result = guarded(lambda: cached(cached_exposure, store, exposure_id, dimension, year, state.min_n))
    if result is None:
        return
    title = exposure_finding(result)
    show_chart(exposure_chart(result, title), key="staffing_exposure_chart", alt=title)
    st.caption(escape_markdown(
        f"Each group's figure is the average of its schools' figures weighted by the group's students there "
        f"({result.exposure.definition}). Where a school's count of the group is hidden to protect privacy, the "
        f"figure is given as the range the published counts allow."))
    _group_table(result)
    for note in result.notes:
        st.caption(escape_markdown(note))
    _school_table(result)


def _group_table(result: ExposureResult) -> None:
    table = result.table.copy()
    table["range"] = [("" if np.isfinite(e) or not np.isfinite(low) else
                       f"{exposure_value(result, low)} to {exposure_value(result, high)}")
                      for e, low, high in zip(table["exposure"].astype("float64"), table["exposure_low"].astype("float64"),
                                              table["exposure_high"].astype("float64"), strict=True)]
    share = result.exposure.kind == "share"
    show_frame(table, "staffing_exposure", f"exposure_{result.exposure.id}_{result.dimension}_{result.year}.csv",
               {result.dimension: dimension_label(result.dimension), "students": "Students",
                "exposure": result.exposure.label, "range": "Range (a school count hidden)", "note": "Note"},
               percent=("exposure",) if share else (), decimals=None if share else {"exposure": "%.0f"})


def _school_table(result: ExposureResult) -> None:
    share = result.exposure.kind == "share"
    staff_label = "Teachers (experience known)" if share else "Counselors"
    labels = {"school": "School", "students": "Students", "staff": staff_label,
              "value": f"The school's figure: {result.exposure.label.lower()}"}
    if share:
        labels["counted"] = "In their first or second year"
    with st.expander(f"Each school's figure, {result.year}"):
        show_frame(result.schools, "staffing_exposure_schools", f"schools_{result.exposure.id}_{result.year}.csv",
                   labels, percent=("value",) if share else (), decimals=None if share else {"value": "%.0f"})
