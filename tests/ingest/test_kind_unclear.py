"""Issue 13: a kind that would leave most of the columns unused is never chosen in silence. An anonymous survey
with a school column and no respondent type ("Survey Year, School, Q1 ..., Q2 ...") was imported as Schools,
its answers ignored; the command line now refuses, listing the kinds the columns point at and --kind."""

from __future__ import annotations

from pathlib import Path

from fixtures.command_line import run_cli as run
from fixtures.text_files import write_csv

from equity_metrics.ingest.kinds import choose_kind

SCHOOLS = ["Maple Grove Elementary", "Cedar Park Elementary", "Lincoln Middle School"]


def survey(path: Path) -> Path:
    return write_csv(path, ["Survey Year", "School", "Q1 I feel safe", "Q2 Adults care"],
                     [["2024-25", SCHOOLS[i % 3], 1 + i % 5, 1 + i * 3 % 5] for i in range(30)])


def test_an_anonymous_survey_without_roles_is_not_taken_for_schools(tmp_path: Path) -> None:
    path = survey(tmp_path / "anon_survey_year.csv")
    code, out, err = run("import", str(path), "--db", str(tmp_path / "s.duckdb"), "--dry-run")
    assert code == 2 and out == ""
    assert err == ("error: anon_survey_year.csv: the columns do not support one kind clearly: Schools would leave 3 "
                   "of 4 columns unused ('Survey Year', 'Q1 I feel safe', 'Q2 Adults care'); Climate survey responses "
                   "needs respondent type, which no column holds; say which with --kind (schools, survey)\n")


def test_kind_given_takes_the_file_as_said(tmp_path: Path) -> None:
    path = survey(tmp_path / "anon_survey_year.csv")
    code, out, err = run("import", str(path), "--db", str(tmp_path / "s.duckdb"), "--dry-run", "--kind", "schools")
    assert code == 0, err
    assert "Columns ignored: Survey Year, Q1 I feel safe, Q2 Adults care." in out.splitlines()


def test_a_list_of_schools_is_still_schools() -> None:
    columns = ["School Name", "School Code", "Level", "Principal"]
    samples = {"School Name": SCHOOLS, "School Code": ["101", "102", "201"], "Level": ["ES", "ES", "MS"],
               "Principal": ["A. Smith", "B. Jones", "C. Lee"]}
    chosen = choose_kind(columns, samples)
    assert chosen.kind == "schools", chosen.reason


def test_one_named_column_counts_once() -> None:
    """A school column of names read as both the name and the code is one column used, not two."""
    columns = ["School", "Notes 1", "Notes 2", "Notes 3"]
    samples = {"School": SCHOOLS, **{c: ["x", "y", "z"] for c in columns[1:]}}
    chosen = choose_kind(columns, samples)
    assert chosen.kind is None and "Schools would leave 3 of 4 columns unused" in chosen.reason
    assert "schools" in chosen.choices
