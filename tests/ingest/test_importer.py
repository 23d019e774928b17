"""Imports end to end: real small files into an empty store, checked by reading the canonical tables back."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from equity_metrics.core.codes import normalise_school_year
from equity_metrics.ingest.importer import ImportRefusedError, ImportReport, Rejection, SourceSpec, import_sources
from equity_metrics.ingest.kinds import guess_mapping
from equity_metrics.ingest.mapping import Mapping, MappingError, Unpivot
from equity_metrics.ingest.readers import ReadError, read_source
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import CATALOG_TABLE, Store, delete_all, delete_dataset, quote_identifier

YEAR = {"school_year": "2024-25"}
HOSTILE_COLUMN = 'x"; DROP TABLE enrollment; --'
HOSTILE_VALUE = "'); DROP TABLE enrollment; --"


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def fetch(store: Store, sql: str, params: list[object] | None = None) -> list[tuple]:
    return store.cursor().execute(sql, params or []).fetchall()


def import_one(store: Store, path: Path, mapping: Mapping, sheet: str | None = None) -> ImportReport:
    (report,) = import_sources(store, [SourceSpec(path, mapping, sheet)])
    return report


def enrollment_mapping(**columns: str) -> Mapping:
    base = {"student_id": "sid", "school_id": "school", "grade": "grade"}
    return Mapping("enrollment", {**base, **columns}, constants=dict(YEAR))


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every table's full contents (sorted), keyed by table name."""
    names = [n for (n,) in fetch(store, "SELECT table_name FROM information_schema.tables ORDER BY table_name")]
    out = {}
    for name in names:
        rows = fetch(store, f"SELECT * FROM {quote_identifier(name)}")
        out[name] = sorted(rows, key=repr)
    return out


# ---- a realistic roster --------------------------------------------------------------------------------
ROSTER = """\
Student ID,School Code,School Name,Grade,Race/Ethnicity,Gender,IEP,504,ELL,FRL Status,Days Enrolled,Days Absent,Homeroom
000123,0042,Lincoln Elem,K,HI,F,Y,N,1,0,"1,234",12%,A1
000124,0042,Lincoln Elem,01,Black/African Am.,M,Yes,No,TRUE,1,180,NA,A1
000125,0042,Lincoln Elem,,WH,X,X,,FALSE,2,180,-,A1
000126,0042,Lincoln Elem,Grade 3,Martian,Q,maybe,0,0,9,180,*,A2
000127,0007,Washington MS,12.0,Declined,Non-binary,N,N,N,2,N/A,<10,A2
000128,0007,Washington MS,,TR,F,N,N,N,N,180,3,A2
000129,0007,Washington MS,13,Multiracial,F,N,N,N,Free,170,3,B1
"""


