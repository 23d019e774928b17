"""Derived analysis tables, rebuilt in SQL after every change to the stored data.

Each *source* is one table of units the indicators count: students in a year (`facts_student_year`, with
every event flag joined on), test results, staff in a year, applicants and survey answers. Each carries the
group dimensions as display labels (race, sex, disability, ...), with missing values as 'Unknown', and the
filter columns (school_year, school_id, school, grade, grade_band). Building them once makes every indicator
a filtered COUNT or SUM over one table, and the whole audit one GROUP BY per source.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from equity_metrics.core.codes import COUNT_MEASURES, EXCLUSIONARY_ACTIONS
from equity_metrics.core.constants import DIMENSIONS, GRADE_BANDS, UNKNOWN
from equity_metrics.storage.graduation_facts import rebuild_graduation


@dataclass(frozen=True)
class Source:
    """One analysis table and the dimensions and filters it supports."""

    name: str
    table: str
    unit: str  # what one row counts, in words ("students", "staff members")
    dimensions: tuple[str, ...]
    kinds: tuple[str, ...]  # canonical kinds it needs (the first must hold data)


COUNT_DIMENSIONS = ("race", "sex", "school", "school_year")  # what a report card or the CRDC file splits by
STUDENT_DIMENSIONS = ("race", "sex", "disability", "section_504", "english_learner", "low_income", "grade",
                      "school", "school_year")
SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("student_year", "facts_student_year", "students", STUDENT_DIMENSIONS, ("enrollment",)),
        Source("assessment", "facts_assessment", "test results", STUDENT_DIMENSIONS, ("assessments",)),
        Source("staff", "facts_staff", "staff members", ("race", "sex", "school", "school_year"), ("staff",)),
        Source("applicant", "facts_applicant", "applicants", ("race", "sex", "school_year"), ("applicants",)),
        Source("survey", "facts_survey", "survey answers",
               ("race", "sex", "grade", "school", "school_year", "construct", "respondent_type"),
               ("survey",)),
        Source("counts", "facts_counts", "students (aggregated counts)", COUNT_DIMENSIONS, ("counts",)),
        Source("graduation", "facts_graduation", "students in a graduation cohort", ("race", "school", "school_year"),
               ("graduation",)),
    )
}


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _flag_label(column: str, dimension: str) -> str:
    yes, no = DIMENSIONS[dimension].values
    return f"CASE WHEN {column} THEN '{yes}' WHEN NOT {column} THEN '{no}' ELSE '{UNKNOWN}' END"


def _grade_band(column: str) -> str:
    cases = " ".join(f"WHEN {column} IN ({_sql_list(grades)}) THEN '{band}'" for band, grades in GRADE_BANDS.items())
    return f"CASE {cases} END"


# The group dimensions of a student, as display labels, from the roster row `r` (missing -> Unknown).
_DEMOGRAPHICS = ",\n    ".join([
    f"coalesce(r.race, '{UNKNOWN}') AS race",
    f"coalesce(r.sex, '{UNKNOWN}') AS sex",
    *(f"{_flag_label('r.' + flag, flag)} AS {flag}"
      for flag in ("disability", "section_504", "english_learner", "low_income")),
])

_SCHOOL_NAMES = """
school_names AS (
    SELECT school_id, arg_max(school_name, dataset_id) AS school_name, arg_max(school_level, dataset_id) AS school_level
    FROM (
        SELECT dataset_id, school_id, school_name, school_level FROM schools
        UNION ALL
        SELECT dataset_id - 1000000000, school_id, school_name, NULL FROM enrollment WHERE school_name IS NOT NULL
        UNION ALL
        SELECT dataset_id - 2000000000, school_id, school_name, NULL FROM counts
        WHERE school_name IS NOT NULL AND school_id IS NOT NULL
    )
    GROUP BY school_id
)"""

_ROSTER = f"""
roster AS (
    SELECT * FROM enrollment
    QUALIFY row_number() OVER (PARTITION BY school_year, student_id ORDER BY dataset_id DESC, rowid DESC) = 1
),
{_SCHOOL_NAMES.strip()}"""

_EXCLUSIONARY = _sql_list(EXCLUSIONARY_ACTIONS)

# Per-student-year event flags: name -> condition on one row of the event table. Each becomes
# bool_or(condition) in the table's per-student aggregate and FALSE for students with no row.
REMOVAL_FLAGS = {
    "iss": "action = 'In-school suspension'",
    "oss": "action = 'Out-of-school suspension'",
    "expulsion": "action = 'Expulsion'",
    "law_enforcement_referral": "action = 'Law enforcement referral'",
    "school_arrest": "action = 'School-related arrest'",
    "exclusionary": f"action IN ({_EXCLUSIONARY})",
    "subjective_removal": f"action IN ({_EXCLUSIONARY}) AND offense_category = 'Subjective'",
    "objective_removal": f"action IN ({_EXCLUSIONARY}) AND offense_category = 'Objective'",
    "referred": "TRUE",  # any disciplinary action on file: the referral stage (discipline_stages)
}
COURSE_FLAGS = {
    "ap": "course_level = 'AP'",
    "ib": "course_level = 'IB'",
    "honors": "course_level = 'Honors'",
    "dual_credit": "course_level = 'Dual credit'",
    "algebra_1": "course_level = 'Algebra I'",
    "ap_exam_taken": "course_level = 'AP' AND exam_taken",
    "ap_exam_passed": "course_level = 'AP' AND exam_taken AND exam_score >= 3",
}
# Course marks (kind `marks`): a student with at least one mark that year, and with at least one failing mark.
MARK_FLAGS = {
    "has_marks": "TRUE",
    "failed_course": "upper(letter_mark) IN ('F', 'F+', 'F-')",
}
INTERVENTION_FLAGS = {
    "tier_2": "intervention = 'Tier 2'",
    "tier_3": "intervention = 'Tier 3'",
    "sped_referral": "intervention = 'Special education referral'",
    "gifted_screening": "intervention = 'Gifted screening'",
}
# Every event flag of the students' table (a store lacking one is rebuilt: storage/store.py).
STUDENT_YEAR_FLAGS: tuple[str, ...] = (*REMOVAL_FLAGS, *COURSE_FLAGS, *MARK_FLAGS, *INTERVENTION_FLAGS)


def _flag_aggregates(flags: dict[str, str]) -> str:
    return ",\n        ".join(f"bool_or({condition}) AS {name}" for name, condition in flags.items())


def _flag_columns(alias: str, flags: dict[str, str]) -> str:
    return ",\n    ".join(f"coalesce({alias}.{name}, FALSE) AS {name}" for name in flags)


# IDEA's discipline categories (34 CFR 300.647(b)(4)(ii)(A)-(D)): out-of-school suspensions and expulsions,
# and in-school suspensions, of 10 days or fewer and of more than 10 days in the year (days summed per student;
# a removal with no days recorded counts as 0 days). (E), removals in total, is the `exclusionary` flag.
IDEA_REMOVALS = {
    "idea_oss_expulsion_10_or_fewer": "d.oss_expulsion_days <= 10",
    "idea_oss_expulsion_over_10": "d.oss_expulsion_days > 10",
    "idea_iss_10_or_fewer": "d.iss_days <= 10",
    "idea_iss_over_10": "d.iss_days > 10",
}
_IDEA_REMOVALS = ",\n    ".join(f"coalesce({condition}, FALSE) AS {name}" for name, condition in IDEA_REMOVALS.items())


STUDENT_YEAR_SQL = f"""
CREATE OR REPLACE TABLE facts_student_year AS
WITH {_ROSTER.strip()},
removals AS (
    SELECT school_year, student_id,
        {_flag_aggregates(REMOVAL_FLAGS)},
        sum(CASE WHEN action IN ({_EXCLUSIONARY}) THEN coalesce(days_removed, 0) ELSE 0 END) AS days_removed,
        -- days of each kind of removal in the year, NULL for a student with none (IDEA's categories)
        sum(CASE WHEN action IN ('Out-of-school suspension', 'Expulsion') THEN coalesce(days_removed, 0) END)
            AS oss_expulsion_days,
        sum(CASE WHEN action = 'In-school suspension' THEN coalesce(days_removed, 0) END) AS iss_days
    FROM discipline GROUP BY ALL
),
course_flags AS (
    SELECT school_year, student_id,
        {_flag_aggregates(COURSE_FLAGS)}
    FROM courses GROUP BY ALL
),
mark_flags AS (
    SELECT school_year, student_id,
        {_flag_aggregates(MARK_FLAGS)}
    FROM marks GROUP BY ALL
),
special_ed AS (
    SELECT school_year, student_id, arg_max(disability_category, dataset_id) AS disability_category,
        arg_max(placement, dataset_id) AS placement
    FROM special_education GROUP BY ALL
),
intervention_flags AS (
    SELECT school_year, student_id,
        {_flag_aggregates(INTERVENTION_FLAGS)}
    FROM interventions GROUP BY ALL
)
SELECT
    r.school_year, r.student_id, r.school_id,
    coalesce(s.school_name, r.school_id) AS school, s.school_level,
    r.grade, {_grade_band('r.grade')} AS grade_band,
    {_DEMOGRAPHICS},
    r.disability AS has_iep,
    r.gifted AS gifted,
    -- grades in which the district identified anyone as gifted that year: the others cannot be identified
    coalesce(bool_or(r.gifted) OVER (PARTITION BY r.school_year, r.grade), FALSE) AS gifted_eligible,
    r.days_enrolled, r.days_absent,
    CASE WHEN r.days_enrolled > 0 AND r.days_absent IS NOT NULL
         THEN r.days_absent >= 0.1 * r.days_enrolled END AS chronic_absent,
    {_flag_columns('d', REMOVAL_FLAGS)},
    coalesce(d.days_removed, 0) AS days_removed,
    {_IDEA_REMOVALS},
    {_flag_columns('c', COURSE_FLAGS)},
    {_flag_columns('mk', MARK_FLAGS)},
    sp.disability_category, sp.placement,
    {_flag_columns('i', INTERVENTION_FLAGS)}
FROM roster r
LEFT JOIN school_names s USING (school_id)
LEFT JOIN removals d USING (school_year, student_id)
LEFT JOIN course_flags c USING (school_year, student_id)
LEFT JOIN mark_flags mk USING (school_year, student_id)
LEFT JOIN special_ed sp USING (school_year, student_id)
LEFT JOIN intervention_flags i USING (school_year, student_id)
"""

ASSESSMENT_SQL = f"""
CREATE OR REPLACE TABLE facts_assessment AS
WITH {_ROSTER.strip()}
SELECT
    a.school_year, a.student_id, coalesce(a.school_id, r.school_id) AS school_id,
    coalesce(s.school_name, a.school_id, r.school_id) AS school,
    coalesce(a.grade, r.grade) AS grade, {_grade_band('coalesce(a.grade, r.grade)')} AS grade_band,
    {_DEMOGRAPHICS},
    a.subject, a.scale_score, a.proficient
FROM assessments a
LEFT JOIN roster r USING (school_year, student_id)
LEFT JOIN school_names s ON s.school_id = coalesce(a.school_id, r.school_id)
"""

STAFF_SQL = f"""
CREATE OR REPLACE TABLE facts_staff AS
WITH {_SCHOOL_NAMES.strip()}
SELECT
    t.school_year, t.staff_id, t.school_id, coalesce(s.school_name, t.school_id, 'District office') AS school,
    coalesce(t.role, 'Other') AS role,
    coalesce(t.race, '{UNKNOWN}') AS race,
    coalesce(t.sex, '{UNKNOWN}') AS sex,
    t.separation_date IS NOT NULL AS separated,
    coalesce(t.promoted, FALSE) AS promoted,
    t.years_experience
FROM staff t
LEFT JOIN school_names s USING (school_id)
"""

APPLICANT_SQL = f"""
CREATE OR REPLACE TABLE facts_applicant AS
SELECT
    school_year, applicant_id, position,
    coalesce(race, '{UNKNOWN}') AS race,
    coalesce(sex, '{UNKNOWN}') AS sex,
    stage_reached IN ('Interviewed', 'Offered', 'Hired') AS interviewed,
    stage_reached IN ('Offered', 'Hired') AS offered,
    stage_reached = 'Hired' AS hired
FROM applicants
"""

SURVEY_SQL = f"""
CREATE OR REPLACE TABLE facts_survey AS
WITH {_SCHOOL_NAMES.strip()}
SELECT
    v.school_year, v.response_id, v.school_id, coalesce(s.school_name, v.school_id) AS school,
    v.respondent_type, v.grade, {_grade_band('v.grade')} AS grade_band,
    coalesce(v.race, '{UNKNOWN}') AS race,
    coalesce(v.sex, '{UNKNOWN}') AS sex,
    v.item_id, coalesce(v.construct, v.item_id) AS construct, v.response,
    v.response >= 4 AS favorable
FROM survey v
LEFT JOIN school_names s USING (school_id)
"""

# Aggregated counts, one row per school year x school x race x sex, one column per measure (students enrolled,
# students with at least one event). A measure is missing (NULL) where any of its parts is missing (a reserve
# code, a suppressed or fractional count) or where it exceeds the enrollment it is a share of; the rates then
# leave that school's group out of both numerator and denominator (see aggregate.rate_cells).
_EVENT_MEASURES = tuple(m for m in COUNT_MEASURES if m != "enrollment")
COUNTS_SQL = f"""
CREATE OR REPLACE TABLE facts_counts AS
WITH {_SCHOOL_NAMES.strip()},
cells AS (
    SELECT school_year, school_id, coalesce(race, '{UNKNOWN}') AS race, coalesce(sex, '{UNKNOWN}') AS sex, measure,
        CASE WHEN bool_and(count IS NOT NULL AND count = floor(count)) THEN CAST(sum(count) AS BIGINT) END AS count
    FROM counts GROUP BY ALL
),
wide AS (
    SELECT school_year, school_id, race, sex,
        {", ".join(f"max(count) FILTER (WHERE measure = '{m}') AS {m}" for m in COUNT_MEASURES)}
    FROM cells GROUP BY ALL
)
SELECT w.school_year, w.school_id, coalesce(s.school_name, w.school_id, 'Whole district') AS school, w.race, w.sex,
    w.enrollment,
    {", ".join(f"CASE WHEN w.{m} <= w.enrollment THEN w.{m} END AS {m}" for m in _EVENT_MEASURES)}
FROM wide w
LEFT JOIN school_names s USING (school_id)
"""


def rebuild_facts(cursor: duckdb.DuckDBPyConnection) -> None:
    """Rebuild every analysis table from the canonical tables (inside the caller's transaction)."""
    for sql in (STUDENT_YEAR_SQL, ASSESSMENT_SQL, STAFF_SQL, APPLICANT_SQL, SURVEY_SQL, COUNTS_SQL):
        cursor.execute(sql)
    rebuild_graduation(cursor)
