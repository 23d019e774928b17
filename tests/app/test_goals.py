"""The Goals page and the Overview's goals section under AppTest, on a private copy of the sample district.

What the page shows is checked against the library run on the (unchanged) sample store for the same goals,
whose numbers tests/goals/test_goals_model.py checks against plain SQL.
"""

from __future__ import annotations

from fixtures.apptest import assert_ok, charts, dataset_with, metric, plain, select_label, title_of
from streamlit.testing.v1 import AppTest

from equity_metrics import goals
from equity_metrics.goals.model import Goal
from equity_metrics.storage.store import Store

BLACK = "Black or African American"
OSS_GOAL = Goal("oss", "race", BLACK, "risk_ratio", 2.0, "2027-28", baseline_year="2022-23", owner="Ms. Diaz")
IMPORTED = [  # district goals: at one school these counts are too few to show (privacy)
    Goal("ap_enrollment", "race", BLACK, "rate_gap", 5.0, "2027-28", baseline_year="2022-23",
         strategy="Open enrollment in AP"),
    Goal("math_scale_score", "race", BLACK, "score_gap", 30.0, "2027-28", baseline_year="2022-23"),
]


def open_goals(app: AppTest) -> AppTest:
    app.switch_page("pages/goals.py").run()
    assert_ok(app)
    return app


def button(app: AppTest, label: str):
    found = [b for b in app.button if b.label == label]
    assert len(found) == 1, [b.label for b in app.button]
    return found[0]


def target_input(app: AppTest, label: str):
    """The new goal's target (its key follows the draft, so the suggested value follows the choices)."""
    found = [n for n in app.number_input if n.label == label and n.key.startswith("goal_new_target_")]
    assert len(found) == 1, [n.label for n in app.number_input]
    return found[0]


def cards(app: AppTest) -> list[str]:
    """The first line of each goal card: status badge, number and title."""
    return [plain(m.value) for m in app.markdown if "-badge[" in m.value and " Goal " in m.value]


def add_oss_goal(app: AppTest) -> None:
    select_label(app.selectbox(key="goal_new_indicator"), "Discipline · Out-of-school suspension").run()
    app.selectbox(key="goal_new_group_race").select(BLACK).run()
    select_label(app.selectbox(key="goal_new_measure_rate"), "Risk ratio").run()
    assert_ok(app)
    app.selectbox(key="goal_new_baseline").select("2022-23")
    target_input(app, "Target (ratio)").set_value(2.0)
    app.selectbox(key="goal_new_target_year").select("2027-28")
    app.text_input(key="goal_new_owner").input("Ms. Diaz")
    button(app, "Add goal").click().run()
    assert_ok(app)


