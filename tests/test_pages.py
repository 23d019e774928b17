"""Every page of the app under Streamlit's AppTest, on the synthetic sample district.

The numbers a page shows are checked two ways: against the library (`equity_metrics.measures.analysis`, so the page
wires it correctly) and against plain SQL over the canonical `enrollment` and `discipline` tables (so the
headline a school board reads is right, whatever the library does).

AppTest and a `pages/` folder: the app keeps its pages in `pages/` *and* uses `st.navigation`. Streamlit
1.67 still treats an app with a `pages/` folder as a v1 multipage app until `st.navigation` has run once in
the process (`PagesManager.uses_pages_directory`), and AppTest resets that flag before every run. Without
help, every AppTest run after the first executes the page file alone, without `app.py`: no sidebar, stale
filters. `entry_point_always_runs` puts the flag where a running server has it after its first page view.
(The same flag governs a page URL opened as the first request of a fresh server; test_browser.py checks
that the app recovers from it.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from fixtures import roster  # tests/ is on sys.path (pytest's rootdir-relative import)
from fixtures.apptest import assert_ok, charts, dataset_with, metric, plain, select_label, title_of
from streamlit.testing.v1 import AppTest

from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import ALL_OTHERS, MetricOptions
from equity_metrics.narrative import findings
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
YEAR = "2024-25"
BLACK = "Black or African American"
OSS = "Out-of-school suspension"
EXPULSION = "Expulsion"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"




# ---- fixtures and helpers ----------------------------------------------------------------------------------
def headline(app: AppTest) -> str:
    """The indicator view's headline: the first generated headline of the page (the Discipline page adds the
    stages' and the intersections' headlines below it)."""
    heads = [m.value for m in app.markdown if m.value.startswith("#### ")]
    assert heads, "the page has no headline"
    return plain(heads[0].removeprefix("#### "))


def indicator_note(app: AppTest) -> str:
    """The note under the indicator view's charts: the first "Not fully shown" caption of the page."""
    notes = [plain(c.value) for c in app.caption if plain(c.value).startswith("Not fully shown: ")]
    assert notes, [c.value for c in app.caption]
    return notes[0]


DISCIPLINE_CHARTS = 3  # rate, risk ratio, composition (closer looks are drawn when picked)


def enrolled(store: Store, year: str) -> int:
    return int(store.cursor().execute("SELECT count(*) FROM enrollment WHERE school_year = ?", [year]).fetchone()[0])


def counts_by_group(store: Store, action: str, dimension: str, year: str = YEAR) -> pd.DataFrame:
    """Per group: n = students enrolled in `year`, k = those with at least one `action` that year."""
    assert dimension in ("race", "sex")  # a column name, never user input
    rows = store.cursor().execute(f"""
        WITH roster AS (
            SELECT student_id, coalesce({dimension}, 'Unknown') AS grp FROM enrollment WHERE school_year = $year
        ),
        acted AS (
            SELECT DISTINCT student_id FROM discipline WHERE school_year = $year AND action = $action
        )
        SELECT grp, count(*) AS n, count(acted.student_id) AS k
        FROM roster LEFT JOIN acted USING (student_id) GROUP BY grp ORDER BY grp
    """, {"year": year, "action": action}).fetchall()
    return pd.DataFrame(rows, columns=["group", "n", "k"]).set_index("group")


def expected_headline(counts: pd.DataFrame, event: str, noun, comparison: str | None = None) -> str:
    """The sentence for the group with the largest risk ratio among groups large enough to compare
    (n >= 30 students, k >= 10 with the event: the IDEA minimums the sidebar defaults to). "All other
    students" are every other student (Unknown included); Unknown itself is never compared."""
    known = counts.drop(index="Unknown", errors="ignore")
    ratios = {}
    for group, row in known.iterrows():
        if group == comparison:
            continue
        c, m = (known.loc[comparison, ["k", "n"]] if comparison else counts.drop(index=group)[["k", "n"]].sum())
        if row.n >= 30 and row.k >= 10 and m >= 30 and c >= 10:
            ratios[group] = ((row.k / row.n) / (c / m), row.k / row.n, c / m)
    group = max(ratios, key=lambda g: ratios[g][0])
    ratio, rate, comparison_rate = ratios[group]
    assert ratio > 1
    versus = f"{comparison} students" if comparison else "all other students"
    return (f"{noun(group)} were {ratio:.1f} times as likely as {versus} to {event} "
            f"({rate:.1%} vs {comparison_rate:.1%})")


def race_noun(group: str) -> str:
    return "Students of two or more races" if group == "Two or more races" else f"{group} students"


def sex_noun(group: str) -> str:
    return f"{group} students"


