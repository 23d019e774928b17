"""Issue 15: the weighted risk ratio (IDEA Data Center) with a standard (State) composition, computed from
each group's own shown cells, the hidden groups pooled at their rate from the shown total; on the sample
district, the command line and the Special education page."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest
from fixtures.apptest import assert_ok
from streamlit.testing.v1 import AppTest

from equity_metrics import cli
from equity_metrics.core import stats
from equity_metrics.core.constants import BLACK, HISPANIC, RACE_LABELS, UNKNOWN, WHITE
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import MetricOptions, rate_table
from equity_metrics.measures.rules import weighted_risk_ratios
from equity_metrics.storage.store import Store

YEAR = "2024-25"
STATE = {race: share for race, share in zip(RACE_LABELS, (0.25, 0.01, 0.05, 0.15, 0.01, 0.50, 0.03), strict=True)}


def _table(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    cells = pd.DataFrame(rows, columns=["race", "denominator", "numerator"])
    return rate_table(cells, ["race"], options=MetricOptions(min_n=1, min_cell=1))


def test_a_hidden_group_is_weighted_at_its_rate_from_the_shown_total() -> None:
    """White 100/1000, Black 200/1000 shown; Hispanic's 5 of 1000 hidden. With the total (305 of 3000) the
    hidden group's rate is (305 - 300) / (3000 - 2000) = 0.005, its own rate, so the ratios are those of
    every rate known: Black 0.2 x (0.5 + 0.2) / (0.5 x 0.1 + 0.2 x 0.005) = 2.745..."""
    table = pd.DataFrame({"race": [WHITE, BLACK, HISPANIC], "denominator": [1000, 1000, 1000],
                          "numerator": pd.array([100, 200, None], dtype="Int64"), "rate": [0.1, 0.2, np.nan],
                          "risk_ratio": [0.4, 2.0, np.nan]})
    shares = {WHITE: 0.5, BLACK: 0.3, HISPANIC: 0.2}
    totals = pd.DataFrame({"denominator": [3000], "numerator": [305]})
    result = weighted_risk_ratios(table, "race", shares, totals).set_index("race")
    full = stats.weighted_risk_ratio([0.1, 0.2, 0.005], [0.5, 0.3, 0.2])
    assert result.loc[BLACK, "weighted_risk_ratio"] == pytest.approx(0.2 * 0.7 / (0.05 + 0.001), rel=1e-12)
    assert result.loc[[WHITE, BLACK], "weighted_risk_ratio"].to_numpy() == pytest.approx(full[:2], rel=1e-12)
    assert np.isnan(result.loc[HISPANIC, "weighted_risk_ratio"])  # its own ratio would show its rate
    # Without the total, the hidden rate is unknown and so is every ratio that needs it.
    assert weighted_risk_ratios(table, "race", shares)["weighted_risk_ratio"].isna().all()


def test_with_the_districts_own_composition_it_is_the_crude_ratio() -> None:
    table = _table([(WHITE, 1000, 100), (BLACK, 800, 120), (HISPANIC, 600, 30)])
    result = weighted_risk_ratios(table, "race")
    np.testing.assert_allclose(result["weighted_risk_ratio"], result["risk_ratio"], rtol=1e-12)


def _by_hand(table: pd.DataFrame, totals: pd.Series, shares: dict[str, float]) -> dict[str, float]:
    """The IDEA Data Center formula over the published rows, written out group by group."""
    known = table[table["race"] != UNKNOWN]
    shown = known.dropna(subset=["numerator", "denominator"])
    hidden = known[~known["race"].isin(shown["race"])]
    everyone = table.dropna(subset=["numerator", "denominator"])
    pooled_rate = ((float(totals["numerator"]) - everyone["numerator"].sum())
                   / (float(totals["denominator"]) - everyone["denominator"].sum()))
    weight = sum(shares.values())
    p = {race: share / weight for race, share in shares.items()}
    out = {}
    for _, row in shown.iterrows():
        rate = row["numerator"] / row["denominator"]
        others = [(p[r], o["numerator"] / o["denominator"]) for r, o in shown.set_index("race").iterrows()
                  if r != row["race"]]
        denominator = sum(w * r for w, r in others) + sum(p[r] for r in hidden["race"]) * pooled_rate
        out[row["race"]] = rate * (1 - p[row["race"]]) / denominator
    return out


def test_on_the_sample_from_published_rows_and_in_the_cli(sample_store: Store, sample_db) -> None:
    result = analysis.rates(sample_store, "oss", ("race",), Filters(school_years=(YEAR,)), standard_shares=STATE)
    table = result.table
    assert table["numerator"].isna().sum() >= 2  # hidden groups: the pooling is exercised
    expected = _by_hand(table, result.totals.iloc[0], STATE)
    got = table.set_index("race")["weighted_risk_ratio"]
    shown_ratio = table.set_index("race")["risk_ratio"].notna()
    for race, value in expected.items():
        if shown_ratio[race]:
            assert got[race] == pytest.approx(value, rel=1e-12), race
    assert got[~shown_ratio].isna().all()
    out = io.StringIO()
    composition = ",".join(f"{race}={share}" for race, share in STATE.items())
    with contextlib.redirect_stdout(out):
        assert cli.main(["rates", "oss", "--year", YEAR, "--state-composition", composition, "--format", "csv",
                         "--db", str(sample_db)]) == 0
    frame = pd.read_csv(io.StringIO(out.getvalue()))
    columns = list(frame.columns)
    assert columns[columns.index("risk_ratio_ci_high") + 1] == "weighted_risk_ratio"
    np.testing.assert_allclose(frame["weighted_risk_ratio"], got.to_numpy(dtype=float), rtol=1e-12)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert cli.main(["rates", "oss", "--state-composition", "White=lots", "--db", str(sample_db)]) == 2
    assert "GROUP=SHARE" in err.getvalue()


def test_special_education_page_takes_the_state_composition(at: AppTest, sample_store: Store) -> None:
    at.switch_page("pages/special_education.py").run()
    assert_ok(at)
    for i, race in enumerate(RACE_LABELS):
        at.number_input(key=f"special_education_weighted_{i}").set_value(STATE[race] * 100)
    at.run()
    assert_ok(at)
    indicator = at.selectbox(key="special_education_indicator").value
    library = analysis.rates(sample_store, indicator.id, ("race",), Filters(school_years=(YEAR,)),
                             standard_shares={r: s for r, s in STATE.items()}).table
    frames = [d.value for d in at.dataframe if "Weighted risk ratio" in d.value.columns]
    assert len(frames) == 1
    np.testing.assert_allclose(frames[0]["Weighted risk ratio"].to_numpy(dtype=float),
                               library["weighted_risk_ratio"].to_numpy(dtype=float), rtol=1e-9)
    assert frames[0]["Weighted risk ratio"].notna().any()
