"""The Staffing page under AppTest on the synthetic sample district: its widgets, defaults, titles and numbers,
checked against the library and plain SQL.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures.apptest import assert_ok, charts, dataset_with, select_label, title_of
from fixtures.page_views import (
    FILTERS,
    WHITE,
    YEAR,
    frame_with,
    open_page,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.cli import main
from equity_metrics.measures import analysis, rules
from equity_metrics.measures.exposure import exposure_table
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.narrative import findings
from equity_metrics.storage.store import Store


def test_staffing(at: AppTest, sample_store: Store) -> None:
    open_page(at, "staffing")
    assert at.title[0].value == "Staffing"
    assert len(charts(at)) == 6  # composition, four-fifths, retention (rate, ratio, composition), exposure
    assert at.selectbox(key="staffing_indicator").options == ["Teacher retention", "Staff retention", "Promotion"]

    composition = charts(at)[0]
    teachers = analysis.rates(sample_store, "teacher_retention", ("race",), FILTERS)
    students = analysis.rates(sample_store, "iss", ("race",), FILTERS)
    gap = rules.composition_gap(teachers.table, students.table)
    data = dataset_with(composition, "share")
    teacher_shares = data[data["measure"] == "Share of teachers"].set_index("colour_key")["share"]
    assert teacher_shares.to_dict() == pytest.approx(gap.dropna(subset=["staff_share"]).set_index("race")
                                                     ["staff_share"].to_dict())
    # Plain SQL: White teachers' share of all teachers (shares are of everyone, Unknown race included).
    white, everyone = sample_store.cursor().execute("""
        SELECT count(*) FILTER (WHERE race = $w), count(*) FROM staff
        WHERE school_year = $y AND role = 'Teacher'""", {"w": WHITE, "y": YEAR}).fetchone()
    assert teacher_shares[WHITE] == pytest.approx(white / everyone)
    of_color = gap[gap["race"] == "People of color"].iloc[0]
    assert (f"Students of color were {findings.percent(of_color['student_share'])} of students but teachers of "
            f"color {findings.percent(of_color['staff_share'])} of teachers") in title_of(composition)

    # The four-fifths rule per stage, as the library computes it.
    impact = dataset_with(charts(at)[1], "impact_ratio")
    for stage in ("interview_rate", "offer_rate", "hiring_selection"):
        table = rules.adverse_impact_table(analysis.rates(sample_store, stage, ("race",), FILTERS).table, ["race"])
        label = INDICATORS[stage].label
        shown = impact[impact["stage"] == label].set_index("race")["impact_ratio"]
        assert shown.to_dict() == pytest.approx(table.dropna(subset=["impact_ratio"]).set_index("race")
                                                ["impact_ratio"].to_dict())
    four_fifths = frame_with(at, "Four-fifths rule")
    assert set(four_fifths["Four-fifths rule"]) <= {"adverse impact (below 4/5)", ""}

    # Binomial z: blank pool shares compute nothing; an entered share gives the library's z.
    assert at.number_input(key="pool_5").label == "White (% of pool)"
    assert at.number_input(key="pool_5").value is None
    frames_before = len(at.dataframe)
    at.number_input(key="pool_5").set_value(70.0).run()
    assert_ok(at)
    assert len(at.dataframe) == frames_before + 1
    hires = analysis.rates(sample_store, "hiring_selection", ("race",), FILTERS)
    all_hires = hires.totals["numerator"].iloc[0]
    z = rules.representation_z(hires.table, "race", {WHITE: 0.7}, all_hires)
    shown_z = frame_with(at, "Expected hires")
    assert shown_z["Race/ethnicity"].tolist() == [WHITE]
    expected_z = z["z"].iloc[0]
    assert np.isfinite(expected_z)  # other groups' hire counts are hidden; White hires and all hires are shown
    assert shown_z["z"].iloc[0] == pytest.approx(expected_z)


def test_staffing_shows_students_exposure_to_inexperienced_teachers_and_counselors(at: AppTest,
                                                                                   sample_store: Store) -> None:
    """Issue 17: the student-weighted figures by race, as the library computes them, titled with the finding,
    the year and the place; the counselor figure one click away."""
    open_page(at, "staffing")
    result = exposure_table(sample_store, "inexperienced_teachers", "race", YEAR)
    chart = charts(at)[-1]
    assert title_of(chart).startswith("White students attend schools where 11.2% of teachers are in their first or "
                                      "second year, vs 10.4% for Black")
    assert "(district, 2024-25)" in title_of(chart)
    drawn = dataset_with(chart, "exposure_low").set_index("colour_key")
    black = "Black or African American"
    assert drawn.loc[black, "figure"] == pytest.approx(result.table.set_index("race").loc[black, "exposure"])
    assert drawn.loc[black, "students"] == 3061
    table = frame_with(at, "Teachers in their first or second year").set_index("Race/ethnicity")
    assert table.loc["All students", "Students"] == 15330
    at.radio(key="exposure_figure").set_value("students_per_counselor").run()
    counselors = exposure_table(sample_store, "students_per_counselor", "race", YEAR).table.set_index("race")
    assert "students per counselor" in title_of(charts(at)[-1])
    drawn = dataset_with(charts(at)[-1], "exposure_low").set_index("colour_key")
    assert drawn.loc[black, "figure"] == pytest.approx(counselors.loc[black, "exposure"])


def test_staffing_falls_back_to_race(at: AppTest) -> None:
    select_label(at.sidebar.selectbox(key="filter_dimension"), "Low income").run()
    open_page(at, "staffing")
    assert any("cannot be split by low income" in c.value for c in at.caption)
    assert len(charts(at)) == 6
    assert "Low income" in set(frame_with(at, "Teachers in their first or second year")["Low income"])


STAFF_FILE = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "ma_staff" / "staff_raceeth_jobcategories_2015.csv"


@pytest.mark.skipif(not STAFF_FILE.exists(), reason="the shared corpus is not here")
def test_staffing_shows_the_teacher_fte_of_a_staff_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          entry_point_always_runs: None) -> None:
    """Issue 13: a store holding only the Massachusetts staff report by race (imported with no options): the
    page shows its teachers' FTE by race statewide (corpus figure 1), with no exception, the file's text
    escaped in the notes."""
    db = tmp_path / "staff.duckdb"
    assert main(["import", str(STAFF_FILE), "--db", str(db)]) == 0
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    open_page(at, "staffing")
    assert at.selectbox(key="staff_fte_job").value == "23"
    table = frame_with(at, "Reported total (FTE)")
    assert set(table["Unit"]) == {"All schools"} and set(table["Job group"]) == {"Teachers"}
    assert table.set_index("Race/ethnicity")["FTE"].to_dict() == {
        "Black or African American": 1910.8, "Asian": 981.7, "Hispanic or Latino": 1893.0, "White": 67953.4,
        "Other (combined)": 448.8}
    assert set(table["Reported total (FTE)"]) == {73181.3}
    assert any("Other \\(combined\\)" in c.value for c in at.caption)  # the file's text, escaped
    at.radio(key="staff_fte_level").set_value("district").run()
    at.text_input(key="staff_fte_unit").set_value("Boston").run()
    assert not at.exception, [e.value for e in at.exception]
    boston = frame_with(at, "Reported total (FTE)")
    assert set(boston["Reported total (FTE)"]) == {4294.3}
    assert boston.set_index("Race/ethnicity")["FTE"]["Black or African American"] == 973.5
