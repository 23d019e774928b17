"""Mappings: JSON round trip, validation messages, and guesses from realistic district headers."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_metrics.ingest.kinds import guess_kind, guess_mapping
from equity_metrics.ingest.mapping import MAPPING_FIELDS, Mapping, MappingError, RaceQuestions, Unpivot
from equity_metrics.ingest.mapping_schema import mapping_problems
from equity_metrics.storage.schema import KINDS


def headers(text: str) -> list[str]:
    return [h.strip() for h in text.split(",")]


# ---- JSON round trip -----------------------------------------------------------------------------------
TEXT = st.text(max_size=30)
NAMES = st.dictionaries(TEXT, TEXT, max_size=6)
UNPIVOTS = st.builds(
    Unpivot,
    columns=st.lists(TEXT, max_size=6).map(tuple),
    name_field=TEXT,
    value_field=TEXT,
    names=NAMES,
    category_field=st.none() | TEXT,
    categories=NAMES,
)
MAPPINGS = st.builds(
    Mapping,
    kind=st.sampled_from(sorted(KINDS)) | TEXT,
    columns=NAMES,
    constants=NAMES,
    unpivot=st.none() | UNPIVOTS,
    header_row=st.integers(0, 1000),
    date_format=st.sampled_from(["%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d"]) | TEXT,
)


@settings(max_examples=100, deadline=None)
@given(MAPPINGS)
def test_json_round_trip(mapping: Mapping) -> None:
    text = mapping.to_json()
    if mapping_problems(json.loads(text), MAPPING_FIELDS):  # an unknown kind or field, a blank name: refused, never half-read
        with pytest.raises(MappingError, match=r"^not a valid mapping: \w"):
            Mapping.from_json(text)
        return
    again = Mapping.from_json(text)
    assert again == mapping
    assert again.to_json() == text
    assert json.loads(text)["kind"] == mapping.kind


def test_json_round_trip_example() -> None:
    mapping = Mapping(
        kind="survey",
        columns={"response_id": "Resp ID", "respondent_type": "Type"},
        constants={"school_year": "2024-25"},
        unpivot=Unpivot(columns=("Q1", "Q2"), name_field="item_id", value_field="response",
                        names={"Q1": "I feel safe"}, category_field="construct", categories={"Q1": "Safety"}),
        header_row=2,
        date_format="%d/%m/%Y",
    )
    data = json.loads(mapping.to_json())
    assert data == {
        "kind": "survey",
        "columns": {"response_id": "Resp ID", "respondent_type": "Type"},
        "constants": {"school_year": "2024-25"},
        "header_row": 2,
        "date_format": "%d/%m/%Y",
        "unpivot": {"columns": ["Q1", "Q2"], "name_field": "item_id", "value_field": "response",
                    "names": {"Q1": "I feel safe"}, "category_field": "construct", "categories": {"Q1": "Safety"}},
    }
    assert Mapping.from_json(mapping.to_json()) == mapping


def test_from_json_defaults() -> None:
    mapping = Mapping.from_json('{"kind": "enrollment"}')
    assert mapping == Mapping(kind="enrollment", columns={}, constants={}, unpivot=None, header_row=0,
                              date_format="%m/%d/%Y")


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", "null", "{}", '{"kind": "enrollment", "columns": []}',
     '{"kind": "enrollment", "header_row": "two"}', '{"kind": "survey", "unpivot": {"columns": []}}'],
)
def test_from_json_rejects_bad_text(text: str) -> None:
    with pytest.raises(MappingError, match="^not a valid mapping: "):
        Mapping.from_json(text)


# ---- validate ------------------------------------------------------------------------------------------
ENROLLMENT = Mapping(
    kind="enrollment",
    columns={"student_id": "Student ID", "school_id": "School Code", "grade": "Grade"},
    constants={"school_year": "2024-25"},
)


def test_valid_mapping_passes() -> None:
    ENROLLMENT.validate(["Student ID", "School Code", "Grade", "Extra"], "roster.csv")
    ENROLLMENT.validate()


def test_unknown_kind() -> None:
    with pytest.raises(MappingError) as raised:
        Mapping(kind="attendance", columns={}).validate(source="roster.csv")
    assert str(raised.value) == f"roster.csv: unknown kind 'attendance'; expected one of {', '.join(KINDS)}"


def test_unknown_field_is_named() -> None:
    mapping = Mapping(kind="enrollment", columns={**ENROLLMENT.columns, "colour": "Fav Colour"},
                      constants={"school_year": "2024-25"})
    with pytest.raises(MappingError) as raised:
        mapping.validate(["Student ID", "School Code", "Grade", "Fav Colour"], "roster.csv")
    assert str(raised.value) == "roster.csv: Enrollment roster has no field 'colour'"


def test_unknown_unpivot_field_is_named() -> None:
    mapping = Mapping(kind="survey", columns={"response_id": "id", "respondent_type": "type"},
                      constants={"school_year": "2024-25"},
                      unpivot=Unpivot(columns=("Q1",), name_field="question", value_field="response"))
    with pytest.raises(MappingError, match=r"^survey\.csv: Climate survey responses has no field 'question'$"):
        mapping.validate(source="survey.csv")


def test_missing_required_field_is_named() -> None:
    mapping = Mapping(kind="enrollment", columns={"student_id": "Student ID", "school_id": "School Code"},
                      constants={"school_year": "2024-25"})
    with pytest.raises(MappingError) as raised:
        mapping.validate(["Student ID", "School Code"], "roster.csv")
    assert str(raised.value) == "roster.csv: no column mapped to required field 'grade'"


def test_several_missing_required_fields_in_schema_order() -> None:
    with pytest.raises(MappingError) as raised:
        Mapping(kind="enrollment", columns={"student_id": "id"}).validate()
    assert str(raised.value) == "the file: no column mapped to required field 'school_year', 'school_id', 'grade'"


def test_constant_supplies_a_required_field() -> None:
    mapping = Mapping(kind="discipline", columns={"student_id": "id", "action": "act"},
                      constants={"school_year": "2024-25"})
    mapping.validate(["id", "act"])
    without = Mapping(kind="discipline", columns={"student_id": "id", "action": "act"})
    with pytest.raises(MappingError, match="required field 'school_year'"):
        without.validate(["id", "act"])


def test_absent_column_is_named_with_source() -> None:
    with pytest.raises(MappingError) as raised:
        ENROLLMENT.validate(["Student ID", "School"], "roster.xlsx, sheet 'Fall'")
    assert str(raised.value) == "roster.xlsx, sheet 'Fall': no column named 'School Code', 'Grade'"


def test_absent_unpivot_column_is_named() -> None:
    mapping = Mapping(kind="survey", columns={"response_id": "id", "respondent_type": "type"},
                      constants={"school_year": "2024-25"},
                      unpivot=Unpivot(columns=("Q1", "Q9"), name_field="item_id", value_field="response"))
    mapping.validate(["id", "type", "Q1", "Q9"])
    with pytest.raises(MappingError) as raised:
        mapping.validate(["id", "type", "Q1"], "survey.csv")
    assert str(raised.value) == "survey.csv: no column named 'Q9'"


def test_column_names_are_exact_not_keyed() -> None:
    # validation compares raw names exactly: "grade" is not the file's "Grade"
    mapping = Mapping(kind="enrollment", columns={"student_id": "Student ID", "school_id": "School Code",
                                                  "grade": "grade"}, constants={"school_year": "2024-25"})
    with pytest.raises(MappingError, match=r"no column named 'grade'$"):
        mapping.validate(["Student ID", "School Code", "Grade"])


# ---- guesses -------------------------------------------------------------------------------------------
REALISTIC = {
    "enrollment": (
        "School Year, Student ID, School Code, Grade, Race/Ethnicity, Gender, IEP, 504, ELL, FRL Status, "
        "Days Enrolled, Days Absent",
        {"school_year": "School Year", "student_id": "Student ID", "school_id": "School Code", "grade": "Grade",
         "race": "Race/Ethnicity", "sex": "Gender", "disability": "IEP", "section_504": "504",
         "english_learner": "ELL", "low_income": "FRL Status", "days_enrolled": "Days Enrolled",
         "days_absent": "Days Absent"},
    ),
    "discipline": (
        "Incident ID, Student ID, School Year, School Code, Incident Date, Offense, Offense Type, Action, Days Removed",
        {"school_year": "School Year", "student_id": "Student ID", "school_id": "School Code",
         "incident_id": "Incident ID", "incident_date": "Incident Date", "offense": "Offense",
         "offense_category": "Offense Type", "action": "Action", "days_removed": "Days Removed"},
    ),
    "courses": (
        "School Year, Student ID, School Code, Course Code, Course Title, Course Type, AP Exam Taken, AP Score",
        {"school_year": "School Year", "student_id": "Student ID", "school_id": "School Code",
         "course_code": "Course Code", "course_name": "Course Title", "course_level": "Course Type",
         "exam_taken": "AP Exam Taken", "exam_score": "AP Score"},
    ),
    "assessments": (
        "School Year, Student ID, School Code, Test Subject, Tested Grade, Scale Score, Achievement Level, "
        "Met Standard",
        {"school_year": "School Year", "student_id": "Student ID", "school_id": "School Code",
         "subject": "Test Subject", "grade": "Tested Grade", "scale_score": "Scale Score",
         "performance_level": "Achievement Level", "proficient": "Met Standard"},
    ),
    "special_education": (
        "School Year, Student ID, Primary Disability, Educational Environment",
        {"school_year": "School Year", "student_id": "Student ID", "disability_category": "Primary Disability",
         "placement": "Educational Environment"},
    ),
    "interventions": (
        "School Year, Student ID, Intervention, Referral Date",
        {"school_year": "School Year", "student_id": "Student ID", "intervention": "Intervention",
         "referral_date": "Referral Date"},
    ),
    "staff": (
        "School Year, Employee ID, School Code, Job Title, Race/Ethnicity, Gender, Hire Date, Termination Date, "
        "Termination Reason, Promoted, Years of Experience",
        {"school_year": "School Year", "staff_id": "Employee ID", "school_id": "School Code", "role": "Job Title",
         "race": "Race/Ethnicity", "sex": "Gender", "hire_date": "Hire Date", "separation_date": "Termination Date",
         "separation_reason": "Termination Reason", "promoted": "Promoted", "years_experience": "Years of Experience"},
    ),
    "applicants": (
        "School Year, Applicant ID, Position Applied, Race, Sex, Furthest Stage",
        {"school_year": "School Year", "applicant_id": "Applicant ID", "position": "Position Applied",
         "race": "Race", "sex": "Sex", "stage_reached": "Furthest Stage"},
    ),
    "survey": (
        "School Year, Response ID, School Code, Respondent Type, Race, Gender, Grade, Item, Construct, Response",
        {"school_year": "School Year", "response_id": "Response ID", "school_id": "School Code",
         "respondent_type": "Respondent Type", "race": "Race", "sex": "Gender", "grade": "Grade",
         "item_id": "Item", "construct": "Construct", "response": "Response"},
    ),
    "schools": (
        "School Code, School Name, School Level",
        {"school_id": "School Code", "school_name": "School Name", "school_level": "School Level"},
    ),
}


@pytest.mark.parametrize("kind", sorted(REALISTIC))
def test_guess_mapping_realistic_headers(kind: str) -> None:
    text, expected = REALISTIC[kind]
    mapping = guess_mapping(kind, headers(text))
    assert mapping.kind == kind
    assert mapping.columns == expected
    assert mapping.constants == {}
    mapping.validate(headers(text))


@pytest.mark.parametrize("kind", sorted(REALISTIC))
def test_guess_kind_realistic_headers(kind: str) -> None:
    assert guess_kind(headers(REALISTIC[kind][0])) == kind


def test_enrollment_without_year_column_from_the_brief() -> None:
    columns = headers("Student ID, School Code, Grade, Race/Ethnicity, Gender, IEP, 504, ELL, FRL Status")
    mapping = guess_mapping("enrollment", columns)
    assert mapping.columns == {
        "student_id": "Student ID", "school_id": "School Code", "grade": "Grade", "race": "Race/Ethnicity",
        "sex": "Gender", "disability": "IEP", "section_504": "504", "english_learner": "ELL",
        "low_income": "FRL Status",
    }
    assert guess_kind(columns) == "enrollment"
    # the school year must come from a constant
    with pytest.raises(MappingError, match="required field 'school_year'"):
        mapping.validate(columns)


def test_guess_matches_headers_by_key() -> None:
    columns = ["STUDENT_ID", "school-code", " Grade Level ", "RACE ETHNICITY", "sex"]
    assert guess_mapping("enrollment", columns).columns == {
        "student_id": "STUDENT_ID", "school_id": "school-code", "grade": " Grade Level ", "race": "RACE ETHNICITY",
        "sex": "sex",
    }


def test_guess_uses_each_column_once_and_first_on_equal_keys() -> None:
    mapping = guess_mapping("enrollment", ["Grade", "grade", "School", "School Name", "Student"])
    assert mapping.columns == {"student_id": "Student", "school_id": "School", "school_name": "School Name",
                               "grade": "Grade"}


def test_exact_field_name_wins_over_synonym() -> None:
    # "sex" is the field's own name and wins over its synonym "Gender", even when "Gender" comes first
    assert guess_mapping("staff", ["Gender", "Sex", "Staff ID"]).columns == {"staff_id": "Staff ID", "sex": "Sex"}


def test_guess_ignores_unknown_headers() -> None:
    assert guess_mapping("discipline", ["Foo", "Bar"]).columns == {}


def test_coded_fields_and_the_kind_are_guessed_from_values_when_headers_are_unusual():
    from equity_metrics.ingest.kinds import guess_kind, guess_mapping

    columns = ["Kid", "Term", "Outcome", "Length"]
    samples = {"Kid": ["0001", "0002", "0003"], "Term": ["2024-25", "2024-25", "2024-2025"],
               "Outcome": ["OSS", "ISS", "Out of School Suspension"], "Length": ["1", "2", "0"]}
    assert guess_kind(columns, samples) == "discipline"
    guessed = guess_mapping("discipline", columns, samples)
    assert guessed.columns == {"school_year": "Term", "action": "Outcome"}  # IDs and days are not guessed from values
    # Without values, nothing matches these headers.
    assert guess_mapping("discipline", columns).columns == {}


def test_a_column_is_guessed_from_values_only_when_most_values_are_codes():
    from equity_metrics.ingest.kinds import guess_mapping

    samples = {"Kid": ["1", "2"], "Outcome": ["OSS", "nap time", "snack", "recess", "ISS"]}  # 2 of 5 are codes
    assert "action" not in guess_mapping("discipline", ["Kid", "Outcome"], samples).columns


def test_ed_fi_camel_case_headers_are_recognised() -> None:
    columns = ["schoolYear", "studentUniqueId", "schoolId", "entryGradeLevelDescriptor", "sexDescriptor",
               "hispanicLatinoEthnicity", "races"]
    mapping = guess_mapping("enrollment", columns)
    assert mapping.columns == {"school_year": "schoolYear", "student_id": "studentUniqueId", "school_id": "schoolId",
                               "grade": "entryGradeLevelDescriptor", "sex": "sexDescriptor"}
    assert mapping.race_questions == RaceQuestions(hispanic="hispanicLatinoEthnicity", flags={}, listed="races")
