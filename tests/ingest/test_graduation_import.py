"""Issue 13: a published graduation file (school x student group x cohort counts) imports with no options and
gives the graduation rate by race, through the command line and the library. The real NYC DOE file of the shared
corpus reproduces its README's figures exactly; a harder variant of our own (title rows, other headers in
another order, '*', '<10' and 'N<10' markers, a thousands separator, a decimal count, a non-breaking space, an
exact and a conflicting duplicate) gives the figures worked out by hand below."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from fixtures.command_line import run_cli as cli

from equity_metrics import Filters, rates
from equity_metrics.storage.store import Store

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
NYC = SHARED / "nyc_graduation" / "graduation.csv"
pytestmark = pytest.mark.skipif(not NYC.exists(), reason="the shared corpus is not here")
BLACK, HISPANIC, WHITE, ASIAN = "Black or African American", "Hispanic or Latino", "White", "Asian"


def rates_csv(db: Path, *argv: str) -> pd.DataFrame:
    code, out, err = cli("rates", "graduation", "--with-total", "--db", str(db), "--format", "csv", *argv)
    assert code == 0, err
    return pd.read_csv(io.StringIO(out))


def counts(frame: pd.DataFrame, key: str = "race") -> dict[str, tuple[int, int | None]]:
    return {row[key]: (int(row["denominator"]), None if pd.isna(row["numerator"]) else int(row["numerator"]))
            for _, row in frame.iterrows()}


@pytest.fixture(scope="module")
def nyc_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The NYC file imported as a user would: no option at all."""
    db = tmp_path_factory.mktemp("nyc") / "store.duckdb"
    code, out, err = cli("import", str(NYC), "--db", str(db))
    assert code == 0, err
    return db, out


def test_the_nyc_file_imports_with_no_options_and_says_what_it_did_with_its_traps(nyc_db: tuple[Path, str]) -> None:
    db, out = nyc_db
    assert "graduation.csv: 25,096 of 25,096 rows imported as Graduation outcomes (aggregated)." in out
    assert "8,392 rows have no usable number of graduates (suppressed" in out and "never counted as 0" in out
    assert "stored as missing: 's' x8,392." in out
    # 241 extra rows repeat a key: one exact copy (counted once), the rest in 240 keys with different numbers
    assert "1 rows repeat another row exactly" in out
    assert "240 school x cohort x group keys are given more than once with different numbers" in out
    assert "school year from the column 'Cohort': a cohort is named by the school year it entered grade 9" in out
    with Store(db, read_only=True) as store:
        stored = store.cursor().execute(
            "SELECT count(*), sum(cohort_count) FROM graduation WHERE cohort = '2006' AND student_group = "
            "'All students'").fetchone()
        assert stored == (405, 73986)  # README 1: 405 rows, a cohort of 73,986 ("1,007" read with its separator)
        assert store.cursor().execute("SELECT DISTINCT school_year FROM graduation WHERE cohort IN ('2006', "
                                      "'2006 Aug')").fetchall() == [("2006-07",)]
        names = store.cursor().execute("SELECT DISTINCT school FROM facts_graduation WHERE school_id = '07X381'"
                                       ).fetchall()
        assert len(names) == 1 and names[0][0] == names[0][0].strip() and "\u00a0" not in names[0][0]


def test_the_nyc_graduation_rates_by_race_reproduce_the_readme_from_the_command_line(
        nyc_db: tuple[Path, str]) -> None:
    db, _ = nyc_db
    frame = rates_csv(db, "--year", "2006-07")
    assert counts(frame) == {HISPANIC: (27016, 15310), ASIAN: (10043, 8145), BLACK: (23827, 14093),
                             WHITE: (8510, 6843), "All students": (73891, 47404)}
    rate = frame.set_index("race")["rate"].round(3).to_dict()
    assert rate == {HISPANIC: 0.567, ASIAN: 0.811, BLACK: 0.591, WHITE: 0.804, "All students": 0.642}
    # compared with all other students of the cohort (the rest of each school's cohort included)
    black = frame.set_index("race").loc[BLACK]
    assert black["comparison_rate"] == pytest.approx((47404 - 14093) / (73891 - 23827), abs=1e-9)
    assert black["risk_ratio"] == pytest.approx((14093 / 23827) / ((47404 - 14093) / (73891 - 23827)), abs=1e-9)
    school = rates_csv(db, "--year", "2005-06", "--school", "08X405")  # by its code (DBN)
    got = counts(school)
    assert got["All students"] == (1007, 458) and got[BLACK] == (216, 83) and got[HISPANIC] == (585, 252)


def test_the_nyc_graduation_rates_through_the_library(nyc_db: tuple[Path, str]) -> None:
    db, _ = nyc_db
    with Store(db, read_only=True) as store:
        result = rates(store, "graduation", ["race"], Filters(school_years=("2006-07",)))
        lehman = rates(store, "graduation", ["race"], Filters(school_years=("2005-06",),
                                                              schools=("HERBERT H. LEHMAN HIGH SCHOOL",)))
    table = result.table.set_index("race")
    assert table.loc[BLACK, ["denominator", "numerator"]].astype(int).tolist() == [23827, 14093]
    assert table.loc[WHITE, ["denominator", "numerator"]].astype(int).tolist() == [8510, 6843]
    assert result.totals[["denominator", "numerator"]].astype(int).values.tolist() == [[73891, 47404]]
    assert lehman.totals[["denominator", "numerator"]].astype(int).values.tolist() == [[1007, 458]]


