"""The Special education page under AppTest on the synthetic sample district: its widgets, defaults, titles and
numbers, checked against the library and plain SQL.
"""

from __future__ import annotations

import pytest
from fixtures.apptest import assert_ok, charts, metric
from fixtures.page_views import (
    BLACK,
    OPTIONS,
    YEAR,
    YEARS,
    frame_with,
    open_page,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.core.constants import RACE_LABELS
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.disproportionality import disproportionality_table
from equity_metrics.measures.indicators import indicators_in
from equity_metrics.measures.rules import MultiYearRule
from equity_metrics.storage.store import Store


def test_special_education(at: AppTest, sample_store: Store) -> None:
    open_page(at, "special_education")
    assert at.title[0].value == "Special education & interventions"
    picker = at.selectbox(key="special_education_indicator")
    expected = [i.label for i in analysis.indicators_with_data(sample_store)
                if i.domain in ("Special education", "Interventions") and i.kind == "rate"]
    assert picker.options == expected and "MTSS Tier 2 intervention" in expected
    assert at.number_input(key="idea_threshold").value == 3.0
    assert at.number_input(key="idea_min_cell").value == 10
    assert len(charts(at)) == 3

    ids = [i.id for i in indicators_in("Special education") if i.kind == "rate"]
    tables = {i: analysis.rates(sample_store, i, ("school_year", "race"), Filters(school_years=YEARS)).table
              for i in ids}
    expected_table = disproportionality_table(tables, OPTIONS, MultiYearRule())
    assert len(expected_table) == len(ids) * len(RACE_LABELS)
    flagged = int(expected_table["above_threshold_each_year"].sum())
    label = "Indicator × group pairs flagged (risk ratio > 3 in each of the last 3 years)"
    assert metric(at, label) == f"{flagged} of {len(expected_table)}"
    shown = frame_with(at, "Threshold")
    assert len(shown) == len(expected_table)
    row = shown[(shown["Indicator"] == "Special education identification") & (shown["Race/ethnicity"] == BLACK)]
    assert row["Risk ratio"].item() == pytest.approx(
        expected_table.set_index(["indicator_id", "race"]).loc[("sped_identification", BLACK), "risk_ratio"])

    # Plain SQL: the latest year's risk ratio for Black students, identification (IEP) vs all other students
    # (every other student, Unknown race included).
    a, n, c, m = sample_store.cursor().execute("""
        SELECT count(*) FILTER (WHERE race = $g AND disability), count(*) FILTER (WHERE race = $g),
               count(*) FILTER (WHERE race <> $g AND disability), count(*) FILTER (WHERE race <> $g)
        FROM enrollment WHERE school_year = $y""",
                                                  {"g": BLACK, "y": YEAR}).fetchone()
    assert row["Risk ratio"].item() == pytest.approx((a / n) / (c / m))

    # A lower threshold flags Black students' identification (ratio about 1.33-1.37 in each year).
    at.number_input(key="idea_threshold").set_value(1.3).run()
    assert_ok(at)
    relaxed = disproportionality_table(tables, OPTIONS, MultiYearRule(threshold=1.3))
    assert relaxed.set_index(["indicator_id", "race"]).loc[("sped_identification", BLACK),
                                                           "above_threshold_each_year"]
    assert metric(at, label.replace("> 3", "> 1.3")) == \
        f"{int(relaxed['above_threshold_each_year'].sum())} of {len(relaxed)}"
