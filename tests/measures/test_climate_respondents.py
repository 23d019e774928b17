"""Climate comparisons are tested on respondents, not answers (issue 15): the difference of favourable shares
with standard errors clustered by respondent, checked against statsmodels' OLS with cov_type='cluster' on the
raw answers (to 1e-9), from sums DuckDB counts (storage.facts.respondent_sums_sql) through `rate_table`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from equity_metrics.measures.metrics import MetricOptions, rate_table
from equity_metrics.measures.respondents import CLUSTER_SUMS, CLUSTERED_Z, clustered_share_test
from equity_metrics.storage.facts import rebuild_facts, respondent_sums_sql
from equity_metrics.storage.store import Store

# A worked example: (respondent, race, construct, answers on the 1-5 scale); 4 or 5 is favourable. Respondents
# answer different numbers of items, and agree with themselves more than with each other (a cluster effect).
RESPONDENTS = [
    ("r01", "Black", "Safety", [5, 4, 4, 5]), ("r01", "Black", "Belonging", [4, 5, 2]),
    ("r02", "Black", "Safety", [2, 1, 2]), ("r02", "Black", "Belonging", [3, 2]),
    ("r03", "Black", "Safety", [4, 2, 5, 1, 3]), ("r03", "Black", "Belonging", [4]),
    ("r04", "Black", "Safety", [1, 2]), ("r04", "Black", "Belonging", [2, 2, 3, 1]),
    ("r05", "White", "Safety", [5, 5, 4]), ("r05", "White", "Belonging", [5, 4, 4, 4]),
    ("r06", "White", "Safety", [4, 4, 2, 5, 5]), ("r06", "White", "Belonging", [3, 5]),
    ("r07", "White", "Safety", [3, 4]), ("r07", "White", "Belonging", [5, 5, 5]),
    ("r08", "Asian", "Safety", [4, 1, 4]), ("r08", "Asian", "Belonging", [2, 4]),
    ("r09", "Asian", "Safety", [5, 5, 5, 5]), ("r09", "Asian", "Belonging", [1]),
    ("r10", "White", "Safety", [2, 3, 4]), ("r10", "White", "Belonging", [4, 2, 2, 5]),
]


def _answers() -> pd.DataFrame:
    rows = [(r, race, construct, f"{construct[:3]}{k}", value) for r, race, construct, values in RESPONDENTS
            for k, value in enumerate(values)]
    frame = pd.DataFrame(rows, columns=["response_id", "race", "construct", "item_id", "response"])
    frame["favorable"] = (frame["response"] >= 4).astype(float)
    return frame


def _statsmodels(answers: pd.DataFrame, group: pd.Series) -> tuple[float, float, float]:
    """OLS of favourable on the group indicator over both groups' answers, standard errors clustered by
    respondent (statsmodels' defaults: CR1 small-sample factors, normal reference)."""
    design = sm.add_constant(group.astype(float).to_numpy())
    fit = sm.OLS(answers["favorable"].to_numpy(), design).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(answers["response_id"])[0]})
    return float(fit.params[1]), float(fit.bse[1]), float(fit.pvalues[1])


def _sums(answers: pd.DataFrame) -> tuple[float, ...]:
    """(Y, M, G, sum y^2, sum y*m, sum m^2) of a group's answers, by respondent (an independent computation)."""
    per = answers.groupby("response_id")["favorable"].agg(["sum", "count"])
    y, m = per["sum"].to_numpy(), per["count"].to_numpy(dtype=float)
    return y.sum(), m.sum(), float(len(per)), (y * y).sum(), (y * m).sum(), (m * m).sum()


def test_the_clustered_test_is_statsmodels_cluster_robust_ols() -> None:
    answers = _answers()
    black = answers["race"] == "Black"
    expected = _statsmodels(answers, black)
    got = clustered_share_test(_sums(answers[black]), _sums(answers[~black]))
    assert [float(x) for x in got] == pytest.approx(list(expected), rel=1e-9, abs=0)
    # the worked numbers: Black students' 9 of 24 answers favourable against 26 of 36 for the others
    assert got[0] == pytest.approx(9 / 24 - 26 / 36, rel=1e-12)


