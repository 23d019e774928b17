"""Issue 15: who can have the outcome. Gifted identification counts only the grades in which the district
identifies anyone that year (PK-1 students cannot be identified where no one is); IDEA placement counts
grades K-12, standing in for ages 6-21 when the data hold no birth date. Denominators recomputed from the
raw roster."""

from __future__ import annotations

from equity_metrics import analysis
from equity_metrics.aggregate import Filters
from equity_metrics.store import Store

YEAR = "2024-25"


def district_denominator(store: Store, indicator: str) -> int:
    result = analysis.rates(store, indicator, ("race",), Filters(school_years=(YEAR,)))
    return int(result.totals["denominator"].iloc[0])


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
