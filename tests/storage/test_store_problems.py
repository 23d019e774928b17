"""Store problems (issue 14): a damaged store, one made by another version or changed by another program, one in
a read-only folder, one written by a newer version: every command prints one line that says what to do and
exits with status 2 (never a traceback), the app shows the same line, and the store's bytes are unchanged.
Commands that only read open the store read-only, so they still answer from a read-only folder."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from equity_metrics import cli
from equity_metrics.ingest.importer import SourceSpec, import_sources
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.storage import store as store_module
from equity_metrics.storage.store import Store, StoreError

ROOT = Path(__file__).resolve().parents[2]
ROSTER = Mapping("enrollment", {"student_id": "sid", "school_id": "school", "grade": "grade"},
                 constants={"school_year": "2024-25"})
DISCIPLINE = Mapping("discipline", {"student_id": "sid", "school_id": "school", "action": "action"},
                     constants={"school_year": "2024-25"})
READ_COMMANDS = (["datasets"], ["goals"], ["rates", "oss"], ["audit", "--out", "AUDIT"])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("store_problems")
    roster = folder / "roster.csv"
    with roster.open("w", newline="") as handle:
        csv.writer(handle).writerows([["sid", "school", "grade"], *[[f"{i:03d}", "0042", "K"] for i in range(40)]])
    discipline = folder / "discipline.csv"
    with discipline.open("w", newline="") as handle:
        csv.writer(handle).writerows([["sid", "school", "action"], *[[f"{i:03d}", "0042", "OSS"] for i in range(5)]])
    path = folder / "store.duckdb"
    with Store(path) as store:
        import_sources(store, [SourceSpec(roster, ROSTER), SourceSpec(discipline, DISCIPLINE)])
        store.cursor().execute("CHECKPOINT")
    return path


@pytest.fixture()
def roster_csv(tmp_path: Path) -> Path:
    path = tmp_path / "more.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([["sid", "school", "grade"], ["500", "0042", "1"]])
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[int, str, str]:
    argv = [str(tmp_path / "audit.html") if a == "AUDIT" else a for a in argv]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_refusals(db: Path, expected: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                      commands: list[list[str]]) -> None:
    before = digest(db)
    for command in commands:
        code, out, err = run([*command, "--db", str(db)], capsys, tmp_path)
        assert (code, out, err) == (2, "", f"error: {expected}\n"), command
    assert digest(db) == before


def test_damaged_store(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], roster_csv: Path) -> None:
    # Before: a traceback ending in "Corrupt database file: computed checksum ... does not match".
    db = tmp_path / "damaged.duckdb"
    data = bytearray(template.read_bytes())
    data[12388:12588] = b"\xff" * 200
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError) as raised:
        Store(db, read_only=True)
    message = str(raised.value)
    assert message.startswith(f"The store {db} is damaged (Corrupt database file: computed checksum ")
    assert message.endswith(" in block at location 12288). Restore it from a backup, or use another store file "
                            "(--db, or $EQUITY_EXPLORER_DB for the app); to start again, move it away and load "
                            "your files again.")
    one_line_refusals(db, message, capsys, tmp_path, [*READ_COMMANDS, ["import", str(roster_csv)]])


def test_store_with_an_unknown_column(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      roster_csv: Path) -> None:
    # Before: the import failed with a Binder Error traceback (12 values for 13 columns).
    db = tmp_path / "other.duckdb"
    shutil.copyfile(template, db)
    connection = duckdb.connect(str(db))
    connection.execute("ALTER TABLE datasets ADD COLUMN owner VARCHAR")
    connection.execute("ALTER TABLE enrollment DROP COLUMN days_absent")
    connection.close()
    expected = (f"The store {db} was made by another version of Equity Explorer or changed by another program: its "
                "table 'datasets' has columns it does not know: owner. Use another store file (--db, or "
                "$EQUITY_EXPLORER_DB for the app), or move this one away and load your files again.")
    one_line_refusals(db, expected, capsys, tmp_path, [*READ_COMMANDS, ["import", str(roster_csv)]])
    connection = duckdb.connect(str(db))
    connection.execute("ALTER TABLE datasets DROP COLUMN owner")
    connection.close()
    with Store(db, read_only=True) as store:  # a field added since the store was made: read as it is
        assert "days_absent" not in list(store.query("SELECT * FROM enrollment LIMIT 0").columns)
    with Store(db) as store:  # ... and added, empty, when the store is opened for writing
        assert store.query("SELECT count(days_absent) AS n FROM enrollment")["n"].tolist() == [0]


def test_store_in_a_read_only_folder(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, roster_csv: Path) -> None:
    # Before: every command opened the store for writing; an import failed at COMMIT with a TransactionException.
    # (Tests may run as root, for whom permissions do not apply: the folder is reported read-only by os.access.)
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "store.duckdb"
    shutil.copyfile(template, db)
    real_access = os.access
    monkeypatch.setattr(store_module.os, "access",
                        lambda p, mode: False if Path(p) == folder and mode == os.W_OK else real_access(p, mode))
    before = digest(db)
    for command in READ_COMMANDS:  # commands that only read open it read-only: they answer
        code, _, err = run([*command, "--db", str(db)], capsys, tmp_path)
        assert (code, err) == (0, ""), command
    expected = (f"The store {db} cannot be written: {folder} is read-only. Commands that only read it (datasets, "
                "rates, gaps, audit, goals) still work; to import or change data, make it writable or use a store "
                "file in a folder you can write to (--db, or $EQUITY_EXPLORER_DB for the app).")
    one_line_refusals(db, expected, capsys, tmp_path, [["import", str(roster_csv)], ["load-sample"]])
    assert digest(db) == before


def test_a_write_failing_at_commit_is_one_line(template: Path, tmp_path: Path) -> None:
    # The folder turns read-only while the store is open: DuckDB fails at COMMIT; the store says what to do.
    db = tmp_path / "store.duckdb"
    shutil.copyfile(template, db)
    error = duckdb.TransactionException('Failed to commit: Cannot open file "x.wal": Permission denied')
    problem = store_module.store_problem(db, error)
    assert str(problem).startswith(f"The store {db} cannot be written: {tmp_path} is read-only. ")


def test_store_written_by_a_newer_version(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "newer.duckdb"
    shutil.copyfile(template, db)
    reason = ("IO Error: Trying to read a database file with version number 99, but we can only read version 65.\n"
              "The database file was created with a newer version of DuckDB.")

    def newer(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException(reason)
    monkeypatch.setattr(store_module.duckdb, "connect", newer)
    expected = (f"The store {db} was written by a newer version of Equity Explorer (its database format is newer "
                "than this version reads). Update Equity Explorer, or use another store file (--db, or "
                "$EQUITY_EXPLORER_DB for the app). (IO Error: Trying to read a database file with version number "
                "99, but we can only read version 65.)")
    one_line_refusals(db, expected, capsys, tmp_path, [*READ_COMMANDS])


def test_the_app_shows_the_same_line(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     entry_point_always_runs: None) -> None:
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "damaged.duckdb"
    data = bytearray(template.read_bytes())
    data[12388:12588] = b"\xff" * 200
    db.write_bytes(bytes(data))
    before = digest(db)
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    assert not app.exception
    assert len(app.error) == 1
    shown = app.error[0].value.replace("\\", "")  # escaped for Markdown
    assert shown.startswith(f"The store {db} is damaged (Corrupt database file: computed checksum ")
    assert digest(db) == before


def test_the_store_has_a_memory_limit(template: Path, tmp_path: Path) -> None:
    # Without one DuckDB may take 80% of the computer: a 20,000,000-row CSV imported at 6.3 GiB.
    db = tmp_path / "store.duckdb"
    shutil.copyfile(template, db)
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT current_setting('memory_limit')") == "1.0 GiB"
    problem = store_module.store_problem(db, duckdb.OutOfMemoryException(
        "Out of Memory Error: could not allocate block of size 256.0 KiB (1.0 GiB/1.0 GiB used)"))
    assert str(problem) == (f"The work on the store {db} needed more than the 1GiB of memory it may use, so nothing "
                            "was changed; split the file (for example one school year per file) and load the parts "
                            "one by one. (Out of Memory Error: could not allocate block of size 256.0 KiB (1.0 GiB/"
                            "1.0 GiB used))")


def test_store_written_by_an_older_format(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    error = duckdb.IOException("IO Error: Trying to read a database file with version number 43, but we can only "
                               "read versions between 64 and 65.\nThe database file was created with an older "
                               "version of DuckDB.")
    assert str(store_module.store_problem(db, error)) == (
        f"The store {db} was written by an older version of Equity Explorer whose database format this version "
        "cannot read. Open it with that version and export what you need, or use another store file (--db, or "
        "$EQUITY_EXPLORER_DB for the app). (IO Error: Trying to read a database file with version number 43, but "
        "we can only read versions between 64 and 65.)")


def test_store_in_a_format_older_than_this_version_reads(tmp_path: Path) -> None:
    # DuckDB 1.x names the old version instead of saying "older".
    error = duckdb.IOException("IO Error: Trying to read a database file with version number 43, but we can only "
                               "read versions between 64 and 65.\nThe database file was created with DuckDB version "
                               "v0.7.0 or v0.7.1.")
    assert " was written by an older version of Equity Explorer " in str(store_module.store_problem(tmp_path, error))
