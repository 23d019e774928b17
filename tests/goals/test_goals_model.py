"""Goals and progress monitoring (equity_metrics.goals.model, goal_charts).

The status rules are checked on hand-worked examples; every value a goal reports on the sample district is
checked against plain SQL over the canonical tables; and a later school year is imported (files written from
the stored rows, with fewer suspensions of Black students) to check that every goal updates by itself.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_metrics import goals
from equity_metrics.charts import goal_charts
from equity_metrics.charts.goal_charts import HIDDEN_TEXT, progress_chart
from equity_metrics.goals import goal_predictor
from equity_metrics.goals.model import Goal, GoalContext
from equity_metrics.ingest.importer import SourceSpec, import_sources
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.measures import analysis, metrics
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import ALL_OTHERS
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store

BLACK = "Black or African American"
WHITE = "White"
YEARS = ("2022-23", "2023-24", "2024-25")
NEW_YEAR = "2025-26"
CENTRAL = "Central High School"
KEPT_SUSPENSIONS = 120  # Black students suspended out of school in the new year (360 in 2024-25)

COUNT_HIDDEN = metrics.PROTECTED_NOTE_COUNT


# ---- independent computations in plain SQL ------------------------------------------------------------------
def event_counts(store: Store, year: str, action: str, school: str | None = None) -> pd.DataFrame:
    """Per race: n students enrolled in `year` (at `school`), k of them with at least one `action`."""
    rows = store.cursor().execute("""
        WITH roster AS (
            SELECT e.student_id, coalesce(e.race, 'Unknown') AS race FROM enrollment e
            LEFT JOIN schools s USING (school_id)
            WHERE e.school_year = $year AND ($school IS NULL OR s.school_name = $school)
        ),
        acted AS (SELECT DISTINCT student_id FROM discipline WHERE school_year = $year AND action = $action)
        SELECT race, count(*) AS n, count(acted.student_id) AS k FROM roster LEFT JOIN acted USING (student_id)
        GROUP BY race
    """, {"year": year, "action": action, "school": school}).fetchall()
    return pd.DataFrame(rows, columns=["race", "n", "k"]).set_index("race")


def risk_ratio_vs_others(counts: pd.DataFrame, group: str) -> float:
    others = counts.drop(index=group)  # every other student, Unknown race included
    return (counts.loc[group, "k"] / counts.loc[group, "n"]) / (others["k"].sum() / others["n"].sum())


def ap_gap(store: Store, year: str, group: str) -> float:
    """Percentage points by which `group`'s AP enrollment rate (grades 9-12) is below all other students'."""
    rows = store.cursor().execute("""
        WITH roster AS (
            SELECT student_id, coalesce(race, 'Unknown') AS race FROM enrollment
            WHERE school_year = $year AND grade IN ('9', '10', '11', '12')
        ),
        ap AS (SELECT DISTINCT student_id FROM courses WHERE school_year = $year AND course_level = 'AP')
        SELECT race, count(*) AS n, count(ap.student_id) AS k FROM roster LEFT JOIN ap USING (student_id)
        GROUP BY race
    """, {"year": year}).fetchall()
    counts = pd.DataFrame(rows, columns=["race", "n", "k"]).set_index("race")
    others = counts.drop(index=group)
    return 100 * (others["k"].sum() / others["n"].sum() - counts.loc[group, "k"] / counts.loc[group, "n"])


def math_gap(store: Store, year: str, group: str) -> float:
    """Mean math scale score of all other students minus the group's (points below them)."""
    rows = store.cursor().execute("""
        SELECT coalesce(e.race, 'Unknown') AS race, count(a.scale_score), sum(a.scale_score)
        FROM assessments a LEFT JOIN enrollment e USING (school_year, student_id)
        WHERE a.school_year = $year AND a.subject = 'Math' GROUP BY 1
    """, {"year": year}).fetchall()
    sums = pd.DataFrame(rows, columns=["race", "n", "total"]).set_index("race")
    others = sums.drop(index=group)
    return others["total"].sum() / others["n"].sum() - sums.loc[group, "total"] / sums.loc[group, "n"]


def path(baseline: float, baseline_year: str, target: float, target_year: str, year: str) -> float:
    """The straight line, written out: the share of the years from baseline to target that have passed."""
    passed = (int(year[:4]) - int(baseline_year[:4])) / (int(target_year[:4]) - int(baseline_year[:4]))
    return baseline + (target - baseline) * min(passed, 1.0)


# ---- hand-worked rules ---------------------------------------------------------------------------------------
def test_school_years() -> None:
    assert goals.parse_school_year("2027-28") == "2027-28"
    assert goals.parse_school_year(" 2027-2028 ") == "2027-28"
    assert goals.parse_school_year("2099/00") == "2099-00"
    for bad in ("2027", "2027-29", "2027-2029", "27-28", "next year", "", "2027-28-29"):
        assert goals.parse_school_year(bad) is None, bad
    assert goals.year_span("2024-25", "2027-28") == ["2024-25", "2025-26", "2026-27", "2027-28"]
    assert goals.school_year_of(2099) == "2099-00"


def test_straight_path_hand_worked() -> None:
    # Baseline 3.0 in 2022-23, target 2.0 by 2027-28: a fifth of the way (0.2) per year.
    assert goals.straight_path(3.0, "2022-23", 2.0, "2027-28", "2022-23") == 3.0
    assert goals.straight_path(3.0, "2022-23", 2.0, "2027-28", "2024-25") == pytest.approx(2.6, abs=1e-15)
    assert goals.straight_path(3.0, "2022-23", 2.0, "2027-28", "2027-28") == 2.0
    assert goals.straight_path(3.0, "2022-23", 2.0, "2027-28", "2029-30") == 2.0  # the target, after its year
    assert goals.straight_path(3.0, "2024-25", 2.0, "2024-25", "2024-25") == 2.0  # no years to get there
    # Raising a rate: 10% to 16% over 3 years is 2 points a year.
    assert goals.straight_path(10.0, "2023-24", 16.0, "2026-27", "2025-26") == pytest.approx(14.0, abs=1e-14)


