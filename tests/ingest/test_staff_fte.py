"""Issue 13: the Massachusetts staff report by race (shared corpus, section 4) imports with no options into kind
`staff_fte`, from the command line and from the library, and reproduces the corpus README's figures 1-4 through
`staff-composition`; the 375 rows whose race columns do not add up to FTE Count are reported; a re-import is
counted once; small FTE are hidden and cannot be recovered from the published state, district and school
tables (a linear-programming attacker over every sum those tables publish)."""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stderr
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.apptest import data_page_without_sample
from fixtures.command_line import imported_store
from fixtures.command_line import run_cli as cli
from scipy import sparse
from scipy.optimize import linprog

from equity_metrics.cli import main
from equity_metrics.ingest.import_plan import Options, plan_file
from equity_metrics.ingest.importer import import_sources
from equity_metrics.measures import staff_fte
from equity_metrics.storage.staff_codes import OTHER_COMBINED
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT.parent / "shared" / "corpus" / "ma_staff" / "staff_raceeth_jobcategories_2015.csv"
pytestmark = pytest.mark.skipif(not FILE.exists(), reason="the shared corpus is not here")
YEAR = "2014-15"  # Year 2015 is the spring year
BLACK, ASIAN, HISPANIC, WHITE = "Black or African American", "Asian", "Hispanic or Latino", "White"
RACES = (BLACK, ASIAN, HISPANIC, WHITE, OTHER_COMBINED)
FILE_RACES = {"African American (# )": BLACK, "Asian (# )": ASIAN, "Hispanic (# )": HISPANIC, "White (# )": WHITE,
              "Other (# )": OTHER_COMBINED}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A store with the file imported by `python -m equity_metrics import FILE` (no options), and its output."""
    return imported_store(tmp_path_factory.mktemp("staff"), FILE)


def composition(db: Path, *options: str) -> pd.DataFrame:
    code, out, err = cli("staff-composition", "--db", str(db), "--format", "csv", *options)
    assert code == 0, err
    return pd.read_csv(io.StringIO(out), dtype={"school_id": str, "job_group": str})


def test_the_file_imports_with_no_options_as_staff_fte(imported: tuple[Path, str]) -> None:
    db, out = imported
    assert "100,494 of 100,494 rows imported as Staff FTE by race (aggregated)" in out  # 16,749 rows x 6 columns
    assert "kind staff_fte" in out
    assert "'Org Code': a school code, read as text (leading zeros kept)" in out
    assert "2015 is 2014-15" in out
    with Store(db, read_only=True) as store:
        assert store.datasets()["kind"].tolist() == ["staff_fte"]
        rows = store.query("SELECT count(DISTINCT school_id) AS schools, min(school_id) AS first, "
                           "list(DISTINCT school_year) AS years, count(DISTINCT race) AS races FROM staff_fte")
        assert rows.iloc[0]["schools"] == 1861 and rows.iloc[0]["first"] == "00010002"
        assert list(rows.iloc[0]["years"]) == [YEAR] and rows.iloc[0]["races"] == 6  # five races and the total


def test_the_375_rows_that_do_not_add_up_are_reported(imported: tuple[Path, str]) -> None:
    _, out = imported
    expected = pd.read_csv(FILE)
    off = (expected[list(FILE_RACES)].sum(axis=1) - expected["FTE Count"]).abs() > 0.05
    assert off.sum() == 375
    first = ", ".join(str(i + 2) for i in expected.index[off][:5])  # file lines: the header is line 1
    assert (f"In 375 rows the race columns do not add up to the reported total (largest difference 0.3 FTE; "
            f"rows {first}, ...)") in out


def test_figures_1_and_4_teachers_statewide(imported: tuple[Path, str]) -> None:
    table = composition(imported[0], "--job-group", "23").set_index("race")
    assert table["fte"].to_dict() == {BLACK: 1910.8, ASIAN: 981.7, HISPANIC: 1893.0, WHITE: 67953.4,
                                      OTHER_COMBINED: 448.8}
    assert set(table["reported_total"]) == {73181.3}
    assert set(table["race_sum"]) == {73187.7} and set(table["difference"]) == {-6.4}
    assert table["share"].sum() == pytest.approx(1.0)
    assert table.loc[BLACK, "share"] == pytest.approx(1910.8 / 73187.7)
    assert set(table["schools"]) == {1858}
    assert table.loc[BLACK, "schools_without"] == 1284
    assert set(table["job"]) == {"Teachers"} and set(table["unit"]) == {"All schools"}


def test_figure_2_teachers_in_boston(imported: tuple[Path, str]) -> None:
    table = composition(imported[0], "--job-group", "23", "--by", "district", "--unit", "Boston").set_index("race")
    assert table["fte"].to_dict() == {BLACK: 973.5, ASIAN: 259.6, HISPANIC: 446.6, WHITE: 2558.7,
                                      OTHER_COMBINED: 58.2}
    assert set(table["reported_total"]) == {4294.3}
    schools = composition(imported[0], "--job-group", "23", "--by", "school")
    assert schools[schools["unit"].str.startswith("Boston - ")]["school_id"].nunique() == 120


def test_figure_3_all_staff_statewide(imported: tuple[Path, str]) -> None:
    table = composition(imported[0], "--job-group", "11")
    assert set(table["reported_total"]) == {120087.4} and set(table["job"]) == {"All staff"}


def test_the_library_imports_it_the_same_way(tmp_path: Path, imported: tuple[Path, str]) -> None:
    with Store(tmp_path / "library.duckdb") as store:
        plans, _ = plan_file(store, FILE, Options())
        assert [p.spec.mapping.kind for p in plans] == ["staff_fte"]
        reports = import_sources(store, [p.spec for p in plans])
        assert any("In 375 rows the race columns do not add up" in line for line in reports[0].lines())
        result = staff_fte.staff_composition(store, job_group="23")
    assert result.school_year == YEAR
    expected = composition(imported[0], "--job-group", "23")
    assert result.table["fte"].tolist() == expected["fte"].tolist()
    assert set(result.table["reported_total"]) == {73181.3}


def test_a_reimport_is_refused_and_a_replacement_counted_once(tmp_path: Path, imported: tuple[Path, str]) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copyfile(imported[0], db)
    code, out, err = cli("import", str(FILE), "--db", str(db))
    assert code == 2 and out == "" and "already loaded" in err and "count every row twice" in err
    # The same rows in another order (another file): refused too, naming --replace, which replaces the dataset.
    shuffled = tmp_path / "staff_2015_sorted.csv"
    pd.read_csv(FILE, dtype=str).sort_values(["SCHOOL", "Job Group"]).to_csv(shuffled, index=False)
    code, out, err = cli("import", str(shuffled), "--db", str(db))
    assert code == 2 and "--replace" in err, err
    code, _, err = cli("import", str(shuffled), "--db", str(db), "--replace")
    assert code == 0, err
    with Store(db, read_only=True) as store:
        assert store.datasets()["source_file"].tolist() == [shuffled.name]
        assert store.query("SELECT count(*) AS n FROM staff_fte").iloc[0]["n"] == 100_494
    table = composition(db, "--job-group", "23").set_index("race")
    assert set(table["reported_total"]) == {73181.3} and table.loc[WHITE, "fte"] == 67953.4


def test_the_command_opens_the_store_read_only(tmp_path: Path, imported: tuple[Path, str]) -> None:
    folder = tmp_path / "readonly"
    folder.mkdir()
    db = folder / "store.duckdb"
    shutil.copyfile(imported[0], db)
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        table = composition(db, "--job-group", "23")
        assert set(table["reported_total"]) == {73181.3}
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)


# ---- privacy ---------------------------------------------------------------------------------------------
def test_the_threshold_cannot_be_lowered(imported: tuple[Path, str]) -> None:
    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as exited:
        main(["staff-composition", "--db", str(imported[0]), "--min-cell", "5"])
    assert exited.value.code == 2 and "unrecognized arguments: --min-cell" in err.getvalue()
    with Store(imported[0], read_only=True) as store, pytest.raises(ValueError, match="FTE under 10 are always"):
        staff_fte.staff_composition(store, min_cell=5)


def published(db: Path) -> pd.DataFrame:
    """Every teacher FTE figure the three levels publish, one row per unit and race (margins as races)."""
    frames = []
    for level in ("state", "district", "school"):
        table = composition(db, "--job-group", "23", "--by", level)
        table["geo"] = table["school_id"].fillna("") if level == "school" else table["unit"]
        table["level"] = level
        table["district"] = table["unit"].str.split(" - ").str[0] if level == "school" else table["unit"]
        margins = table.drop_duplicates("geo")
        frames += [table[["level", "geo", "unit", "district", "race", "fte"]],
                   margins.assign(race="sum", fte=margins["race_sum"])[["level", "geo", "unit", "district", "race",
                                                                        "fte"]],
                   margins.assign(race="total", fte=margins["reported_total"])[["level", "geo", "unit", "district",
                                                                              "race", "fte"]]]
    return pd.concat(frames, ignore_index=True)


def truth(cells: pd.DataFrame) -> np.ndarray:
    """The file's own figures for each published cell (for the attacker's known differences and the check)."""
    frame = pd.read_csv(FILE, dtype={"Org Code": str})
    frame = frame[frame["Job Group"] == 23].rename(columns=FILE_RACES)
    frame["sum"] = frame[list(RACES)].sum(axis=1)
    frame["total"] = frame["FTE Count"]
    frame["district"] = frame["SCHOOL"].str.split(" - ").str[0]
    long = frame.melt(id_vars=["Org Code", "district"], value_vars=[*RACES, "sum", "total"], var_name="race")
    school = long.groupby(["Org Code", "race"])["value"].sum()
    district = long.groupby(["district", "race"])["value"].sum()
    state = long.groupby("race")["value"].sum()
    out = [school.get((g, r)) if lv == "school" else district.get((g, r)) if lv == "district" else state.get(r)
           for lv, g, r in cells[["level", "geo", "race"]].itertuples(index=False)]
    return np.round(np.asarray(out, dtype="float64"), 1)


def attacker_bounds(cells: pd.DataFrame, targets: list[int]) -> list[tuple[float, float]]:
    """The range a reader who sees every published figure can prove for each target cell, by linear
    programming over every sum the tables publish: races add up to their sum, the sum is the reported total
    plus the file's difference (given to the reader), schools to their district, districts to the state."""
    values = truth(cells)
    hidden = cells["fte"].isna().to_numpy()
    index = {key: i for i, key in enumerate(zip(cells["level"], cells["geo"], cells["race"], strict=True))}
    equations: list[tuple[list[int], list[float], float]] = []  # cells, coefficients, constant (= 0 after moving)
    for level, geo in cells[["level", "geo"]].drop_duplicates().itertuples(index=False):
        races = [index[(level, geo, r)] for r in RACES]
        equations.append(([*races, index[(level, geo, "sum")]], [*([1.0] * len(races)), -1.0], 0.0))
        total, race_sum = index[(level, geo, "total")], index[(level, geo, "sum")]
        equations.append(([total, race_sum], [1.0, -1.0], values[total] - values[race_sum]))
    schools = cells[cells["level"] == "school"]
    for race in (*RACES, "sum", "total"):
        for district, group in schools[schools["race"] == race].groupby("district"):
            members = [index[("school", g, race)] for g in group["geo"]]
            equations.append(([*members, index[("district", district, race)]], [1.0] * len(members) + [-1.0], 0.0))
        districts = cells[(cells["level"] == "district") & (cells["race"] == race)]
        members = [index[("district", g, race)] for g in districts["geo"]]
        equations.append(([*members, index[("state", "All schools", race)]], [1.0] * len(members) + [-1.0], 0.0))
    unknown = np.flatnonzero(hidden)
    column = {cell: j for j, cell in enumerate(unknown)}
    rows, cols, data, right = [], [], [], []
    for cells_of, coefs, constant in equations:
        if not any(hidden[c] for c in cells_of):
            continue
        r = len(right)
        known = constant
        for c, coef in zip(cells_of, coefs, strict=True):
            if hidden[c]:
                rows.append(r)
                cols.append(column[c])
                data.append(coef)
            else:
                known -= coef * values[c]
        right.append(known)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(right), unknown.size))
    bounds = []
    for target in targets:
        objective = np.zeros(unknown.size)
        objective[column[target]] = 1.0
        low = linprog(objective, A_eq=matrix, b_eq=right, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=matrix, b_eq=right, bounds=(0, None), method="highs")
        assert low.status == 0 and high.status == 0
        bounds.append((low.fun, -high.fun))
    return bounds


