"""The current figures of an equity impact assessment (issue 17): each indicator at each school named (or the
district), in the assessment's year, the affected groups' rows of the very table the pages show (hidden cells
hidden, with the reason), and the assessment as one escaped HTML file."""

from __future__ import annotations

import re

import pandas as pd

from equity_metrics.goals.impact import ImpactAssessment
from equity_metrics.goals.impact_figures import DISTRICT, FIGURE_COLUMNS, impact_figures
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.reports.export_tables import provenance
from equity_metrics.reports.impact_report import impact_file_name, impact_report_html, scope_line
from equity_metrics.storage.store import Store

SCHOOL = "Central High School"
GROUPS = ("Black or African American", "American Indian or Alaska Native")


def _assessment(**changes) -> ImpactAssessment:
    base = dict(title="A new discipline matrix", school_year="2024-25", schools=(SCHOOL,), groups=GROUPS,
                indicators=("oss", "math_scale_score"))
    base.update(changes)
    return ImpactAssessment(**base)


def test_each_figure_is_the_pages_row_of_each_group(sample_store: Store) -> None:
    oss, math = impact_figures(sample_store, _assessment())
    page = analysis.rates(sample_store, "oss", ["race"], Filters(("2024-25",), (SCHOOL,))).table
    expected = page[page["race"].isin(GROUPS)].reset_index(drop=True)
    assert (oss.place, oss.school_year, oss.kind) == (SCHOOL, "2024-25", "rate")
    assert list(oss.table.columns) == ["race", *FIGURE_COLUMNS["rate"]]
    pd.testing.assert_frame_equal(oss.table, expected[oss.table.columns], check_dtype=False)
    black = oss.table.set_index("race").loc["Black or African American"]
    assert (int(black["denominator"]), int(black["numerator"])) == (740, 113)  # 113 / 740 = 15.3%
    assert oss.sentences[1].startswith("Black or African American students were 2.6 times as likely as all other "
                                       "students to receive an out-of-school suspension (15.3% vs 5.8%)")
    hidden = oss.table.set_index("race").loc["American Indian or Alaska Native"]
    assert pd.isna(hidden["denominator"]) and pd.isna(hidden["rate"]) and "hidden" in hidden["note"]
    assert oss.sentences[0].startswith("American Indian or Alaska Native students: not shown")
    scores = analysis.gaps(sample_store, "math_scale_score", ["race"], Filters(("2024-25",), (SCHOOL,))).table
    row = scores.set_index("race").loc["Black or African American"]
    shown = math.table.set_index("race").loc["Black or African American"]
    assert (shown["n"], shown["mean"], shown["mean_difference"]) == (row["n"], row["mean"], row["mean_difference"])
    assert math.kind == "mean" and "points below all other students'" in math.sentences[1]


def test_the_district_every_group_and_the_latest_year(sample_store: Store) -> None:
    figure, = impact_figures(sample_store, _assessment(schools=(), groups=(), school_year=None, indicators=("oss",)))
    latest = analysis.years_with_data(sample_store, analysis.get_indicator("oss"))[-1]
    assert figure.place == DISTRICT and figure.school_year == latest
    page = analysis.rates(sample_store, "oss", ["race"], Filters((figure.school_year,))).table
    assert figure.table["race"].tolist() == page["race"].tolist()
    assert len(figure.sentences) == len(page)


def test_a_school_or_year_without_data_says_so(sample_store: Store) -> None:
    nowhere, = impact_figures(sample_store, _assessment(schools=("Nowhere Academy",), indicators=("oss",)))
    assert nowhere.message == "No students match these filters for Out-of-school suspension."
    assert nowhere.table.empty and not nowhere.sentences
    old, = impact_figures(sample_store, _assessment(school_year="1999-00", indicators=("oss",)))
    assert old.message == "No Out-of-school suspension data for 1999-00."
    assert impact_figures(sample_store, _assessment(indicators=())) == []


def test_the_html_file_escapes_the_users_text_and_shows_no_hidden_count(sample_store: Store) -> None:
    assessment = _assessment(title="Matrix <script>alert(1)</script>", assessment_id=3,
                             answers={"proposal": "Replace **zero** tolerance.\n\n![x](http://127.0.0.1:9/b.png)",
                                      "engagement": "<img src=x onerror=alert(1)>"})
    figures = impact_figures(sample_store, assessment)
    document = impact_report_html(assessment, figures, ["Goal 2: OSS of Black students (on track)."],
                                  provenance(sample_store))
    assert "<script>" not in document and "<img" not in document and "&lt;img src=x" in document
    assert "<p>Replace **zero** tolerance.</p>" in document  # two paragraphs, shown as typed
    assert "http://127.0.0.1:9/b.png" in document and 'src="http' not in document
    assert "Not answered yet." in document  # the questions left blank
    assert "Goal 2: OSS of Black students (on track)." in document
    # the hidden group's row: an empty cell for every count, the reason in the note
    row = re.search(r"<tr><td>American Indian or Alaska Native</td>(.*?)</tr>", document).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert len(cells) == len(FIGURE_COLUMNS["rate"]) and set(cells[:-1]) == {""} and "hidden" in cells[-1]
    assert "740" in document and "113" in document
    assert impact_file_name(assessment) == "impact_assessment_3_matrix_script_alert_1_script.html"
    assert scope_line(assessment) == ("A policy decision · 2024-25 · Central High School · by race/ethnicity: "
                                      "Black or African American, American Indian or Alaska Native")