@given(baseline=st.floats(-50, 50), target=st.floats(-50, 50), span=st.integers(1, 12), year=st.integers(0, 15))
def test_straight_path_stays_between_baseline_and_target(baseline: float, target: float, span: int,
                                                         year: int) -> None:
    value = goals.straight_path(baseline, "2020-21", target, goals.school_year_of(2020 + span),
                                goals.school_year_of(2020 + year))
    assert min(baseline, target) - 1e-9 <= value <= max(baseline, target) + 1e-9
    following = goals.straight_path(baseline, "2020-21", target, goals.school_year_of(2020 + span),
                                    goals.school_year_of(2021 + year))
    assert abs(following - target) <= abs(value - target) + 1e-9  # never moves away from the target


def status(value: float, baseline: float = 3.0, target: float = 2.0, lower: bool = True,
           year: str = "2024-25", note: str = "") -> goals.YearStatus:
    return goals.assess(value, note, year, baseline, "2022-23", "", target, "2027-28", lower)


def test_status_rules_hand_worked() -> None:
    # Lower is better: baseline 3.0 in 2022-23, target 2.0 by 2027-28, so the path is 2.6 in 2024-25.
    assert status(2.6).status == goals.STATUS_ON_TRACK  # exactly on the path
    assert status(2.6).path_value == pytest.approx(2.6, abs=1e-15)
    assert status(2.61).status == goals.STATUS_OFF_TRACK
    assert status(2.1).status == goals.STATUS_ON_TRACK
    assert status(2.0).status == goals.STATUS_MET  # reaching the target is meeting it
    assert status(1.5).status == goals.STATUS_MET
    assert status(2.0000000000000004).status == goals.STATUS_MET  # floating point for 2.0
    hidden = status(float("nan"), note="count under 10 hidden (privacy)")
    assert (hidden.status, hidden.reason) == (goals.STATUS_NOT_MEASURABLE, "count under 10 hidden (privacy)")
    # Higher is better: 0.5 to 0.8 by 2027-28 is 0.62 in 2024-25.
    assert status(0.62, 0.5, 0.8, lower=False).status == goals.STATUS_ON_TRACK
    assert status(0.61, 0.5, 0.8, lower=False).status == goals.STATUS_OFF_TRACK
    assert status(0.8, 0.5, 0.8, lower=False).status == goals.STATUS_MET
    assert status(0.2, 0.5, 0.8, lower=False).status == goals.STATUS_OFF_TRACK
    # After the target year the path is the target: anything short of it is off track.
    assert status(2.05, year="2028-29").status == goals.STATUS_OFF_TRACK
    # With no baseline value, progress cannot be judged (only a met target can).
    unknown = goals.assess(2.5, "", "2024-25", float("nan"), "2022-23", "count under 10 hidden (privacy)", 2.0,
                           "2027-28", True)
    assert unknown.status == goals.STATUS_NOT_MEASURABLE
    assert unknown.reason == ("no baseline to measure progress from: the baseline year 2022-23 has no value "
                              "(count under 10 hidden (privacy))")
    assert goals.assess(1.5, "", "2024-25", float("nan"), "2022-23", "", 2.0, "2027-28", True).status == goals.STATUS_MET


def test_measures_and_direction() -> None:
    oss, ap, math_score = (INDICATORS[i] for i in ("oss", "ap_enrollment", "math_scale_score"))
    assert [m.id for m in goals.measures_for(oss)] == ["risk_ratio", "rate", "rate_gap", "predictor"]
    assert [m.id for m in goals.measures_for(math_score)] == ["score_gap", "predictor"]
    assert goals.lower_is_better(goals.MEASURES["risk_ratio"], oss)
    assert not goals.lower_is_better(goals.MEASURES["risk_ratio"], ap)  # AP: a higher ratio is better
    assert not goals.lower_is_better(goals.MEASURES["rate"], ap)
    assert goals.lower_is_better(goals.MEASURES["rate_gap"], ap)  # gaps: lower is always better
    assert goals.lower_is_better(goals.MEASURES["score_gap"], math_score)
    predictor = goals.MEASURES["predictor"]
    assert goals.lower_is_better(predictor, ap) and goals.lower_is_better(predictor, oss)  # less predictive is better
    assert (predictor.unit(oss), predictor.unit(math_score)) == ("Cramér's V", "eta squared")
    assert goals.format_value(0.1421083, predictor, oss) == "0.142"
    assert goals.format_value(2.934924, goals.MEASURES["risk_ratio"], oss) == "2.93"
    assert goals.format_value(11.76, goals.MEASURES["rate"], oss) == "11.8%"
    assert goals.format_value(9.508, goals.MEASURES["rate_gap"], ap) == "9.5 percentage points"
    assert goals.format_value(46.52, goals.MEASURES["score_gap"], math_score) == "46.5 points"
    assert goals.format_value(float("nan"), goals.MEASURES["rate"], oss) == "—"


# ---- validation ----------------------------------------------------------------------------------------------
CONTEXT = GoalContext({"central high school": CENTRAL, "0301": CENTRAL})


def oss_goal(**changes: object) -> Goal:
    return replace(Goal("oss", "race", BLACK, "risk_ratio", 2.0, "2027-28", baseline_year="2022-23"), **changes)


def test_validation_normalises_values() -> None:
    goal = goals.validate_goal(oss_goal(group_value="black", comparison="white", school="0301",
                                        target_year="2027-2028", baseline_year="2022/23", owner="  Ms. Diaz ",
                                        target_value=2), CONTEXT)
    assert (goal.group_value, goal.comparison, goal.school) == (BLACK, WHITE, CENTRAL)
    assert (goal.target_year, goal.baseline_year, goal.owner, goal.target_value) == ("2027-28", "2022-23", "Ms. Diaz",
                                                                                     2.0)
    assert goals.validate_goal(oss_goal(comparison="All other students"), CONTEXT).comparison == ALL_OTHERS
    assert goals.validate_goal(oss_goal(school=""), CONTEXT).school is None


