"""The Achievement page under AppTest on the synthetic sample district: its widgets, defaults, titles and
numbers, checked against the library and plain SQL.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from fixtures.apptest import assert_ok, charts, dataset_with, metric, select_label, title_of
from fixtures.command_line import run_cli
from fixtures.page_views import (
    BLACK,
    FILTERS,
    OPTIONS,
    YEAR,
    assert_no_student_data,
    chart_titled,
    headlines,
    look,
    open_page,
    rows_with,
    shown,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.measures import analysis
from equity_metrics.narrative import score_distribution as sd
from equity_metrics.narrative import score_gaps
from equity_metrics.storage.store import Store


def test_achievement(at: AppTest, sample_store: Store) -> None:
    open_page(at, "achievement")
    assert at.title[0].value == "Achievement"
    assert at.selectbox(key="achievement_indicator").options == ["Math proficiency", "Reading proficiency"]
    assert at.selectbox(key="achievement_gap_indicator").options == ["Math scale score", "Reading scale score"]
    # rate, risk ratio, composition; gap chart (distribution, gaps by school and by grade when picked)
    assert len(charts(at)) == 4
    # No IDEA disproportionality line on test scores (issue 16): only "1 = same rate".
    assert dataset_with(charts(at)[1], "label")["label"].tolist() == ["1 = same rate"]

    gaps = analysis.gaps(sample_store, "math_scale_score", ("race",), FILTERS, OPTIONS)
    sentence = score_gaps.gap_headline(gaps.indicator, gaps.table, ["race"], OPTIONS.comparison_label)
    assert headlines(at)[1] == sentence
    assert sentence.startswith(f"{BLACK} students' mean math scale score was ")
    gap_data = dataset_with(charts(at)[3], "hedges_g")
    library = gaps.table[gaps.table["hedges_g"].notna()]
    assert gap_data["hedges_g"].tolist() == pytest.approx(library["hedges_g"].tolist())
    assert {"hedges_g_ci_low", "hedges_g_ci_high", "n", "mean_difference"} <= set(gap_data.columns)
    assert (metric(at, "Share of the score variation between race/ethnicity groups")
            == f"{gaps.summary['eta_squared'].iloc[0]:.1%}")

    # Plain SQL: Black students' mean math scale score minus that of every other student (Unknown included).
    black, others = sample_store.cursor().execute("""
        SELECT avg(a.scale_score) FILTER (WHERE e.race = $g),
               avg(a.scale_score) FILTER (WHERE coalesce(e.race, '') <> $g)
        FROM assessments a LEFT JOIN enrollment e USING (school_year, student_id)
        WHERE a.school_year = $y AND a.subject = 'Math'""", {"y": YEAR, "g": BLACK}).fetchone()
    assert f"was {abs(black - others):.0f} points below all other students'" in sentence

    select_label(at.selectbox(key="achievement_gap_indicator"), "Reading scale score").run()
    assert_ok(at)
    assert "reading scale score" in headlines(at)[1]


def test_achievement_distributions_and_gaps_within(at: AppTest, sample_store: Store) -> None:
    open_page(at, "achievement")
    assert len(charts(at)) == 4  # proficiency (three charts) and the score gap: closer looks when picked
    look(at, "achievement_closer", "Score distributions")
    heads = headlines(at)
    distribution = sd.score_distribution(sample_store, "math_scale_score", ("race",), FILTERS)
    by_school = score_gaps.gaps_within(sample_store, "math_scale_score", "school", ("race",), FILTERS)
    by_grade = score_gaps.gaps_within(sample_store, "math_scale_score", "grade", ("race",), FILTERS)
    assert heads[2] == sd.distribution_headline(distribution)

    box = rows_with(chart_titled(at, "Math scale score, distribution: District, all grades"), "median")
    expected = shown(distribution.table)
    assert box["race"].tolist() == expected["race"].tolist()
    for column in sd.QUANTILE_COLUMNS:
        assert box[column].tolist() == pytest.approx(expected[column].tolist())
    assert "n" in box.columns and not {"min", "max"} & set(box.columns)
    # Plain SQL: Black students' median math score, straight from the canonical tables.
    median = sample_store.scalar("""
        SELECT median(a.scale_score) FROM assessments a JOIN enrollment e USING (school_year, student_id)
        WHERE a.school_year = $y AND a.subject = 'Math' AND e.race = $g""", {"y": YEAR, "g": BLACK})
    assert box.set_index("race").loc[BLACK, "median"] == pytest.approx(median)
    assert re.search(rf"from {median:,.0f} \(Black or African American students\)", heads[2])

    for unit, result in (("school", by_school), ("grade", by_grade)):
        look(at, "achievement_closer", f"Gaps by {unit}")
        assert headlines(at)[2] == score_gaps.within_headline(result.indicator, result.table, unit, ["race"],
                                                              "all other students")
        chart = chart_titled(at, f"Math scale score: gaps within each {unit}")
        drawn = rows_with(chart, "hedges_g")
        library = result.table[np.isfinite(result.table["hedges_g"].astype("float64"))]
        assert sorted(drawn["hedges_g"].round(12)) == sorted(library["hedges_g"].round(12))
        assert {"hedges_g_ci_low", "hedges_g_ci_high", "n"} <= set(drawn.columns)
    grades = rows_with(chart_titled(at, "Math scale score: gaps within each grade"), "hedges_g")
    assert list(dict.fromkeys(grades["place"]))[:2] == ["Grade 3", "Grade 4"]
    # Plain SQL: in grade 3, Black students' mean minus every other student's mean (Unknown race included).
    black, others = sample_store.cursor().execute("""
        SELECT avg(a.scale_score) FILTER (WHERE e.race = $g),
               avg(a.scale_score) FILTER (WHERE coalesce(e.race, '') <> $g)
        FROM assessments a LEFT JOIN enrollment e USING (school_year, student_id)
        WHERE a.school_year = $y AND a.subject = 'Math' AND a.grade = '3'""",
                                                  {"y": YEAR, "g": BLACK}).fetchone()
    cell = grades[(grades["place"] == "Grade 3") & (grades["race"] == BLACK)]
    assert cell["mean_difference"].item() == pytest.approx(black - others)
    assert headlines(at)[2].startswith(f"In grade 3, {BLACK} students' mean math scale score was {abs(black - others):.0f} "
                               "points below all other students'")
    assert_no_student_data(at, sample_store)

    # Reading: every section follows the score picked in the gap view.
    select_label(at.selectbox(key="achievement_gap_indicator"), "Reading scale score").run()
    assert_ok(at)
    assert all("reading scale score" in h for h in headlines(at)[1:3])
    look(at, "achievement_closer", "Gaps by school")
    assert title_of(charts(at)[4]).startswith("Reading scale score: gaps within each school")


# ---- Issue 13: the graduation rate by race from a published graduation file, with small counts hidden as
# everywhere (AppTest over a store holding only the graduation file of our own) --------------------------
ROOT = Path(__file__).resolve().parents[2]
GRADUATION_ROWS = [["DBN", "School Name", "Demographic", "Cohort", "Total Cohort", "Total Grads - n",
                    "Total Grads - % of cohort"],
                   ["01X001", "North High", "Total Cohort", "2019", "1,200", "900", "75"],
                   ["01X001", "North High", "Black", "2019", "400", "280", "70"],
                   ["01X001", "North High", "Hispanic", "2019", "300", "210", "70"],
                   ["01X001", "North High", "Asian", "2019", "25", "5", "20"],
                   ["02X002", "South High", "Total Cohort", "2019", "500", "350", "70"],
                   ["02X002", "South High", "Black", "2019", "200", "120", "60"]]


def test_the_achievement_page_shows_graduation_by_race(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "graduation.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(GRADUATION_ROWS)
    db = tmp_path / "store.duckdb"
    assert run_cli("import", str(path), "--db", str(db))[0] == 0
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/achievement.py").run()
    assert_ok(at)
    assert at.selectbox(key="graduation_indicator").options == ["Graduation rate (cohort)"]
    table = next(f.value for f in at.dataframe if "Race/ethnicity" in f.value.columns).set_index("Race/ethnicity")
    assert table["n"].to_dict() == {"Hispanic or Latino": 300, "Asian": 25, "Black or African American": 600}
    black = table.loc["Black or African American"]
    assert black["With outcome"] == 400 and black["Rate"] == pytest.approx(400 / 600)
    # compared with all other students: (900 + 350 - 400) of (1,200 + 500 - 600)
    assert black["Comparison rate"] == pytest.approx(850 / 1100)
    # 5 Asian graduates are a small count: hidden, and Hispanic's with it (else 900 - 280 - 210 - the rest)
    assert table["Suppressed"].to_dict() == {"Hispanic or Latino": True, "Asian": True,
                                            "Black or African American": False}
    assert table.loc[["Asian", "Hispanic or Latino"], "With outcome"].isna().all()
