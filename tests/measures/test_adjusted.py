"""Issue 15: risk ratios adjusted for school, disability or sex (Mantel–Haenszel with the Greenland–Robins
interval), against statsmodels and worked examples; on the sample district, recomputed from nothing but what
the published views show (so the adjusted ratio tells nothing they hide); the refusals; the command line's
interface (`rates IND --by DIM --adjust DIM`) and the Discipline page."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest
from fixtures.apptest import assert_ok, plain
from statsmodels.stats.contingency_tables import StratifiedTable
from streamlit.testing.v1 import AppTest

from equity_metrics import cli
from equity_metrics.core import stats
from equity_metrics.core.constants import UNKNOWN
from equity_metrics.measures import adjusted, analysis, metrics
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.protected import UnprotectedViewError
from equity_metrics.narrative import findings
from equity_metrics.storage.store import Store

YEAR = "2024-25"
FILTERS = Filters(school_years=(YEAR,))
BLACK = "Black or African American"
ADJUSTED = list(adjusted.ADJUSTED_COLUMNS)


def _statsmodels_ratio(a, n, c, m) -> float:
    tables = [np.array([[ai, ni - ai], [ci, mi - ci]], dtype=float) for ai, ni, ci, mi in zip(a, n, c, m, strict=True)]
    return float(StratifiedTable(tables).riskratio_pooled)


def _greenland_robins_by_hand(a, n, c, m) -> float:
    """Var(ln RR_MH), written out stratum by stratum (Greenland & Robins 1985, as in Modern Epidemiology)."""
    top = bottom = spread = 0.0
    for ai, ni, ci, mi in zip(a, n, c, m, strict=True):
        t = ni + mi
        top += ai * mi / t
        bottom += ci * ni / t
        spread += (ni * mi * (ai + ci) - ai * ci * t) / t ** 2
    return spread / (top * bottom)


# --- the formula ------------------------------------------------------------------------------------------

def test_mantel_haenszel_matches_statsmodels_and_the_variance_written_out() -> None:
    # The UGDP tolbutamide trial by age (Modern Epidemiology's stratified example): deaths / patients.
    a, n, c, m = [8, 22], [106, 98], [5, 16], [120, 85]
    ratio, low, high = stats.mantel_haenszel_risk_ratio(a, n, c, m)
    assert ratio == pytest.approx(_statsmodels_ratio(a, n, c, m), rel=1e-12)
    assert round(float(ratio), 2) == 1.33  # the textbook's RR_MH (crude 1.44)
    se = np.sqrt(_greenland_robins_by_hand(a, n, c, m))
    assert low == pytest.approx(ratio * np.exp(-1.959963984540054 * se), rel=1e-12)
    assert high == pytest.approx(ratio * np.exp(1.959963984540054 * se), rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_many_groups_at_once_match_statsmodels_one_by_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = rng.integers(5, 400, size=(6, 4)).astype(float)
    m = rng.integers(5, 400, size=(6, 4)).astype(float)
    a, c = rng.binomial(n.astype(int), 0.2).astype(float), rng.binomial(m.astype(int), 0.1).astype(float)
    c[:, 0] = np.maximum(c[:, 0], 1)
    ratio, _, _ = stats.mantel_haenszel_risk_ratio(a, n, c, m)
    expected = [_statsmodels_ratio(a[i], n[i], c[i], m[i]) for i in range(6)]
    np.testing.assert_allclose(ratio, expected, rtol=1e-12)
    padded = stats.mantel_haenszel_risk_ratio(*(np.hstack([x, np.zeros((6, 2))]) for x in (a, n, c, m)))
    np.testing.assert_allclose(padded, stats.mantel_haenszel_risk_ratio(a, n, c, m), rtol=1e-15)


def test_one_stratum_is_the_crude_ratio_with_katz_interval_and_equal_ratios_pool_to_that_ratio() -> None:
    ratio, low, high = stats.mantel_haenszel_risk_ratio([12], [100], [30], [500])
    assert ratio == pytest.approx(stats.risk_ratio(12, 100, 30, 500), rel=1e-12)
    katz = stats.katz_interval(12, 100, 30, 500)
    assert (low, high) == pytest.approx(katz, rel=1e-12)
    # Every stratum with a ratio of exactly 2: the pooled ratio is exactly 2, whatever the weights.
    assert stats.mantel_haenszel_risk_ratio([20, 4], [100, 50], [10, 2], [100, 50])[0] == pytest.approx(2.0)


def test_undefined_tables_give_nan_not_errors() -> None:
    assert np.isnan(stats.mantel_haenszel_risk_ratio([0, 0], [10, 10], [3, 4], [20, 20])[0])  # no events
    assert np.isnan(stats.mantel_haenszel_risk_ratio([5], [4], [3], [20])[0])  # a > n
    assert np.isnan(stats.mantel_haenszel_risk_ratio([np.nan], [10], [3], [20])[0])


# --- on the sample district, from published numbers only -----------------------------------------------------

def _expected_from_published(store: Store, group: str, strata: pd.DataFrame, totals: pd.DataFrame,
                             crude: pd.Series, unit: pd.Series, dimension: str) -> float:
    """Recompute a group's adjusted ratio from what views publish: its shown strata, and one stratum for
    the rest (its shown totals minus its shown strata)."""
    mine = strata[strata["race"] == group].merge(totals, on=dimension, suffixes=("", "_all"))
    shown = mine.dropna(subset=["numerator", "denominator", "numerator_all", "denominator_all"])
    a = shown["numerator"].astype(float).to_list()
    n = shown["denominator"].astype(float).to_list()
    c = (shown["numerator_all"] - shown["numerator"]).astype(float).to_list()
    m = (shown["denominator_all"] - shown["denominator"]).astype(float).to_list()
    rest = [float(crude["numerator"]) - sum(a), float(crude["denominator"]) - sum(n),
            float(unit["numerator"] - crude["numerator"]) - sum(c),
            float(unit["denominator"] - crude["denominator"]) - sum(m)]
    if rest[1] + rest[3] > 0:
        a, n, c, m = a + [rest[0]], n + [rest[1]], c + [rest[2]], m + [rest[3]]
    assert len(a) >= 2
    return _statsmodels_ratio(a, n, c, m)


@pytest.mark.parametrize("dimension", ["school", "disability", "low_income"])
def test_adjusted_ratio_is_recomputed_from_published_views_only(sample_store: Store, dimension: str) -> None:
    result = analysis.rates(sample_store, "oss", ("race",), FILTERS, adjust=(dimension,))
    table = result.table
    columns = metrics.rate_columns(table)
    assert columns[columns.index("risk_ratio_ci_high") + 1:][:3] == ADJUSTED
    if dimension == "school":
        strata = analysis.rates(sample_store, "oss", ("school", "race"), FILTERS).table
        totals = analysis.rates(sample_store, "oss", ("school", "race"), FILTERS).totals
    else:
        strata = analysis.rates(sample_store, "oss", ("race", dimension), FILTERS).table
        totals = analysis.rates(sample_store, "oss", (dimension,), FILTERS).table[
            [dimension, "denominator", "numerator"]]
    totals = totals[[dimension, "denominator", "numerator"]].rename(
        columns={"denominator": "denominator_all", "numerator": "numerator_all"})
    strata = strata[["race", dimension, "denominator", "numerator"]]
    unit = result.totals.iloc[0]
    checked = 0
    for _, row in table[table["adjusted_risk_ratio"].notna()].iterrows():
        expected = _expected_from_published(sample_store, row["race"], strata, totals, row, unit, dimension)
        assert row["adjusted_risk_ratio"] == pytest.approx(expected, rel=1e-9), row["race"]
        assert row["adjusted_risk_ratio_ci_low"] < row["adjusted_risk_ratio"] < row["adjusted_risk_ratio_ci_high"]
        checked += 1
    assert checked >= 3
    # Where the crude ratio is not shown (a hidden count, Unknown), neither is the adjusted one.
    assert table.loc[table["risk_ratio"].isna(), ADJUSTED].isna().all().all()
    assert table.loc[table["race"] == UNKNOWN, "adjusted_risk_ratio"].isna().all()


def test_a_group_whose_strata_are_all_hidden_gets_no_adjusted_ratio(sample_store: Store) -> None:
    """Adjusting by sex: the race x sex cells of some groups are all hidden, so their only stratum would be
    the pooled one, i.e. the crude ratio passed off as adjusted; they get none, and the note says why."""
    table = analysis.rates(sample_store, "oss", ("race",), FILTERS, adjust=("sex",)).table
    pair = analysis.rates(sample_store, "oss", ("race", "sex"), FILTERS).table
    crude_only = table["risk_ratio"].notna() & table["adjusted_risk_ratio"].isna()
    assert crude_only.any()
    for race in table.loc[crude_only, "race"]:
        assert pair.loc[pair["race"] == race, "numerator"].isna().sum() >= 2
    assert table.loc[crude_only, "note"].str.contains("not adjusted for sex").all()


def test_the_sentence_names_the_strata_and_the_crude_ratio(sample_store: Store) -> None:
    result = analysis.rates(sample_store, "oss", ("race",), FILTERS, adjust=("disability",))
    row = result.table.set_index("race").loc[BLACK]
    sentence = findings.adjusted_sentence(result.indicator, row.rename(BLACK).to_frame().T.assign(race=BLACK)
                                          .iloc[0], ["race"], "disability", result.options)
    assert sentence.startswith("Among students of the same disability status, Black or African American students "
                               f"were {findings.times(row['adjusted_risk_ratio'])} times as likely")
    assert f"{findings.times(row['risk_ratio'])} before adjusting" in sentence


@pytest.mark.parametrize(("adjust", "filters", "message"), [
    (("english_learner",), FILTERS, "not published split by english_learner"),
    (("school", "sex"), FILTERS, "one dimension at a time"),
    (("school",), Filters(school_years=(YEAR,), schools=("Westbrook Middle School",)), "leave the school filter"),
])
def test_adjustments_no_published_table_holds_are_refused(sample_store: Store, adjust, filters, message) -> None:
    with pytest.raises(UnprotectedViewError, match=message):
        analysis.rates(sample_store, "oss", ("race",), filters, adjust=adjust)
    with pytest.raises(ValueError, match="already a comparison dimension"):
        analysis.rates(sample_store, "oss", ("race",), FILTERS, adjust=("race",))


def test_offered_adjustments() -> None:
    assert adjusted.offered_adjustments(("race",)) == ("school", "sex", "disability", "low_income")
    assert adjusted.offered_adjustments(("race",), (), Filters(schools=("A",))) == ()
    assert adjusted.offered_adjustments(("low_income",)) == ("school", "race")
    assert adjusted.offered_adjustments(("english_learner",)) == ("school",)
    assert adjusted.offered_adjustments(("race",), ("school",)) == ()


# --- the command line and the page --------------------------------------------------------------------------

def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_cli_adjust_adds_the_three_columns_after_the_risk_ratio(sample_db, sample_store: Store) -> None:
    code, out, _ = _cli("rates", "oss", "--by", "race", "--adjust", "school", "--year", YEAR, "--format", "csv",
                        "--db", str(sample_db))
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    columns = list(frame.columns)
    assert columns[columns.index("risk_ratio_ci_high") + 1:][:3] == ADJUSTED
    library = analysis.rates(sample_store, "oss", ("race",), FILTERS, adjust=("school",)).table
    np.testing.assert_allclose(frame["adjusted_risk_ratio"].to_numpy(dtype=float),
                               library["adjusted_risk_ratio"].to_numpy(dtype=float), rtol=1e-12)
    code, _, err = _cli("rates", "oss", "--adjust", "english_learner", "--db", str(sample_db))
    assert code == 2 and "choose one of: school, sex, disability, low_income" in err


def test_discipline_page_adjusts_for_the_chosen_dimension(at: AppTest, sample_store: Store) -> None:
    at.switch_page("pages/discipline.py").run()
    assert_ok(at)
    picker = at.selectbox(key="discipline_adjust")
    assert picker.options[0].startswith("Nothing") and "School" in picker.options
    picker.select("School").run()
    assert_ok(at)
    indicator_id = at.selectbox(key="discipline_indicator").value.id
    library = analysis.rates(sample_store, indicator_id, ("race",), FILTERS, adjust=("school",)).table
    sentences = [plain(m.value) for m in at.markdown if "At the same school" in plain(m.value)]
    assert len(sentences) == library["adjusted_risk_ratio"].notna().sum() > 0
    row = library[library["adjusted_risk_ratio"].notna()].iloc[0]
    assert findings.times(max(row["adjusted_risk_ratio"], 1 / row["adjusted_risk_ratio"])) in " ".join(sentences)
    frames = [d.value for d in at.dataframe if "Adjusted risk ratio (MH)" in d.value.columns]
    assert len(frames) == 1