@pytest.mark.parametrize(("changes", "column", "words"), [
    ({"indicator_id": "suspensions"}, "indicator_id", "'suspensions' is not an indicator"),
    ({"dimension": "eye_colour"}, "dimension", "'eye_colour' is not a student-group dimension"),
    ({"indicator_id": "hiring_selection", "dimension": "disability",
      "group_value": "Students with disabilities"}, "dimension", "Hiring selection rate cannot be split by disability"),
    ({"group_value": "Martian"}, "group_value", "'Martian' is not a group of race"),
    ({"group_value": "Unknown"}, "group_value", "'Unknown' is not a group of race"),
    ({"comparison": BLACK}, "comparison", "cannot be compared with itself"),
    ({"comparison": "Everyone"}, "comparison", "'Everyone' is neither all-others nor a group of race"),
    ({"measure": "odds_ratio"}, "measure", "'odds_ratio' is not a measure"),
    ({"measure": "score_gap"}, "measure", "score_gap does not apply to Out-of-school suspension (rate)"),
    ({"school": "Hogwarts"}, "school", "'Hogwarts' is not a school in the loaded data"),
    ({"indicator_id": "hiring_selection", "school": CENTRAL}, "school", "cannot be measured by school"),
    ({"target_value": float("nan")}, "target_value", "must be a number"),
    ({"target_value": 0.0}, "target_value", "above 0"),
    ({"measure": "rate", "target_value": 120.0}, "target_value", "percent from 0 to 100"),
    ({"target_year": "2027"}, "target_year", "'2027' is not a school year (write it like 2027-28)"),
    ({"baseline_year": "last year"}, "baseline_year", "'last year' is not a school year"),
    ({"target_year": "2021-22"}, "target_year", "the target year 2021-22 is before the baseline year 2022-23"),
    ({"note": "x" * (goals.MAX_TEXT_LENGTH + 1)}, "note", "longer than 1000 characters"),
])
def test_validation_names_the_column(changes: dict, column: str, words: str) -> None:
    with pytest.raises(goals.GoalError) as raised:
        goals.validate_goal(oss_goal(**changes), CONTEXT)
    assert [c for c, _ in raised.value.problems] == [column]
    assert words in raised.value.problems[0][1]


# ---- storage and CSV -----------------------------------------------------------------------------------------
@pytest.fixture()
def store(sample_db: Path) -> Store:
    opened = Store(sample_db)
    yield opened
    opened.close()


def test_add_update_delete(store: Store) -> None:
    assert goals.list_goals(store) == []
    first = goals.add_goal(store, oss_goal(owner="Ms. Diaz", strategy="Restorative practices"))
    second = goals.add_goal(store, Goal("ap_enrollment", "race", BLACK, "rate_gap", 3.0, "2026-27", school=CENTRAL))
    assert (first.goal_id, second.goal_id) == (1, 2)
    stored = goals.list_goals(store)
    assert [g.goal_id for g in stored] == [1, 2]
    assert replace(stored[0], created_at=None) == replace(first, created_at=None)
    assert stored[0].created_at is not None

    changed = goals.update_goal(store, replace(first, target_value=2.5, note="revised in March"))
    assert goals.get_goal(store, 1) == changed
    assert changed.created_at == stored[0].created_at  # an edit keeps the creation time
    with pytest.raises(goals.GoalError):
        goals.update_goal(store, replace(first, target_year="soon"))
    assert goals.get_goal(store, 1).target_value == 2.5  # a rejected edit changes nothing

    goals.delete_goal(store, 1)
    assert [g.goal_id for g in goals.list_goals(store)] == [2]
    with pytest.raises(goals.GoalNotFoundError):
        goals.get_goal(store, 1)
    assert goals.add_goal(store, oss_goal()).goal_id == 3  # numbers are never reused while a later one exists


def test_csv_round_trip(store: Store, empty_store: Store) -> None:
    goals.add_goal(store, oss_goal(owner="=HYPERLINK(\"http://x\")", note='said "no", then yes\nsecond line'))
    goals.add_goal(store, Goal("math_scale_score", "sex", "Male", "score_gap", 10.0, "2026-27", comparison="Female",
                               strategy="-tutoring", school=CENTRAL))
    data = goals.goals_csv(store)
    lines = data.decode("utf-8").splitlines()
    assert lines[0] == ",".join(goals.CSV_COLUMNS)
    assert lines[1].startswith("1,oss,race,Black or African American,,all-others,risk_ratio,2022-23,2.0,2027-28,")
    assert "'=HYPERLINK" in lines[1]  # a spreadsheet shows it as text, never runs it
    assert "'-tutoring" in data.decode("utf-8")

    # Importing the export again updates the same goals and changes nothing.
    before = goals.list_goals(store)
    assert goals.import_goals_csv(store, data) == goals.GoalImport(added=0, updated=2)
    assert goals.list_goals(store) == before

    # Another district's store without the school: the school goal is refused, by row and column.
    with pytest.raises(goals.GoalImportError) as raised:
        goals.import_goals_csv(empty_store, data)
    assert raised.value.messages == (f"Row 3, column school: '{CENTRAL}' is not a school in the loaded data (blank: "
                                     "the district).",)
    assert goals.list_goals(empty_store) == []
    district_only = "\r\n".join(line for line in data.decode("utf-8").split("\r\n") if CENTRAL not in line)
    assert goals.import_goals_csv(empty_store, district_only.encode("utf-8")) == goals.GoalImport(added=1, updated=0)
    imported = goals.list_goals(empty_store)
    assert [replace(g, created_at=None) for g in imported] == [replace(before[0], created_at=None)]


