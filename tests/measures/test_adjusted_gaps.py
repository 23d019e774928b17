"""Issue 15: score gaps adjusted by regression (controls, school fixed effects, errors clustered by school),
against statsmodels' OLS on the sample district's raw rows: coefficient, interval and p-value; against all
other students and against a chosen group; hidden groups get nothing; the command line and the Achievement
page."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from fixtures.apptest import assert_ok, plain
from streamlit.testing.v1 import AppTest

from equity_metrics import cli
from equity_metrics.measures import adjusted_gaps, analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.measures.protected import UnprotectedViewError
from equity_metrics.narrative import score_gaps
from equity_metrics.storage.store import Store

YEAR = "2024-25"
FILTERS = Filters(school_years=(YEAR,))
BLACK = "Black or African American"
WHITE = "White"
COLUMNS = list(adjusted_gaps.ADJUSTED_GAP_COLUMNS)


def _raw(store: Store, band: str | None = None) -> pd.DataFrame:
    sql = ("SELECT scale_score AS y, race, low_income, disability, english_learner, school, grade_band "
           "FROM facts_assessment WHERE school_year = $y AND subject = 'Math' AND scale_score IS NOT NULL "
           "AND school IS NOT NULL")
    raw = store.query(sql, {"y": YEAR})
    return raw[raw["grade_band"] == band] if band else raw


def _statsmodels(raw: pd.DataFrame, formula: str, term: str) -> tuple[float, float, float, float]:
    fit = smf.ols(formula, data=raw).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(raw["school"])[0]},
                                         use_t=True)
    low, high = fit.conf_int().loc[term]
    return float(fit.params[term]), float(low), float(high), float(fit.pvalues[term])


@pytest.mark.parametrize("band", [None, "Middle (6-8)"])
def test_each_group_against_all_others_matches_statsmodels(sample_store: Store, band: str | None) -> None:
    filters = Filters(school_years=(YEAR,), grade_band=band)
    table = analysis.gaps(sample_store, "math_scale_score", ("race",), filters,
                          adjust=("low_income", "disability")).table
    assert list(table.columns[list(table.columns).index("mean_difference") + 1:][:4]) == COLUMNS
    raw = _raw(sample_store, band)
    checked = 0
    for _, row in table[table["adjusted_mean_difference"].notna()].iterrows():
        data = raw.assign(g=(raw["race"] == row["race"]).astype(float))
        expected = _statsmodels(data, "y ~ g + C(low_income) + C(disability) + C(school)", "g")
        assert row[COLUMNS].to_numpy(dtype=float) == pytest.approx(expected, rel=1e-8), row["race"]
        checked += 1
    assert checked >= 4


def test_against_a_chosen_group_matches_statsmodels_with_every_group_in_the_model(sample_store: Store) -> None:
    options = MetricOptions(comparison=WHITE)
    table = analysis.gaps(sample_store, "math_scale_score", ("race",), FILTERS, options,
                          adjust=("english_learner",)).table.set_index("race")
    raw = _raw(sample_store)
    formula = f"y ~ C(race, Treatment(reference='{WHITE}')) + C(english_learner) + C(school)"
    expected = _statsmodels(raw, formula, f"C(race, Treatment(reference='{WHITE}'))[T.{BLACK}]")
    assert table.loc[BLACK, COLUMNS].to_numpy(dtype=float) == pytest.approx(expected, rel=1e-8)
    assert table.loc[WHITE, COLUMNS].isna().all()  # the comparison group itself


def test_groups_without_a_shown_gap_get_no_adjusted_gap(sample_store: Store) -> None:
    table = analysis.gaps(sample_store, "math_scale_score", ("race",), FILTERS, adjust=("low_income",)).table
    hidden = table["suppressed"].astype(bool) | table["mean_difference"].isna()
    assert hidden.any()
    assert table.loc[hidden, COLUMNS].isna().all().all()
    assert table.loc[~hidden, "adjusted_mean_difference"].notna().all()


def test_the_sentence_states_the_adjustment_and_the_crude_gap(sample_store: Store) -> None:
    result = analysis.gaps(sample_store, "math_scale_score", ("race",), FILTERS, adjust=("low_income",))
    row = result.table[result.table["race"] == BLACK].iloc[0]
    sentence = score_gaps.adjusted_gap_sentence(result.indicator, row, ["race"], "all other students",
                                                ["low_income"])
    assert sentence.startswith("Compared within the same school and with students of the same income status, "
                               "Black or African American students' mean math scale score was ")
    assert f"{abs(row['adjusted_mean_difference']):,.0f} points below" in sentence
    assert f"{abs(row['mean_difference']):,.0f} points below before adjusting" in sentence


def test_school_alone_splits_the_gap_within_and_between_schools(sample_store: Store) -> None:
    result = analysis.gaps(sample_store, "math_scale_score", ("race",), FILTERS, adjust=("school",))
    row = result.table[result.table["race"] == BLACK].iloc[0]
    raw = _raw(sample_store).assign(g=lambda f: (f["race"] == BLACK).astype(float))
    assert row["adjusted_mean_difference"] == pytest.approx(_statsmodels(raw, "y ~ g + C(school)", "g")[0], rel=1e-8)
    sentence = score_gaps.adjusted_gap_sentence(result.indicator, row, ["race"], "all other students", [])
    between = row["mean_difference"] - row["adjusted_mean_difference"]
    assert sentence.startswith("Compared within the same school, Black or African American students'")
    assert f"The rest of the gap, {score_gaps._signed(between)} points, lies between schools" in sentence


@pytest.mark.parametrize(("by", "filters", "adjust", "error", "message"), [
    (("race",), Filters(school_years=(YEAR,), schools=("Westbrook Middle School",)), ("low_income",), ValueError,
     "leave the school filter empty"),
    (("school_year", "race"), Filters(), ("low_income",), UnprotectedViewError, "one school year"),
    (("race",), FILTERS, ("race",), ValueError, "cannot adjust gaps for race"),
    (("race",), FILTERS, ("grade",), ValueError, "cannot adjust gaps for grade"),
])
def test_refusals(sample_store: Store, by, filters, adjust, error, message) -> None:
    with pytest.raises(error, match=message):
        analysis.gaps(sample_store, "math_scale_score", by, filters, adjust=adjust)


def test_cli_gaps_adjust(sample_db, sample_store: Store) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["gaps", "math_scale_score", "--adjust", "low_income,disability", "--year", YEAR,
                         "--format", "csv", "--db", str(sample_db)])
    assert code == 0
    frame = pd.read_csv(io.StringIO(out.getvalue()))
    columns = list(frame.columns)
    assert columns[columns.index("mean_difference") + 1:][:4] == COLUMNS
    library = analysis.gaps(sample_store, "math_scale_score", ("race",), FILTERS,
                            adjust=("low_income", "disability")).table
    np.testing.assert_allclose(frame["adjusted_mean_difference"].to_numpy(dtype=float),
                               library["adjusted_mean_difference"].to_numpy(dtype=float), rtol=1e-12)


def test_achievement_page_adjusts_the_gap(at: AppTest, sample_store: Store) -> None:
    at.switch_page("pages/achievement.py").run()
    assert_ok(at)
    picker = at.multiselect(key="achievement_gap_adjust")
    assert "Low income" in picker.options
    picker.select("Low income").run()
    assert_ok(at)
    indicator = at.selectbox(key="achievement_gap_indicator").value
    library = analysis.gaps(sample_store, indicator.id, ("race",), FILTERS, adjust=("low_income",)).table
    sentences = [plain(m.value) for m in at.markdown if plain(m.value).startswith("Compared within the same school")]
    assert len(sentences) == library["adjusted_mean_difference"].notna().sum() > 0
    frames = [d.value for d in at.dataframe if "Adjusted difference" in d.value.columns]
    assert len(frames) == 1
    np.testing.assert_allclose(frames[0]["Adjusted difference"].to_numpy(dtype=float),
                               library["adjusted_mean_difference"].to_numpy(dtype=float), rtol=1e-12)
