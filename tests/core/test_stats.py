"""Tests for equity_metrics.core.stats.

Every expected value comes from an independent computation: scipy / statsmodels on the same table or on raw
data, exact rational arithmetic (fractions.Fraction), or a worked example whose arithmetic is written out in
a comment. Nothing here computes an expected value with the code under test.
"""

from __future__ import annotations

import math
import statistics
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats.contingency import association, expected_freq
from statsmodels.formula.api import ols
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.proportion import proportion_confint

from equity_metrics.core import stats
from equity_metrics.core.constants import FOUR_FIFTHS

# Any RuntimeWarning (division by zero, invalid value, all-NaN slice) leaking out of the module fails a test.
pytestmark = pytest.mark.filterwarnings("error")

REL = 1e-9
Z95 = 1.959963984540054  # published two-sided 95% normal quantile
FAST = settings(max_examples=60, deadline=None)


def approx(x, rel=REL, abs=0.0):
    return pytest.approx(x, rel=rel, abs=abs, nan_ok=True)


def wilson_textbook(a: int, n: int, z: float) -> tuple[float, float]:
    """Wilson interval in its textbook form (metrics.md), in plain Python floats."""
    p = a / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return (centre - spread) / denominator, (centre + spread) / denominator


# -------------------------------------------------------------------------------------------------------
# z_value, rate


def test_z_value_matches_scipy_and_published_constant():
    assert stats.z_value() == approx(Z95, rel=1e-15)
    for confidence in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        assert stats.z_value(confidence) == approx(scipy.stats.norm.ppf(0.5 + confidence / 2), rel=1e-12)
    assert stats.z_value(0.90) == approx(1.6448536269514722, rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5, 1.5, float("nan")])
def test_z_value_rejects_bad_confidence(bad):
    with pytest.raises(ValueError):
        stats.z_value(bad)


def test_rate_values_and_nan():
    assert stats.rate(3, 12) == 0.25
    out = stats.rate([1, 0, 5, 2, -9, 3, np.nan], [4, 10, 0, 0, 100, -11, 10])
    np.testing.assert_array_equal(out, [0.25, 0.0, np.nan, np.nan, np.nan, np.nan, np.nan])
    assert stats.rate(30, 20) == 1.5  # removals per student may exceed 1
    assert isinstance(stats.rate(1, 2), np.float64)
    assert stats.rate([1, 2], 4).dtype == np.float64  # broadcast scalar denominator


# -------------------------------------------------------------------------------------------------------
# Wilson


def test_wilson_hand_example_10_of_50():
    # p = 10/50 = 0.2, z = 1.959964, z² = 3.841459, z²/n = 0.076829, 1 + z²/n = 1.076829
    # centre  = (0.2 + 3.841459/100) / 1.076829 = 0.238415 / 1.076829 = 0.221404
    # half    = 1.959964 * sqrt(0.2*0.8/50 + 3.841459/(4*2500)) / 1.076829
    #         = 1.959964 * sqrt(0.0032 + 0.000384146) / 1.076829 = 1.959964 * 0.0598677 / 1.076829 = 0.108966
    # interval = (0.112438, 0.330371)
    low, high = stats.wilson_interval(10, 50)
    assert round(float(low), 4) == 0.1124
    assert round(float(high), 4) == 0.3304
    exp_low, exp_high = wilson_textbook(10, 50, Z95)
    assert low == approx(exp_low, rel=1e-12)
    assert high == approx(exp_high, rel=1e-12)
    sm_low, sm_high = proportion_confint(10, 50, alpha=0.05, method="wilson")
    assert (low, high) == (approx(sm_low), approx(sm_high))


