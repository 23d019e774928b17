"""Issue 13: the Contoso course section marks (the shared corpus, `oea_sectionmarks/part1.csv`) import as the
student-level kind `marks`, joined to the Contoso roster, and give the "Failing a course" rate (`course_failure`)
with the corpus README's figures: through the command line and through the library, header lines repeated
inside the file dropped and said, the same marks imported twice counted once, marks of students the roster does
not list stored but not counted (as course enrollments are).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fixtures.command_line import run_cli as cli

from equity_metrics.ingest.importer import ImportRefusedError, SourceSpec, column_samples, import_sources
from equity_metrics.ingest.kinds import guess_table
from equity_metrics.ingest.readers import read_source
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.analysis import rates, years_with_data
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "corpus"
MARKS = SHARED / "oea_sectionmarks" / "part1.csv"
ROSTER = SHARED / "oea_students" / "part1.csv"
YEAR = "2024-25"
pytestmark = pytest.mark.skipif(not (SHARED / "README.md").exists(), reason="the shared corpus is not here")

AI, ASIAN, BLACK, HISPANIC, WHITE = ("American Indian or Alaska Native", "Asian", "Black or African American",
                                     "Hispanic or Latino", "White")
STUDENTS = {AI: 87, ASIAN: 74, BLACK: 90, HISPANIC: 79, WHITE: 70}  # the roster's figure 2
FAILED = {AI: 60, ASIAN: 53, BLACK: 60, HISPANIC: 49, WHITE: 48}  # the marks' figure 3: at least one F


@pytest.fixture(scope="module")
def blank_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blank") / "blank.duckdb"
    Store(path).close()
    return path


def fresh(blank_db: Path, folder: Path) -> Path:
    path = folder / "store.duckdb"
    shutil.copyfile(blank_db, path)
    return path


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory, blank_db: Path) -> tuple[Path, str]:
    """Roster then marks, from the command line, as a user would: neither file carries a year."""
    db = fresh(blank_db, tmp_path_factory.mktemp("marks_cli"))
    code, out, err = cli("import", str(ROSTER), "--db", str(db), "--year", YEAR)
    assert code == 0, err
    code, out, err = cli("import", str(MARKS), "--db", str(db))
    assert code == 2 and out == "" and "--year" in err and "part1.csv" in err  # the blank school_year column
    code, out, err = cli("import", str(MARKS), "--db", str(db), "--year", YEAR)
    assert code == 0, err
    return db, out


def failing(db: Path) -> pd.DataFrame:
    code, out, err = cli("rates", "course_failure", "--by", "race", "--year", YEAR, "--format", "csv", "--db", str(db))
    assert code == 0, err
    return pd.read_csv(io.StringIO(out)).set_index("race")


def test_the_command_line_imports_the_marks_and_says_what_it_dropped(cli_db: tuple[Path, str]) -> None:
    db, out = cli_db
    assert out.startswith("part1.csv: 4,800 of 4,800 rows imported as Course marks.\n")  # not 4,803
    assert "Skipped 3 rows repeat the header inside the data (row 1202, 2403, 3604)." in out
    assert "Marks by letter: A 1,830, B 867, C 867, D 831, F 405" in out  # figure 1
    assert "credits earned: 21,975." in out  # figure 5
    assert "kind marks: Course marks" in out and "school year 2024-25: given (--year)" in out
    assert "have no enrollment record" not in out  # every student is in the roster
    with Store(db, read_only=True) as store:
        cursor = store.cursor()
        assert cursor.execute("SELECT count(*), count(DISTINCT (student_id, section_id)) FROM marks").fetchone() \
            == (4800, 4800)
        # figure 4: F marks by school, through the roster (the marks file names no school)
        assert cursor.execute(
            "SELECT e.school_id, count(*) FROM marks m JOIN enrollment e USING (school_year, student_id) "
            "WHERE m.letter_mark = 'F' GROUP BY 1 ORDER BY 1").fetchall() == \
            [("sch0", 97), ("sch1", 92), ("sch2", 111), ("sch3", 105)]
        # figure 2: F marks by race
        assert dict(cursor.execute(
            "SELECT e.race, count(*) FROM marks m JOIN enrollment e USING (school_year, student_id) "
            "WHERE m.letter_mark = 'F' GROUP BY 1").fetchall()) == \
            {AI: 94, ASIAN: 78, BLACK: 84, HISPANIC: 75, WHITE: 74}


def test_figure_3_from_the_command_line(cli_db: tuple[Path, str]) -> None:
    frame = failing(cli_db[0])
    assert frame["denominator"].to_dict() == STUDENTS  # the enrolled students (every one has marks)
    assert not frame["suppressed"].any()  # groups of 70 or more, 48 or more failing: privacy shows every count
    assert frame["numerator"].astype(int).to_dict() == FAILED


def test_the_same_marks_imported_twice_count_once(cli_db: tuple[Path, str], tmp_path: Path) -> None:
    db = fresh(cli_db[0], tmp_path)
    code, out, err = cli("import", str(MARKS), "--db", str(db), "--year", YEAR)  # the same bytes
    assert code == 2 and "already loaded" in err
    # saved again by another program: other bytes, rows in another order, one header line only
    frame = pd.read_csv(MARKS, dtype=str, keep_default_na=False)
    frame = frame[frame["id"] != "id"].iloc[::-1]
    copy = tmp_path / "marks_resaved.csv"
    frame.to_csv(copy, index=False, quoting=csv.QUOTE_ALL)
    code, out, err = cli("import", str(copy), "--db", str(db), "--year", YEAR)
    assert code == 2 and "holds the same 4,800 rows as dataset" in err, err
    assert failing(db)["numerator"].astype(int).to_dict() == FAILED
    with Store(db, read_only=True) as store:
        assert store.cursor().execute("SELECT count(*) FROM marks").fetchone() == (4800,)


def test_marks_repeated_inside_one_file_count_once(blank_db: Path, tmp_path: Path) -> None:
    db = fresh(blank_db, tmp_path)
    doubled = tmp_path / "marks_twice.csv"
    doubled.write_bytes(MARKS.read_bytes() + MARKS.read_bytes())  # eight blocks: every mark twice
    assert cli("import", str(ROSTER), "--db", str(db), "--year", YEAR)[0] == 0
    code, out, err = cli("import", str(doubled), "--db", str(db), "--year", YEAR)
    assert code == 0, err
    assert out.startswith("marks_twice.csv: 9,600 of 9,600 rows imported")
    assert "4,800 duplicate marks (same student, section, term and school year); a student is counted once" in out
    frame = failing(db)
    assert frame["denominator"].to_dict() == STUDENTS and frame["numerator"].astype(int).to_dict() == FAILED


def test_the_library_import_gives_the_same_figures(blank_db: Path, tmp_path: Path) -> None:
    db = fresh(blank_db, tmp_path)
    with Store(db) as store:
        for path in (MARKS, ROSTER):  # marks first: stored, counted once the roster lists their students
            source = read_source(path)
            guess = guess_table(source, column_samples(source), year=YEAR)
            assert guess.problem() is None and guess.kind == ("marks" if path == MARKS else "enrollment")
            (report,) = import_sources(store, [SourceSpec(path, guess.mapping)])
            if path == MARKS:
                assert (report.rows_read, report.rows_imported) == (4800, 4800)
                assert report.without_roster == 4800 and report.students_without_roster == 400
                assert any("4,800 rows (400 students) have no enrollment record" in line for line in report.lines())
        result = rates(store, "course_failure", ("race",), Filters(school_years=(YEAR,)))
        table = result.table.set_index("race")
        assert table["denominator"].astype(int).to_dict() == STUDENTS
        assert table["numerator"].astype(int).to_dict() == FAILED and not table["suppressed"].any()
        with pytest.raises(ImportRefusedError, match="already loaded"):
            source = read_source(MARKS)
            import_sources(store, [SourceSpec(MARKS, guess_table(source, column_samples(source), year=YEAR).mapping)])


def test_marks_of_students_not_in_the_roster_are_stored_not_counted(cli_db: tuple[Path, str],
                                                                      tmp_path: Path) -> None:
    """As course enrollments: the rows are kept and said in the report; the rate counts roster students only."""
    db = fresh(cli_db[0], tmp_path)
    extra = tmp_path / "transfer_marks.csv"
    extra.write_text("student_id,section_id,term_id,alpha_grade_earned,numeric_grade_earned,credits_earned\n"
                     "st9001,sec1,term1,F,50,0\nst9001,sec2,term1,F,52,0\nst9002,sec1,term1,A,95,5\n")
    code, out, err = cli("import", str(extra), "--db", str(db), "--year", YEAR)
    assert code == 0, err
    assert "3 rows (2 students) have no enrollment record for their school year: they are stored" in out
    frame = failing(db)
    assert frame["denominator"].to_dict() == STUDENTS and frame["numerator"].astype(int).to_dict() == FAILED
    with Store(db, read_only=True) as store:
        assert store.cursor().execute("SELECT count(*) FROM marks").fetchone() == (4803,)


def test_failing_a_course_is_a_student_rate_like_any_other() -> None:
    indicator = INDICATORS["course_failure"]
    assert (indicator.source, indicator.kind, indicator.domain, indicator.requires) == \
        ("student_year", "rate", "Course access", "marks")
    # of every enrolled student (as suspensions are): the students with marks are not a population of their own
    assert indicator.higher_is_worse and indicator.population == "TRUE"


def test_no_marks_no_rate(cli_db: tuple[Path, str], blank_db: Path, tmp_path: Path) -> None:
    """A roster alone: the rate is not measured (never shown as nobody failing)."""
    db = fresh(blank_db, tmp_path)
    assert cli("import", str(ROSTER), "--db", str(db), "--year", YEAR)[0] == 0
    code, out, err = cli("rates", "course_failure", "--by", "race", "--year", YEAR, "--db", str(db))
    assert code != 0 and "course marks file" in err, (out, err)
    with Store(db, read_only=True) as store:
        assert years_with_data(store, INDICATORS["course_failure"]) == []  # as suspensions without a discipline file


def test_the_data_page_imports_the_marks_and_course_access_shows_the_rate(
        blank_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_point_always_runs: None) -> None:
    """Upload, check, give the year (the file has none), import; then the Course access page offers the rate."""
    from fixtures.apptest import assert_ok, plain
    from streamlit.testing.v1 import AppTest

    db = fresh(blank_db, tmp_path)
    assert cli("import", str(ROSTER), "--db", str(db), "--year", YEAR)[0] == 0  # the roster, so no sample
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/data.py").run()
    assert_ok(at)
    at.file_uploader[0].set_value((MARKS.name, MARKS.read_bytes(), "text/csv")).run()
    assert_ok(at)
    assert at.selectbox(key="upload_kind").value == "marks"
    at.text_input(key="upload_year").input(YEAR).run()
    at.button(key="upload_import").click().run()
    assert_ok(at)
    report = [plain(m.value.removeprefix("- ")) for m in at.markdown if m.value.startswith("- ")]
    assert any(line.startswith("part1.csv: 4,800 of 4,800 rows imported as Course marks.") for line in report), report
    assert any("Marks by letter: A 1,830, B 867, C 867, D 831, F 405" in line for line in report)
    at.switch_page("pages/course_access.py").run()
    assert_ok(at)
    picker = at.selectbox(key="course_access_indicator")
    assert picker.options == ["Failing a course"] and picker.value.id == "course_failure"  # the only course data
    assert not [m for m in at.metric if m.label.startswith("Missing seats")]  # seats are for access only
