"""Issue 13: with no --year, the command line uses the school year the app opens on (the latest with enough
students, `aggregate.default_school_year`), not the latest year a 12-student file opened, and says which on
stderr when that is not the latest year (as the app's sidebar does); an indicator without data in that year
uses its own latest year, as before."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fixtures.command_line import run_cli as run

from equity_metrics.cli import default_year
from equity_metrics.ingest.importer import SourceSpec, import_sources
from equity_metrics.ingest.kinds import guess_mapping
from equity_metrics.measures import analysis
from equity_metrics.storage.store import Store

ROSTER = ["Student ID", "School Code", "School Name", "Grade", "Race/Ethnicity", "Gender", "School Year"]


@pytest.fixture()
def twelve_new(sample_db: Path, tmp_path: Path) -> Path:
    """The sample district with a roster of 12 students of 2025-26 added (a year just opened)."""
    path = tmp_path / "new.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER)
        writer.writerows([f"99{i:05d}", "0104", "Lincoln Heights Elementary", "03", "White", "F", "2025-26"]
                         for i in range(12))
    with Store(sample_db) as store:
        import_sources(store, [SourceSpec(path, guess_mapping("enrollment", ROSTER))])
    return sample_db


@pytest.mark.parametrize("command, indicator", [("rates", "oss"), ("gaps", "math_scale_score")])
def test_the_default_year_is_the_one_the_app_picks_and_is_said(twelve_new: Path, command: str, indicator: str) -> None:
    code, out, err = run(command, indicator, "--db", str(twelve_new), "--format", "csv")
    assert code == 0, err
    assert err.startswith("School year 2024-25 is used: the latest with enough students to compare groups "
                          "(2025-26 has 12; choose it with --year)")
    assert out == run(command, indicator, "--db", str(twelve_new), "--format", "csv", "--year", "2024-25")[1]


def test_the_latest_year_says_nothing_as_in_the_app(sample_db: Path) -> None:
    code, out, err = run("rates", "oss", "--db", str(sample_db), "--format", "csv")
    assert code == 0, err
    assert err == ""
    assert out == run("rates", "oss", "--db", str(sample_db), "--format", "csv", "--year", "2024-25")[1]


def test_a_year_given_or_years_compared_say_nothing(twelve_new: Path) -> None:
    for options in (("--year", "2023-24"), ("--by", "school_year,race")):
        code, out, err = run("rates", "oss", "--db", str(twelve_new), *options)
        assert code == 0, err
        assert err == ""


def test_an_indicator_without_data_that_year_uses_its_own_latest(sample_store: Store,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis, "years_with_data", lambda store, indicator: ["2022-23", "2023-24"])
    assert default_year(sample_store, "oss") == ("2023-24", "")  # as before: the indicator's latest year
    monkeypatch.setattr(analysis, "years_with_data", lambda store, indicator: [])
    assert default_year(sample_store, "oss") == (None, "")
    monkeypatch.setattr(analysis, "years_with_data", lambda store, indicator: ["2024-25", "2025-26"])
    assert default_year(sample_store, "oss") == (
        "2024-25", "School year 2024-25 is used: the latest with enough students to compare groups (out-of-school "
        "suspension also has 2025-26; choose it with --year).")


def test_the_audit_says_its_year(twelve_new: Path, tmp_path: Path) -> None:
    code, out, err = run("audit", "--db", str(twelve_new), "--out", str(tmp_path / "audit.html"))
    assert code == 0, err
    assert "School year 2024-25 is used" in err and "2025-26 has 12" in err
