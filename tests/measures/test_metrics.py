"""Rate and gap tables checked against independent computations (scipy, statsmodels, hand arithmetic)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from scipy.stats.contingency import relative_risk
from statsmodels.stats.proportion import proportion_confint

from equity_metrics.measures.metrics import (
    GAP_COLUMNS,
    RATE_COLUMNS,
    MetricOptions,
    association,
    eta_squared_by_unit,
    gap_table,
    rate_table,
    unit_totals,
)

BLACK, WHITE, HISPANIC, ASIAN = "Black or African American", "White", "Hispanic or Latino", "Asian"


def cells(rows):
    return pd.DataFrame(rows, columns=["race", "denominator", "numerator"])


DISTRICT = cells([
    (WHITE, 1000, 40),
    (BLACK, 600, 90),
    (HISPANIC, 800, 50),
    (ASIAN, 300, 12),
    ("Unknown", 40, 20),
])


def row(table, race):
    return table[table["race"] == race].iloc[0]


def test_rate_table_has_the_cli_columns_in_order():
    table = rate_table(DISTRICT, ["race"])
    assert list(table.columns) == ["race", *RATE_COLUMNS]


def test_all_others_comparison_matches_scipy_and_statsmodels():
    table = rate_table(DISTRICT, ["race"])
    black = row(table, BLACK)
    # All other KNOWN students: 1000 + 800 + 300 = 2100 students, 40 + 50 + 12 = 102 with the outcome.
    assert black["comparison_rate"] == pytest.approx(102 / 2100, rel=1e-12)
    assert black["rate"] == pytest.approx(0.15, rel=1e-12)
    low, high = proportion_confint(90, 600, alpha=0.05, method="wilson")
    assert black["rate_ci_low"] == pytest.approx(low, rel=1e-9)
    assert black["rate_ci_high"] == pytest.approx(high, rel=1e-9)
    rr = relative_risk(90, 600, 102, 2100)
    assert black["risk_ratio"] == pytest.approx(rr.relative_risk, rel=1e-12)
    ci = rr.confidence_interval(0.95)
    assert black["risk_ratio_ci_low"] == pytest.approx(ci.low, rel=1e-9)
    assert black["risk_ratio_ci_high"] == pytest.approx(ci.high, rel=1e-9)
    chi2, p, _, _ = sps.chi2_contingency([[90, 510], [102, 1998]], correction=False)
    assert black["p_value"] == pytest.approx(p, rel=1e-9)
    assert black["test"] == "chi-square"
    assert black["rate_difference"] == pytest.approx(0.15 - 102 / 2100, rel=1e-12)


def test_shares_and_representation_index_leave_unknown_out():
    table = rate_table(DISTRICT, ["race"])
    black = row(table, BLACK)
    # Known students: 2700, known outcomes: 192.
    assert black["share_of_denominator"] == pytest.approx(600 / 2700, rel=1e-12)
    assert black["share_of_numerator"] == pytest.approx(90 / 192, rel=1e-12)
    assert black["representation_index"] == pytest.approx((90 / 192) / (600 / 2700), rel=1e-12)
    unknown = row(table, "Unknown")
    assert np.isnan(unknown["share_of_denominator"]) and np.isnan(unknown["risk_ratio"])
    assert unknown["rate"] == pytest.approx(0.5)
    assert "not compared" in unknown["note"] and "1.5% of students" in unknown["note"]  # 40 / 2740


def test_chosen_reference_group():
    table = rate_table(DISTRICT, ["race"], options=MetricOptions(comparison=WHITE))
    black = row(table, BLACK)
    assert black["comparison_rate"] == pytest.approx(0.04)
    assert black["risk_ratio"] == pytest.approx(0.15 / 0.04, rel=1e-12)
    white = row(table, WHITE)
    assert np.isnan(white["risk_ratio"]) and white["note"] == "comparison group"


def test_fisher_used_when_an_expected_count_is_small():
    small = cells([(WHITE, 40, 12), (BLACK, 35, 10), (HISPANIC, 500, 12)])
    table = rate_table(small, ["race"], options=MetricOptions(min_n=30))
    white = row(table, WHITE)
    # White vs all others: [[12, 28], [22, 513]]; expected count of the first cell 40 * 34 / 575 = 2.37 < 5.
    assert white["test"] == "Fisher's exact"
    assert white["p_value"] == pytest.approx(sps.fisher_exact([[12, 28], [22, 513]]).pvalue, rel=1e-9)


def test_n_size_blocks_the_rate_but_a_safe_count_is_shown():
    data = cells([(WHITE, 1000, 40), (BLACK, 25, 12), (HISPANIC, 800, 50), (ASIAN, 500, 60)])
    table = rate_table(data, ["race"])
    black = row(table, BLACK)  # n = 25 < 30: no rate; its count 12 (and complement 13) may be shown
    assert black["suppressed"] and np.isnan(black["rate"]) and black["numerator"] == 12
    assert "fewer than 30 students: rate not calculated (n-size)" in black["note"]
    assert not row(table, WHITE)["suppressed"]
    # Issue 16: the note names who is counted (applicants, teachers, answers), never "students" for staff.
    applicants = row(rate_table(data, ["race"], noun="applicants"), BLACK)
    assert "fewer than 30 applicants: rate not calculated (n-size)" in applicants["note"]
    assert "students" not in applicants["note"]


def test_privacy_hides_small_counts_and_their_complement_cell():
    data = cells([(WHITE, 1000, 40), (BLACK, 25, 12), (HISPANIC, 800, 8), (ASIAN, 500, 60)])
    table = rate_table(data, ["race"])
    hispanic = row(table, HISPANIC)  # 8 < 10: hidden for privacy
    assert pd.isna(hispanic["numerator"]) and hispanic["suppressed"]
    assert "count under 10 hidden (privacy)" in hispanic["note"]
    # The smallest other count (Black, 12) is hidden with it, so 8 cannot be had from the total.
    black = row(table, BLACK)
    assert pd.isna(black["numerator"]) and "complementary suppression" in black["note"]
    assert row(table, WHITE)["numerator"] == 40


def test_cell_size_blocks_the_risk_ratio_but_not_the_rate():
    data = cells([(WHITE, 1000, 40), (BLACK, 600, 11), (HISPANIC, 800, 50)])
    table = rate_table(data, ["race"], options=MetricOptions(min_cell=12))
    black = row(table, BLACK)
    assert black["rate"] == pytest.approx(11 / 600)
    assert np.isnan(black["risk_ratio"])
    assert "fewer than 12 with the event: risk ratio not calculated (cell size)" in black["note"]


def test_no_hidden_count_is_recoverable_from_shown_numbers():
    """Asian 3 is hidden; with only one hidden known cell, known totals (shares, all-others rates) would give
    it away, so a second known cell is hidden too."""
    data = cells([(WHITE, 1000, 40), (BLACK, 600, 90), (HISPANIC, 800, 50), (ASIAN, 25, 3), ("Unknown", 40, 2)])
    table = rate_table(data, ["race"])
    hidden = table[table["numerator"].isna()]["race"].tolist()
    known_hidden = [r for r in hidden if r != "Unknown"]
    assert len(known_hidden) >= 2
    assert WHITE in hidden  # the smallest shown known count, 40
    white = row(table, WHITE)
    assert "complementary suppression" in white["note"]
    for column in ("rate", "comparison_rate", "share_of_numerator", "risk_ratio", "p_value"):
        assert np.isnan(white[column])


def test_complement_of_the_numerator_is_protected():
    data = cells([(WHITE, 1000, 40), (BLACK, 600, 595), (HISPANIC, 800, 50)])
    table = rate_table(data, ["race"])
    assert pd.isna(row(table, BLACK)["numerator"])  # 5 students did NOT have the outcome


def test_units_compare_within_each_year():
    two_years = pd.concat([DISTRICT.assign(school_year="2023-24"),
                           cells([(WHITE, 900, 90), (BLACK, 700, 70), (HISPANIC, 800, 80), (ASIAN, 300, 30),
                                  ("Unknown", 30, 12)]).assign(school_year="2024-25")])
    table = rate_table(two_years, ["race"], ["school_year"])
    later = table[(table["school_year"] == "2024-25") & (table["race"] == BLACK)].iloc[0]
    assert later["risk_ratio"] == pytest.approx(1.0)  # every known group at 10% that year
    earlier = table[(table["school_year"] == "2023-24") & (table["race"] == BLACK)].iloc[0]
    assert earlier["comparison_rate"] == pytest.approx(102 / 2100)


def test_intersections_compare_with_the_matching_reference_cell():
    data = pd.DataFrame({
        "race": [WHITE, WHITE, BLACK, BLACK],
        "sex": ["Female", "Male", "Female", "Male"],
        "denominator": [500, 500, 300, 300],
        "numerator": [20, 40, 30, 75],
    })
    table = rate_table(data, ["race", "sex"], options=MetricOptions(comparison=WHITE))
    black_male = table[(table["race"] == BLACK) & (table["sex"] == "Male")].iloc[0]
    assert black_male["risk_ratio"] == pytest.approx((75 / 300) / (40 / 500))
    black_female = table[(table["race"] == BLACK) & (table["sex"] == "Female")].iloc[0]
    assert black_female["risk_ratio"] == pytest.approx((30 / 300) / (20 / 500))


def test_association_matches_scipy():
    result = association(DISTRICT, ["race"])
    table = [[40, 960], [90, 510], [50, 750], [12, 288]]
    chi2, p, dof, _ = sps.chi2_contingency(table, correction=False)
    assert result.loc[0, "chi_square"] == pytest.approx(chi2, rel=1e-9)
    assert result.loc[0, "dof"] == dof == 3
    assert result.loc[0, "cramers_v"] == pytest.approx(sps.contingency.association(table, method="cramer"), rel=1e-9)


def test_unit_totals_hide_a_small_total():
    totals = unit_totals(cells([(WHITE, 100, 3), (BLACK, 80, 2)]), [])
    assert pd.isna(totals.loc[0, "numerator"]) and np.isnan(totals.loc[0, "rate"])
    totals = unit_totals(DISTRICT, [])
    assert totals.loc[0, "rate"] == pytest.approx(212 / 2740)


# ---- score gaps --------------------------------------------------------------------------------------
def value_cells(groups: dict[str, np.ndarray], shift: float = 0.0) -> pd.DataFrame:
    """Cells as aggregate.value_cells makes them: sums of (value - shift)."""
    return pd.DataFrame([
        {"race": race, "n": len(v), "total": float(np.sum(v - shift)), "total_of_squares": float(np.sum((v - shift) ** 2)),
         "median": float(np.median(v)), "shift": shift}
        for race, v in groups.items()
    ])


RNG = np.random.default_rng(7)
SCORES = {
    WHITE: RNG.normal(2520, 90, 400),
    BLACK: RNG.normal(2475, 85, 250),
    HISPANIC: RNG.normal(2485, 95, 300),
}


def test_gap_table_matches_scipy_on_raw_scores():
    table = gap_table(value_cells(SCORES, shift=2500.0), ["race"])
    assert list(table.columns) == ["race", *GAP_COLUMNS, "median_gap_sd"]
    black = row(table, BLACK)
    others = np.concatenate([SCORES[WHITE], SCORES[HISPANIC]])
    assert black["mean"] == pytest.approx(SCORES[BLACK].mean(), rel=1e-12)
    assert black["sd"] == pytest.approx(SCORES[BLACK].std(ddof=1), rel=1e-9)
    assert black["comparison_mean"] == pytest.approx(others.mean(), rel=1e-12)
    assert black["median"] == pytest.approx(np.median(SCORES[BLACK]))
    n1, n2 = len(SCORES[BLACK]), len(others)
    pooled = np.sqrt(((n1 - 1) * SCORES[BLACK].var(ddof=1) + (n2 - 1) * others.var(ddof=1)) / (n1 + n2 - 2))
    g = (SCORES[BLACK].mean() - others.mean()) / pooled * (1 - 3 / (4 * (n1 + n2) - 9))
    assert black["hedges_g"] == pytest.approx(g, rel=1e-9)
    assert black["p_value"] == pytest.approx(sps.ttest_ind(SCORES[BLACK], others, equal_var=False).pvalue, rel=1e-7)


def test_gap_with_reference_group_and_median_gap():
    table = gap_table(value_cells(SCORES), ["race"], options=MetricOptions(comparison=WHITE))
    black = row(table, BLACK)
    assert black["mean_difference"] == pytest.approx(SCORES[BLACK].mean() - SCORES[WHITE].mean(), rel=1e-9)
    everyone = np.concatenate(list(SCORES.values()))
    expected = (np.median(SCORES[BLACK]) - np.median(SCORES[WHITE])) / everyone.std(ddof=1)
    assert black["median_gap_sd"] == pytest.approx(expected, rel=1e-9)


def test_no_effect_size_or_test_when_a_group_has_no_spread():
    # Every score alike within each group: the SD from sums of squares is a rounding remainder (about 5e-7
    # here, not 0), which once gave Hedges' g of -275,565,205.6 with p = 0.0.
    flat = {WHITE: np.full(300, 2510.1), BLACK: np.full(200, 2470.3), HISPANIC: SCORES[HISPANIC]}
    table = gap_table(value_cells(flat, shift=2487.37), ["race"])
    black = row(table, BLACK)
    assert black["sd"] < 1e-3
    assert black["mean_difference"] == pytest.approx(2470.3 - np.concatenate([flat[WHITE], flat[HISPANIC]]).mean())
    assert np.isnan([black["hedges_g"], black["hedges_g_ci_low"], black["hedges_g_ci_high"], black["p_value"]]).all()
    assert "no spread" in black["note"]
    hispanic = row(table, HISPANIC)  # a group that varies, against others who vary together: all computed
    assert np.isfinite(hispanic["hedges_g"]) and np.isfinite(hispanic["p_value"]) and "no spread" not in hispanic["note"]


def test_eta_squared_by_unit_matches_hand_computation():
    result = eta_squared_by_unit(value_cells(SCORES), ["race"])
    everyone = np.concatenate(list(SCORES.values()))
    between = sum(len(v) * (v.mean() - everyone.mean()) ** 2 for v in SCORES.values())
    total = ((everyone - everyone.mean()) ** 2).sum()
    assert result.loc[0, "eta_squared"] == pytest.approx(between / total, rel=1e-9)


def test_small_groups_are_hidden_in_gap_tables():
    scores = {**SCORES, ASIAN: RNG.normal(2550, 80, 6)}
    table = gap_table(value_cells(scores), ["race"])
    asian = row(table, ASIAN)
    assert pd.isna(asian["n"]) and np.isnan(asian["mean"]) and asian["suppressed"]
    # A single hidden n would be recoverable from the total: another group is hidden with it.
    assert table["n"].isna().sum() >= 2


def test_unknown_share_is_not_given_when_its_count_is_hidden():
    data = cells([(WHITE, 1000, 40), (BLACK, 600, 90), (HISPANIC, 800, 50), ("Unknown", 7, 0)])
    unknown = row(rate_table(data, ["race"]), "Unknown")
    assert pd.isna(unknown["denominator"]) and unknown["note"].endswith("not compared")
    assert "%" not in unknown["note"]


def test_median_gap_with_a_supplied_reference_sd():
    """OpenSDP form: (median of the group - median of the reference group) / a reference SD, e.g. the state's."""
    table = gap_table(value_cells(SCORES), ["race"], options=MetricOptions(comparison=WHITE), reference_sd=100.0)
    black = row(table, BLACK)
    assert black["median_gap_sd"] == pytest.approx((np.median(SCORES[BLACK]) - np.median(SCORES[WHITE])) / 100.0)
