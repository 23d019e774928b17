"""SQL aggregation checked against pandas computed straight from the canonical tables (a separate path)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_metrics.measures import aggregate
from equity_metrics.measures.aggregate import DimensionError, Filters, check_dimensions
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.storage.facts import SOURCES

YEAR = "2024-25"


@pytest.fixture(scope="module")
def roster(sample_store) -> pd.DataFrame:
    frame = sample_store.query("SELECT * FROM enrollment")
    frame["race"] = frame["race"].fillna("Unknown")
    return frame


@pytest.fixture(scope="module")
def discipline(sample_store) -> pd.DataFrame:
    return sample_store.query("SELECT * FROM discipline")


def test_oss_cells_by_race_match_pandas(sample_store, roster, discipline):
    cells = aggregate.rate_cells(sample_store, [INDICATORS["oss"]], ["race"], Filters(school_years=(YEAR,)))
    students = roster[roster["school_year"] == YEAR]
    suspended = set(discipline.loc[(discipline["school_year"] == YEAR)
                                   & (discipline["action"] == "Out-of-school suspension"), "student_id"])
    expected = students.assign(event=students["student_id"].isin(suspended)).groupby("race").agg(
        denominator=("student_id", "size"), numerator=("event", "sum"))
    got = cells.set_index("race")[["denominator", "numerator"]].sort_index()
    pd.testing.assert_frame_equal(got, expected.sort_index(), check_dtype=False)


def test_grade_band_and_school_filters_match_pandas(sample_store, roster, discipline):
    school_id = roster["school_id"].mode().iloc[0]
    filters = Filters(school_years=(YEAR,), schools=(school_id,), grade_band="High (9-12)")
    cells = aggregate.rate_cells(sample_store, [INDICATORS["iss"]], ["sex"], filters)
    students = roster[(roster["school_year"] == YEAR) & (roster["school_id"] == school_id)
                      & roster["grade"].isin(["9", "10", "11", "12"])]
    assert cells["denominator"].sum() == len(students)
    in_school = set(discipline.loc[(discipline["school_year"] == YEAR)
                                   & (discipline["action"] == "In-school suspension"), "student_id"])
    assert cells["numerator"].sum() == students["student_id"].isin(in_school).sum()


def test_several_indicators_in_one_query_equal_one_at_a_time(sample_store):
    indicators = [INDICATORS[i] for i in ("iss", "oss", "expulsion", "ap_enrollment", "chronic_absenteeism")]
    together = aggregate.rate_cells(sample_store, indicators, ["school_year", "race"])
    for indicator in indicators:
        alone = aggregate.rate_cells(sample_store, [indicator], ["school_year", "race"])
        part = together[together["indicator_id"] == indicator.id].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone.reset_index(drop=True))


def test_value_cells_match_pandas_moments(sample_store, roster):
    scores = sample_store.query("SELECT * FROM assessments WHERE school_year = ? AND subject = 'Math'", [YEAR])
    merged = scores.merge(roster[roster["school_year"] == YEAR][["student_id", "race"]], on="student_id", how="left")
    merged["race"] = merged["race"].fillna("Unknown")
    cells = aggregate.value_cells(sample_store, [INDICATORS["math_scale_score"]], ["race"],
                                  Filters(school_years=(YEAR,))).set_index("race")
    for race, values in merged.dropna(subset=["scale_score"]).groupby("race")["scale_score"]:
        cell = cells.loc[race]
        assert cell["n"] == len(values)
        mean = cell["total"] / cell["n"] + cell["shift"]
        assert mean == pytest.approx(values.mean(), rel=1e-12)
        variance = (cell["total_of_squares"] - cell["total"] ** 2 / cell["n"]) / (cell["n"] - 1)
        assert variance == pytest.approx(values.var(ddof=1), rel=1e-8)
        assert cell["median"] == pytest.approx(values.median())


def test_days_lost_are_scaled_per_100_students(sample_store, roster, discipline):
    cells = aggregate.value_cells(sample_store, [INDICATORS["days_lost_per_100"]], [], Filters(school_years=(YEAR,)))
    exclusionary = discipline[(discipline["school_year"] == YEAR) & discipline["action"].isin(
        ["In-school suspension", "Out-of-school suspension", "Expulsion", "Alternative placement"])]
    students = roster[roster["school_year"] == YEAR]
    in_roster = exclusionary[exclusionary["student_id"].isin(set(students["student_id"]))]
    expected = in_roster["days_removed"].fillna(0).sum() / len(students) * 100
    mean = cells.loc[0, "total"] / cells.loc[0, "n"] + cells.loc[0, "shift"]
    assert mean == pytest.approx(expected, rel=1e-9)


def test_dimensions_are_checked_against_the_source():
    with pytest.raises(DimensionError, match="cannot be split by disability"):
        check_dimensions(SOURCES["staff"], ["disability"])
    with pytest.raises(DimensionError):
        check_dimensions(SOURCES["student_year"], ['race"; DROP TABLE enrollment; --'])


def test_filter_values_are_bound_not_pasted(sample_store):
    hostile = "x' OR '1'='1"
    cells = aggregate.rate_cells(sample_store, [INDICATORS["oss"]], ["race"], Filters(schools=(hostile,)))
    assert cells.empty  # no school has that name; the quote did not widen the filter
    assert sample_store.scalar("SELECT count(*) FROM enrollment") > 0


def test_school_years_and_counts(sample_store, roster):
    assert aggregate.school_years(sample_store) == sorted(roster["school_year"].unique())
    assert aggregate.count_rows(sample_store, "student_year", Filters(school_years=(YEAR,))) == int(
        np.sum(roster["school_year"] == YEAR))


def test_cells_come_back_in_display_order(sample_store):
    """Race in the federal order with Unknown last, sexes in label order, years oldest first, every run."""
    from equity_metrics.core.constants import RACE_LABELS, SEX_LABELS, UNKNOWN

    cells = aggregate.rate_cells(sample_store, [INDICATORS["oss"]], ["school_year", "race", "sex"])
    first_year = cells[cells["school_year"] == cells["school_year"].iloc[0]]
    races = list(dict.fromkeys(first_year["race"]))
    assert races == [r for r in (*RACE_LABELS, UNKNOWN) if r in set(races)]
    sexes = list(first_year[first_year["race"] == RACE_LABELS[0]]["sex"])
    assert sexes == [s for s in (*SEX_LABELS, UNKNOWN) if s in set(sexes)]
    assert list(dict.fromkeys(cells["school_year"])) == sorted(set(cells["school_year"]))
