"""Issue 13: real exports load on the first try from the command line. Every file and sheet of sample_data/
imports with no options into the right kind (and the columns its generator says); kinds are chosen only when
the columns support them, with the reason; columns are recognised from a wide vocabulary and checked against
their values; the school year comes from the first source that has it; wide score files give one row per
subject; every refusal names the option that fixes it; the sample district is replaced, never mixed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from fixtures.command_line import run_cli as run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity_metrics.ingest.guessing import guess_columns, value_problem
from equity_metrics.ingest.kinds import choose_kind, year_in_text
from equity_metrics.sample.district import SAMPLE_FILES
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def imported(db: Path, sql: str) -> list[tuple]:
    with Store(db) as store:
        return [tuple(r) for r in store.query(sql).itertuples(index=False)]


# ---- 1. every file and sheet of the sample district, no options --------------------------------------------
@pytest.mark.parametrize("path", sorted({f.path for f in SAMPLE_FILES}))
def test_every_sample_file_imports_with_no_options_into_the_right_kind(path: str, sample_dir: Path,
                                                                       tmp_path: Path) -> None:
    expected = [f for f in SAMPLE_FILES if f.path == path]
    code, out, err = run("import", str(sample_dir / path), "--db", str(tmp_path / "s.duckdb"), "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["kind"] for r in rows] == [f.mapping.kind for f in expected]
    for row, sample_file in zip(rows, expected, strict=True):
        mapping = json.loads(row["mapping"])
        wanted = {k: v for k, v in sample_file.mapping.columns.items()}
        if "school_year" in sample_file.mapping.constants:  # the roster's year is its sheet name
            assert mapping["constants"]["school_year"] == sample_file.mapping.constants["school_year"]
            assert f"from the sheet name ('{sample_file.sheet}')" in row["reasons"]
        assert mapping["columns"] == wanted, row["source"]
        if sample_file.mapping.unpivot is not None:
            assert mapping["unpivot"]["columns"] == list(sample_file.mapping.unpivot.columns)
        assert row["rows_imported"] > 0


def test_the_sample_roster_title_row_is_skipped_and_said(sample_dir: Path, tmp_path: Path) -> None:
    code, out, err = run("import", str(sample_dir / "enrollment_roster.xlsx"), "--db", str(tmp_path / "s.duckdb"),
                         "--sheet", "2022-23")
    assert code == 0, err
    assert "Skipped 1 row above the header (row 1 'Student enrollment roster" in out
    assert "15,370 of 15,370 rows imported as Enrollment roster." in out


# ---- 3. kinds: only when the columns support them, with the reason ------------------------------------------
ROSTER = ["Student ID", "School Code", "School Name", "Grade", "Race/Ethnicity", "Gender", "School Year"]
ROSTER_ROWS = [["0000101", "0042", "Lincoln Elementary", "03", "White", "F", "2024-25"],
               ["0000102", "0042", "Lincoln Elementary", "04", "Black", "M", "2024-25"],
               ["0000103", "0107", "Roosevelt Middle", "07", "Hispanic", "F", "2024-25"],
               ["0000104", "0107", "Roosevelt Middle", "08", "Asian", "M", "2024-25"],
               ["0000105", "0107", "Roosevelt Middle", "06", "White", "X", "2024-25"]]


def samples_of(rows: list[list[str]], header: list[str]) -> dict[str, list[str]]:
    return {h: [r[i] for r in rows] for i, h in enumerate(header)}


def test_a_plain_roster_is_never_special_education() -> None:
    choice = choose_kind(ROSTER, samples_of(ROSTER_ROWS, ROSTER))
    assert choice.kind == "enrollment"
    assert "grade" in choice.reason
    assert "special_education" not in choice.choices  # no disability category or placement column


def test_a_roster_keyed_by_school_name_alone(tmp_path: Path) -> None:
    header = [h for h in ROSTER if h != "School Code"]
    rows = [[c for h, c in zip(ROSTER, r, strict=True) if h != "School Code"] for r in ROSTER_ROWS]
    rows[4][1] = "ROOSEVELT  middle "  # the same school, spelled another way
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(write_csv(tmp_path / "roster.csv", [header, *rows])), "--db", str(db))
    assert code == 0, err
    assert "school_id: made from 'School Name' (no school code column)" in out
    codes = imported(db, "SELECT school_id, count(*) FROM enrollment GROUP BY ALL ORDER BY 2")
    assert len(codes) == 2 and all(c.startswith("N-") for c, _ in codes)  # stable: one code per school
    names = imported(db, "SELECT DISTINCT school FROM facts_student_year ORDER BY school")
    assert ("Lincoln Elementary",) in names  # the name is what users see


def test_ambiguous_kind_is_refused_listing_the_choices(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "both.csv", [["Student ID", "School Year", "Action", "Intervention"],
                                             ["0001", "2024-25", "OSS", "Tier 2"]])
    code, out, err = run("import", str(path), "--db", str(tmp_path / "s.duckdb"))
    assert code == 2 and out == ""
    assert "equally well" in err and "--kind (" in err and "discipline" in err and "interventions" in err
    code, out, err = run("import", str(path), "--db", str(tmp_path / "s.duckdb"), "--kind", "discipline")
    assert code == 0, err
    assert "kind discipline: Discipline actions: given (--kind)" in out


# ---- 4. vocabulary, checked against values ---------------------------------------------------------------------
OPENSDP = ["sid", "school_code", "grade_level", "year", "male", "race_ethnicity", "eco_dis", "lep", "iep",
           "rdg_ss", "math_ss", "wrtg_ss"]
OPENSDP_ROWS = [["1000001", "101", "3", "2002", "1", "W", "0", "0", "0", "412.5", "398", "NA"],
                ["1000002", "101", "3", "2002", "0", "B", "1", "0", "1", "388", "401", "NA"],
                ["1000003", "102", "4", "2002", "0", "H", "1", "1", "0", "420", "415", "NA"],
                ["1000004", "102", "4", "2002", "1", "A", "0", "0", "0", "", "430", "NA"],
                ["1000005", "102", "5", "2002", "1", "W", "1", "0", "1", "401", "NA", "NA"]]


def test_opensdp_columns_are_recognised() -> None:
    guess = guess_columns("enrollment", OPENSDP, samples_of(OPENSDP_ROWS, OPENSDP))
    assert guess.mapping.columns == {
        "school_year": "year", "student_id": "sid", "school_id": "school_code", "grade": "grade_level",
        "race": "race_ethnicity", "disability": "iep", "english_learner": "lep", "low_income": "eco_dis",
        "sex": "male"}
    assert guess.mapping.code_overrides["sex"]["1"] == "Male" and guess.mapping.code_overrides["sex"]["0"] == "Female"
    assert "read as 1 = Male, 0 = Female" in guess.reasons["sex"]
    assert all(guess.reasons[f] for f in guess.mapping.columns)


def test_a_column_of_blanks_or_scale_scores_is_never_sex() -> None:
    sex = KINDS["enrollment"].field("sex")
    assert value_problem(sex, ["NA", "", None, "NA"]) == "the column is empty"
    assert "not sex codes" in value_problem(sex, ["412.5", "398", "401"])
    guess = guess_columns("enrollment", ["Student ID", "Grade", "Gender", "Sex Code"],
                          {"Student ID": ["1", "2", "3"], "Grade": ["3", "4", "5"], "Gender": ["NA", "NA", ""],
                           "Sex Code": ["F", "M", "F"]})
    assert guess.mapping.columns["sex"] == "Sex Code"
    assert any("'Gender' is named like sex but the column is empty" in n for n in guess.notes)


@pytest.mark.parametrize("header", ["sid", "lasid", "sasid", "stu_id", "student_number", "Local Student ID",
                                    "StudentNumber", "SIS ID", "Student Unique Id"])
def test_student_id_spellings(header: str) -> None:
    assert guess_columns("enrollment", [header, "Grade"]).mapping.columns["student_id"] == header


@pytest.mark.parametrize("header", ["school_code", "sch_id", "building", "site", "location", "Campus ID",
                                    "School Number", "Org Code"])
def test_school_spellings(header: str) -> None:
    assert guess_columns("enrollment", ["Student ID", header, "Grade"]).mapping.columns["school_id"] == header


@pytest.mark.parametrize(("header", "field"), [("grade_level", "grade"), ("gr", "grade"), ("fed_race", "race"),
                                               ("race_ethnicity", "race"), ("frl", "low_income"),
                                               ("eco_dis", "low_income"), ("lep", "english_learner"),
                                               ("iep", "disability"), ("Student Gender", "sex")])
def test_other_spellings(header: str, field: str) -> None:
    assert guess_columns("enrollment", ["Student ID", header]).mapping.columns[field] == header


def test_seven_digit_codes_are_an_id() -> None:
    header = ["Pupil Key Number", "Grade", "School Code"]
    rows = [[f"{4000000 + i:07d}", "5", "0101"] for i in range(8)]
    guess = guess_columns("enrollment", header, samples_of(rows, header))
    assert guess.mapping.columns["student_id"] == "Pupil Key Number"
    assert "7-digit codes" in guess.reasons["student_id"]


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.sampled_from(["", "NA", "412.5", "398", "2400", "7", "0.5", "N/A"]), min_size=1, max_size=12))
def test_numbers_and_blanks_are_never_sex(values: list[str]) -> None:
    assert value_problem(KINDS["enrollment"].field("sex"), values) is not None


# ---- 5. the school year ------------------------------------------------------------------------------------
def test_a_four_digit_year_is_the_spring_year_and_said(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "opensdp.csv", [OPENSDP, *OPENSDP_ROWS])
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(path), "--db", str(db))
    assert code == 0, err
    assert "kind enrollment" in out and "also possible, with fewer: Assessment results" in out
    assert "4-digit years are the spring year (for example 2002 is 2001-02)" in out
    assert imported(db, "SELECT DISTINCT school_year FROM enrollment") == [("2001-02",)]
    assert imported(db, "SELECT sex, count(*) FROM enrollment GROUP BY ALL ORDER BY 1") == [("Female", 2), ("Male", 3)]


def test_the_year_from_incident_dates(tmp_path: Path) -> None:
    header = ["Incident ID", "Student ID", "School Code", "Incident Date", "Action"]
    rows = [["1", "0001", "0042", "08/16/2022", "OSS"], ["2", "0002", "0042", "06/30/2023", "ISS"],
            ["3", "0003", "0042", "07/01/2023", "OSS"]]
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(write_csv(tmp_path / "discipline.csv", [header, *rows])), "--db", str(db))
    assert code == 0, err
    assert "school year from the dates in 'Incident Date' (a school year starts on July 1)" in out
    assert imported(db, "SELECT student_id, school_year FROM discipline ORDER BY 1") == [
        ("0001", "2022-23"), ("0002", "2022-23"), ("0003", "2023-24")]


@pytest.mark.parametrize(("where", "expected"), [("sheet", "2023-24"), ("file", "2021-22"), ("title", "2019-20")])
def test_the_year_from_the_sheet_the_file_name_or_a_title(tmp_path: Path, where: str, expected: str) -> None:
    header = ["Student ID", "School Code", "Grade"]
    rows = [["0001", "0042", "K"], ["0002", "0042", "1"]]
    title = [["Enrollment snapshot, school year 2019-2020"], []] if where == "title" else []
    sheet = "Fall 2023-24" if where == "sheet" else "Roster"
    name = "roster SY2021-22.xlsx" if where == "file" else "roster.xlsx"
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(write_xlsx(tmp_path / name, {sheet: [*title, header, *rows]})), "--db", str(db))
    assert code == 0, err
    said = {"sheet": "from the sheet name", "file": "from the file name", "title": "from a title row"}[where]
    assert f"school year {expected}: {said}" in out
    assert imported(db, "SELECT DISTINCT school_year FROM enrollment") == [(expected,)]


def test_no_year_anywhere_is_refused_naming_year(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "roster.csv", [["Student ID", "School Code", "Grade"], ["0001", "0042", "K"]])
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(path), "--db", str(db))
    assert code == 2 and "--year" in err
    code, out, err = run("import", str(path), "--db", str(db), "--year", "2025-26")
    assert code == 0, err
    assert "school year 2025-26: given (--year)" in out


@pytest.mark.parametrize(("text", "year"), [("CRDC 2020-21 School Data", "2020-21"), ("discipline_2023_2024", "2023-24"),
                                            ("as of 10/01/2034", "2034-35"), ("as of 2024-03-05", "2023-24"),
                                            ("grad 2006", "2005-06"), ("export20240915", None)])
def test_year_in_text(text: str, year: str | None) -> None:
    found = year_in_text(text)
    assert (found[0] if found else None) == year


# ---- 6. wide scores ---------------------------------------------------------------------------------------
def test_wide_scores_give_one_row_per_subject(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "opensdp.csv", [OPENSDP, *OPENSDP_ROWS])
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(path), "--db", str(db), "--kind", "assessments")
    assert code == 0, err
    assert "one row per subject from the score columns 'rdg_ss' (Reading), 'math_ss' (Math)" in out
    assert "'wrtg_ss'" not in out.split("one row per subject")[1].splitlines()[0]  # all NA: not a score column
    assert imported(db, "SELECT subject, count(*), count(scale_score) FROM assessments GROUP BY ALL ORDER BY 1") == [
        ("Math", 5, 4), ("Reading", 5, 4)]


def test_a_two_row_header_of_scores_in_a_workbook(tmp_path: Path) -> None:
    rows = [[None, None, "Scale Score", None, None], ["Student ID", "School Code", "Math", "ELA", "Writing"],
            ["0001", "0042", 2398, 2475, 2500], ["0002", "0042", 2815, 2819, 2700], [],
            ["Report generated 06/15/2025"]]
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(write_xlsx(tmp_path / "scores.xlsx", {"Spring 2025": rows})), "--db", str(db))
    assert code == 0, err
    assert "The header spans rows 1 and 2" in out and "Skipped 2 rows below the data" in out
    assert imported(db, "SELECT school_year, subject, count(*) FROM assessments GROUP BY ALL ORDER BY 2") == [
        ("2024-25", "Math", 2), ("2024-25", "Reading", 2), ("2024-25", "Writing", 2)]


def test_one_score_column_and_no_subject_asks_for_subject(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "scores.csv", [["Student ID", "School Year", "Scale Score"],
                                               ["0001", "2024-25", "2398"], ["0002", "2024-25", "2475"]])
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(path), "--db", str(db))
    assert code == 2 and "--subject" in err
    code, out, err = run("import", str(path), "--db", str(db), "--subject", "Math")
    assert code == 0, err
    assert imported(db, "SELECT subject, count(*) FROM assessments GROUP BY ALL") == [("Math", 2)]


def test_an_anonymous_survey_needs_no_student_id(sample_dir: Path, tmp_path: Path) -> None:
    code, out, err = run("import", str(sample_dir / "climate_survey_responses.csv"), "--db",
                         str(tmp_path / "s.duckdb"), "--dry-run")
    assert code == 0, err
    assert "kind survey" in out and "student_id" not in out


# ---- 7. command-line parity -------------------------------------------------------------------------------
def test_dry_run_writes_nothing_and_says_why(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    path = write_csv(tmp_path / "roster.csv", [ROSTER, *ROSTER_ROWS])
    code, out, err = run("import", str(path), "--db", str(db), "--dry-run")
    assert code == 0, err
    assert out.startswith("Dry run: nothing was written.")
    assert "roster.csv: 5 of 5 rows imported as Enrollment roster." in out
    assert "student_id: 'Student ID': the header is a name for student id" in out
    with Store(db) as store:
        assert store.is_empty()


def test_column_and_code_options(tmp_path: Path) -> None:
    header = ["Kid", "Bldg", "Yr Grade", "School Year", "Sexo"]
    rows = [["0001", "0042", "3", "2024-25", "1"], ["0002", "0042", "4", "2024-25", "2"]]
    path = write_csv(tmp_path / "odd.csv", [header, *rows])
    db = tmp_path / "s.duckdb"
    code, _, err = run("import", str(path), "--db", str(db), "--kind", "enrollment", "--column", "student_id=Nope")
    assert code == 2 and "--column student_id=Nope" in err and "no column named 'Nope'" in err
    code, _, err = run("import", str(path), "--db", str(db), "--kind", "enrollment", "--column", "shoe=Kid")
    assert code == 2 and "has no field 'shoe'" in err
    code, _, err = run("import", str(path), "--db", str(db), "--kind", "enrollment", "--column", "student_id=Kid",
                       "--column", "school_id=Bldg", "--column", "grade=Yr Grade", "--column", "sex=Sexo",
                       "--code", "sex:1=Man")
    assert code == 2 and "'Man' is not a value of sex" in err and "--code FIELD:VALUE=CANONICAL" in err
    code, _, err = run("import", str(path), "--db", str(db), "--kind", "enrollment", "--column", "student_id=Kid",
                       "--column", "school_id=Bldg", "--column", "grade=Yr Grade", "--code", "shoe:1=Man")
    assert code == 2 and "--code shoe:...: Enrollment roster has no field 'shoe'" in err
    code, _, err = run("import", str(path), "--db", str(db), "--kind", "enrollment", "--column", "student_id=Kid",
                       "--column", "school_id=Bldg", "--column", "grade=Bldg")  # no grade in that column
    assert code == 2 and "no row could be imported" in err and "--column FIELD=HEADER" in err
    code, out, err = run("import", str(path), "--db", str(db), "--kind", "enrollment",
                         "--column", "student_id=Kid", "--column", "school_id=Bldg", "--column", "grade=Yr Grade",
                         "--column", "sex=Sexo", "--code", "sex:1=Male", "--code", "sex:2=Female")
    assert code == 0, err
    assert "student_id: 'Kid': given (--column)" in out
    assert imported(db, "SELECT student_id, sex FROM enrollment ORDER BY 1") == [("0001", "Male"), ("0002", "Female")]


def test_header_row_and_sheet_options(tmp_path: Path) -> None:
    header = ["Student ID", "School Code", "Grade", "School Year"]
    book = write_xlsx(tmp_path / "two.xlsx", {
        "Notes": [["This workbook holds the fall roster."]],
        "Roster": [["Fall roster"], ["Printed 10/01/2024"], header, ["0001", "0042", "K", "2024-25"]]})
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(book), "--db", str(db), "--sheet", "Roster", "--header-row", "2", "--dry-run")
    assert code == 0, err
    assert "two.xlsx, sheet 'Roster': 1 of 1 rows imported" in out
    code, out, err = run("import", str(book), "--db", str(db))  # the notes sheet fits no kind: left out, said
    assert code == 0, err
    assert "Sheet 'Notes' left out" in out
    code, _, err = run("import", str(book), "--db", str(tmp_path / "t.duckdb"), "--sheet", "Missing")
    assert code == 2 and "no sheet named 'Missing'" in err
    text = write_csv(tmp_path / "flat.csv", [header, ["0001", "0042", "K", "2024-25"]])
    code, _, err = run("import", str(text), "--db", str(tmp_path / "t.duckdb"), "--sheet", "Roster")
    assert code == 2 and "is not a workbook" in err and "leave out --sheet" in err


# ---- 8. the sample district ------------------------------------------------------------------------------
def test_the_first_own_file_replaces_the_sample(sample_db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "roster.csv", [ROSTER, *ROSTER_ROWS])
    code, out, err = run("import", str(path), "--db", str(sample_db))
    assert code == 0, err
    assert "Removed the synthetic sample district" in err and "load-sample" in err
    with Store(sample_db) as store:
        assert not store.holds_sample()
        assert store.datasets()["name"].tolist() == ["roster.csv"]


def test_a_mixed_store_is_refused_naming_replace_sample(sample_db: Path, tmp_path: Path) -> None:
    with Store(sample_db) as store:  # an older store: the sample next to the user's own file
        from equity_metrics.ingest.importer import SourceSpec, import_sources
        from equity_metrics.ingest.kinds import guess_mapping

        own = write_csv(tmp_path / "own.csv", [ROSTER, *ROSTER_ROWS])
        import_sources(store, [SourceSpec(own, guess_mapping("enrollment", ROSTER))])
    path = write_csv(tmp_path / "more.csv", [ROSTER, *[[f"9{r[0]}", *r[1:]] for r in ROSTER_ROWS]])
    code, out, err = run("import", str(path), "--db", str(sample_db))
    assert code == 2 and "--replace-sample" in err
    code, out, err = run("import", str(path), "--db", str(sample_db), "--replace-sample")
    assert code == 0, err
    with Store(sample_db) as store:
        assert not store.holds_sample()
        assert sorted(store.datasets()["name"]) == ["more.csv", "own.csv"]


def test_dry_run_never_removes_the_sample(sample_db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "roster.csv", [ROSTER, *ROSTER_ROWS])
    code, out, err = run("import", str(path), "--db", str(sample_db), "--dry-run")
    assert code == 0, err
    assert "Would remove the synthetic sample district" in err
    with Store(sample_db) as store:
        assert store.holds_only_sample()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(ROSTER))
def test_the_roster_guess_does_not_depend_on_column_order(order: list[str]) -> None:
    rows = [[r[ROSTER.index(h)] for h in order] for r in ROSTER_ROWS]
    choice = choose_kind(order, samples_of(rows, order))
    assert choice.kind == "enrollment"
    assert choice.columns is not None and set(choice.columns.mapping.columns) == {
        "student_id", "school_id", "school_name", "grade", "race", "sex", "school_year"}


def test_loading_the_sample_next_to_own_files_is_said(tmp_path: Path, sample_dir: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert run("import", str(write_csv(tmp_path / "roster.csv", [ROSTER, *ROSTER_ROWS])), "--db", str(db))[0] == 0
    code, out, err = run("load-sample", "--db", str(db))
    assert code == 0, err
    assert "loaded next to your own files" in err and "--replace-sample" in err
    code, out, err = run("load-sample", "--db", str(db))
    assert code == 2 and "already holds the synthetic sample district" in err


def test_an_anonymous_survey_without_respondent_ids_and_only_timestamps(tmp_path: Path) -> None:
    """A form export: no respondent ID (each row is one respondent) and no year (taken from the timestamps)."""
    header = ["Timestamp", "Respondent Type", "School Code", "Q1 I feel safe at school", "Q2 Adults care about me",
              "Q3 Rules are fair"]
    rows = [["10/3/2024 9:15:22", "Student", "0042", "4", "5", "3"], ["10/3/2024 9:17:40", "Family", "0042", "5", "", "2"],
            ["6/2/2025 14:01:09", "Student", "0107", "2", "3", "1"]]
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(write_csv(tmp_path / "form.csv", [header, *rows])), "--db", str(db))
    assert code == 0, err
    assert "kind survey" in out and "each row is one respondent (its row number)" in out
    assert "school year from the dates in 'Timestamp'" in out
    assert imported(db, "SELECT response_id, school_year, count(*) FROM survey GROUP BY ALL ORDER BY 1") == [
        ("2", "2024-25", 3), ("3", "2024-25", 2), ("4", "2024-25", 3)]  # the blank answer is rejected, said
    assert "Rejected 1 row: no response (row 3)." in out


# ---- the default school year ------------------------------------------------------------------------------
def test_the_default_year_is_the_latest_with_enough_students(sample_db: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              entry_point_always_runs: None) -> None:
    """A 12-student file of a new year does not become the year every page opens on; the sidebar says why."""
    from streamlit.testing.v1 import AppTest

    from equity_metrics.ingest.importer import SourceSpec, import_sources
    from equity_metrics.ingest.kinds import guess_mapping
    from equity_metrics.measures import aggregate

    rows = [[f"99{i:05d}", "0104", "Lincoln Heights Elementary", "03", "White", "F", "2025-26"] for i in range(12)]
    with Store(sample_db) as store:
        assert aggregate.default_school_year(store) == ("2024-25", None)
        import_sources(store, [SourceSpec(write_csv(tmp_path / "new.csv", [ROSTER, *rows]),
                                          guess_mapping("enrollment", ROSTER))])
        year, why = aggregate.default_school_year(store)
    assert year == "2024-25" and "2025-26 has 12" in why
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(sample_db))
    app = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.sidebar.selectbox(key="filter_year").value == "2024-25"
    assert any("2025-26 has 12" in c.value for c in app.sidebar.caption), [c.value for c in app.sidebar.caption]


# ---- wide files: the guess is linear in the columns ----------------------------------------------------------
def test_the_guess_keys_each_distinct_value_of_a_column_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of thousands of columns: every kind's fields look at every column, but each column's values are
    turned into code keys once (not once per field and kind), and a column no code list could know is dropped
    after one look. Counted, not timed: `codes.code_key` calls stay under the distinct values of the file."""
    import random

    import pyarrow as pa

    from equity_metrics.core import codes
    from equity_metrics.ingest.importer import column_samples
    from equity_metrics.ingest.readers import SourceTable

    rng = random.Random(4)
    header = ["Student ID", "School", "Grade", "Race", "Gender", "School Year", *(f"Item {i} score" for i in range(2000))]
    rows = 60
    data = {"Student ID": [str(100000 + r) for r in range(rows)], "School": ["A"] * rows, "Grade": ["3"] * rows,
            "Race": ["White"] * rows, "Gender": ["F"] * rows, "School Year": ["2024-25"] * rows}
    data |= {h: [f"{rng.randint(1, 99)}.5" for _ in range(rows)] for h in header[6:]}
    source = SourceTable("wide.csv", None, pa.table(data))
    samples = column_samples(source)
    distinct = sum(len(set(values)) for values in samples.values())
    calls = 0
    original = codes.code_key

    def counted(value: str) -> str:
        nonlocal calls
        calls += 1
        return original(value)

    monkeypatch.setattr(codes, "code_key", counted)
    choice = choose_kind(header, samples)
    assert choice.kind == "enrollment"
    assert calls < distinct + 50 * len(header), (calls, distinct)
