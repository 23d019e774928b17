"""The app itself under AppTest: navigation, the sidebar's filters and the empty states every page shares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures.apptest import charts
from fixtures.page_views import (
    YEAR,
    frame_with,
    open_page,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.storage.store import Store


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


def test_navigation_order() -> None:
    source = (Path(__file__).resolve().parents[2] / "app.py").read_text()
    titles = re.findall(r'st\.Page\("pages/\w+\.py", title=_\("([^"]+)"\)', source)  # translated (views.language)
    assert titles == ["Overview", "Discipline", "Course access", "Achievement", "Special education", "Staffing",
                      "Climate", "Listening sessions", "Schools", "Trends", "Goals", "Impact assessments", "Report",
                      "Present", "Data"]


@pytest.mark.parametrize(("page", "message"), [
    ("achievement", "No test scores yet: load state assessment results"),
    ("staffing", "Load a staff file"),
    ("climate", "No survey data yet: load climate survey responses"),
    ("listening", "No coded excerpts yet: load a file of excerpts"),
])
def test_friendly_empty_states(roster_only: AppTest, page: str, message: str) -> None:
    open_page(roster_only, page)
    assert any(message in box.value for box in roster_only.info), [box.value for box in roster_only.info]
    assert not charts(roster_only)


def test_pages_with_partial_data(roster_only: AppTest) -> None:
    """Gifted and special education identification need only the roster: those pages show just them (the IDEA
    table has one indicator), and Schools and Trends offer what the roster supports."""
    open_page(roster_only, "course_access")
    assert roster_only.selectbox(key="course_access_indicator").options == ["Gifted identification"]
    assert len(charts(roster_only)) == 3
    open_page(roster_only, "special_education")
    assert roster_only.selectbox(key="special_education_indicator").options == ["Special education identification"]
    assert set(frame_with(roster_only, "Threshold")["Indicator"]) == {"Special education identification"}
    for page, expected in (("schools", 1), ("trends", 2)):  # trends: the rates and how much race predicts them
        open_page(roster_only, page)
        assert len(charts(roster_only)) == expected
