"""Issue 14: the cap on different schools holds for the whole store, not only for one file: many files, each
under the cap, cannot take the store past it. The store of these tests (conftest.py) holds school 0042; the cap
is lowered to 5 so that a few rows show it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.hostile_store import ROSTER, YEAR, refused
from fixtures.text_files import write_csv

from equity_metrics.ingest import import_limits
from equity_metrics.ingest.importer import ImportRefusedError, SourceSpec, import_sources
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.storage.store import Store

COUNTS = Mapping("counts", {"school_id": "school", "measure": "measure", "count": "n"}, constants=dict(YEAR))


@pytest.fixture()
def cap_of_five(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_limits, "MAX_SCHOOLS", 5)


def roster(path: Path, schools: list[str], first: int) -> Path:
    return write_csv(path, ["sid", "school", "grade"], [[f"{first + i}", s, "3"] for i, s in enumerate(schools)])


def test_files_under_the_cap_cannot_take_the_store_past_it(db: Path, tmp_path: Path, cap_of_five: None) -> None:
    with Store(db) as store:  # 0042 and three more: 4 schools, under 5
        import_sources(store, [SourceSpec(roster(tmp_path / "a.csv", ["0042", "0001", "0002", "0003"], 1000), ROSTER)])
        store.cursor().execute("CHECKPOINT")
    counts = write_csv(tmp_path / "counts.csv", ["school", "measure", "n"],
                       [["0001", "enrollment", "10"], ["0004", "enrollment", "12"], ["0005", "enrollment", "9"]])
    message = refused(db, [SourceSpec(counts, COUNTS)], ImportRefusedError)  # 3 schools, 2 of them new: 6
    assert message == ("counts.csv: it names 2 schools (column 'school') not yet in the store, which already holds 4 "
                       "different schools; together they would be 6, over the limit of 5 for the store. Delete the "
                       "datasets you no longer need on the Data page (or keep only your district's rows in this "
                       "file), then load it again")


def test_schools_already_stored_do_not_count_again(db: Path, tmp_path: Path, cap_of_five: None) -> None:
    with Store(db) as store:
        import_sources(store, [SourceSpec(roster(tmp_path / "a.csv", ["0042", "0001", "0002", "0003", "0004"], 1000),
                                          ROSTER)])
        again = roster(tmp_path / "b.csv", ["0042", "0001", "0004"], 2000)  # the store is at the cap: no new school
        import_sources(store, [SourceSpec(again, ROSTER)])
        assert store.scalar("SELECT count(DISTINCT school_id) FROM enrollment") == 5


def test_two_tables_of_one_import_count_together(db: Path, tmp_path: Path, cap_of_five: None) -> None:
    one = roster(tmp_path / "one.csv", ["0001", "0002"], 1000)
    two = roster(tmp_path / "two.csv", ["0003", "0004", "0005"], 2000)
    message = refused(db, [SourceSpec(one, ROSTER), SourceSpec(two, ROSTER)], ImportRefusedError)
    assert message.startswith("two.csv: it names 3 schools (column 'school') not yet in the store, which already "
                              "holds 3 different schools; together they would be 6, over the limit of 5 for the store.")


def test_one_file_over_the_cap_keeps_its_own_message(db: Path, tmp_path: Path, cap_of_five: None) -> None:
    path = roster(tmp_path / "state.csv", [f"{s:04d}" for s in range(1, 8)], 1000)
    message = refused(db, [SourceSpec(path, ROSTER)], ImportRefusedError)
    assert message.startswith("state.csv: it names 7 different schools (column 'school'), over the limit of 5 for "
                              "one table; a district has far fewer.")
