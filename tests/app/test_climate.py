"""The Climate page under AppTest on the synthetic sample district: its widgets, defaults, titles and numbers,
checked against the library and plain SQL.
"""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.apptest import assert_ok, charts, datasets_of, select_label, title_of
from fixtures.page_views import (
    BLACK,
    FILTERS,
    YEAR,
    headlines,
    open_page,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.measures import analysis
from equity_metrics.storage.store import Store


def test_climate(at: AppTest, sample_store: Store) -> None:
    open_page(at, "climate")
    assert at.title[0].value == "Climate"
    assert at.selectbox(key="climate_indicator").options == [
        "Student survey: percent favorable", "Family survey: percent favorable", "Staff survey: percent favorable"]
    found = charts(at)
    assert len(found) == 4
    facet = found[3]
    assert "by construct" in title_of(facet).lower() or "construct" in facet.proto.spec
    result = analysis.rates(sample_store, "student_survey_favorable", ("construct", "race"), FILTERS)
    data = pd.concat([d for d in datasets_of(facet) if "rate" in d.columns])
    expected = result.table[~result.table["suppressed"]]
    assert sorted(data["rate"].round(12)) == sorted(expected["rate"].round(12))

    # Plain SQL: Black students' favorable share on Safety.
    fav, total = sample_store.cursor().execute("""
        SELECT count(*) FILTER (WHERE response >= 4), count(*) FROM survey
        WHERE school_year = $y AND respondent_type = 'Student' AND construct = 'Safety' AND race = $g
          AND response IS NOT NULL""", {"y": YEAR, "g": BLACK}).fetchone()
    safety = data[(data["construct"] == "Safety") & (data["race"] == BLACK)]
    assert safety["rate"].item() == pytest.approx(fav / total)
    assert headlines(at)[1].startswith("The lowest rate: ")

    select_label(at.selectbox(key="climate_indicator"), "Staff survey: percent favorable").run()
    assert_ok(at)
    assert len(charts(at)) == 4