# ---- the pages -------------------------------------------------------------------------------------------
def test_sidebar_filters(at: AppTest, sample_store: Store) -> None:
    sidebar = at.sidebar
    year = sidebar.selectbox(key="filter_year")
    assert year.label == "School year"
    assert year.value == YEAR
    sql_years = [r[0] for r in sample_store.cursor().execute(
        "SELECT DISTINCT school_year FROM enrollment ORDER BY 1 DESC").fetchall()]
    assert year.options == sql_years == ["2024-25", "2023-24", "2022-23"]

    school = sidebar.selectbox(key="filter_school")
    assert school.label == "School"
    assert school.value == "All schools (district)"
    sql_schools = sorted(r[0] for r in sample_store.cursor().execute(
        "SELECT DISTINCT coalesce(s.school_name, e.school_id) FROM enrollment e "
        "LEFT JOIN schools s USING (school_id)").fetchall())
    assert school.options == ["All schools (district)", *sql_schools]

    band = sidebar.selectbox(key="filter_grade_band")
    assert band.label == "Grade band"
    assert band.value == "All grades"
    assert band.options == ["All grades", "Elementary (PK-5)", "Middle (6-8)", "High (9-12)"]

    groups = sidebar.selectbox(key="filter_dimension")
    assert groups.label == "Student groups"
    assert groups.value == "race"
    assert groups.options[0] == "Race/ethnicity" and "Sex" in groups.options

    comparison = sidebar.selectbox(key="filter_comparison")
    assert comparison.label == "Compare each group with"
    assert comparison.options[0] == "All other students"
    assert "White students" in comparison.options

    min_n = sidebar.number_input(key="filter_min_n")
    assert min_n.label == "Minimum group size (n)"
    assert min_n.value == 30


def test_overview(at: AppTest, sample_store: Store) -> None:
    assert at.title[0].value == "Overview"
    assert "Sample data (synthetic)" in at.info[0].value

    assert metric(at, "School year") == YEAR
    students = enrolled(sample_store, YEAR)
    assert students == 15_330
    assert metric(at, "Students in view") == f"{students:,}" == "15,330"

    filters, options = Filters(school_years=(YEAR,)), MetricOptions()
    audit = analysis.audit(sample_store, ("race",), filters, options)
    assert metric(at, "Indicators with data") == str(audit["indicator_id"].nunique())
    expected = findings.largest_gaps(audit, ("race",), options, limit=6, per_indicator=1)  # as pages/overview.py
    assert expected, "the sample district should show at least one certain gap"

    # One bordered card per finding: a bold "Domain · Indicator (year)" line, the sentence, a chart.
    headers = [m.value for m in at.markdown if re.fullmatch(r"\*\*.+ · .+\*\* \(\d{4}-\d{2}\)", m.value)]
    assert headers == [f"**{f.indicator.domain} · {f.indicator.label}** ({f.school_year})" for f in expected]
    sentences = [plain(m.value) for m in at.markdown]
    for finding in expected:
        assert finding.sentence in sentences
    found_charts = charts(at)
    assert len(found_charts) == len(expected) >= 1
    assert len({f.indicator_id for f in expected}) == len(expected)  # one finding per indicator
    for chart, finding in zip(found_charts, expected, strict=True):
        data = dataset_with(chart, "rate")
        assert data["rate"].tolist() == pytest.approx([finding.rate, finding.comparison_rate])
        assert data["who"].tolist() == [findings.group_noun(finding.group), "All other students"]
        assert f"{finding.indicator.label} rate" in chart.proto.spec

    # Independent check of one finding: gifted identification straight from the enrollment table.
    gifted = [f for f in expected if f.indicator_id == "gifted_identification" and f.group == {"race": BLACK}]
    assert gifted, [f.sentence for f in expected]
    # (only grades where the district identifies anyone that year can be identified: docs/methods.md)
    a, n, c, m = sample_store.cursor().execute("""
        WITH eligible AS (SELECT * FROM enrollment WHERE school_year = $year AND gifted IS NOT NULL AND grade IN
                          (SELECT grade FROM enrollment WHERE school_year = $year AND gifted))
        SELECT count(*) FILTER (WHERE race = $black AND gifted), count(*) FILTER (WHERE race = $black),
               count(*) FILTER (WHERE coalesce(race, '') <> $black AND gifted),
               count(*) FILTER (WHERE coalesce(race, '') <> $black)
        FROM eligible
    """, {"black": BLACK, "year": YEAR}).fetchone()
    ratio = (a / n) / (c / m)
    # A risk ratio below 1 is said the other way round: others were 1/RR times as likely.
    assert gifted[0].sentence.startswith(
        f"All other students were {1 / ratio:.1f} times as likely as {BLACK} students to be identified as gifted "
        f"({c / m:.1%} vs {a / n:.1%}); the difference is statistically significant")