def test_wilson_matches_statsmodels_vectorised_and_other_confidence():
    a = np.array([0, 1, 7, 25, 49, 50, 3, 999])
    n = np.array([50, 50, 31, 50, 50, 50, 3, 1000])
    for confidence in (0.9, 0.95, 0.99):
        low, high = stats.wilson_interval(a, n, confidence=confidence)
        sm_low, sm_high = proportion_confint(a, n, alpha=1 - confidence, method="wilson")
        np.testing.assert_allclose(low, sm_low, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(high, sm_high, rtol=1e-9, atol=1e-15)


def test_wilson_bounds_exact_at_zero_and_all():
    low, high = stats.wilson_interval([0, 40], [40, 40])
    assert low[0] == 0.0
    assert high[1] == 1.0
    # a = 0: high = z²/n / (1 + z²/n) exactly
    z2 = Z95 * Z95
    assert high[0] == approx((z2 / 40) / (1 + z2 / 40), rel=1e-12)


def test_wilson_accurate_for_tiny_rates():
    # textbook formula evaluated with 50 significant digits (decimal), same z; statsmodels' centre − half-width
    # form loses digits here, the module must not
    with localcontext() as ctx:
        ctx.prec = 50
        z = Decimal(Z95)
        for a, n in ((1, 10**9), (5, 10**12), (10**9 - 1, 10**9)):
            p = Decimal(a) / Decimal(n)
            centre = p + z * z / (2 * n)
            spread = z * (p * (1 - p) / n + z * z / (4 * n * n)).sqrt()
            denominator = 1 + z * z / n
            low, high = stats.wilson_interval(a, n)
            assert low == approx(float((centre - spread) / denominator), rel=1e-12)
            assert high == approx(float((centre + spread) / denominator), rel=1e-12)


def test_wilson_nan_for_invalid_counts():
    low, high = stats.wilson_interval([5, 5, -1, 6, np.nan], [0, -3, 10, 5, 10])
    assert np.isnan(low).all() and np.isnan(high).all()


@FAST
@given(
    st.integers(min_value=1, max_value=100_000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_wilson_property_within_unit_interval_and_contains_p(counts, confidence):
    a, n = counts
    low, high = stats.wilson_interval(a, n, confidence=confidence)
    assert 0.0 <= low <= a / n <= high <= 1.0
    sm_low, sm_high = proportion_confint(a, n, alpha=1 - confidence, method="wilson")
    assert low == approx(sm_low, rel=1e-8, abs=1e-14)
    assert high == approx(sm_high, rel=1e-8, abs=1e-14)


# -------------------------------------------------------------------------------------------------------
# risk ratio, Katz interval, differences


def test_risk_ratio_and_difference_by_hand():
    # (12/40) / (15/150) = 0.3 / 0.1 = 3.0 ; 0.3 - 0.1 = 0.2
    assert stats.risk_ratio(12, 40, 15, 150) == approx(3.0)
    assert stats.rate_difference(12, 40, 15, 150) == approx(0.2)
    rr = stats.risk_ratio([12, 0, 5, 5], [40, 40, 0, 10], [15, 15, 3, 0], [150, 150, 10, 10])
    assert rr[:2] == approx([3.0, 0.0])
    assert np.isnan(rr[2:]).all()  # undefined group rate; zero comparison rate
    diff = stats.rate_difference([5, 5], [0, 10], [1, 0], [10, 10])
    assert np.isnan(diff[0]) and diff[1] == approx(0.5)


def test_crdc_2013_14_suspension_ratio_reproduced_from_rates():
    # Published: Black students 3.8 times as likely as White to receive OSS. With rates 13.7% and 3.6%
    # (per 1,000 students: 137 and 36), 137/36 = 3.8055...
    assert stats.risk_ratio(137, 1000, 36, 1000) == approx(137 / 36)
    assert round(float(stats.risk_ratio(137, 1000, 36, 1000)), 1) == 3.8


def test_katz_interval_matches_scipy_relative_risk():
    cases = [(10, 50, 5, 60), (30, 100, 10, 100), (1, 7, 9, 11), (50, 50, 20, 60), (3, 500, 40, 900)]
    for confidence in (0.9, 0.95):
        low, high = stats.katz_interval(*np.array(cases).T, confidence=confidence)
        for i, (a, n, c, m) in enumerate(cases):
            ci = scipy.stats.contingency.relative_risk(a, n, c, m).confidence_interval(confidence)
            assert low[i] == approx(ci.low)
            assert high[i] == approx(ci.high)


def test_katz_interval_by_hand():
    # RR = (10/50)/(5/60) = 2.4 ; var = 1/10 - 1/50 + 1/5 - 1/60 = 0.1 - 0.02 + 0.2 - 0.016667 = 0.263333
    # se = 0.513160 ; exp(ln 2.4 ± 1.959964*0.513160) = 2.4 * exp(∓1.005776) = (0.877826, 6.561663)
    low, high = stats.katz_interval(10, 50, 5, 60)
    se = math.sqrt(0.1 - 0.02 + 0.2 - 1 / 60)
    assert low == approx(2.4 * math.exp(-Z95 * se))
    assert high == approx(2.4 * math.exp(Z95 * se))
    assert round(float(low), 4) == 0.8778 and round(float(high), 4) == 6.5617


def test_katz_interval_nan_when_zero_events_or_invalid():
    low, high = stats.katz_interval([0, 5, 5, 5, 11], [50, 50, 0, 50, 10], [5, 0, 5, 5, 5], [60, 60, 60, 0, 60])
    assert np.isnan(low).all() and np.isnan(high).all()


@FAST
@given(
    st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
    st.integers(1, 5000).flatmap(lambda m: st.tuples(st.integers(1, m), st.just(m))),
)
def test_katz_property_contains_rr_and_agrees_with_scipy(group, comparison):
    (a, n), (c, m) = group, comparison
    low, high = stats.katz_interval(a, n, c, m)
    rr = (a / n) / (c / m)
    assert low <= rr * (1 + 1e-12) and rr <= high * (1 + 1e-12)
    ci = scipy.stats.contingency.relative_risk(a, n, c, m).confidence_interval()
    assert low == approx(ci.low) and high == approx(ci.high)


def test_alternate_risk_ratio():
    # district rate 18/120 = 0.15 against a state rate of the others of 0.05 -> 3.0
    assert stats.alternate_risk_ratio(18, 120, 0.05) == approx(3.0)
    out = stats.alternate_risk_ratio([18, 18, 18], [120, 0, 120], [0.0, 0.05, np.nan])
    assert np.isnan(out).all()


# -------------------------------------------------------------------------------------------------------
# 2x2 tests


def test_two_by_two_fisher_lady_tasting_tea_by_hand():
    # [[3, 1], [1, 3]]: N = 8, column margin 4, row 4; P(k) = C(4,k) C(4,4-k) / C(8,4)
    # = 1, 16, 36, 16, 1 over 70. Observed k = 3 (16/70); tables no more likely: k = 0, 1, 3, 4 -> 34/70 = 17/35.
    p, name = stats.two_by_two_test(3, 4, 1, 4)
    assert name == "Fisher's exact"
    assert p == approx(17 / 35)
    assert p == approx(scipy.stats.fisher_exact([[3, 1], [1, 3]]).pvalue)


def test_two_by_two_chi_square_by_hand():
    # [[30, 70], [20, 80]]: N = 200, margins rows 100, 100, columns 50, 150; all expected >= 25.
    # chi² = 200 (30*80 - 70*20)² / (100*100*50*150) = 200 * 1e6 / 7.5e7 = 8/3 on 1 df;
    # p = P(chi²_1 > 8/3) = erfc(sqrt(8/3 / 2)) = erfc(sqrt(4/3)) = 0.10247...
    p, name = stats.two_by_two_test(30, 100, 20, 100)
    assert name == "chi-square"
    assert p == approx(math.erfc(math.sqrt(4 / 3)))
    chi2, p_scipy, _, _ = scipy.stats.chi2_contingency([[30, 70], [20, 80]], correction=False)
    assert chi2 == approx(8 / 3)
    assert p == approx(p_scipy)


def test_two_by_two_switches_test_at_expected_count_five():
    # rows 10 and 10; column margins 10/10 -> smallest expected 10*10/20 = 5 -> chi-square (5 is enough)
    # column margins 9/11 -> smallest expected 10*9/20 = 4.5 -> Fisher
    # rows 4 and 200 with 30 events -> smallest expected 4*30/204 = 0.59 -> Fisher
    a = [5, 6, 2]
    n = [10, 10, 4]
    c = [5, 3, 28]
    m = [10, 10, 200]
    p, names = stats.two_by_two_test(a, n, c, m)
    assert list(names) == ["chi-square", "Fisher's exact", "Fisher's exact"]
    assert p[0] == approx(scipy.stats.chi2_contingency([[5, 5], [5, 5]], correction=False)[1])
    assert p[0] == approx(1.0)
    assert p[1] == approx(scipy.stats.fisher_exact([[6, 4], [3, 7]]).pvalue)
    assert p[2] == approx(scipy.stats.fisher_exact([[2, 2], [28, 172]]).pvalue)


def test_two_by_two_degenerate_tables():
    # zero column margin (no one, or everyone, has the outcome): Fisher, the only possible table, p = 1
    # empty group (n = 0 or m = 0), impossible or non-integer counts: NaN and no test name
    a = [0, 30, 0, 3, 3, -1, 11, 2.5, np.nan]
    n = [30, 30, 0, 30, 30, 30, 10, 10, 10]
    c = [0, 50, 2, 0, 60, 2, 2, 2, 2]  # c = 60 > m = 50 is impossible
    m = [50, 50, 50, 0, 50, 50, 50, 50, 50]
    p, names = stats.two_by_two_test(a, n, c, m)
    assert list(names[:2]) == ["Fisher's exact", "Fisher's exact"]
    assert p[:2] == approx([1.0, 1.0])
    assert scipy.stats.fisher_exact([[0, 30], [0, 50]]).pvalue == 1.0  # scipy agrees
    assert np.isnan(p[2:]).all()
    assert list(names[2:]) == [""] * 7


def test_two_by_two_refuses_counts_beyond_exact_float_integers():
    # n + m above 2**53 cannot be held exactly as float64 integers: NaN and no test name
    p, names = stats.two_by_two_test([1, 1, 1], [2**53, 1e300, 2**52], [1, 1, 1], [2**53, 10, 2**52])
    assert np.isnan(p[:2]).all() and list(names[:2]) == ["", ""]
    assert names[2] == "Fisher's exact"  # 2**53 in total is still fine
    # [[1, 2**52 - 1], [1, 2**52 - 1]]: two equal rows; P(k=1) is the most likely table, so p = 1
    assert p[2] == approx(1.0)


def test_two_by_two_shapes_and_scalar_types():
    p, name = stats.two_by_two_test(3, 4, 1, 4)
    assert isinstance(p, np.floating) and isinstance(name, str)
    p2, names2 = stats.two_by_two_test([[3, 30]], [[4, 100]], [[1, 20]], [[4, 100]])
    assert p2.shape == (1, 2) and names2.shape == (1, 2)
    assert p2[0, 0] == approx(17 / 35) and names2[0, 1] == "chi-square"


def _scipy_two_by_two(a: int, n: int, c: int, m: int) -> tuple[float, str]:
    table = np.array([[a, n - a], [c, m - c]])
    if expected_freq(table).min() >= 5:
        return scipy.stats.chi2_contingency(table, correction=False)[1], "chi-square"
    return scipy.stats.fisher_exact(table).pvalue, "Fisher's exact"


_group = st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_group, _group), min_size=1, max_size=8))
def test_two_by_two_property_agrees_with_scipy_per_row(rows):
    a, n, c, m = (np.array(x) for x in zip(*[(g[0], g[1], h[0], h[1]) for g, h in rows], strict=True))
    p, names = stats.two_by_two_test(a, n, c, m)
    for i in range(len(a)):
        expected_p, expected_name = _scipy_two_by_two(int(a[i]), int(n[i]), int(c[i]), int(m[i]))
        assert names[i] == expected_name
        assert p[i] == approx(expected_p, rel=1e-9, abs=1e-300)
        scalar_p, scalar_name = stats.two_by_two_test(a[i], n[i], c[i], m[i])
        assert scalar_p == approx(p[i], rel=1e-14) and scalar_name == names[i]


