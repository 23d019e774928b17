"""Saved mappings: remembered by file shape, offered again for next year's file, exported and imported as JSON."""

from __future__ import annotations

from equity_metrics.ingest.mapping import Mapping, Unpivot
from equity_metrics.ingest.saved_mappings import adapt_to, save_mapping, saved_mapping, shape_of
from equity_metrics.storage.store import Store, delete_all

COLUMNS = ["Student ID", "Bldg", "Gr", "Ethnicity"]
MAPPING = Mapping("enrollment", {"student_id": "Student ID", "school_id": "Bldg", "grade": "Gr", "race": "Ethnicity"},
                  constants={"school_year": "2024-25"})


def test_shape_ignores_order_case_and_punctuation():
    assert shape_of(COLUMNS) == shape_of(["ethnicity", "GR", "bldg", "student_id"])
    assert shape_of(COLUMNS) != shape_of([*COLUMNS, "Gifted"])


def test_a_saved_mapping_is_offered_for_next_years_file(empty_store: Store):
    assert saved_mapping(empty_store, COLUMNS) is None  # nothing saved yet (the table does not even exist)
    save_mapping(empty_store, COLUMNS, MAPPING)
    next_year = ["STUDENT_ID", "bldg", "GR", "Ethnicity"]
    offered = saved_mapping(empty_store, next_year)
    assert offered is not None and offered.kind == "enrollment"
    assert offered.columns == {"student_id": "STUDENT_ID", "school_id": "bldg", "grade": "GR", "race": "Ethnicity"}
    assert offered.constants == {}  # never last year's school year for next year's file
    assert saved_mapping(empty_store, next_year, kind="discipline") is None
    assert saved_mapping(empty_store, [*COLUMNS, "Gifted"]) is None  # another shape


def test_saved_mappings_survive_deleting_the_data(empty_store: Store):
    save_mapping(empty_store, COLUMNS, MAPPING)
    delete_all(empty_store)
    assert saved_mapping(empty_store, COLUMNS).columns == MAPPING.columns


def test_saving_again_replaces_the_mapping_of_that_kind(empty_store: Store):
    save_mapping(empty_store, COLUMNS, MAPPING)
    newer = Mapping("enrollment", {**MAPPING.columns, "race": "Ethnicity"}, constants={"school_year": "2025-26"})
    save_mapping(empty_store, COLUMNS, newer)
    newest = Mapping("enrollment", {**MAPPING.columns, "school_year": "Gr"})
    save_mapping(empty_store, COLUMNS, newest)
    assert saved_mapping(empty_store, COLUMNS).columns["school_year"] == "Gr"
    assert empty_store.scalar("SELECT count(*) FROM saved_mappings") == 1


def test_adapt_to_respells_unpivot_columns():
    wide = Mapping("survey", {"response_id": "ResponseID", "respondent_type": "Type", "school_year": "Year"},
                   unpivot=Unpivot(("Q1 Belong", "Q2 Safe"), "item_id", "response", names={"Q1 Belong": "Q1"},
                                   category_field="construct", categories={"Q2 Safe": "Safety"}))
    adapted = adapt_to(wide, ["responseid", "TYPE", "year", "q1 belong", "Q2_SAFE"])
    assert adapted.unpivot.columns == ("q1 belong", "Q2_SAFE")
    assert adapted.unpivot.names == {"q1 belong": "Q1"} and adapted.unpivot.categories == {"Q2_SAFE": "Safety"}
    assert adapted.columns == {"response_id": "responseid", "respondent_type": "TYPE", "school_year": "year"}


def test_adapt_to_respells_race_question_columns():
    from equity_metrics.ingest.mapping import RaceQuestions

    mapping = Mapping("enrollment", {"student_id": "Student ID"},
                      race_questions=RaceQuestions(hispanic="Hispanic", flags={"White": "Race_White"}, listed=None))
    adapted = adapt_to(mapping, ["STUDENT ID", "hispanic", "race white"])
    assert adapted.race_questions == RaceQuestions(hispanic="hispanic", flags={"White": "race white"}, listed=None)