def test_goals_page_add_edit_delete(at: AppTest, sample_store: Store) -> None:
    open_goals(at)
    assert at.title[0].value == "Goals"
    assert any(box.value == "No goals yet. Add one below, or import a goals CSV." for box in at.info)
    assert not charts(at)

    # The draft shows the values so far, from the library.
    select_label(at.selectbox(key="goal_new_indicator"), "Discipline · Out-of-school suspension").run()
    at.selectbox(key="goal_new_group_race").select(BLACK).run()
    expected = goals.goal_progress(sample_store, OSS_GOAL)
    values = " · ".join(f"{y}: {v:.2f}" for y, v in zip(expected.years["school_year"], expected.years["value"],
                                                         strict=True))
    assert any(plain(c.value) == f"So far: {values}" for c in at.caption), [c.value for c in at.caption]
    assert target_input(at, "Target (ratio)").value == round(expected.value, 2) == 2.94

    add_oss_goal(at)
    assert at.success[0].value == "Goal 1 added."
    title = goals.goal_title(OSS_GOAL)
    assert cards(at) == [f":orange-badge[Off track] Goal 1: {title}"]
    sentence = goals.progress_sentence(expected)
    assert sentence.startswith("Off track in 2024-25: 2.94")
    assert sentence in [plain(m.value) for m in at.markdown]
    assert "Owner: Ms. Diaz" in [plain(c.value) for c in at.caption]
    assert metric(at, "Off track") == "1" and metric(at, "Met") == "0"
    (chart,) = charts(at)
    assert title_of(chart) == title
    drawn = dataset_with(chart, "value_text")
    assert drawn["school_year"].tolist() == ["2022-23", "2023-24", "2024-25"]
    assert drawn["value"].tolist() == expected.years["value"].tolist()
    assert drawn["path_value"].tolist() == expected.years["path_value"].tolist()
    years = at.expander[0].dataframe[0].value  # "Every school year"
    assert years["Status"].tolist() == ["on track", "off track", "off track"]

    # Edit: a closer target puts the goal on track.
    assert at.selectbox(key="goal_edit_choice").value == 1
    at.number_input(key="goal_edit_target_1").set_value(2.9)
    at.text_input(key="goal_edit_strategy_1").input("Restorative practices")
    button(at, "Save changes").click().run()
    assert_ok(at)
    assert at.success[0].value == "Goal 1 saved."
    closer = goals.goal_progress(sample_store, Goal("oss", "race", BLACK, "risk_ratio", 2.9, "2027-28",
                                                    baseline_year="2022-23"))
    assert closer.status == goals.STATUS_ON_TRACK
    assert cards(at) == [f":blue-badge[On track] Goal 1: {title}"]
    assert goals.progress_sentence(closer) in [plain(m.value) for m in at.markdown]
    assert "Owner: Ms. Diaz · Strategy: Restorative practices" in [plain(c.value) for c in at.caption]

    # Delete needs the confirmation.
    assert button(at, "Delete this goal").disabled
    at.checkbox(key="goal_delete_confirm_1").check().run()
    button(at, "Delete this goal").click().run()
    assert_ok(at)
    assert at.success[0].value == "Goal 1 deleted."
    assert cards(at) == [] and not charts(at)


def test_goals_page_csv_import(at: AppTest, sample_store: Store) -> None:
    open_goals(at)
    uploader = [u for u in at.file_uploader if u.label == "Import goals from a CSV file"][0]
    uploader.set_value(("goals.csv", goals.goals_to_csv(IMPORTED), "text/csv")).run()
    button(at, "Import goals").click().run()
    assert_ok(at)
    assert at.success[0].value == "Imported 2 goal(s): 2 new, 0 updated."
    expected = [goals.goal_progress(sample_store, goal) for goal in IMPORTED]
    badges = {goals.STATUS_OFF_TRACK: ":orange-badge[Off track]"}
    assert cards(at) == [f"{badges[p.status]} Goal {i}: {goals.goal_title(p.goal)}" for i, p in enumerate(expected, 1)]
    markdown = [plain(m.value) for m in at.markdown]
    assert all(goals.progress_sentence(p) in markdown for p in expected)
    assert len(charts(at)) == 2

    # A file with a bad row: nothing is imported, and the message names the row and the column.
    bad = (",".join(goals.REQUIRED_CSV_COLUMNS) + "\noss,race,White,rate,3,2027-28\noss,race,Asian,rate,3,2027\n")
    uploader = [u for u in at.file_uploader if u.label == "Import goals from a CSV file"][0]
    uploader.set_value(("bad.csv", bad.encode("utf-8"), "text/csv")).run()
    button(at, "Import goals").click().run()
    assert not at.exception
    assert [plain(e.value) for e in at.error] == [
        "Nothing was imported:\n- Row 3, column target_year: '2027' is not a school year (write it like 2027-28)."]
    assert len(cards(at)) == 2