def test_one_construct_is_tested_on_its_own_answers() -> None:
    answers = _answers()
    safety = answers[answers["construct"] == "Safety"].reset_index(drop=True)
    white = safety["race"] == "White"
    got = clustered_share_test(_sums(safety[white]), _sums(safety[~white]))
    assert [float(x) for x in got] == pytest.approx(list(_statsmodels(safety, white)), rel=1e-9, abs=0)


def test_no_test_without_spread_or_respondents() -> None:
    same = (6.0, 6.0, 2.0, 18.0, 18.0, 18.0)  # two respondents, every answer favourable
    assert np.isnan(clustered_share_test(same, same)[2])
    assert np.isnan(clustered_share_test((0, 0, 0, 0, 0, 0), same)[2])  # a group with no answers
    assert np.isnan(clustered_share_test((1, 1, 1, 1, 1, 1), (0, 1, 0, 0, 0, 1))[2])  # 2 answers in all


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("survey") / "store.duckdb")
    rows = [("2023-24", r.response_id, "A", "Student", r.race, r.item_id, r.construct, float(r.response))
            for r in _answers().itertuples()]
    with store.transaction() as cursor:
        cursor.executemany("INSERT INTO survey (dataset_id, school_year, response_id, school_id, respondent_type, race, "
                           "item_id, construct, response) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        rebuild_facts(cursor)
    yield store
    store.close()


def _cells(store: Store) -> pd.DataFrame:
    """Counts, respondents and cluster sums per race and per race x construct, in one GROUPING SETS query."""
    population = "respondent_type = 'Student' AND response IS NOT NULL"
    sums = respondent_sums_sql(population, "GROUPING(construct) = 0")
    return store.query(
        "SELECT race, CASE WHEN GROUPING(construct) = 1 THEN 'all' ELSE construct END AS construct, "
        f"count_if({population}) AS denominator, count_if(({population}) AND favorable) AS numerator, "
        f"count(DISTINCT response_id) FILTER (WHERE {population}) AS persons, "
        + ", ".join(f"{sql} AS {name}" for sql, name in zip(sums, CLUSTER_SUMS, strict=True))
        + " FROM facts_survey GROUP BY GROUPING SETS ((race), (race, construct)) ORDER BY construct, race")


def test_duckdb_counts_the_cluster_sums(store: Store) -> None:
    cells = _cells(store)
    answers = _answers()
    for row in cells.itertuples():
        mine = answers[(answers["race"] == row.race) & ((answers["construct"] == row.construct)
                                                        | (row.construct == "all"))]
        expected = _sums(mine)
        got = (row.numerator, row.denominator, row.persons, row.favorable_squared, row.favorable_by_answers,
               row.answers_squared)
        assert [float(x) for x in got] == list(expected), (row.race, row.construct)


def test_rate_table_tests_survey_groups_by_respondent(store: Store) -> None:
    cells = _cells(store)
    everyone = cells[cells["construct"] == "all"].drop(columns="construct").reset_index(drop=True)
    options = MetricOptions(min_n=1, min_cell=0, privacy_threshold=1)
    table = rate_table(everyone, ["race"], options=options, noun="answers").set_index("race")
    answers = _answers()
    for race in ("Asian", "Black", "White"):
        assert table.loc[race, "test"] == CLUSTERED_Z
        _, _, p = _statsmodels(answers, answers["race"] == race)
        assert table.loc[race, "p_value"] == pytest.approx(p, rel=1e-9, abs=0), race
    # against a chosen group: Black students' respondents against White students' only
    chosen = rate_table(everyone, ["race"], options=MetricOptions(comparison="White", min_n=1, min_cell=0,
                                                                  privacy_threshold=1)).set_index("race")
    pair = answers[answers["race"].isin(["Black", "White"])].reset_index(drop=True)
    assert chosen.loc["Black", "p_value"] == pytest.approx(_statsmodels(pair, pair["race"] == "Black")[2],
                                                           rel=1e-9, abs=0)
    assert chosen.loc["White", "test"] == ""


def test_without_cluster_sums_the_table_keeps_its_respondent_weighting(store: Store) -> None:
    cells = _cells(store)
    everyone = cells[cells["construct"] == "all"].drop(columns=["construct", *CLUSTER_SUMS]).reset_index(drop=True)
    table = rate_table(everyone, ["race"], options=MetricOptions(min_n=1, min_cell=0, privacy_threshold=1))
    assert CLUSTERED_Z not in set(table["test"])