def test_two_by_two_fisher_counts_tied_tables_despite_rounding():
    # [[6, 2], [0, 8]]: N = 16, 6 events, rows of 8 -> smallest expected 8*6/16 = 3 -> Fisher.
    # P(k) = C(8,k) C(8,6-k) / C(16,6); k = 6 and k = 0 are equally likely (28/8008 each), though the
    # floating-point probabilities differ in the last bit. Every other k is more likely, so p = 56/8008.
    assert math.comb(8, 6) * math.comb(8, 0) == math.comb(8, 0) * math.comb(8, 6) == 28
    exact = Fraction(2 * 28, math.comb(16, 6))
    for a, c in ((6, 0), (0, 6)):
        p, name = stats.two_by_two_test(a, 8, c, 8)
        assert name == "Fisher's exact"
        assert p == approx(float(exact), rel=1e-12)


def _fisher_exact_rational(a: int, n: int, c: int, m: int) -> Fraction:
    """Two-sided Fisher p in exact integer arithmetic: Σ C(K,k) C(N−K,n−k) over k no more likely, / C(N,n)."""
    events, total = a + c, n + m
    weights = {
        k: math.comb(events, k) * math.comb(total - events, n - k)
        for k in range(max(0, events - m), min(events, n) + 1)
    }
    return Fraction(sum(w for w in weights.values() if w <= weights[a]), math.comb(total, n))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, min(n, 6)), st.just(n))),
    st.integers(1, 400).flatmap(lambda m: st.tuples(st.integers(0, m), st.just(m))),
)
def test_two_by_two_fisher_matches_exact_rational_arithmetic(group, comparison):
    (a, n), (c, m) = group, comparison
    p, name = stats.two_by_two_test(a, n, c, m)
    if name == "Fisher's exact":
        assert p == approx(float(_fisher_exact_rational(a, n, c, m)), rel=1e-12, abs=1e-300)
    else:
        assert name == "chi-square"


