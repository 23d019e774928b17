"""What a result shows, in words and in a file name: the school (or the district), the grade band, the school
years and the groups it is split by.

Every chart title, export file name, report item and slide says it, so a school's chart cannot pass for the
district's: "Maple Grove Middle, grades 6-8, 2024-25, by race/ethnicity" and
`oss_maple-grove-middle_grades-6-8_2024-25_race`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from equity_metrics.core.constants import DIMENSIONS, GRADE_BANDS
from equity_metrics.measures.aggregate import Filters

__all__ = ["DISTRICT", "Scope", "finding_where", "scope", "scope_slug", "scope_words"]

DISTRICT = "District"
ALL_GRADES = "all grades"
_SLUG_LIMIT = 120  # characters of a file name's stem (schools' names can be long)


@dataclass(frozen=True)
class Scope:
    """The place, grades, years and splits of one result, each in words."""

    place: str  # "Maple Grove Middle" or "District"
    grades: str  # "grades 6-8" or "all grades"
    years: str  # "2024-25", "2023-24 to 2024-25" or "every year"
    split: str  # "by race/ethnicity", "by school and race/ethnicity"

    def words(self) -> str:
        """'Maple Grove Middle, grades 6-8, 2024-25, by race/ethnicity'."""
        return ", ".join(part for part in (self.place, self.grades, self.years, self.split) if part)

    def where(self) -> str:
        """The same without the split, for a title that names its groups itself."""
        return ", ".join(part for part in (self.place, self.grades, self.years) if part)


def _grades(band: str | None) -> str:
    """'Middle (6-8)' -> 'grades 6-8'; 'Elementary (PK-5)' -> 'grades PK-5'."""
    if not band:
        return ALL_GRADES
    if band in GRADE_BANDS:
        inside = re.search(r"\(([^)]*)\)", band)
        return f"grades {inside.group(1)}" if inside else band
    return band


def _years(years: Sequence[str], units: Sequence[str]) -> str:
    if len(years) > 2 and "school_year" in units:
        return f"{years[0]} to {years[-1]}"
    if years:
        return ", ".join(years)
    return "every year" if "school_year" in units else "latest year"


def _dimension(name: str) -> str:
    if name in DIMENSIONS:
        return DIMENSIONS[name].label.lower()
    return name.replace("_", " ")


def _split(groups: Sequence[str], units: Sequence[str]) -> str:
    names = [_dimension(u) for u in units if u != "school_year"] + [_dimension(g) for g in groups]
    if not names:
        return ""
    return "by " + (" and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1])


def scope(filters: Filters, groups: Sequence[str] = (), units: Sequence[str] = ()) -> Scope:
    """The scope of a result filtered by `filters`, split by `groups` and compared across `units`."""
    place = ", ".join(filters.schools) if filters.schools else DISTRICT
    return Scope(place, _grades(filters.grade_band), _years(filters.school_years, units), _split(groups, units))


def finding_where(group: dict[str, str], school_year: str) -> str:
    """Where a finding of the Overview or the audit holds: 'District, all grades, 2024-25' (its school when its
    group names one)."""
    schools = (group["school"],) if "school" in group else ()
    return scope(Filters((school_year,), schools)).where()


def scope_words(filters: Filters, groups: Sequence[str] = (), units: Sequence[str] = ()) -> str:
    """'Maple Grove Middle, grades 6-8, 2024-25, by race/ethnicity'; 'District, all grades, 2024-25, by sex'."""
    return scope(filters, groups, units).words()


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _school_slug(name: str) -> str:
    """A school's name in a file name; a name with no ASCII letter or digit (a Chinese name) is 'school-' and a
    short digest of the name, so that it never reads as the district's."""
    return _slug(name) or "school-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def scope_slug(prefix: str, filters: Filters, groups: Sequence[str] = (), units: Sequence[str] = ()) -> str:
    """A file name's stem: 'oss_maple-grove-middle_grades-6-8_2024-25_race' (ASCII letters, digits, '-' and
    '_' only, whatever the school's name holds; the district's is 'oss_district_2024-25_race')."""
    parts = [prefix]
    parts.append("-".join(_school_slug(s) for s in filters.schools) or "district")
    if filters.grade_band:
        parts.append(_slug(_grades(filters.grade_band)))
    years = filters.school_years
    parts.append(f"{years[0]}-to-{years[-1]}" if len(years) > 2 else "-".join(years) or
                 ("every-year" if "school_year" in units else "latest-year"))
    parts.extend(u for u in units if u != "school_year")
    parts.extend(groups)
    stem = "_".join(_slug(p) if i else re.sub(r"[^A-Za-z0-9_-]+", "-", p) for i, p in enumerate(parts) if p)
    return stem[:_SLUG_LIMIT].rstrip("-_") or "export"