def test_csv_import_is_all_or_nothing(store: Store) -> None:
    goals.add_goal(store, oss_goal())
    text = (
        "indicator_id,dimension,group_value,measure,target_value,target_year,comparison,owner\n"
        "oss,race,Black,risk_ratio,2,2027-28,,Ms. Diaz\n"  # row 2: fine
        "oss,race,Black,risk_ratio,2,2027,,\n"  # row 3: bad year
        "\n"  # blank rows are skipped
        "absences,race,Asian,odds,two,2027-28,Martian,\n"  # row 5: three problems
    )
    with pytest.raises(goals.GoalImportError) as raised:
        goals.import_goals_csv(store, text.encode("utf-8"))
    assert raised.value.messages == (
        "Row 3, column target_year: '2027' is not a school year (write it like 2027-28).",
        "Row 5, column target_value: 'two' is not a number.",
    )
    text = text.replace(",two,", ",2,")
    with pytest.raises(goals.GoalImportError) as raised:
        goals.import_goals_csv(store, text.encode("utf-8"))
    assert raised.value.messages == (
        "Row 3, column target_year: '2027' is not a school year (write it like 2027-28).",
        "Row 5, column indicator_id: 'absences' is not an indicator (see `python -m equity_metrics indicators`).",
        "Row 5, column comparison: 'Martian' is neither all-others nor a group of race.",
        "Row 5, column measure: 'odds' is not a measure; use one of risk_ratio, rate, rate_gap, score_gap, predictor.",
    )
    assert [g.goal_id for g in goals.list_goals(store)] == [1]  # nothing was stored

    good = "\n".join(line for i, line in enumerate(text.splitlines()) if i in (0, 1)) + "\n"
    assert goals.import_goals_csv(store, ("\ufeff" + good).encode("utf-8")) == goals.GoalImport(added=1, updated=0)
    added = goals.get_goal(store, 2)
    assert (added.group_value, added.target_value, added.owner, added.baseline_year) == (BLACK, 2.0, "Ms. Diaz", None)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty: it needs a header row with indicator_id, dimension, group_value, measure, "
          "target_value, target_year."),
    (b"indicator_id,dimension\n", "Row 1: missing column(s) group_value, measure, target_value, target_year."),
    (b"indicator_id,dimension,group_value,measure,target_value,target_yr\n",
     "Row 1: unknown column(s) 'target_yr'; the columns are " + ", ".join(goals.CSV_COLUMNS) + "."),
    (",".join(goals.REQUIRED_CSV_COLUMNS).encode() + b"\n", "The file has a header but no goal rows."),
    (",".join(goals.REQUIRED_CSV_COLUMNS).encode() + b"\noss,race,White,rate,1,2027-28,extra\n",
     "Row 2: 7 cells but 6 columns (a stray comma?)."),
    ("indicator_id\n\u00e9".encode("latin-1"), "The file is not UTF-8 text: save it as CSV UTF-8 and try again."),
    (b"goal_id," + ",".join(goals.REQUIRED_CSV_COLUMNS).encode() + b"\n4,oss,race,White,rate,1,2027-28\n"
     b"4,oss,race,Asian,rate,1,2027-28\n", "Row 3, column goal_id: goal 4 is also in row 2."),
    (b"goal_id," + ",".join(goals.REQUIRED_CSV_COLUMNS).encode() + b"\nfirst,oss,race,White,rate,1,2027-28\n",
     "Row 2, column goal_id: 'first' is not a goal number (a whole number above 0, or blank)."),
    (",".join(goals.REQUIRED_CSV_COLUMNS).encode() + b"\noss,,White,rate,1,2027-28\n",
     "Row 2, column dimension: empty; it is required."),
])
def test_csv_problems_are_named(data: bytes, message: str) -> None:
    with pytest.raises(goals.GoalImportError) as raised:
        goals.parse_goals_csv(data, CONTEXT)
    assert message in raised.value.messages


@settings(max_examples=60, deadline=None)
@given(owner=st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
       note=st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
       target=st.floats(0.01, 50, allow_nan=False))
def test_csv_round_trips_any_text(owner: str, note: str, target: float) -> None:
    goal = goals.validate_goal(oss_goal(owner=owner, note=note, strategy="'" + owner, target_value=target,
                                        goal_id=7), CONTEXT)
    parsed = goals.parse_goals_csv(goals.goals_to_csv([goal]), CONTEXT)
    assert parsed == [goal]


# ---- progress on the sample district -------------------------------------------------------------------------
def test_risk_ratio_goal_against_sql(sample_store: Store) -> None:
    goal = oss_goal(goal_id=1)
    progress = goals.goal_progress(sample_store, goal)
    ratios = [risk_ratio_vs_others(event_counts(sample_store, y, "Out-of-school suspension"), BLACK) for y in YEARS]
    assert event_counts(sample_store, "2024-25", "Out-of-school suspension").loc[BLACK].tolist() == [3061, 360]
    years = progress.years
    assert list(years.columns) == list(goals.YEAR_COLUMNS)
    assert years["school_year"].tolist() == list(YEARS)
    assert years["value"].tolist() == pytest.approx(ratios, rel=1e-12)
    expected_path = [path(ratios[0], "2022-23", 2.0, "2027-28", y) for y in YEARS]
    assert years["path_value"].tolist() == pytest.approx(expected_path, rel=1e-12)
    # 2.94 in 2024-25, above the path (2.59): off track. 2023-24 too; the baseline year is on its own path.
    assert ratios[2] > expected_path[2] and ratios[1] > expected_path[1]
    assert years["status"].tolist() == [goals.STATUS_ON_TRACK, goals.STATUS_OFF_TRACK, goals.STATUS_OFF_TRACK]
    assert (progress.status, progress.status_year, progress.reason) == (goals.STATUS_OFF_TRACK, "2024-25", "")
    assert (progress.baseline_year, progress.baseline_value) == ("2022-23", pytest.approx(ratios[0], rel=1e-12))
    assert (progress.previous_year, progress.movement) == ("2023-24", goals.MOVEMENT_IMPROVED)  # 2.98 -> 2.94
    # Katz interval from the same counts: exp(ln RR +- 1.96 sqrt(1/a - 1/n + 1/c - 1/m)).
    counts = event_counts(sample_store, "2024-25", "Out-of-school suspension")
    a, n = counts.loc[BLACK, ["k", "n"]]
    c, m = counts.drop(index=BLACK)[["k", "n"]].sum()
    se = math.sqrt(1 / a - 1 / n + 1 / c - 1 / m)
    z = 1.959963984540054
    assert years.loc[2, ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [ratios[2] * math.exp(-z * se), ratios[2] * math.exp(z * se)], rel=1e-9)
    # IDEA: 2.99, 2.98, 2.94: never above 3.0, and lower in each of the last two years.
    assert all(r < 3.0 for r in ratios) and ratios[2] < ratios[1] < ratios[0]
    assert (progress.idea_above_threshold, progress.idea_reasonable_progress) == (False, True)

    sentence = goals.progress_sentence(progress)
    assert sentence == (
        f"Off track in 2024-25: {ratios[2]:.2f}, behind the straight path from the baseline ({ratios[0]:.2f} in "
        f"2022-23) to the target (2.00 or lower by 2027-28), which is {expected_path[2]:.2f} in 2024-25. Since "
        f"2023-24: improved ({ratios[1]:.2f} to {ratios[2]:.2f}). IDEA significant disproportionality (risk ratio > 3 "
        "in each of the last 3 years): no; reasonable progress (a lower risk ratio in each of the last 2 years): yes.")
    assert sentence.startswith("Off track in 2024-25: 2.94, behind the straight path from the baseline (2.99 in")

    # A closer target (2.90): the path is 2.95 in 2024-25, and 2.93 is at least as good.
    closer = goals.goal_progress(sample_store, oss_goal(target_value=2.9))
    assert closer.path_value == pytest.approx(path(ratios[0], "2022-23", 2.9, "2027-28", "2024-25"), rel=1e-12)
    assert ratios[2] <= closer.path_value
    assert closer.status == goals.STATUS_ON_TRACK


