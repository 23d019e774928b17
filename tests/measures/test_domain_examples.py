"""The small library modules behind the domain pages, against hand-worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fixtures.page_views import (
    BLACK,
    FILTERS,
    YEAR,
    YEARS,
    rate_rows,
)

from equity_metrics.core.constants import UNKNOWN
from equity_metrics.measures import analysis
from equity_metrics.measures.course_access import missing_seats
from equity_metrics.measures.disproportionality import disproportionality_table
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.measures.rules import MultiYearRule
from equity_metrics.narrative import score_gaps
from equity_metrics.storage.store import Store


def test_missing_seats_hand_example() -> None:
    table = rate_rows([
        # 400 students, 40 enrolled (10%); others 25%: 0.25 * 400 - 40 = 60 missing seats.
        ("A", 400, 40, 0.10, 0.25, False, ""),
        # 0.2 * 333 - 50 = 16.6 -> 16 (rounded down).
        ("B", 333, 50, 50 / 333, 0.20, False, ""),
        # Above the comparison rate: none missing (never negative).
        ("C", 100, 40, 0.40, 0.20, False, ""),
        # 0.3 * 100 - 20 = 10.000000000000002 or 9.99...: exactly 10 whole students.
        ("D", 100, 20, 0.20, 0.30, False, ""),
        # Hidden: never computed from its counts.
        ("E", 50, np.nan, np.nan, np.nan, True, "count under 10 hidden (privacy)"),
        # Shown rate but no comparison (e.g. the comparison group itself): left out.
        ("F", 200, 30, 0.15, np.nan, False, "comparison group"),
    ])
    table["numerator"] = table["numerator"].astype("Int64")
    seats = missing_seats(table, ["race"])
    assert seats["race"].tolist() == ["A", "B", "C", "D"]
    assert seats["missing_seats"].tolist() == [60, 16, 0, 10]
    assert seats["expected_at_comparison_rate"].tolist() == pytest.approx([100, 66.6, 20, 30])


def test_gap_sentence_hand_example() -> None:
    indicator = INDICATORS["math_scale_score"]
    row = pd.Series({"race": BLACK, "mean_difference": -45.2, "hedges_g": -0.4912, "hedges_g_ci_low": -0.551,
                     "hedges_g_ci_high": -0.4349, "suppressed": False, "note": ""})
    assert score_gaps.gap_sentence(indicator, row, ["race"], "all other students") == (
        "Black or African American students' mean math scale score was 45 points below all other students' "
        "(Hedges' g \u22120.49, 95% CI \u22120.55 to \u22120.43).")
    above = row.copy()
    above[["mean_difference", "hedges_g", "hedges_g_ci_low", "hedges_g_ci_high"]] = [3.25, 0.04, -0.02, 0.1]
    above["race"] = "Two or more races"
    assert score_gaps.gap_sentence(indicator, above, ["race"], "White students") == (
        "Students of two or more races' mean math scale score was 3.2 points above White students' "
        "(Hedges' g 0.04, 95% CI \u22120.02 to 0.10).")
    hidden = row.copy()
    hidden[["mean_difference", "suppressed", "note"]] = [np.nan, True, "fewer than 10 students: hidden (privacy)"]
    assert score_gaps.gap_sentence(indicator, hidden, ["race"], "all other students") == (
        "Black or African American students: no gap shown (fewer than 10 students: hidden (privacy)).")
    # The headline picks the largest disadvantage: the lowest g when a higher score is better.
    table = pd.DataFrame([row, above, hidden]).reset_index(drop=True)
    assert score_gaps.largest_gap(table, indicator)["race"] == BLACK


def test_disproportionality_hand_example() -> None:
    rows = []
    ratios = {"A": [3.2, 3.5, 3.1], "B": [3.5, 2.9, 3.4], "C": [2.0, 3.0, 3.0], "D": [np.nan, 4.0, 4.0]}
    for race, values in ratios.items():
        for year, value in zip(YEARS, values, strict=True):
            rows.append({"school_year": year, "race": race, "denominator": 100, "numerator": 20,
                         "risk_ratio": value, "risk_ratio_ci_low": value - 1, "risk_ratio_ci_high": value + 1,
                         "note": "" if np.isfinite(value) else "fewer than 30 students"})
    rows.append({"school_year": YEAR, "race": UNKNOWN, "denominator": 40, "numerator": 5, "risk_ratio": np.nan,
                 "risk_ratio_ci_low": np.nan, "risk_ratio_ci_high": np.nan, "note": "not compared"})
    options = MetricOptions(min_n=30, min_cell=10)
    table = disproportionality_table({"x": pd.DataFrame(rows)}, options, MultiYearRule(threshold=3.0))
    assert table["race"].tolist() == ["A", "B", "C", "D"]  # Unknown is never compared
    # Above 3.0 in each of the last 3 years: only A (B dipped, C equals 3.0, D was not calculated in year 1).
    assert table["above_threshold_each_year"].tolist() == [True, False, False, False]
    assert table["above_threshold_latest"].tolist() == [True, True, False, True]
    assert table["years_above"].tolist() == [3, 2, 0, 2]
    assert table["risk_ratio"].tolist() == [3.1, 3.4, 3.0, 4.0]
    assert (table["min_n"] == 30).all() and (table["min_cell"] == 10).all() and (table["threshold"] == 3.0).all()
    assert table["risk_ratio_2022-23"].tolist()[:3] == [3.2, 3.5, 2.0]
    # "At or above" (Maryland): C's 3.0 now counts in the last two years, not in the first.
    inclusive = disproportionality_table({"x": pd.DataFrame(rows)}, options, MultiYearRule(3.0, inclusive=True))
    assert inclusive["above_threshold_each_year"].tolist() == [True, False, False, False]
    assert inclusive["years_above"].tolist() == [3, 2, 2, 2]
    two_years = disproportionality_table({"x": pd.DataFrame(rows)}, options, MultiYearRule(3.0, years=2))
    assert two_years["above_threshold_each_year"].tolist() == [True, False, False, True]


def test_survey_can_be_split_by_construct(sample_store: Store) -> None:
    result = analysis.rates(sample_store, "student_survey_favorable", ("construct", "race"), FILTERS)
    assert set(result.table["construct"]) == {"Safety", "Belonging", "Teacher-student relationships",
                                              "Fair discipline"}
