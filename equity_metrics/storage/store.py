"""The store: one DuckDB database file holding every imported dataset in the canonical schema.

A `Store` opens the file once per process and hands each thread its own cursor (DuckDB connections must
not be shared between threads). It creates the canonical tables, keeps the dataset catalog, runs every
change in one transaction, and is locked down: no extension auto-install or auto-load, no SQL access to
files (data arrives as registered Arrow tables), configuration locked, spill files in a private temporary
folder, never the working directory.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import platformdirs

from equity_metrics.storage import caches
from equity_metrics.storage.facts import SOURCES, STUDENT_YEAR_FLAGS, rebuild_facts
from equity_metrics.storage.schema import KINDS, create_table_sql
from equity_metrics.storage.user_tables import USER_TABLES_SQL

DB_ENV_VAR = "EQUITY_EXPLORER_DB"
DB_FILE_NAME = "equity_explorer.duckdb"

CATALOG_TABLE = "datasets"
_CATALOG_SQL = f"""
CREATE TABLE IF NOT EXISTS {CATALOG_TABLE} (
    dataset_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    source_file VARCHAR,
    sheet VARCHAR,
    file_size BIGINT,
    sha256 VARCHAR,
    imported_at TIMESTAMP,
    rows_read BIGINT,
    rows_imported BIGINT,
    mapping_json VARCHAR,
    is_sample BOOLEAN NOT NULL DEFAULT FALSE
)
"""
_META_SQL = "CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
# Tables derived from the data and kept between processes: the protected tables, whose proof takes seconds to
# minutes (see `Store.keep`). They hold counts of the students, so they are emptied whenever the data change.
KEPT_TABLE = "kept_tables"
KEPT_TABLES_SQL = f"CREATE TABLE IF NOT EXISTS {KEPT_TABLE} (cache_key VARCHAR PRIMARY KEY, cells BLOB NOT NULL)"


QUERY_TIME_LIMIT = 60.0  # seconds before a runaway query is interrupted
# Memory DuckDB may hold for the store (its default is 80% of the computer's): past it, large imports and
# queries spill to the private temporary folder instead of growing. A 20,000,000-row one-column CSV imported
# at 6.3 GiB without it, at 1.7 GiB with it (about 10% slower); the benchmarks' imports stay under it.
MEMORY_LIMIT = "1GiB"


class StoreError(RuntimeError):
    """A problem with the store itself (locked by another program, unreadable, ...)."""


class QueryTimeoutError(StoreError):
    """A query ran past its time limit and was interrupted."""


class DiskFullError(StoreError):
    """The disk holding the store or its spill folder is full; the change was rolled back."""


# How operating systems word a full disk (Linux/macOS ENOSPC, Windows ERROR_DISK_FULL), and EFBIG when a
# file-size limit stops a write (the same failure for the store: the write did not happen).
_DISK_FULL_MESSAGES = ("no space left on device", "not enough space on the disk", "disk is full", "disk full",
                       "file too large")


def disk_full(error: BaseException) -> bool:
    """True when a DuckDB error comes from a write that failed because the disk is full."""
    return any(m in str(error).lower() for m in _DISK_FULL_MESSAGES)


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


_CATALOG_COLUMNS = ("dataset_id", "name", "kind", "source_file", "sheet", "file_size", "sha256", "imported_at",
                    "rows_read", "rows_imported", "mapping_json", "is_sample")
_WRITE_FAILURES = ("permission denied", "read-only file system", "read only file system", "cannot open file")


def _out_of_memory(error: BaseException) -> bool:
    return "out of memory" in str(error).lower()


def _cannot_write(error: BaseException) -> bool:
    return any(m in str(error).lower() for m in _WRITE_FAILURES)


def _read_only_message(path: Path, what: Path) -> str:
    return (f"The store {path} cannot be written: {what} is read-only. Commands that only read it (datasets, "
            "rates, gaps, audit, goals) still work; to import or change data, make it writable or use a store "
            f"file in a folder you can write to (--db, or ${DB_ENV_VAR} for the app).")


def _check_writable(path: Path) -> None:
    """Refuse, before DuckDB tries, a store that cannot be written (it would fail only at the first COMMIT)."""
    if path.exists():
        for what in (path, path.parent):
            if not os.access(what, os.W_OK):
                raise StoreError(_read_only_message(path, what))
        return
    existing = next((p for p in path.parents if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK):
        raise StoreError(_read_only_message(path, existing))


def store_problem(path: Path, error: BaseException, opening: bool = True) -> StoreError:
    """One line saying what is wrong with the store file and what to do, for any error DuckDB gives when
    opening or writing it (locked, damaged, not a database, newer, read-only, missing); `opening=False`: the
    store was open and a command failed while working on it."""
    text = str(error)
    lower = text.lower()
    other_file = f"use another store file (--db, or ${DB_ENV_VAR} for the app)"
    if _out_of_memory(error):
        return StoreError(f"The work on the store {path} needed more than the {MEMORY_LIMIT} of memory it may use, "
                          "so nothing was changed; split the file (for example one school year per file) and load "
                          f"the parts one by one. ({first_line(error)})")
    found = re.search(r"version number (\d+), but we can only read versions? (?:between )?(\d+)(?: and (\d+))?", text)
    if "older version" in lower or (found and int(found.group(1)) < int(found.group(2))):
        return StoreError(f"The store {path} was written by an older version of Equity Explorer whose database "
                          "format this version cannot read. Open it with that version and export what you need, or "
                          f"{other_file}. ({first_line(error)})")
    if "newer version" in lower or "version number" in lower:
        return StoreError(f"The store {path} was written by a newer version of Equity Explorer (its database "
                          f"format is newer than this version reads). Update Equity Explorer, or {other_file}. "
                          f"({first_line(error)})")
    if "corrupt" in lower or "checksum" in lower:
        return StoreError(f"The store {path} is damaged ({first_line(error)}). Restore it from a backup, or "
                          f"{other_file}; to start again, move it away and load your files again.")
    if "lock on file" in lower or "conflicting lock" in lower:  # after "corrupt": "block" holds "lock"
        return StoreError(f"The store {path} is open in another program (the app or another command). "
                          "Close it, or pass --db with another file.")
    if "not a valid duckdb database" in lower:
        return StoreError(f"Cannot open the store {path}: it is not an Equity Explorer store (not a DuckDB "
                          f"database file). Check the path, or {other_file}.")
    if _cannot_write(error) and path.exists():
        return StoreError(_read_only_message(path, path.parent))
    if not opening:
        return StoreError(f"The command failed while working on the store {path}, and what it was writing was not "
                          f"kept ({first_line(error)})")
    return StoreError(f"Cannot open the store {path}: {first_line(error)}")


def default_db_path() -> Path:
    """The store file: $EQUITY_EXPLORER_DB if set, else equity_explorer.duckdb in the user's data folder."""
    override = os.environ.get(DB_ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("equity-explorer", appauthor=False)) / DB_FILE_NAME


