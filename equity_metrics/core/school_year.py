"""School years as the app writes them ('2024-25'): parsing what people type, and the years between two."""

from __future__ import annotations

import re

FIRST_SCHOOL_YEAR, LAST_SCHOOL_YEAR = 1950, 2100  # a "year" outside these is a code (school "0042"), not a year
_SCHOOL_YEAR = re.compile(r"^\s*(\d{4})\s*[-/\u2013]\s*(\d{2}|\d{4})\s*$")
_SINGLE_YEAR = re.compile(r"^\s*(\d{4})\s*$")


def parse_school_year(text: str, *, single_year: bool = False) -> str | None:
    """'2027-28', '2027-2028', '2027/28' or '2027 – 28' -> '2027-28'; None when the text is not a school year.
    With `single_year`, '2028' means the school year ending then ('2027-28'), as data files write it; a goal's
    year is typed in full. Years outside FIRST_SCHOOL_YEAR..LAST_SCHOOL_YEAR are not school years (a school code
    such as '0042' is not the year 41-42)."""
    match = _SCHOOL_YEAR.match(text)
    if match:
        start, end_text = int(match.group(1)), match.group(2)
        if not FIRST_SCHOOL_YEAR <= start < LAST_SCHOOL_YEAR:
            return None
        end = int(end_text) if len(end_text) == 4 else start - start % 100 + int(end_text)
        if len(end_text) == 2 and end < start:
            end += 100
        return school_year_of(start) if end == start + 1 else None
    match = _SINGLE_YEAR.match(text) if single_year else None
    if match:
        end = int(match.group(1))
        return school_year_of(end - 1) if FIRST_SCHOOL_YEAR < end <= LAST_SCHOOL_YEAR else None
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
