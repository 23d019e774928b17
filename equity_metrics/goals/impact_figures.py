"""The current figures of an equity impact assessment: for each indicator it names, at each school it names (or
the district), in its school year, each affected group's figure against all other students, in a sentence and a
small table.

Every figure comes from the protected tables through `analysis.rates` and `analysis.gaps`, exactly as the pages
show it: a hidden cell stays hidden, with its reason, and no view is made that the pages could not make (one
school or the district, one year, one group dimension).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from equity_metrics.goals.impact import ImpactAssessment
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import get_indicator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative.findings import rate_sentence
from equity_metrics.narrative.score_gaps import gap_sentence
from equity_metrics.storage.store import Store

__all__ = ["FIGURE_COLUMNS", "ImpactFigure", "impact_figures"]

DISTRICT = "District"
# The table's columns after the group's, by kind of indicator: the library's own names, so exports format them.
FIGURE_COLUMNS = {"rate": ("denominator", "numerator", "rate", "comparison_rate", "risk_ratio", "note"),
                  "mean": ("n", "mean", "comparison_mean", "mean_difference", "hedges_g", "note")}


@dataclass(frozen=True)
class ImpactFigure:
    """One indicator at one place: its sentences (one per affected group shown) and its table. `message` says why
    there is nothing to show (no data for that year or school)."""

    indicator_id: str
    indicator_label: str
    kind: str  # "rate" or "mean"
    place: str  # a school's name, or DISTRICT
    school_year: str
    sentences: tuple[str, ...]
    table: pd.DataFrame
    message: str = ""


def impact_figures(store: Store, assessment: ImpactAssessment,
                   options: MetricOptions = MetricOptions()) -> list[ImpactFigure]:
    """One figure per indicator and place of the assessment, in its school year (the latest year with data for
    the indicator when it names none)."""
    places: Sequence[str | None] = assessment.schools or (None,)
    return [_figure(store, assessment, indicator_id, school, options)
            for indicator_id in assessment.indicators for school in places]


def _figure(store: Store, assessment: ImpactAssessment, indicator_id: str, school: str | None,
            options: MetricOptions) -> ImpactFigure:
    indicator = get_indicator(indicator_id)
    years = analysis.years_with_data(store, indicator)
    year = assessment.school_year if assessment.school_year else (years[-1] if years else "")
    place = school or DISTRICT
    columns = [assessment.dimension, *FIGURE_COLUMNS[indicator.kind]]
    empty = ImpactFigure(indicator.id, indicator.label, indicator.kind, place, year, (), pd.DataFrame(columns=columns))
    if year not in years:
        return _with_message(empty, f"No {indicator.label} data for {year or 'any year'}.")
    filters = Filters((year,), (school,) if school else ())
    try:
        if indicator.kind == "rate":
            result = analysis.rates(store, indicator.id, [assessment.dimension], filters, options)
        else:
            result = analysis.gaps(store, indicator.id, [assessment.dimension], filters, options)
    except (analysis.NoDataError, ValueError) as error:
        return _with_message(empty, str(error))
    table = _affected(result.table, assessment.dimension, assessment.groups)
    if table.empty:
        return _with_message(empty, f"None of the groups chosen has {indicator.population_label} in {place}, {year}.")
    groups = [assessment.dimension]
    if indicator.kind == "rate":
        sentences = tuple(rate_sentence(indicator, row, groups, options) for _, row in table.iterrows())
    else:
        label = options.comparison_label
        sentences = tuple(gap_sentence(indicator, row, groups, label) for _, row in table.iterrows())
    return ImpactFigure(indicator.id, indicator.label, indicator.kind, place, year, sentences,
                        table[columns].reset_index(drop=True))


def _with_message(figure: ImpactFigure, message: str) -> ImpactFigure:
    return ImpactFigure(figure.indicator_id, figure.indicator_label, figure.kind, figure.place, figure.school_year,
                        (), figure.table, message)


def _affected(table: pd.DataFrame, dimension: str, groups: Sequence[str]) -> pd.DataFrame:
    """The rows of the groups the assessment names (every group when it names none), in the table's order."""
    if not groups:
        return table
    return table[table[dimension].astype(str).isin([str(g) for g in groups])]

