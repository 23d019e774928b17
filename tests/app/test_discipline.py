"""The Discipline page under AppTest on the synthetic sample district: its widgets, defaults, titles and
numbers, checked against the library and plain SQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fixtures.apptest import assert_ok, charts, dataset_with, plain, select_label, title_of
from fixtures.page_views import (
    BLACK,
    DISCIPLINE_CHARTS,
    EXPULSION,
    FILTERS,
    OSS,
    WHITE,
    YEAR,
    assert_no_student_data,
    chart_titled,
    counts_by_group,
    expected_headline,
    frame_with,
    headline,
    headlines,
    indicator_note,
    look,
    open_page,
    race_noun,
    rows_with,
    sex_noun,
    shown,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.charts import specs as chart_lib
from equity_metrics.cli import main
from equity_metrics.core.constants import GROUP_COLOURS
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import ALL_OTHERS, MetricOptions
from equity_metrics.narrative import discipline_stages as ds
from equity_metrics.narrative import findings
from equity_metrics.storage.store import Store


def test_discipline(at: AppTest, sample_store: Store) -> None:
    at.switch_page("pages/discipline.py").run()
    assert_ok(at)
    assert at.title[0].value == "Discipline"

    picker = at.selectbox(key="discipline_indicator")
    assert picker.label == "Indicator"
    available = [i.label for i in analysis.indicators_with_data(sample_store) if i.domain == "Discipline"
                 and i.kind == "rate"]
    assert picker.options == available
    assert {OSS, EXPULSION, "In-school suspension"} <= set(picker.options)
    assert picker.options[0] == "In-school suspension"  # catalog order
    assert picker.value.label == OSS  # but the page opens on its headline measure (issue 16)

    # The headline, from plain SQL: 360 of 3,061 Black students vs 489 of 12,203 other students.
    counts = counts_by_group(sample_store, OSS, "race")
    assert counts.loc[BLACK].tolist() == [3061, 360]
    expected = expected_headline(counts, "receive an out-of-school suspension", race_noun)
    assert expected == (f"{BLACK} students were 2.9 times as likely as all other students to receive an "
                        "out-of-school suspension (11.8% vs 4.0%)")
    shown = headline(at)
    assert shown.startswith(expected + "; the difference is statistically significant")
    result = analysis.rates(sample_store, "oss", ("race",), Filters(school_years=(YEAR,)))
    assert shown == findings.rate_headline(result.indicator, result.table, ["race"], result.options)

    # The indicator view's three charts: rate, risk ratio, composition (the stages and intersections follow).
    assert len(charts(at)) == DISCIPLINE_CHARTS
    rate_chart, ratio_chart, composition_chart = charts(at)[:3]
    assert title_of(rate_chart) == f"{OSS}: District, all grades, {YEAR}, by race/ethnicity"
    assert title_of(ratio_chart) == f"Risk ratio vs all other students, District, all grades, {YEAR}, by race/ethnicity"
    assert title_of(composition_chart) == (f"Share of students vs share of out-of-school suspension, District, all grades, "
                                           f"{YEAR}, by race/ethnicity")

    rates = dataset_with(rate_chart, "numerator").set_index("race")
    assert rates.loc[BLACK, ["numerator", "denominator"]].tolist() == [360, 3061]
    assert rates.loc[BLACK, "rate"] == pytest.approx(360 / 3061)
    # Groups with fewer than 10 students with the event are not drawn (privacy).
    assert "Native Hawaiian or Other Pacific Islander" not in rates.index
    total_k, total_n = counts["k"].sum(), counts["n"].sum()
    reference = dataset_with(rate_chart, "label")
    assert reference["label"].tolist() == [f"All students: {total_k / total_n:.1%}"] == ["All students: 5.6%"]

    ratios = dataset_with(ratio_chart, "risk_ratio_ci_low").set_index("race")
    others = counts.drop(index=BLACK).sum()  # every other student, Unknown included
    assert ratios.loc[BLACK, "risk_ratio"] == pytest.approx((360 / 3061) / (others.k / others.n))
    lines = dataset_with(ratio_chart, "label")
    assert lines["risk_ratio"].tolist() == [1.0, 3.0]
    assert "3 = disproportionality threshold" in lines["label"].tolist()
    assert '"type": "log"' in ratio_chart.proto.spec

    # Shares are of all students (Unknown race included).
    shares = dataset_with(composition_chart, "share").query("group == 'Black'").set_index("measure")["share"]
    assert shares["Share of students"] == pytest.approx(3061 / counts["n"].sum())
    assert shares["Share of out-of-school suspension"] == pytest.approx(360 / counts["k"].sum())

    assert indicator_note(at)
    table = at.expander[0].dataframe[0].value  # the table in "Table: every group..."
    assert table.set_index("Race/ethnicity").loc[BLACK, "With outcome"] == 360


def test_discipline_interactions(at: AppTest, sample_store: Store) -> None:
    at.switch_page("pages/discipline.py").run()
    select_label(at.selectbox(key="discipline_indicator"), OSS).run()
    assert_ok(at)
    by_race = headline(at)

    # Student groups -> Sex: a new headline, from plain SQL.
    select_label(at.sidebar.selectbox(key="filter_dimension"), "Sex").run()
    assert_ok(at)
    assert at.selectbox(key="discipline_indicator").value.label == OSS  # the page kept its indicator
    by_sex = headline(at)
    assert by_sex != by_race
    expected = expected_headline(counts_by_group(sample_store, OSS, "sex"), "receive an out-of-school suspension",
                                 sex_noun)
    assert expected == ("Male students were 2.0 times as likely as all other students to receive an "
                        "out-of-school suspension (7.4% vs 3.7%)")
    assert by_sex.startswith(expected)
    assert len(charts(at)) == DISCIPLINE_CHARTS
    drawn = set(dataset_with(charts(at)[0], "numerator")["sex"])
    assert "Male" in drawn and "Nonbinary" not in drawn  # 3 nonbinary students suspended: under 10, hidden
    note = indicator_note(at)
    for group in {"Female", "Male", "Nonbinary"} - drawn:  # no group disappears without a note
        assert f"{group} students: " in note, note

    # Back to race, compared with White students.
    select_label(at.sidebar.selectbox(key="filter_dimension"), "Race/ethnicity").run()
    at.sidebar.selectbox(key="filter_comparison").select("White").run()
    assert_ok(at)
    vs_white = headline(at)
    assert "as likely as White students" in vs_white
    expected = expected_headline(counts_by_group(sample_store, OSS, "race"), "receive an out-of-school suspension",
                                 race_noun, comparison="White")
    assert expected == (f"{BLACK} students were 3.3 times as likely as White students to receive an "
                        "out-of-school suspension (11.8% vs 3.5%)")
    assert vs_white.startswith(expected)
    assert title_of(charts(at)[1]) == f"Risk ratio vs White students, District, all grades, {YEAR}, by race/ethnicity"

    # Another indicator: Expulsion (still against White students, then all others).
    select_label(at.selectbox(key="discipline_indicator"), EXPULSION).run()
    assert_ok(at)
    expulsions = counts_by_group(sample_store, EXPULSION, "race")
    versus_white = analysis.rates(sample_store, "expulsion", ("race",), Filters(school_years=(YEAR,)),
                                  MetricOptions(comparison="White")).table.set_index("race")
    if pd.isna(versus_white.loc["White", "numerator"]):  # White students' count is hidden (privacy): no comparison
        assert headline(at).startswith("Expulsion: no group could be compared with these filters")
    else:
        assert headline(at).startswith(expected_headline(expulsions, "be expelled", race_noun, comparison="White"))
    assert title_of(charts(at)[0]) == f"{EXPULSION}: District, all grades, {YEAR}, by race/ethnicity"
    at.sidebar.selectbox(key="filter_comparison").select(ALL_OTHERS).run()
    assert_ok(at)
    library = analysis.rates(sample_store, "expulsion", ("race",), Filters(school_years=(YEAR,))).table
    if library["risk_ratio"].notna().any():
        expected = expected_headline(expulsions, "be expelled", race_noun)
    else:  # the district's expulsions are so few that their total is hidden too: nothing is compared
        expected = "Expulsion: no group could be compared with these filters"
    assert headline(at).startswith(expected)

    # A stricter minimum group size hides the small groups' rates but keeps the large ones.
    at.sidebar.number_input(key="filter_min_n").set_value(1000).run()
    assert_ok(at)
    drawn = set(dataset_with(charts(at)[0], "numerator")["race"])
    assert BLACK in drawn and "Two or more races" not in drawn  # 599 students < 1,000
    assert headline(at).startswith(expected)


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
    for note in ds.stage_hidden_notes(result):
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
    assert headlines(at)[1] == findings.rate_headline(by_disability.indicator, by_disability.table,
                                                 ["race", "disability"], by_disability.options)
    assert title_of(chart_titled(at, f"{OSS} by race/ethnicity and disability (IDEA)"))
    look(at, "discipline_closer", "Race × sex")
    heads = headlines(at)
    assert heads[1] == findings.rate_headline(by_sex.indicator, by_sex.table, ["race", "sex"], by_sex.options)
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
    assert headlines(at)[1] == findings.rate_headline(versus_white.indicator, versus_white.table, ["race", "sex"],
                                                 versus_white.options)
    assert "as likely as White students" in headlines(at)[1]

    # A comparison group of another dimension: intersections fall back to all other students, and say so.
    select_label(at.sidebar.selectbox(key="filter_dimension"), "Sex").run()
    at.sidebar.selectbox(key="filter_comparison").select("Female").run()
    look(at, "discipline_closer", "Race × disability")
    assert any("compared with all other students (Female students are not a race/ethnicity or disability (IDEA) "
               "group)" in c.value for c in at.caption)
    assert len(charts(at)) == 4  # the main view's three and the chosen intersection


def test_a_school_chosen_is_named_in_every_title_caption_and_file_name(at: AppTest) -> None:
    """Issue 16: a school's chart cannot pass for the district's."""
    at.switch_page("pages/discipline.py").run()
    school = next(s for s in at.sidebar.selectbox(key="filter_school").options if "Middle" in s)
    at.sidebar.selectbox(key="filter_school").select(school).run()
    at.sidebar.selectbox(key="filter_grade_band").select("Middle (6-8)").run()
    assert_ok(at)
    where = f"{school}, grades 6-8, {YEAR}"
    assert any(plain(c.value) == f"{where}, by race/ethnicity" for c in at.caption), (
        [c.value for c in at.caption], [m.value for m in at.markdown][:8], [i.value for i in at.info])
    titles = [title_of(c) for c in charts(at)]
    assert titles and all(where in t for t in titles), titles


def test_hidden_cells_of_every_table_are_blank_not_none(at: AppTest) -> None:
    """Issue 16: a hidden or uncalculated value is an empty cell (Streamlit's default shows 'None')."""
    at.switch_page("pages/discipline.py").run()
    tables = list(at.dataframe)
    assert tables and all(t.proto.HasField("placeholder") and t.proto.placeholder == "" for t in tables)


GA_FILE = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "ga_discipline" / "discipline_by_subgroup.csv"


@pytest.mark.skipif(not GA_FILE.exists(), reason="the shared corpus is not here")
def test_discipline_shows_the_shares_of_a_loaded_disproportionality_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_point_always_runs: None) -> None:
    """Issue 13: a store holding only Georgia's shares of enrollment and of the disciplined (kind representation):
    the Discipline page says there is no student data and shows the shares (corpus figures 1 and 3), no exception."""
    db = tmp_path / "ga.duckdb"
    assert main(["import", str(GA_FILE), "--db", str(db), "--year", "2016-17"]) == 0
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/discipline.py").run()
    assert_ok(at)
    assert at.selectbox(key="representation_year").value == "2016-17"
    state = frame_with(at, "Share of the disciplined (%)").set_index("Group")
    assert state.loc["Black", ["Share of enrollment (%)", "Share of the disciplined (%)", "Gap (points)"]].tolist() \
        == [37.8, 50.1, 12.3]
    assert state.loc["Black", "Over or under"] == "overrepresented"
    at.radio(key="representation_level").set_value("district").run()
    at.text_input(key="representation_unit").set_value("Atlanta Public Schools").run()
    assert_ok(at)
    atlanta = frame_with(at, "Share of the disciplined (%)").set_index("Group")
    assert atlanta.loc["Black", "Enrollment"] == 44378 and atlanta.loc["Black", "Gap (points)"] == 9.2
    assert any("Percentages, not counts" in c.value for c in at.caption)
