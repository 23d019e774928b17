"""The CRDC school file and aggregated counts: recognised, mapped, stored, and measured exactly like the
same students' rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from equity_metrics.ingest.crdc import crdc_columns, crdc_mapping, is_crdc, school_year_from_name
from equity_metrics.ingest.importer import SourceSpec, import_sources
from equity_metrics.ingest.kinds import guess_kind, guess_mapping
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.ingest.readers import read_source
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.storage.store import Store
from tests.fixtures.crdc import CRDC_YEAR, RACES, SCHOOLS, cells, write_crdc, write_student_twin


def _guessed_spec(path: Path) -> SourceSpec:
    source = read_source(path)
    from equity_metrics.ingest.importer import column_samples

    samples = column_samples(source)
    kind = guess_kind(source.columns, samples)
    return SourceSpec(path, guess_mapping(kind, source.columns, samples, file_name=path.name))


@pytest.fixture(scope="module")
def crdc_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("crdc")
    store = Store(folder / "crdc.duckdb")
    import_sources(store, [_guessed_spec(write_crdc(folder))])
    yield store
    store.close()


@pytest.fixture(scope="module")
def twin_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("twin")
    store = Store(folder / "twin.duckdb")
    import_sources(store, [_guessed_spec(path) for path in write_student_twin(folder)])
    yield store
    store.close()


def test_crdc_columns_are_recognised_by_family_race_and_sex() -> None:
    found = crdc_columns(["SCH_ENR_BL_M", "SCH_DISCWDIS_MULTOOS_IDEA_HI_F", "SCH_DISCWODIS_EXPZT_BL_M", "sch_apenr_wh_f",
                          "SCH_NAME", "TOT_ENR_M"])
    assert found == {
        "SCH_ENR_BL_M": ("enrollment", None, "BL", "M"),
        "SCH_DISCWDIS_MULTOOS_IDEA_HI_F": ("oss", "Yes", "HI", "F"),
        "sch_apenr_wh_f": ("ap", None, "WH", "F"),
    }
    assert not is_crdc(["SCH_ENR_BL_M", "SCH_APENR_BL_M"])  # too few columns to be sure


@pytest.mark.parametrize(("name", "year"), [
    ("CRDC 2020-21 School Data.csv", "2020-21"), ("crdc_2017_18.xlsx", "2017-18"), ("2015-2016 crdc.csv", None),
    ("CRDC 2020-22.csv", None), ("School data.csv", None),
])
def test_school_year_is_read_from_the_file_name_or_left_to_the_user(name: str, year: str | None) -> None:
    assert school_year_from_name(name) == year


def test_a_crdc_file_is_guessed_as_counts_with_its_year(tmp_path: Path) -> None:
    spec = _guessed_spec(write_crdc(tmp_path))
    assert spec.mapping.kind == "counts"
    assert spec.mapping.constants == {"school_year": CRDC_YEAR}
    assert spec.mapping.columns == {"school_id": "COMBOKEY", "school_name": "SCH_NAME"}
    assert "SCH_DISCWODIS_EXPZT_BL_M" not in spec.mapping.unpivot.columns  # zero-tolerance overlaps: unused
    assert Mapping.from_json(spec.mapping.to_json()) == spec.mapping


def test_the_crdc_import_stores_one_count_per_column_and_reserve_codes_as_missing(crdc_store: Store) -> None:
    stored = crdc_store.query("SELECT measure, count(*) AS n, count(count) AS known, sum(count) AS total "
                              "FROM counts GROUP BY measure ORDER BY measure").set_index("measure")
    every = [c for _, _, _, c in cells()]
    assert stored.loc["enrollment", "total"] == sum(c.enrolled for c in every)
    assert stored.loc["oss", "total"] == sum(c.oss_single + c.oss_multiple + c.oss_single_idea for c in every)
    assert stored.loc["ap", "n"] == 3 * len(RACES) * 2
    assert stored.loc["ap", "known"] == 2 * len(RACES) * 2  # the elementary school's -9 is missing, not -9
    assert stored.loc["ap", "total"] == sum(c.ap for s, _, _, c in cells() if s.high)
    names = crdc_store.query("SELECT DISTINCT school FROM facts_counts ORDER BY 1")["school"].tolist()
    assert names == sorted(s.name for s in SCHOOLS)


@pytest.mark.parametrize("indicator_id", ["oss", "iss", "ap_enrollment"])
@pytest.mark.parametrize("by", [("race",), ("race", "sex"), ("school", "race"), ("sex",)])
def test_crdc_counts_give_the_same_numbers_as_the_same_students_rows(crdc_store: Store, twin_store: Store,
                                                                    indicator_id: str, by: tuple[str, ...]) -> None:
    from_counts = analysis.rates(crdc_store, indicator_id, by).table
    from_students = analysis.rates(twin_store, indicator_id, by).table
    # Same cells, and the same numbers wherever both show them. What each hides may differ: the students'
    # rows feed a protected table with more views (grade bands, disability, ...), so it may hide more.
    keys = [c for c in from_counts.columns if c in by or c in ("school", "school_year")]
    pd.testing.assert_frame_equal(from_counts[keys], from_students[keys])
    both = from_counts["numerator"].notna().to_numpy() & from_students["numerator"].notna().to_numpy()
    numbers = ["denominator", "numerator", "rate", "rate_ci_low", "rate_ci_high"]
    pd.testing.assert_frame_equal(from_counts.loc[both, numbers], from_students.loc[both, numbers])
    groups = from_counts["denominator"].notna().to_numpy() & from_students["denominator"].notna().to_numpy()
    assert groups.any()
    assert (from_counts.loc[groups, "denominator"] == from_students.loc[groups, "denominator"]).all()


def test_oss_risk_ratio_from_crdc_counts_by_hand(crdc_store: Store) -> None:
    table = analysis.rates(crdc_store, "oss", ("race",)).table.set_index("race")
    black = [c for _, race, _, c in cells() if race == "BL"]
    others = [c for _, race, _, c in cells() if race != "BL"]

    def suspended(group: list) -> int:
        return sum(c.oss_single + c.oss_multiple + c.oss_single_idea for c in group)

    enrolled_black, enrolled_others = sum(c.enrolled for c in black), sum(c.enrolled for c in others)
    row = table.loc["Black or African American"]
    assert (row["denominator"], row["numerator"]) == (enrolled_black, suspended(black))
    expected = (suspended(black) / enrolled_black) / (suspended(others) / enrolled_others)
    assert row["risk_ratio"] == pytest.approx(expected, rel=1e-12)


def test_ap_denominator_leaves_out_schools_that_report_ap_as_not_applicable(crdc_store: Store) -> None:
    table = analysis.rates(crdc_store, "ap_enrollment", ("race",)).table.set_index("race")
    white = [c for s, race, _, c in cells() if race == "WH" and s.high]
    assert table.loc["White", "denominator"] == sum(c.enrolled for c in white)
    assert table.loc["White", "numerator"] == sum(c.ap for c in white)


def test_a_crdc_only_store_has_the_discipline_and_course_indicators_and_years(crdc_store: Store) -> None:
    ids = {i.id for i in analysis.indicators_with_data(crdc_store)}
    assert ids == {"oss", "iss", "ap_enrollment"}
    assert analysis.years_with_data(crdc_store, analysis.get_indicator("oss")) == [CRDC_YEAR]
    audit = analysis.audit(crdc_store)
    assert set(audit["indicator_id"]) == {"oss", "iss", "ap_enrollment"}


def test_a_grade_band_filter_cannot_be_answered_from_counts(crdc_store: Store) -> None:
    with pytest.raises(analysis.NoDataError):
        analysis.rates(crdc_store, "oss", ("race",), Filters(grade_band="High (9-12)"))


def test_a_suppressed_cell_leaves_its_enrollment_out_of_the_denominator(tmp_path: Path) -> None:
    path = write_crdc(tmp_path)
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["SCH_DISCWODIS_ISS_BL_M"] = "-11"  # Adams High, Black male students: suppressed
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with Store(tmp_path / "s.duckdb") as store:
        import_sources(store, [_guessed_spec(path)])
        row = analysis.rates(store, "iss", ("race",)).table.set_index("race").loc["Black or African American"]
    kept = [(s, sex, c) for s, race, sex, c in cells() if race == "BL" and not (s is SCHOOLS[0] and sex == "M")]
    assert row["denominator"] == sum(c.enrolled for _, _, c in kept)
    assert row["numerator"] == sum(c.iss for _, _, c in kept)


def test_students_and_counts_of_the_same_year_are_never_added_together(tmp_path: Path) -> None:
    folder = tmp_path
    with Store(folder / "both.duckdb") as store:
        import_sources(store, [_guessed_spec(p) for p in (*write_student_twin(folder), write_crdc(folder))])
        both = analysis.rates(store, "oss", ("race",)).table
    with Store(folder / "twin.duckdb") as store:
        import_sources(store, [_guessed_spec(p) for p in write_student_twin(folder)])
        students = analysis.rates(store, "oss", ("race",)).table
    pd.testing.assert_frame_equal(both, students)


def test_a_long_report_card_file_maps_onto_counts(tmp_path: Path) -> None:
    path = tmp_path / "report card.csv"
    path.write_text(
        "School Year,School,Race,Measure,Count\n"
        "2022-23,001,Black,Enrolled,120\n2022-23,001,Black,Suspended,24\n"
        "2022-23,001,White,Enrolled,300\n2022-23,001,White,Suspended,15\n"
        "2022-23,001,Asian,Enrolled,40\n2022-23,001,Asian,Suspended,<10\n"
    )
    spec = _guessed_spec(path)
    assert spec.mapping.kind == "counts"
    assert spec.mapping.columns == {"school_year": "School Year", "school_id": "School", "race": "Race",
                                    "measure": "Measure", "count": "Count"}
    with Store(tmp_path / "s.duckdb") as store:
        import_sources(store, [spec])
        table = analysis.rates(store, "oss", ("race",)).table.set_index("race")
    assert table.loc["Black or African American", ["denominator", "numerator"]].tolist() == [120, 24]
    # "<10" is a suppressed count: Asian students are left out, not counted as zero suspensions
    assert "Asian" not in table.index
    assert table.loc["Black or African American", "risk_ratio"] == pytest.approx((24 / 120) / (15 / 300))


def test_crdc_mapping_without_a_year_in_the_name_asks_for_it(tmp_path: Path) -> None:
    path = write_crdc(tmp_path).rename(tmp_path / "school data.csv")
    source = read_source(path)
    mapping = crdc_mapping(source.columns, path.name)
    assert "school_year" not in mapping.fields_supplied()
    from equity_metrics.ingest.mapping import MappingError

    with pytest.raises(MappingError, match="school_year"):
        mapping.validate(source.columns, path.name)


def test_the_cli_imports_a_crdc_file_and_gives_the_same_rates_as_the_library(tmp_path: Path) -> None:
    import io
    from contextlib import redirect_stdout

    from equity_metrics.cli import main

    path = write_crdc(tmp_path)
    db = str(tmp_path / "cli.duckdb")
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["import", str(path), "--db", db, "--format", "json"]) == 0
        assert main(["rates", "oss", "--db", db, "--format", "csv"]) == 0
    text = out.getvalue()
    assert '"kind": "counts"' in text
    rates_csv = text[text.index("race,denominator"):]
    from_cli = pd.read_csv(io.StringIO(rates_csv), dtype={"school_year": str}).set_index("race")
    with Store(db, read_only=True) as store:
        expected = analysis.rates(store, "oss", ("race",)).table.set_index("race")
    assert from_cli.loc["Black or African American", "risk_ratio"] == pytest.approx(
        expected.loc["Black or African American", "risk_ratio"], rel=1e-9)
    assert from_cli["denominator"].tolist() == expected["denominator"].tolist()


def test_a_year_known_only_from_counts_is_never_read_from_the_roster_alone(tmp_path: Path) -> None:
    # The roster of 2020-21 is loaded, but that year's suspensions come only from the CRDC file, which has no
    # disability split: by disability the year cannot be measured. It must not show zero suspensions.
    roster, _, _ = write_student_twin(tmp_path)
    with Store(tmp_path / "s.duckdb") as store:
        import_sources(store, [_guessed_spec(roster), _guessed_spec(write_crdc(tmp_path))])
        by_race = analysis.rates(store, "oss", ("race",)).table
        assert by_race["numerator"].sum() > 0
        with pytest.raises(analysis.NoDataError):
            analysis.rates(store, "oss", ("disability",))
        with pytest.raises(analysis.NoDataError):
            analysis.rates(store, "oss", ("race",), Filters(grade_band="High (9-12)"))