def quote_identifier(name: str) -> str:
    """Quote a SQL identifier: wrap in double quotes, doubling any inside. Names are never bound."""
    return '"' + name.replace('"', '""') + '"'


class Store:
    """A DuckDB database file in the canonical schema, safe to use from many threads."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if not read_only:
            _check_writable(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._temp_dir = tempfile.TemporaryDirectory(prefix="equity-explorer-spill-")
        try:
            self._connection = duckdb.connect(
                str(self.path),
                read_only=read_only,
                config={
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                    "temp_directory": self._temp_dir.name,
                    "memory_limit": MEMORY_LIMIT,
                },
            )
        except duckdb.Error as error:
            self._temp_dir.cleanup()
            raise store_problem(self.path, error) from error
        try:
            self._check_tables()
        except BaseException:
            self.close()
            raise
        # Data reaches the store only as registered Arrow tables: no SQL may read or write files, attach
        # databases or install extensions, and no later statement may turn that back on.
        self._connection.execute("SET enable_external_access = false")
        self._connection.execute("SET lock_configuration = true")
        self._local = threading.local()
        self._write_lock = threading.Lock()
        if not read_only:
            self._create_schema()

    def _check_tables(self) -> None:
        """A store made by another version, or changed by another program, is refused with one line before
        anything reads or writes it (else a Binder Error surfaces later, in the middle of an import): a column
        this version does not know, or a catalog column missing. A field added to a kind since the store was
        made is added to its table (when the store is opened for writing)."""
        try:
            found = self._connection.execute(
                "SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
                "WHERE table_schema = 'main' AND table_name = ANY(?) GROUP BY table_name",
                [[CATALOG_TABLE, *KINDS]],
            ).fetchall()
        except duckdb.Error as error:
            raise store_problem(self.path, error) from error
        expected = {CATALOG_TABLE: _CATALOG_COLUMNS, **{k: ("dataset_id", *KINDS[k].field_names) for k in KINDS}}
        for table, columns in sorted(found):
            extra = [c for c in columns if c not in expected[table]]
            missing = [c for c in expected[table] if c not in columns]
            if missing and not extra and table in KINDS:
                if not self.read_only:
                    self._add_fields(table, missing)
                continue
            if extra or missing:
                what = "; ".join(part for part in (
                    f"columns it does not know: {', '.join(extra)}" if extra else "",
                    f"columns it lacks: {', '.join(missing)}" if missing else "") if part)
                raise StoreError(
                    f"The store {self.path} was made by another version of Equity Explorer or changed by another "
                    f"program: its table {table!r} has {what}. Use another store file (--db, or "
                    f"${DB_ENV_VAR} for the app), or move this one away and load your files again."
                )

    def _add_fields(self, kind: str, names: list[str]) -> None:
        """Bring a kind's table made by an earlier version up to date: its new fields, empty."""
        try:
            for name in names:
                self._connection.execute(f"ALTER TABLE {quote_identifier(kind)} ADD COLUMN "
                                         f"{quote_identifier(name)} {KINDS[kind].field(name).sql_type}")
        except duckdb.Error as error:
            raise store_problem(self.path, error) from error

    # -- connections -------------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (created on first use)."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            self._local.cursor = cursor
        return cursor

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self._connection.close()
        self._temp_dir.cleanup()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction: everything inside commits together or not at all. A failure anywhere,
        the COMMIT included, rolls back; a full disk becomes a StoreError saying so."""
        with self._write_lock:
            cursor = self._connection.cursor()
            try:
                cursor.execute("BEGIN TRANSACTION")
                try:
                    yield cursor
                    cursor.execute("COMMIT")
                except BaseException as error:
                    with contextlib.suppress(duckdb.Error):  # DuckDB may already have rolled back
                        cursor.execute("ROLLBACK")
                    if isinstance(error, duckdb.Error) and disk_full(error):
                        raise self._disk_full_error(error) from error
                    if isinstance(error, duckdb.Error) and (_cannot_write(error) or _out_of_memory(error)):
                        raise store_problem(self.path, error) from error
                    raise
            finally:
                with contextlib.suppress(duckdb.Error):
                    cursor.close()

    def _disk_full_error(self, error: Exception) -> StoreError:
        return DiskFullError(
            f"The disk is full: the store {self.path} (or its temporary folder {self._temp_dir.name}) could not "
            f"be written, so nothing was changed. Free some disk space and try again. ({first_line(error)})"
        )

    # -- queries -----------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None,
              time_limit: float | None = None) -> pd.DataFrame:
        """Run a query with bound parameters and return a (small) DataFrame. A query still running after
        `time_limit` seconds (default QUERY_TIME_LIMIT) is interrupted with QueryTimeoutError."""
        cursor = self.cursor()
        limit = QUERY_TIME_LIMIT if time_limit is None else time_limit
        timer = threading.Timer(limit, cursor.interrupt)
        timer.start()
        try:
            return cursor.execute(sql, params or []).df()
        except duckdb.InterruptException as error:
            raise QueryTimeoutError(
                f"A query took longer than {limit:g} seconds and was stopped. Narrow the filters (one school "
                "year, fewer schools) and try again."
            ) from error
        except duckdb.Error as error:
            if disk_full(error):  # a large query spills to the temporary folder, which may fill the disk
                raise self._disk_full_error(error) from error
            raise
        finally:
            timer.cancel()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        row = self.cursor().execute(sql, params or []).fetchone()
        return None if row is None else row[0]

    def table_exists(self, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?",
                [name],
            )
        )

    # -- catalog -----------------------------------------------------------------------------------
    def datasets(self) -> pd.DataFrame:
        """The dataset catalog, newest first."""
        return self.query(f"SELECT * FROM {CATALOG_TABLE} ORDER BY dataset_id DESC")

    def is_empty(self) -> bool:
        return not self.scalar(f"SELECT count(*) FROM {CATALOG_TABLE}")

    def holds_sample(self) -> bool:
        """True when any loaded dataset is the synthetic sample district."""
        return bool(self.scalar(f"SELECT count(*) FROM {CATALOG_TABLE} WHERE is_sample"))

    def kind_rows(self) -> dict[str, int]:
        """Rows stored per kind."""
        return {kind: int(self.scalar(f"SELECT count(*) FROM {quote_identifier(kind)}")) for kind in KINDS}

    def data_version(self) -> str:
        """Changes whenever the stored data changes."""
        return str(self.scalar("SELECT value FROM store_meta WHERE key = 'data_version'") or "0")

    def cache_key(self) -> str:
        """Names this store file and its current data: the key for caching results computed from it."""
        return f"{self.path.resolve()}#{self.data_version()}"

    def read_kept(self, key: str) -> bytes | None:
        """The bytes kept under `key` (see `keep`), or None (nothing kept, or a store made before this)."""
        if not self.table_exists(KEPT_TABLE):
            return None
        found = self.cursor().execute(f"SELECT cells FROM {KEPT_TABLE} WHERE cache_key = ?", [key]).fetchone()
        return None if found is None else bytes(found[0])

    def keep(self, key: str, cells: bytes, data_version: str) -> None:
        """Keep `cells` (a table derived from the data: a protected table, proven once per store content, not
        once per process) under `key` for the next process, if the data are still those of `data_version`
        (a table finished after its data were deleted is not kept). The rows live and die with the data: in
        this file (erased with it), emptied by every change of the data (`bump_data_version`). Nothing is
        kept in a store opened read-only, and a store that cannot take it (a full disk, a lock) is not an
        error: the table is made again next time."""
        if self.read_only:
            return
        with contextlib.suppress(StoreError, duckdb.Error), self.transaction() as cursor:
            current = cursor.execute("SELECT value FROM store_meta WHERE key = 'data_version'").fetchone()
            if str((current[0] if current else None) or "0") != data_version:
                return
            cursor.execute(KEPT_TABLES_SQL)
            cursor.execute(f"INSERT OR REPLACE INTO {KEPT_TABLE} VALUES (?, ?)", [key, cells])

    def holds_only_sample(self) -> bool:
        """True when every loaded dataset is the synthetic sample (and there is at least one)."""
        return bool(self.scalar(f"SELECT count(*) > 0 AND bool_and(is_sample) FROM {CATALOG_TABLE}"))

    def _create_schema(self) -> None:
        with self.transaction() as cursor:
            cursor.execute(_CATALOG_SQL)
            cursor.execute(_META_SQL)
            for kind in KINDS.values():
                cursor.execute(create_table_sql(kind))
            for statement in USER_TABLES_SQL:
                cursor.execute(statement)
            cursor.execute(KEPT_TABLES_SQL)
            if _analysis_outdated(cursor):  # a new store, or one made before an analysis table or column
                rebuild_facts(cursor)

    def analysis_outdated(self) -> bool:
        """True when the analysis tables predate this version (a table or column missing): a writable open
        rebuilds them."""
        return _analysis_outdated(self.cursor())


def bump_data_version(cursor: duckdb.DuckDBPyConnection) -> None:
    """Record inside the caller's transaction that the stored data changed, and drop the tables derived from
    the data before (see `Store.keep`)."""
    cursor.execute(f"DELETE FROM {KEPT_TABLE}")
    cursor.execute(
        "INSERT INTO store_meta VALUES ('data_version', '1') ON CONFLICT (key) DO UPDATE "
        "SET value = CAST(CAST(store_meta.value AS BIGINT) + 1 AS VARCHAR)"
    )


def next_dataset_id(cursor: duckdb.DuckDBPyConnection) -> int:
    return int(cursor.execute(f"SELECT coalesce(max(dataset_id), 0) + 1 FROM {CATALOG_TABLE}").fetchone()[0])


def delete_dataset(store: Store, dataset_id: int) -> None:
    """Remove one dataset's rows from every table and from the catalog, then rebuild the derived tables."""
    with store.transaction() as cursor:
        for kind in KINDS:
            cursor.execute(f"DELETE FROM {quote_identifier(kind)} WHERE dataset_id = ?", [dataset_id])
        cursor.execute(f"DELETE FROM {CATALOG_TABLE} WHERE dataset_id = ?", [dataset_id])
        rebuild_facts(cursor)
        bump_data_version(cursor)