def test_enrollment_csv_end_to_end(empty_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    guessed = guess_mapping("enrollment", read_source(path).columns)
    report = import_one(empty_store, path, Mapping("enrollment", guessed.columns, constants=dict(YEAR)))

    assert fetch(empty_store, "SELECT * FROM enrollment ORDER BY student_id") == [
        (1, "2024-25", "000123", "0042", "Lincoln Elem", "K", "Hispanic or Latino", "Female",
         True, False, True, False, None, 1234.0, 12.0, None, None),
        (1, "2024-25", "000124", "0042", "Lincoln Elem", "1", "Black or African American", "Male",
         True, False, True, True, None, 180.0, None, None, None),
        (1, "2024-25", "000126", "0042", "Lincoln Elem", "3", None, None,
         None, False, False, None, None, 180.0, None, None, None),
        (1, "2024-25", "000127", "0007", "Washington MS", "12", "Unknown", "Nonbinary",
         False, False, False, True, None, None, None, None, None),
    ]
    assert report.source == "roster.csv"
    assert report.kind == "enrollment"
    assert report.dataset_id == 1
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (7, 4, 3)
    # row numbers are file rows with the header as row 1
    assert report.rejections == (
        Rejection("no grade", 2, (4, 7)),
        Rejection("unreadable grade ('13')", 1, (8,)),
    )
    assert report.unknown_codes == {
        "race": (("Martian", 1),),
        "sex": (("Q", 1),),
        "disability": (("maybe", 1),),
        "low_income": (("9", 1),),
    }
    assert report.columns_ignored == ("Homeroom",)
    assert report.duplicates == 0
    assert report.missing_share["gifted"] == 1.0
    assert report.missing_share["days_absent"] == 0.75
    assert report.missing_share["race"] == 0.25
    assert report.missing_share["student_id"] == 0.0
    assert report.lines() == [
        "roster.csv: 4 of 7 rows imported as Enrollment roster.",
        "Rejected 2 rows: no grade (rows 4, 7).",
        "Rejected 1 row: unreadable grade ('13') (row 8).",
        *(f"Values not recognised in {name}, stored as missing (shown as Unknown): {value!r} x1. To read them, say "
          f"what each means and import the file again: on the command line with --code {name}:VALUE=CANONICAL and "
          "--replace, on the Data page under \"Codes this tool does not know\" (then replace the dataset)."
          for name, value in (("race", "Martian"), ("sex", "Q"), ("disability", "maybe"), ("low_income", "9"))),
        # statuses written as words: how each value was read (every row read, rejected ones too)
        "Read sex from 'Gender': 'F' as Female x3; 'M' as Male x1; 'Non-binary' as Nonbinary x1; 'X' as Nonbinary x1.",
        "Read low_income from 'FRL Status': '2' as Yes x2; '0' as No x1; '1' as Yes x1; 'Free' as Yes x1; 'N' as No x1.",
        "Columns ignored: Homeroom.",
    ]
    catalog = fetch(empty_store, f"SELECT dataset_id, name, kind, source_file, sheet, file_size, rows_read, "
                                 f"rows_imported, is_sample FROM {CATALOG_TABLE}")
    assert catalog == [(1, "roster.csv", "enrollment", "roster.csv", None, path.stat().st_size, 7, 4, False)]
    assert Mapping.from_json(fetch(empty_store, f"SELECT mapping_json FROM {CATALOG_TABLE}")[0][0]).columns == (
        guessed.columns
    )
    # the derived table shows labels, with missing values as Unknown
    assert fetch(empty_store, "SELECT student_id, school, grade, grade_band, race, sex, disability, low_income "
                              "FROM facts_student_year ORDER BY student_id") == [
        ("000123", "Lincoln Elem", "K", "Elementary (PK-5)", "Hispanic or Latino", "Female",
         "Students with disabilities", "Not low income"),
        ("000124", "Lincoln Elem", "1", "Elementary (PK-5)", "Black or African American", "Male",
         "Students with disabilities", "Low income"),
        ("000126", "Lincoln Elem", "3", "Elementary (PK-5)", "Unknown", "Unknown", "Unknown", "Unknown"),
        ("000127", "Washington MS", "12", "High (9-12)", "Unknown", "Nonbinary",
         "Students without disabilities", "Low income"),
    ]


MARKERS = ["NA", "N/A", "n/a", "-", "--", "*", ".", "NULL", "#N/A", "None", "<10", "< 5", "", "   "]


def test_missing_and_suppressed_markers_are_null(empty_store: Store, tmp_path: Path) -> None:
    rows = [["sid", "school", "grade", "absent", "name", "race"]]
    rows += [[f"{i:03d}", "0042", "K", marker, marker, marker] for i, marker in enumerate(MARKERS)]
    report = import_one(empty_store, write_csv(tmp_path / "m.csv", rows),
                        enrollment_mapping(days_absent="absent", school_name="name", race="race"))
    assert fetch(empty_store, "SELECT days_absent, school_name, race FROM enrollment") == [(None, None, None)] * len(
        MARKERS
    )
    assert report.rows_imported == len(MARKERS)
    assert report.unknown_codes == {}


NUMBERS = [("12%", 12.0), ("1,234", 1234.0), ("1,234.5", 1234.5), (" 7 ", 7.0), ("0", 0.0), ("3.50", 3.5),
           ("100 %", 100.0)]


def test_numbers_written_as_text(empty_store: Store, tmp_path: Path) -> None:
    rows = [["sid", "school", "grade", "enrolled"]] + [[f"{i:03d}", "0042", "K", raw] for i, (raw, _) in
                                                        enumerate(NUMBERS)]
    report = import_one(empty_store, write_csv(tmp_path / "n.csv", rows), enrollment_mapping(days_enrolled="enrolled"))
    assert fetch(empty_store, "SELECT days_enrolled FROM enrollment ORDER BY student_id") == [(v,) for _, v in NUMBERS]
    assert report.unknown_codes == {}


def test_unreadable_numbers_are_listed(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "n.csv", [["sid", "school", "grade", "enrolled"], ["001", "0042", "K", "abc"],
                                          ["002", "0042", "K", "abc"], ["003", "0042", "K", "$5"]])
    report = import_one(empty_store, path, enrollment_mapping(days_enrolled="enrolled"))
    assert fetch(empty_store, "SELECT days_enrolled FROM enrollment") == [(None,)] * 3
    assert report.unknown_codes == {"days_enrolled": (("abc", 2), ("$5", 1))}


def test_negative_counts_are_missing_and_reported(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "n.csv", [["sid", "school", "grade", "enrolled"], ["001", "0042", "K", "-2"]])
    report = import_one(empty_store, path, enrollment_mapping(days_enrolled="enrolled"))
    assert fetch(empty_store, "SELECT days_enrolled FROM enrollment") == [(None,)]
    assert ("Values not usable in days_enrolled (not a count or date, negative, or impossible), stored as missing: "
            "'-2' x1.") in report.lines()


def test_leading_zeros_kept_in_every_text_field(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "z.csv", [["sid", "school", "grade"], ["000123", "0042", "01"],
                                          ["0000000007", "00", "00"]])
    import_one(empty_store, path, enrollment_mapping())
    assert fetch(empty_store, "SELECT student_id, school_id, grade FROM enrollment ORDER BY student_id") == [
        ("0000000007", "00", "K"),
        ("000123", "0042", "1"),
    ]


# ---- discipline: dates, actions, categories --------------------------------------------------------------
DISCIPLINE = """Incident ID,Student ID,School Year,School Code,Incident Date,Offense,Offense Type,Action,Days Removed
I1,001,2024-25,0042,09/03/2024,Defiance,S,OSS,1.5
I2,001,2024-2025,0042,2024-09-04,Fighting,O,ISS,1
I3,002,2024/25,0042,9/5/2024,Fighting,Objective,Expelled,
I4,002,2025,0042,13/05/2024,Disruption,Subjective,Detention,0
I5,003,2024-25,0042,2024-10-01 08:15:00,Fighting,Obj,Nap,
I6,003,2024-26,0042,10/01/2024,Fighting,Obj,OSS,
"""


def test_discipline_dates_codes_and_required_action(empty_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text(DISCIPLINE, encoding="utf-8")
    mapping = guess_mapping("discipline", read_source(path).columns)
    report = import_one(empty_store, path, mapping)
    assert fetch(empty_store, "SELECT school_year, student_id, school_id, incident_id, incident_date, offense, "
                              "offense_category, action, days_removed FROM discipline ORDER BY incident_id") == [
        ("2024-25", "001", "0042", "I1", dt.date(2024, 9, 3), "Defiance", "Subjective", "Out-of-school suspension",
         1.5),
        ("2024-25", "001", "0042", "I2", dt.date(2024, 9, 4), "Fighting", "Objective", "In-school suspension", 1.0),
        ("2024-25", "002", "0042", "I3", dt.date(2024, 9, 5), "Fighting", "Objective", "Expulsion", None),
        ("2024-25", "002", "0042", "I4", None, "Disruption", "Subjective", "Other", 0.0),
    ]
    assert report.rejections == (
        Rejection("unreadable school year ('2024-26')", 1, (7,)),
        Rejection("unreadable action ('Nap')", 1, (6,)),
    )
    assert report.unknown_codes == {"incident_date": (("13/05/2024", 1),)}
    assert report.columns_ignored == ()


def test_custom_date_format(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "eu.csv", [["sid", "action", "date"], ["1", "OSS", "03/09/2024"],
                                           ["2", "OSS", "2024-09-30"]])
    mapping = Mapping("discipline", {"student_id": "sid", "action": "action", "incident_date": "date"},
                      constants=dict(YEAR), date_format="%d/%m/%Y")
    import_one(empty_store, path, mapping)
    assert fetch(empty_store, "SELECT student_id, incident_date FROM discipline ORDER BY student_id") == [
        ("1", dt.date(2024, 9, 3)),
        ("2", dt.date(2024, 9, 30)),
    ]


def test_two_digit_year_is_not_stored_as_year_24(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [["sid", "action", "date"], ["1", "OSS", "09/03/24"]])
    mapping = Mapping("discipline", {"student_id": "sid", "action": "action", "incident_date": "date"},
                      constants=dict(YEAR))
    import_one(empty_store, path, mapping)
    # either read correctly, or stored as missing (and reported); never silently in year 24 AD
    assert fetch(empty_store, "SELECT incident_date FROM discipline") in ([(dt.date(2024, 9, 3),)], [(None,)])


def test_school_year_in_sql_matches_python(empty_store: Store, tmp_path: Path) -> None:
    values = ["2023-24", "2023-2024", "2023/24", "2023/2024", "2024", " 2023 - 24 ", "1999-2000", "2023-25",
              "23-24", "FY24"]
    rows = [["sid", "year"]] + [[str(i), value] for i, value in enumerate(values)]
    path = write_csv(tmp_path / "years.csv", rows)
    report = import_one(empty_store, path, Mapping("special_education", {"student_id": "sid", "school_year": "year"}))
    stored = dict(fetch(empty_store, "SELECT student_id, school_year FROM special_education"))
    assert {values[int(k)]: v for k, v in stored.items()} == {
        v: normalise_school_year(v) for v in values if normalise_school_year(v) is not None
    }
    assert report.rejections == (Rejection("unreadable school year ('2023-25', '23-24', 'FY24')", 3, (9, 10, 11)),)


def test_school_year_with_en_dash_imports_like_python(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "years.csv", [["sid", "year"], ["1", "2023–24"]])
    import_one(empty_store, path, Mapping("special_education", {"student_id": "sid", "school_year": "year"}))
    assert fetch(empty_store, "SELECT school_year FROM special_education") == [(normalise_school_year("2023–24"),)]


def test_placement_code_less_than_40(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sped.csv", [["sid", "lre"], ["1", "<40%"]])
    import_one(empty_store, path, Mapping("special_education", {"student_id": "sid", "placement": "lre"},
                                          constants=dict(YEAR)))
    assert fetch(empty_store, "SELECT placement FROM special_education") == [("Regular class less than 40%",)]


def test_x_or_blank_flag_column(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["sid", "school", "grade", "iep", "ell"], ["1", "0042", "K", "X", "Y"],
                                          ["2", "0042", "K", "", ""], ["3", "0042", "K", "X", "N"]])
    report = import_one(empty_store, path, enrollment_mapping(disability="iep", english_learner="ell"))
    # IEP is marked only with X: blank means no. ELL uses Y/N: its blank stays missing.
    assert fetch(empty_store, "SELECT student_id, disability, english_learner FROM enrollment ORDER BY student_id") == [
        ("1", True, True), ("2", False, None), ("3", True, False),
    ]
    assert "Marked only with X, so blanks read as No: disability." in report.lines()


# ---- workbooks -------------------------------------------------------------------------------------------
def test_xlsx_import_with_title_rows_and_sheet(empty_store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Nothing to see"])
    sheet = book.create_sheet("Discipline")
    sheet.append(["Springfield discipline export, fall 2024"])
    sheet.append(["Student ID", "Year", "Date", "Action", "Days", "School", "Offense"])
    sheet.append(["000123", "2024-25", dt.date(2024, 9, 3), "OSS", 2, 42, HOSTILE_VALUE])
    sheet.append(["000124", "2024-25", dt.datetime(2024, 10, 1, 8, 15), "ISS", 0.5, "0042", "Defiance"])
    sheet.append(["000125", "2024-25", "09/05/2024", "Expelled", "NA", None, "Fighting"])
    sheet.append(["000126", 2025, "09/06/2024", None, 1, "0042", "Fighting"])
    path = tmp_path / "discipline.xlsx"
    book.save(path)
    mapping = Mapping("discipline", {"student_id": "Student ID", "school_year": "Year", "incident_date": "Date",
                                     "action": "Action", "days_removed": "Days", "school_id": "School",
                                     "offense": "Offense"}, header_row=1)
    report = import_one(empty_store, path, mapping, sheet="Discipline")
    assert fetch(empty_store, "SELECT student_id, school_year, incident_date, action, days_removed, school_id, offense "
                              "FROM discipline ORDER BY student_id") == [
        ("000123", "2024-25", dt.date(2024, 9, 3), "Out-of-school suspension", 2.0, "42", HOSTILE_VALUE),
        ("000124", "2024-25", dt.date(2024, 10, 1), "In-school suspension", 0.5, "0042", "Defiance"),
        ("000125", "2024-25", dt.date(2024, 9, 5), "Expulsion", None, None, "Fighting"),
    ]
    assert report.source == "discipline.xlsx, sheet 'Discipline'"
    assert report.rejections == (Rejection("no action", 1, (6,)),)
    assert fetch(empty_store, f"SELECT name, source_file, sheet FROM {CATALOG_TABLE}") == [
        ("discipline.xlsx, sheet 'Discipline'", "discipline.xlsx", "Discipline"),
    ]


def test_xlsx_enrollment_with_numbers_and_booleans(empty_store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Student ID", "School", "Grade", "ELL", "Days Enrolled"])
    sheet.append(["000123", "0042", 1, True, 180])
    sheet.append([12345, 42, "KG", False, 172.5])
    sheet.append(["000125", "0042", 12.0, 1, "1,234"])
    book.save(tmp_path / "roster.xlsx")
    mapping = Mapping("enrollment", {"student_id": "Student ID", "school_id": "School", "grade": "Grade",
                                     "english_learner": "ELL", "days_enrolled": "Days Enrolled"},
                      constants={"school_year": "2025"})
    import_one(empty_store, tmp_path / "roster.xlsx", mapping)
    assert fetch(empty_store, "SELECT school_year, student_id, school_id, grade, english_learner, days_enrolled "
                              "FROM enrollment ORDER BY student_id") == [
        ("2024-25", "000123", "0042", "1", True, 180.0),
        ("2024-25", "000125", "0042", "12", True, 1234.0),
        ("2024-25", "12345", "42", "K", False, 172.5),
    ]


# ---- rejections, unknown codes, duplicates, ignored columns ----------------------------------------------
def test_rejection_rows_count_title_rows_and_list_first_five(empty_store: Store, tmp_path: Path) -> None:
    lines = ["Roster export", "Printed 09/03/2024", "sid,school,grade"]
    lines += [f"{i:03d},0042,{'' if i % 2 else 'K'}" for i in range(1, 15)]
    path = tmp_path / "titled.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_one(empty_store, path, Mapping("enrollment", {"student_id": "sid", "school_id": "school",
                                                                  "grade": "grade"}, constants=dict(YEAR),
                                                   header_row=2))
    # header on file row 3; students 001, 003, ... (odd) have no grade: rows 4, 6, 8, ...
    assert report.rejections == (Rejection("no grade", 7, (4, 6, 8, 10, 12)),)
    assert (report.rows_read, report.rows_imported) == (14, 7)
    assert "Rejected 7 rows: no grade (rows 4, 6, 8, 10, 12, ...)." in report.lines()


def test_row_missing_two_required_fields_appears_under_both(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [["sid", "school", "grade"], ["001", "", ""], ["002", "0042", "K"]])
    report = import_one(empty_store, path, enrollment_mapping())
    assert report.rejections == (Rejection("no school id", 1, (2,)), Rejection("no grade", 1, (2,)))
    assert report.rows_rejected == 1


def test_unknown_codes_listed_with_counts_most_common_first(empty_store: Store, tmp_path: Path) -> None:
    races = ["Martian", "Zorg", "Alien", "Martian", "Alien", "W", "Martian", "Alien", HOSTILE_VALUE]
    rows = [["sid", "school", "grade", "race"]] + [[f"{i:03d}", "0042", "K", r] for i, r in enumerate(races)]
    report = import_one(empty_store, write_csv(tmp_path / "u.csv", rows), enrollment_mapping(race="race"))
    assert report.unknown_codes == {"race": (("Alien", 3), ("Martian", 3), (HOSTILE_VALUE, 1), ("Zorg", 1))}
    assert fetch(empty_store, "SELECT race, count(*) FROM enrollment GROUP BY ALL ORDER BY ALL") == [
        ("White", 1), (None, 8),
    ]


def test_duplicates_counted(empty_store: Store, tmp_path: Path) -> None:
    rows = [["sid", "school", "grade"], ["001", "0042", "K"], ["002", "0042", "5"], ["001", "0042", "1"],
            ["001", "0042", "2"], ["003", "0042", "3"], ["003", "0042", "3"]]
    report = import_one(empty_store, write_csv(tmp_path / "dup.csv", rows), enrollment_mapping())
    assert report.duplicates == 3
    assert report.rows_imported == 6  # duplicates are stored; the report warns about them
    assert "3 duplicate rows (same key, e.g. student and school year); the row imported last is used." in report.lines()
    assert fetch(empty_store, "SELECT count(*) FROM facts_student_year") == [(3,)]


def test_same_student_in_two_years_is_not_a_duplicate(empty_store: Store, tmp_path: Path) -> None:
    rows = [["sid", "school", "grade", "year"], ["001", "0042", "K", "2023-24"], ["001", "0042", "1", "2024-25"]]
    mapping = Mapping("enrollment", {"student_id": "sid", "school_id": "school", "grade": "grade",
                                     "school_year": "year"})
    assert import_one(empty_store, write_csv(tmp_path / "two.csv", rows), mapping).duplicates == 0


def test_last_duplicate_is_the_one_used(empty_store: Store, tmp_path: Path) -> None:
    rows = [["sid", "school", "grade"], ["001", "0042", "K"], ["002", "0042", "5"], ["001", "0042", "2"]]
    import_one(empty_store, write_csv(tmp_path / "dup.csv", rows), enrollment_mapping())
    assert fetch(empty_store, "SELECT grade FROM facts_student_year WHERE student_id = '001'") == [("2",)]


def test_columns_ignored_in_file_order(empty_store: Store, tmp_path: Path) -> None:
    rows = [["Notes", "sid", "Homeroom", "school", "grade", "Teacher"], ["x", "001", "A1", "0042", "K", "Ms. B"]]
    report = import_one(empty_store, write_csv(tmp_path / "i.csv", rows), enrollment_mapping())
    assert report.columns_ignored == ("Notes", "Homeroom", "Teacher")
    assert report.lines()[-1] == "Columns ignored: Notes, Homeroom, Teacher."


# ---- unpivot and constants -----------------------------------------------------------------------------
SURVEY = """Response ID,Type,School,Grade,Q1,Q2,Q3
R1,Student,0042,05,5,4,
R2,Parent,0042,,1,,3
R3,Staff,0042,,NA,2,4
"""


def test_unpivot_wide_survey(empty_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(SURVEY, encoding="utf-8")
    mapping = Mapping(
        "survey",
        {"response_id": "Response ID", "respondent_type": "Type", "school_id": "School", "grade": "Grade"},
        constants=dict(YEAR),
        unpivot=Unpivot(columns=("Q1", "Q2", "Q3"), name_field="item_id", value_field="response",
                        names={"Q1": "I feel safe at school", "Q2": "I belong here"}, category_field="construct",
                        categories={"Q1": "Safety", "Q2": "Belonging"}),
    )
    report = import_one(empty_store, path, mapping)
    assert fetch(empty_store, "SELECT school_year, response_id, school_id, respondent_type, grade, item_id, "
                              "construct, response FROM survey ORDER BY response_id, item_id") == [
        ("2024-25", "R1", "0042", "Student", "5", "I belong here", "Belonging", 4.0),
        ("2024-25", "R1", "0042", "Student", "5", "I feel safe at school", "Safety", 5.0),
        ("2024-25", "R2", "0042", "Family", None, "I feel safe at school", "Safety", 1.0),
        ("2024-25", "R2", "0042", "Family", None, "Q3", None, 3.0),
        ("2024-25", "R3", "0042", "Staff", None, "I belong here", "Belonging", 2.0),
        ("2024-25", "R3", "0042", "Staff", None, "Q3", None, 4.0),
    ]
    # a blank answer, like an 'NA' one, is a row with no response: rejected with its file row, never dropped
    assert (report.rows_read, report.rows_imported) == (9, 6)
    assert report.rejections == (Rejection("no response", 3, (2, 3, 4)),)
    assert report.columns_ignored == ()
    assert fetch(empty_store, "SELECT item_id, construct, favorable FROM facts_survey WHERE response_id = 'R3' "
                              "ORDER BY item_id") == [("I belong here", "Belonging", False), ("Q3", "Q3", True)]


def test_unpivot_without_names_keeps_column_names(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["rid", "type", "Q1", "Q2"], ["R1", "S", "5", "4"]])
    mapping = Mapping("survey", {"response_id": "rid", "respondent_type": "type"}, constants={"school_year": "2024"},
                      unpivot=Unpivot(columns=("Q1", "Q2"), name_field="item_id", value_field="response",
                                      category_field="construct"))
    import_one(empty_store, path, mapping)
    assert fetch(empty_store, "SELECT school_year, respondent_type, item_id, construct, response FROM survey "
                              "ORDER BY item_id") == [
        ("2023-24", "Student", "Q1", None, 5.0),
        ("2023-24", "Student", "Q2", None, 4.0),
    ]


def test_constants_fill_every_row(empty_store: Store, tmp_path: Path) -> None:
    rows = [["sid", "school", "grade"]] + [[f"{i:03d}", "0042", "K"] for i in range(5)]
    mapping = Mapping("enrollment", {"student_id": "sid", "grade": "grade"},
                      constants={"school_year": "2023/2024", "school_id": "0099", "school_name": "Lincoln"})
    report = import_one(empty_store, write_csv(tmp_path / "c.csv", rows), mapping)
    assert fetch(empty_store, "SELECT DISTINCT school_year, school_id, school_name FROM enrollment") == [
        ("2023-24", "0099", "Lincoln"),
    ]
    assert report.rows_imported == 5
    assert report.columns_ignored == ("school",)


def test_constant_that_is_not_a_school_year_rejects_every_row(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["sid", "school", "grade"], ["001", "0042", "K"]])
    mapping = Mapping("enrollment", {"student_id": "sid", "school_id": "school", "grade": "grade"},
                      constants={"school_year": "next year"})
    with pytest.raises(ImportRefusedError) as raised:
        import_sources(empty_store, [SourceSpec(path, mapping)])
    assert str(raised.value) == "c.csv: no row could be imported (unreadable school year ('next year') in 1 rows)"
    assert empty_store.is_empty()


