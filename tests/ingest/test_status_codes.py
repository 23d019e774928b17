"""Statuses written as words (ELLStatus "Exited", IEP Status "504", FRL Status "Full Pay", Gender "Non-binary",
race as federal codes): recognised by the column's name, read onto the canonical codes, every reading said in
the import report, and a word no list reads refused on the command line naming --code (never guessed)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pytest
from fixtures.command_line import run_cli as run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity_metrics.core.codes import CODE_LISTS, EL_STATUS_CODES, IEP_STATUS_CODES, code_key, lookup
from equity_metrics.ingest.guessing import guess_columns
from equity_metrics.ingest.status_codes import unread_status_words

HEADER = ["Student ID", "School", "Grade", "ELLStatus", "IEP Status", "FRL Status", "Gender", "Race", "School Year"]
ROWS = [
    ["100001", "Adams", "3", "Active", "Active IEP", "Free", "M", "White", "2024-25"],
    ["100002", "Adams", "3", "Exited", "No IEP", "Reduced", "F", "AM7", "2024-25"],
    ["100003", "Adams", "4", "Monitored", "504", "Paid", "X", "BlackOrAfricanAmerican", "2024-25"],
    ["100004", "Adams", "4", "Never EL", "No IEP", "F", "Male", "Hispanic or Latino", "2024-25"],
    ["100005", "Adams", "5", "LEP", "No IEP", "R", "Female", "AS7", "2024-25"],
    ["100006", "Adams", "5", "Not LEP", "No IEP", "P", "Non-binary", "Two or more races", "2024-25"],
    ["100007", "Adams", "5", "Y", "No IEP", "Full Pay", "M", "White, non-Hispanic", "2024-25"],
    ["100008", "Adams", "5", "N", "Active IEP", "Free", "F", "PI7", "2024-25"],
]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def stored(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def samples(header: list[str], rows: list[list[str]]) -> dict[str, list[str]]:
    return {h: [r[i] for r in rows] for i, h in enumerate(header)}


# ---- examples ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("code_list", "value", "read"), [
    ("el_status", "Active", True), ("el_status", "Exited", False), ("el_status", "Monitored", False),
    ("el_status", "Never EL", False), ("el_status", "LEP", True), ("el_status", "Not LEP", False),
    ("el_status", "Y", True), ("el_status", "No", False), ("el_status", "English Learner", True),
    ("el_status", "Redesignated Fluent English Proficient", False), ("el_status", "IFEP", False),
    ("iep_status", "Active IEP", True), ("iep_status", "No IEP", False), ("iep_status", "504", False),
    ("iep_status", "Special Day Class", True), ("iep_status", "Exited", False),
    ("low_income", "Free", True), ("low_income", "Reduced", True), ("low_income", "Paid", False),
    ("low_income", "F", True), ("low_income", "R", True), ("low_income", "P", False), ("low_income", "Full Pay", False),
    ("sex", "M", "Male"), ("sex", "Female", "Female"), ("sex", "X", "Nonbinary"), ("sex", "Non-binary", "Nonbinary"),
    ("race", "AM7", "American Indian or Alaska Native"), ("race", "BlackOrAfricanAmerican", "Black or African American"),
    ("race", "HispanicOrLatinoEthnicity", "Hispanic or Latino"), ("race", "MU7", "Two or more races"),
    ("race", "Native Hawaiian or Other Pacific Islander", "Native Hawaiian or Other Pacific Islander"),
    ("race", "White, non-Hispanic", "White"),
])
def test_status_words_read_as_the_canonical_code(code_list: str, value: str, read: object) -> None:
    assert lookup(code_list, value) == read


def test_a_yes_no_flag_column_still_reads_f_as_no_but_a_meal_column_as_free() -> None:
    assert lookup("flag", "F") is False and lookup("el_status", "F") is False and lookup("low_income", "F") is True


@pytest.mark.parametrize(("header", "field"), [
    ("ELLStatus", "english_learner"), ("EL Status", "english_learner"), ("LEP Status", "english_learner"),
    ("English Proficiency Status", "english_learner"), ("IEP Status", "disability"), ("SPED Status", "disability"),
    ("SpecialEducation", "disability"), ("FRL Status", "low_income"), ("Lunch Status", "low_income"),
    ("Meal Eligibility", "low_income"), ("Gender", "sex"), ("FederalRaceCategory", "race"),
])
def test_status_columns_are_recognised_by_name(header: str, field: str) -> None:
    assert guess_columns("enrollment", ["Student ID", "Grade", header]).mapping.columns.get(field) == header


def test_a_roster_with_statuses_in_words_imports_and_says_how_each_was_read(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(write_csv(tmp_path / "r.csv", [HEADER, *ROWS])), "--db", str(db))
    assert code == 0, err
    assert ("Read english_learner from 'ELLStatus': 'Active' as Yes x1; 'Exited' as No x1; 'LEP' as Yes x1; "
            "'Monitored' as No x1; 'N' as No x1; 'Never EL' as No x1; 'Not LEP' as No x1; 'Y' as Yes x1.") in out
    assert "Read disability from 'IEP Status': 'No IEP' as No x5; 'Active IEP' as Yes x2; '504' as No x1." in out
    assert ("Read low_income from 'FRL Status': 'Free' as Yes x2; 'F' as Yes x1; 'Full Pay' as No x1; 'P' as No x1; "
            "'Paid' as No x1; 'R' as Yes x1; 'Reduced' as Yes x1.") in out
    assert "'Non-binary' as Nonbinary x1" in out and "Values not recognised" not in out
    assert stored(db, "SELECT student_id, english_learner, disability, low_income, sex, race FROM enrollment "
                      "ORDER BY 1") == [
        ("100001", True, True, True, "Male", "White"),
        ("100002", False, False, True, "Female", "American Indian or Alaska Native"),
        ("100003", False, False, False, "Nonbinary", "Black or African American"),
        ("100004", False, False, True, "Male", "Hispanic or Latino"),
        ("100005", True, False, True, "Female", "Asian"),
        ("100006", False, False, False, "Nonbinary", "Two or more races"),
        ("100007", True, False, False, "Male", "White"),
        ("100008", False, True, True, "Female", "Native Hawaiian or Other Pacific Islander"),
    ]


def test_a_status_word_no_list_reads_is_refused_naming_the_code_option(tmp_path: Path) -> None:
    rows = [*ROWS, ["100009", "Adams", "5", "Exited (Yr 2)", "No IEP", "Paid", "F", "White", "2024-25"],
            ["100010", "Adams", "5", "Exited (Yr 2)", "Pending eval", "Paid", "F", "White", "2024-25"]]
    path, db = write_csv(tmp_path / "r.csv", [HEADER, *rows]), tmp_path / "s.duckdb"
    code, out, err = run("import", str(path), "--db", str(db))
    assert code == 2 and out == ""
    assert "r.csv: values this tool does not know how to read, and will not guess" in err
    assert "english_learner (column 'ELLStatus'): 'Exited (Yr 2)' (2 rows)" in err
    assert "disability (column 'IEP Status'): 'Pending eval' (1 row)" in err
    assert '--code "english_learner:Exited (Yr 2)=Yes|No|Unknown"' in err
    assert not db.exists() or stored(db, "SELECT count(*) FROM enrollment") == [(0,)]
    code, out, err = run("import", str(path), "--db", str(db), "--code", "english_learner:Exited (Yr 2)=No",
                         "--code", "disability:Pending eval=Unknown")
    assert code == 0, err
    assert stored(db, "SELECT student_id, english_learner, disability FROM enrollment WHERE student_id > '100008' "
                      "ORDER BY 1") == [("100009", False, False), ("100010", False, None)]


def test_a_numeric_code_outside_the_list_is_stored_as_missing_and_reported(tmp_path: Path) -> None:
    """Only words are refused: a meal code 9 keeps the general rule (missing, listed in the report)."""
    header = ["Student ID", "School", "Grade", "FRL Status", "School Year"]
    rows = [[f"10000{i}", "Adams", "3", v, "2024-25"] for i, v in enumerate(["0", "1", "2", "9", "1"])]
    code, out, err = run("import", str(write_csv(tmp_path / "r.csv", [header, *rows])), "--db", str(tmp_path / "s.db"))
    assert code == 0, err
    assert "Values not recognised in low_income, stored as missing (shown as Unknown): '9' x1." in out


def test_a_column_listing_only_programs_reads_its_blanks_as_no(tmp_path: Path) -> None:
    header = ["Student ID", "School", "Grade", "SpecialEducation", "School Year"]
    rows = [["1001", "A", "9", "Special Day Class", "2024-25"], ["1002", "A", "9", "", "2024-25"],
            ["1003", "A", "9", "Resource Specialty Program", "2024-25"], ["1004", "A", "9", "", "2024-25"],
            ["1005", "A", "9", "", "2024-25"]]
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(write_csv(tmp_path / "r.csv", [header, *rows])), "--db", str(db))
    assert code == 0, err
    assert "Every value written reads Yes (a status or program name), so blanks read as No: disability." in out
    assert stored(db, "SELECT student_id, disability FROM enrollment ORDER BY 1") == [
        ("1001", True), ("1002", False), ("1003", True), ("1004", False), ("1005", False)]


def test_a_column_with_yes_and_no_keeps_its_blanks_missing(tmp_path: Path) -> None:
    header = ["Student ID", "School", "Grade", "ELLStatus", "School Year"]
    rows = [["1001", "A", "9", "Active", "2024-25"], ["1002", "A", "9", "", "2024-25"],
            ["1003", "A", "9", "Exited", "2024-25"], ["1004", "A", "9", "Active", "2024-25"]]
    db = tmp_path / "s.duckdb"
    assert run("import", str(write_csv(tmp_path / "r.csv", [header, *rows])), "--db", str(db))[0] == 0
    assert stored(db, "SELECT student_id, english_learner FROM enrollment ORDER BY 1") == [
        ("1001", True), ("1002", None), ("1003", False), ("1004", True)]


# ---- properties ------------------------------------------------------------------------------------------------
def _respell(draw: st.DrawFn, spelling: str) -> str:
    """The same code as an export might write it: other case, other separators, padding."""
    words = code_key(spelling).split()
    case = draw(st.sampled_from([str.lower, str.upper, str.title, lambda s: s]))
    separator = draw(st.sampled_from([" ", "_", "-", " / ", ".  "]))
    return draw(st.sampled_from(["", " ", "  "])) + separator.join(case(w) for w in words) + draw(
        st.sampled_from(["", " ", "."]))


@st.composite
def respelled(draw: st.DrawFn, code_list: str) -> tuple[str, object]:
    key = draw(st.sampled_from(sorted(k for k in CODE_LISTS[code_list] if k)))
    return _respell(draw, key), CODE_LISTS[code_list][key]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), code_list=st.sampled_from(["el_status", "iep_status", "low_income", "sex", "race"]))
def test_any_spelling_of_a_known_status_reads_the_same(data: st.DataObject, code_list: str) -> None:
    value, canonical = data.draw(respelled(code_list))
    assert lookup(code_list, value) == canonical


_KNOWN_WORDS = {k for k in (*EL_STATUS_CODES, *IEP_STATUS_CODES)}


@settings(max_examples=200, deadline=None)
@given(word=st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ()-"), min_size=3, max_size=20))
def test_a_word_no_list_knows_is_never_read_and_is_asked_about(word: str) -> None:
    key = code_key(word)
    if key in _KNOWN_WORDS or not re.search(r"[a-z]{2,}", key):  # single letters are codes, not words
        return
    assert lookup("el_status", word) is None and lookup("iep_status", word) is None
    words = unread_status_words({"english_learner": ((word, 3),), "grade": ((word, 1),)}, "enrollment")
    assert list(words) == ["english_learner"] and words["english_learner"] == ((word, 3),)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_import_reads_statuses_as_the_python_list_does(data: st.DataObject, tmp_path_factory) -> None:
    """The SQL reading (importer) and the Python lists agree on any mix of known spellings."""
    folder = tmp_path_factory.mktemp("prop")
    drawn = data.draw(st.lists(st.tuples(respelled("el_status"), respelled("iep_status"), respelled("low_income")),
                               min_size=5, max_size=12))
    header = ["Student ID", "School", "Grade", "EL Status", "IEP Status", "Lunch Status", "School Year"]
    rows = [[f"{100000 + i}", "A", "3", el[0], iep[0], frl[0], "2024-25"] for i, (el, iep, frl) in enumerate(drawn)]
    db = folder / "s.duckdb"
    code, out, err = run("import", str(write_csv(folder / "r.csv", [header, *rows])), "--db", str(db),
                         "--kind", "enrollment")
    assert code == 0, err
    got = stored(db, "SELECT english_learner, disability, low_income FROM enrollment ORDER BY student_id")
    want = [(el[1], iep[1], frl[1]) for el, iep, frl in drawn]
    blanks_no = {i: "blanks read as No" in out for i in range(3)}
    assert len(got) == len(want) and not any(blanks_no.values())
    assert got == want


def test_the_data_page_asks_about_a_status_word_no_list_reads(tmp_path: Path) -> None:
    """What the page lists under "Codes this tool does not know" (importer.codes_to_review) holds the word, and
    a reading the user gives removes it."""
    from dataclasses import replace

    from equity_metrics.ingest.importer import codes_to_review, column_samples
    from equity_metrics.ingest.kinds import guess_mapping
    from equity_metrics.ingest.readers import read_source

    rows = [*ROWS, ["100009", "Adams", "5", "Exited (Yr 2)", "No IEP", "Paid", "F", "White", "2024-25"]]
    source = read_source(write_csv(tmp_path / "r.csv", [HEADER, *rows]))
    mapping = guess_mapping("enrollment", source.columns, column_samples(source))
    assert codes_to_review(source, mapping) == {"english_learner": (("Exited (Yr 2)", 1),)}
    said = replace(mapping, code_overrides={"english_learner": {"Exited (Yr 2)": "No"}})
    assert codes_to_review(source, said) == {}
