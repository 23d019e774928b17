"""The Schools page under AppTest on the synthetic sample district: its widgets, defaults, titles and numbers,
checked against the library and plain SQL.
"""

from __future__ import annotations

from fixtures.apptest import assert_ok, charts, dataset_with, select_label
from fixtures.page_views import (
    FILTERS,
    HISPANIC,
    YEAR,
    open_page,
    scalar,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.measures import analysis
from equity_metrics.storage.store import Store


def test_schools(at: AppTest, sample_store: Store) -> None:
    open_page(at, "schools")
    assert at.title[0].value == "Schools"
    picker = at.selectbox(key="schools_indicator")
    select_label(picker, "Out-of-school suspension").run()
    assert_ok(at)
    found = charts(at)
    assert len(found) == 1
    cells = dataset_with(found[0], "cell_text")
    result = analysis.rates(sample_store, "oss", ("school", "race"), FILTERS)
    assert len(cells) == len(result.table)
    # Every cell says something: a ratio, "hidden" (grey) or "no ratio"; hidden cells are the suppressed rows.
    assert cells["cell_text"].str.len().min() > 0
    assert (cells["cell_text"] == "hidden").sum() == int(result.table["suppressed"].sum()) > 0
    spec = found[0].proto.spec
    assert '"blueorange"' in spec and '"domainMid": 1' in spec
    # Plain SQL: enrolled Hispanic students at Central High School.
    n = scalar(sample_store, """
        SELECT count(*) FROM enrollment e JOIN schools s USING (school_id)
        WHERE e.school_year = $y AND s.school_name = 'Central High School' AND e.race = $g""",
               {"y": YEAR, "g": HISPANIC})
    cell = cells[(cells["school"] == "Central High School") & (cells["race"] == HISPANIC)]
    assert cell["denominator"].item() == n
