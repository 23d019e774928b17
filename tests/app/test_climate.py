"""The Climate page under AppTest on the synthetic sample district: its widgets, defaults, titles and numbers,
checked against the library and plain SQL.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fixtures.apptest import assert_ok, charts, datasets_of, select_label, title_of
from fixtures.page_views import (
    BLACK,
    FILTERS,
    YEAR,
    frame_with,
    headlines,
    open_page,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.cli import main
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


SURVEY_FILE = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "nyc_survey" / "survey_d75.txt"


@pytest.mark.skipif(not SURVEY_FILE.exists(), reason="the shared corpus is not here")
def test_climate_shows_the_survey_summary_of_a_loaded_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           entry_point_always_runs: None) -> None:
    """Issue 13: a store holding only the NYC school survey summary (imported with no options): the Climate page
    shows its respondents for all schools (corpus figure 1), one school's item answers (figure 3, the small
    count hidden), with no exception."""
    db = tmp_path / "survey.duckdb"
    assert main(["import", str(SURVEY_FILE), "--db", str(db)]) == 0
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    open_page(at, "climate")
    assert_ok(at)
    assert at.sidebar.selectbox(key="filter_year").value == "(no student data)"  # said, and why, in the sidebar
    assert any("is shown on its page, with its own year" in c.value for c in at.sidebar.caption)
    assert at.selectbox(key="survey_summary_year").value == "2010-11"
    table = frame_with(at, "Response rate (%)")
    everyone = table[table["School"] == "All schools"].set_index("Respondents")
    assert everyone["Respondents (number)"].to_dict() == {"Parents": 7588, "Teachers": 3426, "Students": 5251}
    assert everyone["Eligible"].to_dict() == {"Parents": 19896, "Teachers": 4640, "Students": 7746}
    assert any("counts hidden" in c.value for c in at.caption)
    at.radio(key="survey_summary_what").set_value("items").run()
    at.text_input(key="survey_summary_school").set_value("75K004").run()
    at.selectbox(key="survey_summary_item").set_value("t_q1a").run()
    assert_ok(at)
    items = frame_with(at, "Number choosing it")
    school = items[items["School code"] == "75K004"].set_index("Option")
    assert school["Number choosing it"].tolist()[:2] == [25, 39] and school["Number choosing it"].iloc[2:].isna().all()
    at.radio(key="survey_summary_what").set_value("scores").run()
    assert_ok(at)
    scores = frame_with(at, "Score (0-10)")
    mean = scores[(scores["School"] == "All schools") & (scores["Respondents"] == "All respondents")
                  & (scores["Scale"] == "Safety & Respect")]
    assert mean["Score (0-10)"].round(3).tolist() == [7.734]
