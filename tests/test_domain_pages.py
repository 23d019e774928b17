"""The domain pages (Course access, Achievement, Special education, Staffing, Climate, Schools, Trends) under
AppTest on the synthetic sample district, and the small library modules behind them against hand-worked
examples.

Each page is checked against the library (so it is wired right) and, for at least one number, against plain
SQL over the canonical tables (so what a school board reads is right whatever the library does).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.apptest import assert_ok, charts, dataset_with, datasets_of, metric, plain, select_label, title_of
from streamlit.testing.v1 import AppTest

from equity_metrics.core.constants import RACE_LABELS, UNKNOWN
from equity_metrics.measures import analysis, rules
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.course_access import missing_seats
from equity_metrics.measures.disproportionality import disproportionality_table
from equity_metrics.measures.indicators import INDICATORS, indicators_in
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.measures.rules import MultiYearRule
from equity_metrics.narrative import findings, score_gaps
from equity_metrics.storage.store import Store, delete_dataset
from views.text import escape_markdown

YEAR = "2024-25"
YEARS = ("2022-23", "2023-24", "2024-25")
BLACK = "Black or African American"
HISPANIC = "Hispanic or Latino"
WHITE = "White"
FILTERS = Filters(school_years=(YEAR,))
OPTIONS = MetricOptions()


def open_page(app: AppTest, name: str) -> AppTest:
    app.switch_page(f"pages/{name}.py").run()
    assert_ok(app)
    return app


def headlines(app: AppTest) -> list[str]:
    return [plain(m.value.removeprefix("#### ")) for m in app.markdown if m.value.startswith("#### ")]


def frame_with(app: AppTest, column: str) -> pd.DataFrame:
    """The one table of the page that has this column."""
    frames = [d.value for d in app.dataframe if column in d.value.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in app.dataframe]
    return frames[0]


def scalar(store: Store, sql: str, params: dict) -> float:
    return store.cursor().execute(sql, params).fetchone()[0]


# ---- library modules against hand-worked examples ----------------------------------------------------------
def rate_rows(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["race", "denominator", "numerator", "rate", "comparison_rate", "suppressed",
                                       "note"])


def test_missing_seats_hand_example() -> None:
    table = rate_rows([
        # 400 students, 40 enrolled (10%); others 25%: 0.25 * 400 - 40 = 60 missing seats.
        ("A", 400, 40, 0.10, 0.25, False, ""),
        # 0.2 * 333 - 50 = 16.6 -> 16 (rounded down).
        ("B", 333, 50, 50 / 333, 0.20, False, ""),
        # Above the comparison rate: none missing (never negative).
        ("C", 100, 40, 0.40, 0.20, False, ""),
        # 0.3 * 100 - 20 = 10.000000000000002 or 9.99...: exactly 10 whole students.
        ("D", 100, 20, 0.20, 0.30, False, ""),
        # Hidden: never computed from its counts.
        ("E", 50, np.nan, np.nan, np.nan, True, "count under 10 hidden (privacy)"),
        # Shown rate but no comparison (e.g. the comparison group itself): left out.
        ("F", 200, 30, 0.15, np.nan, False, "comparison group"),
    ])
    table["numerator"] = table["numerator"].astype("Int64")
    seats = missing_seats(table, ["race"])
    assert seats["race"].tolist() == ["A", "B", "C", "D"]
    assert seats["missing_seats"].tolist() == [60, 16, 0, 10]
    assert seats["expected_at_comparison_rate"].tolist() == pytest.approx([100, 66.6, 20, 30])


def test_gap_sentence_hand_example() -> None:
    indicator = INDICATORS["math_scale_score"]
    row = pd.Series({"race": BLACK, "mean_difference": -45.2, "hedges_g": -0.4912, "hedges_g_ci_low": -0.551,
                     "hedges_g_ci_high": -0.4349, "suppressed": False, "note": ""})
    assert score_gaps.gap_sentence(indicator, row, ["race"], "all other students") == (
        "Black or African American students' mean math scale score was 45 points below all other students' "
        "(Hedges' g \u22120.49, 95% CI \u22120.55 to \u22120.43).")
    above = row.copy()
    above[["mean_difference", "hedges_g", "hedges_g_ci_low", "hedges_g_ci_high"]] = [3.25, 0.04, -0.02, 0.1]
    above["race"] = "Two or more races"
    assert score_gaps.gap_sentence(indicator, above, ["race"], "White students") == (
        "Students of two or more races' mean math scale score was 3.2 points above White students' "
        "(Hedges' g 0.04, 95% CI \u22120.02 to 0.10).")
    hidden = row.copy()
    hidden[["mean_difference", "suppressed", "note"]] = [np.nan, True, "fewer than 10 students: hidden (privacy)"]
    assert score_gaps.gap_sentence(indicator, hidden, ["race"], "all other students") == (
        "Black or African American students: no gap shown (fewer than 10 students: hidden (privacy)).")
    # The headline picks the largest disadvantage: the lowest g when a higher score is better.
    table = pd.DataFrame([row, above, hidden]).reset_index(drop=True)
    assert score_gaps.largest_gap(table, indicator)["race"] == BLACK


def test_disproportionality_hand_example() -> None:
    rows = []
    ratios = {"A": [3.2, 3.5, 3.1], "B": [3.5, 2.9, 3.4], "C": [2.0, 3.0, 3.0], "D": [np.nan, 4.0, 4.0]}
    for race, values in ratios.items():
        for year, value in zip(YEARS, values, strict=True):
            rows.append({"school_year": year, "race": race, "denominator": 100, "numerator": 20,
                         "risk_ratio": value, "risk_ratio_ci_low": value - 1, "risk_ratio_ci_high": value + 1,
                         "note": "" if np.isfinite(value) else "fewer than 30 students"})
    rows.append({"school_year": YEAR, "race": UNKNOWN, "denominator": 40, "numerator": 5, "risk_ratio": np.nan,
                 "risk_ratio_ci_low": np.nan, "risk_ratio_ci_high": np.nan, "note": "not compared"})
    options = MetricOptions(min_n=30, min_cell=10)
    table = disproportionality_table({"x": pd.DataFrame(rows)}, options, MultiYearRule(threshold=3.0))
    assert table["race"].tolist() == ["A", "B", "C", "D"]  # Unknown is never compared
    # Above 3.0 in each of the last 3 years: only A (B dipped, C equals 3.0, D was not calculated in year 1).
    assert table["above_threshold_each_year"].tolist() == [True, False, False, False]
    assert table["above_threshold_latest"].tolist() == [True, True, False, True]
    assert table["years_above"].tolist() == [3, 2, 0, 2]
    assert table["risk_ratio"].tolist() == [3.1, 3.4, 3.0, 4.0]
    assert (table["min_n"] == 30).all() and (table["min_cell"] == 10).all() and (table["threshold"] == 3.0).all()
    assert table["risk_ratio_2022-23"].tolist()[:3] == [3.2, 3.5, 2.0]
    # "At or above" (Maryland): C's 3.0 now counts in the last two years, not in the first.
    inclusive = disproportionality_table({"x": pd.DataFrame(rows)}, options, MultiYearRule(3.0, inclusive=True))
    assert inclusive["above_threshold_each_year"].tolist() == [True, False, False, False]
    assert inclusive["years_above"].tolist() == [3, 2, 2, 2]
    two_years = disproportionality_table({"x": pd.DataFrame(rows)}, options, MultiYearRule(3.0, years=2))
    assert two_years["above_threshold_each_year"].tolist() == [True, False, False, True]


def test_survey_can_be_split_by_construct(sample_store: Store) -> None:
    result = analysis.rates(sample_store, "student_survey_favorable", ("construct", "race"), FILTERS)
    assert set(result.table["construct"]) == {"Safety", "Belonging", "Teacher-student relationships",
                                              "Fair discipline"}


# ---- the pages ---------------------------------------------------------------------------------------------
def test_navigation_order() -> None:
    source = (Path(__file__).resolve().parent.parent / "app.py").read_text()
    titles = re.findall(r'st\.Page\("pages/\w+\.py", title="([^"]+)"', source)
    assert titles == ["Overview", "Discipline", "Course access", "Achievement", "Special education", "Staffing",
                      "Climate", "Schools", "Trends", "Goals", "Report", "Present", "Data"]


def test_course_access(at: AppTest, sample_store: Store) -> None:
    open_page(at, "course_access")
    assert at.title[0].value == "Course access"
    picker = at.selectbox(key="course_access_indicator")
    expected = [i.label for i in analysis.indicators_with_data(sample_store)
                if i.domain == "Course access" and i.kind == "rate"]
    assert picker.options == expected and len(expected) == 8
    assert picker.value.id == "ap_enrollment"
    result = analysis.rates(sample_store, "ap_enrollment", ("race",), FILTERS, OPTIONS)
    assert headlines(at) == [findings.headline(result.indicator, result.table, ["race"], OPTIONS)]
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
    sentence = score_gaps.headline(gaps.indicator, gaps.table, ["race"], OPTIONS.comparison_label)
    assert headlines(at)[1] == sentence
    assert sentence.startswith(f"{BLACK} students' mean math scale score was ")
    gap_data = dataset_with(charts(at)[3], "hedges_g")
    library = gaps.table[gaps.table["hedges_g"].notna()]
    assert gap_data["hedges_g"].tolist() == pytest.approx(library["hedges_g"].tolist())
    assert {"hedges_g_ci_low", "hedges_g_ci_high", "n", "mean_difference"} <= set(gap_data.columns)
    assert metric(at, "Eta squared (race/ethnicity)") == f"{gaps.summary['eta_squared'].iloc[0]:.3f}"

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


def test_staffing(at: AppTest, sample_store: Store) -> None:
    open_page(at, "staffing")
    assert at.title[0].value == "Staffing"
    assert len(charts(at)) == 5  # composition, four-fifths, retention (rate, ratio, composition)
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


def test_staffing_falls_back_to_race(at: AppTest) -> None:
    select_label(at.sidebar.selectbox(key="filter_dimension"), "Low income").run()
    open_page(at, "staffing")
    assert any("cannot be split by low income" in c.value for c in at.caption)
    assert len(charts(at)) == 5


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
    assert headlines(at) == [f"In {YEAR}: " + findings.headline(INDICATORS["oss"], latest, ["race"], OPTIONS)]
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


# ---- a district that loaded only its enrollment roster ------------------------------------------------------
@pytest.fixture()
def roster_only(monkeypatch: pytest.MonkeyPatch, sample_db, entry_point_always_runs: None) -> AppTest:
    """The app on a store holding only the sample's enrollment rosters (every other file deleted)."""
    with Store(sample_db) as store:
        for dataset_id, kind in store.query("SELECT dataset_id, kind FROM datasets").itertuples(index=False):
            if kind != "enrollment":
                delete_dataset(store, int(dataset_id))
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(sample_db))
    app = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    app.run()
    assert_ok(app)
    return app


@pytest.mark.parametrize(("page", "message"), [
    ("achievement", "No test scores yet: load state assessment results"),
    ("staffing", "Load a staff file"),
    ("climate", "No survey data yet: load climate survey responses"),
])
def test_friendly_empty_states(roster_only: AppTest, page: str, message: str) -> None:
    open_page(roster_only, page)
    assert any(message in box.value for box in roster_only.info), [box.value for box in roster_only.info]
    assert not charts(roster_only)


def test_pages_with_partial_data(roster_only: AppTest) -> None:
    """Gifted and special education identification need only the roster: those pages show just them (the IDEA
    table has one indicator), and Schools and Trends offer what the roster supports."""
    open_page(roster_only, "course_access")
    assert roster_only.selectbox(key="course_access_indicator").options == ["Gifted identification"]
    assert len(charts(roster_only)) == 3
    open_page(roster_only, "special_education")
    assert roster_only.selectbox(key="special_education_indicator").options == ["Special education identification"]
    assert set(frame_with(roster_only, "Threshold")["Indicator"]) == {"Special education identification"}
    for page, expected in (("schools", 1), ("trends", 2)):  # trends: the rates and how much race predicts them
        open_page(roster_only, page)
        assert len(charts(roster_only)) == expected
