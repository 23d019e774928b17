"""Graduation outcome files: recognise them from their headers and values, and map them onto `graduation`.

A published graduation file (the NYC DOE school-level outcomes, a state report card's cohort file) has one row
per school x student group x cohort: the group ("Demographic": Total Cohort, Black, Male, English Language
Learners, ...), the cohort ("2006", "2006 Aug"), the number of students in the cohort and the number who
graduated, often with Regents, dropouts and still-enrolled counts, and a percentage column beside each count.
Percentages are never read (a rate is recomputed from the counts); suppressed cells (`s`, `*`, `<10`, `N<10`,
`.`) and unreadable ones are missing, never 0 (the count field's own rule, reported with their counts).

A cohort is named by the year it entered grade 9 (NYC DOE: "Cohort 2006" entered in fall 2006); it is stored as
that school year (2006-07) and its label is kept ("2006 Aug": the same cohort, counted after the summer).
What a rate counts, and what happens to duplicate rows, is decided in `storage/facts.py` (GRADUATION_SQL).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from equity_metrics.core.codes import STUDENT_GROUP_CODES, code_key
from equity_metrics.ingest.guessing import ColumnGuess
from equity_metrics.ingest.mapping import Mapping

_PERCENT = re.compile(r"%|\b(?:pct|percent|percentage|rate)\b", re.IGNORECASE)
_YEAR_VALUE = re.compile(r"^\s*(?:19|20)\d\d\b")
_COUNT_VALUE = re.compile(r"^\s*\d[\d,]*(?:\.0+)?\s*$")
# Header keys (codes.code_key) of each field, tried in order; a count field never takes a percentage column.
_COHORT_LABEL = re.compile(r"^(?:cohort|cohort year|cohort yr|cohort label|cohort name|entry cohort|"
                           r"cohort entry year|class|class of|graduating class|cohort class)$")
_COHORT_COUNT = re.compile(r"^(?:total cohort|cohort count|cohort size|cohort total|cohort n|total cohort n|"
                           r"(?:number|num|no|n) (?:in |of students in )?(?:the )?cohort|students in cohort|"
                           r"cohort students|cohort members|adjusted cohort|adjusted cohort count|denominator)$")
_GRADUATES = re.compile(r"^(?:total )?(?:grads|graduates|graduated|graduates count|grads count|diplomas)"
                        r"(?: n| count| number| total)?$|^(?:number|num|no|n) (?:of )?graduates$|"
                        r"^(?:4|four) year graduates$|^total graduates$|^numerator$")
_STILL_ENROLLED = re.compile(r"^still enrolled(?: n| count| number)?$")
_DROPPED_OUT = re.compile(r"^(?:dropped out|dropouts|drop outs|dropout)(?: n| count| number)?$")
_GROUP = re.compile(r"^(?:demographic|demographics|demographic group|subgroup|sub group|student group|"
                    r"student subgroup|group|category|population|reporting group)$")
_SCHOOL_ID = re.compile(r"^(?:dbn|school dbn|school id|school code|school number|sch code|sch id|schid|"
                        r"building code|location code|campus id|ncessch|beds code)$")
_SCHOOL_NAME = re.compile(r"^(?:school name|schoolname|sch name|building name|location name|campus name|name|"
                          r"school|campus)$")
GROUP_SHARE = 0.8  # the group column's values are at least this share of known student groups


def _values(samples: dict[str, list[str]] | None, column: str) -> list[str]:
    return [str(v).strip() for v in (samples or {}).get(column, []) if v is not None and str(v).strip()]


def _share(values: list[str], pattern: re.Pattern[str]) -> float:
    return sum(1 for v in values if pattern.search(v)) / len(values) if values else 0.0


def _first(columns: Sequence[str], pattern: re.Pattern[str], taken: set[str], counts: bool = False) -> str | None:
    for column in columns:
        if column in taken or (counts and _PERCENT.search(column)):
            continue
        if pattern.search(code_key(column)):
            return column
    return None


def graduation_columns(columns: Sequence[str], samples: dict[str, list[str]] | None = None) -> dict[str, str]:
    """The graduation fields the headers supply (field -> raw column); checked against the values where a
    sample is given: a cohort column holds years, a group column student groups."""
    columns = [str(c) for c in columns]
    taken: set[str] = set()
    found: dict[str, str] = {}
    for name, pattern, counts in (("cohort_count", _COHORT_COUNT, True), ("graduates", _GRADUATES, True),
                                  ("still_enrolled", _STILL_ENROLLED, True), ("dropped_out", _DROPPED_OUT, True),
                                  ("cohort", _COHORT_LABEL, False), ("student_group", _GROUP, False),
                                  ("school_id", _SCHOOL_ID, False), ("school_name", _SCHOOL_NAME, False)):
        column = _first(columns, pattern, taken, counts)
        if column is None:
            continue
        values = _values(samples, column)
        if samples is not None and values:
            if name == "cohort" and _share(values, _YEAR_VALUE) < GROUP_SHARE:
                continue
            if name == "student_group" and sum(1 for v in values if code_key(v) in STUDENT_GROUP_CODES) \
                    < GROUP_SHARE * len(values):
                continue
        found[name] = column
        taken.add(column)
    return found


def is_graduation(columns: Sequence[str], samples: dict[str, list[str]] | None = None) -> bool:
    """True when the table holds graduation outcomes as counts: a cohort, its size and its graduates."""
    found = graduation_columns(columns, samples)
    return all(f in found for f in ("cohort", "cohort_count", "graduates"))


def graduation_guess(columns: Sequence[str], samples: dict[str, list[str]] | None = None) -> ColumnGuess:
    """The `graduation` mapping of a recognised file, with the reason for each field. A file without a group
    column holds all students; a file without a school code keys its schools by name."""
    found = graduation_columns(columns, samples)
    mapped = {k: v for k, v in found.items() if k != "cohort"}
    reasons = {name: f"{column!r}: a graduation file's {name.replace('_', ' ')} column"
               for name, column in mapped.items()}
    constants = {}
    if "cohort" in found:
        mapped["cohort"] = found["cohort"]
        mapped["school_year"] = found["cohort"]
        reasons["cohort"] = f"{found['cohort']!r}: the cohort, kept as written"
    if "student_group" not in mapped:
        constants["student_group"] = "All students"
        reasons["student_group"] = "no group column: every row counts all students"
    from_name = "school_id" not in mapped and "school_name" in mapped
    if from_name:
        mapped["school_id"] = mapped["school_name"]
        reasons["school_id"] = f"{mapped['school_name']!r}: no school code, so a stable code is made from the name"
    return ColumnGuess(Mapping("graduation", mapped, constants=constants, school_id_from_name=from_name), reasons)


def cohort_school_year_sql(text: str) -> str:
    """SQL: the school year a cohort entered grade 9, from its label's first 4-digit year ('2006', '2006 Aug',
    'Cohort 2006' -> '2006-07'); NULL when the label has no plausible year."""
    year = f"TRY_CAST(regexp_extract({text}, '(?:^|[^0-9])((?:19|20)[0-9][0-9])(?:[^0-9]|$)', 1) AS INTEGER)"
    return f"CAST({year} AS VARCHAR) || '-' || lpad(CAST(({year} + 1) % 100 AS VARCHAR), 2, '0')"


YEAR_REASON = ("school year from the column {column!r}: a cohort is named by the school year it entered grade 9 "
               "(Cohort 2006 is stored as 2006-07; '2006 Aug', the same cohort after the summer, too)")
