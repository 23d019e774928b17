"""The Discipline page's stages and intersections and the Achievement page's distributions and gaps by school
and grade, under AppTest on the synthetic sample district.

Each number is checked against the library (so the page is wired right) and at least one against plain SQL
over the canonical tables (so what a school board reads is right whatever the library does). Every chart's
data is checked for what must never be in it: a student ID, an individual score, a hidden count.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from fixtures.apptest import assert_ok, charts, datasets_of, plain, select_label, title_of
from streamlit.testing.v1 import AppTest

from equity_metrics.charts import specs as chart_lib
from equity_metrics.core.constants import GROUP_COLOURS
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative import discipline_stages as ds
from equity_metrics.narrative import findings, score_gaps
from equity_metrics.narrative import score_distribution as sd
from equity_metrics.storage.store import Store

YEAR = "2024-25"
BLACK = "Black or African American"
WHITE = "White"
FILTERS = Filters(school_years=(YEAR,))
OSS = "Out-of-school suspension"


def open_page(app: AppTest, name: str) -> AppTest:
    app.switch_page(f"pages/{name}.py").run()
    assert_ok(app)
    return app


def look(app: AppTest, key: str, label: str) -> AppTest:
    """Pick one closer look below a page's main view (only the chosen one is drawn)."""
    app.button_group(key=key).set_value(label).run()
    assert_ok(app)
    return app


def headlines(app: AppTest) -> list[str]:
    return [plain(m.value.removeprefix("#### ")) for m in app.markdown if m.value.startswith("#### ")]


def chart_titled(app: AppTest, start: str):
    found = [c for c in charts(app) if title_of(c).startswith(start)]
    assert len(found) == 1, [title_of(c) for c in charts(app)]
    return found[0]


def rows_with(chart, column: str) -> pd.DataFrame:
    """The group rows of a chart that carry `column` (every panel's; not the reference lines' data)."""
    frames = [d for d in datasets_of(chart) if column in d.columns and "group" in d.columns]
    assert frames, title_of(chart)
    return pd.concat(frames, ignore_index=True)


def assert_no_student_data(app: AppTest, store: Store) -> None:
    """No chart of the page carries a student ID, a name column or a single score column."""
    ids = set(store.query("SELECT DISTINCT student_id FROM enrollment")["student_id"])
    for chart in charts(app):
        for frame in datasets_of(chart):
            assert not {"student_id", "first_name", "last_name", "scale_score"} & set(frame.columns)
            values = {str(v) for v in frame.to_numpy().ravel() if isinstance(v, str)}
            assert not values & ids, title_of(chart)


def shown(table: pd.DataFrame, **match: str) -> pd.DataFrame:
    mask = ~table["suppressed"].astype(bool)
    for column, value in match.items():
        mask &= table[column] == value
    return table[mask]


# ---- Discipline ---------------------------------------------------------------------------------------------
def test_discipline_stages(at: AppTest, sample_store: Store) -> None:
    open_page(at, "discipline")
    select_label(at.selectbox(key="discipline_indicator"), OSS).run()
    assert_ok(at)
    assert len(charts(at)) == 3  # the main view alone: closer looks are drawn when picked
    look(at, "discipline_closer", "From referral to expulsion")
    result = ds.staged_rates(sample_store, ("race",), FILTERS, MetricOptions())
    heads = headlines(at)
    assert heads[1] == ds.stage_headline(result)
    assert heads[2] == ds.conditional_headline(result)

    per_chart = chart_titled(at, "Each discipline stage per enrolled student")
    drawn = rows_with(per_chart, "rate")
    expected = shown(result.per_student)
    assert len(drawn) == len(expected)
    merged = drawn.merge(expected, on=["stage_label", "race"], suffixes=("", "_library"))
    assert len(merged) == len(expected)
    assert merged["rate"].tolist() == pytest.approx(merged["rate_library"].tolist())
    assert merged["rate_ci_low"].tolist() == pytest.approx(merged["rate_ci_low_library"].tolist())
    assert list(dict.fromkeys(drawn["stage_label"])) == ["Referral", "In-school suspension", OSS, "Expulsion"]
    # Every hidden row is named in the chart with a reason, and under it.
    reasons = rows_with(per_chart, "reason")  # panels with the same hidden rows share one dataset
    hidden = result.per_student[result.per_student["suppressed"]]
    assert set(reasons["group"]) == set(chart_lib.group_labels(hidden, ["race"])) and len(hidden) > 0
    assert set(reasons["reason"]) <= {"hidden", "too few", "not shown"}

    of_referred = rows_with(chart_titled(at, "Of the students referred"), "rate")
    black_oss = of_referred[(of_referred["stage_label"] == OSS) & (of_referred["race"] == BLACK)]
    # Plain SQL: of the Black students with any disciplinary action, the share suspended out of school.
    suspended, referred = sample_store.cursor().execute("""
        SELECT count(DISTINCT d.student_id) FILTER (WHERE d.action = 'Out-of-school suspension'),
               count(DISTINCT d.student_id)
        FROM discipline d JOIN enrollment e USING (school_year, student_id)
        WHERE d.school_year = $y AND e.race = $g""", {"y": YEAR, "g": BLACK}).fetchone()
    assert (suspended, referred) == (360, 626)
    assert black_oss["rate"].item() == pytest.approx(suspended / referred)
    assert (black_oss["numerator"].item(), black_oss["denominator"].item()) == (360, 626)

    notes = [plain(c.value) for c in at.caption if plain(c.value).startswith("Not fully shown: ")]
    for note in ds.hidden_notes(result):
        assert any(note in n for n in notes), note

    # The stage table: hidden counts stay hidden in what can be downloaded.
    stage_tables = [d.value for d in at.dataframe if "Stage" in d.value.columns]
    assert len(stage_tables) == 1
    table = stage_tables[0]
    assert len(table) == len(result.table)
    assert table["Students at the stage"].isna().sum() == result.table["numerator"].isna().sum()
    assert_no_student_data(at, sample_store)