def test_two_by_two_fisher_exact_with_a_large_comparison_group():
    # a small school group against ~3 million others: exact rational arithmetic is the reference
    # (scipy.stats.fisher_exact is only good to ~1e-9 relative at this size)
    for a, n, c, m in ((12, 20, 31, 2963084), (1, 4, 6, 2513454), (0, 25, 40, 1_000_000)):
        p, name = stats.two_by_two_test(a, n, c, m)
        assert name == "Fisher's exact"
        assert p == approx(float(_fisher_exact_rational(a, n, c, m)), rel=1e-12)


def test_two_by_two_small_p_values_fisher_matches_scipy():
    for table in ([[0, 40], [12, 3]], [[1, 200], [15, 20]], [[9, 1], [0, 10]]):
        (a, b), (c, d) = table
        p, name = stats.two_by_two_test(a, a + b, c, c + d)
        assert name == "Fisher's exact"
        assert p == approx(scipy.stats.fisher_exact(table).pvalue)


# -------------------------------------------------------------------------------------------------------
# k x 2 chi-square and Cramér's V


def test_chi_square_independence_matches_scipy_and_drops_empty_groups():
    a = [10, 20, 5, 0, 30]
    n = [50, 60, 40, 0, 70]
    chi2, dof, p = stats.chi_square_independence(a, n)
    table = [[10, 40], [20, 40], [5, 35], [30, 40]]  # the empty group is dropped
    res = scipy.stats.chi2_contingency(table, correction=False)
    assert dof == 3 == res.dof
    assert chi2 == approx(res.statistic)
    assert p == approx(res.pvalue)
    assert isinstance(chi2, float) and isinstance(dof, int) and isinstance(p, float)


def test_chi_square_independence_two_groups_has_no_continuity_correction():
    chi2, dof, p = stats.chi_square_independence([30, 20], [100, 100])
    assert (chi2, dof) == (approx(8 / 3), 1)  # hand value from the 2x2 test above
    assert p == approx(math.erfc(math.sqrt(4 / 3)))


def test_chi_square_independence_undefined_cases():
    for a, n in (
        ([0, 0, 0], [10, 20, 30]),  # no events at all
        ([10, 20], [10, 20]),  # everyone has the outcome
        ([3, 0], [10, 0]),  # one group left
        ([3, -9], [10, 20]),  # reserve code
        ([3, 25], [10, 20]),  # numerator above denominator
        ([3, np.nan], [10, 20]),
    ):
        chi2, _, p = stats.chi_square_independence(a, n)
        assert math.isnan(chi2) and math.isnan(p)
        assert math.isnan(stats.cramers_v(a, n))
    assert stats.chi_square_independence([3, 0], [10, 0])[1] == 0
    assert stats.chi_square_independence([], [])[1] == 0


def test_cramers_v_matches_scipy_association():
    a = np.array([10, 20, 5, 30, 0])
    n = np.array([50, 60, 40, 70, 0])
    keep = n > 0
    table = np.column_stack([a[keep], (n - a)[keep]])
    assert stats.cramers_v(a, n) == approx(association(table, method="cramer"))
    # two groups: V = |phi| = sqrt(chi2 / N) = sqrt((8/3) / 200)
    assert stats.cramers_v([30, 20], [100, 100]) == approx(math.sqrt((8 / 3) / 200))
    assert stats.cramers_v([30, 20], [100, 100]) == approx(association([[30, 70], [20, 80]], method="cramer"))


# -------------------------------------------------------------------------------------------------------
# composition


def test_share_and_nan():
    np.testing.assert_array_equal(stats.share([1, 3, 0, 4]), [0.125, 0.375, 0.0, 0.5])
    assert np.isnan(stats.share([0, 0, 0])).all()
    assert np.isnan(stats.share([5, -9, 3])).all()
    assert np.isnan(stats.share([5, np.nan, 3])).all()
    per_unit = stats.share([[1, 1, 2], [0, 0, 0]])
    np.testing.assert_array_equal(per_unit[0], [0.25, 0.25, 0.5])
    assert np.isnan(per_unit[1]).all()
    np.testing.assert_array_equal(stats.share([[1, 2], [3, 2]], axis=0), [[0.25, 0.5], [0.75, 0.5]])