# ---- errors before anything is stored ----------------------------------------------------------------------
def test_missing_required_mapping_names_the_file(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [["sid", "school"], ["001", "0042"]])
    with pytest.raises(MappingError, match=r"^r\.csv: no column mapped to required field 'grade'$"):
        import_sources(empty_store, [SourceSpec(path, Mapping("enrollment", {"student_id": "sid",
                                                                             "school_id": "school"},
                                                              constants=dict(YEAR)))])


def test_mapped_column_absent_from_file(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [["sid", "school", "Grade Level"], ["001", "0042", "K"]])
    with pytest.raises(MappingError, match=r"^r\.csv: no column named 'grade'$"):
        import_sources(empty_store, [SourceSpec(path, enrollment_mapping())])


def test_empty_csv_cannot_be_imported(empty_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ReadError, match=r"^empty\.csv: the file is empty \(0 bytes\)$"):
        import_sources(empty_store, [SourceSpec(path, enrollment_mapping())])
    assert empty_store.is_empty()


def test_header_only_csv_imports_nothing(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", [["sid", "school", "grade"]])
    with pytest.raises(ImportRefusedError) as raised:
        import_sources(empty_store, [SourceSpec(path, enrollment_mapping())])
    assert str(raised.value) == "h.csv: no row could be imported (the table is empty)"
    assert empty_store.is_empty()


# ---- atomicity ---------------------------------------------------------------------------------------------
def _good_roster(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "good.csv", [["sid", "school", "grade"], ["001", "0042", "K"], ["002", "0042", "3"]])


@pytest.mark.parametrize("failure", ["mapping", "all_rejected", "unreadable_file", "unknown_kind"])
def test_failed_import_leaves_store_exactly_as_it_was(tmp_path: Path, failure: str) -> None:
    db = tmp_path / "store.duckdb"
    good = _good_roster(tmp_path)
    with Store(db) as store:
        import_one(store, good, enrollment_mapping())
        store.cursor().execute("CHECKPOINT")
    before_bytes = db.read_bytes()

    bad_rows = write_csv(tmp_path / "bad.csv", [["sid", "school", "grade"], ["009", "0042", ""], ["010", "", "K"]])
    second, error, message = {
        "mapping": (SourceSpec(good, Mapping("enrollment", {"student_id": "sid", "school_id": "school"},
                                             constants=dict(YEAR))),
                    MappingError, r"^good\.csv: no column mapped to required field 'grade'$"),
        "all_rejected": (SourceSpec(bad_rows, enrollment_mapping()), ImportRefusedError,
                         r"^bad\.csv: no row could be imported \(no school id in 1 rows; no grade in 1 rows\)$"),
        "unreadable_file": (SourceSpec(tmp_path / "missing.xlsx", enrollment_mapping()), ReadError,
                            r"^missing\.xlsx: cannot be read as a workbook"),
        "unknown_kind": (SourceSpec(good, Mapping("nonsense", {})), MappingError, r"^good\.csv: unknown kind"),
    }[failure]
    # the first table is fine (and of another kind); the second fails, so neither may be stored
    discipline = write_csv(tmp_path / "disc.csv", [["sid", "action"], ["001", "OSS"]])
    first = SourceSpec(discipline, Mapping("discipline", {"student_id": "sid", "action": "action"},
                                           constants=dict(YEAR)))

    with Store(db) as store:
        before = snapshot(store)
        version = store.data_version()
        with pytest.raises(error, match=message):
            import_sources(store, [first, second])
        assert snapshot(store) == before
        assert store.data_version() == version
        assert store.kind_rows() == {**dict.fromkeys(KINDS, 0), "enrollment": 2}
        assert not fetch(store, "SELECT * FROM information_schema.tables WHERE table_name LIKE '%import%'")
    assert db.read_bytes() == before_bytes
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("store")) == ["store.duckdb"]


