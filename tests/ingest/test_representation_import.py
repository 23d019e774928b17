"""Issue 13: Georgia's discipline-disproportionality file (shared corpus, section 3: shares of enrollment and of
the students disciplined by group, percentages, not counts) imports into kind `representation`, from the command
line and from the library, and reproduces the corpus README's figures 1-5 through `representation`; the file has
no year, so the command line refuses naming --year unless the file name gives one; the 337 rows with equal shares
labelled 'overrepresented' are reported; a re-import is counted once; rows implying fewer than 10 students are
hidden."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fixtures.apptest import data_page_without_sample
from fixtures.command_line import imported_store
from fixtures.command_line import run_cli as cli

from equity_metrics.ingest.import_plan import Options, plan_file
from equity_metrics.ingest.importer import import_sources
from equity_metrics.measures import representation
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT.parent / "shared" / "corpus" / "ga_discipline" / "discipline_by_subgroup.csv"
pytestmark = pytest.mark.skipif(not FILE.exists(), reason="the shared corpus is not here")
YEAR = "2016-17"  # the source's "2017", Georgia's spring year
ROWS = 26_083
EQUAL = "In 337 rows the two shares are equal; the file labels them 'overrepresented': here equal shares are 'neither'"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A store with the file imported by `python -m equity_metrics import FILE --year 2016-17`, and its output."""
    return imported_store(tmp_path_factory.mktemp("representation"), FILE, "--year", YEAR)


def shares(db: Path, *options: str) -> tuple[pd.DataFrame, str]:
    code, out, err = cli("representation", "--db", str(db), "--format", "csv", *options)
    assert code == 0, err
    return pd.read_csv(io.StringIO(out), keep_default_na=False, na_values=[""]), err


