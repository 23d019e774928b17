"""Equity impact assessments (issue 17): stored in the store as given, validated with messages that name the
problem, linked to goals; a store made before the table existed still lists none."""

from __future__ import annotations

import duckdb
import pytest

from equity_metrics.goals.impact import (
    QUESTIONS,
    ImpactAssessment,
    ImpactNotFoundError,
    delete_assessment,
    get_assessment,
    linked_goal_ids,
    list_assessments,
    save_assessment,
)
from equity_metrics.storage.store import Store


def _proposal(**changes) -> ImpactAssessment:
    base = dict(title="  Later high-school start time  ", decision_kind="schedule", school_year="2024-25",
                schools=("Central High School", "Central High School"), groups=("Black or African American",),
                indicators=("oss", "chronic_absenteeism"), goal_ids=(2, 2, 5),
                answers={"proposal": "Start at 8:45.", "engagement": "**Two** listening sessions <b>in Spanish</b>",
                         "mitigation": "   "})
    base.update(changes)
    return ImpactAssessment(**base)


def test_an_assessment_is_stored_as_given_and_read_back(empty_store: Store) -> None:
    saved = save_assessment(empty_store, _proposal())
    assert saved.assessment_id == 1 and saved.title == "Later high-school start time"
    read = get_assessment(empty_store, 1)
    assert read.schools == ("Central High School",) and read.goal_ids == (2, 5)
    assert read.answer("engagement") == "**Two** listening sessions <b>in Spanish</b>"  # text kept as typed
    assert read.answer("mitigation") == ""  # blank answers are not kept
    assert read.indicators == ("oss", "chronic_absenteeism")
    second = save_assessment(empty_store, _proposal(title="Weighted budget formula", decision_kind="budget"))
    assert second.assessment_id == 2
    save_assessment(empty_store, ImpactAssessment(**{**read.__dict__, "title": "Later start, revised"}))
    assert [a.title for a in list_assessments(empty_store)] == ["Later start, revised", "Weighted budget formula"]
    assert linked_goal_ids(list_assessments(empty_store)) == {2, 5}
    delete_assessment(empty_store, 1)
    with pytest.raises(ImpactNotFoundError, match="no impact assessment 1"):
        get_assessment(empty_store, 1)


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": "   "}, "needs a title"),
    ({"title": "x" * 201}, "under 200"),
    ({"decision_kind": "vibes"}, "decision kind 'vibes'"),
    ({"dimension": "shoe_size"}, "unknown group dimension"),
    ({"indicators": ("oss", "nope")}, "unknown indicator nope"),
    ({"answers": {"feelings": "x"}}, "unknown question feelings"),
    ({"answers": {"data": "x" * 10_001}}, "over 10,000 characters"),
])
def test_a_bad_assessment_is_refused_naming_the_problem(empty_store: Store, changes, message) -> None:
    with pytest.raises(ValueError, match=message):
        save_assessment(empty_store, _proposal(**changes))
    assert list_assessments(empty_store) == []


def test_the_questions_are_race_forwards_seven(tmp_path) -> None:
    assert [q.key for q in QUESTIONS] == ["proposal", "affected", "data", "benefits_burdens", "engagement",
                                          "mitigation", "monitoring"]
    path = tmp_path / "old.duckdb"
    with Store(path):
        pass
    connection = duckdb.connect(str(path))
    connection.execute("DROP TABLE impact_assessments")  # a store made before the table existed
    connection.close()
    with Store(path, read_only=True) as store:
        assert list_assessments(store) == []