# ---- a harder variant of our own --------------------------------------------------------------------------------
VARIANT = [
    ["District graduation outcomes, all cohorts"],
    ["Source: district accountability office"],
    [],
    ["Graduation Rate (%)", "Graduates", "Student Group", "Cohort Year", "School Code", "School", "Cohort Count"],
    ["75.0", "900", "All Students", "2019", "0001", "North High\u00a0\u00a0", "1,200"],
    ["70.0", "280", "Black", "2019", "0001", "North High\u00a0\u00a0", "400"],
    ["70.0", "210", "Hispanic", "2019", "0001", "North High\u00a0\u00a0", "300"],
    ["*", "*", "White", "2019", "0001", "North High\u00a0\u00a0", "30"],  # suppressed: never 0
    ["20.0", "5", "Asian", "2019", "0001", "North High\u00a0\u00a0", "25"],  # 5 graduates: a small count
    ["71.7", "430", "Male", "2019", "0001", "North High\u00a0\u00a0", "600"],
    ["70.0", "350.0", "All Students", "2019", "0002", "South High", "500"],
    ["60.0", "120", "Black", "2019", "0002", "South High", "200"],
    ["60.0", "120", "Black", "2019", "0002", "South High", "200"],  # an exact copy: counted once
    [".", "N<10", "Hispanic", "2019", "0002", "South High", "150"],
    ["90.0", "90", "White", "2019", "0002", "South High", "100"],  # the same key with other numbers: not counted
    ["85.0", "85", "White", "2019", "0002", "South High", "100"],
    ["", "<10", "Asian", "2019", "0002", "South High", "12"],
]


@pytest.fixture(scope="module")
def variant_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("variant")
    path = folder / "grad_outcomes.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(VARIANT)
    code, out, err = cli("import", str(path), "--db", str(folder / "store.duckdb"))
    assert code == 0, err
    return folder / "store.duckdb", out


def test_a_variant_with_title_rows_other_headers_and_markers_imports_with_no_options(
        variant_db: tuple[Path, str]) -> None:
    _, out = variant_db
    assert "13 of 13 rows imported as Graduation outcomes (aggregated)" in out
    assert "Skipped 3 rows above the header" in out
    assert "3 rows have no usable number of graduates" in out  # '*', 'N<10', '<10'
    assert "1 rows repeat another row exactly" in out
    assert "1 school x cohort x group keys are given more than once with different numbers (e.g. 2019 0002 White)" \
        in out
    assert "Columns ignored: Graduation Rate (%)." in out


def test_the_variant_gives_the_rates_worked_out_by_hand_with_small_counts_hidden(
        variant_db: tuple[Path, str]) -> None:
    db, _ = variant_db
    with Store(db, read_only=True) as store:
        from equity_metrics.measures import aggregate
        from equity_metrics.measures.indicators import INDICATORS

        cells = aggregate.rate_cells(store, [INDICATORS["graduation"]], ["race"])
    # Black: 400/280 + 200/120 (the copy once); Hispanic: North only (South's graduates are 'N<10'); Asian: North
    # 25/5 (South's '<10'); White: North suppressed, South conflicting, so no White cell at all.
    assert {r.race: (r.denominator, r.numerator) for r in cells.itertuples() if isinstance(r.race, str)} == {
        BLACK: (600, 400), HISPANIC: (300, 210), ASIAN: (25, 5)}
    frame = rates_csv(db, "--year", "2019-20")
    got = counts(frame)
    assert got["All students"] == (1700, 1250)  # 1,200 (with its separator) + 500; 900 + 350.0
    assert got[BLACK] == (600, 400) and set(got) == {BLACK, HISPANIC, ASIAN, "All students"}
    # 5 Asian graduates are a small count: hidden, and Hispanic with it, else 5 = 900 - 280 - 210 - the rest
    assert got[ASIAN] == (25, None) and got[HISPANIC] == (300, None)
    by_school = counts(rates_csv(db, "--year", "2019-20", "--by", "school,race").assign(
        key=lambda f: f["school"] + "/" + f["race"]), key="key")
    assert by_school["North High/All students"] == (1200, 900)  # the name without its non-breaking spaces
    assert by_school["South High/All students"] == (500, 350)


def test_graduation_percentages_without_counts_are_refused_saying_why(tmp_path: Path) -> None:
    path = tmp_path / "grad_rates.csv"
    path.write_text("DBN,Demographic,Cohort,Total Grads - % of cohort\n01M292,Black,2006,55.1\n", encoding="utf-8")
    code, out, err = cli("import", str(path), "--db", str(tmp_path / "store.duckdb"))
    assert code == 2 and out == ""
    assert "cannot be imported: it holds graduation outcomes per school, group and cohort, but not both counts" in err
