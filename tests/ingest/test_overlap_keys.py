"""Issue 14: the same data is never counted twice, even when a file only partly repeats an earlier one.

A later export holding most of the same students and some new ones, or the same rows re-sorted with one changed,
passes the content check (same_content.py) but would count the rows it repeats twice. Such a file is refused by
key (same_keys.py): the message names the file, the kind, the school years, how many rows are repeated, the first
file rows and the earlier dataset, and says how to fix it; the store file is left byte for byte as it was. The
store of these tests (conftest.py) holds dataset 1, 'roster.csv': students 901 and 902 at school 0042, 2024-25.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.command_line import run_cli
from fixtures.hostile_store import ROSTER, YEAR, digest, refused
from fixtures.text_files import write_csv

from equity_metrics.ingest.importer import DuplicateDataError, SourceSpec, import_sources
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.ingest.readers import ROW_NUMBER_COLUMN
from equity_metrics.ingest.same_keys import KEYS
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store

ROSTER_HEADER = ["sid", "school", "grade"]
DISCIPLINE = Mapping("discipline", {"student_id": "sid", "school_id": "school", "incident_id": "incident",
                                    "action": "action", "days_removed": "days", "school_year": "year"})
DISCIPLINE_HEADER = ["sid", "school", "incident", "action", "days", "year"]
COUNTS = Mapping("counts", {"school_id": "school", "race": "race", "measure": "measure", "count": "n"},
                 constants=dict(YEAR))
FIX = " Delete dataset {} on the Data page to replace it, or load only the rows that are new."


def imported_at(db: Path, dataset_id: int) -> str:
    with Store(db) as store:
        return str(store.scalar("SELECT strftime(imported_at, '%Y-%m-%d %H:%M') FROM datasets WHERE dataset_id = ?",
                                [dataset_id]))


def load(db: Path, path: Path, mapping: Mapping, name: str) -> None:
    with Store(db) as store:
        import_sources(store, [SourceSpec(path, mapping, name=name)])
        store.cursor().execute("CHECKPOINT")


def test_a_later_roster_repeating_most_students_is_refused(db: Path, tmp_path: Path) -> None:
    # Before: 8 of May's 10 students again, with 5 new ones, is under the content check's 90% either way (8 of
    # 10, 8 of 13), so those 8 students were stored twice.
    may = [[f"{i}", "0042", "2"] for i in range(911, 921)]
    load(db, write_csv(tmp_path / "may.csv", ROSTER_HEADER, may), ROSTER, "may")
    june = [*may[1:9], *([f"{i}", "0042", "2"] for i in range(930, 935))]
    path = write_csv(tmp_path / "roster june.csv", ROSTER_HEADER, june)
    message = refused(db, [SourceSpec(path, ROSTER)], DuplicateDataError)
    assert message == (f"roster june.csv: 8 of its 13 rows (Enrollment roster, school year 2024-25) are already "
                       f"loaded in dataset 2 ('may', imported {imported_at(db, 2)} UTC): the same school_year, "
                       "student_id and school_id (rows 2, 3, 4, 5, 6, ...); importing it would count them twice. "
                       "Delete dataset 2 on the Data page to replace it (its 2 rows not in this file would go too), "
                       "or load only the rows that are new.")


def test_one_repeated_row_is_refused_and_says_what_a_replace_would_remove(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "late.csv", ROSTER_HEADER, [[f"{i}", "0042", "2"] for i in range(910, 960)]
                     + [["902", "0042", "3"]])
    message = refused(db, [SourceSpec(path, ROSTER)], DuplicateDataError)
    assert message == (f"late.csv: 1 of its 51 rows (Enrollment roster, school year 2024-25) is already loaded in "
                       f"dataset 1 ('roster.csv', imported {imported_at(db, 1)} UTC): the same school_year, student_id "
                       "and school_id (row 52); importing it would count them twice. Delete dataset 1 on the Data page "
                       "to replace it (its 1 row not in this file would go too), or load only the rows that are new.")


def test_the_same_incidents_re_sorted_with_one_changed_are_refused(db: Path, tmp_path: Path) -> None:
    # Four of five rows the same is 80%: under the content check's 90%, so the days removed were summed twice.
    rows = [["901", "0042", f"I{i}", "OSS", str(1 + i), "2023-24" if i < 2 else "2024-25"] for i in range(5)]
    load(db, write_csv(tmp_path / "incidents.csv", DISCIPLINE_HEADER, rows), DISCIPLINE, "incidents")
    changed = [*rows[:4], [*rows[4][:4], "9", rows[4][5]]][::-1]
    path = write_csv(tmp_path / "incidents again.csv", DISCIPLINE_HEADER, changed)
    message = refused(db, [SourceSpec(path, DISCIPLINE)], DuplicateDataError)
    assert message == (f"incidents again.csv: 5 of its 5 rows (Discipline actions, school years 2023-24 and "
                       f"2024-25) are already loaded in dataset 2 ('incidents', imported {imported_at(db, 2)} UTC): the "
                       "same school_year, student_id, incident_id, incident_date and action (rows 2, 3, 4, 5, 6); "
                       "importing it would count them twice." + FIX.format(2))
    with Store(db) as store:
        assert store.scalar("SELECT sum(days_removed) FROM discipline") == 15


def test_school_counts_repeating_some_schools_are_refused(db: Path, tmp_path: Path) -> None:
    header = ["school", "race", "measure", "n"]
    first = [[f"{s:04d}", race, "oss", "3"] for s in range(1, 11) for race in ("White", "Black")]
    load(db, write_csv(tmp_path / "fall.csv", header, first), COUNTS, "fall counts")
    later = [[*row[:3], "4"] for row in first[-4:]] + [[f"{s:04d}", "White", "oss", "2"] for s in range(11, 21)]
    message = refused(db, [SourceSpec(write_csv(tmp_path / "spring.csv", header, later), COUNTS)], DuplicateDataError)
    assert message == (f"spring.csv: 4 of its 14 rows (Aggregated counts, school year 2024-25) are already loaded in "
                       f"dataset 2 ('fall counts', imported {imported_at(db, 2)} UTC): the same school_year, school_id, "
                       "race, sex, disability and measure (rows 2, 3, 4, 5); importing it would count them twice. "
                       "Delete dataset 2 on the Data page to replace it (its 16 rows not in this file would go "
                       "too), or load only the rows that are new.")


def test_the_dataset_repeated_most_is_named_and_the_others_listed(db: Path, tmp_path: Path) -> None:
    first = [["903", "0042", "1"], ["904", "0042", "1"], ["906", "0042", "1"]]
    load(db, write_csv(tmp_path / "a.csv", ROSTER_HEADER, first), ROSTER, "a")
    path = write_csv(tmp_path / "all.csv", ROSTER_HEADER, [["901", "0042", "K"], ["903", "0042", "1"],
                                                           ["904", "0042", "1"], ["905", "0042", "1"]])
    message = refused(db, [SourceSpec(path, ROSTER)], DuplicateDataError)
    assert message == (f"all.csv: 2 of its 4 rows (Enrollment roster, school year 2024-25) are already loaded in "
                       f"dataset 2 ('a', imported {imported_at(db, 2)} UTC): the same school_year, student_id and "
                       "school_id (rows 3, 4); importing it would count them twice. It also repeats rows of dataset 1. "
                       "Delete dataset 2 on the Data page to replace it (its 1 row not in this file would go too), "
                       "or load only the rows that are new.")


def test_two_sheets_of_one_import_repeating_each_other_are_refused(db: Path, tmp_path: Path) -> None:
    one = write_csv(tmp_path / "one.csv", ROSTER_HEADER, [["903", "0042", "1"], ["904", "0042", "2"]])
    two = write_csv(tmp_path / "two.csv", ROSTER_HEADER, [["904", "0042", "2"], ["905", "0042", "3"]])
    message = refused(db, [SourceSpec(one, ROSTER), SourceSpec(two, ROSTER)], DuplicateDataError)
    assert message.startswith("two.csv: 1 of its 2 rows (Enrollment roster, school year 2024-25) is already loaded in "
                              "dataset 2 ('one.csv', imported ")


def test_other_facts_of_the_same_kind_are_imported(db: Path, tmp_path: Path) -> None:
    # Other students, another school year, another school, actions without incident number or date (two
    # suspensions cannot be told from one loaded twice), and two anonymous surveys numbered by row.
    with Store(db) as store:
        roster = write_csv(tmp_path / "more.csv", [*ROSTER_HEADER, "year"],
                           [["903", "0042", "1", "2024-25"], ["901", "0042", "K", "2023-24"],
                            ["902", "0077", "3", "2024-25"]])
        import_sources(store, [SourceSpec(roster, Mapping("enrollment", {**ROSTER.columns, "school_year": "year"}))])
        plain = Mapping("discipline", {"student_id": "sid", "action": "action", "days_removed": "days"},
                        constants=dict(YEAR))
        for name in ("fall.csv", "spring.csv"):
            days = ("1", "2") if name == "fall.csv" else ("3", "1")
            path = write_csv(tmp_path / name, ["sid", "action", "days"], [["901", "OSS", days[0]], ["902", "ISS", days[1]]])
            import_sources(store, [SourceSpec(path, plain)])
        anonymous = Mapping("survey", {"respondent_type": "type", "item_id": "item", "response": "answer",
                                       "response_id": ROW_NUMBER_COLUMN}, constants=dict(YEAR))
        for name, answer in (("survey a.csv", "4"), ("survey b.csv", "2")):
            path = write_csv(tmp_path / name, ["type", "item", "answer"], [["Student", "Q1", answer]] * 3)
            import_sources(store, [SourceSpec(path, anonymous)])
        assert store.scalar("SELECT count(*) FROM enrollment") == 5
        assert store.scalar("SELECT count(*) FROM discipline") == 4
        assert store.scalar("SELECT count(*) FROM survey") == 6


def test_replacing_the_dataset_a_file_repeats_imports_it(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "june.csv", ROSTER_HEADER, [["901", "0042", "K"], ["903", "0042", "1"]])
    with Store(db) as store:
        with pytest.raises(DuplicateDataError) as raised:
            import_sources(store, [SourceSpec(path, ROSTER)])
        assert raised.value.dataset_id == 1
        import_sources(store, [SourceSpec(path, ROSTER)], replace=(1,))
        assert sorted(store.query("SELECT student_id FROM enrollment")["student_id"]) == ["901", "903"]


def test_the_command_line_names_replace_and_leaves_the_store_as_it_was(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "june.csv", [*ROSTER_HEADER, "year"], [["901", "0042", "K", "2024-25"],
                                                                       ["903", "0042", "1", "2024-25"]])
    before = digest(db)
    code, out, err = run_cli("import", str(path), "--kind", "enrollment", "--db", str(db))
    assert (code, out) == (2, "") and digest(db) == before
    assert err == (f"error: june.csv: 1 of its 2 rows (Enrollment roster, school year 2024-25) is already loaded in "
                   f"dataset 1 ('roster.csv', imported {imported_at(db, 1)} UTC): the same school_year, student_id and "
                   "school_id (row 2); importing it would count them twice. Delete dataset 1 on the Data page to "
                   "replace it (its 1 row not in this file would go too), or load only the rows that are new. Or pass "
                   "--replace to replace dataset 1 with this file.\n")
    code, out, err = run_cli("import", str(path), "--kind", "enrollment", "--db", str(db), "--replace")
    assert code == 0 and "Replaced dataset 1, which held the same data." in err


def test_the_same_file_is_read_again_with_code_and_replace(tmp_path: Path) -> None:
    # The fix the report names for values not recognised: --code with --replace (before, the same bytes were a
    # plain refusal that --replace did not apply to).
    path = write_csv(tmp_path / "roster.csv", ["sid", "school", "grade", "race", "year"],
                     [["1", "0042", "K", "Martian", "2024-25"], ["2", "0042", "K", "White", "2024-25"]])
    db = tmp_path / "s.duckdb"
    code, out, err = run_cli("import", str(path), "--db", str(db))
    assert code == 0, err
    assert ("Values not recognised in race, stored as missing (shown as Unknown): 'Martian' x1. To read them, say what "
            "each means and import the file again: on the command line with --code race:VALUE=CANONICAL and "
            "--replace, on the Data page under \"Codes this tool does not know\" (then replace the dataset).") in out
    code, out, err = run_cli("import", str(path), "--db", str(db), "--code", "race:Martian=Asian")
    assert code == 2 and "this table is already loaded (dataset 1," in err and err.endswith(
        "Or pass --replace to replace dataset 1 with this file.\n")
    code, out, err = run_cli("import", str(path), "--db", str(db), "--code", "race:Martian=Asian", "--replace")
    assert code == 0, err
    with Store(db) as store:
        assert sorted(store.query("SELECT race FROM enrollment")["race"]) == ["Asian", "White"]


def test_every_key_is_fields_of_its_kind() -> None:
    for kind, keys in KEYS.items():
        assert set(keys) <= set(KINDS[kind].field_names), kind
        assert keys[0] == "school_year", kind
    assert set(KINDS) - set(KEYS) == {"schools", "graduation"}  # the latest dataset already wins for these


def test_the_data_page_shows_the_refusal_and_offers_the_replace(data_page, tmp_path: Path) -> None:
    at = data_page
    path = write_csv(tmp_path / "june.csv", [*ROSTER_HEADER, "year"], [["901", "0042", "K", "2024-25"],
                                                                       ["903", "0042", "1", "2024-25"]])
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "text/csv")).run()
    at.selectbox(key="upload_kind").select("enrollment").run()
    at.button(key="upload_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value.replace("\\", "") for e in at.error]
    assert len(shown) == 1 and shown[0].startswith("Nothing was imported. june.csv: 1 of its 2 rows (Enrollment roster, "
                                                   "school year 2024-25) is already loaded in dataset 1 ('roster.csv', ")
    assert shown[0].endswith("Delete dataset 1 on the Data page to replace it (its 1 row not in this file would go "
                             "too), or load only the rows that are new.")
    at.button(key="upload_replace").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("It replaced dataset 1, which held the same data." in m.value.replace("\\", "") for m in at.markdown)


def test_a_wide_survey_names_its_file_rows_once(db: Path, tmp_path: Path) -> None:
    # One file row of a wide survey is ten stored rows: the message counts stored rows and names file rows.
    from equity_metrics.ingest.mapping import Unpivot

    wide = Mapping("survey", {"response_id": "rid", "respondent_type": "type"}, constants=dict(YEAR),
                   unpivot=Unpivot(tuple(f"Q{q}" for q in range(1, 11)), "item_id", "response"))
    header = ["rid", "type", *(f"Q{q}" for q in range(1, 11))]
    first = [[f"R{r}", "Student", *(str(1 + (r + q) % 5) for q in range(10))] for r in range(10)]
    load(db, write_csv(tmp_path / "survey.csv", header, first), wide, "survey")
    again = [[f"R{r}", "Student", *(str(1 + (r * q) % 5) for q in range(10))] for r in range(10, 30)] + [first[3]]
    message = refused(db, [SourceSpec(write_csv(tmp_path / "more.csv", header, again), wide)], DuplicateDataError)
    assert message == (f"more.csv: 10 of its 210 rows (Climate survey responses, school year 2024-25) are already "
                       f"loaded in dataset 2 ('survey', imported {imported_at(db, 2)} UTC): the same school_year, "
                       "response_id, school_id, respondent_type and item_id (row 22); importing it would count them "
                       "twice. Delete dataset 2 on the Data page to replace it (its 90 rows not in this file would go "
                       "too), or load only the rows that are new.")
