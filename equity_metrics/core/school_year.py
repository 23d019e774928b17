"""School years as the app writes them ('2024-25'): parsing what people type, and the years between two."""

from __future__ import annotations

import re

FIRST_SCHOOL_YEAR, LAST_SCHOOL_YEAR = 1950, 2100  # a "year" outside these is a code (school "0042"), not a year
# The forms a data file writes, shared with the importer's SQL twin (RE2 reads them alike): '2024-25',
# '2024/2025', '2024 – 25', '20242025', a single year '2025', each maybe labelled ('SY 2024-25', '2024-25 School
# Year'); two digits only with the label ('SY24-25').
_LABEL = r"(?:sy|s\.y\.|school\s*year)"
_DASH = "[-/\u2013]"  # the en dash itself: RE2 (DuckDB) reads no backslash-u escape
SCHOOL_YEAR_PATTERN = (rf"(?i)^\s*(?:{_LABEL}\s*:?\s*)?(\d{{4}})(?:\s*{_DASH}\s*(\d{{2}}|\d{{4}})|(\d{{4}}))?"
                       rf"(?:\s*{_LABEL})?\s*$")
LABELLED_SHORT_PATTERN = rf"(?i)^\s*{_LABEL}\s*:?\s*(\d{{2}})\s*{_DASH}\s*(\d{{2}})\s*$"
_SCHOOL_YEAR = re.compile(SCHOOL_YEAR_PATTERN)
_LABELLED_SHORT = re.compile(LABELLED_SHORT_PATTERN)


def parse_school_year(text: str, *, single_year: bool = False) -> str | None:
    """'2027-28', '2027-2028', '2027/28', '2027 – 28', '20272028', 'SY 2027-28' or 'SY27-28' -> '2027-28'; None
    when the text is not a school year.
    With `single_year`, '2028' means the school year ending then ('2027-28'), as data files write it; a goal's
    year is typed in full. Years outside FIRST_SCHOOL_YEAR..LAST_SCHOOL_YEAR are not school years (a school code
    such as '0042' is not the year 41-42)."""
    short = _LABELLED_SHORT.match(text)
    match = _SCHOOL_YEAR.match(text)
    if short:
        first, end_text = f"20{short.group(1)}", short.group(2)
    elif match:
        first, end_text = match.group(1), match.group(2) or match.group(3)
    else:
        return None
    if end_text:
        start = int(first)
        if not FIRST_SCHOOL_YEAR <= start < LAST_SCHOOL_YEAR:
            return None
        end = int(end_text) if len(end_text) == 4 else start - start % 100 + int(end_text)
        if len(end_text) == 2 and end < start:
            end += 100
        return school_year_of(start) if end == start + 1 else None
    end = int(first)
    if single_year and FIRST_SCHOOL_YEAR < end <= LAST_SCHOOL_YEAR:
        return school_year_of(end - 1)
    return None


def year_start(school_year: str) -> int:
    """'2024-25' -> 2024."""
    return int(school_year[:4])


def school_year_of(start: int) -> str:
    """2024 -> '2024-25'."""
    return f"{start}-{(start + 1) % 100:02d}"


def year_span(first: str, last: str) -> list[str]:
    """Every school year from `first` to `last`, inclusive."""
    return [school_year_of(y) for y in range(year_start(first), year_start(last) + 1)]
