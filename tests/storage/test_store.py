"""The store: one locked-down DuckDB file, one writer process, every change in one transaction."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import platformdirs
import pytest

from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import (
    CATALOG_TABLE,
    DB_ENV_VAR,
    DB_FILE_NAME,
    Store,
    StoreError,
    bump_data_version,
    default_db_path,
    delete_all,
    next_dataset_id,
    quote_identifier,
)

ROOT = Path(__file__).resolve().parents[2]
FACTS_TABLES = ("facts_student_year", "facts_assessment", "facts_staff", "facts_applicant", "facts_survey")


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


# ---- one process at a time -------------------------------------------------------------------------------
def test_second_process_gets_a_clear_store_error(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    message = (
        f"The store {path} is open in another program (the app or another command). "
        "Close it, or pass --db with another file."
    )
    with Store(path):
        # the other program first tries to read only (prints the error), then to open for writing (uncaught)
        opened = run_python(
            f"""
            from equity_metrics.storage.store import Store, StoreError
            try:
                Store({str(path)!r}, read_only=True)
            except StoreError as error:
                print("read-only:", error)
            Store({str(path)!r})
            """,
            tmp_path,
        )
    assert opened.stdout.strip() == f"read-only: {message}"
    assert opened.returncode == 1
    assert opened.stderr.strip().splitlines()[-1] == f"equity_metrics.storage.store.StoreError: {message}"
    # once the first program has closed the store, it opens again
    Store(path).close()


def test_unreadable_store_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.duckdb"
    path.write_bytes(b"not a database" * 500)
    with pytest.raises(StoreError, match=r"^Cannot open the store .*garbage\.duckdb: "):
        Store(path)


def test_read_only_store_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"^Cannot open the store "):
        Store(tmp_path / "absent.duckdb", read_only=True)
    assert not (tmp_path / "absent.duckdb").exists()


# ---- paths and identifiers -------------------------------------------------------------------------------
def test_default_db_path_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DB_ENV_VAR, str(tmp_path / "custom.duckdb"))
    assert default_db_path() == tmp_path / "custom.duckdb"
    monkeypatch.setenv(DB_ENV_VAR, "~/stores/equity.duckdb")
    assert default_db_path() == Path.home() / "stores" / "equity.duckdb"


@pytest.mark.parametrize("value", [None, ""])
def test_default_db_path_without_environment(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(DB_ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(DB_ENV_VAR, value)
    expected = Path(platformdirs.user_data_dir("equity-explorer", appauthor=False)) / DB_FILE_NAME
    assert default_db_path() == expected
    assert default_db_path().name == "equity_explorer.duckdb"


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("grade", '"grade"'), ('a"b', '"a""b"'), ('""', '""""""'), ("", '""'), ("Race/Ethnicity", '"Race/Ethnicity"'),
     ('x"; DROP TABLE enrollment; --', '"x""; DROP TABLE enrollment; --"')],
)
def test_quote_identifier(name: str, quoted: str) -> None:
    assert quote_identifier(name) == quoted


def test_quoted_identifier_round_trips_in_duckdb() -> None:
    hostile = 'x"; DROP TABLE t; -- \'q\''
    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE t ({quote_identifier(hostile)} VARCHAR)")
    connection.execute("INSERT INTO t VALUES ('v')")
    assert [d[0] for d in connection.execute(f"SELECT {quote_identifier(hostile)} FROM t").description] == [hostile]
    connection.close()


# ---- lock-down -------------------------------------------------------------------------------------------
def _setting(cursor: duckdb.DuckDBPyConnection, name: str) -> object:
    return cursor.execute(f"SELECT current_setting('{name}')").fetchone()[0]


def test_extensions_never_installed_or_loaded(empty_store: Store) -> None:
    cursor = empty_store.cursor()
    assert _setting(cursor, "autoinstall_known_extensions") is False
    assert _setting(cursor, "autoload_known_extensions") is False


def test_spill_folder_is_private_and_not_in_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    store = Store(tmp_path / "store.duckdb")
    try:
        spill = Path(str(_setting(store.cursor(), "temp_directory")))
        assert spill.is_absolute()
        assert spill.is_dir()
        assert spill.name.startswith("equity-explorer-spill-")
        assert not spill.resolve().is_relative_to(work.resolve())
        assert not spill.resolve().is_relative_to(Path.cwd().resolve())
        # a cursor made in another thread has the same locked-down settings
        seen: list[object] = []
        thread = threading.Thread(target=lambda: seen.extend(
            _setting(store.cursor(), n) for n in ("temp_directory", "autoload_known_extensions")))
        thread.start()
        thread.join()
        assert seen == [str(spill), False]
    finally:
        store.close()
    assert not spill.exists()
    assert list(work.iterdir()) == []


def test_each_thread_gets_its_own_cursor(empty_store: Store) -> None:
    mine = empty_store.cursor()
    assert empty_store.cursor() is mine
    others: list[duckdb.DuckDBPyConnection] = []
    thread = threading.Thread(target=lambda: others.append(empty_store.cursor()))
    thread.start()
    thread.join()
    assert others[0] is not mine


# ---- schema and catalog ----------------------------------------------------------------------------------
def test_new_store_has_every_table_and_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "store.duckdb"
    with Store(path) as store:
        assert path.exists()
        for name in (*KINDS, CATALOG_TABLE, "store_meta", *FACTS_TABLES):
            assert store.table_exists(name), name
        assert not store.table_exists("students")
        assert store.is_empty()
        assert not store.holds_sample()
        assert store.kind_rows() == dict.fromkeys(KINDS, 0)
        assert store.data_version() == "0"
        assert list(store.datasets().columns) == [
            "dataset_id", "name", "kind", "source_file", "sheet", "file_size", "sha256", "imported_at", "rows_read",
            "rows_imported", "mapping_json", "is_sample",
        ]
        for kind in KINDS.values():
            columns = [r[0] for r in store.cursor().execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [kind.name]).fetchall()]
            assert columns == ["dataset_id", *kind.field_names]


def test_reopening_keeps_data_and_version(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store, store.transaction() as cursor:
        cursor.execute(f"INSERT INTO {CATALOG_TABLE} (dataset_id, name, kind, is_sample) VALUES (1, 'x', 'enrollment', "
                       "TRUE)")
        cursor.execute("INSERT INTO enrollment (dataset_id, student_id) VALUES (1, '007')")
        bump_data_version(cursor)
        bump_data_version(cursor)
    with Store(path) as store:
        assert store.data_version() == "2"
        assert store.kind_rows()["enrollment"] == 1
        assert store.holds_sample()
        assert next_dataset_id(store.cursor()) == 2
    with Store(path, read_only=True) as store:
        assert store.scalar("SELECT student_id FROM enrollment") == "007"
        with pytest.raises(duckdb.Error):
            delete_all(store)


def test_transaction_rolls_back_on_error(empty_store: Store) -> None:
    with pytest.raises(RuntimeError, match="stop"), empty_store.transaction() as cursor:
        cursor.execute("INSERT INTO enrollment (dataset_id, student_id) VALUES (1, 'a')")
        bump_data_version(cursor)
        raise RuntimeError("stop")
    assert empty_store.kind_rows()["enrollment"] == 0
    assert empty_store.data_version() == "0"
    # and the store keeps working afterwards
    with empty_store.transaction() as cursor:
        bump_data_version(cursor)
    assert empty_store.data_version() == "1"


def test_datasets_newest_first_and_query_binds_parameters(empty_store: Store) -> None:
    with empty_store.transaction() as cursor:
        for i in (1, 2, 3):
            cursor.execute(f"INSERT INTO {CATALOG_TABLE} (dataset_id, name, kind) VALUES (?, ?, 'staff')",
                           [i, f"d{i}"])
    assert list(empty_store.datasets()["dataset_id"]) == [3, 2, 1]
    assert empty_store.scalar(f"SELECT name FROM {CATALOG_TABLE} WHERE dataset_id = ?", [2]) == "d2"
    hostile = "'); DROP TABLE datasets; --"
    assert empty_store.query("SELECT ? AS v", [hostile])["v"].tolist() == [hostile]
    assert empty_store.scalar(f"SELECT count(*) FROM {CATALOG_TABLE} WHERE name = ?", [hostile]) == 0
    assert empty_store.scalar("SELECT 1 WHERE FALSE") is None


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY enrollment TO '/tmp/equity-explorer-leak.csv'",
        "ATTACH '/tmp/equity-explorer-other.duckdb'",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "SET autoload_known_extensions = true",
    ],
)
def test_sql_cannot_reach_files_or_unlock_the_configuration(empty_store: Store, statement: str):
    with pytest.raises(duckdb.Error):
        empty_store.cursor().execute(statement)
    assert not Path("/tmp/equity-explorer-leak.csv").exists()


def test_a_runaway_query_is_interrupted_with_a_clear_message(empty_store: Store):
    from equity_metrics.storage.store import QueryTimeoutError

    with pytest.raises(QueryTimeoutError, match="took longer than 0.2 seconds and was stopped"):
        empty_store.query("SELECT count(*) FROM range(100000000) a, range(100000000) b", time_limit=0.2)
    assert empty_store.query("SELECT 42 AS answer")["answer"].tolist() == [42]  # the cursor still works


def test_a_store_made_before_an_analysis_table_existed_gets_it_on_opening(tmp_path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        store.cursor().execute("DROP TABLE facts_counts")  # as a store written by an older version
    with Store(path) as store:
        assert store.table_exists("facts_counts")


def test_a_store_from_an_earlier_version_is_rebuilt_for_commands_that_only_read(sample_db: Path) -> None:
    """A store whose analysis tables lack a column this version computes (IDEA's discipline categories came
    later) is opened writable once by `open_for_reading`, so `rates` and `audit` work on it at once."""
    from equity_metrics.measures import analysis
    from equity_metrics.storage.store import open_for_reading

    with Store(sample_db) as store:
        store.cursor().execute("ALTER TABLE facts_student_year DROP COLUMN idea_iss_over_10")
    with Store(sample_db, read_only=True) as old:
        assert old.analysis_outdated()
    with open_for_reading(sample_db) as store:
        assert not store.analysis_outdated()
        assert len(analysis.rates(store, "idea_iss_over_10", ("race",)).table)


@pytest.mark.parametrize("flag", ["failed_course", "tier_2", "ap_exam_passed", "school_arrest"])
def test_a_store_lacking_any_event_flag_is_rebuilt_not_queried(sample_db: Path, flag: str) -> None:
    """Every event flag counts (a store made before course marks lacks failed_course): reading it would be a
    raw 'column not found' on every page."""
    from equity_metrics.measures import analysis
    from equity_metrics.storage.store import open_for_reading

    with Store(sample_db) as store:
        store.cursor().execute(f"ALTER TABLE facts_student_year DROP COLUMN {flag}")
    with Store(sample_db, read_only=True) as old:
        assert old.analysis_outdated()
    with open_for_reading(sample_db) as store:
        assert not store.analysis_outdated()
        assert len(analysis.rates(store, "oss", ("race",)).table)
