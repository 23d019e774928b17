"""Counts of the same students, or of a part of them, in two different tables (issue 12).

Students with an IEP are the numerator of identification and the population of the IDEA discipline measures;
students in an AP course are the numerator of AP enrollment and the population of AP exams taken; students with
an IEP in grades K-12 (placement) are all students with an IEP but the PK ones. Protected apart, two tables hid
the same count differently (a complement hidden in one, shown in the other) and placement minus identification
gave the PK students with an IEP exactly (Black students: 540 - 538 = 2). Both failed on the code before this
test; the checks below read the protected tables and the public `rates`, not the engine's reasoning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_metrics.measures import aggregate, analysis, protected
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import Store

YEAR = "2024-25"
THRESHOLD = 10


def _layer(store: Store, source: str, population: str) -> pd.DataFrame:
    layer = protected.population_layer(store, SOURCES[source], population, YEAR, THRESHOLD)
    return layer[layer[protected.GRADE] == protected.ALL] if protected.GRADE in layer.columns else layer


@pytest.mark.parametrize("population", sorted(protected.COUPLED))
def test_the_same_students_are_hidden_alike_in_both_tables(sample_store: Store, population: str) -> None:
    indicator = INDICATORS[protected.COUPLED[population]]
    table = protected.rate_table(sample_store, indicator, YEAR, THRESHOLD)
    layer = _layer(sample_store, indicator.source, population)
    keys = [k for k in protected._layout(SOURCES[indicator.source]).keys if k in layer.columns]
    both = table[[*keys, "numerator", "hide_numerator"]].merge(layer[[*keys, "n", "hidden"]], on=keys)
    assert len(both) > 10
    same = both["numerator"].to_numpy(dtype=float) == both["n"].to_numpy(dtype=float)
    assert same.all(), "the coupled counts are the same students"
    differ = both[both["hide_numerator"].to_numpy(dtype=bool) != both["hidden"].to_numpy(dtype=bool)]
    assert differ.empty, differ.head().to_string()


@pytest.mark.parametrize("population", sorted(protected.NESTED))
def test_a_part_never_shows_a_small_difference_from_the_whole(sample_store: Store, population: str) -> None:
    part = _layer(sample_store, "student_year", population) if population != "interviewed" else \
        _layer(sample_store, "applicant", population)
    source = "applicant" if population == "interviewed" else "student_year"
    keys = [k for k in protected._layout(SOURCES[source]).keys if k in part.columns]
    for parent in protected.NESTED[population]:
        whole = _layer(sample_store, source, parent)
        both = part[[*keys, "n", "hidden"]].merge(whole[[*keys, "n", "hidden"]], on=keys, suffixes=("", "_whole"))
        shown = ~both["hidden"].to_numpy(dtype=bool) & ~both["hidden_whole"].to_numpy(dtype=bool)
        difference = both["n_whole"].to_numpy(dtype=float) - both["n"].to_numpy(dtype=float)
        revealed = shown & (difference >= 1) & (difference < THRESHOLD)
        assert not revealed.any(), both[revealed].head().to_string()


@pytest.mark.parametrize("school", [None, "Maple Grove Elementary", "Oak Hollow Elementary"])
def test_placement_minus_identification_gives_away_no_pk_student(sample_store: Store, school: str | None) -> None:
    """Through the public calls, as the command line prints them: the students with an IEP of each group
    (identification's numerator, the IDEA measures' students) minus those counted for placement (K-12)."""
    filters = Filters((YEAR,), (school,) if school else ())
    placed = analysis.rates(sample_store, "placement_regular_class_lt40", ["race"], filters).table
    identified = analysis.rates(sample_store, "sped_identification", ["race"], filters).table
    idea = analysis.rates(sample_store, "idea_total_removals", ["race"], filters).table
    for whole, column in ((identified, "numerator"), (idea, "denominator")):
        both = placed[["race", "denominator"]].merge(whole[["race", column]].rename(columns={column: "whole"}),
                                                     on="race")
        difference = (both["whole"].to_numpy(dtype=float, na_value=np.nan)
                      - both["denominator"].to_numpy(dtype=float, na_value=np.nan))
        assert not ((difference >= 1) & (difference < THRESHOLD)).any(), both.to_string()
    assert aggregate.schools(sample_store)  # the schools named above are the sample's


@pytest.mark.parametrize("population", sorted(protected.MASTERED))
def test_a_groups_students_are_hidden_as_the_all_students_layer_hides_them(sample_store: Store,
                                                                           population: str) -> pd.DataFrame:
    """Students with an IEP at a school (the IDEA measures' students) are that school's students with
    disabilities in the all-students layer (every rate's denominators): what that layer hides is hidden here
    too, or this layer would show a complement the other hides (on the code before: 12 cells hidden differently,
    20 and 8 hidden counts then found by differencing)."""
    dimension, value = protected.MASTERED[population]
    whole = _layer(sample_store, "student_year", "TRUE")
    part = _layer(sample_store, "student_year", population)
    keys = [k for k in protected._layout(SOURCES["student_year"]).keys if k in whole.columns]
    same = whole[whole[dimension] == value].assign(**{dimension: protected.ALL})
    both = same[[*keys, "n", "hidden"]].merge(part[[*keys, "n", "hidden"]], on=keys, suffixes=("", "_part"))
    assert len(both) > 20 and (both["n"] == both["n_part"]).all()
    whole_hides, part_hides = both["hidden"].to_numpy(dtype=bool), both["hidden_part"].to_numpy(dtype=bool)
    assert not (whole_hides & ~part_hides).any(), both[whole_hides & ~part_hides].head().to_string()
    return both[whole_hides != part_hides]


@pytest.mark.xfail(strict=True, reason="known gap (issue 12): the IEP layer, protected with identification, still "
                   "hides 2 band x sex cells of its students that the all-students layer shows (no small count is "
                   "recovered by differencing); the all-students layer would have to be protected jointly with them")
def test_a_groups_students_are_hidden_exactly_alike(sample_store: Store) -> None:
    differ = test_a_groups_students_are_hidden_as_the_all_students_layer_hides_them(sample_store, "has_iep")
    assert differ.empty, differ.head().to_string()