# ---- hostile names and values ------------------------------------------------------------------------------
def test_hostile_column_names_and_values_are_data(empty_store: Store, tmp_path: Path) -> None:
    quote_column = "q'1"
    path = write_csv(tmp_path / "o'brien\";--.csv", [
        ["sid", "school", HOSTILE_COLUMN, "grade", quote_column],
        ["001", "0042", HOSTILE_VALUE, "K", "3"],
        ["002", "0042", 'Robert"); DROP TABLE students;--', "1", "4"],
    ])
    source = read_source(path)
    assert source.columns == ["sid", "school", HOSTILE_COLUMN, "grade", quote_column]
    mapping = enrollment_mapping(school_name=HOSTILE_COLUMN)
    report = import_one(empty_store, path, mapping)
    assert all(empty_store.table_exists(kind) for kind in KINDS)
    assert empty_store.table_exists(CATALOG_TABLE)
    assert fetch(empty_store, "SELECT student_id, school_name FROM enrollment ORDER BY student_id") == [
        ("001", HOSTILE_VALUE),
        ("002", 'Robert"); DROP TABLE students;--'),
    ]
    assert report.columns_ignored == (quote_column,)
    assert fetch(empty_store, f"SELECT name, source_file FROM {CATALOG_TABLE}") == [
        ("o'brien\";--.csv", "o'brien\";--.csv"),
    ]
    stored_mapping = Mapping.from_json(fetch(empty_store, f"SELECT mapping_json FROM {CATALOG_TABLE}")[0][0])
    assert stored_mapping == mapping
    # the school name shows up as data in the analysis table (last dataset's name per school wins)
    schools = fetch(empty_store, "SELECT DISTINCT school FROM facts_student_year")
    assert len(schools) == 1
    assert schools[0][0] in (HOSTILE_VALUE, 'Robert"); DROP TABLE students;--')