def test_overview_shows_goals_that_moved_and_slipped(at: AppTest, sample_store: Store) -> None:
    assert "No goals yet: set targets on the Goals page" in " ".join(c.value for c in at.caption)
    open_goals(at)
    add_oss_goal(at)
    uploader = [u for u in at.file_uploader if u.label == "Import goals from a CSV file"][0]
    uploader.set_value(("goals.csv", goals.goals_to_csv(IMPORTED), "text/csv")).run()
    button(at, "Import goals").click().run()
    assert_ok(at)

    at.switch_page("pages/overview.py").run()
    assert_ok(at)
    assert [s.value for s in at.subheader][-1] == "Goals"
    progresses = [goals.goal_progress(sample_store, goal) for goal in (OSS_GOAL, *IMPORTED)]
    moved, slipped = goals.moved_and_slipped(progresses)
    # From the sample's values: the suspension ratio fell (2.98 to 2.94); both gaps widened.
    assert [p.goal.indicator_id for p in moved] == ["oss"]
    assert [p.goal.indicator_id for p in slipped] == ["ap_enrollment", "math_scale_score"]
    markdown = [plain(m.value) for m in at.markdown]
    assert "3 goal(s): 3 off track." in markdown
    assert (f"Moved toward the target since the year before:\n- Goal 1, {goals.goal_title(OSS_GOAL)}: 2.98 in 2023-24 "
            "to 2.94 in 2024-25 (off track)") in markdown
    ap, score = progresses[1], progresses[2]
    assert ("Slipped since the year before:\n"
            f"- Goal 2, {goals.goal_title(ap.goal)}: {ap.previous_value:.1f} percentage points in 2023-24 to "
            f"{ap.value:.1f} percentage points in 2024-25 (off track)\n"
            f"- Goal 3, {goals.goal_title(score.goal)}: {score.previous_value:.1f} points in 2023-24 to "
            f"{score.value:.1f} points in 2024-25 (off track)") in markdown
    # The rest of the Overview is unchanged: one chart per finding, none for goals.
    headers = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(charts(at)) == len(headers) >= 1


PREDICTOR_GOAL = Goal("oss", "race", "", "predictor", 0.05, "2027-28", baseline_year="2022-23")


def test_goals_page_adds_a_predictor_goal(at: AppTest, sample_store: Store) -> None:
    open_goals(at)
    select_label(at.selectbox(key="goal_new_indicator"), "Discipline · Out-of-school suspension").run()
    select_label(at.selectbox(key="goal_new_measure_rate"), goals.MEASURES["predictor"].label).run()
    assert_ok(at)
    # No group to pick, and the district is the only scope.
    keys = [s.key for s in at.selectbox]
    assert "goal_new_group_race" not in keys and "goal_new_comparison_race" not in keys
    assert at.selectbox(key="goal_new_school").options == [goals.DISTRICT]
    expected = goals.goal_progress(sample_store, PREDICTOR_GOAL)
    values = " · ".join(f"{y}: {v:.3f}" for y, v in zip(expected.years["school_year"], expected.years["value"],
                                                         strict=True))
    assert any(plain(c.value) == f"So far: {values}" for c in at.caption), [c.value for c in at.caption]
    assert target_input(at, "Target (Cramér's V)").value == round(expected.value, 3) == 0.142

    at.selectbox(key="goal_new_baseline").select("2022-23")
    target_input(at, "Target (Cramér's V)").set_value(0.05)
    at.selectbox(key="goal_new_target_year").select("2027-28")
    button(at, "Add goal").click().run()
    assert_ok(at)
    assert at.success[0].value == "Goal 1 added."
    title = goals.goal_title(PREDICTOR_GOAL)
    assert title == "Out-of-school suspension, how much race/ethnicity predicts it (Cramér's V; District)"
    assert cards(at) == [f":orange-badge[Off track] Goal 1: {title}"]
    assert goals.progress_sentence(expected) in [plain(m.value) for m in at.markdown]
    (chart,) = charts(at)
    assert title_of(chart) == title
    drawn = dataset_with(chart, "value_text")
    assert drawn["value"].tolist() == expected.years["value"].tolist()
    assert drawn["value_text"].tolist() == [f"{v:.3f}" for v in expected.years["value"]]
    years = at.expander[0].dataframe[0].value  # "Every school year"
    assert years["Status"].tolist() == ["on track", "off track", "off track"]
