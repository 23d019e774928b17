"""Shares of enrollment and of the students disciplined by student group (kind `representation`, a state's
discipline-disproportionality download: percentages, not counts), for the state, a district or a school.

Each row compares a group's share of the students disciplined with its share of enrollment: the gap in
percentage points (disciplined minus enrolled, so a positive gap is overrepresentation) and a word for it,
'overrepresented', 'underrepresented' or 'neither' when the two shares are equal (the file labels those
'overrepresented'; its own label is kept beside as `file_label`).

Privacy: the file holds no counts, only shares of published enrollments, but a share times its unit's
enrollment implies a number of students. A row's shares (and gap and labels) are shown only when the implied
number of the group's students (share of enrollment x enrollment) is at least the cell size (10) or exactly 0;
otherwise they are hidden with the note "fewer than 10 students (privacy)". When that hides exactly one group of
a unit and category, the next smallest group is hidden too, so that the shares, which add up to 100, do not
give it back. The disciplined share has no known base (the file does not say how many were disciplined), so it
is hidden with its row, not by its own size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core.constants import DEFAULT_PRIVACY_THRESHOLD
from equity_metrics.measures.aggregate import loaded_year, loaded_years
from equity_metrics.storage.store import Store

__all__ = ["COLUMNS", "LEVELS", "NoRepresentationError", "Representation", "representation", "representation_years"]

LEVELS = ("state", "district", "school")
COLUMNS = ("school_year", "level", "district", "school", "category", "group", "enrollment", "share_of_enrollment",
           "share_of_disciplined", "gap_points", "over_or_under", "file_label", "note")
PRIVACY_NOTE = "fewer than {n} students (privacy)"
_LEVEL_SQL = ("CASE WHEN lower(trim(district)) LIKE 'all %' THEN 'state' "
              "WHEN school_name IS NULL OR lower(trim(school_name)) LIKE 'all %' THEN 'district' ELSE 'school' END")


class NoRepresentationError(ValueError):
    """No shares for what was asked (none loaded, another year, nothing matching)."""


@dataclass(frozen=True)
class Representation:
    """The table (COLUMNS), its school year and the notes that go with it."""

    table: pd.DataFrame
    school_year: str
    notes: tuple[str, ...]


def representation_years(store: Store) -> list[str]:
    """The school years with shares of enrollment and of the disciplined, latest first."""
    return loaded_years(store, "representation")


def _rows(store: Store, year: str) -> pd.DataFrame:
    """Every row of the year, with its level; a row given twice (a unit x group repeated) counts once."""
    return store.cursor().execute(
        f"SELECT DISTINCT {_LEVEL_SQL} AS level, district, coalesce(school_name, '') AS school, "
        "coalesce(category, '') AS category, subgroup AS \"group\", enrollment, share_of_enrollment, "
        "share_of_disciplined, file_label FROM representation WHERE school_year = ?", [year]).df()


def _protect(rows: pd.DataFrame, min_cell: int) -> pd.Series:
    """Which rows' shares are hidden: implied students from 0 (exclusive) to min_cell, and the next smallest
    group of a unit and category where only one would be hidden."""
    implied = rows["share_of_enrollment"] / 100 * rows["enrollment"]
    hidden = (implied > 0) & (implied < min_cell - 1e-9)
    keys = [rows["level"], rows["district"], rows["school"], rows["category"]]
    alone = hidden.groupby(keys).transform("sum") == 1
    candidates = rows["share_of_enrollment"].where(alone & ~hidden)
    nearest = candidates.groupby(keys).transform("min")
    second = candidates.notna() & (candidates == nearest)
    first_of = second & ~second.groupby(keys).cumsum().gt(1)  # one row per unit and category, ties by order
    return hidden | first_of


def _compare(rows: pd.DataFrame, hidden: pd.Series, min_cell: int) -> pd.DataFrame:
    gap = (rows["share_of_disciplined"] - rows["share_of_enrollment"]).round(1)
    table = rows.assign(gap_points=gap, over_or_under=np.select(
        [gap > 0, gap < 0], ["overrepresented", "underrepresented"], "neither"), note="")
    numbers, words = ["share_of_enrollment", "share_of_disciplined", "gap_points"], ["over_or_under", "file_label"]
    table[numbers] = table[numbers].where(~hidden)  # missing (NaN), never 0
    table[words] = table[words].astype(object).where(~hidden, None)
    table.loc[hidden, "note"] = PRIVACY_NOTE.format(n=min_cell)
    return table


def _select(rows: pd.DataFrame, level: str, unit: str | None, category: str | None) -> pd.DataFrame:
    keep = rows["level"] == level
    if unit:
        name = unit.strip().casefold()
        keep &= (rows["district"].str.casefold() == name) | (rows["school"].str.casefold() == name)
    if category:
        keep &= rows["category"].str.casefold() == category.strip().casefold()
    return rows[keep]


def representation(store: Store, *, level: str = "state", unit: str | None = None, category: str | None = None,
                   school_year: str | None = None, min_cell: int = DEFAULT_PRIVACY_THRESHOLD) -> Representation:
    """Each group's share of enrollment and of the students disciplined at `level` (state, district or school)
    for one school year (default: the latest loaded); `unit` keeps one district (with its schools at the school
    level) or school by name, `category` one kind of group (Race/Ethnicity, Gender, ...). See the module for
    what is hidden."""
    if level not in LEVELS:
        raise ValueError(f"--level {level!r}: shares are shown by {', '.join(LEVELS)}")
    year = loaded_year(store, "representation", school_year, NoRepresentationError,
                       "shares of enrollment and of the disciplined",
                       "import a state's discipline-disproportionality file (percentages by student group)")
    rows = _rows(store, year).sort_values(["level", "district", "school", "category", "group"], kind="stable")
    rows = rows.reset_index(drop=True)
    table = _compare(rows, _protect(rows, min_cell), min_cell)
    table = _select(table, level, unit, category)
    if table.empty:
        what = f" matching {unit!r}" if unit else ""
        raise NoRepresentationError(f"no {level} rows{what}{f' in category {category!r}' if category else ''} "
                                    f"for {year}")
    table = table.assign(school_year=year, enrollment=table["enrollment"].round().astype("Int64"))
    table = table[list(COLUMNS)].reset_index(drop=True)
    return Representation(table, year, _notes(table, level, min_cell))


def _notes(table: pd.DataFrame, level: str, min_cell: int) -> tuple[str, ...]:
    units = table.drop_duplicates(["district", "school"])
    out = [f"Percentages, not counts: {len(units):,} {level} unit(s), whose enrollments add up to "
           f"{units['enrollment'].sum():,.0f}. The gap is the share of the disciplined minus the share of "
           "enrollment, in percentage points; equal shares are 'neither' (the file labels them 'overrepresented')."]
    hidden = int((table["note"] != "").sum())
    if hidden:
        out.append(f"{hidden:,} row(s) hidden: the group's share of enrollment implies {PRIVACY_NOTE.format(n=min_cell)}"
                   ", or it would give back such a share (the shares of a category add up to 100).")
    return tuple(out)