def test_hostile_unpivot_names_categories_and_constants(empty_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["rid", "type", HOSTILE_COLUMN, "q'1"], ["R1", "Student", "4", "5"]])
    unpivot = Unpivot(columns=(HOSTILE_COLUMN, "q'1"), name_field="item_id", value_field="response",
                      names={HOSTILE_COLUMN: HOSTILE_VALUE}, category_field="construct",
                      categories={"q'1": HOSTILE_VALUE})
    bad_constant = Mapping("survey", {"response_id": "rid", "respondent_type": "type"},
                           constants={"school_year": HOSTILE_VALUE}, unpivot=unpivot)
    with pytest.raises(ImportRefusedError) as raised:
        import_sources(empty_store, [SourceSpec(path, bad_constant)])
    assert str(raised.value) == (
        f"s.csv: no row could be imported (unreadable school year ({HOSTILE_VALUE!r}) in 2 rows)"
    )
    mapping = Mapping("survey", {"response_id": "rid", "respondent_type": "type"},
                      constants={"school_year": "2024-25", "school_id": HOSTILE_VALUE}, unpivot=unpivot)
    import_one(empty_store, path, mapping)
    assert fetch(empty_store, "SELECT school_id, item_id, construct, response FROM survey ORDER BY response") == [
        (HOSTILE_VALUE, HOSTILE_VALUE, None, 4.0),
        (HOSTILE_VALUE, "q'1", HOSTILE_VALUE, 5.0),
    ]
    assert all(empty_store.table_exists(kind) for kind in KINDS)