def test_without_a_year_the_command_line_names_year(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    code, out, err = cli("import", str(FILE), "--db", str(db))
    assert code == 2 and out == "" and "--year" in err and "no school year" in err


def test_a_year_in_the_file_name_is_enough(tmp_path: Path) -> None:
    named = tmp_path / "ga_discipline_by_subgroup_2016-17.csv"
    shutil.copyfile(FILE, named)
    code, out, err = cli("import", str(named), "--db", str(tmp_path / "store.duckdb"))
    assert code == 0, err
    assert f"{ROWS:,} of {ROWS:,} rows imported" in out and "2016-17" in out


def test_the_file_imports_as_representation(imported: tuple[Path, str]) -> None:
    db, out = imported
    assert f"{ROWS:,} of {ROWS:,} rows imported as Shares of enrollment and of the disciplined (aggregated)" in out
    assert "kind representation" in out and EQUAL in out
    with Store(db, read_only=True) as store:
        assert store.datasets()["kind"].tolist() == ["representation"]
        units = store.query("SELECT count(DISTINCT unit) AS n, list(DISTINCT school_year) AS years FROM representation")
        assert units.iloc[0]["n"] == 2210 and list(units.iloc[0]["years"]) == [YEAR]
        dash = store.query("SELECT count(*) AS n FROM representation "
                           "WHERE unit = 'Atlanta Public Schools \u2013 All Schools'")
        assert dash.iloc[0]["n"] == 14  # the en dash of SYS_SCH survives


def test_figures_1_and_2_statewide(imported: tuple[Path, str]) -> None:
    table, err = shares(imported[0])
    assert set(table["level"]) == {"state"} and set(table["enrollment"]) == {1_626_636}
    by_group = table.set_index("group")
    black = by_group.loc["Black"]
    assert (black["share_of_enrollment"], black["share_of_disciplined"], black["gap_points"]) == (37.8, 50.1, 12.3)
    assert black["over_or_under"] == "overrepresented"
    disability = by_group.loc["Students with Disability"]
    assert (disability["share_of_enrollment"], disability["share_of_disciplined"]) == (13.1, 21.6)
    assert (by_group.loc["Male", "share_of_enrollment"], by_group.loc["Male", "share_of_disciplined"]) == (51.3, 72.3)
    assert by_group.loc["Asian", "over_or_under"] == "underrepresented"
    # equal shares (0.0 and 0.0) are 'neither'; the file says 'overrepresented'
    assert by_group.loc["American Indian or Alaskan Native", ["over_or_under", "file_label"]].tolist() \
        == ["neither", "overrepresented"]
    assert "enrollments add up to 1,626,636" in err


def test_figure_3_atlanta(imported: tuple[Path, str]) -> None:
    table, _ = shares(imported[0], "--level", "district", "--unit", "Atlanta Public Schools",
                      "--category", "Race/Ethnicity")
    black = table.set_index("group").loc["Black"]
    assert black["enrollment"] == 44_378 and black["school"] == "All Schools"
    assert (black["share_of_enrollment"], black["share_of_disciplined"], black["gap_points"]) == (78.8, 88.0, 9.2)


def test_figure_4_enrollments_add_up(imported: tuple[Path, str]) -> None:
    districts, err = shares(imported[0], "--level", "district")
    units = districts.drop_duplicates(["district", "school"])
    assert len(units) == 199 and units["enrollment"].sum() == 1_626_636
    assert "199 district unit(s), whose enrollments add up to 1,626,636" in err
    schools, err = shares(imported[0], "--level", "school")
    units = schools.drop_duplicates(["district", "school"])
    assert len(units) == 2010 and units["enrollment"].sum() == 1_626_053
    assert "2,010 school unit(s), whose enrollments add up to 1,626,053" in err


def test_figure_5_black_rows(imported: tuple[Path, str]) -> None:
    tables = [shares(imported[0], "--level", level)[0] for level in representation.LEVELS]
    black = pd.concat(tables)
    black = black[black["group"] == "Black"]
    assert len(black) == 2121  # one per unit with a Black row; hidden rows are still listed
    with Store(imported[0], read_only=True) as store:  # the file's labels, all of them (none hidden)
        everything = pd.concat([representation.representation(store, level=level, min_cell=0).table
                                for level in representation.LEVELS])
    black = everything[everything["group"] == "Black"]
    assert len(black) == 2121 and (black["file_label"] == "overrepresented").sum() == 1977


def test_rows_implying_fewer_than_10_students_are_hidden(imported: tuple[Path, str]) -> None:
    table, err = shares(imported[0], "--level", "school")
    implied = table["share_of_enrollment"] / 100 * table["enrollment"]
    shown = table["note"].isna()
    assert not ((implied > 0) & (implied < 10) & shown).any()
    hidden = table[~shown]
    assert set(hidden["note"]) == {"fewer than 10 students (privacy)"} and len(hidden) > 0
    assert hidden[["share_of_enrollment", "share_of_disciplined", "gap_points", "over_or_under"]].isna().all().all()
    # never one group alone hidden in a unit and category (the shares add up to 100)
    assert (hidden.groupby(["district", "school", "category"]).size() >= 2).all()
    assert f"{len(hidden):,} row(s) hidden" in err


def test_the_library_imports_it_the_same_way(tmp_path: Path, imported: tuple[Path, str]) -> None:
    with Store(tmp_path / "library.duckdb") as store:
        plans, _ = plan_file(store, FILE, Options(year=YEAR))
        assert [p.spec.mapping.kind for p in plans] == ["representation"]
        reports = import_sources(store, [p.spec for p in plans])
        assert any(EQUAL in line for line in reports[0].lines())
        result = representation.representation(store)
    assert result.school_year == YEAR
    expected, _ = shares(imported[0])
    assert result.table["share_of_disciplined"].tolist() == expected["share_of_disciplined"].tolist()


def test_a_reimport_is_refused_and_a_replacement_counted_once(tmp_path: Path, imported: tuple[Path, str]) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copyfile(imported[0], db)
    code, out, err = cli("import", str(FILE), "--db", str(db), "--year", YEAR)
    assert code == 2 and out == "" and "already loaded" in err
    shuffled = tmp_path / "ga_sorted.csv"
    pd.read_csv(FILE, dtype=str, keep_default_na=False).sort_values(["SUBGROUP", "SYS_SCH"]).to_csv(shuffled, index=False)
    code, out, err = cli("import", str(shuffled), "--db", str(db), "--year", YEAR)
    assert code == 2 and "--replace" in err, err
    code, _, err = cli("import", str(shuffled), "--db", str(db), "--year", YEAR, "--replace")
    assert code == 0, err
    with Store(db, read_only=True) as store:
        assert store.datasets()["source_file"].tolist() == [shuffled.name]
        assert store.query("SELECT count(*) AS n FROM representation").iloc[0]["n"] == ROWS
    table, _ = shares(db, "--level", "district", "--unit", "Atlanta Public Schools")
    assert table.set_index("group").loc["Black", "enrollment"] == 44_378


def test_the_data_page_imports_it_with_only_the_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     entry_point_always_runs: None) -> None:
    """Upload, check the guess (kind representation), type the year the file does not carry, import."""
    at = data_page_without_sample(tmp_path, monkeypatch)
    at.file_uploader[0].set_value((FILE.name, FILE.read_bytes(), "text/csv")).run()
    assert not at.exception
    assert at.selectbox(key="upload_kind").value == "representation"
    shown = at.data_editor[0].value.set_index("Field")["Column in your file"]
    assert shown["unit"] == "SYS_SCH" and shown["share_of_disciplined"] == "%_DISC_POP"
    at.text_input(key="upload_year").input(YEAR).run()
    at.button(key="upload_import").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    said = " ".join(str(getattr(e, "value", "")) for e in (*at.markdown, *at.caption, *at.info, *at.success,
                                                              *at.warning))
    assert "337 rows the two shares are equal" in said.replace("\\", "")
    catalog = at.dataframe[0].value
    assert catalog.iloc[0][["Dataset", "Kind", "Rows imported"]].tolist() == [FILE.name, "representation", ROWS]
