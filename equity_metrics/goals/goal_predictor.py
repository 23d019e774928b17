"""Goals on how much a student-group dimension predicts an indicator: the `predictor` goal measure.

A district policy may say that "race must cease to be a reliable predictor of student achievement and
success". This measure follows that: for each school year, Cramér's V across the groups of the dimension (rate
indicators) or eta squared, the share of the variance between the groups (mean indicators), as
`analysis.association_by_year` computes them. Hidden groups are pooled from shown totals, so the figures rest
on published counts only; a year whose figure cannot be computed that way has none (not measurable, with the
reason). Lower is better (0: the group says nothing about the outcome). The measure is about every group of
the dimension at once, so a goal using it names no group and no comparison, and it is measured district-wide.

Used by `equity_metrics.goals.model`; this module does not import it (goals imports this one).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from equity_metrics.core.constants import DIMENSIONS
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import Indicator
from equity_metrics.measures.metrics import ALL_OTHERS, MetricOptions
from equity_metrics.storage.store import Store

PREDICTOR = "predictor"
PREDICTOR_LABEL = "How much the group predicts it (Cramér's V / eta squared)"
UNITS = {"rate": "Cramér's V", "mean": "eta squared"}
COLUMNS = {"rate": "cramers_v", "mean": "eta_squared"}
HIDDEN_TOTAL = ("a group is hidden and the year's total is not shown, so the hidden groups cannot be pooled from "
                "shown counts (privacy)")
NOT_CALCULATED = "not calculated (fewer than two groups with students, or no difference to measure)"

# analysis.association_by_year's signature (the app passes a cached one).
AssociationFunction = Callable[[Store, str, str, Filters, MetricOptions], pd.DataFrame]


def unit(indicator: Indicator) -> str:
    """"Cramér's V" for a rate indicator, "eta squared" for a mean."""
    return UNITS[indicator.kind]


def dimension_noun(dimension: str) -> str:
    """'race' -> 'race/ethnicity'."""
    return DIMENSIONS[dimension].label.lower() if dimension in DIMENSIONS else dimension.replace("_", " ")


def title(indicator: Indicator, dimension: str, scope: str) -> str:
    """'Out-of-school suspension, how much race/ethnicity predicts it (Cramér's V; District)'."""
    return f"{indicator.label}, how much {dimension_noun(dimension)} predicts it ({unit(indicator)}; {scope})"


def explanation(indicator: Indicator, dimension: str) -> str:
    """What the value means, for a chart's subtitle."""
    what = ("Cramér's V across the groups (0: every group has the same rate; 1: the group decides it)"
            if indicator.kind == "rate" else
            "eta squared, the share of the variance in scores that lies between the groups (0: none; 1: all)")
    return (f"How much {dimension_noun(dimension)} predicts {indicator.label[0].lower()}{indicator.label[1:]}: "
            f"{what}; hidden groups are pooled from shown totals. Lower is better.")


def check(group_value: str, comparison: str, school: str | None, target_value: object) -> list[tuple[str, str]]:
    """What is wrong with a predictor goal's fields (the group and comparison must be blank, the scope the
    district, the target from 0 to 1)."""
    problems: list[tuple[str, str]] = []
    if group_value.strip():
        problems.append(("group_value", f"{group_value!r}: a group does not apply to the {PREDICTOR} measure (it "
                                        "measures every group of the dimension at once); leave it blank"))
    if comparison.strip().casefold() not in ("", ALL_OTHERS, "all other students", "all others"):
        problems.append(("comparison", f"{comparison!r}: a comparison does not apply to the {PREDICTOR} measure; "
                                       "leave it blank"))
    if school is not None and school.strip():
        problems.append(("school", f"the {PREDICTOR} measure (how much the group predicts the outcome) is measured "
                                   "district-wide: leave school blank"))
    if isinstance(target_value, (int, float)) and not 0 <= target_value <= 1:
        problems.append(("target_value", "Cramér's V and eta squared run from 0 to 1"))
    return problems


def association_rows(store: Store, indicator: Indicator, dimension: str,
                     association: AssociationFunction = analysis.association_by_year) -> tuple[pd.DataFrame, str]:
    """association_by_year's rows for the district (one per school year), or an empty frame and why."""
    try:
        return association(store, indicator.id, dimension, Filters(), MetricOptions()), ""
    except (analysis.NoDataError, ValueError) as error:
        return pd.DataFrame(), str(error)


def measured(rows: pd.DataFrame, indicator: Indicator) -> pd.DataFrame:
    """Per school year (the index): value (Cramér's V or eta squared, exactly as computed), no interval, and a
    note when the year has no figure."""
    values = rows[COLUMNS[indicator.kind]].to_numpy(dtype="float64")
    hidden_total = rows["students"].isna().to_numpy()
    out = pd.DataFrame({"school_year": rows["school_year"].astype(str), "value": values,
                        "ci_low": np.nan, "ci_high": np.nan})
    out["note"] = ["" if np.isfinite(v) else (HIDDEN_TOTAL if hidden else NOT_CALCULATED)
                   for v, hidden in zip(values, hidden_total, strict=True)]
    return out.set_index("school_year")


def missing_note(indicator: Indicator, dimension: str, year: str) -> str:
    """Why a year with the indicator's data has no row."""
    return f"no {unit(indicator)} for {dimension_noun(dimension)} in {year}"
