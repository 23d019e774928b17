"""Concurrency and faults: one `Store` shared by many threads of one process, and a full disk during an import.

- Eight threads query student indicators while four of them also import staff files (a kind those queries
  do not read): every answer equals the single-threaded answer for the same question, before and after.
  Every import rebuilds all analysis tables (facts_student_year included, with identical contents), so this
  also checks that a reader never sees a table half rebuilt.
- A second PROCESS opening the store gets StoreError "open in another program": that is
  tests/storage/test_store.py::test_second_process_gets_a_clear_store_error, not repeated here.
- A full disk: a real one (a 4 MiB tmpfs, when this machine lets the test mount one) and a simulated one (the
  write failing with DuckDB's own "No space left on device" error, inside the import and at COMMIT). The
  import fails with DiskFullError (a StoreError) saying the disk is full, and every table is unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from equity_metrics.ingest.importer import SourceSpec, import_sources
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.storage import facts
from equity_metrics.storage.store import DiskFullError, Store, StoreError, quote_identifier

QUESTIONS: list[tuple[str, tuple[str, ...], Filters]] = [
    ("oss", ("race",), Filters()),
    ("iss", ("race", "sex"), Filters()),
    ("chronic_absenteeism", ("race",), Filters(school_years=("2023-24",))),
    ("ap_enrollment", ("race",), Filters(grade_band="High (9-12)")),
    ("exclusionary_removal", ("school_year", "race"), Filters()),
    ("sped_identification", ("english_learner",), Filters()),
]
THREADS = 8
IMPORTERS = 4  # threads 0-3 also import one staff file per round
ROUNDS = 2
STAFF = Mapping("staff", {"staff_id": "id", "school_year": "year", "race": "race"})


def answer(store: Store, question: tuple[str, tuple[str, ...], Filters]) -> pd.DataFrame:
    indicator, by, filters = question
    return analysis.rates(store, indicator, by, filters).table


def staff_file(folder: Path, thread: int, round_: int) -> Path:
    path = folder / f"staff_{thread}_{round_}.csv"
    with path.open("w", newline="") as handle:
        rows = [["id", "year", "race"], *([f"T{thread}-{round_}-{i:03d}", "2024-25", "White"] for i in range(25))]
        csv.writer(handle).writerows(rows)
    return path


def fetch(store: Store, sql: str) -> list[tuple]:
    return store.cursor().execute(sql).fetchall()


def snapshot(store: Store) -> dict[str, list[tuple]]:
    names = [n for (n,) in fetch(store, "SELECT table_name FROM information_schema.tables ORDER BY 1")]
    return {n: sorted(fetch(store, f"SELECT * FROM {quote_identifier(n)}"), key=repr) for n in names}


# ---- many threads, one store ---------------------------------------------------------------------------
def test_threads_querying_while_others_import_get_identical_answers(sample_db: Path, tmp_path: Path) -> None:
    with Store(sample_db) as store:
        expected = [answer(store, q) for q in QUESTIONS]
        staff_before = store.kind_rows()["staff"]
        files = {(t, r): staff_file(tmp_path, t, r) for t in range(IMPORTERS) for r in range(ROUNDS)}
        barrier = threading.Barrier(THREADS)
        errors: list[BaseException] = []
        answers: list[tuple[int, int, pd.DataFrame]] = []
        lock = threading.Lock()

        def work(thread: int) -> None:
            try:
                barrier.wait()
                for round_ in range(ROUNDS):
                    for offset in range(len(QUESTIONS)):
                        index = (thread + offset) % len(QUESTIONS)  # threads ask different questions at once
                        table = answer(store, QUESTIONS[index])
                        with lock:
                            answers.append((thread, index, table))
                    if thread < IMPORTERS:
                        (report,) = import_sources(store, [SourceSpec(files[thread, round_], STAFF)])
                        assert report.rows_imported == 25
            except BaseException as error:  # reported below, with the thread's answers
                with lock:
                    errors.append(error)

        threads = [threading.Thread(target=work, args=(t,), name=f"worker-{t}") for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert len(answers) == THREADS * ROUNDS * len(QUESTIONS)
        for thread, index, table in answers:
            pd.testing.assert_frame_equal(table, expected[index], check_exact=True, obj=f"thread {thread} Q{index}")
        # after: the same numbers single-threaded, and every import landed once
        for question, table in zip(QUESTIONS, expected, strict=True):
            pd.testing.assert_frame_equal(answer(store, question), table, check_exact=True)
        assert store.kind_rows()["staff"] == staff_before + IMPORTERS * ROUNDS * 25
        assert fetch(store, "SELECT count(*) FROM datasets WHERE kind = 'staff' AND source_file LIKE 'staff_%'") == [
            (IMPORTERS * ROUNDS,)]


def test_two_imports_from_two_threads_both_commit(empty_store: Store, tmp_path: Path) -> None:
    # The write lock serialises transactions: neither import sees or loses the other's rows.
    paths = [staff_file(tmp_path, t, 0) for t in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            barrier.wait()
            import_sources(empty_store, [SourceSpec(path, STAFF)])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert empty_store.kind_rows()["staff"] == 50
    assert sorted(r[0] for r in fetch(empty_store, "SELECT dataset_id FROM datasets")) == [1, 2]


# ---- a full disk -------------------------------------------------------------------------------------------
ROSTER = Mapping("enrollment", {"student_id": "sid", "school_id": "school", "grade": "grade", "school_name": "name"},
                 constants={"school_year": "2024-25"})
DISK_FULL = "IO Error: Could not write file \"/somewhere/store.duckdb\": No space left on device"


def roster(path: Path, rows: int, first: int = 0) -> Path:
    """Students `first` to `first + rows - 1` (rows of other students than an earlier file's are other data:
    the same rows again would be refused as a duplicate)."""
    with path.open("w", newline="") as handle:
        handle.write("sid,school,grade,name\n")
        handle.writelines(f"{i:08d},0042,K,{i * 7919}-{i}\n" for i in range(first, first + rows))
    return path


@pytest.fixture()
def small_store(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        import_sources(store, [SourceSpec(roster(tmp_path / "first.csv", 20), ROSTER)])
        store.cursor().execute("CHECKPOINT")
    yield path


class _CommitFailsCursor:
    """A cursor whose COMMIT fails as DuckDB's does when the disk fills while writing the WAL."""

    def __init__(self, inner: duckdb.DuckDBPyConnection) -> None:
        self._inner = inner

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        if sql.strip().upper() == "COMMIT":
            raise duckdb.IOException(DISK_FULL)
        return self._inner.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


