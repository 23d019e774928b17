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
        # the same students, one row per school attended: what a school's figures count (see SCHOOL_TABLES)
        Source("student_school_year", "facts_student_school_year", "students (at each school attended)",
               STUDENT_DIMENSIONS, ("enrollment",)),
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

# Sources whose district rows count a person once while a person may belong to several schools: a school's
# figures (a school split or a school filter) are counted over this table, the district's over the source's own.
# A student enrolled at two schools in a year is then in each school's students and once in the district's, so
# the district is not the sum of its schools for such students (see docs/methods.md).
SCHOOL_TABLES = {"student_year": "facts_student_school_year"}


def table_for(source: Source, by_school: bool) -> str:
    """The table a source's figures are counted over: per school (`by_school`: split or filtered by school) the
    school table where the source has one, else the source's own."""
    return SCHOOL_TABLES.get(source.name, source.table) if by_school else source.table


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

def _days_cte(name: str, keys: str) -> str:
    """Days enrolled and absent summed over the spells per `keys` (missing when any spell lacks them)."""
    return (f"{name} AS (SELECT {keys}, "
            "CASE WHEN count(days_enrolled) = count(*) THEN sum(days_enrolled) END AS days_enrolled, "
            "CASE WHEN count(days_absent) = count(*) THEN sum(days_absent) END AS days_absent "
            "FROM spells GROUP BY ALL)")


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

# A student's enrollments in a year, from every dataset (a roster per school, or one for the district: the
# importer refuses a student, school and year stored already, ingest/same_keys.py): one *spell* per school and
# entry date (rows repeating one are duplicates: the row imported last is used). `main` is the student's latest
# spell (latest entry date, else the row imported last): the student's demographics (one race, one grade in a
# year, whichever school reports it) and the school of the district's row. `roster` is the district's row (days
# summed over the spells, missing if any spell lacks them); `school_roster` one row per school the student
# attended, with that school's days.
_ROSTER = f"""
spells AS (
    SELECT *, rowid AS row_order FROM enrollment
    QUALIFY row_number() OVER (PARTITION BY school_year, student_id, school_id, entry_date
                               ORDER BY dataset_id DESC, rowid DESC) = 1
),
main AS (
    SELECT * FROM spells
    QUALIFY row_number() OVER (PARTITION BY school_year, student_id
                               ORDER BY entry_date DESC NULLS LAST, dataset_id DESC, row_order DESC) = 1
),
{_days_cte("district_days", "school_year, student_id")},
{_days_cte("school_days", "school_year, student_id, school_id")},
roster AS (
    SELECT m.* EXCLUDE (days_enrolled, days_absent), d.days_enrolled, d.days_absent
    FROM main m JOIN district_days d USING (school_year, student_id)
),
school_roster AS (
    SELECT m.* EXCLUDE (school_id, school_name, days_enrolled, days_absent), d.school_id, d.days_enrolled,
        d.days_absent
    FROM main m JOIN school_days d USING (school_year, student_id)
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


# Where each student event happened: (table, its school column, its date column), None where it has none.
_EVENT_TABLES = {
    "discipline": ("school_id", "incident_date"),
    "courses": ("school_id", None),
    "marks": (None, None),
    "interventions": (None, "referral_date"),
}


def _placed(table: str) -> str:
    """The CTE `<table>_placed`: every row of an event table with `at_school`, the school it counts at: its own
    school when the row names one (where it happened), else the school where the student was enrolled on its
    date (the spell that began last on or before it and had not ended), else the student's latest school."""
    school, date = _EVENT_TABLES[table]
    own = f"e.{school}" if school else "NULL"
    if date is None:
        return (f"{table}_placed AS (SELECT e.*, coalesce({own}, m.school_id) AS at_school FROM {table} e "
                "LEFT JOIN main m ON m.school_year = e.school_year AND m.student_id = e.student_id)")
    return (f"{table}_placed AS (SELECT e.*, coalesce({own}, CASE WHEN s.exit_date IS NULL OR s.exit_date >= e.{date} "
            f"THEN s.school_id END, m.school_id) AS at_school FROM {table} e "
            "ASOF LEFT JOIN (SELECT school_year, student_id, school_id, entry_date, exit_date FROM spells "
            "WHERE entry_date IS NOT NULL) s ON s.school_year = e.school_year AND s.student_id = e.student_id "
            f"AND e.{date} >= s.entry_date "
            "LEFT JOIN main m ON m.school_year = e.school_year AND m.student_id = e.student_id)")


