"""The CRDC public-use school file: recognise its wide columns and map them onto aggregated counts.

The Civil Rights Data Collection publishes one row per school with one column per measure x race x sex
(and, for discipline, x disability): `SCH_ENR_BL_M` is the number of Black male students enrolled,
`SCH_DISCWODIS_SINGOOS_BL_F` the Black female students without disabilities with one out-of-school
suspension, `SCH_DISCWDIS_MULTOOS_IDEA_HI_M` the Hispanic male students with disabilities (IDEA) with more than
one. `crdc_mapping` turns such a table into a `counts` mapping: every recognised column is unpivoted into one
row (school, race, sex, disability, measure, count). Negative reserve codes (-3, -5, -6, -8, -9, -11) become
missing through the count field's own rule (never negative), so they are never summed.

Measures are *students with at least one* event, as in the student-level analysis: one and more than one
out-of-school suspension are disjoint counts and add up to "students with an out-of-school suspension";
expulsions with and without educational services likewise. Zero-tolerance expulsions (`EXPZT`) overlap those
two and are not used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from equity_metrics.ingest.mapping import Mapping, Unpivot

CRDC_RACE_CODES = ("HI", "AM", "AS", "HP", "BL", "WH", "TR")
_RACE = "|".join(CRDC_RACE_CODES)

# Column family (the part between SCH_ and the race code) -> (canonical measure, disability flag or None).
CRDC_FAMILIES: dict[str, tuple[str, str | None]] = {
    "ENR": ("enrollment", None),
    "DISCWODIS_ISS": ("iss", "No"),
    "DISCWDIS_ISS_IDEA": ("iss", "Yes"),
    "DISCWODIS_SINGOOS": ("oss", "No"),
    "DISCWODIS_MULTOOS": ("oss", "No"),
    "DISCWDIS_SINGOOS_IDEA": ("oss", "Yes"),
    "DISCWDIS_MULTOOS_IDEA": ("oss", "Yes"),
    "DISCWODIS_EXPWE": ("expulsion", "No"),
    "DISCWODIS_EXPWOE": ("expulsion", "No"),
    "DISCWDIS_EXPWE_IDEA": ("expulsion", "Yes"),
    "DISCWDIS_EXPWOE_IDEA": ("expulsion", "Yes"),
    "DISCWODIS_REF": ("law_enforcement_referral", "No"),
    "DISCWDIS_REF_IDEA": ("law_enforcement_referral", "Yes"),
    "DISCWODIS_ARR": ("school_arrest", "No"),
    "DISCWDIS_ARR_IDEA": ("school_arrest", "Yes"),
    "APENR": ("ap", None),
    "GTENR": ("gifted", None),
    "DUALENR": ("dual_credit", None),
}
_COLUMN = re.compile(rf"^SCH_({'|'.join(CRDC_FAMILIES)})_({_RACE})_(M|F|X)$")
SCHOOL_ID_COLUMNS = ("COMBOKEY", "SCHID", "SCH_ID", "NCESSCH")
SCHOOL_NAME_COLUMNS = ("SCH_NAME", "SCHOOL_NAME")
MIN_CRDC_COLUMNS = 4  # fewer recognised columns than this is not a CRDC file
_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d\d)\s*[-_–]\s*(\d\d)(?!\d)")


def crdc_columns(columns: Sequence[str]) -> dict[str, tuple[str, str | None, str, str]]:
    """The recognised CRDC count columns: raw name -> (measure, disability, race code, sex code)."""
    found = {}
    for column in columns:
        match = _COLUMN.match(str(column).strip().upper())
        if match:
            measure, disability = CRDC_FAMILIES[match.group(1)]
            found[column] = (measure, disability, match.group(2), match.group(3))
    return found


def is_crdc(columns: Sequence[str]) -> bool:
    """True when the headers are those of a CRDC school file (enrollment plus at least a few measures)."""
    found = crdc_columns(columns)
    return len(found) >= MIN_CRDC_COLUMNS and any(m == "enrollment" for m, *_ in found.values())


def school_year_from_name(file_name: str) -> str | None:
    """The collection year written in a file name ("CRDC 2020-21 School Data.csv" -> "2020-21")."""
    match = _YEAR_IN_NAME.search(file_name)
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return f"{start}-{match.group(2)}" if (start + 1) % 100 == end else None


def crdc_mapping(columns: Sequence[str], file_name: str = "") -> Mapping:
    """A `counts` mapping unpivoting every recognised CRDC column. The school year comes from the file name
    when it says one; otherwise the mapping lacks it and the user supplies it (it is never guessed)."""
    found = crdc_columns(columns)
    upper = {str(c).strip().upper(): c for c in columns}
    mapped = {}
    school_id = next((upper[name] for name in SCHOOL_ID_COLUMNS if name in upper), None)
    if school_id is not None:
        mapped["school_id"] = school_id
    school_name = next((upper[name] for name in SCHOOL_NAME_COLUMNS if name in upper), None)
    if school_name is not None:
        mapped["school_name"] = school_name
    year = school_year_from_name(file_name)
    return Mapping(
        kind="counts",
        columns=mapped,
        constants={"school_year": year} if year else {},
        unpivot=Unpivot(
            columns=tuple(found),
            name_field="measure",
            value_field="count",
            names={column: measure for column, (measure, *_) in found.items()},
            attributes={
                "race": {column: race for column, (_, _, race, _) in found.items()},
                "sex": {column: sex for column, (*_, sex) in found.items()},
                "disability": {column: disability for column, (_, disability, *_) in found.items() if disability},
            },
        ),
    )