def test_rate_gap_and_score_gap_goals_against_sql(sample_store: Store) -> None:
    rate = goals.goal_progress(sample_store, oss_goal(measure="rate", target_value=8.0))
    assert rate.years["value"].iloc[-1] == pytest.approx(100 * 360 / 3061, rel=1e-12)
    assert rate.years["ci_low"].iloc[-1] < 100 * 360 / 3061 < rate.years["ci_high"].iloc[-1]

    # AP enrollment: Black students' rate is below others', so the gap (in points) is positive; target 5.
    ap = goals.goal_progress(sample_store, Goal("ap_enrollment", "race", BLACK, "rate_gap", 5.0, "2027-28",
                                                baseline_year="2022-23"))
    gaps = [ap_gap(sample_store, y, BLACK) for y in YEARS]
    assert ap.years["value"].tolist() == pytest.approx(gaps, rel=1e-12)
    assert ap.years["ci_low"].isna().all()  # no interval is published for a difference in rates
    assert gaps[2] > path(gaps[0], "2022-23", 5.0, "2027-28", "2024-25")
    assert (ap.status, ap.movement) == (goals.STATUS_OFF_TRACK, goals.MOVEMENT_WORSENED)  # 8.9 -> 9.5 points
    assert ap.idea_above_threshold is None  # the IDEA rule is about risk ratios of harms
    subtitle = " ".join(progress_chart(ap).to_dict()["title"]["subtitle"])
    assert ("The gap: how much worse off Black or African American students are than all other students, in "
            "percentage points (below 0: better off).") in subtitle

    # AP risk ratio: higher is better, so a target of 0.50 or higher is met at 0.52.
    ap_ratio = goals.goal_progress(sample_store, Goal("ap_enrollment", "race", BLACK, "risk_ratio", 0.5, "2027-28"))
    assert ap_ratio.baseline_year == "2022-23"  # no baseline given: the first year with a value
    assert ap_ratio.value > 0.5 and ap_ratio.status == goals.STATUS_MET
    assert goals.progress_sentence(ap_ratio).startswith(f"Met in 2024-25: {ap_ratio.value:.2f} (target: 0.50 or higher "
                                                        "by 2027-28; baseline:")

    score = goals.goal_progress(sample_store, Goal("math_scale_score", "race", BLACK, "score_gap", 30.0, "2027-28",
                                                   baseline_year="2022-23"))
    expected = [math_gap(sample_store, y, BLACK) for y in YEARS]
    assert score.years["value"].tolist() == pytest.approx(expected, rel=1e-9)
    assert score.unit == "points"
    assert goals.progress_sentence(score).startswith(f"Off track in 2024-25: {expected[2]:.1f} points, behind")


def test_suppressed_years_are_not_measurable(sample_store: Store) -> None:
    goal = Goal("expulsion", "race", BLACK, "rate", 0.5, "2026-27", school=CENTRAL, baseline_year="2022-23")
    for year in YEARS:  # 1 to 9 Black students expelled at Central each year: never shown
        assert 1 <= event_counts(sample_store, year, "Expulsion", CENTRAL).loc[BLACK, "k"] <= 9
    progress = goals.goal_progress(sample_store, goal)
    assert progress.years["value"].isna().all() and progress.years["ci_low"].isna().all()
    assert progress.years["note"].tolist() == [COUNT_HIDDEN] * 3
    assert (progress.status, progress.status_year) == (goals.STATUS_NOT_MEASURABLE, "2024-25")
    assert progress.reason == COUNT_HIDDEN
    assert goals.progress_sentence(progress) == (f"Not measurable in 2024-25: {COUNT_HIDDEN}. Target: "
                                                 "0.5% or lower by 2026-27.")
    chart = progress_chart(progress).to_dict()
    assert f"Not measurable: 2022-23: {COUNT_HIDDEN}" in " ".join(chart["title"]["subtitle"])
    values = [row for data in chart["datasets"].values() for row in data]
    assert not any(isinstance(row.get("value"), float) and math.isfinite(row["value"]) and row.get("school_year")
                   in YEARS for row in values)  # no hidden value reaches the chart
    assert HIDDEN_TEXT in json.dumps(chart)

    # A risk ratio with too few events: not calculated (cell size), with the library's note.
    asian = goals.goal_progress(sample_store, Goal("expulsion", "race", "Asian", "risk_ratio", 1.0, "2026-27",
                                                   school=CENTRAL))
    assert asian.status == goals.STATUS_NOT_MEASURABLE
    assert "risk ratio not calculated (cell size)" in asian.reason