def test_crdc_2015_16_representation_index():
    # Black students: 15% of enrollment, 31% of referrals/arrests -> 31/15 = 2.0666...; White: 36/49 = 0.7347
    ri = stats.representation_index([0.31, 0.36], [0.15, 0.49])
    assert ri == approx([float(Fraction(31, 15)), float(Fraction(36, 49))])
    assert round(float(ri[0]), 2) == 2.07
    rd = stats.relative_difference_in_composition([0.31, 0.36], [0.15, 0.49])
    assert rd == approx([float(Fraction(16, 15)), float(Fraction(-13, 49))])


def test_representation_index_equals_risk_over_overall_risk():
    # counts: enrollment 300/700, outcome 30/35 -> C = 30/65, E = 300/1000; R_g = 0.1, R_all = 65/1000
    enrollment = np.array([300, 700])
    outcome = np.array([30, 35])
    ri = stats.representation_index(stats.share(outcome), stats.share(enrollment))
    assert ri[0] == approx(float(Fraction(30, 300) / Fraction(65, 1000)))
    assert ri[1] == approx(float(Fraction(35, 700) / Fraction(65, 1000)))


def test_composition_zero_denominator_is_nan():
    assert np.isnan(stats.representation_index(0.1, 0.0))
    assert np.isnan(stats.relative_difference_in_composition(0.1, 0.0))
    assert np.isnan(stats.representation_index(0.0, 0.0))


def test_weighted_risk_ratio_hand_example():
    # risks R = (0.20, 0.10, 0.05), standard shares p = (0.5, 0.3, 0.2)
    # g0: 0.20*(1-0.5) / (0.3*0.10 + 0.2*0.05) = 0.10 / 0.04 = 2.5
    # g1: 0.10*(1-0.3) / (0.5*0.20 + 0.2*0.05) = 0.07 / 0.11 = 7/11
    # g2: 0.05*(1-0.2) / (0.5*0.20 + 0.3*0.10) = 0.04 / 0.13 = 4/13
    out = stats.weighted_risk_ratio([0.20, 0.10, 0.05], [0.5, 0.3, 0.2])
    assert out == approx([2.5, 7 / 11, 4 / 13])
    # two units at once (last axis = groups); second unit has a NaN risk for a group absent from the standard
    two = stats.weighted_risk_ratio([[0.20, 0.10, 0.05], [0.20, 0.10, np.nan]], [[0.5, 0.3, 0.2], [0.6, 0.4, 0.0]])
    assert two[0] == approx([2.5, 7 / 11, 4 / 13])
    # g0: 0.2*0.4 / (0.4*0.1) = 2 ; g1: 0.1*0.6 / (0.6*0.2) = 0.5 ; g2: NaN risk
    assert two[1, :2] == approx([2.0, 0.5])
    assert np.isnan(two[1, 2])


def test_weighted_risk_ratio_nan_cases():
    assert np.isnan(stats.weighted_risk_ratio([0.2, 0.0], [0.5, 0.5])[0])  # others have zero risk
    assert np.isnan(stats.weighted_risk_ratio([0.2, np.nan], [0.5, 0.5])[0])
    assert np.isnan(stats.weighted_risk_ratio([0.2], [1.0])).all()


def test_staff_student_gap_tntp():
    assert stats.staff_student_gap(0.22, 0.55) == approx(0.33)
    assert stats.staff_student_gap([0.22, 0.5], [0.55, 0.4]) == approx([0.33, -0.1])


# -------------------------------------------------------------------------------------------------------
# scores


def test_mean_sd_from_sums_matches_raw_data():
    rng = np.random.default_rng(7)
    groups = [rng.normal(250, 40, size) for size in (2, 3, 17, 400)]
    n = [len(g) for g in groups]
    total = [g.sum() for g in groups]
    total_sq = [(g * g).sum() for g in groups]
    mean, sd = stats.mean_sd_from_sums(n, total, total_sq)
    for i, g in enumerate(groups):
        assert mean[i] == approx(statistics.fmean(g), rel=1e-12)
        assert sd[i] == approx(statistics.stdev(g), rel=1e-8)


def test_mean_sd_from_sums_edge_cases():
    mean, sd = stats.mean_sd_from_sums([0, 1, 4], [0, 7, 20], [0, 49, 100])
    assert np.isnan(mean[0]) and mean[1] == 7 and mean[2] == 5
    assert np.isnan(sd[0]) and np.isnan(sd[1]) and sd[2] == 0.0  # four values of 5: no spread
    # 0.1, 0.2, 0.3: rounding in the sums must not produce a NaN or negative variance
    values = [0.1, 0.1, 0.1]
    _, sd_const = stats.mean_sd_from_sums(3, sum(values), sum(v * v for v in values))
    assert sd_const == approx(0.0, abs=1e-8)


def test_complement_sums_by_hand():
    # unit: 10 students, sum 50, sum of squares 300; group: 4, 26, 180 -> others 6, 24, 120
    assert stats.complement_sums(4, 26, 180, 10, 50, 300) == (6, 24, 120)
    n, t, s = stats.complement_sums([4, 10], [26, 50], [180, 300], 10, 50, 300)
    np.testing.assert_array_equal(n, [6, 0])
    np.testing.assert_array_equal(t, [24, 0])
    np.testing.assert_array_equal(s, [120, 0])


