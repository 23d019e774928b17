"""Scope words and file names (issue 16): every title, caption, export file name and report item says which
school (or the district), grades, years and groups it shows."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.analysis import Result
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative.scope import scope, scope_slug, scope_words
from equity_metrics.reports.basket import IndicatorSpec
from views.exports import file_stem

MAPLE = Filters(("2024-25",), ("Maple Grove Middle",), "Middle (6-8)")


@pytest.mark.parametrize(("filters", "groups", "units", "words", "slug"), [
    (MAPLE, ["race"], [], "Maple Grove Middle, grades 6-8, 2024-25, by race/ethnicity",
     "oss_maple-grove-middle_grades-6-8_2024-25_race"),
    (Filters(("2024-25",)), ["sex"], [], "District, all grades, 2024-25, by sex", "oss_district_2024-25_sex"),
    (Filters(("2024-25",), grade_band="Elementary (PK-5)"), ["english_learner"], ["school"],
     "District, grades PK-5, 2024-25, by school and english learner",
     "oss_district_grades-pk-5_2024-25_school_english_learner"),
    (Filters(("2022-23", "2023-24", "2024-25")), ["race"], ["school_year"],
     "District, all grades, 2022-23 to 2024-25, by race/ethnicity", "oss_district_2022-23-to-2024-25_race"),
    (Filters(), ["race", "disability"], [], "District, all grades, latest year, by race/ethnicity and disability "
     "(idea)", "oss_district_latest-year_race_disability"),
])
def test_scope_words_and_file_names(filters: Filters, groups: list[str], units: list[str], words: str,
                                    slug: str) -> None:
    assert scope_words(filters, groups, units) == words
    assert scope_slug("oss", filters, groups, units) == slug.replace("english_learner", "english-learner")


def test_where_leaves_out_the_split() -> None:
    assert scope(MAPLE, ["race"]).where() == "Maple Grove Middle, grades 6-8, 2024-25"


@given(st.text(min_size=1, max_size=300))
def test_a_file_name_is_safe_whatever_the_school_is_called(name: str) -> None:
    stem = scope_slug("oss", Filters(("2024-25",), (name,)), ["race"])
    assert re.fullmatch(r"[A-Za-z0-9_-]+", stem) and len(stem) <= 120
    assert stem.startswith("oss_") and not stem.startswith("oss_district")


def test_the_export_file_stem_and_the_report_title_name_the_school() -> None:
    result = Result(INDICATORS["oss"], ("race",), (), MAPLE, MetricOptions(), pd.DataFrame())
    assert file_stem(result) == "oss_maple-grove-middle_grades-6-8_2024-25_race"
    spec = IndicatorSpec("oss", ("race",), ("2024-25",), ("Maple Grove Middle",), "Middle (6-8)")
    assert spec.default_title() == "Out-of-school suspension by race/ethnicity: Maple Grove Middle, grades 6-8, 2024-25"
