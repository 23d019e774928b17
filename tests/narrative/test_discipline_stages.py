"""Discipline stages (referral -> in-school suspension -> out-of-school suspension -> expulsion) against
hand-worked districts, scipy and statsmodels, and against pandas over the sample district's canonical tables.

The joint suppression is checked both on a district built so that one rule fires at a time, and as
invariants over the sample district: no count hidden in one table is shown in another, no line of cells has
exactly one hidden count, and no pair of shown counts reveals a small number of referred students.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact
from scipy.stats.contingency import relative_risk
from statsmodels.stats.proportion import proportion_confint

from equity_metrics.core.codes import ACTIONS
from equity_metrics.core.suppression import small_count
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.analysis import NoDataError
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative import discipline_stages as ds
from equity_metrics.narrative.findings import p_text
from equity_metrics.storage.facts import rebuild_facts
from equity_metrics.storage.store import Store, bump_data_version

YEAR = "2024-25"
BLACK = "Black or African American"
WHITE = "White"
HISPANIC = "Hispanic or Latino"
OTHER, ISS, OSS, EXP, LAW = "Other", "In-school suspension", "Out-of-school suspension", "Expulsion", \
    "Law enforcement referral"
# No privacy or minimum rule fires in the hand-worked examples: every number is shown.
OPEN = MetricOptions(min_n=1, min_cell=1, privacy_threshold=1)


def build_store(path: Path, students: list[tuple], actions: list[tuple]) -> Store:
    """A store holding exactly these enrollment rows (year, id, race, sex) and discipline rows (year, id,
    action), with the analysis tables rebuilt."""
    store = Store(path)
    enrollment = pd.DataFrame(students, columns=["school_year", "student_id", "race", "sex"])
    discipline = pd.DataFrame(actions, columns=["school_year", "student_id", "action"])
    with store.transaction() as cursor:
        cursor.register("new_enrollment", enrollment)
        cursor.execute("INSERT INTO enrollment (dataset_id, school_year, student_id, school_id, grade, race, sex) "
                       "SELECT 1, school_year, student_id, 'S1', '7', race, sex FROM new_enrollment")
        cursor.register("new_discipline", discipline)
        cursor.execute("INSERT INTO discipline (dataset_id, school_year, student_id, school_id, action) "
                       "SELECT 2, school_year, student_id, 'S1', action FROM new_discipline")
        rebuild_facts(cursor)
        bump_data_version(cursor)
    return store


def cohort(prefix: str, race: str | None, count: int, *actions: str, year: str = YEAR) -> tuple[list, list]:
    """`count` students of one race, each with the same actions that year."""
    ids = [f"{prefix}{i:04d}" for i in range(count)]
    return ([(year, i, race, "Female") for i in ids], [(year, i, action) for i in ids for action in actions])


def district(*cohorts: tuple[list, list]) -> tuple[list, list]:
    students, actions = [], []
    for s, a in cohorts:
        students += s
        actions += a
    return students, actions


def row(table: pd.DataFrame, basis: str, stage: str, **group: str) -> pd.Series:
    mask = (table["basis"] == basis) & (table["stage"] == stage)
    for dimension, value in group.items():
        mask &= table[dimension] == value
    assert mask.sum() == 1, (basis, stage, group)
    return table[mask].iloc[0]


# ---- a hand-worked district --------------------------------------------------------------------------------
@pytest.fixture()
def small(tmp_path: Path) -> Store:
    """Black students: 10 enrolled; b0 detention only, b1 in-school suspension, b2 out-of-school suspension,
    b3 out-of-school suspension and expulsion, b4 detention then out-of-school suspension: 5 referred, 1 ISS,
    3 OSS, 1 expelled. White students: 20 enrolled; w0 and w1 detention, w2 ISS, w3 OSS, w4 a law-enforcement
    referral only: 5 referred, 1 ISS, 1 OSS, none expelled. One student of unknown race, suspended out of
    school. Rows that must not count: an action in another year, and an action of a student not enrolled."""
    students = [(YEAR, f"b{i}", BLACK, "Male") for i in range(10)] + \
        [(YEAR, f"w{i}", WHITE, "Female") for i in range(20)] + [(YEAR, "u0", None, "Male")] + \
        [("2023-24", "b0", BLACK, "Male")]
    actions = [(YEAR, "b0", OTHER), (YEAR, "b1", ISS), (YEAR, "b2", OSS), (YEAR, "b3", OSS), (YEAR, "b3", EXP),
               (YEAR, "b4", OTHER), (YEAR, "b4", OSS),
               (YEAR, "w0", OTHER), (YEAR, "w1", OTHER), (YEAR, "w2", ISS), (YEAR, "w3", OSS), (YEAR, "w4", LAW),
               (YEAR, "u0", OSS), ("2023-24", "b5", OSS), (YEAR, "x9", OSS), ("2023-24", "b0", OTHER)]
    store = build_store(tmp_path / "small.duckdb", students, actions)
    yield store
    store.close()


def test_stage_counts_hand_example(small: Store) -> None:
    cells = ds.stage_cells(small, ["race"], Filters(school_years=(YEAR,))).set_index("race")
    assert cells.loc[BLACK, ["enrolled", "referral", "iss", "oss", "expulsion"]].tolist() == [10, 5, 1, 3, 1]
    assert cells.loc[WHITE, ["enrolled", "referral", "iss", "oss", "expulsion"]].tolist() == [20, 5, 1, 1, 0]
    assert cells.loc["Unknown", ["enrolled", "referral", "iss", "oss", "expulsion"]].tolist() == [1, 1, 0, 1, 0]


def test_rates_and_conditional_shares_hand_example(small: Store) -> None:
    result = ds.staged_rates(small, ("race",), Filters(school_years=(YEAR,)), OPEN)
    assert result.referral_recorded
    assert [s.id for s in result.stages] == ["referral", "iss", "oss", "expulsion"]
    table = result.table
    assert list(table.columns[:4]) == ["basis", "stage", "stage_label", "race"]
    # Per enrolled student: a / n, and the risk ratio vs all other students (the White students and the student
    # of unknown race, who was referred and suspended out of school).
    expected = {"referral": (5, 10, 6, 21), "iss": (1, 10, 1, 21), "oss": (3, 10, 2, 21)}
    for stage, (a, n, c, m) in expected.items():
        black = row(table, ds.PER_STUDENT, stage, race=BLACK)
        assert (black["numerator"], black["denominator"]) == (a, n)
        assert black["rate"] == a / n
        assert black["comparison_rate"] == pytest.approx(c / m, rel=1e-12)
        assert black["risk_ratio"] == pytest.approx((a / n) / (c / m), rel=1e-12)
    assert row(table, ds.PER_STUDENT, "referral", race=BLACK)["risk_ratio"] == pytest.approx(1.75)
    assert row(table, ds.PER_STUDENT, "oss", race=BLACK)["risk_ratio"] == pytest.approx(3.15)
    # No other student was expelled: no risk ratio (cell size), the rates are shown.
    expelled = row(table, ds.PER_STUDENT, "expulsion", race=BLACK)
    assert expelled["rate"] == 0.1 and np.isnan(expelled["risk_ratio"])

    # Of students referred: 3 of 5 Black students vs 2 of the 6 other students referred (5 White, 1 unknown).
    oss = row(table, ds.OF_REFERRED, "oss", race=BLACK)
    assert (oss["numerator"], oss["denominator"]) == (3, 5)
    assert oss["rate"] == pytest.approx(0.6) and oss["comparison_rate"] == pytest.approx(2 / 6)
    assert oss["risk_ratio"] == pytest.approx(1.8)
    low, high = proportion_confint(3, 5, alpha=0.05, method="wilson")
    assert (oss["rate_ci_low"], oss["rate_ci_high"]) == pytest.approx((low, high), rel=1e-9)
    interval = relative_risk(3, 5, 2, 6).confidence_interval(0.95)
    assert (oss["risk_ratio_ci_low"], oss["risk_ratio_ci_high"]) == pytest.approx((interval.low, interval.high))
    # Expected counts under 5: Fisher's exact test, two-sided, as scipy computes it.
    assert oss["test"] == "Fisher's exact"
    assert oss["p_value"] == pytest.approx(fisher_exact([[3, 2], [2, 4]])[1], rel=1e-9)
    iss = row(table, ds.OF_REFERRED, "iss", race=WHITE)
    assert (iss["numerator"], iss["denominator"], iss["rate"]) == (1, 5, 0.2)
    assert iss["risk_ratio"] == pytest.approx(0.2 / (1 / 6))
    # Unknown race is its own row, never compared (its students are among "all other students").
    unknown = row(table, ds.PER_STUDENT, "oss", race="Unknown")
    assert unknown["numerator"] == 1 and np.isnan(unknown["risk_ratio"]) and "not compared" in unknown["note"]
    assert set(table["basis"]) == {ds.PER_STUDENT, ds.OF_REFERRED}
    assert set(table.loc[table["basis"] == ds.OF_REFERRED, "stage"]) == {"iss", "oss", "expulsion"}


def test_sentences_hand_example(small: Store) -> None:
    result = ds.staged_rates(small, ("race",), Filters(school_years=(YEAR,)), OPEN)
    # Fisher's exact p-values of the three compared stages are all above 0.05: no significance is claimed.
    for table in ([[5, 5], [6, 15]], [[1, 9], [1, 20]], [[3, 7], [2, 19]]):
        assert fisher_exact(table)[1] > 0.05
    assert ds.stage_headline(result) == (
        "Compared with all other students, Black or African American students were 1.8 times as likely to be "
        "referred for discipline, 2.1 times as likely to receive an in-school suspension and 3.1 times as likely "
        "to receive an out-of-school suspension (2024-25); none of these differences is statistically "
        "significant: each could be due to chance. Not compared (too few students, or hidden): expulsion.")
    p = fisher_exact([[3, 2], [2, 4]])[1]
    assert ds.conditional_headline(result) == (
        "Black or African American students were 1.8 times as likely as all other students to receive an "
        f"out-of-school suspension once referred (60.0% vs 33.3%); the difference could be due to chance "
        f"(Fisher's exact, {p_text(p)}, q = 1.000 corrected for multiple tests).")  # another stage's p is 1
    # Against White students alone: 0.5 / 0.25.
    versus_white = ds.staged_rates(small, ("race",), Filters(school_years=(YEAR,)),
                                   MetricOptions(comparison=WHITE, min_n=1, min_cell=1, privacy_threshold=1))
    assert ds.stage_headline(versus_white).startswith("Compared with White students, Black or African American "
                                                      "students were 2.0 times as likely to be referred")


def test_without_minor_actions_the_stages_start_at_suspension(tmp_path: Path) -> None:
    """A file listing only removals: its "referrals" would be the removals again, so there is no referral
    stage and no share of referred students, and the result says so."""
    students, actions = district(cohort("b", BLACK, 20, OSS), cohort("c", BLACK, 10, ISS), cohort("d", BLACK, 10),
                                 cohort("w", WHITE, 40, ISS), cohort("v", WHITE, 40))
    with build_store(tmp_path / "removals.duckdb", students, actions) as store:
        assert not ds.referrals_recorded(store, [YEAR])
        result = ds.staged_rates(store, ("race",), Filters(school_years=(YEAR,)), OPEN)
    assert not result.referral_recorded
    assert [s.id for s in result.stages] == ["iss", "oss", "expulsion"]
    assert set(result.table["basis"]) == {ds.PER_STUDENT}
    assert row(result.table, ds.PER_STUDENT, "oss", race=BLACK)["rate"] == 0.5
    assert ds.conditional_headline(result).startswith("Referrals are not on file")
    # White students: 40 of 80 given an in-school suspension vs 10 of 40 Black students; no White student was
    # suspended out of school or expelled, so those stages have no ratio.
    headline = ds.stage_headline(result)
    assert headline.startswith("Compared with all other students, White students were 2.0 times as likely to "
                               "receive an in-school suspension (2024-25); ")
    assert headline.endswith("Not compared (too few students, or hidden): out-of-school suspension and expulsion.")


def test_years_without_discipline_records_are_never_zero(tmp_path: Path) -> None:
    students = [(YEAR, f"s{i}", WHITE, "Male") for i in range(40)] + \
        [("2023-24", f"s{i}", WHITE, "Male") for i in range(40)]
    actions = [("2023-24", "s1", OTHER)]
    with build_store(tmp_path / "years.duckdb", students, actions) as store:
        with pytest.raises(NoDataError, match="No student-level discipline records for 2024-25"):
            ds.staged_rates(store, ("race",), Filters(school_years=(YEAR,)))
        latest = ds.staged_rates(store, ("race",), Filters(), OPEN)
        assert latest.school_years == ("2023-24",)
    with Store(tmp_path / "empty.duckdb") as empty, pytest.raises(NoDataError, match="No discipline records"):
        ds.staged_rates(empty, ("race",))


def test_a_small_number_of_referred_students_without_the_sanction_is_hidden(tmp_path: Path) -> None:
    """Hispanic: 200 enrolled, 40 referred, 35 of them suspended out of school: the 5 referred students not
    suspended would follow from two shown counts, so the 35 is hidden, in every view, with enough others
    that it cannot be recovered; the referrals themselves are shown."""
    students, actions = district(
        cohort("h", HISPANIC, 35, OTHER, OSS), cohort("i", HISPANIC, 5, OTHER), cohort("j", HISPANIC, 160),
        cohort("w", WHITE, 20, OSS), cohort("x", WHITE, 40, OTHER), cohort("y", WHITE, 240),
        cohort("b", BLACK, 30, OSS), cohort("c", BLACK, 20, OTHER), cohort("d", BLACK, 200),
    )
    with build_store(tmp_path / "rest.duckdb", students, actions) as store:
        result = ds.staged_rates(store, ("race",), Filters(school_years=(YEAR,)))
        rates = analysis.rates(store, "oss", ("race",), Filters(school_years=(YEAR,))).table.set_index("race")
    table = result.table
    hispanic = row(table, ds.PER_STUDENT, "oss", race=HISPANIC)
    assert pd.isna(hispanic["numerator"]) and np.isnan(hispanic["rate"]) and hispanic["suppressed"]
    assert "hidden (privacy" in hispanic["note"]
    # The Discipline page's own rates hide the same count: the stages show nothing the rates do not.
    assert pd.isna(rates.loc[HISPANIC, "numerator"])
    hidden = [r for r in (HISPANIC, BLACK, WHITE) if pd.isna(row(table, ds.PER_STUDENT, "oss", race=r)["numerator"])]
    assert len(hidden) >= 2  # never the only hidden count of its line
    referred = table[(table["basis"] == ds.PER_STUDENT) & (table["stage"] == "referral")].set_index("race")
    assert referred["numerator"].tolist() == [40, 50, 60]  # federal order: Hispanic, Black, White
    # Of students referred: a share is shown only where both its counts are shown.
    of_referred = table[(table["basis"] == ds.OF_REFERRED) & (table["stage"] == "oss")].set_index("race")
    assert of_referred.loc[hidden, "numerator"].isna().all()


def test_minor_actions_are_canonical() -> None:
    assert set(ds.MINOR_ACTIONS) <= set(ACTIONS)


# ---- the sample district -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def canonical(sample_store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    roster = sample_store.query("SELECT school_year, student_id, coalesce(race, 'Unknown') AS race, sex "
                                "FROM enrollment WHERE school_year = ?", [YEAR])
    actions = sample_store.query("SELECT student_id, action FROM discipline WHERE school_year = ?", [YEAR])
    return roster, actions


def test_stage_counts_match_pandas(sample_store: Store, canonical) -> None:
    roster, actions = canonical
    flags = pd.DataFrame({"student_id": roster["student_id"], "race": roster["race"]})
    flags["referral"] = flags["student_id"].isin(set(actions["student_id"]))
    for stage, action in (("iss", ISS), ("oss", OSS), ("expulsion", EXP)):
        flags[stage] = flags["student_id"].isin(set(actions.loc[actions["action"] == action, "student_id"]))
    expected = flags.groupby("race").agg(enrolled=("student_id", "size"), referral=("referral", "sum"),
                                         iss=("iss", "sum"), oss=("oss", "sum"), expulsion=("expulsion", "sum"))
    got = ds.stage_cells(sample_store, ["race"], Filters(school_years=(YEAR,))).set_index("race")
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_dtype=False)
    assert got.loc[BLACK, "referral"] == 626 and got.loc[BLACK, "oss"] == 360


@pytest.mark.parametrize("by", [("race",), ("sex",), ("school", "race"), ("disability",)])
def test_joint_suppression_invariants(sample_store: Store, by: tuple[str, ...]) -> None:
    options = MetricOptions()
    result = ds.staged_rates(sample_store, by, Filters(school_years=(YEAR,)), options)
    table, keys = result.table, list(by)
    counts = ds.stage_cells(sample_store, keys, Filters(school_years=(YEAR,))).set_index(keys)
    per = {s: table[(table["basis"] == ds.PER_STUDENT) & (table["stage"] == s)].set_index(keys)
           for s in ("referral", "iss", "oss", "expulsion")}
    cond = {s: table[(table["basis"] == ds.OF_REFERRED) & (table["stage"] == s)].set_index(keys)
            for s in ("iss", "oss", "expulsion")}
    threshold = options.privacy_threshold
    for stage, part in [*per.items(), *cond.items()]:
        shown = part[part["numerator"].notna()]
        # Every shown count is a true count, and neither it nor its complement is small.
        true = counts.loc[shown.index, stage]
        assert (shown["numerator"].astype(int) == true).all()
        assert not small_count(shown["numerator"].astype(float), threshold).any()
        assert not small_count((shown["denominator"] - shown["numerator"]).astype(float), threshold).any()
        # A hidden count leaves nothing computed from it.
        hidden = part[part["numerator"].isna()]
        assert hidden["suppressed"].all() and hidden[["rate", "risk_ratio", "share_of_numerator"]].isna().all().all()
    for stage, part in cond.items():
        # A share of referred students rests on counts shown per enrolled student, never on hidden ones.
        shown = part[part["numerator"].notna()].index
        assert per[stage].loc[shown, "numerator"].notna().all()
        assert per["referral"].loc[shown, "numerator"].notna().all()
        assert per["referral"].loc[part[part["denominator"].notna()].index, "numerator"].notna().all()
        # Two shown counts never reveal a small number of referred students without the sanction.
        both = per[stage]["numerator"].notna() & per["referral"]["numerator"].notna()
        rest = (per["referral"].loc[both, "numerator"] - per[stage].loc[both, "numerator"]).astype(float)
        assert not small_count(rest, threshold).any()
    # Each stage shows exactly what the rates of its indicator show (the same protected table).
    for stage in ("iss", "oss", "expulsion"):
        rates = analysis.rates(sample_store, stage, by, Filters(school_years=(YEAR,)), options).table.set_index(keys)
        pd.testing.assert_series_equal(per[stage]["numerator"], rates["numerator"], check_names=False)


def test_sample_headlines(sample_store: Store, canonical) -> None:
    roster, actions = canonical
    result = ds.staged_rates(sample_store, ("race",), Filters(school_years=(YEAR,)))
    known = roster[roster["race"] != "Unknown"]
    referred = set(actions["student_id"])
    suspended = set(actions.loc[actions["action"] == OSS, "student_id"])
    black = known["race"] == BLACK
    a = known.loc[black, "student_id"].isin(referred).sum()
    n = black.sum()
    c = known.loc[~black, "student_id"].isin(referred).sum()
    m = (~black).sum()
    assert ds.stage_headline(result).startswith(
        f"Compared with all other students, Black or African American students were {(a / n) / (c / m):.1f} times "
        "as likely to be referred for discipline")
    # Of the students referred: Black students' share suspended out of school vs all other referred students.
    referred_black = known[black & known["student_id"].isin(referred)]["student_id"]
    referred_other = known[~black & known["student_id"].isin(referred)]["student_id"]
    share, other = referred_black.isin(suspended).mean(), referred_other.isin(suspended).mean()
    assert (round(share, 3), round(other, 3)) == (0.575, 0.409)
    assert ds.conditional_headline(result).startswith(
        f"Black or African American students were {share / other:.1f} times as likely as all other students to "
        f"receive an out-of-school suspension once referred ({share:.1%} vs {other:.1%}); the difference is "
        "statistically significant")