def test_cohens_d_and_hedges_g_hand_example():
    # group 1: 2, 4, 6 -> mean 4, sd 2 ; group 2: 1, 2, 3, 4, 5 -> mean 3, sd sqrt(2.5)
    # pooled = sqrt((2*4 + 4*2.5) / 6) = sqrt(3) ; d = 1/sqrt(3) = 0.57735
    # J = 1 - 3/(4*8 - 9) = 20/23 ; g = 20 / (23 sqrt(3)) = 0.50204
    d = stats.cohens_d(4, 2, 3, 3, math.sqrt(2.5), 5)
    assert d == approx(1 / math.sqrt(3))
    g = stats.hedges_g(4, 2, 3, 3, math.sqrt(2.5), 5)
    assert g == approx(20 / (23 * math.sqrt(3)))
    # from the raw values with the pooled SD computed by statistics.variance
    g1, g2 = [2, 4, 6], [1, 2, 3, 4, 5]
    pooled = math.sqrt((2 * statistics.variance(g1) + 4 * statistics.variance(g2)) / 6)
    assert d == approx((statistics.fmean(g1) - statistics.fmean(g2)) / pooled)


def test_cohens_d_nan_and_single_member_group():
    out = stats.cohens_d([1, 1, 1, 5], [1, 1, 0, 2], [1, 2, 5, 1], [0, 0, 0, 3], [1, 1, 0, 2], [1, 1, 5, 3])
    assert np.isnan(out[0])  # n1 + n2 = 2: no degrees of freedom
    # one member vs two: pooled SS = 0 + 1*1 ; df = 1 ; pooled SD = 1 ; d = 1 - 0 = 1
    assert out[1] == approx(1.0)
    assert np.isnan(out[2])  # no spread at all
    # group 1 of size 1 (SD NaN is fine), group 2: n=3 sd 2 -> pooled sqrt(2*4/2) = 2 ; d = (5-3)/2 = 1
    one = stats.cohens_d(5, np.nan, 1, 3, 2, 3)
    assert one == approx(1.0)
    assert out[3] == approx(1.0)


def test_hedges_g_interval_by_hand():
    # g = 0.5, n1 = 20, n2 = 30: SE = sqrt(50/600 + 0.25/100) = sqrt(0.0833333 + 0.0025) = sqrt(0.0858333)
    #   = 0.292974 ; 95%: 0.5 ± 1.959964*0.292974 = (-0.074218, 1.074218)
    low, high = stats.hedges_g_interval(0.5, 20, 30)
    se = math.sqrt(50 / 600 + 0.25 / 100)
    assert low == approx(0.5 - Z95 * se) and high == approx(0.5 + Z95 * se)
    assert round(float(low), 4) == -0.0742 and round(float(high), 4) == 1.0742
    low90, _ = stats.hedges_g_interval(0.5, 20, 30, confidence=0.9)
    assert low90 == approx(0.5 - 1.6448536269514722 * se)
    assert np.isnan(stats.hedges_g_interval([0.5], [0], [30])[0]).all()


def test_welch_matches_scipy_from_stats_and_raw_data():
    rng = np.random.default_rng(11)
    x = rng.normal(240, 30, 25)
    y = rng.normal(255, 45, 40)
    p = stats.welch_t_test(x.mean(), x.std(ddof=1), len(x), y.mean(), y.std(ddof=1), len(y))
    assert p == approx(scipy.stats.ttest_ind(x, y, equal_var=False).pvalue)
    cases = np.array([[10, 2, 5, 12, 3, 7], [0, 1, 2, 0, 1, 2], [100, 15, 300, 97, 20, 2], [5, 0, 10, 4, 1, 10]])
    p = stats.welch_t_test(*cases.T)
    for i, row in enumerate(cases):
        expected = scipy.stats.ttest_ind_from_stats(*row, equal_var=False).pvalue
        assert p[i] == approx(expected)
        assert stats.welch_t_test(*row) == approx(p[i], rel=1e-14)


def test_welch_undefined():
    out = stats.welch_t_test([1, 1, 1], [1, 0, 1], [1, 5, 5], [2, 3, 2], [1, 0, 1], [5, 5, 0])
    assert np.isnan(out).all()  # n1 = 1 ; no spread in either group ; n2 = 0


def _anova_eta(values_by_group: dict[str, list[float]]) -> float:
    frame = pd.DataFrame(
        [(name, v) for name, values in values_by_group.items() for v in values], columns=["group", "y"]
    )
    table = anova_lm(ols("y ~ C(group)", data=frame).fit())
    return table.loc["C(group)", "sum_sq"] / table["sum_sq"].sum()


def test_eta_squared_matches_statsmodels_anova():
    rng = np.random.default_rng(3)
    groups = {"A": rng.normal(250, 30, 12), "B": rng.normal(265, 30, 30), "C": rng.normal(240, 40, 7)}
    n = [len(v) for v in groups.values()]
    total = [v.sum() for v in groups.values()]
    total_sq = [(v * v).sum() for v in groups.values()]
    assert stats.eta_squared(n, total, total_sq) == approx(_anova_eta(groups), rel=1e-8)
    # an empty group changes nothing
    assert stats.eta_squared([*n, 0], [*total, 0], [*total_sq, 0]) == approx(_anova_eta(groups), rel=1e-8)


