"""Published rules on result tables, each against a worked example by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from equity_metrics.core.constants import AMERICAN_INDIAN, BLACK, HISPANIC, UNKNOWN, WHITE
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import rate_table
from equity_metrics.measures.rules import (
    MultiYearRule,
    adverse_impact_table,
    composition_gap,
    multi_year_flags,
    representation_z,
    weighted_risk_ratios,
)


def by_year(values: dict[str, list[float]]) -> pd.DataFrame:
    years = ["2022-23", "2023-24", "2024-25"]
    return pd.DataFrame([{"school_year": y, "race": race, "risk_ratio": v}
                         for race, series in values.items() for y, v in zip(years, series, strict=True)])


def test_multi_year_flags_strict_and_inclusive():
    table = by_year({BLACK: [3.2, 3.5, 3.1], HISPANIC: [3.0, 3.4, 3.6], WHITE: [4.0, 3.5, 3.2],
                     "Asian": [3.5, np.nan, 3.9]})
    strict = multi_year_flags(table, ["race"]).set_index("race")
    # Washington: strictly above 3.0 in each of 3 years. Hispanic's 3.0 in the first year is not above.
    assert strict.loc[BLACK, "above_threshold_each_year"]
    assert not strict.loc[HISPANIC, "above_threshold_each_year"]
    assert not strict.loc["Asian", "above_threshold_each_year"]  # a year not calculated is not above
    # Reasonable progress: lower in each of the last 2 steps. White 4.0 > 3.5 > 3.2 yes; Black 3.2 < 3.5 no.
    assert strict.loc[WHITE, "reasonable_progress"] and not strict.loc[BLACK, "reasonable_progress"]
    assert list(strict.columns[:3]) == ["2022-23", "2023-24", "2024-25"]
    # Maryland: at or above 3.0, so Hispanic's 3.0 counts.
    inclusive = multi_year_flags(table, ["race"], MultiYearRule(inclusive=True)).set_index("race")
    assert inclusive.loc[HISPANIC, "above_threshold_each_year"]
    assert inclusive.loc[HISPANIC, "rule"] == "risk ratio ≥ 3 in each of the last 3 years"


def test_multi_year_on_the_sample_district(sample_store):
    """Black students' OSS risk ratio (2.99, 2.98, 2.93 in sample_data/README.md): never above 3.0, above
    2.5 in all three years, and lower each year."""
    table = analysis.rates(sample_store, "oss", ["school_year", "race"]).table
    assert list(table["school_year"].unique()) == ["2022-23", "2023-24", "2024-25"]
    at_three = multi_year_flags(table, ["race"]).set_index("race").loc[BLACK]
    assert not at_three["above_threshold_each_year"] and at_three["reasonable_progress"]
    at_two_and_a_half = multi_year_flags(table, ["race"], MultiYearRule(threshold=2.5)).set_index("race").loc[BLACK]
    assert at_two_and_a_half["above_threshold_each_year"]


def selection_table(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    cells = pd.DataFrame(rows, columns=["race", "denominator", "numerator"])
    return rate_table(cells, ["race"], options=analysis.MetricOptions(min_n=1))


def test_four_fifths_rule_eeoc_example():
    """EEOC Questions and Answers (1979): hiring rates White 60%, American Indian 45%, Hispanic 48%, Black 51%
    -> ratios 0.75 (adverse), 0.80 (not adverse: the rule is strictly below 0.8), 0.85."""
    table = selection_table([(WHITE, 100, 60), (AMERICAN_INDIAN, 100, 45), (HISPANIC, 100, 48), (BLACK, 100, 51)])
    result = adverse_impact_table(table, ["race"]).set_index("race")
    assert result["impact_ratio"].to_dict() == pytest.approx(
        {WHITE: 1.0, AMERICAN_INDIAN: 0.75, HISPANIC: 0.80, BLACK: 0.85})
    assert result["adverse_impact"].to_dict() == {WHITE: False, AMERICAN_INDIAN: True, HISPANIC: False, BLACK: False}


def test_four_fifths_rule_leaves_unknown_and_hidden_groups_unflagged():
    # Hispanic's 3 is hidden, and so (complementary suppression) is the smallest other count, Asian's 12.
    table = selection_table([(WHITE, 100, 60), (BLACK, 100, 30), (UNKNOWN, 50, 40), (HISPANIC, 100, 3),
                             ("Asian", 100, 12)])
    result = adverse_impact_table(table, ["race"]).set_index("race")
    assert result.loc[BLACK, "adverse_impact"] and result.loc[BLACK, "impact_ratio"] == pytest.approx(0.5)
    for group in (UNKNOWN, HISPANIC, "Asian"):
        assert np.isnan(result.loc[group, "impact_ratio"]) and not result.loc[group, "adverse_impact"]


def test_representation_z_hazelwood():
    """Hazelwood v. US (1977): 15 Black teachers of 405 hires against a 15.4% pool: expected 62.37,
    z = (15 - 62.37) / sqrt(405 * 0.154 * 0.846) = -47.37 / 7.2640 = -6.52; against 5.7%: -1.73."""
    table = pd.DataFrame({"race": [BLACK, "Everyone else"], "numerator": pd.array([15, 390], dtype="Int64")})
    result = representation_z(table, "race", {BLACK: 0.154}).iloc[0]
    assert result["expected"] == pytest.approx(62.37)
    assert result["z"] == pytest.approx(-47.37 / math.sqrt(405 * 0.154 * 0.846), rel=1e-12)
    assert round(result["z"], 2) == -6.52
    assert round(representation_z(table, "race", {BLACK: 0.057}).iloc[0]["z"], 2) == -1.73
    # another group's count hidden: the group's own count and the shown total still give its z
    hidden = pd.DataFrame({"race": [BLACK, WHITE, "Asian"], "numerator": pd.array([15, 385, None], dtype="Int64")})
    assert np.isnan(representation_z(hidden, "race", {BLACK: 0.154}).iloc[0]["z"])
    assert representation_z(hidden, "race", {BLACK: 0.154}, total=405).iloc[0]["z"] == pytest.approx(result["z"])
    assert np.isnan(representation_z(hidden, "race", {"Asian": 0.02}, total=405).iloc[0]["z"])


def test_composition_gap_people_of_color():
    staff = pd.DataFrame({"race": [WHITE, BLACK, HISPANIC, UNKNOWN], "share_of_denominator": [0.8, 0.1, 0.1, np.nan]})
    students = pd.DataFrame({"race": [WHITE, BLACK, HISPANIC], "share_of_denominator": [0.4, 0.3, 0.3]})
    gap = composition_gap(staff, students).set_index("race")
    assert UNKNOWN not in gap.index
    assert gap.loc["People of color", "staff_share"] == pytest.approx(0.2)
    assert gap.loc["People of color", "student_share"] == pytest.approx(0.6)
    assert gap.loc["People of color", "gap"] == pytest.approx(0.4)
    assert gap.loc[WHITE, "gap"] == pytest.approx(-0.4)


def test_weighted_risk_ratio_worked_example():
    """Rates 10%, 20%, 5% with standard shares 0.5, 0.3, 0.2: for the second group
    0.2 * (1 - 0.3) / (0.5 * 0.1 + 0.2 * 0.05) = 0.14 / 0.06 = 2.3333."""
    table = selection_table([(WHITE, 1000, 100), (BLACK, 1000, 200), (HISPANIC, 1000, 50)])
    shares = {WHITE: 0.5, BLACK: 0.3, HISPANIC: 0.2}
    result = weighted_risk_ratios(table, "race", shares).set_index("race")
    assert result.loc[BLACK, "weighted_risk_ratio"] == pytest.approx(0.14 / 0.06, rel=1e-12)
    assert result.loc[WHITE, "weighted_risk_ratio"] == pytest.approx(0.1 * 0.5 / (0.3 * 0.2 + 0.2 * 0.05), rel=1e-12)


def test_weighted_risk_ratio_needs_every_rate():
    table = selection_table([(WHITE, 1000, 100), (BLACK, 1000, 200), (HISPANIC, 1000, 5)])
    assert weighted_risk_ratios(table, "race")["weighted_risk_ratio"].isna().all()


def test_people_of_color_share_is_exact_when_a_group_is_hidden():
    """Staff: White 70%, Hispanic 10%, Black hidden (its share is 20% but not shown): people of color are
    1 - 0.70 = 30%, not the 10% the shown groups add up to."""
    staff = pd.DataFrame({"race": [WHITE, BLACK, HISPANIC], "share_of_denominator": [0.7, np.nan, 0.1]})
    students = pd.DataFrame({"race": [WHITE, BLACK, HISPANIC], "share_of_denominator": [0.4, 0.3, 0.3]})
    gap = composition_gap(staff, students).set_index("race")
    assert gap.loc["People of color", "staff_share"] == pytest.approx(0.3)
    assert gap.loc["People of color", "gap"] == pytest.approx(0.3)
    white_hidden = pd.DataFrame({"race": [WHITE, BLACK, HISPANIC], "share_of_denominator": [np.nan, 0.2, np.nan]})
    assert np.isnan(composition_gap(white_hidden, students).set_index("race").loc["People of color", "staff_share"])


# ---- 34 CFR 300.647(b)(5) applied at a school ------------------------------------------------------------
def test_alternate_risk_ratio_where_the_schools_comparison_group_misses_the_minimums(sample_store):
    """Where a school's all other students miss the minimum n-size or cell size, the group's risk in the
    school is compared with the district's all other students' risk (the district standing in for the State,
    the school for the LEA): recomputed here from the raw rows."""
    from equity_metrics.measures import analysis
    from equity_metrics.measures.indicators import INDICATORS

    # The first student-level rate of the sample (latest year first) with a school group whose comparison
    # misses the minimums (which ones do depends on what privacy hides; the rule is checked wherever it applies).
    rates = (i for i in INDICATORS.values() if i.kind == "rate" and i.source == "student_year")
    for year, indicator in itertools.product(("2024-25", "2023-24", "2022-23"), list(rates)):
        try:
            result = analysis.rates(sample_store, indicator.id, ("school", "race"), Filters(school_years=(year,)))
        except analysis.NoDataError:  # the sample has no marks file
            continue
        table = result.table
        applied = table[table["alternate_risk_ratio"].notna()]
        if len(applied):
            break
    assert len(applied) >= 1 and applied["note"].str.contains("300.647(b)(5)", regex=False).all()
    assert table.loc[table["alternate_risk_ratio"].isna() & table["risk_ratio"].notna()].shape[0] > 0
    year = result.school_years[0]
    for _, row in applied.iterrows():
        raw = sample_store.query(
            f"SELECT school = $s AS here, race = $r AS mine, count_if({indicator.population}) AS n, "
            f"count_if(({indicator.population}) AND coalesce({indicator.value}, FALSE)) AS a "
            "FROM facts_student_year WHERE school_year = $y GROUP BY ALL",
            {"s": row["school"], "r": row["race"], "y": year})
        mine_here = raw[raw["here"] & raw["mine"]].iloc[0]
        others_here = raw[raw["here"] & ~raw["mine"]][["n", "a"]].sum()
        others_district = raw[~raw["mine"]][["n", "a"]].sum()
        options = result.options  # the school's own comparison misses a minimum
        assert others_here["n"] < options.min_n or others_here["a"] < options.min_cell
        expected = (mine_here["a"] / mine_here["n"]) / (others_district["a"] / others_district["n"])
        assert row["alternate_risk_ratio"] == pytest.approx(expected, rel=1e-12)
        assert np.isnan(row["risk_ratio"])
    district = analysis.rates(sample_store, indicator.id, ("race",), Filters(school_years=(year,))).table
    assert "alternate_risk_ratio" not in district.columns
