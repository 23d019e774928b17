"""Staff full-time equivalents by race: a state's published staff report (one row per school x job group, one
column of FTE per race and a total), recognised from its headers and unpivoted into one row per race.

Massachusetts' DESE report (`Org Code`, `Job Group`, `Year`, `SCHOOL`, `African American (# )`, ..., `Other (# )`,
`FTE Count`) is the model; other states' files with race columns named by any common label (`Black or African
American`, `Two or More Races FTE`, `American Indian #`) and an FTE total are read the same way. The reported
total is kept as its own row (race 'Total'), never replaced by the sum of the race columns: in real files the two
differ (rounding), and the difference is shown, not hidden. A combined column ("Other": Native American, Pacific
Islander and multi-race together) is kept as its own group, never split.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from equity_metrics.core.codes import code_key, lookup
from equity_metrics.ingest.guessing import ColumnGuess
from equity_metrics.ingest.layout_fields import first_column, school_fields
from equity_metrics.ingest.mapping import Mapping, Unpivot
from equity_metrics.storage.staff_codes import OTHER_COMBINED, STAFF_TOTAL

__all__ = ["is_staff_fte", "race_columns", "staff_fte_guess"]

_SUFFIX = re.compile(r"\s*(?:\(\s*#\s*\)|#|\bfte\b|\bcount\b|\bnumber\b|\bstaff\b)\s*$")
_OTHER = ("other", "other race", "other races", "all other", "all other races")
_TOTALS = ("fte count", "fte", "total fte", "fte total", "total", "total fte count", "all fte", "fte all",
           "total staff fte", "staff fte")
_IDS = ("org code", "school code", "school id", "org id", "sch code", "sch id", "school number", "building code",
        "school org code", "location code", "school identifier", "nces id", "state school id")
_NAMES = ("school", "school name", "org name", "organization", "organization name", "building", "building name",
          "sch name", "location name")
_JOBS = ("job group", "job category", "job classification", "job class", "job", "position", "position group",
         "assignment", "staff category", "staff group", "category", "job title group")
_YEARS = ("year", "school year", "sy", "fiscal year", "academic year", "report year")


def _race_of(header: str) -> str | None:
    """The race a header names (with or without '(# )', 'FTE', 'Count'); None for a share or another column."""
    if "%" in header or re.search(r"\b(?:pct|percent|share)\b", header.lower()):
        return None
    key = _SUFFIX.sub("", code_key(header).replace(" fte ", " ")).strip()
    if key in _OTHER:
        return OTHER_COMBINED
    race = lookup("race", key) if key else None
    return str(race) if race and race != "Unknown" else None


def race_columns(columns: Sequence[str]) -> dict[str, str]:
    """Raw header -> race label, for every column holding one race's FTE."""
    found = {c: _race_of(c) for c in columns}
    return {c: r for c, r in found.items() if r}


def is_staff_fte(columns: Sequence[str]) -> bool:
    """An FTE total, at least three race columns, and a school (code or name)."""
    races = race_columns(columns)
    return (first_column(columns, _TOTALS) is not None and any("fte" in code_key(c).split() for c in columns)
            and len(set(races.values())) >= 3 and (first_column(columns, _IDS) or first_column(columns, _NAMES)) is not None)


def staff_fte_guess(columns: Sequence[str]) -> ColumnGuess:
    """The mapping unpivoting each race column and the total into rows, and why each field comes from where."""
    races = race_columns(columns)
    total = first_column(columns, _TOTALS)
    assert total is not None
    school_id, school_name = first_column(columns, _IDS), first_column(columns, _NAMES)
    job, year = first_column(columns, _JOBS), first_column(columns, _YEARS)
    mapped, school_reasons, from_name = school_fields(school_id, school_name,
                                                     "a school code, read as text (leading zeros kept)")
    reasons = {"race": "one column per race (" + ", ".join(f"{c!r} = {r}" for c, r in races.items()) + f"); {total!r} "
               "is the reported total, kept as race 'Total' (the race columns do not always add up to it)",
               "fte": "the cells of those columns: full-time equivalents", **school_reasons}
    if job:
        mapped["job_group"] = job
        reasons["job_group"] = f"{job!r}: the job group (DESE codes are named: 23 = Teachers, ...)"
    if year:
        mapped["school_year"] = year
    notes = () if OTHER_COMBINED not in races.values() else (
        f"{next(c for c, r in races.items() if r == OTHER_COMBINED)!r} combines several races (in DESE files: "
        "Native American, Native Hawaiian or Pacific Islander, multi-race): kept as its own group, never split.",)
    unpivot = Unpivot(columns=(*races, total), name_field="race", value_field="fte",
                      names={**races, total: STAFF_TOTAL})
    mapping = Mapping(kind="staff_fte", columns=mapped, unpivot=unpivot,
                      school_id_from_name=from_name)
    return ColumnGuess(mapping, reasons, notes)

