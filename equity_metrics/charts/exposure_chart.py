"""The exposure chart: each group's student-weighted school figure (`measures.exposure`), a bar where it is
exact and a range where a school count is hidden, with all students' figure as the reference line."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from equity_metrics.charts.specs import CHART_WIDTH, GROUP_AXIS, ROW_STEP, _label, _titled, colour_scale
from equity_metrics.measures.exposure import ALL_STUDENTS, ExposureResult, displayed_exposure

__all__ = ["exposure_chart"]


def exposure_chart(result: ExposureResult, title: str) -> alt.Chart:
    """Bars (exact figures) and ranges (hidden school counts) per group; groups with neither are left out (the
    page names them)."""
    dimension, share = result.dimension, result.exposure.kind == "share"
    table = result.table.assign(figure=displayed_exposure(result))
    groups = table[table[dimension] != ALL_STUDENTS].copy()
    groups = groups[np.isfinite(groups["exposure_low"].astype("float64"))]
    groups["group"] = [_label(dimension, str(v)) for v in groups[dimension]]
    groups["colour_key"] = groups[dimension].astype(str)
    groups["shown"] = np.where(np.isfinite(groups["exposure"].astype("float64")), "exact",
                               np.where(np.isfinite(groups["figure"]), "to the digit shown (a school count is hidden)",
                                        "a range (a school count is hidden)"))
    fmt = ".1%" if share else ",.0f"
    axis = alt.Axis(format="%") if share else alt.Axis(format=",")
    tooltip = [alt.Tooltip("group:N", title="Group"), alt.Tooltip("students:Q", title="n (students)", format=","),
               alt.Tooltip("figure:Q", title=result.exposure.label, format=fmt),
               alt.Tooltip("exposure_low:Q", title="Range: low", format=fmt),
               alt.Tooltip("exposure_high:Q", title="Range: high", format=fmt), alt.Tooltip("shown:N", title="Figure")]
    order = list(groups["group"])
    base = alt.Chart(groups).encode(
        y=alt.Y("group:N", sort=order, title=None, axis=GROUP_AXIS),
        color=alt.Color("colour_key:N", scale=colour_scale(dimension, list(groups["colour_key"])), legend=None),
        tooltip=tooltip)
    bars = base.transform_filter("isValid(datum.figure)").mark_bar(stroke="#555555", strokeWidth=0.5).encode(
        x=alt.X("figure:Q", title=result.exposure.label, axis=axis))
    ranges = base.transform_filter("!isValid(datum.figure)").mark_rule(strokeWidth=6).encode(
        x=alt.X("exposure_low:Q"), x2=alt.X2("exposure_high:Q"))
    layers = [bars, ranges]
    everyone = table[table[dimension] == ALL_STUDENTS]
    if len(everyone) and np.isfinite(float(everyone["exposure"].iloc[0])):
        value = float(everyone["exposure"].iloc[0])
        label = f"All students: {value:{fmt}}"
        reference = pd.DataFrame({"exposure": [value], "label": [label]})
        layers.append(alt.Chart(reference).mark_rule(color="#222222", strokeDash=[4, 3]).encode(
            x="exposure:Q", tooltip=[alt.Tooltip("label:N", title="Reference")]))
    chart = alt.layer(*layers).properties(width=CHART_WIDTH, height=alt.Step(ROW_STEP))
    return _titled(chart, title, "Bars: figures (exact, or to the digit shown). Thick lines: the range a figure "
                                 "can take where a school's count of the group is hidden to protect privacy. "
                                 "Dashed line: all students.")
