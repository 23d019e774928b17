"""Files that hold something no kind can take, recognised from their headers so the refusal says what the file
is and why it cannot be imported, instead of "cannot tell what this table holds".

Every kind stores either one row per person and event (a roster, discipline actions, course enrollments, survey
answers, staff members) or counts of students per school and group (`counts`). Published aggregates of other
shapes do not fit: shares of enrollment and of the disciplined population without each unit's enrollment (one
with it is read by `representation.py`), staff full-time equivalents without a school and one column per race
beside a total (a staff report by race is read by `staff_fte.py`), graduation rates without their counts (a
file with cohort and graduate counts is read by `graduation.py`), a school-level survey summary without
respondent counts per school (one with a school code and `N_p`/`N_t`/`N_s` is read by `survey_summary.py`),
course marks without a course section or letter mark.
Each such file is refused naming the file, what it holds and what would work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from equity_metrics.core.codes import code_key


@dataclass(frozen=True)
class Shape:
    """A kind of published file no kind fits: a test over the header keys (`codes.code_key`) and the raw headers,
    and the reason, in words."""

    name: str
    test: Callable[[list[str], Sequence[str]], bool]
    reason: str


def _count(keys: list[str], pattern: str) -> int:
    compiled = re.compile(pattern)
    return sum(1 for k in keys if compiled.search(k))


SHAPES = (
    Shape("graduation rates without counts",
          lambda keys, raw: _count(keys, r"\bgrads?\b|graduat") >= 1 and _count(keys, r"\bcohort\b") >= 1,
          "it holds graduation outcomes per school, group and cohort, but not both counts a rate needs (the number "
          "of students in the cohort, such as 'Total Cohort', and the number of graduates, such as 'Total Grads - "
          "n'), next to a cohort column holding years; percentages alone are not read"),
    Shape("staff full-time equivalents",
          lambda keys, raw: _count(keys, r"\bfte\b") >= 1,
          "it holds staff full-time equivalents (FTE), but not as a staff report by race (a school code or name, "
          "an FTE total such as 'FTE Count' and one FTE column per race, at least three); nor one row per staff "
          "member (staff ID, role, race, hire and separation dates), which the rest of the Staffing page needs"),
    Shape("school survey summary",
          lambda keys, raw: _count(keys, r"^(?:[pts] (?:n )?q\d+[a-z]?(?: \d+)?|(?:rr|nr|n) [pts])$") >= 10,
          "it holds each school's survey results (response rates and the share or number of respondents "
          "choosing each answer), but not as a survey summary the importer reads (a school code or name, the "
          "respondents of each type such as 'N_p', 'N_t', 'N_s', and the item columns), nor one row per answer "
          "(a survey platform's response export)"),
    Shape("percentages by group",
          lambda keys, raw: sum(1 for h in raw if "%" in h or re.search(r"\b(?:pct|percent)\b", h.lower())) >= 2
          and _count(keys, r"subgroup|demographic|student group") >= 1,
          "it holds percentages by student group (shares of enrollment and of the students disciplined), not "
          "counts of students: a rate needs counts, and the file does not say how many students were disciplined; "
          "import the state's counts download (school x group x count) or the CRDC school file instead"),
    Shape("course marks",
          lambda keys, raw: _count(keys, r"grade earned|letter grade|alpha grade|\bmarks?\b|credits earned") >= 1,
          "it holds course marks (letter or numeric grades, credits), but neither a course level (AP, IB, Honors, "
          "dual credit, Algebra I) nor one row per student and course section with a letter mark (a student ID, "
          "a section and a letter mark, which a course marks file needs for the course-failure rate)"),
)


def unfit_reason(columns: Sequence[str]) -> str | None:
    """Why no kind can take a file with these headers, when it is one of the known unfit shapes; else None."""
    keys = [code_key(c) for c in columns]
    for shape in SHAPES:
        if shape.test(keys, columns):
            return shape.reason
    return None
