"""Issue 15: who can have the outcome. Gifted identification counts only the grades in which the district
identifies anyone that year (PK-1 students cannot be identified where no one is); IDEA placement counts
grades K-12, standing in for ages 6-21 when the data hold no birth date. Denominators recomputed from the
raw roster."""

from __future__ import annotations

from equity_metrics.core.constants import DEFAULT_PRIVACY_THRESHOLD
from equity_metrics.measures import analysis, protected
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.storage.store import Store

YEAR = "2024-25"


def district_denominator(store: Store, indicator: str) -> int:
    """The district's students of the indicator's population, as counted (before any is hidden for privacy)."""
    table = protected.rate_table(store, INDICATORS[indicator], YEAR, DEFAULT_PRIVACY_THRESHOLD)
    keys = [k for k in table.columns if k in (protected.GEOGRAPHY, protected.BAND, *protected.SINGLE_SPLITS)]
    return int(table.loc[(table[keys] == protected.ALL).all(axis=1), "denominator"].iloc[0])


def test_gifted_identification_counts_only_grades_where_anyone_is_identified(sample_store: Store) -> None:
    roster = sample_store.query("SELECT grade, gifted FROM enrollment WHERE school_year = $y", {"y": YEAR})
    identifying = set(roster.loc[roster["gifted"].fillna(False).astype(bool), "grade"])
    assert {"PK", "K", "1"}.isdisjoint(identifying) and len(identifying) >= 10  # the sample screens from grade 2
    expected = int((roster["grade"].isin(identifying) & roster["gifted"].notna()).sum())
    assert district_denominator(sample_store, "gifted_identification") == expected
    assert expected < int(roster["gifted"].notna().sum())  # PK-1 left out


def test_placement_counts_grades_k_to_12(sample_store: Store) -> None:
    rows = sample_store.query("SELECT e.grade, s.disability_category, s.placement FROM enrollment e JOIN "
                              "special_education s USING (school_year, student_id) WHERE e.school_year = $y",
                              {"y": YEAR})
    rows = rows[rows["placement"].notna()]
    k_to_12 = rows["grade"].isin(["K", *map(str, range(1, 13))])
    assert (~k_to_12).sum() > 0  # PK students with an IEP and a placement exist, and are left out
    assert district_denominator(sample_store, "placement_separate_setting") == int(k_to_12.sum())
    # all students with an IEP minus those counted here is the few PK ones: the district's total is not shown
    shown = analysis.rates(sample_store, "placement_separate_setting", ("race",), Filters(school_years=(YEAR,)))
    assert shown.totals["denominator"].isna().all() and len(rows) - int(k_to_12.sum()) < DEFAULT_PRIVACY_THRESHOLD


def test_idea_discipline_categories_from_the_raw_incidents(sample_store: Store) -> None:
    """34 CFR 300.647(b)(4)(ii): among students with disabilities, OSS and expulsions of 10 days or fewer and
    of more than 10 days in the year, ISS likewise, and removals in total; recomputed in pandas from the raw
    roster and incidents (days summed per student and kind)."""
    roster = sample_store.query("SELECT student_id, disability FROM enrollment WHERE school_year = $y", {"y": YEAR})
    incidents = sample_store.query("SELECT student_id, action, days_removed FROM discipline WHERE school_year = $y",
                                   {"y": YEAR})
    with_iep = set(roster.loc[roster["disability"].fillna(False).astype(bool), "student_id"])
    incidents = incidents[incidents["student_id"].isin(with_iep)].fillna({"days_removed": 0})
    out_of_school = incidents[incidents["action"].isin(["Out-of-school suspension", "Expulsion"])]
    days = out_of_school.groupby("student_id")["days_removed"].sum()
    in_school = incidents[incidents["action"] == "In-school suspension"].groupby("student_id")["days_removed"].sum()
    removed = incidents[incidents["action"].isin(["In-school suspension", "Out-of-school suspension", "Expulsion",
                                                  "Alternative placement"])]["student_id"].nunique()
    expected = {"idea_oss_expulsion_10_or_fewer": int((days <= 10).sum()), "idea_oss_expulsion_over_10":
                int((days > 10).sum()), "idea_iss_10_or_fewer": int((in_school <= 10).sum()),
                "idea_iss_over_10": int((in_school > 10).sum()), "idea_total_removals": removed}
    assert min(expected.values()) > 0
    for indicator_id, count in expected.items():
        indicator = INDICATORS[indicator_id]
        got = sample_store.scalar(f"SELECT count_if(({indicator.population}) AND {indicator.value}) FROM "
                                  "facts_student_year WHERE school_year = $y", {"y": YEAR})
        assert got == count, indicator_id
        result = analysis.rates(sample_store, indicator_id, ("race",), Filters(school_years=(YEAR,)))
        shown = result.totals["numerator"].dropna()
        assert shown.empty or int(shown.iloc[0]) == count  # the district's count, unless the rules hide it
        assert int(result.totals["denominator"].iloc[0]) == len(with_iep)