def _event_ctes(by_school: bool) -> str:
    """The per-student (per student and school, with `by_school`) event aggregates: removals, course, mark and
    intervention flags, special education; each event of a student's school row is one placed there."""
    keys = "school_year, student_id" + (", at_school AS school_id" if by_school else "")

    def source(table: str) -> str:
        return f"{table}_placed" if by_school else table

    placed = "".join(f"{_placed(t)},\n" for t in _EVENT_TABLES) if by_school else ""
    return f"""{placed}removals AS (
    SELECT {keys},
        {_flag_aggregates(REMOVAL_FLAGS)},
        sum(CASE WHEN action IN ({_EXCLUSIONARY}) THEN coalesce(days_removed, 0) ELSE 0 END) AS days_removed,
        -- days of each kind of removal in the year, NULL for a student with none (IDEA's categories)
        sum(CASE WHEN action IN ('Out-of-school suspension', 'Expulsion') THEN coalesce(days_removed, 0) END)
            AS oss_expulsion_days,
        sum(CASE WHEN action = 'In-school suspension' THEN coalesce(days_removed, 0) END) AS iss_days
    FROM {source("discipline")} GROUP BY ALL
),
course_flags AS (SELECT {keys}, {_flag_aggregates(COURSE_FLAGS)} FROM {source("courses")} GROUP BY ALL),
mark_flags AS (SELECT {keys}, {_flag_aggregates(MARK_FLAGS)} FROM {source("marks")} GROUP BY ALL),
intervention_flags AS (
    SELECT {keys}, {_flag_aggregates(INTERVENTION_FLAGS)} FROM {source("interventions")} GROUP BY ALL
),
special_ed AS (
    SELECT school_year, student_id, arg_max(disability_category, dataset_id) AS disability_category,
        arg_max(placement, dataset_id) AS placement
    FROM special_education GROUP BY ALL
)"""


def _student_sql(table: str, by_school: bool) -> str:
    """CREATE the students' table: one row per student-year (the district's: every event of the year, wherever
    it happened), or with `by_school` one row per student, school and year (the events placed at that school,
    the days at that school); the same columns, the student's demographics the same in both."""
    rows = "school_roster" if by_school else "roster"
    using = "school_year, student_id" + (", school_id" if by_school else "")
    return f"""
CREATE OR REPLACE TABLE {table} AS
WITH {_ROSTER.strip()},
{_event_ctes(by_school)}
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
FROM {rows} r
LEFT JOIN school_names s USING (school_id)
LEFT JOIN removals d USING ({using})
LEFT JOIN course_flags c USING ({using})
LEFT JOIN mark_flags mk USING ({using})
LEFT JOIN special_ed sp USING (school_year, student_id)
LEFT JOIN intervention_flags i USING ({using})
"""


STUDENT_YEAR_SQL = _student_sql("facts_student_year", by_school=False)
# One row per student, school and year: a student enrolled at two schools in a year is counted in each school's
# students (and once in the district's: facts_student_year); an event counts at the school where it happened.
STUDENT_SCHOOL_YEAR_SQL = _student_sql("facts_student_school_year", by_school=True)

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
    v.response >= 4 AS favorable,
    -- the respondent's answers and favourable answers that year, in all and on this construct: the cluster
    -- sums of a test clustered by respondent are sums of these over a cell's answers (respondent_sums_sql)
    count(v.response) OVER respondent AS respondent_answers,
    count_if(v.response >= 4) OVER respondent AS respondent_favorable,
    count(v.response) OVER on_construct AS construct_answers,
    count_if(v.response >= 4) OVER on_construct AS construct_favorable
FROM survey v
LEFT JOIN school_names s USING (school_id)
WINDOW respondent AS (PARTITION BY v.school_year, v.respondent_type, v.response_id),
    on_construct AS (PARTITION BY v.school_year, v.respondent_type, v.response_id, coalesce(v.construct, v.item_id))
"""


def respondent_sums_sql(population: str, within_construct: str = "FALSE") -> tuple[str, str, str]:
    """SQL aggregates over facts_survey's answers giving a cell's cluster sums over its respondents i (y_i
    favourable answers of m_i): sum y_i^2, sum y_i*m_i, sum m_i^2 (measures.respondents.CLUSTER_SUMS). Each is a
    sum over answers: sum m_i^2 adds m_i once per answer of i, the others once per favourable answer.
    `within_construct` (SQL on the group, e.g. "GROUPING(construct) = 0"): the cell is one construct's answers,
    each respondent's counts then that construct's."""
    def chosen(construct: str, respondent: str, condition: str) -> str:
        def total(column: str) -> str:
            return f"coalesce(sum({column}) FILTER (WHERE {condition}), 0)"
        return f"CASE WHEN {within_construct} THEN {total(construct)} ELSE {total(respondent)} END"

    favorable = f"({population}) AND favorable"
    return (chosen("construct_favorable", "respondent_favorable", favorable),
            chosen("construct_answers", "respondent_answers", favorable),
            chosen("construct_answers", "respondent_answers", f"({population})"))


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
    for sql in (STUDENT_YEAR_SQL, STUDENT_SCHOOL_YEAR_SQL, ASSESSMENT_SQL, STAFF_SQL, APPLICANT_SQL, SURVEY_SQL, COUNTS_SQL):
        cursor.execute(sql)
    rebuild_graduation(cursor)
