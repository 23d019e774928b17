"""The graduation analysis table: published cohort counts (`graduation`) as one row per student of a cohort.

A graduation file gives each group separately (all students, each race, each sex, ...), never crossed, so the
students of a school's cohort are split one way: by race. Per school and school year, the races the file gives
with known counts, and the rest of the cohort (other races, and groups whose counts the file suppressed) with no
race (NULL): the rest is never a row of its own (the protected tables count it only in the totals), yet all of
them add up to the school's whole cohort, so every student is counted once and a group is compared with "all
other students", the rest included. One row per student (`range` in SQL) lets every rate
indicator, the protected tables and the disclosure control work on graduation as on any other students.

What is counted:
- Only the latest dataset holding a key (school year, cohort label, school, group).
- A key given more than once with different numbers is not counted at all (which row is right cannot be told);
  exact copies count once. The import report says how many of each (`duplicate_lines`).
- A cell with its cohort or graduates missing (suppressed: 's', '*', '<10'), fractional, or with more graduates
  than students is left out, cohort included: never read as 0.
- One cohort label per school year: the plain year ('2006') before its variants ('2006 Aug', the same students
  counted after the summer), which are stored but not counted.
- A school whose races add up to more than its cohort (or its graduates) is counted whole, with no race.
"""

from __future__ import annotations

import duckdb

from equity_metrics.core.codes import ALL_STUDENTS
from equity_metrics.core.constants import RACE_LABELS

_RACES = ", ".join("'" + label.replace("'", "''") + "'" for label in RACE_LABELS)
_VERSION = ("concat_ws('|', coalesce(CAST(cohort_count AS VARCHAR), '-'), coalesce(CAST(graduates AS VARCHAR), '-'), "
            "coalesce(CAST(still_enrolled AS VARCHAR), '-'), coalesce(CAST(dropped_out AS VARCHAR), '-'))")
_KEYS = "school_year, coalesce(cohort, school_year), school_id, student_group"

GRADUATION_SQL = f"""
CREATE OR REPLACE TABLE facts_graduation AS
WITH latest AS (
    SELECT *, coalesce(cohort, school_year) AS label FROM graduation
    QUALIFY dataset_id = max(dataset_id) OVER (PARTITION BY {_KEYS})
),
keyed AS (
    SELECT school_year, label, school_id, student_group, count(DISTINCT {_VERSION}) AS versions,
        any_value(cohort_count) AS n, any_value(graduates) AS g
    FROM latest GROUP BY ALL
),
chosen AS (
    SELECT school_year,
        arg_min(label, CASE WHEN regexp_full_match(label, '(19|20)[0-9][0-9]') THEN '0' ELSE '1' END || label) AS label
    FROM keyed GROUP BY ALL
),
cells AS (
    SELECT k.school_year, k.school_id, k.student_group, CAST(k.n AS BIGINT) AS n, CAST(k.g AS BIGINT) AS g
    FROM keyed k JOIN chosen USING (school_year, label)
    WHERE k.versions = 1 AND k.n IS NOT NULL AND k.g IS NOT NULL AND k.n = floor(k.n) AND k.g = floor(k.g)
        AND k.g <= k.n
),
totals AS (SELECT school_year, school_id, n, g FROM cells WHERE student_group = '{ALL_STUDENTS}'),
races AS (SELECT school_year, school_id, student_group AS race, n, g FROM cells WHERE student_group IN ({_RACES})),
sums AS (SELECT school_year, school_id, sum(n) AS n, sum(g) AS g FROM races GROUP BY ALL),
fits AS (
    SELECT t.school_year, t.school_id, t.n, t.g, coalesce(s.n, 0) AS race_n, coalesce(s.g, 0) AS race_g,
        t.n >= coalesce(s.n, 0) AND t.g >= coalesce(s.g, 0) AND t.g - coalesce(s.g, 0) <= t.n - coalesce(s.n, 0) AS fit
    FROM totals t LEFT JOIN sums s USING (school_year, school_id)
),
parts AS (
    SELECT r.school_year, r.school_id, r.race, r.n, r.g
    FROM races r LEFT JOIN fits f USING (school_year, school_id) WHERE coalesce(f.fit, TRUE)
    UNION ALL
    SELECT school_year, school_id, NULL, CASE WHEN fit THEN n - race_n ELSE n END,
        CASE WHEN fit THEN g - race_g ELSE g END
    FROM fits
),
names AS (
    SELECT school_id, arg_max(trim(regexp_replace(school_name, '[\\s\u00a0]+', ' ', 'g')), dataset_id) AS school_name
    FROM graduation WHERE school_name IS NOT NULL GROUP BY ALL
)
SELECT p.school_year, p.school_id, coalesce(nullif(m.school_name, ''), p.school_id) AS school, p.race,
    t.i < p.g AS graduated
FROM parts p
CROSS JOIN LATERAL range(CAST(p.n AS BIGINT)) AS t(i)
LEFT JOIN names m USING (school_id)
"""


def rebuild_graduation(cursor: duckdb.DuckDBPyConnection) -> None:
    """Rebuild facts_graduation (inside the caller's transaction)."""
    cursor.execute(GRADUATION_SQL)


def duplicate_lines(cursor: duckdb.DuckDBPyConnection, table: str, good: str) -> list[str]:
    """The import report's lines on repeated keys (school year, cohort, school, group) of a staged graduation
    table: exact copies (counted once) and keys given with different numbers (not counted), with examples."""
    copies, conflicts, examples = cursor.execute(
        f"SELECT coalesce(sum(n - versions) FILTER (WHERE versions = 1), 0), count(*) FILTER (WHERE versions > 1), "
        f"list(label || ' ' || school_id || ' ' || student_group ORDER BY school_id, label, student_group) "
        f"FILTER (WHERE versions > 1)[1:3] "
        f"FROM (SELECT school_id, student_group, coalesce(cohort, school_year) AS label, count(*) AS n, "
        f"count(DISTINCT {_VERSION}) AS versions FROM {table} WHERE {good} GROUP BY school_year, label, school_id, "
        f"student_group HAVING count(*) > 1)"
    ).fetchone()
    out = []
    if copies:
        out.append(f"{int(copies):,} rows repeat another row exactly (same school, cohort, group and numbers): "
                   "counted once.")
    if conflicts:
        listed = "; ".join(examples or [])
        out.append(f"{int(conflicts):,} school x cohort x group keys are given more than once with different numbers "
                   f"(e.g. {listed}): which is right cannot be told, so none of their rows is counted (they stay "
                   "stored).")
    return out
