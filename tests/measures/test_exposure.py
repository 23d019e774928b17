"""Students' exposure to school figures by group (issue 17: equitable access to teachers), recomputed from the
raw analysis tables with pandas, and its ranges from a linear program over published counts only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from equity_metrics.measures import exposure, protected
from equity_metrics.measures.exposure import ALL_STUDENTS, EXPOSURES, displayed_exposure, exposure_table
from equity_metrics.narrative.exposure import exposure_finding
from equity_metrics.storage.facts import SOURCES

YEAR = "2024-25"


def _raw_school_figures(store, exposure_id: str) -> pd.Series:
    """Each school's figure from the raw staff and student rows (pandas, not the library's SQL)."""
    staff = store.query("SELECT school, role, years_experience FROM facts_staff WHERE school_year = $y AND "
                        "school_id IS NOT NULL", {"y": YEAR})
    students = store.query("SELECT school FROM facts_student_year WHERE school_year = $y", {"y": YEAR})
    enrolled = students.groupby("school").size()
    if exposure_id == "inexperienced_teachers":
        teachers = staff[(staff["role"] == "Teacher") & staff["years_experience"].notna()]
        return teachers.groupby("school")["years_experience"].apply(lambda y: float((y < 2).mean()))
    counselors = staff[staff["role"] == "Counselor"].groupby("school").size()
    return (enrolled / counselors).dropna()


def _raw_exposure(store, exposure_id: str, dimension: str) -> pd.Series:
    figure = _raw_school_figures(store, exposure_id)
    students = store.query(f"SELECT school, {dimension} AS g FROM facts_student_year WHERE school_year = $y",
                           {"y": YEAR})
    students = students[students["school"].isin(figure.index)]
    weighted = students.assign(v=students["school"].map(figure))
    per_group = weighted.groupby("g")["v"].mean()
    return pd.concat([per_group, pd.Series({ALL_STUDENTS: float(weighted["v"].mean())})])


@pytest.mark.parametrize("exposure_id", list(EXPOSURES))
@pytest.mark.parametrize("dimension", ["race", "sex", "low_income"])
def test_exact_figures_equal_a_pandas_recomputation(sample_store, exposure_id, dimension):
    result = exposure_table(sample_store, exposure_id, dimension, YEAR)
    truth = _raw_exposure(sample_store, exposure_id, dimension)
    table = result.table.set_index(dimension)
    exact = table[np.isfinite(table["exposure"].astype("float64"))]
    assert ALL_STUDENTS in exact.index
    for group, row in exact.iterrows():
        assert row["exposure"] == pytest.approx(truth[group], rel=1e-12), group
    # every hidden figure's range holds the truth
    for group, row in table[table["suppressed"] & np.isfinite(table["exposure_low"].astype("float64"))].iterrows():
        assert row["exposure_low"] - 1e-12 <= truth[group] <= row["exposure_high"] + 1e-12, group


def test_the_sample_shows_black_and_hispanic_students_exactly_and_white_students_to_the_digit(sample_store):
    result = exposure_table(sample_store, "inexperienced_teachers", "race", YEAR)
    table = result.table.set_index("race")
    assert table.loc["Black or African American", "students"] == 3061
    assert table.loc["Black or African American", "exposure"] == pytest.approx(0.10432569378328704, rel=1e-12)
    assert table.loc[ALL_STUDENTS, "students"] == 15330
    assert bool(table.loc["White", "suppressed"]) and np.isnan(table.loc["White", "exposure"])
    shown = pd.Series(displayed_exposure(result), index=table.index)
    assert shown["White"] == pytest.approx(0.1117, abs=0.0005)  # the range is narrower than the last digit
    assert exposure_finding(result) == (
        "White students attend schools where 11.2% of teachers are in their first or second year, vs 10.4% for "
        "Black or African American students (district, 2024-25)")


def _published(store, dimension):
    """What every view publishes about the year's enrolled students: shown school and district cells."""
    layer = protected.population_layer(store, SOURCES["student_year"], "TRUE", YEAR, 10)
    keep = layer[protected.BAND] == protected.ALL
    for split in protected.SINGLE_SPLITS:
        keep &= (layer[split] != protected.ALL) if split == dimension else (layer[split] == protected.ALL)
    totals = layer[(layer[protected.BAND] == protected.ALL)
                   & np.logical_and.reduce([layer[s] == protected.ALL for s in protected.SINGLE_SPLITS])]
    return layer[keep], totals