def test_small_school_values_are_hidden_and_not_recoverable(imported: tuple[Path, str]) -> None:
    cells = published(imported[0])
    values = truth(cells)
    assert not np.isnan(values).any()
    shown = cells["fte"].notna().to_numpy()
    assert np.allclose(cells["fte"].to_numpy()[shown], values[shown])  # shown numbers are exact
    small = (values > 0) & (values < 10)
    assert small.sum() > 1000 and not shown[small].any()  # every FTE under 10 is hidden, at every level
    # Boston's small school values (e.g. a school's Black teachers): every one keeps the whole range 0.1-9.9.
    boston = np.flatnonzero(small & (cells["level"] == "school").to_numpy()
                            & cells["unit"].str.startswith("Boston - ").to_numpy())
    assert boston.size >= 20
    for (low, high), target in zip(attacker_bounds(cells, list(boston[:25])), boston[:25], strict=True):
        assert low <= 0.1 + 1e-6 and high >= 9.9 - 1e-6, (cells.iloc[target].to_dict(), low, high)


def test_a_hidden_school_value_is_not_the_district_minus_the_other_schools(imported: tuple[Path, str]) -> None:
    """The plain subtraction a reader would try first finds at least one other hidden school in every district."""
    cells = published(imported[0])
    schools = cells[(cells["level"] == "school") & cells["race"].isin(RACES)]
    hidden_per_line = schools.groupby(["district", "race"])["fte"].apply(lambda f: int(f.isna().sum()))
    districts = cells[cells["level"] == "district"].set_index(["geo", "race"])["fte"].isna().astype(int)
    in_relation = hidden_per_line + districts.reindex(hidden_per_line.index).to_numpy()
    assert (in_relation != 1).all() and (hidden_per_line > 0).any()
    per_school = schools.groupby("geo")["fte"].apply(lambda f: int(f.isna().sum()))
    sums = cells[(cells["level"] == "school") & (cells["race"] == "sum")].set_index("geo")["fte"]
    lone = per_school[per_school == 1].index  # one hidden race: then the race sum must be hidden too
    assert sums.reindex(lone).isna().all()


def test_the_data_page_imports_it_with_no_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  entry_point_always_runs: None) -> None:
    """Upload, check the guess (kind staff_fte, offered first), import: nothing else."""
    at = data_page_without_sample(tmp_path, monkeypatch)
    at.file_uploader[0].set_value((FILE.name, FILE.read_bytes(), "text/csv")).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="upload_kind").value == "staff_fte"
    shown = at.data_editor[0].value.set_index("Field")["Column in your file"]
    assert {f: c for f, c in shown.items() if c} == {"school_id": "Org Code", "school_name": "SCHOOL",
                                                      "job_group": "Job Group", "school_year": "Year"}
    at.button(key="upload_import").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    said = " ".join(str(getattr(e, "value", "")) for e in (*at.markdown, *at.caption, *at.info, *at.success,
                                                              *at.warning))
    assert "375 rows the race columns do not add up to the reported total" in said.replace("\\", "")
    catalog = at.dataframe[0].value  # the app holds the store open: what is loaded, as the page lists it
    assert catalog.iloc[0][["Dataset", "Kind", "Rows imported"]].tolist() == [FILE.name, "staff_fte", 100_494]