# ---- data version and deleting -------------------------------------------------------------------------------
def test_data_version_changes_on_every_change(empty_store: Store, tmp_path: Path) -> None:
    good = _good_roster(tmp_path)
    assert empty_store.data_version() == "0"
    import_one(empty_store, good, enrollment_mapping())
    assert empty_store.data_version() == "1"
    with pytest.raises(MappingError):
        import_sources(empty_store, [SourceSpec(good, Mapping("enrollment", {}))])
    assert empty_store.data_version() == "1"
    with pytest.raises(ImportRefusedError, match="already loaded"):  # the same table twice would double-count
        import_one(empty_store, good, enrollment_mapping())
    assert empty_store.data_version() == "1"
    other = write_csv(tmp_path / "other.csv", [["sid", "school", "grade"], ["009", "0042", "5"]])
    import_one(empty_store, other, Mapping("enrollment", {"student_id": "sid", "school_id": "school", "grade": "grade"},
                                           constants=dict(YEAR)))
    assert empty_store.data_version() == "2"
    delete_dataset(empty_store, 1)
    assert empty_store.data_version() == "3"
    delete_all(empty_store)
    assert empty_store.data_version() == "4"
    assert empty_store.is_empty()


def test_delete_dataset_removes_only_its_rows_and_rebuilds_facts(empty_store: Store, tmp_path: Path) -> None:
    roster = write_csv(tmp_path / "roster.csv", [["sid", "school", "grade"], ["001", "0042", "K"],
                                                 ["002", "0042", "3"], ["003", "0042", "7"]])
    incidents = write_csv(tmp_path / "incidents.csv", [["sid", "action", "days"], ["001", "OSS", "2"],
                                                       ["001", "ISS", "1"], ["002", "Detention", "1"]])
    older = write_csv(tmp_path / "older.csv", [["sid", "school", "grade"], ["001", "0042", "PK"]])
    discipline_mapping = Mapping("discipline", {"student_id": "sid", "action": "action", "days_removed": "days"},
                                 constants=dict(YEAR))
    reports = import_sources(empty_store, [
        SourceSpec(roster, enrollment_mapping()),
        SourceSpec(incidents, discipline_mapping),
        SourceSpec(older, Mapping("enrollment", {"student_id": "sid", "school_id": "school", "grade": "grade"},
                                  constants={"school_year": "2023-24"})),
    ])
    assert [r.dataset_id for r in reports] == [1, 2, 3]
    facts_sql = ("SELECT school_year, student_id, grade, oss, iss, exclusionary, days_removed FROM facts_student_year "
                 "ORDER BY school_year, student_id")
    assert fetch(empty_store, facts_sql) == [
        ("2023-24", "001", "PK", False, False, False, 0.0),
        ("2024-25", "001", "K", True, True, True, 3.0),
        ("2024-25", "002", "3", False, False, False, 0.0),
        ("2024-25", "003", "7", False, False, False, 0.0),
    ]

    delete_dataset(empty_store, 2)
    assert empty_store.kind_rows()["discipline"] == 0
    assert empty_store.kind_rows()["enrollment"] == 4
    assert [int(i) for i in empty_store.datasets()["dataset_id"]] == [3, 1]
    assert fetch(empty_store, facts_sql) == [
        ("2023-24", "001", "PK", False, False, False, 0.0),
        ("2024-25", "001", "K", False, False, False, 0.0),
        ("2024-25", "002", "3", False, False, False, 0.0),
        ("2024-25", "003", "7", False, False, False, 0.0),
    ]

    delete_dataset(empty_store, 1)
    assert fetch(empty_store, "SELECT dataset_id, student_id FROM enrollment") == [(3, "001")]
    assert fetch(empty_store, facts_sql) == [("2023-24", "001", "PK", False, False, False, 0.0)]

    delete_dataset(empty_store, 99)  # unknown id: nothing to remove
    assert fetch(empty_store, "SELECT count(*) FROM enrollment") == [(1,)]

    delete_all(empty_store)
    assert empty_store.is_empty()
    assert all(n == 0 for n in empty_store.kind_rows().values())
    for table in ("facts_student_year", "facts_assessment", "facts_staff", "facts_applicant", "facts_survey"):
        assert fetch(empty_store, f"SELECT count(*) FROM {table}") == [(0,)]


