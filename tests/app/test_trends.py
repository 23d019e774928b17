"""The Trends page under AppTest on the synthetic sample district: its widgets, defaults, titles and numbers,
checked against the library and plain SQL.
"""

from __future__ import annotations

import pytest
from fixtures.apptest import assert_ok, charts, dataset_with, select_label
from fixtures.page_views import (
    BLACK,
    OPTIONS,
    YEAR,
    YEARS,
    frame_with,
    headlines,
    open_page,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.measures import analysis, rules
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.rules import MultiYearRule
from equity_metrics.narrative import findings
from equity_metrics.storage.store import Store
from views.text import escape_markdown


def test_trends(at: AppTest, sample_store: Store) -> None:
    open_page(at, "trends")
    assert at.title[0].value == "Trends"
    picker = at.selectbox(key="trends_indicator")
    assert len(picker.options) == len([i for i in analysis.indicators_with_data(sample_store) if i.kind == "rate"])
    select_label(picker, "Out-of-school suspension").run()
    assert_ok(at)
    found = charts(at)
    assert len(found) == 2
    data = dataset_with(found[0], "rate")
    assert sorted(set(data["school_year"])) == list(YEARS)
    # How much race predicts it, year by year: the library's association (hidden groups pooled from totals).
    association = analysis.association_by_year(sample_store, "oss", "race", Filters(school_years=YEARS))
    shown = dataset_with(found[1], "cramers_v").sort_values("school_year")
    assert shown["school_year"].tolist() == list(YEARS)
    assert shown["cramers_v"].tolist() == pytest.approx(association["cramers_v"].tolist(), rel=1e-12)
    summary = association.assign(school_year=association["school_year"].astype(str))
    assert escape_markdown(findings.association_sentence(INDICATORS["oss"], "Race/ethnicity", summary)) in [
        c.value for c in at.caption]
    result = analysis.rates(sample_store, "oss", ("school_year", "race"), Filters(school_years=YEARS))
    latest = result.table[result.table["school_year"] == YEAR]
    assert headlines(at) == [f"In {YEAR}: " + findings.rate_headline(INDICATORS["oss"], latest, ["race"], OPTIONS)]
    flags = rules.multi_year_flags(result.table, ["race"], MultiYearRule())
    table = frame_with(at, "Above threshold each year")
    assert table["Race/ethnicity"].tolist() == flags["race"].tolist()
    assert table["Above threshold each year"].tolist() == flags["above_threshold_each_year"].tolist()

    # Plain SQL: Black students' OSS rate in each year.
    for year in YEARS:
        k, n = sample_store.cursor().execute("""
            SELECT count(DISTINCT d.student_id), (SELECT count(*) FROM enrollment WHERE school_year = $y AND race = $g)
            FROM discipline d JOIN enrollment e USING (school_year, student_id)
            WHERE d.school_year = $y AND e.race = $g AND d.action = 'Out-of-school suspension'""",
                                             {"y": year, "g": BLACK}).fetchone()
        point = data[(data["school_year"] == year) & (data["race"] == BLACK)]
        assert point["rate"].item() == pytest.approx(k / n)

    # The year filter ends the trend at the chosen year.
    at.sidebar.selectbox(key="filter_year").select("2023-24").run()
    assert_ok(at)
    assert sorted(set(dataset_with(charts(at)[0], "rate")["school_year"])) == ["2022-23", "2023-24"]
