"""Sentences about students' exposure to a school figure (`measures.exposure`): who attends the schools with
the most inexperienced teachers, or the most students per counselor."""

from __future__ import annotations

import numpy as np

from equity_metrics.core.constants import UNKNOWN
from equity_metrics.measures.exposure import ALL_STUDENTS, ExposureResult, displayed_exposure
from equity_metrics.narrative.findings import group_noun, percent

__all__ = ["exposure_finding", "exposure_value"]

# what a group's students attend, per exposure: {value} is the figure
_PHRASES = {
    "inexperienced_teachers": "attend schools where {value} of teachers are in their first or second year",
    "students_per_counselor": "attend schools with {value} students per counselor",
}


def exposure_value(result: ExposureResult, value: float) -> str:
    """A figure as the exposure reads: a percent for a share, whole students for a ratio."""
    if result.exposure.kind == "share":
        return percent(value)
    return "—" if not np.isfinite(value) else f"{value:,.0f}"


def exposure_finding(result: ExposureResult, school_year_label: str = "district") -> str:
    """The title-sentence: the group with the highest exact exposure against the lowest (Unknown left out), or
    all students' figure when fewer than two groups have one; with the place and year it shows."""
    phrase = _PHRASES.get(result.exposure.id, "attend schools whose " + result.exposure.label.lower() + " is {value}")
    table = result.table.assign(exposure=displayed_exposure(result))
    exact = table[np.isfinite(table["exposure"]) & ~table[result.dimension].isin([ALL_STUDENTS, UNKNOWN])]
    where = f"({school_year_label}, {result.year})"
    if len(exact) >= 2:
        ordered = exact.sort_values("exposure", kind="stable")
        high, low = ordered.iloc[-1], ordered.iloc[0]
        high_noun = group_noun({result.dimension: str(high[result.dimension])})
        low_noun = group_noun({result.dimension: str(low[result.dimension])})
        return (f"{high_noun[0].upper()}{high_noun[1:]} {phrase.format(value=exposure_value(result, high['exposure']))}, "
                f"vs {exposure_value(result, low['exposure'])} for {low_noun} {where}")
    everyone = table[table[result.dimension] == ALL_STUDENTS]
    if len(everyone) and np.isfinite(float(everyone["exposure"].iloc[0])):
        return (f"Students {phrase.format(value=exposure_value(result, float(everyone['exposure'].iloc[0])))} on "
                f"average {where}")
    return f"{result.exposure.label}: no group's figure can be shown {where}"
