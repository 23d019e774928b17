"""Protected tables kept in the store file: read back exactly, never across data or code, emptied with the
data, never written to a store opened read-only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from equity_metrics.measures import disclosure, kept, protected
from equity_metrics.measures.indicators import get_indicator
from equity_metrics.storage.store import KEPT_TABLE, Store, delete_all, delete_dataset

YEAR = "2024-25"


@pytest.fixture(autouse=True)
def _nothing_in_memory() -> None:
    """Each test starts as a new process would: no protected table in this process's cache."""
    protected.forget_protected_tables()


def _no_proof(*args, **kwargs):
    raise AssertionError("a kept table was proven again")


def _kept_rows(store: Store) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {KEPT_TABLE}"))


def test_a_table_proven_once_is_read_back_exactly_by_the_next_process(sample_db: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(sample_db) as store:
        assert _kept_rows(store) == 0
        built = protected.rate_table(store, get_indicator("oss"), YEAR, 10).copy()
        assert _kept_rows(store) >= 2  # the students' layer and the rate table
    protected.forget_protected_tables()  # as a new process: nothing in memory
    monkeypatch.setattr(protected, "protect", _no_proof)
    monkeypatch.setattr(disclosure, "protect", _no_proof)
    with Store(sample_db, read_only=True) as store:
        again = protected.rate_table(store, get_indicator("oss"), YEAR, 10)
    pd.testing.assert_frame_equal(again, built, check_exact=True)
    assert again["hide_numerator"].any() and again["school"].map(type).eq(str).all()


def test_other_code_or_another_threshold_proves_again(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(sample_db) as store:
        protected.rate_table(store, get_indicator("iss"), YEAR, 10)
        protected.forget_protected_tables()
        calls = []
        original = protected.protect

        def counting(*args, **kwargs):
            calls.append(1)
            return original(*args, **kwargs)

        monkeypatch.setattr(protected, "protect", counting)
        protected.rate_table(store, get_indicator("iss"), YEAR, 10)
        assert not calls
        protected.rate_table(store, get_indicator("iss"), YEAR, 11)
        assert calls
        calls.clear()
        protected.forget_protected_tables()
        monkeypatch.setattr(kept, "code_version", lambda: "another version of the proof")
        protected.rate_table(store, get_indicator("iss"), YEAR, 10)
        assert calls


def test_deleting_data_deletes_the_tables_made_from_it(sample_db: Path) -> None:
    with Store(sample_db) as store:
        protected.rate_table(store, get_indicator("oss"), YEAR, 10)
        assert _kept_rows(store) > 0
        datasets = store.datasets()  # the climate survey (its deletion changes the analysis tables)
        delete_dataset(store, int(datasets.loc[datasets["kind"] == "survey", "dataset_id"].iloc[0]))
        assert _kept_rows(store) == 0
        protected.rate_table(store, get_indicator("oss"), YEAR, 10)
        assert _kept_rows(store) > 0
        delete_all(store)
        assert _kept_rows(store) == 0


def test_a_store_opened_read_only_is_not_written(sample_db: Path, tmp_path: Path) -> None:
    before = sample_db.read_bytes()
    with Store(sample_db, read_only=True) as store:
        protected.rate_table(store, get_indicator("expulsion"), YEAR, 10)
    assert sample_db.read_bytes() == before
    old = tmp_path / "old.duckdb"  # a store made before kept tables: read, and nothing kept
    shutil.copyfile(sample_db, old)
    with Store(old) as store:
        store.cursor().execute(f"DROP TABLE {KEPT_TABLE}")
    protected.forget_protected_tables()
    with Store(old, read_only=True) as store:
        assert not protected.rate_table(store, get_indicator("expulsion"), YEAR, 10).empty


def test_a_table_finished_after_its_data_were_deleted_is_not_kept(sample_db: Path) -> None:
    with Store(sample_db) as store:
        def build_while_deleting() -> pd.DataFrame:
            delete_all(store)  # another session deletes every dataset while this table is being proven
            return pd.DataFrame({"school": ["A"], "numerator": [3.0]})

        kept.kept_or_built(store, ("rate", "content", "oss"), build_while_deleting)
        assert _kept_rows(store) == 0
        kept.kept_or_built(store, ("rate", "content", "oss"), lambda: pd.DataFrame({"school": ["A"]}))
        assert _kept_rows(store) == 1


def test_a_command_that_only_reads_keeps_what_it_proved_for_the_next_one(sample_db: Path,
                                                                         capsys: pytest.CaptureFixture[str],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from equity_metrics.cli import main

    assert main(["rates", "oss", "--by", "race", "--db", str(sample_db), "--format", "csv"]) == 0
    first = capsys.readouterr().out
    with Store(sample_db, read_only=True) as store:
        assert _kept_rows(store) >= 2  # kept after the answer, the store opened for writing a moment
    protected.forget_protected_tables()
    monkeypatch.setattr(protected, "protect", _no_proof)
    assert main(["rates", "oss", "--by", "race", "--db", str(sample_db), "--format", "csv"]) == 0
    assert capsys.readouterr().out == first