def test_discipline_intersections(at: AppTest, sample_store: Store) -> None:
    open_page(at, "discipline")
    select_label(at.selectbox(key="discipline_indicator"), OSS).run()
    assert_ok(at)
    by_sex = analysis.rates(sample_store, "oss", ("sex", "race"), FILTERS)
    by_disability = analysis.rates(sample_store, "oss", ("disability", "race"), FILTERS)
    look(at, "discipline_closer", "Race × disability")
    assert headlines(at)[1] == findings.headline(by_disability.indicator, by_disability.table,
                                                 ["race", "disability"], by_disability.options)
    assert title_of(chart_titled(at, f"{OSS} by race/ethnicity and disability (IDEA)"))
    look(at, "discipline_closer", "Race × sex")
    heads = headlines(at)
    assert heads[1] == findings.headline(by_sex.indicator, by_sex.table, ["race", "sex"], by_sex.options)
    lead = by_sex.table.loc[by_sex.table["risk_ratio"].astype("float64").idxmax()]
    assert heads[1].startswith(f"{lead['race']} {lead['sex'].lower()} students were ")

    sex_chart = chart_titled(at, f"{OSS} by race/ethnicity and sex")
    drawn = rows_with(sex_chart, "rate")
    library = shown(by_sex.table)
    assert sorted(drawn["rate"].round(12)) == sorted(library["rate"].round(12))
    # Plain SQL: Black boys' out-of-school suspension rate.
    k, n = sample_store.cursor().execute("""
        SELECT count(DISTINCT d.student_id), (SELECT count(*) FROM enrollment
                                              WHERE school_year = $y AND race = $g AND sex = 'Male')
        FROM discipline d JOIN enrollment e USING (school_year, student_id)
        WHERE d.school_year = $y AND e.race = $g AND e.sex = 'Male' AND d.action = $a""",
                                           {"y": YEAR, "g": BLACK, "a": OSS}).fetchone()
    black_boys = drawn[(drawn["race"] == BLACK) & (drawn["sex"] == "Male")]
    if len(black_boys):
        assert black_boys["rate"].item() == pytest.approx(k / n)
        assert (black_boys["numerator"].item(), black_boys["denominator"].item()) == (k, n)
    else:  # hidden to protect small counts (Nonbinary students of several races): not drawn, and noted
        row = by_sex.table[(by_sex.table["race"] == BLACK) & (by_sex.table["sex"] == "Male")].iloc[0]
        assert row["suppressed"] and "hidden (privacy" in row["note"]
    # Rows named by race within each panel, each race in its own colour in every panel.
    assert set(drawn["group"]) <= {"Hispanic/Latino", "Black", "White", "Asian", "Two or more races",
                                   "American Indian/Alaska Native", "Pacific Islander", "Unknown"}
    spec = json.loads(sex_chart.proto.spec)
    assert spec["resolve"]["scale"]["color"] == "independent"
    male_panel = next(p for p in spec["vconcat"] if p["title"]["text"] == ["Male"])
    scale = male_panel["layer"][0]["encoding"]["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colours and all(colours[group] == GROUP_COLOURS[group] for group in colours)
    # Hidden intersections are named under the chart, with both dimensions.
    hidden = by_sex.table[by_sex.table["suppressed"]]
    assert len(hidden) > 0
    noun = findings.group_noun({"race": hidden.iloc[0]["race"], "sex": hidden.iloc[0]["sex"]})
    assert any(f"{noun}: " in plain(c.value) for c in at.caption)

    # Compared with White students: Black girls vs White girls.
    at.sidebar.selectbox(key="filter_comparison").select(WHITE).run()
    assert_ok(at)
    versus_white = analysis.rates(sample_store, "oss", ("sex", "race"), FILTERS, MetricOptions(comparison=WHITE))
    assert headlines(at)[1] == findings.headline(versus_white.indicator, versus_white.table, ["race", "sex"],
                                                 versus_white.options)
    assert "as likely as White students" in headlines(at)[1]

    # A comparison group of another dimension: intersections fall back to all other students, and say so.
    select_label(at.sidebar.selectbox(key="filter_dimension"), "Sex").run()
    at.sidebar.selectbox(key="filter_comparison").select("Female").run()
    look(at, "discipline_closer", "Race × disability")
    assert any("compared with all other students (Female students are not a race/ethnicity or disability (IDEA) "
               "group)" in c.value for c in at.caption)
    assert len(charts(at)) == 4  # the main view's three and the chosen intersection


# ---- Achievement --------------------------------------------------------------------------------------------
def test_achievement_distributions_and_gaps_within(at: AppTest, sample_store: Store) -> None:
    open_page(at, "achievement")
    assert len(charts(at)) == 4  # proficiency (three charts) and the score gap: closer looks when picked
    look(at, "achievement_closer", "Score distributions")
    heads = headlines(at)
    distribution = sd.score_distribution(sample_store, "math_scale_score", ("race",), FILTERS)
    by_school = score_gaps.gaps_within(sample_store, "math_scale_score", "school", ("race",), FILTERS)
    by_grade = score_gaps.gaps_within(sample_store, "math_scale_score", "grade", ("race",), FILTERS)
    assert heads[2] == sd.distribution_headline(distribution)

    box = rows_with(chart_titled(at, "Math scale score: distribution by group"), "median")
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
