"""Commands over published aggregates (`python -m equity_metrics ...`), added to the parser by `cli.py`:

    staff-composition [--by state|district|school] [--job-group 23] [--unit NAME] [--year Y]
    survey-summary [--what response|scores|items] [--school DBN] [--item t_q1a] [--year Y]
    representation [--level state|district|school] [--unit NAME] [--category C] [--year Y]
    exposure inexperienced_teachers|students_per_counselor [--by race] [--year Y]

FTE and survey counts under the privacy threshold (10) are hidden, as every count is; like the threshold of the other commands,
it cannot be set (outputs at several thresholds, combined, could reveal what one of them hides). Each prints
the same protected table the Staffing (Climate) page shows (shares as fractions, FTE with one decimal place), then
nothing else; the notes (what is hidden and why, what the file's figures do not add up to) go to standard
error. The store is opened read-only. `representation` (shares of enrollment and of the disciplined, kind
`representation`) hides a row's shares when they imply fewer than 10 of the group's students (see
`measures.representation`). `exposure` prints `<dim>, students, exposure`: each group's student-weighted
average of a school figure from the staff file (`measures.exposure`); where a school count of the group is
hidden, the exposure is left empty and its range (from published counts only) goes to standard error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from equity_metrics.measures import exposure, representation, staff_fte, survey_summary
from equity_metrics.storage.store import Store, default_db_path, open_for_reading

__all__ = ["add_aggregate_commands"]

Render = Callable[[pd.DataFrame, str], str]


def _said(notes: tuple[str, ...]) -> None:
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def _command(render: Render, call: Callable[[Store, argparse.Namespace], Any]) -> Callable[[argparse.Namespace], str]:
    """A command over one published aggregate: the store opened read-only, the table printed, the notes (what
    is hidden and why) on standard error."""
    def run(args: argparse.Namespace) -> str:
        with open_for_reading(Path(args.db) if args.db else default_db_path()) as store:  # read-only
            result = call(store, args)
        _said(result.notes)
        return render(result.table, args.format)
    return run


def _staff(store: Store, args: argparse.Namespace) -> staff_fte.StaffComposition:
    return staff_fte.staff_composition(store, level=args.by, job_group=args.job_group, school_year=args.year,
                                       unit=args.unit)


def _survey(store: Store, args: argparse.Namespace) -> Any:
    return survey_summary.survey_summary(store, what=args.what, school_year=args.year, school=args.school,
                                         item=args.item)


def _representation(store: Store, args: argparse.Namespace) -> Any:
    return representation.representation(store, level=args.level, unit=args.unit, category=args.category,
                                         school_year=args.year)


@dataclass(frozen=True)
class _Printed:
    table: pd.DataFrame
    notes: tuple[str, ...]


def _exposure(store: Store, args: argparse.Namespace) -> _Printed:
    result = exposure.exposure_table(store, args.exposure, dimension=args.by, year=args.year)
    share = result.exposure.kind == "share"
    notes = []
    for _, row in result.table[result.table["note"] != ""].iterrows():
        low, high = row["exposure_low"], row["exposure_high"]
        between = (f" (between {low:.4f} and {high:.4f})" if share else f" (between {low:.1f} and {high:.1f})"
                   ) if pd.notna(low) else ""
        notes.append(f"{row[args.by]}: {row['note']}{between}")
    notes.append(f"{result.year}: {result.exposure.label.lower()}, {result.exposure.definition}.")
    return _Printed(result.table[[args.by, *exposure.EXPOSURE_COLUMNS]], (*notes, *result.notes))


def _add_exposure(commands: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None],
                  render: Render) -> None:
    p = commands.add_parser("exposure", help="students' exposure by group: the student-weighted average of a school "
                                             "figure from the staff file (equitable access to teachers)")
    p.add_argument("exposure", choices=tuple(exposure.EXPOSURES),
                   help="inexperienced_teachers (share of teachers with fewer than 2 years of experience) or "
                        "students_per_counselor")
    p.add_argument("--by", default="race", choices=exposure.protected.SINGLE_SPLITS,
                   help="one group dimension (default: race)")
    p.add_argument("--year", help="school year, e.g. 2024-25 (default: the latest with staff and students)")
    common(p)
    p.set_defaults(run=_command(render, _exposure))


def _add_representation(commands: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None],
                        render: Render) -> None:
    p = commands.add_parser("representation", help="each group's share of enrollment and of the students "
                                                   "disciplined, and the gap (a state's disproportionality file of "
                                                   "percentages, kind representation)")
    p.add_argument("--level", choices=representation.LEVELS, default="state",
                   help="state, district (each district's 'All Schools' row) or school (default: state)")
    p.add_argument("--unit", help="one district (with --level school: its schools) or school, by name")
    p.add_argument("--category", help="one kind of group as the file names it, e.g. Race/Ethnicity or Gender")
    p.add_argument("--year", help="school year, e.g. 2016-17 (default: the latest with shares loaded)")
    common(p)
    p.set_defaults(run=_command(render, _representation))


def _add_survey(commands: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None],
                render: Render) -> None:
    p = commands.add_parser("survey-summary", help="a school survey summary (kind survey_summary): respondents and "
                                                   "response rates, scale scores, or each item's answers")
    p.add_argument("--what", choices=survey_summary.WHAT, default="response",
                   help="response (respondents, eligible, rate), scores (0-10 scale scores) or items (the number "
                        "and share choosing each option); default: response")
    p.add_argument("--school", help="one school (its code, e.g. 75K004, or name) beside all schools")
    p.add_argument("--item", help="one item, e.g. t_q1a (with --what items)")
    p.add_argument("--year", help="school year, e.g. 2010-11 (default: the latest with a survey summary)")
    common(p)
    p.set_defaults(run=_command(render, _survey))


def add_aggregate_commands(commands: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None],
                           render: Render) -> None:
    """Add staff-composition, survey-summary, representation and exposure."""
    p = commands.add_parser("staff-composition", help="staff FTE and shares by race, by job group (a state's staff "
                                                      "report by race, kind staff_fte)")
    p.add_argument("--by", choices=staff_fte.LEVELS, default="state",
                   help="state (every school), district (the name before ' - ') or school (default: state)")
    p.add_argument("--job-group", help="one job group as the file codes it, e.g. 23 (teachers); default: every one")
    p.add_argument("--unit", help="one district or school, by name (e.g. Boston)")
    p.add_argument("--year", help="school year, e.g. 2014-15 (default: the latest with staff FTE)")
    common(p)
    p.set_defaults(run=_command(render, _staff))
    _add_survey(commands, common, render)
    _add_representation(commands, common, render)
    _add_exposure(commands, common, render)
