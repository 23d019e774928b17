"""Issue 13: the NYC School Survey 2011 summary of District 75 (shared corpus, section 6: one row per school, 1,773
tab-separated columns, a BOM, quoted strings) imports with no options into kind `survey_summary`, from the command
line and from the library, and reproduces the corpus README's figures 1-4 through `survey-summary` where privacy
allows (where it does not, the figure is hidden and a note says so); the school year 2010-11 is read from the
`_11` suffix and `--year` overrides it; a re-import is counted once; a small count is hidden and cannot be
recovered from the school and all-schools figures (a linear-programming attacker over every sum they publish)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.apptest import data_page_without_sample
from fixtures.command_line import imported_store
from fixtures.command_line import run_cli as cli
from scipy.optimize import linprog

from equity_metrics.ingest.import_plan import Options, plan_file
from equity_metrics.ingest.importer import import_sources
from equity_metrics.measures import survey_summary
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT.parent / "shared" / "corpus" / "nyc_survey" / "survey_d75.txt"
pytestmark = pytest.mark.skipif(not FILE.exists(), reason="the shared corpus is not here")
YEAR = "2010-11"  # 2011 (the '_11' suffix) is the spring year
ALL = "All schools"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A store with the file imported by `python -m equity_metrics import FILE` (no options), and its output."""
    return imported_store(tmp_path_factory.mktemp("survey"), FILE)


def summary(db: Path, *options: str) -> tuple[pd.DataFrame, str]:
    code, out, err = cli("survey-summary", "--db", str(db), "--format", "csv", *options)
    assert code == 0, err
    return pd.read_csv(io.StringIO(out), dtype={"school_id": str, "option": str}), err


def test_the_file_imports_with_no_options_as_survey_summary(imported: tuple[Path, str]) -> None:
    db, out = imported
    assert "98,896 of 98,896 rows imported as School survey summary (aggregated)" in out
    assert "kind survey_summary" in out
    assert "school year 2010-11: from the '_11' suffix" in out and "--year overrides" in out
    assert "The students' respondents are blank for 2 schools (75K372, 75R037): stored as missing, never 0" in out
    with Store(db, read_only=True) as store:
        frame = store.query("SELECT DISTINCT school_id, school_name, school_year FROM survey_summary")
    # The BOM is not part of the first header ('dbn' is the school code), tabs separate the columns, and the
    # quotes around strings are not part of the values.
    assert len(frame) == 56 and set(frame["school_year"]) == {YEAR}
    assert frame["school_id"].str.fullmatch(r"75[KQXMR]\d{3}").all()
    assert frame.set_index("school_id").loc["75K004", "school_name"] == "P.S. K004"
    assert frame["school_id"].str[2].value_counts().to_dict() == {"K": 18, "Q": 13, "X": 12, "M": 9, "R": 4}


def test_figure_1_respondents_of_eligible(imported: tuple[Path, str]) -> None:
    table, _ = summary(imported[0])
    everyone = table[table["unit"] == ALL].set_index("respondent")
    assert everyone["respondents"].to_dict() == {"Parents": 7588, "Teachers": 3426, "Students": 5251}
    assert everyone["eligible"].to_dict() == {"Parents": 19896, "Teachers": 4640, "Students": 7746}


def test_figure_2_one_school_students_hidden(imported: tuple[Path, str]) -> None:
    table, notes = summary(imported[0], "--school", "75K004")
    school = table[table["school_id"] == "75K004"].set_index("respondent")
    assert school.loc["Teachers", ["respondents", "eligible", "response_rate"]].tolist() == [81, 90, 90]
    assert school.loc["Parents", ["respondents", "eligible", "response_rate"]].tolist() == [244, 337, 72]
    # 8 students of 21: 8 is a count from 1 to 9, hidden, and the response rate (38) with it; 21 is shown.
    assert pd.isna(school.loc["Students", "respondents"]) and pd.isna(school.loc["Students", "response_rate"])
    assert school.loc["Students", "eligible"] == 21
    assert "count from 1 to 9" in notes
    scores, notes = summary(imported[0], "--what", "scores", "--school", "75K004")
    safety = scores[(scores["scale"] == "Safety & Respect") & (scores["school_id"] == "75K004")].set_index("respondent")
    # saf_tot_11 (8.0) averages the students' score too: hidden with their respondents.
    assert pd.isna(safety.loc["All respondents", "score"]) and pd.isna(safety.loc["Students", "score"])
    assert safety.loc["Teachers", "score"] == 7.4 and safety.loc["Parents", "score"] == 9.1
    assert "scores hidden" in notes and "hidden when its respondents are" in notes


