"""Issue 13: column names and values of Skyward, Aeries, PowerSchool and Ed-Fi exports are recognised, each
guess still checked against the column's values: Skyward's "Other ID" and "Entity", Aeries' "SC", "Sx", "Eth"
(the Hispanic question, when it holds yes/no answers) and "RC1", PowerSchool's table prefixes ("[01]SchoolID",
"Students.Student_Number"), and Ed-Fi descriptors ("uri://ed-fi.org/GradeLevelDescriptor#Ninth grade" and
"Ninth grade" are grade 9, "...SexDescriptor#Female" is Female)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from fixtures.command_line import run_cli as run
from fixtures.text_files import write_csv
from hypothesis import given
from hypothesis import strategies as st

from equity_metrics.core.codes import GRADE_CODES, RACE_CODES, SEX_CODES, code_key, code_key_sql
from equity_metrics.ingest.guessing import guess_columns
from equity_metrics.ingest.vocabulary import bare_header, known_header
from equity_metrics.storage.store import Store


def dry_run(path: Path, db: Path, *extra: str) -> dict:
    code, out, err = run("import", str(path), "--db", str(db), "--dry-run", "--format", "json", *extra)
    assert code == 0, err
    [row] = json.loads(out)
    return row


STUDENTS = [(f"{1000000 + 7 * i}", ("0101", "0102")[i % 2], 9 + i % 4, "FM"[i % 2], i % 5 == 0) for i in range(20)]


def test_skyward_other_id_and_entity(tmp_path: Path) -> None:
    rows = [[sid, school[1:], f"{grade:02d}", sex, "White", "Y" if hisp else "N", "2024-2025"]
            for sid, school, grade, sex, hisp in STUDENTS]
    path = write_csv(tmp_path / "skyward.csv", ["Other ID", "Entity", "Grd", "Gender", "Federal Race",
                                                "Hispanic/Latino", "School Year"], rows)
    row = dry_run(path, tmp_path / "s.duckdb")
    mapping = json.loads(row["mapping"])
    assert row["kind"] == "enrollment" and row["rows_imported"] == 20
    assert mapping["columns"] == {"school_year": "School Year", "student_id": "Other ID", "school_id": "Entity",
                                  "grade": "Grd", "sex": "Gender"}
    assert mapping["race_questions"] == {"hispanic": "Hispanic/Latino", "flags": {}, "listed": "Federal Race"}


def test_aeries_short_headers(tmp_path: Path) -> None:
    rows = [[sid[-4:], sid, school[2:], grade, sex, "Y" if hisp else "N", 700, "E", "2024-2025"]
            for sid, school, grade, sex, hisp in STUDENTS]
    path = write_csv(tmp_path / "aeries.csv", ["ID", "PermID", "SC", "Gr", "Sx", "Eth", "RC1", "LF", "SchoolYear"],
                     rows)
    row = dry_run(path, tmp_path / "s.duckdb")
    mapping = json.loads(row["mapping"])
    assert mapping["columns"] == {"school_year": "SchoolYear", "student_id": "PermID", "school_id": "SC", "grade": "Gr",
                                  "sex": "Sx"}
    assert mapping["race_questions"] == {"hispanic": "Eth", "flags": {}, "listed": "RC1"}
    # federal race codes (700 White) are not guessed: listed with their rows (--code race:700=White reads them)
    assert "Values not recognised in race, stored as missing (shown as Unknown): '700' x16." in row["report"]
    # LF (E English only, L learner ...) is named like an English-learner column but its letters are no list's
    assert "'LF' is named like english_learner but its values ('E') are not" in row["reasons"]


def test_aeries_eth_is_the_hispanic_question_only_with_yes_no_answers(tmp_path: Path) -> None:
    columns = ["PermID", "SC", "Gr", "Eth", "RC1"]
    samples = {"PermID": [s[0] for s in STUDENTS], "SC": ["01"] * 20, "Gr": ["9"] * 20,
               "Eth": ["Hispanic", "White", "Asian", "Black", "White"] * 4, "RC1": ["700"] * 20}
    guess = guess_columns("enrollment", columns, samples)
    assert guess.mapping.race_questions is None  # Eth holds races here: it is the race column, not a yes/no
    samples["Eth"] = ["Y", "N", "N", "N"] * 5
    guess = guess_columns("enrollment", columns, samples)
    assert guess.mapping.race_questions is not None and guess.mapping.race_questions.hispanic == "Eth"


@pytest.mark.parametrize("prefix", ["[01]", "Students."])
def test_powerschool_table_prefixes(tmp_path: Path, prefix: str) -> None:
    names = ["Student_Number", "SchoolID", "Grade_Level", "Gender", "Ethnicity", "LunchStatus"]
    rows = [[sid, school, grade, sex, "Asian", "F"] for sid, school, grade, sex, _ in STUDENTS]
    path = write_csv(tmp_path / "ps.csv", [prefix + n for n in names], rows)
    row = dry_run(path, tmp_path / "s.duckdb", "--year", "2024-25")
    assert json.loads(row["mapping"])["columns"] == {
        "student_id": f"{prefix}Student_Number", "school_id": f"{prefix}SchoolID", "grade": f"{prefix}Grade_Level",
        "race": f"{prefix}Ethnicity", "sex": f"{prefix}Gender", "low_income": f"{prefix}LunchStatus"}


def test_table_prefixes_only_where_they_are_prefixes() -> None:
    assert bare_header("[01]SchoolID") == "SchoolID"
    assert bare_header("Students.Student_Number") == "Student_Number"
    assert bare_header("U.S. Entry Date") == "U.S. Entry Date"  # a name, not a table
    assert bare_header("Grade 9.5") == "Grade 9.5"
    assert known_header("[01]Grade_Level") and known_header("Students.Student_Number") and known_header("Eth")


@pytest.mark.parametrize("uri", [True, False])
def test_ed_fi_descriptors(tmp_path: Path, uri: bool) -> None:
    grades = {9: "Ninth grade", 10: "Tenth grade", 11: "Eleventh grade", 12: "Twelfth grade"}

    def descriptor(name: str, value: str) -> str:
        return f"uri://ed-fi.org/{name}Descriptor#{value}" if uri else value

    rows = [[sid, "255901" + school[1:], descriptor("GradeLevel", grades[grade]),
             descriptor("Sex", "Female" if sex == "F" else "Male"), str(hisp).lower(),
             descriptor("Race", "Black - African American"), 2025] for sid, school, grade, sex, hisp in STUDENTS]
    path = write_csv(tmp_path / "edfi.csv", ["StudentUniqueId", "SchoolId", "EntryGradeLevelDescriptor",
                                             "SexDescriptor", "HispanicLatinoEthnicity", "RaceDescriptor",
                                             "SchoolYear"], rows)
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(path), "--db", str(db))
    assert code == 0, err
    assert out.splitlines()[0] == "edfi.csv: 20 of 20 rows imported as Enrollment roster."
    assert "Values not recognised" not in out and "Columns ignored" not in out
    with Store(db) as store:
        got = store.query("SELECT school_year, grade, sex, race, count(*) AS n FROM enrollment GROUP BY ALL "
                          "ORDER BY ALL")
    expected: dict[tuple, int] = {}
    for _, _, grade, sex, hisp in STUDENTS:
        key = ("2024-25", str(grade), {"F": "Female", "M": "Male"}[sex],
               "Hispanic or Latino" if hisp else "Black or African American")
        expected[key] = expected.get(key, 0) + 1
    assert {tuple(r)[:4]: int(r.n) for r in got.itertuples(index=False)} == expected


def test_a_descriptor_column_of_scores_is_still_refused(tmp_path: Path) -> None:
    """A header that names sex is not enough: Ed-Fi URIs of another descriptor are no sex codes."""
    samples = {"StudentUniqueId": [s[0] for s in STUDENTS], "SchoolId": ["1"] * 20, "GradeLevel": ["9"] * 20,
               "SexDescriptor": ["uri://ed-fi.org/AssessmentReportingMethodDescriptor#Scale score"] * 20}
    guess = guess_columns("enrollment", list(samples), samples)
    assert "sex" not in guess.mapping.columns
    assert any(note.startswith("'SexDescriptor' is named like sex but its values") for note in guess.notes)


_CODES = st.sampled_from(sorted({*GRADE_CODES, *SEX_CODES, *RACE_CODES} - {""}))
_NAMESPACES = st.sampled_from(["uri://ed-fi.org/", "uri://tea.texas.gov/", "http://example.org/a/b/"])
_DESCRIPTORS = st.sampled_from(["GradeLevel", "Sex", "Race", "Ethnicity"])


@given(_NAMESPACES, _DESCRIPTORS, _CODES)
def test_a_descriptor_uri_reads_as_its_code(namespace: str, descriptor: str, code: str) -> None:
    uri = f"{namespace}{descriptor}Descriptor#{code}"
    assert code_key(uri) == code_key(code)
    with duckdb.connect() as connection:
        assert connection.execute(f"SELECT {code_key_sql('$v')}", {"v": uri}).fetchone()[0] == code_key(code)


@given(st.text(alphabet=st.sampled_from(list("ab:/#Dd.-_ 9escriptor")), max_size=40))
def test_code_key_sql_matches_python_near_descriptors(text: str) -> None:
    with duckdb.connect() as connection:
        assert connection.execute(f"SELECT {code_key_sql('$v')}", {"v": text}).fetchone()[0] == code_key(text)


def test_grade_words() -> None:
    assert GRADE_CODES[code_key("Ninth grade")] == "9"
    assert GRADE_CODES[code_key("uri://ed-fi.org/GradeLevelDescriptor#First grade")] == "1"
    assert GRADE_CODES[code_key("Preschool/Prekindergarten")] == "PK"