class _CommitFailsConnection:
    def __init__(self, inner: duckdb.DuckDBPyConnection) -> None:
        self._inner = inner

    def cursor(self) -> _CommitFailsCursor:
        return _CommitFailsCursor(self._inner.cursor())

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


@pytest.mark.parametrize("where", ["inside the import", "at commit"])
def test_disk_full_during_import_fails_cleanly(small_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               where: str) -> None:
    # Simulated: the new rows and analysis tables are written, then a write fails with DuckDB's own
    # disk-full IOException, either inside the transaction or at its COMMIT.
    second = roster(tmp_path / "second.csv", 50, first=1_000)
    real_rebuild = facts.rebuild_facts

    def rebuild_then_fail(cursor: duckdb.DuckDBPyConnection) -> None:
        real_rebuild(cursor)
        raise duckdb.IOException(DISK_FULL)

    before = hashlib.sha256(small_store.read_bytes()).hexdigest()
    with Store(small_store) as store:
        tables = snapshot(store)
        version = store.data_version()
        real_connection = store._connection
        if where == "inside the import":
            monkeypatch.setattr(facts, "rebuild_facts", rebuild_then_fail)
        else:
            store._connection = _CommitFailsConnection(real_connection)
        with pytest.raises(DiskFullError) as raised:
            import_sources(store, [SourceSpec(second, ROSTER)])
        store._connection = real_connection
        monkeypatch.setattr(facts, "rebuild_facts", real_rebuild)
        assert isinstance(raised.value, StoreError)
        assert str(raised.value).startswith(f"The disk is full: the store {small_store} (or its temporary folder ")
        assert str(raised.value).endswith(") could not be written, so nothing was changed. Free some disk space and "
                                          f"try again. ({DISK_FULL})")
        assert snapshot(store) == tables
        assert store.data_version() == version
        assert not fetch(store, "SELECT * FROM information_schema.tables WHERE table_name LIKE '%import%'")
    assert hashlib.sha256(small_store.read_bytes()).hexdigest() == before
    with Store(small_store) as store:  # the store still works: the same file imports once there is room
        (report,) = import_sources(store, [SourceSpec(second, ROSTER)])
        assert report.rows_imported == 50


def _can_mount() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.fixture()
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted for this test (needs root and the mount privilege; skipped otherwise)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if not _can_mount():
        pytest.skip("needs root to mount a tiny tmpfs")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_really_full_disk_fails_cleanly(tiny_disk: Path, tmp_path: Path) -> None:
    # The store lives on a 4 MiB filesystem; a 300,000-row roster does not fit. DuckDB writes the new rows into
    # free blocks of the file during the transaction, so the FILE grows (its bytes change) but no table does:
    # "unchanged" is checked on every table's contents, here, not on the bytes.
    path = tiny_disk / "store.duckdb"
    with Store(path) as store:
        import_sources(store, [SourceSpec(roster(tmp_path / "first.csv", 20), ROSTER)])
        store.cursor().execute("CHECKPOINT")
    big = roster(tmp_path / "big.csv", 300_000, first=1_000)
    with Store(path) as store:
        tables = snapshot(store)
        with pytest.raises(DiskFullError) as raised:
            import_sources(store, [SourceSpec(big, ROSTER)])
        message = str(raised.value)
        assert message.startswith(f"The disk is full: the store {path} (or its temporary folder ")
        assert "could not be written, so nothing was changed. Free some disk space and try again." in message
        assert "No space left on device" in message
        assert snapshot(store) == tables
    with Store(path) as store:  # and after reopening
        assert snapshot(store) == tables