def test_figure_3_one_item_small_count_hidden(imported: tuple[Path, str]) -> None:
    table, notes = summary(imported[0], "--what", "items", "--school", "75K004", "--item", "t_q1a")
    school = table[table["school_id"] == "75K004"].set_index("option")
    assert school.loc[["1", "2"], "count"].tolist() == [25, 39]
    assert school.loc[["1", "2"], "percent"].tolist() == [31, 48]
    # 7 teachers chose option 3: hidden, with its 9%, and option 4 (10, 12%) as its complement: 81 - 25 - 39.
    assert school.loc[["3", "4"], ["count", "percent"]].isna().all().all()
    assert set(school["answered"]) == {81}
    assert "2 counts hidden here" in notes


def test_figure_4_mean_of_the_safety_scores(imported: tuple[Path, str]) -> None:
    table, _ = summary(imported[0], "--what", "scores")
    row = table[(table["unit"] == ALL) & (table["respondent"] == "All respondents")
                & (table["scale"] == "Safety & Respect")]
    assert row["score"].tolist() == [7.734] and row["sum"].tolist() == [433.1] and row["schools"].tolist() == [56]


def test_the_library_imports_it_the_same_way(tmp_path: Path, imported: tuple[Path, str]) -> None:
    with Store(tmp_path / "library.duckdb") as store:
        plans, _ = plan_file(store, FILE, Options())
        assert [p.spec.mapping.kind for p in plans] == ["survey_summary"]
        assert plans[0].spec.mapping.constants["school_year"] == YEAR
        import_sources(store, [p.spec for p in plans])
        result = survey_summary.survey_summary(store, what="items", item="t_q1a")
    expected, _ = summary(imported[0], "--what", "items", "--item", "t_q1a")
    assert result.school_year == YEAR
    assert result.table["count"].astype("float").fillna(-1).tolist() == expected["count"].fillna(-1).tolist()


def test_the_year_option_overrides_the_suffix(tmp_path: Path) -> None:
    db = tmp_path / "year.duckdb"
    code, out, err = cli("import", str(FILE), "--db", str(db), "--year", "2011-12")
    assert code == 0, err
    assert "school year 2011-12: given (--year)" in out
    table, _ = summary(db, "--year", "2011-12")
    assert set(table["school_year"]) == {"2011-12"}