def test_overview_follows_the_year_filter(at: AppTest, sample_store: Store) -> None:
    at.sidebar.selectbox(key="filter_year").select("2023-24").run()
    assert_ok(at)
    assert metric(at, "School year") == "2023-24"
    assert metric(at, "Students in view") == f"{enrolled(sample_store, '2023-24'):,}" == "15,423"
    assert "in 2023-24" in at.caption[0].value
    headers = [m.value for m in at.markdown if m.value.startswith("**")]
    assert headers and all(h.endswith("(2023-24)") for h in headers)
    assert len(charts(at)) == len(headers)


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
    assert shown == findings.headline(result.indicator, result.table, ["race"], result.options)

    # The indicator view's three charts: rate, risk ratio, composition (the stages and intersections follow).
    assert len(charts(at)) == DISCIPLINE_CHARTS
    rate_chart, ratio_chart, composition_chart = charts(at)[:3]
    assert title_of(rate_chart) == f"{OSS} by group, {YEAR}"
    assert title_of(ratio_chart) == f"Risk ratio vs all other students, {YEAR}"
    assert title_of(composition_chart) == f"Share of students vs share of out-of-school suspension, {YEAR}"

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
    assert title_of(charts(at)[1]) == f"Risk ratio vs White students, {YEAR}"

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
    assert title_of(charts(at)[0]) == f"{EXPULSION} by group, {YEAR}"
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


def test_data_page_and_upload(at: AppTest, sample_store: Store, tmp_path: Path) -> None:
    at.switch_page("pages/data.py").run()
    assert_ok(at)
    assert at.title[0].value == "Data"

    catalog = at.dataframe[0].value
    sql_catalog = sample_store.query("SELECT name, kind, rows_imported FROM datasets ORDER BY dataset_id DESC")
    assert catalog["Dataset"].tolist() == sql_catalog["name"].tolist()
    assert catalog["Rows imported"].tolist() == sql_catalog["rows_imported"].tolist()
    assert catalog["Sample"].all()
    assert int(catalog.loc[catalog["Kind"] == "enrollment", "Rows imported"].sum()) == int(sample_store.scalar(
        "SELECT count(*) FROM enrollment"))

    uploader = at.file_uploader[0]
    assert uploader.label == "CSV or Excel file"
    assert {"csv", "xlsx"} <= {t.lstrip(".") for t in uploader.allowed_type}
    assert "upload_import" not in [b.key for b in at.button]  # no Import button before a file is chosen

    # Upload a real workbook: the kind and mapping are guessed, leading zeros survive.
    path = roster.write_roster(tmp_path / "roster_2025-26.xlsx")
    uploader.set_value((path.name, path.read_bytes(), XLSX_MIME)).run()
    assert_ok(at)
    assert at.selectbox(key="upload_kind").value == "enrollment"
    assert f"{roster.ROSTER_ROWS:,} rows, {len(roster.HEADER)} columns" in at.caption[0].value
    mapping = at.data_editor[0].value.set_index("Field")
    assert mapping.loc["student_id", "Column in your file"] == "Student ID"
    assert mapping.loc["student_id", "Sample values"].startswith("0900001, 0900002")
    assert mapping.loc["school_id", "Sample values"] == roster.ROSTER_SCHOOL
    assert mapping.loc["race", "Column in your file"] == "Race/Ethnicity"
    assert mapping.loc["school_year", "Column in your file"] == "School Year"

    at.button(key="upload_import").click().run()
    assert_ok(at)
    report = [m.value for m in at.markdown]
    assert "**Import report**" in report
    assert any(f"{roster.ROSTER_ROWS} of {roster.ROSTER_ROWS} rows imported as Enrollment roster" in line
               for line in report), report
    catalog = at.dataframe[0].value
    assert catalog.iloc[0][["Dataset", "Kind", "Rows imported", "Sample"]].tolist() == [
        path.name, "enrollment", roster.ROSTER_ROWS, False]
    # The first file of one's own replaces the sample district (never mixed with it), saying so and how to get
    # it back.
    assert len(catalog) == 1
    assert any("synthetic sample district was removed" in line and "Load the synthetic sample district" in line
               for line in report), report
    assert "load_sample" in [b.key for b in at.button]

    # The new year appears in the sidebar; it has enrollment only.
    year = at.sidebar.selectbox(key="filter_year")
    assert year.options[0] == roster.ROSTER_YEAR
    year.select(roster.ROSTER_YEAR).run()
    at.switch_page("pages/overview.py").run()
    assert_ok(at)
    assert metric(at, "School year") == roster.ROSTER_YEAR
    assert metric(at, "Students in view") == f"{roster.ROSTER_ROWS:,}"
    at.switch_page("pages/discipline.py").run()
    assert_ok(at)
    # A year with a roster but no discipline file has no discipline data: said plainly, never shown as zeros.
    assert not charts(at)
    assert any("No discipline data yet" in plain(box.value) for box in at.info), [box.value for box in at.info]
