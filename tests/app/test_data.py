"""The Data page remembers a confirmed mapping and offers it for next year's file of the same shape."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from fixtures import roster  # tests/ is on sys.path (pytest's rootdir-relative import)
from fixtures.apptest import assert_ok, charts, metric, plain
from fixtures.crdc import RACES, SEXES, write_crdc
from fixtures.page_views import (
    XLSX_MIME,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.ingest.importer import ImportReport
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store
from views.import_report import LongList, report_entries

XLSX_CSV_MIME = "text/csv"


def upload(at, path: Path) -> None:
    at.file_uploader[0].set_value((path.name, path.read_bytes(), XLSX_CSV_MIME)).run()
    assert not at.exception, [e.value for e in at.exception]


def test_next_years_file_gets_this_years_mapping(at, tmp_path: Path):
    at.switch_page("pages/data.py").run()
    this_year = tmp_path / "staff_2025.csv"
    this_year.write_text("Emp#,Site,Job,Year\nE0001,0104,Teacher,2025-26\nE0002,0104,Counselor,2025-26\n")
    upload(at, this_year)
    assert not [box.value for box in at.info if "match a file you imported before" in box.value]
    at.selectbox(key="upload_kind").select("staff").run()
    # The user picks the columns the guess missed (AppTest edits a data editor through its edit state).
    fields = list(KINDS["staff"].field_names)
    picks = {"staff_id": "Emp#", "school_year": "Year", "role": "Job"}
    at.session_state["mapping_editor_0_staff"] = {
        "edited_rows": {fields.index(f): {"Column in your file": c} for f, c in picks.items()},
        "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="upload_import").click().run()
    assert any("2 of 2 rows imported as Staff" in m.value for m in at.markdown), [m.value for m in at.markdown]

    next_year = tmp_path / "staff_2026.csv"
    next_year.write_text("EMP#,site,job,YEAR\nE0001,0104,Teacher,2026-27\n")  # same shape, other spelling
    upload(at, next_year)
    assert [box.value for box in at.info if "match a file you imported before" in box.value]
    assert at.selectbox(key="upload_kind").value == "staff"
    mapping = at.data_editor[0].value.set_index("Field")["Column in your file"]
    assert (mapping["staff_id"], mapping["school_year"], mapping["role"]) == ("EMP#", "YEAR", "job")
    at.button(key="upload_import").click().run()
    assert any("1 of 1 rows imported as Staff" in m.value for m in at.markdown)


def test_a_real_export_loads_with_upload_check_and_import(at, tmp_path: Path):
    """Issue 13: a roster with a title row and its year only in the sheet name imports as guessed; the page
    says why it chose the kind, each column and the year, and what it skipped."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2024-25"
    sheet.append(["Student enrollment roster (end-of-year snapshot)"])
    sheet.append(["Local Student ID", "Building", "School Name", "Grade Level", "Race/Ethnicity", "Gender"])
    for i in range(12):
        sheet.append([f"{7000000 + i:07d}", "0104", "Lincoln Heights Elementary", "03", "White", "F" if i % 2 else "M"])
    sheet.append(["Total: 12 students"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    at.switch_page("pages/data.py").run()
    upload(at, path)
    assert at.selectbox(key="upload_kind").value == "enrollment"
    assert any("Kind guessed: Enrollment roster" in box.value for box in at.info), [b.value for b in at.info]
    mapping = at.data_editor[0].value.set_index("Field")
    assert mapping.loc["student_id", "Column in your file"] == "Local Student ID"
    assert "the header is a name for student id" in mapping.loc["student_id", "Why"]
    assert at.text_input(key="upload_year").value == "2024-25"
    assert any("from the sheet name" in c.value for c in at.caption), [c.value for c in at.caption]
    at.button(key="upload_import").click().run()
    lines = [m.value for m in at.markdown]
    assert any("12 of 12 rows imported as Enrollment roster" in m for m in lines), lines
    assert any("Skipped 1 row above the header" in m for m in lines), lines
    assert any("Skipped 1 row below the data" in m for m in lines), lines


def test_a_missing_year_or_subject_names_the_box_that_fixes_it(at, tmp_path: Path):
    scores = tmp_path / "scores.csv"
    scores.write_text("Student ID,Scale Score\n0001,2398\n0002,2475\n0003,2500\n")
    at.switch_page("pages/data.py").run()
    upload(at, scores)
    at.selectbox(key="upload_kind").select("assessments").run()
    at.button(key="upload_import").click().run()
    errors = [e.value for e in at.error]
    assert any("school year or its subject" in e and "School year for every row" in e for e in errors), errors
    at.text_input(key="upload_year").input("2024-25").run()
    at.text_input(key="upload_subject").input("Math").run()
    at.button(key="upload_import").click().run()
    assert any("3 of 3 rows imported as Assessment results" in m.value for m in at.markdown), \
        [m.value for m in at.markdown]


def test_an_anonymous_form_survey_on_the_page(at, tmp_path: Path):
    form = tmp_path / "form.csv"
    form.write_text("Timestamp,Respondent Type,School Code,Q1 I feel safe,Q2 Adults care,Q3 Rules are fair\n"
                    "10/3/2024 9:15:22,Student,0042,4,5,3\n10/3/2024 9:17:40,Family,0042,5,4,2\n"
                    "6/2/2025 14:01:09,Student,0107,2,3,1\n")
    at.switch_page("pages/data.py").run()
    upload(at, form)
    assert at.selectbox(key="upload_kind").value == "survey"
    mapping = at.data_editor[0].value.set_index("Field")
    assert "each row is one respondent" in mapping.loc["response_id", "Why"]
    assert any("from the dates in 'Timestamp'" in c.value for c in at.caption), [c.value for c in at.caption]
    at.button(key="upload_import").click().run()
    assert any("9 of 9 rows imported as Climate survey responses" in m.value for m in at.markdown), \
        [m.value for m in at.markdown] + [e.value for e in at.error]


def test_the_first_day_of_the_school_year_is_asked_next_to_the_year(at, tmp_path: Path):
    """A year read from dates: the page asks which day the school year starts (July 1 unless changed), says it
    in the year's caption, and the import puts each date in its school year."""
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("Student ID,School,Incident Date,Action\n1001,A,08/10/2024,OSS\n1002,A,08/20/2024,ISS\n"
                         "1003,A,07/15/2025,OSS\n")
    at.switch_page("pages/data.py").run()
    upload(at, incidents)
    assert at.selectbox(key="upload_kind").value == "discipline"
    assert at.text_input(key="upload_year_start").value == "07-01"
    from fixtures.apptest import plain

    assert any("a school year starts on July 1)" in plain(c.value) for c in at.caption), [c.value for c in at.caption]
    at.text_input(key="upload_year_start").input("02-30").run()
    assert any("February has no day 30" in plain(e.value) for e in at.error), [e.value for e in at.error]
    at.text_input(key="upload_year_start").input("08-15").run()
    assert any("a school year starts on August 15, as given)" in plain(c.value) for c in at.caption), \
        [c.value for c in at.caption]
    at.button(key="upload_import").click().run()
    assert any("3 of 3 rows imported as Discipline actions" in m.value for m in at.markdown), \
        [m.value for m in at.markdown] + [e.value for e in at.error]
    from views.cache import get_store  # the app's own store

    assert get_store().cursor().execute("SELECT student_id, school_year FROM discipline ORDER BY 1").fetchall() == [
        ("1001", "2023-24"), ("1002", "2024-25"), ("1003", "2024-25")]


def test_data_page_and_upload(at: AppTest, sample_store: Store, tmp_path: Path) -> None:
    at.switch_page("pages/data.py").run()
    assert_ok(at)
    assert at.title[0].value == "Data"

    catalog = at.dataframe[0].value
    sql_catalog = sample_store.query("SELECT name, kind, rows_imported FROM datasets ORDER BY dataset_id DESC")
    assert catalog["Dataset"].tolist() == sql_catalog["name"].tolist()
    assert catalog["Rows imported"].tolist() == sql_catalog["rows_imported"].tolist()
    assert catalog["Sample"].all()
    assert int(catalog.loc[catalog["Kind"] == "enrollment", "Rows imported"].sum()) == int(sample_store.scalar(
        "SELECT count(*) FROM enrollment"))

    uploader = at.file_uploader[0]
    assert uploader.label == "CSV or Excel file"
    assert {"csv", "xlsx"} <= {t.lstrip(".") for t in uploader.allowed_type}
    assert "upload_import" not in [b.key for b in at.button]  # no Import button before a file is chosen

    # Upload a real workbook: the kind and mapping are guessed, leading zeros survive.
    path = roster.write_roster(tmp_path / "roster_2025-26.xlsx")
    uploader.set_value((path.name, path.read_bytes(), XLSX_MIME)).run()
    assert_ok(at)
    assert at.selectbox(key="upload_kind").value == "enrollment"
    assert f"{roster.ROSTER_ROWS:,} rows, {len(roster.HEADER)} columns" in at.caption[0].value
    mapping = at.data_editor[0].value.set_index("Field")
    assert mapping.loc["student_id", "Column in your file"] == "Student ID"
    assert mapping.loc["student_id", "Sample values"].startswith("0900001, 0900002")
    assert mapping.loc["school_id", "Sample values"] == roster.ROSTER_SCHOOL
    assert mapping.loc["race", "Column in your file"] == "Race/Ethnicity"
    assert mapping.loc["school_year", "Column in your file"] == "School Year"

    at.button(key="upload_import").click().run()
    assert_ok(at)
    report = [m.value for m in at.markdown]
    assert "**Import report**" in report
    assert any(f"{roster.ROSTER_ROWS} of {roster.ROSTER_ROWS} rows imported as Enrollment roster" in line
               for line in report), report
    catalog = at.dataframe[0].value
    assert catalog.iloc[0][["Dataset", "Kind", "Rows imported", "Sample"]].tolist() == [
        path.name, "enrollment", roster.ROSTER_ROWS, False]
    # The first file of one's own replaces the sample district (never mixed with it), saying so and how to get
    # it back.
    assert len(catalog) == 1
    assert any("synthetic sample district was removed" in line and "Load the synthetic sample district" in line
               for line in report), report
    assert "load_sample" in [b.key for b in at.button]

    # The new year appears in the sidebar; it has enrollment only.
    year = at.sidebar.selectbox(key="filter_year")
    assert year.options[0] == roster.ROSTER_YEAR
    year.select(roster.ROSTER_YEAR).run()
    at.switch_page("pages/overview.py").run()
    assert_ok(at)
    assert metric(at, "School year") == roster.ROSTER_YEAR
    assert metric(at, "Students in view") == f"{roster.ROSTER_ROWS:,}"
    at.switch_page("pages/discipline.py").run()
    assert_ok(at)
    # A year with a roster but no discipline file has no discipline data: said plainly, never shown as zeros.
    assert not charts(at)
    assert any("No discipline data yet" in plain(box.value) for box in at.info), [box.value for box in at.info]


def _outside_expanders(node) -> list[str]:
    """The text of every element below `node` that is not inside an expander (Markdown made plain)."""
    if getattr(node, "type", None) == "expander":
        return []
    children = getattr(node, "children", None)
    if isinstance(children, dict) and children:
        return [text for child in children.values() for text in _outside_expanders(child)]
    value = getattr(node, "value", None)
    return [plain(value)] if isinstance(value, str) else []


def _longest_list(texts: list[str]) -> int:
    """How many names the longest list in `texts` holds (parts separated by commas or semicolons)."""
    return max((len(re.split(r"[,;] ", text)) for text in texts), default=0)


def test_a_long_list_of_ignored_columns_is_one_line_with_the_list_behind_an_expander(at, tmp_path: Path):
    """Issue 16: a CRDC file's unused columns (1,134 in a real one) were listed in full, about 8,000 pixels of
    page. Now one line says how many and gives three, the whole list is in an expander, and no list of more
    than 12 names is shown outside an expander."""
    path = write_crdc(tmp_path)
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    extra = [f"SCH_OTHER_{i:04d}" for i in range(1200)]
    rows = [rows[0] + extra] + [row + ["1"] * len(extra) for row in rows[1:]]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    unused = ["LEAID", "LEA_NAME", "SCHID", *(f"SCH_DISCWODIS_EXPZT_{race}_{sex}" for race in RACES for sex in SEXES),
              *extra]
    at.switch_page("pages/data.py").run()
    upload(at, path)
    assert _longest_list(_outside_expanders(at.main)) <= 12
    at.button(key="upload_import").click().run()
    assert not at.exception, [e.value for e in at.exception]

    shown = _outside_expanders(at.main)
    assert f"- {len(unused):,} columns not used, e.g. LEAID, LEA_NAME, SCHID" in shown, shown
    assert len(unused) == 1211 and not any("Columns ignored" in text for text in shown)
    assert _longest_list(shown) <= 12, max(shown, key=len)[:300]
    (listed,) = [e for e in at.expander if plain(e.label) == f"All {len(unused):,} columns not used"]
    assert [plain(m.value) for m in listed.markdown] == ["\n".join(f"- {name}" for name in unused)]


def test_long_lists_of_a_report_are_taken_out_of_their_sentences() -> None:
    """Twelve names stay in their sentence; thirteen become a summary with the whole list."""
    codes = tuple((f"Z{i}", 1) for i in range(13))
    report = ImportReport("file.csv", "enrollment", 1, 20, 20, unknown_codes={"race": codes, "sex": codes[:12]},
                          columns_ignored=tuple(f"c{i}" for i in range(12)))
    entries = report_entries(report)
    (long,) = [e for e in entries if isinstance(e, LongList)]
    assert long.summary == ("13 values not recognised in race, stored as missing (shown as Unknown), "
                            "e.g. 'Z0' x1, 'Z1' x1, 'Z2' x1")
    assert long.items == tuple(f"'Z{i}' x1" for i in range(13))
    lines = [e for e in entries if isinstance(e, str)]
    assert f"Columns ignored: {', '.join(f'c{i}' for i in range(12))}." in lines
    assert any(line.startswith("Values not recognised in sex") for line in lines)
    assert not any("in race" in line for line in lines)