@pytest.mark.parametrize("exposure_id", list(EXPOSURES))
@pytest.mark.parametrize("dimension", ["race", "sex"])
def test_ranges_are_what_published_counts_allow(sample_store, exposure_id, dimension):
    """Each range equals the least and most student-weighted figure over every set of the group's hidden school
    counts that the published counts allow (the group's district count, each school's total less its shown
    groups), by scipy's linear programming: the range tells a reader nothing the published counts don't."""
    result = exposure_table(sample_store, exposure_id, dimension, YEAR)
    figures = result.schools.set_index("school")["value"].dropna()
    cells, totals = _published(sample_store, dimension)
    schools = cells[cells[protected.GEOGRAPHY] != protected.ALL]
    district = cells[cells[protected.GEOGRAPHY] == protected.ALL].set_index(dimension)
    school_total = totals.set_index(protected.GEOGRAPHY)
    checked = 0
    for _, row in result.table[result.table["suppressed"] & result.table["exposure_low"].notna()].iterrows():
        group = row[dimension]
        if group == ALL_STUDENTS:
            continue
        mine = schools[(schools[dimension] == group) & schools[protected.GEOGRAPHY].isin(figures.index)]
        hidden = mine[mine["hidden"]]
        shown = mine[~mine["hidden"]]
        others = schools[(schools[dimension] != group) & ~schools["hidden"]].groupby(protected.GEOGRAPHY)["n"].sum()
        room = [float(school_total.at[s, "n"]) - float(others.get(s, 0.0)) for s in hidden[protected.GEOGRAPHY]]
        rest = float(district.at[group, "n"]) - float(shown["n"].sum())
        values = figures[hidden[protected.GEOGRAPHY]].to_numpy()
        base = float((shown["n"] * figures[shown[protected.GEOGRAPHY]].to_numpy()).sum())
        bounds = list(zip([0.0] * len(room), room, strict=True))
        low = linprog(values, A_eq=[np.ones(len(values))], b_eq=[rest], bounds=bounds)
        high = linprog(-values, A_eq=[np.ones(len(values))], b_eq=[rest], bounds=bounds)
        assert low.status == 0 and high.status == 0
        assert row["students"] == pytest.approx(float(district.at[group, "n"]))
        assert row["exposure_low"] == pytest.approx((base + low.fun) / row["students"], rel=1e-9)
        assert row["exposure_high"] == pytest.approx((base - high.fun) / row["students"], rel=1e-9)
        checked += 1
    assert checked >= 2


def test_an_exact_figure_only_where_every_school_count_is_shown(sample_store):
    cells, _ = _published(sample_store, "race")
    schools = cells[cells[protected.GEOGRAPHY] != protected.ALL]
    for exposure_id in EXPOSURES:
        table = exposure_table(sample_store, exposure_id, "race", YEAR).table
        for _, row in table[table["exposure"].notna() & (table["race"] != ALL_STUDENTS)].iterrows():
            assert not schools[schools["race"] == row["race"]]["hidden"].any(), row["race"]


def test_n_size_and_refusals(sample_store):
    table = exposure_table(sample_store, "inexperienced_teachers", "race", YEAR, min_n=20_000).table
    assert table["exposure"].isna().all()
    assert (table["note"].str.contains("n-size")).all()
    with pytest.raises(ValueError, match="unknown exposure"):
        exposure_table(sample_store, "spending", "race")
    with pytest.raises(ValueError, match="split by one of"):
        exposure_table(sample_store, "inexperienced_teachers", "school")
    with pytest.raises(exposure.NoExposureDataError, match="2019-20 has no staff file"):
        exposure_table(sample_store, "inexperienced_teachers", "race", "2019-20")


def test_no_staff_file_is_a_clear_error(empty_store):
    with pytest.raises(exposure.NoExposureDataError, match="staff file and an enrollment roster"):
        exposure_table(empty_store, "inexperienced_teachers", "race")


def test_a_share_needs_as_many_teachers_as_the_privacy_threshold(sample_store):
    """A school's teachers are counted in the staff views, where fewer than the threshold are hidden: a share
    over fewer would narrow that count, so such a school has no figure and no staff counts (Westbrook has 34
    teachers: left out at a threshold of 35)."""
    schools = exposure.school_figures(sample_store, EXPOSURES["inexperienced_teachers"], YEAR, threshold=35)
    westbrook = schools.set_index("school").loc["Westbrook Middle School"]
    assert pd.isna(westbrook["value"]) and pd.isna(westbrook["staff"]) and pd.isna(westbrook["counted"])
    assert schools["value"].notna().sum() == len(schools) - 1
