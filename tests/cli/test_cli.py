"""The command line: exact interface (commands, options, columns), same numbers as the library, clean errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.command_line import run_cli as run

from equity_metrics.measures import analysis
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
RATE_CSV_COLUMNS = ["denominator", "numerator", "rate", "rate_ci_low", "rate_ci_high", "comparison_rate", "risk_ratio",
                    "risk_ratio_ci_low", "risk_ratio_ci_high", "rate_difference", "p_value", "q_value", "test",
                    "share_of_denominator", "share_of_numerator", "representation_index", "suppressed", "note"]
GAP_CSV_COLUMNS = ["n", "mean", "sd", "median", "comparison_mean", "mean_difference", "hedges_g", "hedges_g_ci_low",
                   "hedges_g_ci_high", "p_value", "suppressed", "note"]
FEDERAL_LABELS = {"Hispanic or Latino", "American Indian or Alaska Native", "Asian", "Black or African American",
                  "Native Hawaiian or Other Pacific Islander", "White", "Two or more races", "Unknown"}


def csv_of(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=True)


def test_indicators_lists_id_label_domain_kind():
    code, out, _ = run("indicators", "--format", "csv")
    assert code == 0
    frame = csv_of(out)
    assert list(frame.columns) == ["id", "label", "domain", "kind"]
    assert set(frame["id"]) == set(INDICATORS)
    assert frame.set_index("id").loc["oss", "label"] == "Out-of-school suspension"
    assert set(frame["kind"]) == {"rate", "mean"}


def test_indicators_json_and_table():
    code, out, _ = run("indicators", "--format", "json")
    records = json.loads(out)
    assert {"id": "oss", "label": "Out-of-school suspension", "domain": "Discipline", "kind": "rate"} in records
    code, out, _ = run("indicators")
    assert code == 0 and out.splitlines()[0].split() == ["id", "label", "domain", "kind"]


def test_rates_csv_columns_and_numbers_match_the_library(sample_db: Path):
    code, out, err = run("rates", "oss", "--db", str(sample_db), "--format", "csv")
    assert code == 0, err
    frame = csv_of(out)
    assert list(frame.columns) == ["race", *RATE_CSV_COLUMNS]
    assert set(frame["race"]) <= FEDERAL_LABELS
    with Store(sample_db) as store:
        expected = analysis.rates(store, "oss", ["race"]).table
    black_cli = frame[frame["race"] == "Black or African American"].iloc[0]
    black_lib = expected[expected["race"] == "Black or African American"].iloc[0]
    for column in ("denominator", "numerator", "rate", "risk_ratio", "risk_ratio_ci_low", "p_value"):
        assert black_cli[column] == pytest.approx(float(black_lib[column]), rel=1e-12)
    assert 0 < black_cli["rate"] < 1  # a fraction, not a percent


def test_q_values_are_benjamini_hochberg_over_the_outputs_own_p_values(sample_db: Path):
    from statsmodels.stats.multitest import multipletests

    code, out, err = run("rates", "oss", "--by", "school,race", "--db", str(sample_db), "--format", "csv")
    assert code == 0, err
    frame = csv_of(out)
    tested = frame["p_value"].notna()
    assert tested.sum() >= 10 and frame.loc[~tested, "q_value"].isna().all()
    expected = multipletests(frame.loc[tested, "p_value"].to_numpy(), method="fdr_bh")[1]
    np.testing.assert_allclose(frame.loc[tested, "q_value"].to_numpy(), expected, rtol=1e-9)


def test_rates_by_two_dimensions_with_a_chosen_group(sample_db: Path):
    code, out, err = run("rates", "oss", "--by", "race,sex", "--compare", "White", "--year", "2024-25",
                         "--db", str(sample_db), "--format", "csv")
    assert code == 0, err
    frame = csv_of(out)
    assert list(frame.columns[:2]) == ["race", "sex"]
    compared = 0
    for sex in ("Female", "Male"):
        white = frame[(frame["race"] == "White") & (frame["sex"] == sex)].iloc[0]
        assert "comparison group" in white["note"]
        for _, other in frame[(frame["race"] != "White") & (frame["sex"] == sex)].iterrows():
            if pd.isna(white["rate"]) or pd.isna(other["rate"]):  # a hidden count: no comparison rests on it
                assert pd.isna(other["comparison_rate"]) and pd.isna(other["risk_ratio"])
                continue
            compared += 1
            assert other["comparison_rate"] == pytest.approx(white["rate"], rel=1e-12)
            if pd.notna(other["risk_ratio"]):
                assert other["risk_ratio"] == pytest.approx(other["rate"] / white["rate"], rel=1e-9)
    assert compared


def test_rates_school_filter_and_minimums(sample_db: Path):
    with Store(sample_db) as store:
        school = store.query("SELECT school, school_id FROM facts_student_year WHERE school_year = '2024-25' "
                             "GROUP BY ALL ORDER BY count(*) DESC LIMIT 1").iloc[0]
        enrolled = store.scalar("SELECT count(*) FROM facts_student_year WHERE school_year = '2024-25' "
                                "AND school_id = ? AND race = 'White'", [school["school_id"]])
    for value in (school["school"], school["school_id"]):
        code, out, err = run("rates", "oss", "--school", value, "--db", str(sample_db), "--format", "csv",
                             "--min-n", "50", "--min-cell", "5")
        assert code == 0, err
        frame = csv_of(out)
        assert int(frame[frame["race"] == "White"]["denominator"].iloc[0]) == enrolled


def test_gaps_csv_columns(sample_db: Path):
    code, out, err = run("gaps", "math_scale_score", "--db", str(sample_db), "--format", "csv")
    assert code == 0, err
    frame = csv_of(out)
    assert list(frame.columns) == ["race", *GAP_CSV_COLUMNS]
    with Store(sample_db) as store:
        expected = analysis.gaps(store, "math_scale_score", ["race"], options=MetricOptions()).table
    black = frame[frame["race"] == "Black or African American"].iloc[0]
    assert black["hedges_g"] == pytest.approx(
        float(expected[expected["race"] == "Black or African American"]["hedges_g"].iloc[0]), rel=1e-12)


def test_json_has_null_for_suppressed_values(sample_db: Path):
    code, out, _ = run("rates", "expulsion", "--db", str(sample_db), "--format", "json")
    records = json.loads(out)
    hidden = [r for r in records if r["suppressed"]]
    assert hidden, "the sample has small groups whose expulsions are hidden"
    assert all(r["rate"] is None for r in hidden)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rates", "no_such_indicator"], "unknown indicator 'no_such_indicator'"),
        (["rates", "oss", "--by", "shoe_size"], "cannot be split by shoe_size"),
        (["rates", "oss", "--compare", "Martians"], "comparison group 'Martians'"),
        (["rates", "teacher_retention", "--by", "disability"], "cannot be split by disability"),
    ],
)
def test_errors_are_one_line_without_traceback(sample_db: Path, argv: list[str], message: str):
    code, out, err = run(*argv, "--db", str(sample_db))
    assert code == 2
    assert out == ""
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_empty_store_loads_the_sample_and_says_so(tmp_path: Path, sample_dir: Path, monkeypatch):
    monkeypatch.setattr("equity_metrics.sample.sample_store.SAMPLE_DIR", sample_dir)
    code, out, err = run("rates", "oss", "--db", str(tmp_path / "new.duckdb"), "--format", "csv")
    assert code == 0
    assert "was empty: loaded Sample data (synthetic)" in err
    assert "Black or African American" in out


def test_python_dash_m_entry_point_and_lock_message(sample_db: Path):
    """`python -m equity_metrics` works as a program, and a second program gets a clear lock message."""
    command = [sys.executable, "-m", "equity_metrics", "rates", "oss", "--db", str(sample_db), "--format", "csv"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("race,denominator,numerator,rate,")
    with Store(sample_db):
        locked = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert locked.returncode == 2
    assert "is open in another program" in locked.stderr and "Traceback" not in locked.stderr


def test_import_every_sheet_then_list_datasets(tmp_path: Path, sample_dir: Path):
    db = str(tmp_path / "store.duckdb")
    code, out, err = run("import", str(sample_dir / "hr_export.xlsx"), "--db", db, "--format", "csv")
    assert code == 0, err
    imported = csv_of(out)
    assert imported["kind"].tolist() == ["staff", "applicants", "schools"]
    assert (imported["rows_imported"] == imported["rows_read"]).all()
    code, out, _ = run("datasets", "--db", db, "--format", "json")
    catalog = json.loads(out)
    assert [d["name"] for d in catalog] == ["hr_export.xlsx [Schools]", "hr_export.xlsx [Applicants]",
                                           "hr_export.xlsx [Staff]"]
    assert all(len(d["sha256"]) == 64 and d["file_size"] > 0 and not d["is_sample"] for d in catalog)
    # The same workbook again would count every row twice: refused, store unchanged.
    code, out, err = run("import", str(sample_dir / "hr_export.xlsx"), "--db", db)
    assert code == 2 and "already loaded" in err and len(err.strip().splitlines()) == 1
    assert len(json.loads(run("datasets", "--db", db, "--format", "json")[1])) == 3


def test_datasets_csv_neutralises_formulas(tmp_path: Path):
    """`datasets --format csv` read back: a file name, a sheet name or a dataset name a spreadsheet could run
    (starting with =, +, -, @ or a tab) is the app's download cell, one apostrophe before the text as stored
    (which `--format json` shows unchanged)."""
    from openpyxl import Workbook

    from equity_metrics.reports.export_tables import cell_value

    db = str(tmp_path / "store.duckdb")
    book = Workbook()
    book.active.title = "@SUM(1)"
    book.active.append(["Employee ID", "School Year"])
    book.active.append(["E0001", "2024-25"])
    book.save(workbook := tmp_path / '=HYPERLINK("http:x").xlsx')
    assert run("import", str(workbook), "--db", db)[0] == 0
    for number, (file, name) in enumerate([("+1+x.csv", "\tTabbed"), ("-x.csv", "-3.5")]):
        (tmp_path / file).write_text(f"Employee ID,School Year\nE000{number + 2},2023-24\n", encoding="utf-8")
        assert run("import", str(tmp_path / file), "--db", db, "--name", name)[0] == 0
    code, out, err = run("datasets", "--db", db, "--format", "csv")
    assert code == 0, err
    shown = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    stored = pd.DataFrame(json.loads(run("datasets", "--db", db, "--format", "json")[1])).fillna("")
    text = ["name", "source_file", "sheet"]
    assert stored[text].values.tolist() == [["-3.5", "-x.csv", ""], ["\tTabbed", "+1+x.csv", ""],
                                            ['=HYPERLINK("http:x").xlsx', '=HYPERLINK("http:x").xlsx', "@SUM(1)"]]
    assert shown[text].values.tolist() == [["-3.5", "'-x.csv", ""], ["'\tTabbed", "'+1+x.csv", ""],
                                           ["'=HYPERLINK(\"http:x\").xlsx", "'=HYPERLINK(\"http:x\").xlsx", "'@SUM(1)"]]
    assert shown[text].values.tolist() == stored[text].map(lambda v: cell_value(v) or "").values.tolist()
    assert shown["dataset_id"].tolist() == stored["dataset_id"].astype(str).tolist()


def test_import_with_a_kind_and_a_mapping(tmp_path: Path):
    from equity_metrics.ingest.mapping import Mapping

    roster = tmp_path / "roster.csv"
    roster.write_text("ID,Bldg,Gr,Ethnicity\n0001,0104,KG,HI\n0002,0104,01,BL\n", encoding="utf-8")
    mapping = tmp_path / "roster.json"
    mapping.write_text(Mapping("enrollment", {"student_id": "ID", "school_id": "Bldg", "grade": "Gr", "race": "Ethnicity"},
                               constants={"school_year": "2025-26"}).to_json(), encoding="utf-8")
    db = tmp_path / "store.duckdb"
    code, out, err = run("import", str(roster), "--mapping", str(mapping), "--name", "Roster 2025-26", "--db", str(db))
    assert code == 0, err
    assert out.splitlines()[0] == "roster.csv: 2 of 2 rows imported as Enrollment roster."
    with Store(db) as store:
        rows = store.query("SELECT student_id, grade, race, school_year FROM enrollment ORDER BY student_id")
        assert rows.values.tolist() == [["0001", "K", "Hispanic or Latino", "2025-26"],
                                        ["0002", "1", "Black or African American", "2025-26"]]
        assert store.datasets()["name"].tolist() == ["Roster 2025-26"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("a,b\n1,2\n", "junk.csv", "junk.csv: cannot tell what this table holds from its headers (a, b)"),
        ("whatever", "notes.md", "notes.md: unsupported file type .md"),
        ("Student ID,School Code,Grade,School Year\n", "empty.csv", "empty.csv: no row could be imported (the table is empty)"),
        ("Student ID,School Code,Grade\n", "no_year.csv", "no_year.csv: no school year in a column, a date column, the "
         "sheet name, the file name or a title row; give it with --year"),
    ],
)
def test_import_failures_are_one_line_and_leave_the_store_empty(tmp_path: Path, content: str, name: str, message: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    db = tmp_path / "store.duckdb"
    code, out, err = run("import", str(path), "--db", str(db))
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    with Store(db) as store:
        assert store.is_empty() and sum(store.kind_rows().values()) == 0


def test_a_mapping_given_once_is_used_for_next_years_file(tmp_path: Path):
    from equity_metrics.ingest.mapping import Mapping

    mapping = tmp_path / "roster.json"
    mapping.write_text(Mapping("enrollment", {"student_id": "ID", "school_id": "Bldg", "grade": "Gr", "school_year": "SY"})
                       .to_json(), encoding="utf-8")
    this_year = tmp_path / "roster_2024.csv"
    this_year.write_text("ID,Bldg,Gr,SY\n0001,0104,KG,2024-25\n", encoding="utf-8")
    next_year = tmp_path / "roster_2025.csv"
    next_year.write_text("id,BLDG,gr,sy\n0001,0104,01,2025-26\n", encoding="utf-8")  # same shape, other spelling
    db = str(tmp_path / "store.duckdb")
    assert run("import", str(this_year), "--mapping", str(mapping), "--db", db)[0] == 0
    code, out, err = run("import", str(next_year), "--db", db)  # headers "ID, Bldg, Gr" would not be guessed
    assert code == 0, err
    assert out.splitlines()[0] == "roster_2025.csv: 1 of 1 rows imported as Enrollment roster."


def test_a_schools_rates_carry_the_alternate_risk_ratio(sample_db: Path):
    code, out, err = run("rates", "sped_referral", "--by", "school,race", "--db", str(sample_db), "--format", "csv")
    assert code == 0, err
    columns = list(csv_of(out).columns)
    assert columns.index("alternate_risk_ratio") == columns.index("risk_ratio_ci_high") + 1
    code, out, err = run("rates", "sped_referral", "--by", "race", "--db", str(sample_db), "--format", "csv")
    assert "alternate_risk_ratio" not in csv_of(out).columns


def test_a_database_error_inside_a_command_is_not_called_an_open_failure(sample_db: Path, monkeypatch) -> None:
    """A DuckDB error while a command works on an open store says so (the store opened fine), not 'Cannot open
    the store'; a damaged or locked store keeps its own message (tests/storage)."""
    import duckdb

    from equity_metrics.measures import analysis

    def broken(*args, **kwargs):
        raise duckdb.BinderException("Binder Error: No function matches lpad(VARCHAR, BIGINT)")

    monkeypatch.setattr(analysis, "rates", broken)
    code, out, err = run("rates", "oss", "--db", str(sample_db))
    assert code == 2 and out == ""
    assert err.startswith(f"error: The command failed while working on the store {sample_db}, and what it was "
                          "writing was not kept (Binder Error: No function matches")
