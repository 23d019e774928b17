"""Issue 13, leftovers: more shapes of real exports, each written to a real file (CSV, and .xlsx where Excel
matters), imported from the command line into a blank store and read back from the store: the value stored,
not the guess reported, is what is checked.

- A header over two rows whose lower labels name the columns on their own ("Student Information" over
  "Student ID", "Demographics" over "Gender"): the lower labels are used where the joined names are no known
  column name, and the report says the header was two rows.
- A course-enrolment file with course names and no course level: the level is read from the name (AP, IB,
  dual enrollment, Algebra I, honors, else general), said in the reasons, and the AP enrolment rate counts them.
- Excel dates stored as plain serial numbers (45550 is 2024-09-15, the 1900 date system) in a date column
  are read as dates, said in the reasons; numbers outside 2000-2040 are not dates.
- A roster whose IDs mix widths ("1200" beside "0001201"): the IDs are kept as written and the report says so,
  with how to export them as text.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import openpyxl
import pytest
from fixtures.command_line import run_cli as cli

from equity_metrics.storage.store import Store


def write(path: Path, rows: list[list[object]]) -> Path:
    """`rows` as a CSV file or the first sheet of an .xlsx workbook (blank cells left empty, numbers as numbers)."""
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append([None if cell == "" else cell for cell in row])
        book.save(path)
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    return path


def imported(tmp_path: Path, path: Path, *options: str) -> tuple[Path, str]:
    db = tmp_path / "store.duckdb"
    if not db.exists():
        Store(db).close()
    code, out, err = cli("import", str(path), "--db", str(db), *options)
    assert code == 0, err
    return db, out


def stored(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# ---- a header over two rows whose lower labels are the column names ----------------------------------------
GROUPED = [["Student Information", "", "", "Demographics", "", ""],
           ["Student ID", "School Code", "Grade", "Race/Ethnicity", "Gender", "School Year"],
           ["0001001", "0101", "05", "White", "F", "2024-25"],
           ["0001002", "0101", "05", "Black", "M", "2024-25"],
           ["0001003", "0102", "06", "Asian", "F", "2024-25"],
           ["0001004", "0102", "06", "Hispanic", "M", "2024-25"]]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_two_row_header_whose_lower_labels_name_the_columns(tmp_path: Path, suffix: str) -> None:
    db, out = imported(tmp_path, write(tmp_path / f"roster.{suffix}", GROUPED))
    assert "4 of 4 rows imported as Enrollment roster" in out
    assert "The header spans rows 1 and 2" in out
    assert "'Student ID', 'School Code', 'Grade', 'Race/Ethnicity', 'Gender', 'School Year' named by that label alone" \
        in out
    assert stored(db, "SELECT school_year, student_id, school_id, grade, race, sex FROM enrollment ORDER BY 2") == [
        ("2024-25", "0001001", "0101", "5", "White", "Female"),
        ("2024-25", "0001002", "0101", "5", "Black or African American", "Male"),
        ("2024-25", "0001003", "0102", "6", "Asian", "Female"),
        ("2024-25", "0001004", "0102", "6", "Hispanic or Latino", "Male")]


def test_the_dry_run_names_the_columns_by_their_lower_labels(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    Store(db).close()
    code, out, err = cli("import", str(write(tmp_path / "roster.csv", GROUPED)), "--db", str(db), "--dry-run")
    assert code == 0, err
    assert "kind enrollment" in out
    assert "student_id: 'Student ID': the header is a name for student id" in out
    assert "sex: 'Gender': the header is a name for sex" in out


def test_lower_labels_repeated_under_two_groups_keep_the_joined_names(tmp_path: Path) -> None:
    """"Fall" and "Spring" over "Scale Score" each: the label alone would name two columns, so both join."""
    rows = [["", "", "", "Fall", "", "Spring"],
            ["Student ID", "School Code", "Subject", "Scale Score", "", "Scale Score"],
            *[[f"000100{i}", "0101", "Math", str(2400 + i), "", str(2450 + i)] for i in range(4)]]
    from equity_metrics.ingest.readers import read_source

    source = read_source(write(tmp_path / "scores.csv", rows))
    assert source.columns[:3] == ["Student ID", "School Code", "Subject"]
    assert "Fall Scale Score" in source.columns and "Spring Scale Score" in source.columns


# ---- course levels from course names ------------------------------------------------------------------------
RACES = {"White": 20, "Black": 12, "Hispanic": 16, "Asian": 24}  # race -> students in an AP course, of 40 each
OTHER_COURSES = ["IB Math HL", "Honors English 10", "Dual Enrollment College Algebra", "Algebra I", "English 9"]


def course_files(tmp_path: Path) -> tuple[Path, Path]:
    """A roster of 160 students in grades 9-12 (40 of each race) and their course enrolments, course names only:
    the first RACES[race] students of each race take "AP Biology" (and half of them "Honors English 10" too),
    the others one of OTHER_COURSES in turn."""
    roster = [["Student ID", "School Code", "Grade", "Race", "Gender"]]
    courses = [["Student ID", "School Code", "Course Name"]]
    for r, (race, in_ap) in enumerate(RACES.items()):
        for i in range(40):
            sid = f"{r + 1}{i:03d}"
            roster.append([sid, "0101", str(9 + i % 4), race, "FM"[i % 2]])
            if i < in_ap:
                courses.append([sid, "0101", "AP Biology"])
                if i % 2:
                    courses.append([sid, "0101", "Honors English 10"])
            else:
                courses.append([sid, "0101", OTHER_COURSES[i % len(OTHER_COURSES)]])
    return write(tmp_path / "roster_2024-25.csv", roster), write(tmp_path / "courses_2024-25.csv", courses)


def test_the_course_level_is_read_off_the_course_name(tmp_path: Path) -> None:
    roster, courses = course_files(tmp_path)
    db, _ = imported(tmp_path, roster)
    db, out = imported(tmp_path, courses)
    assert "rows imported as Course enrollments" in out
    assert "the columns hold course level (read from 'Course Name')" in out
    assert "course_level: from the course names in 'Course Name' (no course level column)" in out
    assert stored(db, "SELECT course_name, course_level, count(*) FROM courses GROUP BY ALL ORDER BY 1") == [
        ("AP Biology", "AP", 72), ("Algebra I", "Algebra I", 18), ("Dual Enrollment College Algebra", "Dual credit", 18),
        ("English 9", "General", 19), ("Honors English 10", "Honors", 36 + 17), ("IB Math HL", "IB", 16)]


def test_ap_enrollment_counts_the_students_of_ap_courses_named_so(tmp_path: Path) -> None:
    roster, courses = course_files(tmp_path)
    imported(tmp_path, roster)
    db, _ = imported(tmp_path, courses)
    code, out, err = cli("rates", "ap_enrollment", "--by", "race", "--format", "csv", "--db", str(db))
    assert code == 0, err
    rows = {row["race"]: (int(row["denominator"]), int(row["numerator"])) for row in csv.DictReader(io.StringIO(out))}
    assert rows == {"White": (40, 20), "Black or African American": (40, 12), "Hispanic or Latino": (40, 16),
                    "Asian": (40, 24)}


@pytest.mark.parametrize("name, level", [
    ("AP Biology", "AP"), ("A.P. U.S. History", "AP"), ("IB Math HL", "IB"), ("Honors English 10", "Honors"),
    ("Pre-AP English 9", "Honors"), ("Hon. Chemistry", "Honors"), ("Dual Enrollment College Algebra", "Dual credit"),
    ("Dual Credit English 1301", "Dual credit"), ("Algebra I", "Algebra I"), ("Honors Algebra 1", "Algebra I"),
    ("Algebra II", "General"), ("Apparel Design", "General"), ("Dual Language Spanish", "General"),
])
def test_course_name_levels_in_python_and_sql_agree(name: str, level: str) -> None:
    from equity_metrics.core.codes import course_level_of_name
    from equity_metrics.ingest.field_sql import course_level_from_name_sql

    assert course_level_of_name(name) == level
    with duckdb.connect() as connection:
        assert connection.execute(f"SELECT {course_level_from_name_sql('$1')}", [name]).fetchone()[0] == level


# ---- Excel serial dates --------------------------------------------------------------------------------------
SERIALS = [45550, 45551.5, 45600, 45900, 36526, 51501]  # 2024-09-15 ... 2025-08-31, 2000-01-01, 2040-12-31


def incidents(serials: list[object]) -> list[list[object]]:
    return [["Student ID", "School Code", "Incident Date", "Action"],
            *[[f"000{1200 + i}", "0101", serial, "OSS"] for i, serial in enumerate(serials)]]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_excel_serial_dates_are_read_as_dates(tmp_path: Path, suffix: str) -> None:
    db, out = imported(tmp_path, write(tmp_path / f"incidents.{suffix}", incidents(SERIALS)))
    assert "6 of 6 rows imported as Discipline actions" in out
    assert ("incident_date: 'Incident Date': the header is a name for incident date, and its values fit; its numbers "
            "are Excel serial dates (45550 is 2024-09-15, the 1900 date system)") in out
    assert "school year from the dates in 'Incident Date'" in out
    assert stored(db, "SELECT student_id, CAST(incident_date AS VARCHAR), school_year FROM discipline ORDER BY 1") == [
        ("0001200", "2024-09-15", "2024-25"), ("0001201", "2024-09-16", "2024-25"),
        ("0001202", "2024-11-04", "2024-25"), ("0001203", "2025-08-31", "2025-26"),
        ("0001204", "2000-01-01", "1999-00"), ("0001205", "2040-12-31", "2040-41")]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_serial_numbers_outside_2000_to_2040_are_rejected_naming_the_column(tmp_path: Path, suffix: str) -> None:
    serials = [45550, 36525, 45551, 45552, 45553, 51502, 45554, 45555, 45556, 45600]  # 8 of 10 dates: the column fits
    db, out = imported(tmp_path, write(tmp_path / f"incidents.{suffix}", incidents(serials)))
    assert "8 of 10 rows imported" in out
    assert ("Rejected 2 rows: no school year: 'Incident Date' holds no date ('36525', '51502'; a number is a date "
            "only as an Excel serial date from 1 Jan 2000 to 31 Dec 2040) (rows 3, 7).") in out
    assert stored(db, "SELECT CAST(incident_date AS VARCHAR) FROM discipline ORDER BY student_id") == [
        ("2024-09-15",), ("2024-09-16",), ("2024-09-17",), ("2024-09-18",), ("2024-09-19",), ("2024-09-20",),
        ("2024-09-21",), ("2024-11-04",)]


def test_serial_dates_beside_a_year_column_are_dates_too(tmp_path: Path) -> None:
    serials = [45550, 45551, 45552, 45553, 12]
    rows = [[*incidents([])[0], "School Year"], *[[*row, "2024-25"] for row in incidents(serials)[1:]]]
    db, out = imported(tmp_path, write(tmp_path / "incidents.xlsx", rows))
    assert "Values not usable in incident_date (not a count or date, negative, or impossible), stored as missing: " \
        "'12' x1." in out
    assert stored(db, "SELECT CAST(incident_date AS VARCHAR), school_year FROM discipline ORDER BY student_id") == [
        ("2024-09-15", "2024-25"), ("2024-09-16", "2024-25"), ("2024-09-17", "2024-25"), ("2024-09-18", "2024-25"),
        (None, "2024-25")]


# ---- IDs of mixed widths in the roster itself ------------------------------------------------------------------
def mixed_roster(numbers: bool) -> list[list[object]]:
    """Twelve students; every third ID lost its leading zeros (1200 for 0001200), as a number when `numbers`."""
    rows: list[list[object]] = [["Student ID", "School Code", "Grade", "Race", "Gender"]]
    for i in range(12):
        sid: object = (1200 + i if numbers else str(1200 + i)) if i % 3 == 0 else f"000{1200 + i}"
        rows.append([sid, "0101", "05", "White", "F"])
    return rows


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_roster_mixing_id_widths_says_so_and_keeps_the_ids(tmp_path: Path, suffix: str) -> None:
    db, out = imported(tmp_path, write(tmp_path / f"roster_2024-25.{suffix}", mixed_roster(suffix == "xlsx")))
    assert ("Student IDs mix widths: 4 are shorter than 7 digits ('1200') while 8 are written with leading zeros "
            "('0001201'); a spreadsheet probably stored some as numbers and dropped their zeros. The IDs are stored "
            "as written (1200 and 0001200 are different students here). Export them as text (in Excel, format the "
            "column as Text) and import the file again.") in out
    assert [sid for (sid,) in stored(db, "SELECT student_id FROM enrollment ORDER BY student_id")] == [
        "0001201", "0001202", "0001204", "0001205", "0001207", "0001208", "0001210", "0001211",
        "1200", "1203", "1206", "1209"]


def test_ids_of_one_width_or_without_zeros_say_nothing(tmp_path: Path) -> None:
    padded = [mixed_roster(False)[0], *[[f"000{1200 + i}", "0101", "05", "White", "F"] for i in range(12)]]
    db, out = imported(tmp_path, write(tmp_path / "roster_2024-25.csv", padded))
    assert "mix widths" not in out
    plain = [padded[0], *[[str(900 + i * 50), "0101", "05", "White", "F"] for i in range(12)]]  # 900 ... 1450
    db, out = imported(tmp_path, write(tmp_path / "roster_2025-26.csv", plain))
    assert "mix widths" not in out
