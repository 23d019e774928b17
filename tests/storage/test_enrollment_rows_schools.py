"""Several enrollment rows for one student in a year (issue 15): each school counts the students it enrolled and
the events that happened there; the district counts each student once, with every event of the year.

A hand-made roster: student S1 moved from Ash (A) to Birch (B) in January; an out-of-school suspension filed at
Birch, an in-school suspension with no school whose date falls in the Ash spell, an intervention dated in the
Birch spell and a course mark (no school, no date). S2 is at Ash only. S3 is on two schools' rosters, loaded
as two datasets (Ash's with no dates, Birch's a later file): enrolled at each; an older row repeating S3 at Birch
is a duplicate (the row imported last is used). S4's suspension names a school, Cedar, where the roster never
enrolled S4: it counts in the district's figures, at no school. Expected counts worked by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from equity_metrics.storage.facts import SOURCES, rebuild_facts, table_for
from equity_metrics.storage.store import Store

YEAR = "2023-24"
ROSTER = [  # dataset, student, school, race, days enrolled, days absent, entry, exit
    (1, "S3", "A", "Asian", 60, 1, None, None),  # Ash's roster (a dataset of its own)
    (1, "S3", "B", "Asian", 99, 9, "2023-08-21", None),  # repeated by dataset 2's row: not used
    (2, "S1", "A", "Black", 100, 5, "2023-08-21", "2024-01-12"),
    (2, "S1", "B", "White", 80, 10, "2024-01-16", None),  # the latest spell: S1's demographics
    (2, "S2", "A", "Hispanic/Latino", 180, 30, "2023-08-21", None),
    (2, "S3", "B", "Asian", 120, 0, "2023-08-21", None),
    (2, "S4", "A", "Black", 180, 2, "2023-08-21", None),
]
DISCIPLINE = [  # student, school, date, action
    ("S1", "B", "2024-02-01", "Out-of-school suspension"),
    ("S1", None, "2023-10-02", "In-school suspension"),  # no school: enrolled at Ash on that date
    ("S2", "A", "2023-11-01", "In-school suspension"),
    ("S4", "C", "2024-03-04", "Out-of-school suspension"),  # a school the roster never enrolled S4 at
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path: Path = tmp_path_factory.mktemp("rows") / "store.duckdb"
    store = Store(path)
    with store.transaction() as cursor:
        cursor.executemany(
            "INSERT INTO enrollment (dataset_id, school_year, student_id, school_id, grade, race, sex, days_enrolled, "
            "days_absent, entry_date, exit_date) VALUES (?, '2023-24', ?, ?, '7', ?, 'Female', ?, ?, ?, ?)", ROSTER)
        cursor.executemany("INSERT INTO discipline (dataset_id, school_year, student_id, school_id, incident_date, "
                           "action) VALUES (3, '2023-24', ?, ?, ?, ?)", DISCIPLINE)
        cursor.execute("INSERT INTO interventions (dataset_id, school_year, student_id, intervention, referral_date) "
                       "VALUES (4, '2023-24', 'S1', 'Tier 2', DATE '2024-03-01')")
        cursor.execute("INSERT INTO marks (dataset_id, school_year, student_id, section_id, letter_mark) "
                       "VALUES (5, '2023-24', 'S1', 'M7-1', 'F')")
        rebuild_facts(cursor)
    yield store
    store.close()


def _counts(store: Store, table: str, by_school: bool) -> dict:
    keys = "school_id" if by_school else "'district'"
    frame = store.query(
        f"SELECT {keys} AS unit, count(*) AS students, count_if(oss) AS oss, count_if(iss) AS iss, "
        f"count_if(exclusionary) AS removed, count_if(tier_2) AS tier_2, count_if(failed_course) AS failed "
        f"FROM {table} WHERE school_year = '{YEAR}' GROUP BY ALL ORDER BY 1")
    return {row.unit: (row.students, row.oss, row.iss, row.removed, row.tier_2, row.failed)
            for row in frame.itertuples()}


def test_each_school_counts_its_students_and_the_events_that_happened_there(store: Store) -> None:
    # (students, OSS, ISS, any removal, tier 2, failed a course)
    assert _counts(store, "facts_student_school_year", by_school=True) == {
        "A": (4, 0, 2, 2, 0, 0),  # S1 (ISS dated in the Ash spell), S2 (ISS), S3, S4 (its OSS was at Cedar)
        "B": (2, 1, 0, 1, 1, 1),  # S1 (OSS filed at Birch, tier 2 dated there, mark at the latest school), S3
    }


def test_the_district_counts_each_student_once_with_every_event(store: Store) -> None:
    assert _counts(store, "facts_student_year", by_school=False) == {"district": (4, 2, 2, 3, 1, 1)}
    # the district is not the sum of its schools: S1 and S3 are in both
    assert store.scalar("SELECT count(*) FROM facts_student_school_year") == 6


def test_days_are_each_schools_and_summed_for_the_district(store: Store) -> None:
    schools = store.query("SELECT school_id, days_enrolled, days_absent, race, chronic_absent FROM "
                          "facts_student_school_year WHERE student_id = 'S1' ORDER BY school_id")
    # chronically absent at Birch (10 of 80 days), not at Ash (5 of 100) nor in the district (15 of 180)
    assert schools.values.tolist() == [["A", 100.0, 5.0, "White", False], ["B", 80.0, 10.0, "White", True]]
    district = store.query("SELECT school_id, days_enrolled, days_absent, race, chronic_absent FROM "
                           "facts_student_year WHERE student_id = 'S1'")
    assert district.values.tolist() == [["B", 180.0, 15.0, "White", False]]


def test_two_schools_rosters_are_two_enrollments_and_a_repeated_row_counts_once(store: Store) -> None:
    rows = store.query("SELECT school_id, days_enrolled, days_absent FROM facts_student_school_year "
                       "WHERE student_id = 'S3' ORDER BY school_id")
    assert rows.values.tolist() == [["A", 60.0, 1.0], ["B", 120.0, 0.0]]
    district = store.query("SELECT school_id, days_enrolled, days_absent FROM facts_student_year "
                           "WHERE student_id = 'S3'")
    assert district.values.tolist() == [["B", 180.0, 1.0]]  # Birch: the spell with an entry date is the latest


def test_school_figures_read_the_school_table() -> None:
    students = SOURCES["student_year"]
    assert table_for(students, by_school=True) == "facts_student_school_year"
    assert table_for(students, by_school=False) == "facts_student_year"
    assert table_for(SOURCES["staff"], by_school=True) == "facts_staff"
    assert list(SOURCES["student_school_year"].dimensions) == list(students.dimensions)


def test_the_two_tables_have_the_same_columns(store: Store) -> None:
    def columns(table: str) -> list[str]:
        return store.query("SELECT column_name FROM information_schema.columns WHERE table_name = $t "
                           "ORDER BY ordinal_position", {"t": table})["column_name"].tolist()

    assert columns("facts_student_school_year") == columns("facts_student_year")