def test_eta_squared_hand_and_undefined():
    # A: 1, 2, 3 (n 3, sum 6, sumsq 14); B: 4, 5, 5, 6 (n 4, sum 20, sumsq 102)
    # grand mean 26/7 ; SS_between = 3(2 - 26/7)² + 4(5 - 26/7)² = 3(144/49) + 4(81/49) = 756/49 = 108/7
    # SS_within = (14 - 12) + (102 - 100) = 4 ; eta² = (108/7) / (108/7 + 4) = 108/136 = 27/34
    assert stats.eta_squared([3, 4], [6, 20], [14, 102]) == approx(27 / 34)
    assert np.isnan(stats.eta_squared([3, 4], [15, 20], [75, 100]))  # everyone scored 5
    assert np.isnan(stats.eta_squared([0, 0], [0, 0], [0, 0]))
    assert np.isnan(stats.eta_squared([3, -4], [6, 20], [14, 102]))
    two = stats.eta_squared([[3, 4], [3, 4]], [[6, 20], [15, 20]], [[14, 102], [75, 100]])
    assert two[0] == approx(27 / 34) and np.isnan(two[1])


def test_median_gap_in_sd():
    # (240 - 260) / 40 = -0.5
    assert stats.median_gap_in_sd(240, 260, 40) == approx(-0.5)
    assert np.isnan(stats.median_gap_in_sd([240, 240], [260, 260], [0, -1])).all()


# -------------------------------------------------------------------------------------------------------
# legal rules


def test_eeoc_four_fifths_worked_example():
    # EEOC Q&A (1979): White 60%, American Indian 45%, Hispanic 48%, Black 51%
    # 45/60 = 0.75 (adverse), 48/60 = 0.80 (not adverse: not below 0.8), 51/60 = 0.85
    ratios = stats.adverse_impact_ratio([0.60, 0.45, 0.48, 0.51])
    assert ratios == approx([1.0, 0.75, 0.80, 0.85])
    assert list(stats.adverse_impact(ratios)) == [False, True, False, False]
    assert not stats.adverse_impact(0.48 / 0.60)
    assert FOUR_FIFTHS == 0.8


def test_four_fifths_floating_point_line():
    # 0.04/0.05 = 0.7999999999999999 in floating point, but is exactly 4/5: not adverse
    assert 0.04 / 0.05 < 0.8
    ratio = stats.adverse_impact_ratio([0.05, 0.04])[1]
    assert not stats.adverse_impact(ratio)
    assert stats.adverse_impact(0.7999)
    assert not stats.adverse_impact(0.8)
    assert stats.adverse_impact(0.85, threshold=0.9)
    assert list(stats.adverse_impact([np.nan, 0.5])) == [False, True]


def test_adverse_impact_ratio_nan_and_units():
    out = stats.adverse_impact_ratio([0.5, np.nan, 0.25])
    assert out[0] == 1.0 and np.isnan(out[1]) and out[2] == 0.5
    assert np.isnan(stats.adverse_impact_ratio([0.0, 0.0])).all()
    assert np.isnan(stats.adverse_impact_ratio([np.nan, np.nan])).all()
    both = stats.adverse_impact_ratio([[0.6, 0.3], [0.2, 0.4]])
    assert both == approx(np.array([[1.0, 0.5], [0.5, 1.0]]))


def test_hazelwood_binomial_z():
    # 15 hires of 405 against a 15.4% pool: expected 405*0.154 = 62.37, variance 62.37*0.846 = 52.76502,
    # sd = 7.263953, z = (15 - 62.37)/7.263953 = -47.37/7.263953 = -6.5212 ("more than six standard deviations")
    z = stats.binomial_z(15, 405, 0.154)
    assert z == approx(-47.37 / math.sqrt(52.76502), rel=1e-9)
    assert round(float(z), 2) == -6.52
    # against 5.7%: expected 23.085, variance 23.085*0.943 = 21.769155, z = -8.085/4.665743 = -1.7328
    z2 = stats.binomial_z(15, 405, 0.057)
    assert z2 == approx(-8.085 / math.sqrt(21.769155), rel=1e-9)
    assert round(float(z2), 1) == -1.7
    assert np.isnan(stats.binomial_z([15, 15, 15], [0, 405, 405], [0.1, 0.0, 1.0])).all()


def test_above_threshold_each_year():
    assert stats.above_threshold_each_year([1.0, 3.2, 3.5, 4.0], 3.0, 3)
    assert not stats.above_threshold_each_year([3.2, 2.9, 3.5, 4.0], 3.0, 3)
    assert stats.above_threshold_each_year([3.2, 2.9, 3.5, 4.0], 3.0, 2)
    # exactly 3.0: Washington (> 3.0) no, Maryland (>= 3.0) yes
    assert not stats.above_threshold_each_year([3.0, 3.5, 4.0], 3.0, 3)
    assert stats.above_threshold_each_year([3.0, 3.5, 4.0], 3.0, 3, inclusive=True)
    # (30/100)/(10/100) = 2.9999999999999996 in floating point: a risk ratio of exactly 3
    assert 0.3 / 0.1 < 3.0
    assert stats.above_threshold_each_year([3.5, 0.3 / 0.1, 4.0], 3.0, 3, inclusive=True)
    assert not stats.above_threshold_each_year([3.5, 3.0000000000000004, 4.0], 3.0, 3)
    # NaN and missing years
    assert not stats.above_threshold_each_year([3.5, np.nan, 4.0], 3.0, 3)
    assert not stats.above_threshold_each_year([3.5, None, 4.0], 3.0, 3)
    assert not stats.above_threshold_each_year([3.5, 4.0], 3.0, 3)
    assert not stats.above_threshold_each_year([], 3.0, 1)
    with pytest.raises(ValueError):
        stats.above_threshold_each_year([3.5], 3.0, 0)