def test_a_reimport_is_refused_and_a_replacement_counted_once(tmp_path: Path, imported: tuple[Path, str]) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copyfile(imported[0], db)
    code, out, err = cli("import", str(FILE), "--db", str(db))
    assert code == 2 and out == "" and "already loaded" in err
    shuffled = tmp_path / "survey_d75_sorted.txt"
    frame = pd.read_csv(FILE, sep="\t", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    frame.sort_values("schoolname").to_csv(shuffled, sep="\t", index=False)
    code, out, err = cli("import", str(shuffled), "--db", str(db))
    assert code == 2 and "--replace" in err, err
    code, _, err = cli("import", str(shuffled), "--db", str(db), "--replace")
    assert code == 0, err
    with Store(db, read_only=True) as store:
        assert store.datasets()["source_file"].tolist() == [shuffled.name]
    table, _ = summary(db)
    assert table[table["unit"] == ALL].set_index("respondent")["respondents"].to_dict() == {
        "Parents": 7588, "Teachers": 3426, "Students": 5251}


def bounds(cells: pd.DataFrame, relations: list[list[tuple[str, str]]], target: tuple[str, str]) -> tuple[float, float]:
    """The range an attacker finds for `target`, knowing every shown cell (value) and that each relation's first
    member is the sum of the others; hidden cells (NaN) are unknowns >= 0."""
    hidden = [key for key, value in cells.items() if pd.isna(value)]
    column = {key: i for i, key in enumerate(hidden)}
    rows, rhs = [], []
    for parent, *children in relations:
        row, constant = np.zeros(len(hidden)), 0.0
        for key, sign in ((parent, -1.0), *((c, 1.0) for c in children)):
            if key in column:
                row[column[key]] += sign
            else:
                constant -= sign * cells[key]
        if row.any():
            rows.append(row)
            rhs.append(constant)
    out = []
    for sign in (1.0, -1.0):
        objective = np.zeros(len(hidden))
        objective[column[target]] = sign
        solved = linprog(objective, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=(0, None), method="highs")
        assert solved.success
        out.append(sign * solved.fun)
    return out[0], out[1]


def test_a_small_count_is_not_recoverable_from_school_and_district_totals(imported: tuple[Path, str]) -> None:
    table, _ = summary(imported[0], "--what", "items", "--item", "t_q1a")
    units = table["school_id"].fillna(ALL)
    cells = {(u, o): c for u, o, c in zip(units, table["option"], table["count"], strict=True)}
    cells |= {(u, "all"): a for u, a in zip(units, table["answered"], strict=True)}
    options = sorted(set(table["option"]))
    schools = sorted(set(units) - {ALL})
    relations = [[(u, "all"), *((u, o) for o in options)] for u in [*schools, ALL]]
    relations += [[(ALL, o), *((s, o) for s in schools)] for o in [*options, "all"]]
    low, high = bounds(cells, relations, ("75K004", "3"))  # 7 teachers
    assert low <= 1 and high >= 9
    # The students of 75K004 (8) and of another school (2) are hidden; all schools' 5,251 is shown (two schools'
    # respondents are blank in the file: known to be missing, so left out of the sum).
    response, _ = summary(imported[0])
    students = response[(response["respondent"] == "Students") & (response["respondents"].notna() | response["hidden"])]
    assert students[students["hidden"]]["school_id"].tolist() == ["75K004", "75M138"]
    cells = {(k, "n"): v for k, v in zip(students["school_id"].fillna(ALL), students["respondents"], strict=True)}
    low, high = bounds(cells, [[(ALL, "n"), *(k for k in cells if k[0] != ALL)]], ("75K004", "n"))
    assert low <= 1 and high >= 9


def test_the_data_page_imports_it_with_no_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  entry_point_always_runs: None) -> None:
    """Upload, check the guess (kind survey_summary, the year from the suffix), import: nothing else."""
    at = data_page_without_sample(tmp_path, monkeypatch)
    at.file_uploader[0].set_value((FILE.name, FILE.read_bytes(), "text/plain")).run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert at.selectbox(key="upload_kind").value == "survey_summary"
    shown = at.data_editor[0].value.set_index("Field")["Column in your file"]
    assert {f: c for f, c in shown.items() if c} == {"school_id": "dbn", "school_name": "schoolname"}
    at.button(key="upload_import").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    catalog = at.dataframe[0].value  # the app holds the store open: what is loaded, as the page lists it
    assert catalog.iloc[0][["Dataset", "Kind", "Rows imported"]].tolist() == [FILE.name, "survey_summary", 98_896]


def test_a_hidden_answered_is_never_the_schools_respondents(imported: tuple[Path, str]) -> None:
    """An item's answered often equals the school's respondents (no one skipped it): a reader may guess so, so
    such an answered is never hidden while the respondents are shown, nor shown while they are hidden."""
    from equity_metrics.measures.survey_cube import ANSWERED, survey_cube

    with Store(imported[0], read_only=True) as store:
        counts = survey_cube(store, YEAR).counts
    people = counts[counts["option"] == "respondents"].set_index(["unit", "respondent"])
    answered = counts[(counts["option"] == ANSWERED) & (counts["kind"] == "count") & (counts["unit"] != ALL)]
    joined = answered.join(people[["value", "hidden"]].rename(columns={"value": "n", "hidden": "n_hidden"}),
                           on=["unit", "respondent"])
    same = joined[joined["value"] == joined["n"]]
    assert len(same) > 900  # 910 school x item pairs in the file
    assert (same["hidden"] == same["n_hidden"]).all()