def test_event_rows_without_a_roster_record_are_counted_and_reported(empty_store: Store, tmp_path: Path) -> None:
    roster = write_csv(tmp_path / "roster.csv", [["sid", "school", "grade"], ["001", "0042", "K"], ["002", "0042", "3"]])
    incidents = write_csv(tmp_path / "incidents.csv", [["sid", "action"], ["001", "OSS"], ["009", "OSS"], ["009", "ISS"],
                                                       ["010", "EXP"]])
    reports = import_sources(empty_store, [
        SourceSpec(roster, Mapping("enrollment", {"student_id": "sid", "school_id": "school", "grade": "grade"},
                                   constants=dict(YEAR))),
        SourceSpec(incidents, Mapping("discipline", {"student_id": "sid", "action": "action"}, constants=dict(YEAR))),
    ])
    assert reports[0].without_roster == 0  # a roster is not linked to itself
    assert (reports[1].without_roster, reports[1].students_without_roster) == (3, 2)
    assert ("3 rows (2 students) have no enrollment record for their school year: they are stored, but counted only "
            "once the roster that lists them is loaded.") in reports[1].lines()
    # Stored, not dropped; counted once the roster lists them.
    assert empty_store.scalar("SELECT count(*) FROM discipline") == 4
    assert empty_store.scalar("SELECT count(*) FILTER (WHERE oss) FROM facts_student_year") == 1