def test_goal_report_chart(sample_store: Store, store: Store) -> None:
    saved = goals.add_goal(store, oss_goal())
    report = goal_charts.goal_report(store, saved.goal_id)
    assert report.title == ("Out-of-school suspension, risk ratio: Black or African American students vs all other "
                            "students (District)")
    assert report.sentence == goals.progress_sentence(goals.goal_progress(sample_store, oss_goal()))
    assert report.table.equals(report.progress.years)
    spec = report.chart.to_dict()
    assert " ".join(spec["title"]["text"]) == report.title
    x_domains = [layer["encoding"]["x"]["scale"]["domain"] for layer in spec["layer"] if "x" in layer["encoding"]
                 and "scale" in layer["encoding"]["x"]]
    assert x_domains and all(d == ["2022-23", "2023-24", "2024-25", "2025-26", "2026-27", "2027-28"] for d in x_domains)
    datasets = list(spec["datasets"].values())
    target = [d for d in datasets if d and "label" in d[0] and d[0]["label"].startswith("Target:")]
    assert target[0][0]["value"] == 2.0 and target[0][0]["label"] == "Target: 2.00 or lower by 2027-28"
    straight = [d for d in datasets if d and d[0].get("label") == "Baseline"][0]
    assert [(p["school_year"], p["value"]) for p in straight] == [("2022-23", pytest.approx(report.progress.baseline_value)),
                                                                  ("2027-28", 2.0)]
    colours = {layer["mark"].get("color") for layer in spec["layer"]}
    assert "#0072B2" in colours  # Black students' colour everywhere (constants.GROUP_COLOURS)
    assert "student_id" not in json.dumps(spec)


# ---- how much race predicts the outcome (goal_predictor) -----------------------------------------------------
def predictor_goal(**changes: object) -> Goal:
    return replace(Goal("oss", "race", "", "predictor", 0.05, "2027-28", baseline_year="2022-23"), **changes)


def test_predictor_goal_validation() -> None:
    goal = goals.validate_goal(predictor_goal(comparison="", target_year="2027-2028", target_value=0), CONTEXT)
    assert (goal.group_value, goal.comparison, goal.school, goal.target_year) == ("", ALL_OTHERS, None,
                                                                                  "2027-28")
    score = goals.validate_goal(predictor_goal(indicator_id="math_scale_score", target_value=0.02), CONTEXT)
    assert goals.MEASURES[score.measure].unit(score.indicator) == "eta squared"
    # Any other measure still needs its group.
    with pytest.raises(goals.GoalError) as raised:
        goals.validate_goal(oss_goal(group_value=""), CONTEXT)
    assert [c for c, _ in raised.value.problems] == ["group_value"]


@pytest.mark.parametrize(("changes", "column", "words"), [
    ({"group_value": BLACK}, "group_value", "a group does not apply to the predictor measure"),
    ({"comparison": WHITE}, "comparison", "a comparison does not apply to the predictor measure"),
    ({"school": CENTRAL}, "school", "measured district-wide: leave school blank"),
    ({"target_value": 1.5}, "target_value", "Cramér's V and eta squared run from 0 to 1"),
    ({"dimension": "school"}, "dimension", "'school' is not a student-group dimension"),
])
def test_predictor_goal_problems(changes: dict, column: str, words: str) -> None:
    with pytest.raises(goals.GoalError) as raised:
        goals.validate_goal(predictor_goal(**changes), CONTEXT)
    assert [c for c, _ in raised.value.problems] == [column]
    assert words in raised.value.problems[0][1]


def test_predictor_goal_saved_exported_and_imported(store: Store, empty_store: Store) -> None:
    saved = goals.add_goal(store, predictor_goal(owner="Superintendent", note="Board policy 2.3"))
    assert replace(goals.get_goal(store, saved.goal_id), created_at=None) == replace(saved, created_at=None)
    data = goals.goals_csv(store)
    assert data.decode("utf-8").splitlines()[1].startswith("1,oss,race,,,,predictor,2022-23,0.05,2027-28,Superintendent,")
    before = goals.list_goals(store)
    assert goals.import_goals_csv(store, data) == goals.GoalImport(added=0, updated=1)
    assert goals.list_goals(store) == before
    assert goals.import_goals_csv(empty_store, data) == goals.GoalImport(added=1, updated=0)
    assert [replace(g, created_at=None) for g in goals.list_goals(empty_store)] == [replace(before[0], created_at=None)]
    # A blank group is accepted for this measure only.
    header = ",".join(goals.REQUIRED_CSV_COLUMNS)
    with pytest.raises(goals.GoalImportError) as raised:
        goals.parse_goals_csv(f"{header}\noss,race,,predictor,0.1,2027-28\noss,race,,risk_ratio,2,2027-28\n"
                              .encode(), CONTEXT)
    assert raised.value.messages == ("Row 3, column group_value: empty; it is required.",)


