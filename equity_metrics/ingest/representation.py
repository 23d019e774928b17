"""Shares of enrollment and of the students disciplined by student group (a state's discipline-disproportionality
download): one row per unit (the state, a district or a school) x subgroup, with the unit's enrollment and two
percentages, recognised from its headers and read into kind `representation` as it is (no counts are made up).

Georgia's K-12 Student Discipline download, as published by the Governor's Office of Student Achievement, is the
model (`SCHOOL_DISTRICT`, `SCHOOL_NAME`, `SYS_SCH`, `SUBGROUP_CATEGORY`, `SUBGROUP`, `ENROLLMENT`,
`%_OVERALL_POP`, `%_DISC_POP`, `OVER/UNDER`, `PPTS`, `CUM_%_OVERALL`, `CUM_%_DISC`). The state's row reads
`SCHOOL_DISTRICT` "All School Systems", a district's `SCHOOL_NAME` "All Schools". The file's own label
(`OVER/UNDER`) and gap (`PPTS`) are kept beside the shares; the running totals (`CUM_%_*`) are not read. The file
has no year: it comes from the file name, a title row, or `--year`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from equity_metrics.core.codes import code_key
from equity_metrics.ingest.guessing import ColumnGuess
from equity_metrics.ingest.mapping import Mapping

__all__ = ["is_representation", "representation_columns", "representation_guess"]

_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "district": (("school district", "district", "system", "school system", "district name", "lea name"),
                 "the district ('All School Systems' on the state's rows)"),
    "school_name": (("school name", "school", "sch name"), "the school ('All Schools' on a district's rows)"),
    "unit": (("sys sch", "system school", "unit", "district school"),
             "district and school in one label, kept as the file writes it (the en dash included)"),
    "category": (("subgroup category", "group category", "student group category", "category"),
                 "the kind of student group (Race/Ethnicity, Gender, Disability Status, ...)"),
    "subgroup": (("subgroup", "student group", "group", "demographic"), "the student group"),
    "enrollment": (("enrollment", "total enrollment", "enrolled"),
                   "the unit's total enrollment, repeated on each of its rows"),
    "share_of_enrollment": (("overall pop", "pct overall pop", "percent overall pop", "pct enrollment",
                             "percent of enrollment", "share of enrollment"),
                            "the group's share of enrollment, in percent"),
    "share_of_disciplined": (("disc pop", "pct disc pop", "percent disc pop", "pct disciplined",
                              "percent of disciplined", "share of disciplined"),
                             "the group's share of the students disciplined (one or more incidents), in percent"),
    "file_label": (("over under", "over under represented", "representation"),
                   "the file's own label (overrepresented / underrepresented), kept as written"),
    "gap_points": (("ppts", "percentage points", "gap", "gap points"),
                   "the file's gap between the two shares, in percentage points (kept as written)"),
}
_YEARS = ("year", "school year", "sy", "fiscal year", "academic year")


def _key(header: str) -> str:
    return re.sub(r"\s+", " ", code_key(str(header)).replace("%", " ")).strip()


def representation_columns(columns: Sequence[str]) -> dict[str, str]:
    """Field -> raw header, for every field of the layout the headers carry."""
    by_key = {_key(c): c for c in columns}
    found: dict[str, str] = {}
    for field, (keys, _) in _FIELDS.items():
        column = next((by_key[k] for k in keys if k in by_key and by_key[k] not in found.values()), None)
        if column is not None:
            found[field] = column
    return found


def is_representation(columns: Sequence[str]) -> bool:
    """A district, a subgroup, an enrollment and both shares (of enrollment and of the students disciplined)."""
    found = representation_columns(columns)
    return {"district", "subgroup", "enrollment", "share_of_enrollment", "share_of_disciplined"} <= set(found)


def representation_guess(columns: Sequence[str]) -> ColumnGuess:
    """The mapping (one row per unit x subgroup, as the file is) and why each field comes from where."""
    found = representation_columns(columns)
    reasons = {field: f"{column!r}: {_FIELDS[field][1]}" for field, column in found.items()}
    year = next((c for c in columns if _key(c) in _YEARS), None)
    if year:
        found["school_year"] = year
    ignored = [c for c in columns if c not in found.values()]
    notes = ("Percentages, not counts: the file gives each group's share of enrollment and of the students "
             "disciplined, so no rate or risk ratio can be computed from it; the shares are compared as they are.",)
    if ignored:
        notes += (f"Not read: {', '.join(map(repr, ignored))} (running totals within a category).",)
    return ColumnGuess(Mapping(kind="representation", columns=found), reasons, notes)
