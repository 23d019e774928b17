"""Benchmark: the whole audit (every rate indicator x race, by school and year) on a large synthetic district.

    python benchmarks/bench_audit.py [--rows 1000000] [--runs 5]

Builds a store of N student-year rows (with discipline, courses, assessments in proportion) directly in
DuckDB, then times, as medians over several runs: rebuilding the analysis tables, the whole audit, one
indicator by race, and one score-gap table. Peak memory (max RSS) of the process is reported too.
Not part of the test suite: speed is shown here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

from equity_metrics import analysis
from equity_metrics.aggregate import Filters
from equity_metrics.facts import rebuild_facts
from equity_metrics.store import Store, bump_data_version

RACES = ["Hispanic or Latino", "American Indian or Alaska Native", "Asian", "Black or African American",
         "Native Hawaiian or Other Pacific Islander", "White", "Two or more races"]


def build(store: Store, rows: int) -> None:
    """Fill the canonical tables with `rows` student-years (3 years, 60 schools), all in SQL."""
    students = rows // 3
    race_case = " ".join(f"WHEN h < {cut} THEN '{race}'" for cut, race in
                         zip([30, 31, 37, 57, 58, 96, 100], RACES, strict=True))
    with store.transaction() as cursor:
        cursor.execute(f"""
            INSERT INTO enrollment
            SELECT 1, y.school_year, lpad(CAST(s.i AS VARCHAR), 8, '0'),
                   lpad(CAST(s.i % 60 AS VARCHAR), 4, '0'), 'School ' || CAST(s.i % 60 AS VARCHAR),
                   CAST((s.i + y.k) % 13 AS VARCHAR) , CASE {race_case} END,
                   CASE WHEN hash(s.i, 1) % 2 = 0 THEN 'Female' ELSE 'Male' END,
                   hash(s.i, 2) % 100 < 14, hash(s.i, 3) % 100 < 3, hash(s.i, 4) % 100 < 12,
                   hash(s.i, 5) % 100 < 45, hash(s.i, 6) % 100 < 7, 180, hash(s.i, y.k, 7) % 30
            FROM (SELECT range AS i, hash(range) % 100 AS h FROM range({students})) s,
                 (VALUES ('2022-23', 0), ('2023-24', 1), ('2024-25', 2)) y(school_year, k)
        """)
        cursor.execute("UPDATE enrollment SET grade = 'K' WHERE grade = '0'")
        cursor.execute("""
            INSERT INTO discipline
            SELECT 1, school_year, student_id, school_id, NULL, NULL, 'Defiance',
                   CASE WHEN hash(student_id, 9) % 2 = 0 THEN 'Subjective' ELSE 'Objective' END,
                   CASE hash(student_id, school_year, 8) % 4 WHEN 0 THEN 'In-school suspension'
                        WHEN 1 THEN 'Out-of-school suspension' WHEN 2 THEN 'Detention' ELSE 'Law enforcement referral' END,
                   1 + hash(student_id) % 5
            FROM enrollment
            WHERE hash(student_id, school_year, 10) % 100 < CASE WHEN race = 'Black or African American' THEN 24 ELSE 8 END
        """)
        cursor.execute("""
            INSERT INTO courses
            SELECT 1, school_year, student_id, school_id, 'AP101', 'AP Course', 'AP', TRUE, 1 + hash(student_id) % 5
            FROM enrollment WHERE grade IN ('9', '10', '11', '12') AND hash(student_id, school_year, 11) % 100 < 15
        """)
        cursor.execute("""
            INSERT INTO assessments
            SELECT 1, school_year, student_id, school_id, subject, grade,
                   2500 + (hash(student_id, subject, school_year) % 300) - 150, NULL,
                   hash(student_id, subject, school_year) % 300 > 160
            FROM enrollment, (VALUES ('Math'), ('Reading')) t(subject)
            WHERE grade IN ('3', '4', '5', '6', '7', '8', '10')
        """)
        rebuild_facts(cursor)
        bump_data_version(cursor)
    store.cursor().execute("CHECKPOINT")


def median_seconds(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "bench.duckdb") as store:
        start = time.perf_counter()
        build(store, args.rows)
        built = time.perf_counter() - start
        student_years = store.scalar("SELECT count(*) FROM facts_student_year")
        results = {
            "rebuild analysis tables": median_seconds(
                lambda: _rebuild(store), max(1, args.runs // 2)),
            "whole audit: every rate indicator x race, by school and year": median_seconds(
                lambda: analysis.audit(store, ("school_year", "school", "race")), args.runs),
            "one indicator (OSS) x race, latest year": median_seconds(
                lambda: analysis.rates(store, "oss", ["race"]), args.runs),
            "one score gap (math) x race, by school and year": median_seconds(
                lambda: analysis.gaps(store, "math_scale_score", ["school_year", "school", "race"], Filters()),
                args.runs),
        }
        audit_rows = len(analysis.audit(store, ("school_year", "school", "race")))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Machine: {platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"Student-year rows: {student_years:,} (built in {built:.1f} s); audit result rows: {audit_rows:,}")
    print("| measurement | median seconds |")
    print("|---|---|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.3f} |")
    print(f"Peak memory (max RSS of the process): {peak_mib:.0f} MiB")


def _rebuild(store: Store) -> None:
    with store.transaction() as cursor:
        rebuild_facts(cursor)


if __name__ == "__main__":
    main()
