"""Issue 15: how much race (or any group dimension) predicts an outcome, per school year, on the sample
district: `analysis.association_by_year` and `python -m equity_metrics association`, against scipy and
statsmodels on the raw rows. Hidden groups are pooled into one row computed from shown totals, so the figures
rest on nothing the privacy rules hide. And survey percent favourable, whose intervals and tests count
respondents, not answers."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from scipy.stats.contingency import association
from statsmodels.formula.api import ols

from equity_metrics import cli
from equity_metrics.core.constants import UNKNOWN
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.storage.store import Store

YEAR = "2024-25"
POOLED = "pooled"


def shown_groups(store: Store, indicator: str) -> set[str]:
    """The known race groups the rates (or gaps) table shows in full."""
    result = (analysis.rates if indicator == "oss" else analysis.gaps)(store, indicator, ("race",),
                                                                        Filters(school_years=(YEAR,)))
    table = result.table
    return set(table.loc[~table["suppressed"].astype(bool) & (table["race"] != UNKNOWN), "race"])


def test_chi_square_and_cramers_v_match_scipy_with_hidden_groups_pooled(sample_store: Store) -> None:
    raw = sample_store.query("SELECT race, count(*) AS n, count_if(coalesce(oss, FALSE)) AS a FROM facts_student_year "
                             "WHERE school_year = $y GROUP BY race", {"y": YEAR})
    shown = shown_groups(sample_store, "oss")
    assert 3 <= len(shown) < (raw["race"] != UNKNOWN).sum()  # some groups are hidden: the pooling is exercised
    unknown_shown = UNKNOWN not in set(raw["race"]) or UNKNOWN in shown
    label = raw["race"].where(raw["race"].isin(shown) | ((raw["race"] == UNKNOWN) & unknown_shown), POOLED)
    table = raw.assign(label=label).groupby("label")[["a", "n"]].sum()
    table = table.drop(index=UNKNOWN, errors="ignore")
    observed = np.column_stack([table["a"], table["n"] - table["a"]]).astype("int64")
    chi2, p, dof, _ = chi2_contingency(observed, correction=False)
    row = analysis.association_by_year(sample_store, "oss", "race", Filters(school_years=(YEAR,))).iloc[0]
    assert list(row.index) == list(analysis.ASSOCIATION_COLUMNS)
    assert row["school_year"] == YEAR and row["students"] == raw["n"].sum() and row["groups"] == len(table)
    assert row["df"] == dof and row["chi_square"] == pytest.approx(chi2, rel=1e-10)
    assert row["p_value"] == pytest.approx(p, rel=1e-8)
    assert row["cramers_v"] == pytest.approx(association(observed, method="cramer"), rel=1e-10)


def test_eta_squared_matches_a_one_way_anova_with_hidden_groups_pooled(sample_store: Store) -> None:
    scores = sample_store.query("SELECT race, scale_score FROM facts_assessment WHERE school_year = $y AND "
                                "subject = 'Math' AND scale_score IS NOT NULL", {"y": YEAR})
    shown = shown_groups(sample_store, "math_scale_score")
    # The pooled row is the total minus the shown groups: unknown race is left out only where it is shown.
    table = analysis.gaps(sample_store, "math_scale_score", ("race",), Filters(school_years=(YEAR,))).table
    unknown_hidden = bool(table.loc[table["race"] == UNKNOWN, "suppressed"].astype(bool).any())
    scores = scores[(scores["race"] != UNKNOWN) | unknown_hidden]
    scores = scores.assign(label=scores["race"].where(scores["race"].isin(shown), POOLED))
    fit = ols("scale_score ~ C(label)", data=scores).fit()
    expected = fit.ess / (fit.ess + fit.ssr)
    frame = analysis.association_by_year(sample_store, "math_scale_score", "race")
    assert list(frame.columns) == [*analysis.ASSOCIATION_COLUMNS, "eta_squared"]
    row = frame[frame["school_year"] == YEAR].iloc[0]
    assert row["eta_squared"] == pytest.approx(expected, rel=1e-8)
    assert np.isnan(row["chi_square"])  # no chi-square for a score


def test_the_command_prints_one_row_per_year(sample_db) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["association", "oss", "--by", "race", "--db", str(sample_db), "--format", "csv"])
    assert code == 0
    frame = pd.read_csv(io.StringIO(out.getvalue()))
    assert list(frame.columns) == ["school_year", "students", "groups", "chi_square", "df", "p_value", "cramers_v"]
    assert frame["school_year"].tolist() == sorted(frame["school_year"]) and len(frame) >= 2
    assert (frame["cramers_v"].between(0, 1)).all()
    with Store(sample_db, read_only=True) as store, pytest.raises(ValueError, match="one dimension"):
        analysis.association_by_year(store, "oss", "school")


def test_survey_intervals_and_tests_count_respondents_not_answers(sample_store: Store) -> None:
    """Percent favourable is a share of answers, but its interval and test rest on the respondents: the
    interval weights each group's answers by its respondents per answer (the design effect of a respondent's
    many answers), the test clusters the answers by respondent; recomputed here from the raw answers with
    statsmodels and scipy."""
    import statsmodels.api as sm
    from scipy.stats import norm
    from statsmodels.stats.proportion import proportion_confint

    raw = sample_store.query(
        "SELECT race, count(*) AS n, count_if(favorable) AS a, count(DISTINCT response_id) AS people "
        "FROM facts_survey WHERE school_year = $y AND respondent_type = 'Student' AND response IS NOT NULL "
        "GROUP BY race", {"y": YEAR}).set_index("race")
    result = analysis.rates(sample_store, "student_survey_favorable", ("race",), Filters(school_years=(YEAR,)))
    black = result.table.set_index("race").loc["Black or African American"]
    mine = raw.loc["Black or African American"]
    rest = raw.drop(index="Black or African American").sum()
    assert black["rate"] == pytest.approx(mine["a"] / mine["n"], rel=1e-12)  # the share of answers
    a_eff = round(mine["a"] * mine["people"] / mine["n"])
    low, high = proportion_confint(a_eff, mine["people"], alpha=0.05, method="wilson")
    assert (black["rate_ci_low"], black["rate_ci_high"]) == pytest.approx((low, high), rel=1e-9)
    assert rest["n"] > 0 and black["test"] == "z test, clustered by respondent"
    answers = sample_store.query(  # the test: the answers' least squares, standard errors clustered by respondent
        "SELECT response_id, CAST(favorable AS DOUBLE) AS y, CAST(race = 'Black or African American' AS DOUBLE) AS g "
        "FROM facts_survey WHERE school_year = $y AND respondent_type = 'Student' AND response IS NOT NULL",
        {"y": YEAR})
    fit = sm.OLS(answers["y"], sm.add_constant(answers["g"])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(answers["response_id"])[0]})
    assert black["p_value"] == pytest.approx(2 * norm.sf(abs(fit.params["g"] / fit.bse["g"])), rel=1e-9)
    answers_low, _ = proportion_confint(mine["a"], mine["n"], alpha=0.05, method="wilson")
    assert black["rate_ci_low"] < answers_low  # wider than the answers alone would make it


def test_survey_association_counts_respondents(sample_store: Store) -> None:
    raw = sample_store.query(
        "SELECT race, count(*) AS n, count_if(favorable) AS a, count(DISTINCT response_id) AS people "
        "FROM facts_survey WHERE school_year = $y AND respondent_type = 'Student' AND response IS NOT NULL "
        "GROUP BY race", {"y": YEAR}).set_index("race")
    result = analysis.rates(sample_store, "student_survey_favorable", ("race",), Filters(school_years=(YEAR,)))
    table = result.table
    shown = set(table.loc[~table["suppressed"].astype(bool) & (table["race"] != UNKNOWN), "race"])
    unknown_shown = UNKNOWN in shown or UNKNOWN not in raw.index
    label = [r if r in shown or (r == UNKNOWN and unknown_shown) else POOLED for r in raw.index]
    groups = raw.assign(label=label).groupby("label")[["a", "n", "people"]].sum().drop(index=UNKNOWN, errors="ignore")
    a_eff = np.round(groups["a"] * groups["people"] / groups["n"])
    observed = np.column_stack([a_eff, groups["people"] - a_eff]).astype("int64")
    chi2, p, dof, _ = chi2_contingency(observed, correction=False)
    row = analysis.association_by_year(sample_store, "student_survey_favorable", "race",
                                       Filters(school_years=(YEAR,))).iloc[0]
    assert row["students"] == raw["people"].sum()  # respondents, not answers
    assert row["chi_square"] == pytest.approx(chi2, rel=1e-10) and row["p_value"] == pytest.approx(p, rel=1e-8)


def test_survey_score_gaps_test_respondents(sample_store: Store) -> None:
    """The survey's mean answer: mean and SD over answers, Welch's test with the respondents as the sizes."""
    from scipy.stats import ttest_ind_from_stats

    answers = sample_store.query("SELECT race, response, response_id FROM facts_survey WHERE school_year = $y AND "
                                 "respondent_type = 'Student' AND response IS NOT NULL", {"y": YEAR})
    result = analysis.gaps(sample_store, "student_survey_mean", ("race",), Filters(school_years=(YEAR,)))
    black = result.table.set_index("race").loc["Black or African American"]
    mine = answers[answers["race"] == "Black or African American"]
    rest = answers[answers["race"] != "Black or African American"]
    expected = ttest_ind_from_stats(mine["response"].mean(), mine["response"].std(ddof=1),
                                    mine["response_id"].nunique(), rest["response"].mean(),
                                    rest["response"].std(ddof=1), rest["response_id"].nunique(), equal_var=False)
    assert black["mean"] == pytest.approx(mine["response"].mean(), rel=1e-12)
    assert black["p_value"] == pytest.approx(expected.pvalue, rel=1e-6)