def test_reasonable_progress():
    assert stats.reasonable_progress([4.0, 3.8, 3.5])
    assert stats.reasonable_progress([2.0, 4.0, 3.8, 3.5])  # only the last 2 steps count
    assert not stats.reasonable_progress([4.0, 3.5, 3.8])
    assert not stats.reasonable_progress([4.0, 4.0, 3.5])  # no change is not progress
    assert not stats.reasonable_progress([3.8, 3.5])  # needs 3 values for 2 steps
    assert not stats.reasonable_progress([4.0, np.nan, 3.5])
    assert stats.reasonable_progress([np.nan, 4.0, 3.8, 3.5])  # NaN outside the window is ignored
    assert stats.reasonable_progress([4.0, 3.5], years=1)
    assert not stats.reasonable_progress([3.0, 0.3 / 0.1, 2.5])  # float noise is not a decrease
    with pytest.raises(ValueError):
        stats.reasonable_progress([4.0, 3.5], years=0)


# -------------------------------------------------------------------------------------------------------
# vectorised calls agree with scalar calls


_counts = st.integers(0, 2000).flatmap(lambda n: st.tuples(st.integers(0, max(n, 0)), st.just(n)))


@FAST
@given(st.lists(st.tuples(_counts, _counts), min_size=1, max_size=6))
def test_vectorised_equals_scalar(rows):
    a, n, c, m = (np.array(x, dtype=float) for x in zip(*[(g[0], g[1], h[0], h[1]) for g, h in rows], strict=True))
    vec = {
        "rate": stats.rate(a, n),
        "risk_ratio": stats.risk_ratio(a, n, c, m),
        "rate_difference": stats.rate_difference(a, n, c, m),
        "wilson": stats.wilson_interval(a, n),
        "katz": stats.katz_interval(a, n, c, m),
        "binomial_z": stats.binomial_z(a, n + m, 0.3),
    }
    for i in range(len(a)):
        scalar = {
            "rate": stats.rate(a[i], n[i]),
            "risk_ratio": stats.risk_ratio(a[i], n[i], c[i], m[i]),
            "rate_difference": stats.rate_difference(a[i], n[i], c[i], m[i]),
            "wilson": stats.wilson_interval(a[i], n[i]),
            "katz": stats.katz_interval(a[i], n[i], c[i], m[i]),
            "binomial_z": stats.binomial_z(a[i], n[i] + m[i], 0.3),
        }
        for key, value in scalar.items():
            if isinstance(value, tuple):
                for part_v, part_s in zip(vec[key], value, strict=True):
                    assert part_s == approx(part_v[i], rel=1e-14)
            else:
                assert value == approx(vec[key][i], rel=1e-14)
        # independent check of the rate itself
        if n[i] > 0:
            assert scalar["rate"] == approx(float(Fraction(int(a[i]), int(n[i]))), rel=1e-15)
        else:
            assert np.isnan(scalar["rate"])


def test_scores_vectorised_equals_scalar():
    m1, s1, n1 = np.array([10.0, 250, 3]), np.array([2.0, 40, 1]), np.array([5, 30, 2])
    m2, s2, n2 = np.array([12.0, 240, 3]), np.array([3.0, 35, 0]), np.array([7, 50, 4])
    for f in (stats.cohens_d, stats.hedges_g, stats.welch_t_test):
        vec = f(m1, s1, n1, m2, s2, n2)
        for i in range(3):
            assert f(m1[i], s1[i], n1[i], m2[i], s2[i], n2[i]) == approx(vec[i], rel=1e-14)


def test_vectorised_fisher_equals_the_one_table_version():
    """The block-wise Fisher test used for whole tables gives each row's one-table p-value (to 1e-12)."""
    from equity_metrics.core.stats import _fisher_two_sided, _fisher_two_sided_many

    rng = np.random.default_rng(20261122)
    n = rng.integers(1, 300, 500)
    m = rng.integers(1, 3000, 500)
    a = (rng.random(500) * n * 0.2).astype(int)
    c = (rng.random(500) * m * 0.05).astype(int)
    one_at_a_time = [_fisher_two_sided(int(w), int(x), int(y), int(z)) for w, x, y, z in zip(a, n, c, m, strict=True)]
    assert _fisher_two_sided_many(a, n, c, m) == approx(one_at_a_time, rel=1e-12)


# ---- Benjamini-Hochberg q-values ---------------------------------------------------------------------------
def test_benjamini_hochberg_matches_statsmodels_with_nan_left_out():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, np.nan, 0.04, 0.03, 0.005, 0.2, np.nan, 0.04, 0.9])
    finite = np.isfinite(p)
    expected = multipletests(p[finite], method="fdr_bh")[1]
    q = stats.benjamini_hochberg(p)
    assert np.isnan(q[~finite]).all()
    np.testing.assert_allclose(q[finite], expected, rtol=0, atol=1e-15)
    # worked example: 7 tests; p = .005 ranks first: q = .005 * 7 / 1 = .035; the two p = .04 share one q
    assert q[4] == pytest.approx(0.005 * 7 / 1) and q[2] == q[7]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), min_size=0, max_size=40))
def test_benjamini_hochberg_agrees_with_statsmodels_on_any_family(values):
    from statsmodels.stats.multitest import multipletests

    p = np.array(values, dtype=float)
    q = stats.benjamini_hochberg(p)
    finite = np.isfinite(p)
    if finite.any():
        np.testing.assert_allclose(q[finite], multipletests(p[finite], method="fdr_bh")[1], rtol=1e-12, atol=1e-15)
    assert np.isnan(q[~finite]).all()
