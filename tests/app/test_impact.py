"""The Impact assessments page under AppTest on the synthetic sample district: start an assessment, save it,
see its answers shown as typed (never as Markdown), its figures from the protected tables, a linked goal, the
HTML download; edit and delete it."""

from __future__ import annotations

from fixtures.apptest import assert_ok, plain
from fixtures.page_views import frame_with, open_page
from streamlit.testing.v1 import AppTest

from equity_metrics import goals
from equity_metrics.goals.impact import QUESTIONS, list_assessments
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters

SCHOOL = "Central High School"


def _fill_new(at: AppTest) -> None:
    at.text_input(key="impact_title_new").input("Later start time <b>for high school</b>")
    at.selectbox(key="impact_kind_new").select("schedule")
    at.selectbox(key="impact_year_new").select("2024-25")
    at.multiselect(key="impact_schools_new").select(SCHOOL)
    at.multiselect(key="impact_groups_new_race").select("Black or African American")
    at.multiselect(key="impact_indicators_new").select("chronic_absenteeism")
    at.text_area(key="impact_answer_proposal_new").input("Start at **8:45**. ![x](http://127.0.0.1:9/b.png)")
    at.run()
    assert_ok(at)


def test_a_new_assessment_is_saved_and_shown(at: AppTest) -> None:
    from views.cache import get_store  # the app's own store (the same file cannot be opened twice)

    open_page(at, "impact")
    assert at.title[0].value == "Impact assessments"
    assert at.selectbox(key="impact_pick").value == "Start a new assessment"
    assert [t.label for t in at.text_area] == [f"{n}. {q.text}" for n, q in enumerate(QUESTIONS, start=1)]
    _fill_new(at)
    at.button(key="impact_save_new").click().run()
    assert_ok(at)
    store = get_store()
    saved, = list_assessments(store)
    assert (saved.assessment_id, saved.decision_kind, saved.schools) == (1, "schedule", (SCHOOL,))
    assert at.selectbox(key="impact_pick").value == "1. Later start time <b>for high school</b>"
    assert "Assessment 1 saved." in [plain(s.value) for s in at.success]
    texts = [plain(m.value) for m in at.markdown]
    assert "Start at **8:45**. ![x](http://127.0.0.1:9/b.png)" in texts  # shown as typed, nothing loaded
    assert "*Not answered yet.*" in [m.value for m in at.markdown]
    # the figures: the page's own row for the group, at the school, in the year
    expected = analysis.rates(store, "chronic_absenteeism", ["race"], Filters(("2024-25",), (SCHOOL,))).table
    row = expected.set_index("race").loc["Black or African American"]
    table = frame_with(at, "With outcome")
    assert table["Race/ethnicity"].tolist() == ["Black or African American"]
    assert (int(table["n"].iloc[0]), int(table["With outcome"].iloc[0])) == (int(row["denominator"]), int(row["numerator"]))
    assert "**Chronic absenteeism: Central High School, 2024-25**" in texts
    download = [b for b in at.get("download_button") if b.proto.label == "Download the assessment (HTML)"]
    assert len(download) == 1


def test_a_goal_is_linked_and_the_assessment_deleted(at: AppTest) -> None:
    from views.cache import get_store

    store = get_store()
    goal = goals.add_goal(store, goals.Goal(indicator_id="oss", dimension="race", group_value="Black or African American",
                                            measure="risk_ratio", target_value=1.5, target_year="2027-28"))
    open_page(at, "impact")
    _fill_new(at)
    at.multiselect(key="impact_goals_new").select(goal.goal_id)
    at.button(key="impact_save_new").click().run()
    assert_ok(at)
    texts = [plain(m.value) for m in at.markdown]
    assert any(t.startswith(f"- Goal {goal.goal_id}: ") for t in texts), texts
    at.text_area(key="impact_answer_mitigation_1").input("Late buses on every route.")
    at.button(key="impact_save_1").click().run()
    assert_ok(at)
    assert list_assessments(store)[0].answer("mitigation") == "Late buses on every route."
    at.button(key="impact_delete_1").click().run()
    assert_ok(at)
    assert list_assessments(store) == []
    assert at.selectbox(key="impact_pick").value == "Start a new assessment"
    assert "Assessment 1 deleted." in [plain(s.value) for s in at.success]


def test_a_title_is_required(at: AppTest) -> None:
    from views.cache import get_store

    open_page(at, "impact")
    at.button(key="impact_save_new").click().run()
    assert not at.exception
    assert [plain(e.value) for e in at.error] == ["Not saved: an impact assessment needs a title: the decision it weighs"]
    assert list_assessments(get_store()) == []
