"""Stabilised rates (empirical Bayes, beta-binomial) and the reliability flag, against independent computations:
the beta-binomial likelihood summed from scipy.stats.betabinom and maximised with Nelder-Mead over (alpha, beta),
a brute-force grid, the regularised incomplete beta function for the posterior quantiles, hand-worked values;
hidden cells stay empty; the caveat that stabilising can reorder schools; the Schools page under AppTest."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from fixtures.apptest import assert_ok, plain, select_label
from scipy import optimize, special
from scipy import stats as scipy_stats
from streamlit.testing.v1 import AppTest

from equity_metrics.measures import analysis, stabilised
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.stabilised import ML, MOMENTS, NO_PRIOR, BetaPrior
from equity_metrics.storage.store import Store

A = np.array([12, 30, 4, 55, 9, 20, 3])
N = np.array([150, 300, 40, 420, 160, 180, 25])


def table(a, n, suppressed=None, **columns) -> pd.DataFrame:
    a, n = np.asarray(a, dtype="float64"), np.asarray(n, dtype="float64")
    suppressed = np.zeros(len(a), dtype=bool) if suppressed is None else np.asarray(suppressed, dtype=bool)
    frame = pd.DataFrame({"school": [f"S{i}" for i in range(len(a))], **columns})
    frame["denominator"] = pd.array(n, dtype="Int64")
    frame["numerator"] = pd.array(a, dtype="Int64")
    frame["rate"] = np.where(suppressed, np.nan, a / n)
    frame["suppressed"] = suppressed
    frame["note"] = np.where(suppressed, "count hidden (privacy)", "")
    return frame


def scipy_log_likelihood(alpha: float, beta: float, a, n) -> float:
    return float(scipy_stats.betabinom.logpmf(a, n, alpha, beta).sum())


# ---- the fit ---------------------------------------------------------------------------------------------
def test_log_likelihood_is_the_beta_binomial() -> None:
    for alpha, beta in ((0.5, 3.0), (2.0, 18.0), (40.0, 400.0)):
        assert stabilised.beta_binomial_log_likelihood(alpha, beta, A, N) == pytest.approx(
            scipy_log_likelihood(alpha, beta, A, N), rel=1e-12)


def test_maximum_likelihood_matches_nelder_mead_on_alpha_beta() -> None:
    prior = stabilised.fit_beta_prior(A, N)
    assert prior.method == ML and prior.schools == len(A) and prior.students == N.sum()
    # Independent: scipy's beta-binomial pmf, another optimiser, another parametrisation (log alpha, log beta).
    found = optimize.minimize(lambda t: -scipy_log_likelihood(math.exp(t[0]), math.exp(t[1]), A, N),
                              x0=[0.0, 2.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12,
                                                                             "maxiter": 20000})
    alpha, beta = math.exp(found.x[0]), math.exp(found.x[1])
    assert prior.alpha == pytest.approx(alpha, rel=1e-3)
    assert prior.beta == pytest.approx(beta, rel=1e-3)
    assert scipy_log_likelihood(prior.alpha, prior.beta, A, N) >= -found.fun - 1e-7


def test_maximum_likelihood_is_the_best_point_of_a_grid() -> None:
    prior = stabilised.fit_beta_prior(A, N)
    means = np.linspace(0.02, 0.3, 141)
    strengths = np.exp(np.linspace(np.log(1.0), np.log(2000.0), 141))
    mean, strength = np.meshgrid(means, strengths)
    alpha, beta = (mean * strength).ravel(), ((1 - mean) * strength).ravel()
    grid = scipy_stats.betabinom.logpmf(A[None, :], N[None, :], alpha[:, None], beta[:, None]).sum(axis=1)
    best = int(np.argmax(grid))
    fitted = scipy_log_likelihood(prior.alpha, prior.beta, A, N)
    assert fitted >= grid[best] - 1e-9  # no grid point does better
    assert prior.mean == pytest.approx(alpha[best] / (alpha[best] + beta[best]), abs=0.004)
    assert math.log(prior.strength) == pytest.approx(math.log(alpha[best] + beta[best]), abs=0.1)


def test_method_of_moments_worked_example() -> None:
    # mu = 12/30 = 0.4; S = 10(0.09 + 0.01 + 0.16) = 2.6; rho = (2.6/0.24 - 2) / (30 - 300/30 - 2) = 53/108.
    mu, rho = stabilised.method_of_moments(np.array([1, 3, 8]), np.array([10, 10, 10]))
    assert mu == pytest.approx(0.4, rel=1e-12)
    assert rho == pytest.approx(53 / 108, rel=1e-12)


def test_no_variation_beyond_chance_falls_back_to_moments_and_says_so() -> None:
    prior = stabilised.fit_beta_prior([10, 20, 30, 40], [100, 200, 300, 400])  # every rate exactly 10%
    assert prior.method == MOMENTS
    assert "no more than chance" in prior.note
    assert prior.mean == pytest.approx(0.1, rel=1e-12)
    assert prior.strength == pytest.approx(1000)  # capped at the students of the fit


def test_a_failed_fit_falls_back_to_moments(monkeypatch: pytest.MonkeyPatch) -> None:
    failed = optimize.OptimizeResult(x=np.array([0.0, 0.0]), success=False, fun=0.0)
    monkeypatch.setattr(stabilised.optimize, "minimize", lambda *args, **kwargs: failed)
    prior = stabilised.fit_beta_prior(A, N)
    assert prior.method == MOMENTS and "did not converge" in prior.note
    mu, rho = stabilised.method_of_moments(A, N)
    assert prior.alpha == pytest.approx(mu * (1 / rho - 1), rel=1e-12)
    assert prior.beta == pytest.approx((1 - mu) * (1 / rho - 1), rel=1e-12)


def test_too_few_schools_or_no_events_give_no_prior() -> None:
    assert stabilised.fit_beta_prior([3, 4], [50, 60]).method == NO_PRIOR
    assert stabilised.fit_beta_prior([0, 0, 0], [50, 60, 70]).method == NO_PRIOR
    out = stabilised.stabilised_rates(table([3, 4], [50, 60]), []).table
    assert out["stabilised_rate"].isna().all() and (out["prior_method"] == "").all()


# ---- the posterior -----------------------------------------------------------------------------------------
def test_posterior_worked_example_and_quantiles() -> None:
    prior = BetaPrior(2.0, 18.0, ML, 5, 100)
    mean, low, high = stabilised.posterior(np.array([3.0]), np.array([10.0]), prior)
    assert mean[0] == pytest.approx(5 / 30, rel=1e-12)  # Beta(3 + 2, 7 + 18): 5 / 30
    # The interval's ends leave 2.5% in each tail of Beta(5, 25) (regularised incomplete beta function).
    assert special.betainc(5, 25, low[0]) == pytest.approx(0.025, abs=1e-10)
    assert special.betainc(5, 25, high[0]) == pytest.approx(0.975, abs=1e-10)
    # and they are the quantiles scipy.stats.beta gives
    assert (low[0], high[0]) == pytest.approx(tuple(scipy_stats.beta.ppf([0.025, 0.975], 5, 25)), rel=1e-12)


def test_stabilised_table_is_each_schools_posterior() -> None:
    out = stabilised.stabilised_rates(table(A, N), []).table
    prior = stabilised.fit_beta_prior(A, N)
    shape1, shape2 = A + prior.alpha, N - A + prior.beta
    assert out["stabilised_rate"].to_numpy() == pytest.approx(shape1 / (shape1 + shape2), rel=1e-12)
    assert out["stabilised_rate_ci_low"].to_numpy() == pytest.approx(
        scipy_stats.beta.ppf(0.025, shape1, shape2), rel=1e-12)
    assert out["stabilised_rate_ci_high"].to_numpy() == pytest.approx(
        scipy_stats.beta.ppf(0.975, shape1, shape2), rel=1e-12)
    # Shrinkage: each stabilised rate lies between the school's own rate and the typical school's.
    raw = A / N
    assert np.all((out["stabilised_rate"] - raw) * (out["stabilised_rate"] - prior.mean) <= 1e-15)


def test_one_prior_per_group_and_year() -> None:
    b = np.array([40, 10, 25, 60, 12, 30, 5])
    both = pd.concat([table(A, N, race="X"), table(b, N, race="Y")], ignore_index=True)
    out = stabilised.stabilised_rates(both, ["race"])
    alone = stabilised.stabilised_rates(table(b, N, race="Y"), ["race"]).table
    assert out.table.loc[out.table["race"] == "Y", "stabilised_rate"].to_numpy() == pytest.approx(
        alone["stabilised_rate"].to_numpy(), rel=1e-12)
    assert list(out.priors["race"]) == ["X", "Y"]
    assert out.priors["alpha"].iloc[0] != pytest.approx(out.priors["alpha"].iloc[1])


# ---- privacy -----------------------------------------------------------------------------------------------
def test_hidden_cells_stay_empty_and_do_not_move_the_prior() -> None:
    hidden = np.array([False, False, True, False, False, True, False])
    leaky = table(A, N, hidden)
    leaky.loc[hidden, "rate"] = A[hidden] / N[hidden]  # even a table that left values in its hidden rows
    out = stabilised.stabilised_rates(leaky, [])
    assert out.table.loc[hidden, list(stabilised.STABILISED_COLUMNS[:3])].isna().all().all()
    assert out.table.loc[~hidden, "stabilised_rate"].notna().all()
    # Whatever the hidden counts are, nothing shown changes: the prior rests on shown cells only.
    other = A.copy()
    other[hidden] = [1, 7]
    changed = table(other, N, hidden)
    changed.loc[hidden, "rate"] = other[hidden] / N[hidden]
    again = stabilised.stabilised_rates(changed, [])
    assert again.priors[["alpha", "beta"]].to_numpy() == pytest.approx(out.priors[["alpha", "beta"]].to_numpy())
    assert again.table["stabilised_rate"].to_numpy() == pytest.approx(out.table["stabilised_rate"].to_numpy(),
                                                                      nan_ok=True)
    flagged = stabilised.reliability(leaky)
    assert flagged.loc[hidden, "relative_standard_error"].isna().all()
    assert flagged.loc[hidden, "unreliable"].isna().all()


def test_on_the_sample_districts_protected_table(sample_store: Store) -> None:
    result = analysis.rates(sample_store, "oss", ("school", "race"), Filters(school_years=("2024-25",)))
    done = stabilised.stabilised_rates(result.table, stabilised.prior_keys(result.units, result.groups))
    out = stabilised.reliability(done.table)
    hidden = out["suppressed"].to_numpy(dtype=bool)
    assert hidden.any() and out.loc[hidden, ["stabilised_rate", "relative_standard_error"]].isna().all().all()
    assert (out["note"] == result.table["note"]).all()  # privacy notes untouched
    fitted = set(done.priors.loc[done.priors["method"] == ML, "race"])
    assert fitted  # some groups have enough shown schools
    rows = out[out["race"].isin(fitted) & ~hidden]
    assert rows["stabilised_rate"].notna().all()
    assert ((rows["stabilised_rate_ci_low"] <= rows["stabilised_rate"])
            & (rows["stabilised_rate"] <= rows["stabilised_rate_ci_high"])).all()


# ---- reliability -------------------------------------------------------------------------------------------
def test_relative_standard_error_worked_examples() -> None:
    out = stabilised.reliability(table([10, 9, 0, 50], [100, 100, 80, 100]))
    # 10/100: sqrt(0.1 * 0.9 / 100) / 0.1 = 0.03 / 0.1 = 30%, not over it; 9/100: 31.8%; 0/80: no finite RSE.
    assert out["relative_standard_error"].iloc[0] == pytest.approx(0.3, rel=1e-12)
    assert out["relative_standard_error"].iloc[1] == pytest.approx(math.sqrt(0.09 * 0.91 / 100) / 0.09, rel=1e-12)
    assert math.isinf(out["relative_standard_error"].iloc[2])
    assert out["relative_standard_error"].iloc[3] == pytest.approx(0.1, rel=1e-12)
    assert list(out["unreliable"]) == [False, True, True, False]
    assert stabilised.RSE_UNRELIABLE == 0.30
    assert stabilised.reliability_text(0.3) == "RSE 30%"
    assert stabilised.reliability_text(0.318) == "unreliable: RSE 32%"


# ---- the caveat: stabilising can reorder schools -------------------------------------------------------------
def test_a_small_school_with_a_higher_rate_can_rank_lower() -> None:
    a = [50, 80, 100, 120, 150, 250, 3]
    n = [1000, 1000, 1000, 1000, 1000, 1000, 10]  # the last school: 3 of 10 (30%), above the 25% school
    out = stabilised.stabilised_rates(table(a, n), []).table
    small, large = out.iloc[6], out.iloc[5]
    assert small["rate"] > large["rate"]
    assert small["stabilised_rate"] < large["stabilised_rate"]
    assert stabilised.reorderings(out, []) >= 1


# ---- the Schools page ----------------------------------------------------------------------------------------
def test_schools_page_stabilised_toggle(at: AppTest, sample_store: Store) -> None:
    at.switch_page("pages/schools.py").run()
    assert_ok(at)
    picker = at.selectbox(key="schools_indicator")
    select_label(picker, "Out-of-school suspension").run()
    assert_ok(at)
    toggle = at.toggle(key="schools_stabilised")
    assert toggle.label == "Stabilised rates (empirical Bayes)" and toggle.value is False
    label = stabilised.COLUMN_LABELS["stabilised_rate"]
    assert not [d for d in at.dataframe if label in d.value.columns]  # off by default
    toggle.set_value(True).run()
    assert_ok(at)
    frames = [d.value for d in at.dataframe if label in d.value.columns]
    assert len(frames) == 1
    shown = frames[0]
    result = analysis.rates(sample_store, "oss", ("school", "race"), Filters(school_years=("2024-25",)))
    expected = stabilised.reliability(stabilised.stabilised_rates(result.table, ["race"]).table)
    assert len(shown) == len(expected)
    for column in ("stabilised_rate", "stabilised_rate_ci_low", "stabilised_rate_ci_high"):
        assert shown[stabilised.COLUMN_LABELS[column]].to_numpy(dtype="float64") == pytest.approx(
            expected[column].to_numpy(dtype="float64"), rel=1e-12, nan_ok=True)
    assert shown["Rate"].to_numpy(dtype="float64") == pytest.approx(expected["rate"].to_numpy(dtype="float64"),
                                                                    nan_ok=True)
    # The reliability flag is its own column; the privacy note is unchanged beside it.
    reliability = shown["Reliability (RSE over 30% is unreliable)"]
    assert list(reliability.str.startswith("unreliable")) == [bool(v) if v is not pd.NA else False
                                                             for v in expected["unreliable"]]
    assert list(shown["Privacy and minimums"]) == list(result.table["note"])
    captions = " ".join(plain(c.value) for c in at.caption)
    assert stabilised.CAVEAT in captions
    for words in ("typical school", "not the school's observed rate", "can reorder schools"):
        assert words in captions


def test_not_offered_for_surveys() -> None:
    # A survey's rates count answers, several per respondent: the binomial model does not hold.
    assert stabilised.not_offered(INDICATORS["student_survey_favorable"]) == stabilised.SURVEY_REASON
    assert stabilised.not_offered(INDICATORS["oss"]) == ""
    assert stabilised.not_offered(INDICATORS["teacher_retention"]) == ""


def test_schools_page_offers_no_stabilised_survey_rates(at: AppTest) -> None:
    at.switch_page("pages/schools.py").run()
    select_label(at.selectbox(key="schools_indicator"), "Student survey: percent favorable").run()
    assert_ok(at)
    toggle = at.toggle(key="schools_stabilised")
    assert toggle.disabled and toggle.value is False
    assert stabilised.SURVEY_REASON in [c.value for c in at.caption]
    assert not [d for d in at.dataframe if stabilised.COLUMN_LABELS["stabilised_rate"] in d.value.columns]


def test_all_or_nothing_schools_get_no_prior() -> None:
    # Rates 0, 100%, 0, 100%: mu = 0.5, S = 200 x 0.25 = 50, rho = (50/0.25 - 3) / (200 - 50 - 3) = 197/147 > 1.
    mu, rho = stabilised.method_of_moments(np.array([0, 50, 0, 50]), np.array([50, 50, 50, 50]))
    assert (mu, rho) == pytest.approx((0.5, 197 / 147), rel=1e-12)
    prior = stabilised.fit_beta_prior([0, 50, 0, 50], [50, 50, 50, 50])
    assert prior.method == NO_PRIOR and "differ too much" in prior.note


def test_cli_rates_stabilise_gives_the_libraries_numbers(sample_db, sample_store: Store) -> None:
    import contextlib
    import io

    from equity_metrics import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["rates", "oss", "--by", "school,race", "--year", "2024-25", "--stabilise", "--format", "csv",
                         "--db", str(sample_db)]) == 0
    frame = pd.read_csv(io.StringIO(out.getvalue()))
    columns = list(frame.columns)
    added = [*stabilised.STABILISED_COLUMNS, *stabilised.RELIABILITY_COLUMNS]
    assert columns[columns.index("rate_ci_high") + 1:][:len(added)] == added
    result = analysis.rates(sample_store, "oss", ("school", "race"), Filters(school_years=("2024-25",)))
    keys = stabilised.prior_keys(result.units, result.groups)
    library = stabilised.stabilised_rates(result.table, keys).table
    assert frame["stabilised_rate"].notna().sum() > 5
    np.testing.assert_allclose(frame["stabilised_rate"].to_numpy(dtype=float),
                               library["stabilised_rate"].to_numpy(dtype=float), rtol=1e-12)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert cli.main(["rates", "oss", "--stabilise", "--db", str(sample_db)]) == 2
    assert "--by school" in err.getvalue()