def test_predictor_goal_values_are_association_by_year(sample_store: Store) -> None:
    expected = analysis.association_by_year(sample_store, "oss", "race")
    progress = goals.goal_progress(sample_store, predictor_goal())
    assert progress.years["school_year"].tolist() == list(YEARS) == expected["school_year"].tolist()
    assert progress.years["value"].tolist() == expected["cramers_v"].astype("float64").tolist()  # exactly
    assert progress.years["ci_low"].isna().all() and progress.years["ci_high"].isna().all()
    v = progress.years["value"].tolist()
    assert 0.14 < v[2] < v[1] < v[0] < 0.15  # about 0.146, 0.145, 0.142: falling, far above 0.05
    expected_path = path(v[0], "2022-23", 0.05, "2027-28", "2024-25")
    assert progress.path_value == pytest.approx(expected_path, rel=1e-12)
    assert (progress.status, progress.movement, progress.unit) == (goals.STATUS_OFF_TRACK, goals.MOVEMENT_IMPROVED,
                                                                   "Cramér's V")
    assert progress.idea_above_threshold is None and progress.idea_reasonable_progress is None
    assert goals.progress_sentence(progress) == (
        f"Off track in 2024-25: {v[2]:.3f}, behind the straight path from the baseline ({v[0]:.3f} in 2022-23) to the "
        f"target (0.050 or lower by 2027-28), which is {expected_path:.3f} in 2024-25. Since 2023-24: improved "
        f"({v[1]:.3f} to {v[2]:.3f}).")
    assert goals.goal_title(progress.goal) == ("Out-of-school suspension, how much race/ethnicity predicts it "
                                               "(Cramér's V; District)")
    assert goals.goal_progress(sample_store, predictor_goal(target_value=0.15)).status == goals.STATUS_MET
    assert goals.goal_progress(sample_store, predictor_goal(target_value=0.14)).status == goals.STATUS_ON_TRACK
    chart = progress_chart(progress).to_dict()
    assert "How much race/ethnicity predicts out-of-school suspension: Cramér's V" in " ".join(
        chart["title"]["subtitle"])
    row = goals.progress_frame([progress]).iloc[0]
    assert pd.isna(row["group_value"]) and pd.isna(row["comparison"]) and row["unit"] == "Cramér's V"
    assert pd.isna(row["idea_above_threshold_each_year"]) and pd.isna(row["idea_reasonable_progress"])

    scores = analysis.association_by_year(sample_store, "math_scale_score", "race")
    eta = goals.goal_progress(sample_store, predictor_goal(indicator_id="math_scale_score", target_value=0.02))
    assert eta.years["value"].tolist() == scores["eta_squared"].astype("float64").tolist()
    assert (eta.unit, eta.status, eta.movement) == ("eta squared", goals.STATUS_OFF_TRACK, goals.MOVEMENT_WORSENED)


def test_predictor_goal_year_without_a_figure(sample_store: Store) -> None:
    def association(*args: object) -> pd.DataFrame:
        frame = analysis.association_by_year(*args)
        frame.loc[frame["school_year"] == "2024-25", ["students", "cramers_v"]] = [pd.NA, np.nan]  # total hidden
        frame.loc[frame["school_year"] == "2023-24", "cramers_v"] = np.nan
        return frame

    progress = goals.goal_progress(sample_store, predictor_goal(), association=association)
    notes = progress.years.set_index("school_year")["note"]
    assert notes["2024-25"] == goal_predictor.HIDDEN_TOTAL and notes["2023-24"] == goal_predictor.NOT_CALCULATED
    assert (progress.status, progress.status_year, progress.reason) == (goals.STATUS_NOT_MEASURABLE, "2024-25",
                                                                        goal_predictor.HIDDEN_TOTAL)
    assert goals.progress_sentence(progress).startswith(
        f"Not measurable in 2024-25: {goal_predictor.HIDDEN_TOTAL}. The last value was 0.145 in 2022-23.")


# ---- a later school year arrives -----------------------------------------------------------------------------
def write_year_files(store: Store, folder: Path) -> list[SourceSpec]:
    """Next year's roster and discipline files, written from 2024-25's stored rows: the same students, and the
    same actions except that only KEPT_SUSPENSIONS Black students are suspended out of school."""
    specs = []
    for kind, where in (("enrollment", "TRUE"), ("discipline", f"""NOT (action = 'Out-of-school suspension'
            AND student_id IN (SELECT student_id FROM enrollment WHERE school_year = '2024-25' AND race = '{BLACK}')
            AND student_id NOT IN (
                SELECT DISTINCT d.student_id FROM discipline d JOIN enrollment e USING (school_year, student_id)
                WHERE d.school_year = '2024-25' AND d.action = 'Out-of-school suspension' AND e.race = '{BLACK}'
                ORDER BY d.student_id LIMIT {KEPT_SUSPENSIONS}))""")):
        fields = KINDS[kind].field_names
        columns = ", ".join(f'"{f}"' for f in fields)
        frame = store.cursor().execute(
            f"SELECT {columns} FROM {kind} WHERE school_year = '2024-25' AND {where}").df()
        frame["school_year"] = NEW_YEAR
        path = folder / f"{kind}_{NEW_YEAR}.csv"
        frame.to_csv(path, index=False)
        specs.append(SourceSpec(path, Mapping(kind=kind, columns={f: f for f in fields})))
    return specs


GOALS = {
    "suspension ratio to 2.0": oss_goal(owner="Director of student services"),
    "White ratio kept under 0.6": oss_goal(group_value=WHITE, target_value=0.6),
    "AP gap to 5 points": Goal("ap_enrollment", "race", BLACK, "rate_gap", 5.0, "2027-28", baseline_year="2022-23"),
    "expulsions at Central": Goal("expulsion", "race", BLACK, "rate", 0.5, "2026-27", school=CENTRAL,
                                  baseline_year="2022-23"),
    "suspension ratio to 2.9": oss_goal(target_value=2.9),
    "race predicts suspension less": Goal("oss", "race", "", "predictor", 0.05, "2027-28", baseline_year="2022-23"),
}


@pytest.fixture(scope="module")
def next_year(tmp_path_factory: pytest.TempPathFactory, sample_db_template: Path):
    """A store with the goals set on the sample district: their tables before, then after next year's files."""
    folder = tmp_path_factory.mktemp("next_year")
    path = folder / "store.duckdb"
    shutil.copyfile(sample_db_template, path)
    with Store(path) as store:
        saved = goals.save_goals(store, list(GOALS.values()))
        ids = dict(zip(GOALS, (g.goal_id for g in saved), strict=True))
        before = goals.goals_table(store).set_index("goal_id")
        import_sources(store, write_year_files(store, folder))
        after = goals.goals_table(store).set_index("goal_id")
        progress = {name: goals.goal_progress(store, goals.get_goal(store, i)) for name, i in ids.items()}
        counts = event_counts(store, NEW_YEAR, "Out-of-school suspension")
        ap = [ap_gap(store, y, BLACK) for y in YEARS]
        association = analysis.association_by_year(store, "oss", "race")
    return ids, before, after, progress, counts, ap, association


