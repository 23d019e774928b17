"""Codes no list knows: listed before the import with their counts, read as the user says, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from equity_metrics.core.constants import ASIAN_PACIFIC
from equity_metrics.ingest.importer import SourceSpec, codes_to_review, import_sources
from equity_metrics.ingest.mapping import Mapping, MappingError, canonical_values
from equity_metrics.ingest.readers import read_source
from equity_metrics.storage.store import Store

ROSTER = (
    "Year,Student ID,School,Grade,Race,Sex,IEP\n"
    "2024-25,001,S1,5,7,F,Y\n"
    "2024-25,002,S1,5,7,M,N\n"
    "2024-25,003,S1,5,Blk,M,Si\n"
    "2024-25,004,S1,5,Asian/Pacific Islander,Q,N\n"
    "2024-25,005,S1,5,White,F,N\n"
)
COLUMNS = {"school_year": "Year", "student_id": "Student ID", "school_id": "School", "grade": "Grade",
           "race": "Race", "sex": "Sex", "disability": "IEP"}


@pytest.fixture()
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return path


def test_codes_to_review_lists_each_unknown_code_with_its_rows(roster: Path) -> None:
    found = codes_to_review(read_source(roster), Mapping("enrollment", COLUMNS))
    assert found == {"race": (("7", 2), ("Blk", 1)), "sex": (("Q", 1),), "disability": (("Si", 1),)}


def test_codes_the_user_reads_are_imported_as_said_and_no_longer_listed(roster: Path, tmp_path: Path) -> None:
    mapping = Mapping("enrollment", COLUMNS, code_overrides={
        "race": {"7": "White", "blk": "Black or African American"}, "disability": {"SI": "Yes"}, "sex": {"Q": "Unknown"},
    })
    assert codes_to_review(read_source(roster), mapping) == {}
    assert Mapping.from_json(mapping.to_json()) == mapping
    with Store(tmp_path / "s.duckdb") as store:
        report, = import_sources(store, [SourceSpec(roster, mapping)])
        rows = store.query("SELECT student_id, race, sex, disability FROM enrollment ORDER BY student_id")
    assert rows["race"].tolist() == ["White", "White", "Black or African American", ASIAN_PACIFIC, "White"]
    assert rows["sex"].fillna("missing").tolist() == ["Female", "Male", "Male", "missing", "Female"]
    assert rows["disability"].tolist() == [True, False, True, False, False]
    assert report.unknown_codes == {}  # Q was read as Unknown on purpose: not reported as unrecognised
    assert f"Race/ethnicity: 1 row uses the merged category {ASIAN_PACIFIC!r}, which cannot be split; kept as the " \
        "file says and compared as its own group." in report.lines()
    assert report.merged_races == ((ASIAN_PACIFIC, 1),)


def test_without_overrides_unknown_codes_are_missing_and_reported(roster: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        report, = import_sources(store, [SourceSpec(roster, Mapping("enrollment", COLUMNS))])
        races = store.query("SELECT race FROM enrollment ORDER BY student_id")["race"]
    assert races.isna().tolist() == [True, True, True, False, False]
    assert report.unknown_codes["race"] == (("7", 2), ("Blk", 1))


def test_an_override_must_name_a_value_of_the_field(roster: Path) -> None:
    mapping = Mapping("enrollment", COLUMNS, code_overrides={"race": {"7": "Martian"}})
    with pytest.raises(MappingError, match="'Martian' is not a value of race"):
        mapping.validate(read_source(roster).columns, "roster.csv")


def test_canonical_values_offer_the_code_list_and_unknown() -> None:
    assert canonical_values("enrollment", "disability") == ["Yes", "No", "Unknown"]
    assert canonical_values("enrollment", "sex") == ["Female", "Male", "Nonbinary", "Unknown"]
    assert canonical_values("enrollment", "student_id") == []
    assert canonical_values("discipline", "action")[-1] == "Unknown"