def test_race_from_the_two_question_form(empty_store: Store, tmp_path: Path) -> None:
    """Hispanic flag plus race flags and a race list -> the federal category (Hispanic of any race; else two or
    more races; else the one race; nothing known -> Unknown). Headers are recognised without a mapping file."""
    roster = write_csv(tmp_path / "roster.csv", [
        ["Student ID", "School", "Grade", "School Year", "Hispanic/Latino", "Race_White", "Race_Black", "Race_Asian",
         "Race_AmericanIndian"],
        ["001", "0042", "K", "2024-25", "Y", "Y", "N", "N", "N"],
        ["002", "0042", "1", "2024-25", "N", "Y", "Y", "N", "N"],
        ["003", "0042", "2", "2024-25", "N", "N", "Y", "N", "N"],
        ["004", "0042", "3", "2024-25", "N", "N", "N", "N", "N"],
        ["005", "0042", "4", "2024-25", "", "N", "N", "Y", "N"],
        ["006", "0042", "5", "2024-25", "No", "0", "0", "0", "1"],
    ])
    mapping = guess_mapping("enrollment", ["Student ID", "School", "Grade", "School Year", "Hispanic/Latino",
                                           "Race_White", "Race_Black", "Race_Asian", "Race_AmericanIndian"])
    assert mapping.race_questions is not None and "race" not in mapping.columns
    assert mapping.race_questions.hispanic == "Hispanic/Latino" and len(mapping.race_questions.flags) == 4
    import_one(empty_store, roster, mapping)
    races = empty_store.query("SELECT student_id, coalesce(race, 'NULL') AS race FROM enrollment ORDER BY 1")
    assert races["race"].tolist() == ["Hispanic or Latino", "Two or more races", "Black or African American", "NULL",
                                      "Asian", "American Indian or Alaska Native"]
    assert Mapping.from_json(mapping.to_json()) == mapping


def test_hispanic_flag_with_a_single_race_column(empty_store: Store, tmp_path: Path) -> None:
    roster = write_csv(tmp_path / "roster.csv", [
        ["Student ID", "School", "Grade", "School Year", "Hispanic", "Race"],
        ["001", "0042", "K", "2024-25", "Y", "White"],
        ["002", "0042", "1", "2024-25", "N", "White"],
        ["003", "0042", "2", "2024-25", "N", "Multiracial"],
    ])
    mapping = guess_mapping("enrollment", ["Student ID", "School", "Grade", "School Year", "Hispanic", "Race"])
    import_one(empty_store, roster, mapping)
    assert empty_store.query("SELECT race FROM enrollment ORDER BY student_id")["race"].tolist() == [
        "Hispanic or Latino", "White", "Two or more races"]