def test_goals_update_when_next_year_arrives(next_year) -> None:
    ids, before, after, progress, counts, ap, association = next_year
    assert list(after.reset_index().columns) == list(goals.GOAL_TABLE_COLUMNS)
    # The new year's counts, from SQL: 120 of 3,061 Black students; every other student as in 2024-25 (491 of
    # 12,269, Unknown race included).
    assert counts.loc[BLACK].tolist() == [3061, KEPT_SUSPENSIONS]
    others = counts.drop(index=[BLACK]).sum()
    assert others.tolist() == [12269, 491]
    black_ratio = (KEPT_SUSPENSIONS / 3061) / (491 / 12269)
    white = counts.loc[WHITE]
    white_others = counts.drop(index=[WHITE]).sum()
    white_ratio = (white["k"] / white["n"]) / (white_others["k"] / white_others["n"])
    assert white_others["k"] == 491 + 360 - 204 - (360 - KEPT_SUSPENSIONS)

    def row(table: pd.DataFrame, name: str) -> pd.Series:
        return table.loc[ids[name]]

    # Before: statuses about 2024-25.
    assert (before["status_year"] == "2024-25").all()
    assert [row(before, n)["status"] for n in GOALS] == [goals.STATUS_OFF_TRACK, goals.STATUS_MET,
                                                         goals.STATUS_OFF_TRACK, goals.STATUS_NOT_MEASURABLE,
                                                         goals.STATUS_ON_TRACK, goals.STATUS_OFF_TRACK]

    # After: the suspension goals are about 2025-26 and moved; the White students' ratio rose, so it slipped.
    ratio = row(after, "suspension ratio to 2.0")
    assert (ratio["status_year"], ratio["status"], ratio["movement"]) == (NEW_YEAR, goals.STATUS_MET,
                                                                         goals.MOVEMENT_IMPROVED)
    assert ratio["value"] == pytest.approx(black_ratio, rel=1e-12)
    assert ratio["previous_year"] == "2024-25"
    assert (ratio["idea_above_threshold_each_year"], ratio["idea_reasonable_progress"]) == (False, True)
    assert ratio["owner"] == "Director of student services"
    closer = row(after, "suspension ratio to 2.9")
    assert (closer["status"], closer["value"]) == (goals.STATUS_MET, pytest.approx(black_ratio, rel=1e-12))
    kept = row(after, "White ratio kept under 0.6")
    assert kept["value"] == pytest.approx(white_ratio, rel=1e-12)
    assert white_ratio > 0.6 and white_ratio > row(before, "White ratio kept under 0.6")["value"]
    expected_path = path(row(before, "White ratio kept under 0.6")["baseline_value"], "2022-23", 0.6, "2027-28",
                         NEW_YEAR)
    assert kept["path_value"] == pytest.approx(expected_path, rel=1e-12) and white_ratio > expected_path
    assert (kept["status_year"], kept["status"], kept["movement"]) == (NEW_YEAR, goals.STATUS_OFF_TRACK,
                                                                       goals.MOVEMENT_WORSENED)
    assert progress["White ratio kept under 0.6"].previous_status == goals.STATUS_MET

    # No course file for 2025-26: the AP goal stays about 2024-25, and the new year says why it has no value.
    gap = row(after, "AP gap to 5 points")
    assert (gap["status_year"], gap["status"], gap["value"]) == ("2024-25", goals.STATUS_OFF_TRACK,
                                                                 pytest.approx(ap[2], rel=1e-12))
    ap_years = progress["AP gap to 5 points"].years.set_index("school_year")
    assert ap_years.loc[NEW_YEAR, "status"] == goals.STATUS_NOT_MEASURABLE
    assert ap_years.loc[NEW_YEAR, "note"] == "no course enrollments loaded for 2025-26"
    assert np.isnan(ap_years.loc[NEW_YEAR, "value"])

    # Still hidden in the new year, with the reason.
    hidden = row(after, "expulsions at Central")
    assert (hidden["status_year"], hidden["status"], hidden["reason"]) == (NEW_YEAR, goals.STATUS_NOT_MEASURABLE,
                                                                           COUNT_HIDDEN)
    assert np.isnan(hidden["value"])

    # How much race predicts suspension, recomputed with the new year: fewer Black students suspended, less.
    predictor = row(after, "race predicts suspension less")
    assert association["school_year"].tolist() == [*YEARS, NEW_YEAR]
    assert predictor["value"] == association["cramers_v"].iloc[-1] < row(before, "race predicts suspension less")["value"]
    assert (predictor["status_year"], predictor["movement"]) == (NEW_YEAR, goals.MOVEMENT_IMPROVED)

    moved, slipped = goals.moved_and_slipped(progress.values())
    assert [p.goal.goal_id for p in moved] == [ids["suspension ratio to 2.0"], ids["suspension ratio to 2.9"],
                                               ids["race predicts suspension less"]]
    assert [p.goal.goal_id for p in slipped] == [ids["White ratio kept under 0.6"], ids["AP gap to 5 points"]]
    sentence = goals.progress_sentence(progress["suspension ratio to 2.0"])
    assert sentence.startswith(f"Met in 2025-26: {black_ratio:.2f} (target: 2.00 or lower by 2027-28; baseline: 2.99 "
                               "in 2022-23). Since 2024-25: improved (2.94 to 0.98).")


def test_goals_table_for_the_command_line(next_year) -> None:
    _, _, after, *_ = next_year
    frame = after.reset_index()
    assert frame["goal_id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame["unit"].tolist() == ["ratio", "ratio", "percentage points", "percent", "ratio", "Cramér's V"]
    assert frame["school"].tolist()[3] == CENTRAL and pd.isna(frame["school"].tolist()[0])
    assert frame["idea_above_threshold_each_year"].isna().tolist() == [False, False, True, True, False, True]
    records = json.loads(frame.astype(object).where(frame.notna(), None).to_json(orient="records"))
    assert records[3]["value"] is None and records[3]["status"] == goals.STATUS_NOT_MEASURABLE