def delete_sample(store: Store) -> None:
    """Remove every dataset of the synthetic sample district, keeping the user's own."""
    for dataset_id in store.query(f"SELECT dataset_id FROM {CATALOG_TABLE} WHERE is_sample")["dataset_id"]:
        delete_dataset(store, int(dataset_id))


def delete_all(store: Store) -> None:
    """Remove every dataset."""
    with store.transaction() as cursor:
        for kind in KINDS:
            cursor.execute(f"DELETE FROM {quote_identifier(kind)}")
        cursor.execute(f"DELETE FROM {CATALOG_TABLE}")
        rebuild_facts(cursor)
        bump_data_version(cursor)


def erase_store(store: Store) -> list[Path]:
    """Delete everything this store holds from the disk: close it, then remove the database file, its
    write-ahead log and its private spill folder (datasets, saved mappings, goals and the report basket go
    with the file). Returns the paths removed. The `Store` cannot be used afterwards."""
    store.close()
    removed = []
    for path in (store.path, store.path.with_name(store.path.name + ".wal")):
        if path.exists():
            path.unlink()
            removed.append(path)
    caches.forget_all()
    return removed


def open_for_reading(path: Path) -> Store:
    """A store for commands that only read: opened read-only when the file exists (so a store in a read-only
    folder, or one another read-only command has open, still answers), else created empty. A store made by an
    earlier version, whose analysis tables lack what this one computes, is opened writable once to rebuild
    them (when it can be: else it answers read-only, without the newer indicators)."""
    store = Store(path, read_only=path.exists())
    if not store.read_only or not store.analysis_outdated():
        return store
    store.close()
    try:
        return Store(path)
    except StoreError:
        return Store(path, read_only=True)


# Columns added to facts_student_year since the first version: a store without them is rebuilt.
_ADDED_ANALYSIS_COLUMNS = ("referred", "gifted_eligible", "idea_iss_over_10")


def _analysis_outdated(cursor: duckdb.DuckDBPyConnection) -> bool:
    """An analysis table is missing, or the students' table lacks a column this version computes (every event
    flag: a store made before a new kind, such as course marks, is rebuilt, never queried for a column it
    does not have)."""
    tables = [source.table for source in SOURCES.values()]
    present = cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND "
                             "table_name = ANY(?)", [tables]).fetchone()[0]
    wanted = sorted({*_ADDED_ANALYSIS_COLUMNS, *STUDENT_YEAR_FLAGS})
    found = cursor.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'main' AND "
                           "table_name = 'facts_student_year' AND column_name = ANY(?)", [wanted]).fetchone()[0]
    return present < len(tables) or found < len(wanted)
