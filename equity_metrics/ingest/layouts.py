"""Published aggregate layouts recognised from their headers, each read into its own kind: for now staff FTE
by race (`staff_fte.py`, kind `staff_fte`), a school-level survey summary (`survey_summary.py`, kind
`survey_summary`) and shares of enrollment and of the disciplined by group (`representation.py`, kind
`representation`) and coded excerpts (`excerpts.py`, kind `excerpts`: the district's own file, Taguette's
highlights export, QualCoder's coded text export). Like the CRDC school file, such a file is not guessed column by
column: its layout gives the whole mapping, with a reason for each field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from equity_metrics.ingest.guessing import ColumnGuess

__all__ = ["Layout", "find_layout"]


@dataclass(frozen=True)
class Layout:
    """One published layout: the kind it is read into, how it is recognised, its mapping and why."""

    kind: str
    what: str  # the kind's reason, in words
    detect: Callable[[Sequence[str]], bool]
    guess: Callable[[Sequence[str]], ColumnGuess]


def _layouts() -> tuple[Layout, ...]:
    from equity_metrics.ingest import excerpts, representation, staff_fte, survey_summary

    return (
        Layout("excerpts", "the columns hold excerpts and their codes or themes (a district's own file, Taguette's "
               "highlights export or QualCoder's coded text export: the reasons say which)",
               excerpts.is_excerpts, excerpts.excerpts_guess),
        Layout("staff_fte", "the columns are staff full-time equivalents per school and job group, one column per "
               "race and a total", staff_fte.is_staff_fte, staff_fte.staff_fte_guess),
        Layout("survey_summary", "the columns are each school's survey results: response rates, respondents and "
               "eligible per respondent type (parents, teachers, students), scale scores, and per item the share "
               "and number of respondents choosing each answer", survey_summary.is_survey_summary,
               survey_summary.survey_summary_guess),
        Layout("representation", "the columns are each student group's share of enrollment and of the students "
               "disciplined (percentages, not counts) for the state, each district and each school, with the unit's "
               "enrollment", representation.is_representation, representation.representation_guess),
    )


def find_layout(columns: Sequence[str]) -> Layout | None:
    """The published layout these headers are, if any."""
    return next((layout for layout in _layouts() if layout.detect(columns)), None)
