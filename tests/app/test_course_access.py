"""The Course access page under AppTest on the synthetic sample district: its widgets, defaults, titles and
numbers, checked against the library and plain SQL.
"""

from __future__ import annotations

import math

from fixtures.apptest import assert_ok, charts, metric, select_label, title_of
from fixtures.page_views import (
    FILTERS,
    HISPANIC,
    OPTIONS,
    YEAR,
    frame_with,
    headlines,
    open_page,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.measures import analysis
from equity_metrics.measures.course_access import missing_seats
from equity_metrics.narrative import findings
from equity_metrics.storage.store import Store


def test_course_access(at: AppTest, sample_store: Store) -> None:
    open_page(at, "course_access")
    assert at.title[0].value == "Course access"
    picker = at.selectbox(key="course_access_indicator")
    expected = [i.label for i in analysis.indicators_with_data(sample_store)
                if i.domain == "Course access" and i.kind == "rate"]
    assert picker.options == expected and len(expected) == 8
    assert picker.value.id == "ap_enrollment"
    result = analysis.rates(sample_store, "ap_enrollment", ("race",), FILTERS, OPTIONS)
    assert headlines(at) == [findings.rate_headline(result.indicator, result.table, ["race"], OPTIONS)]
    assert len(charts(at)) == 3

    seats = missing_seats(result.table, ["race"])
    assert metric(at, f"Missing seats, {YEAR}") == f"{int(seats['missing_seats'].sum()):,}"
    shown = frame_with(at, "Missing seats")
    assert shown["Race/ethnicity"].tolist() == seats["race"].tolist()
    assert shown["Missing seats"].tolist() == seats["missing_seats"].tolist()
    # Hidden groups never get missing seats.
    hidden = set(result.table.loc[result.table["suppressed"], "race"])
    assert hidden and not hidden & set(shown["Race/ethnicity"])

    # Plain SQL: Hispanic students in grades 9-12, AP enrollment, vs all other students of a known race.
    a, n, c, m = sample_store.cursor().execute("""
        WITH hs AS (SELECT student_id, race FROM enrollment WHERE school_year = $y AND grade IN ('9','10','11','12')),
             ap AS (SELECT DISTINCT student_id FROM courses WHERE school_year = $y AND course_level = 'AP')
        SELECT count(ap.student_id) FILTER (WHERE race = $g), count(*) FILTER (WHERE race = $g),
               count(ap.student_id) FILTER (WHERE race NOT IN ($g, 'Unknown')),
               count(*) FILTER (WHERE race NOT IN ($g, 'Unknown'))
        FROM hs LEFT JOIN ap USING (student_id)""", {"y": YEAR, "g": HISPANIC}).fetchone()
    expected_seats = math.floor((c / m) * n - a)
    assert expected_seats > 0
    assert shown.set_index("Race/ethnicity").loc[HISPANIC, "Missing seats"] == expected_seats

    select_label(at.selectbox(key="course_access_indicator"), "Algebra I in grade 8").run()
    assert_ok(at)
    assert len(charts(at)) == 3
    assert "Algebra I" in title_of(charts(at)[0])
