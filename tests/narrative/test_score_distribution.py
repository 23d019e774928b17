"""Score distributions (percentiles from SQL) and score gaps within each school or grade, against numpy,
scipy and hand-worked districts, and against pandas over the sample district's canonical tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from equity_metrics.charts import specs as charts
from equity_metrics.measures import analysis, protected
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS, get_indicator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative import score_distribution as sd
from equity_metrics.narrative import score_gaps
from equity_metrics.storage.facts import rebuild_facts
from equity_metrics.storage.store import Store, bump_data_version

YEAR = "2024-25"
BLACK = "Black or African American"
WHITE = "White"
ASIAN = "Asian"
MATH = INDICATORS["math_scale_score"]
OPEN = MetricOptions(min_n=1, min_cell=1, privacy_threshold=1)


def build_store(path: Path, rows: list[tuple]) -> Store:
    """A store whose students each took the math test once: rows of (id, race, school, grade, score)."""
    frame = pd.DataFrame(rows, columns=["student_id", "race", "school_id", "grade", "scale_score"])
    frame["school_year"] = YEAR
    store = Store(path)
    with store.transaction() as cursor:
        cursor.register("new_rows", frame)
        cursor.execute("INSERT INTO enrollment (dataset_id, school_year, student_id, school_id, grade, race, sex) "
                       "SELECT 1, school_year, student_id, school_id, grade, race, 'Female' FROM new_rows")
        cursor.execute("INSERT INTO assessments (dataset_id, school_year, student_id, school_id, subject, grade, "
                       "scale_score) SELECT 2, school_year, student_id, school_id, 'Math', grade, scale_score "
                       "FROM new_rows")
        rebuild_facts(cursor)
        bump_data_version(cursor)
    return store


def students(prefix: str, race: str, scores, school: str = "S1", grade: str = "3") -> list[tuple]:
    return [(f"{prefix}{i:04d}", race, school, grade, float(s)) for i, s in enumerate(scores)]


# ---- percentiles -----------------------------------------------------------------------------------------
def test_percentiles_hand_example(tmp_path: Path) -> None:
    """Scores 10, 20, 30, 40, 50: linear interpolation between closest ranks puts the 10th percentile at
    rank 0.4 (10 + 0.4 x 10 = 14), the 25th at rank 1 (20), the median at 30, the 75th at 40, the 90th at 46."""
    rows = students("a", BLACK, [50, 10, 40, 20, 30]) + students("w", WHITE, [1, 2, 3, 4])
    with build_store(tmp_path / "five.duckdb", rows) as store:
        cells = sd.quantile_cells(store, MATH, ["race"], Filters(school_years=(YEAR,))).set_index("race")
        result = sd.score_distribution(store, "math_scale_score", ("race",), Filters(school_years=(YEAR,)), OPEN)
    assert cells.loc[BLACK, ["n", "p10", "p25", "median", "p75", "p90"]].tolist() == pytest.approx(
        [5, 14, 20, 30, 40, 46])
    # Four scores 1..4: 10th at rank 0.3 (1.3), 25th at 0.75 (1.75), median 2.5, 75th 3.25, 90th 3.7.
    assert cells.loc[WHITE, ["p10", "p25", "median", "p75", "p90"]].tolist() == pytest.approx(
        [1.3, 1.75, 2.5, 3.25, 3.7])
    table = result.table.set_index("race")
    assert list(result.table.columns) == ["race", *sd.DISTRIBUTION_COLUMNS]
    assert "min" not in result.table.columns and "max" not in result.table.columns
    assert table.loc[BLACK, "median"] == 30 and not table.loc[BLACK, "suppressed"]
    assert sd.distribution_headline(result) == (
        "The median math scale score ranged from 2.5 (White students) to 30 (Black or African American students), "
        "28 points apart (2024-25); the middle halves of their scores do not overlap.")


def test_percentiles_match_numpy_on_the_sample(sample_store: Store) -> None:
    scores = sample_store.query("""
        SELECT coalesce(e.race, 'Unknown') AS race, a.scale_score FROM assessments a
        LEFT JOIN enrollment e USING (school_year, student_id)
        WHERE a.school_year = ? AND a.subject = 'Math' AND a.scale_score IS NOT NULL""", [YEAR])
    result = sd.score_distribution(sample_store, "math_scale_score", ("race",), Filters(school_years=(YEAR,)))
    table = result.table.set_index("race")
    shown = table.index[~table["suppressed"].astype(bool)]
    assert len(shown) >= 5  # the large groups (the small ones are hidden, with no percentile: next test)
    for race, values in scores[scores["race"].isin(shown)].groupby("race")["scale_score"]:
        expected = np.quantile(values.to_numpy(), sd.QUANTILES)  # numpy's default: linear, as quantile_cont
        assert table.loc[race, list(sd.QUANTILE_COLUMNS)].tolist() == pytest.approx(expected.tolist(), rel=1e-12)
        assert table.loc[race, "n"] == len(values)


def test_hidden_groups_are_the_gap_tables(sample_store: Store) -> None:
    """One school: the groups hidden (privacy, complementary suppression, n-size) are exactly those of the
    score-gap table, and a hidden group has no percentile at all."""
    filters = Filters(school_years=(YEAR,), schools=("Oak Hollow Elementary",))
    result = sd.score_distribution(sample_store, "math_scale_score", ("race",), filters, MetricOptions(comparison=WHITE))
    gaps = analysis.gaps(sample_store, "math_scale_score", ("race",), filters)
    assert result.table["race"].tolist() == gaps.table["race"].tolist()
    assert result.table["suppressed"].tolist() == gaps.table["suppressed"].tolist()
    assert result.table["n"].astype("Float64").equals(gaps.table["n"].astype("Float64"))
    hidden = result.table[result.table["suppressed"]]
    assert len(hidden) >= 3 and hidden[list(sd.QUANTILE_COLUMNS)].isna().all().all()
    assert (hidden["note"] != "").all()
    shown = result.table[~result.table["suppressed"]]
    assert shown[list(sd.QUANTILE_COLUMNS)].notna().all().all() and (shown["note"] == "").all()
    # The chart draws only shown groups, from percentiles only; hidden ones are named with a reason.
    spec = charts.distribution_chart(result.table, ["race"], MATH, "t").to_dict()
    drawn = [d for d in spec["datasets"].values() if d and "median" in d[0]]
    assert {r["race"] for r in drawn[0]} == set(shown["race"])
    assert not {"min", "max", "scale_score"} & set(drawn[0][0])
    named = [d for d in spec["datasets"].values() if d and "reason" in d[0]]
    assert len(named[0]) == len(hidden)


def test_a_rate_has_no_distribution(sample_store: Store) -> None:
    with pytest.raises(ValueError, match="needs a score"):
        sd.score_distribution(sample_store, "oss")


# ---- gaps within each school or grade ------------------------------------------------------------------------
def test_counts_are_protected_along_grades(tmp_path: Path) -> None:
    """Grade 3: Asian 5 (hidden, privacy), Black 40 (hidden with it: the smallest other count of the grade).
    Grade 4: Asian 30, Black 45. Asian and Black students' totals over both grades are public (the district
    table), so their grade-4 counts would give away the grade-3 ones: they are hidden too. White stays."""
    rng = np.random.default_rng(7)
    rows = []
    for grade, counts in (("3", {ASIAN: 5, BLACK: 40, WHITE: 50}), ("4", {ASIAN: 30, BLACK: 45, WHITE: 55})):
        for race, count in counts.items():
            rows += students(f"{race[:2]}{grade}", race, rng.normal(2500, 80, count).round(), grade=grade)
    with build_store(tmp_path / "grades.duckdb", rows) as store:
        result = score_gaps.gaps_within(store, "math_scale_score", "grade", ("race",), Filters(school_years=(YEAR,)))
        plain = analysis.gaps(store, "math_scale_score", ("race",), Filters(school_years=(YEAR,)))
    table = result.table.set_index(["grade", "race"])
    assert table["n"].isna().to_dict() == {
        ("3", ASIAN): True, ("3", BLACK): True, ("3", WHITE): False,
        ("4", ASIAN): True, ("4", BLACK): True, ("4", WHITE): False}
    assert "hidden (privacy" in table.loc[("4", ASIAN), "note"]
    assert table.loc[("4", BLACK), ["mean", "hedges_g", "p_value"]].isna().all()
    # The district table shows the totals the protection is about.
    assert plain.table.set_index("race").loc[[ASIAN, BLACK], "n"].tolist() == [35, 85]
    # White students, compared with all other students of the same grade.
    scores = pd.DataFrame(rows, columns=["student_id", "race", "school_id", "grade", "scale_score"])
    for grade in ("3", "4"):
        in_grade = scores[scores["grade"] == grade]
        white = in_grade.loc[in_grade["race"] == WHITE, "scale_score"].to_numpy()
        others = in_grade.loc[in_grade["race"] != WHITE, "scale_score"].to_numpy()
        cell = table.loc[(grade, WHITE)]
        assert cell["n"] == len(white)
        assert cell["mean_difference"] == pytest.approx(white.mean() - others.mean(), rel=1e-9)
        pooled = np.sqrt(((len(white) - 1) * white.var(ddof=1) + (len(others) - 1) * others.var(ddof=1))
                         / (len(white) + len(others) - 2))
        g = (white.mean() - others.mean()) / pooled * (1 - 3 / (4 * (len(white) + len(others)) - 9))
        assert cell["hedges_g"] == pytest.approx(g, rel=1e-9)
        assert cell["p_value"] == pytest.approx(scipy_stats.ttest_ind(white, others, equal_var=False).pvalue,
                                                rel=1e-6)


def test_gaps_by_school_equal_the_school_unit_of_analysis_gaps(sample_store: Store) -> None:
    """Within schools, the lines along schools are already protected by the gap table: the same table."""
    filters = Filters(school_years=(YEAR,))
    within = score_gaps.gaps_within(sample_store, "math_scale_score", "school", ("race",), filters)
    by_school = analysis.gaps(sample_store, "math_scale_score", ("school", "race"), filters)
    pd.testing.assert_frame_equal(within.table, by_school.table)
    assert within.units == ("school",) and within.groups == ("race",)


def test_gaps_by_grade_match_pandas(sample_store: Store) -> None:
    scores = sample_store.query("""
        SELECT coalesce(e.race, 'Unknown') AS race, a.grade, a.scale_score FROM assessments a
        LEFT JOIN enrollment e USING (school_year, student_id)
        WHERE a.school_year = ? AND a.subject = 'Math' AND a.scale_score IS NOT NULL""", [YEAR])
    result = score_gaps.gaps_within(sample_store, "math_scale_score", "grade", ("race",), Filters(school_years=(YEAR,)))
    assert list(dict.fromkeys(result.table["grade"])) == ["3", "4", "5", "6", "7", "8", "10"]
    table = result.table.set_index(["grade", "race"])
    for grade in ("3", "10"):
        in_grade = scores[scores["grade"] == grade]  # all other students: Unknown race included
        black = in_grade.loc[in_grade["race"] == BLACK, "scale_score"]
        others = in_grade.loc[in_grade["race"] != BLACK, "scale_score"]
        assert table.loc[(grade, BLACK), "n"] == len(black)
        assert table.loc[(grade, BLACK), "mean_difference"] == pytest.approx(black.mean() - others.mean(), rel=1e-9)
    # No hidden count can be recovered from its grade's total: a grade with exactly one hidden count has its
    # total hidden too (the protected table's margin).
    _, totals = protected.protected_value_cells(sample_store, get_indicator("math_scale_score"), [YEAR], ["grade"],
                                                ["race"], Filters(school_years=(YEAR,)), 10)
    hidden_total = dict(zip(totals["grade"], totals["hide_n"], strict=True))
    for grade, line in result.table.groupby("grade"):
        assert line["n"].isna().sum() != 1 or hidden_total[grade], line


def test_within_headline_hand_example() -> None:
    rows = [
        # grade, race, difference, g, low, high
        ("3", BLACK, -57.2, -0.6177, -0.77, -0.47),
        ("4", BLACK, -40.0, -0.45, -0.6, -0.3),
        ("5", BLACK, 3.0, 0.03, -0.1, 0.16),
        ("3", WHITE, 40.0, 0.5, 0.4, 0.6),
    ]
    table = pd.DataFrame(rows, columns=["grade", "race", "mean_difference", "hedges_g", "hedges_g_ci_low",
                                        "hedges_g_ci_high"])
    table["suppressed"], table["note"] = False, ""
    hidden = pd.DataFrame([{"grade": "4", "race": ASIAN, "mean_difference": np.nan, "hedges_g": np.nan,
                            "hedges_g_ci_low": np.nan, "hedges_g_ci_high": np.nan, "suppressed": True,
                            "note": "fewer than 10 students: hidden (privacy)"}])
    table = pd.concat([table, hidden], ignore_index=True)
    assert score_gaps.within_headline(MATH, table, "grade", ["race"], "all other students") == (
        "In grade 3, Black or African American students' mean math scale score was 57 points below all other "
        "students' (Hedges' g \u22120.62, 95% CI \u22120.77 to \u22120.47). Black or African American students had "
        "a mean below all other students' in 2 of the 3 grades with a comparison.")
    assert score_gaps.unit_hidden_notes(table, ["race"], "grade") == [
        "fewer than 10 students: hidden (privacy): Asian students in grade 4"]
    school = table.rename(columns={"grade": "school"}).assign(school=["A", "B", "C", "A", "B"])
    assert score_gaps.within_headline(MATH, school, "school", ["race"], "White students").startswith(
        "At A, Black or African American students' mean math scale score was 57 points below White students' ")
    assert score_gaps.within_headline(MATH, table.iloc[4:], "grade", ["race"], "all other students") == (
        "Math scale score: no group could be compared within a grade with these filters.")


def test_gaps_within_refuses_what_it_cannot_compare(sample_store: Store) -> None:
    with pytest.raises(ValueError, match="within school or grade"):
        score_gaps.gaps_within(sample_store, "math_scale_score", "sex")
    with pytest.raises(ValueError, match="is a rate"):
        score_gaps.gaps_within(sample_store, "math_proficiency", "grade")
    with pytest.raises(ValueError, match="student groups only"):
        score_gaps.gaps_within(sample_store, "math_scale_score", "grade", ("school", "race"))
