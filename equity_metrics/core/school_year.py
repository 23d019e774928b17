"""School years as the app writes them ('2024-25'): parsing what people type, and the years between two."""

from __future__ import annotations


def parse_school_year(text: str) -> str | None:
    """'2027-28', '2027-2028' or '2027/28' -> '2027-28'; None when the text is not a school year."""
    value = text.strip().replace("/", "-").replace("\u2013", "-")
    start, _, end = value.partition("-")
    if not (start.isdigit() and len(start) == 4 and end.isdigit() and len(end) in (2, 4)):
        return None
    first = int(start)
    if (len(end) == 4 and int(end) != first + 1) or (len(end) == 2 and int(end) != (first + 1) % 100):
        return None
    return f"{first}-{(first + 1) % 100:02d}"


def year_start(school_year: str) -> int:
    """'2024-25' -> 2024."""
    return int(school_year[:4])


def school_year_of(start: int) -> str:
    """2024 -> '2024-25'."""
    return f"{start}-{(start + 1) % 100:02d}"


def year_span(first: str, last: str) -> list[str]:
    """Every school year from `first` to `last`, inclusive."""
    return [school_year_of(y) for y in range(year_start(first), year_start(last) + 1)]
