"""Bad input: every file a district might upload by mistake, or an attacker on purpose, is refused with a
message that names the file (and sheet, column or row), or is stored exactly as data, and a refused import
leaves the store unchanged.

Every file is written in tmp_path at test time. "Unchanged" is checked on the store FILE: it is closed and
its bytes hashed before and after (opening and closing a checkpointed store does not change its bytes;
`test_reopening_a_store_keeps_its_bytes` pins that). Where an import succeeds on purpose (hostile names,
formula-like cells), the tables are checked instead.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
import shutil
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import fastexcel
import openpyxl
import pytest
from fixtures.hostile_store import ROSTER, YEAR, digest, two_student_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity_metrics.ingest import readers
from equity_metrics.ingest.importer import ImportRefusedError, ImportReport, SourceSpec, import_sources
from equity_metrics.ingest.mapping import Mapping, MappingError
from equity_metrics.ingest.readers import ReadError, list_sheets, read_source
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import CATALOG_TABLE, Store, quote_identifier


# ---- helpers -------------------------------------------------------------------------------------------
def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]], title: str = "Roster") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def fetch(store: Store, sql: str) -> list[tuple]:
    return store.cursor().execute(sql).fetchall()


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every table's full contents, sorted."""
    names = [n for (n,) in fetch(store, "SELECT table_name FROM information_schema.tables ORDER BY 1")]
    return {n: sorted(fetch(store, f"SELECT * FROM {quote_identifier(n)}"), key=repr) for n in names}


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one small roster (two students), checkpointed and closed."""
    return two_student_store(tmp_path_factory.mktemp("bad_input_store"), ("001", "002"))


def refused(db: Path, specs: list[SourceSpec], error: type[Exception]) -> str:
    """Import `specs`, expect `error`, check the store file is byte-for-byte unchanged; return the message."""
    before = digest(db)
    with Store(db) as store:
        tables = snapshot(store)
        with pytest.raises(error) as raised:
            import_sources(store, specs)
        assert snapshot(store) == tables
    assert digest(db) == before
    assert sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name)) == [db.name]  # no WAL left
    return str(raised.value)


def imported(db: Path, path: Path, mapping: Mapping, sheet: str | None = None) -> tuple[ImportReport, Store]:
    store = Store(db)
    (report,) = import_sources(store, [SourceSpec(path, mapping, sheet)])
    return report, store


def test_reopening_a_store_keeps_its_bytes(db: Path) -> None:
    # What makes the byte-for-byte checks meaningful: open + close of a checkpointed store writes nothing.
    before = digest(db)
    Store(db).close()
    Store(db, read_only=True).close()
    assert digest(db) == before


# ---- empty, header only, wrong extension, binary -----------------------------------------------------------
def test_empty_csv(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "empty.csv", b"")
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == "empty.csv: the file is empty (0 bytes)"


def test_empty_xlsx(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "empty.xlsx", b"")
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == "empty.xlsx: cannot be read as a workbook: the file is empty (0 bytes)"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_header_only(db: Path, tmp_path: Path, suffix: str) -> None:
    if suffix == ".csv":
        path = write_csv(tmp_path / "header.csv", [["sid", "school", "grade"]])
        label = "header.csv"
    else:
        path = write_xlsx(tmp_path / "header.xlsx", [["sid", "school", "grade"]])
        label = "header.xlsx, sheet 'Roster'"
    message = refused(db, [SourceSpec(path, ROSTER)], ImportRefusedError)
    assert message == f"{label}: no row could be imported (the table is empty)"


def test_txt_holding_xlsx_bytes(db: Path, tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "real.xlsx", [["sid", "school", "grade"], ["003", "0042", "K"]])
    path = write(tmp_path / "roster.txt", book.read_bytes())
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == ("roster.txt: cannot be read as CSV: this file is an Excel workbook (.xlsx), not text; "
                       "rename it to end in .xlsx and load it again")


def test_xlsx_holding_csv_text(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "roster.xlsx", b"sid,school,grade\n003,0042,K\n")
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == ("roster.xlsx: cannot be read as a workbook: the file is text, not an Excel workbook (an .xlsx "
                       "file is a zip archive); if it is a CSV file, rename it to end in .csv and load it again")
    with pytest.raises(ReadError, match=r"^roster\.xlsx: not a readable workbook: the file is text"):
        list_sheets(path)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


@pytest.mark.parametrize(("name", "data", "what"), [
    ("random.csv", os.urandom(4096) + b"\x00", "the file holds binary data, not text (is it the right file? save it "
                                               "from its program as CSV)"),
    ("picture.csv", PNG + os.urandom(512), "this file is a PNG image, not text"),
    ("report.txt", b"%PDF-1.7\n" + os.urandom(512), "this file is a PDF document, not text"),
    ("nul.csv", b"sid,school,grade\n003,00\x0042,K\n", "the file holds binary data, not text (is it the right file? "
                                                       "save it from its program as CSV)"),
])
def test_binary_file_named_csv(db: Path, tmp_path: Path, name: str, data: bytes, what: str) -> None:
    path = write(tmp_path / name, data)
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == f"{name}: cannot be read as CSV: {what}"


def test_binary_without_nul_bytes_is_still_a_read_error(tmp_path: Path) -> None:
    # Bytes that are not UTF-8 are transcoded as Windows-1252; whatever DuckDB's sniffer makes of them, the only
    # possible failure is a ReadError naming the file (it used to leak a UnicodeError).
    data = bytes(b for b in os.urandom(8192) if b not in (0, 10, 13))
    path = write(tmp_path / "noise.csv", data)
    try:
        read_source(path)
    except ReadError as error:
        assert str(error).startswith("noise.csv: cannot be read as CSV")


def test_truncated_xlsx(db: Path, tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "full.xlsx", [["sid", "school", "grade"], ["003", "0042", "K"]]).read_bytes()
    path = write(tmp_path / "cut.xlsx", book[: len(book) // 2])
    message = refused(db, [SourceSpec(path, ROSTER, "Roster")], ReadError)
    assert message == ("cut.xlsx, sheet 'Roster': cannot be read as a workbook: the file is damaged or incomplete (not "
                       "a complete zip archive); save it again from Excel (File is not a zip file)")


def test_xlsx_with_a_damaged_part(db: Path, tmp_path: Path) -> None:
    # A complete zip directory, but the sheet's compressed bytes are garbage.
    book = write_xlsx(tmp_path / "full.xlsx", [["sid", "school", "grade"], ["003", "0042", "K"]])
    entries = [(i.filename, *_deflate(zipfile.ZipFile(book).read(i))) for i in zipfile.ZipFile(book).infolist()]
    entries = [(n, b"\xff" * len(d) if n.endswith("sheet1.xml") else d, c, s, None) for n, d, c, s in entries]
    path = _write_zip(tmp_path / "damaged.xlsx", entries)
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message.startswith("damaged.xlsx: cannot be read as a workbook: the file is damaged or incomplete (not a "
                              "complete zip archive); save it again from Excel (")


# ---- zip bombs -------------------------------------------------------------------------------------------
def _deflate(data: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def _deflate_repeated(chunk: bytes, times: int) -> tuple[bytes, int, int]:
    """Raw deflate of chunk * times without holding it: one fully flushed block, repeated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return block * times + packer.flush(zlib.Z_FINISH), crc, len(chunk) * times


def _write_zip(path: Path, entries: list[tuple[str, bytes, int, int, int | None]]) -> Path:
    """A zip of deflated entries (name, data, crc, size, declared size or None for the true one)."""
    body, directory = bytearray(), bytearray()
    for name, data, crc, size, declared in entries:
        size = size if declared is None else declared
        encoded = name.encode()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        body += encoded + data
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                                 len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), len(body), 0)
    path.write_bytes(bytes(body + directory + end))
    return path


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              b'spreadsheetml/2006/main"><sheetData>')


def _bomb(tmp_path: Path, name: str, mebibytes: int, declared: int | None = None) -> Path:
    """A real workbook whose sheet1.xml is `mebibytes` MiB of empty rows (valid XML up to the end tag)."""
    book = write_xlsx(tmp_path / "base.xlsx", [["sid", "school", "grade"], ["003", "0042", "K"]])
    entries = []
    with zipfile.ZipFile(book) as archive:
        for info in archive.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                entries.append((info.filename, *_deflate_repeated(b"<row/>" * ((1 << 20) // 6), mebibytes), declared))
            else:
                entries.append((info.filename, *_deflate(archive.read(info)), None))
    return _write_zip(tmp_path / name, entries)


@pytest.fixture()
def no_fastexcel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard must refuse before fastexcel is ever asked to open the file."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("fastexcel was called on a file the guard should have refused")
    monkeypatch.setattr(fastexcel, "read_excel", refuse)


def _timed(action: Callable[[], object]) -> tuple[float, int]:
    """Seconds and peak Python memory (bytes) of `action`."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        action()
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, peak


def test_zip_bomb_is_refused_quickly_by_its_ratio(db: Path, tmp_path: Path, no_fastexcel: None) -> None:
    # 400 MiB of sheet XML in a file of ~0.4 MiB (ratio ~1,000): fastexcel would spend seconds on it.
    path = _bomb(tmp_path, "bomb.xlsx", 400)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ReadError) as raised:
        elapsed, peak = _timed(lambda: read_source(path))
    message = str(raised.value)
    assert message.startswith("bomb.xlsx: cannot be read as a workbook: its part xl/worksheets/sheet1.xml would "
                              "unpack to 400.0 MiB, ")
    assert message.endswith(" times its stored size (real sheets stay under 200); it looks like a 'zip bomb' and "
                            "was not opened")
    elapsed, peak = _timed(lambda: pytest.raises(ReadError, read_source, path))
    assert elapsed < 1.0 and peak < 8 << 20
    assert refused(db, [SourceSpec(path, ROSTER)], ReadError) == message
    with pytest.raises(ReadError, match=r"^bomb\.xlsx: not a readable workbook: its part xl/worksheets/sheet1\.xml"):
        list_sheets(path)


def test_zip_bomb_lying_about_its_size_fails_its_checksum(db: Path, tmp_path: Path, no_fastexcel: None) -> None:
    # The directory says sheet1.xml is 4 KiB; it really unpacks to 300 MiB (calamine would unpack it all). The
    # guard unpacks at most the declared size, in 1 MiB blocks, and the checksum then fails.
    path = _bomb(tmp_path, "liar.xlsx", 300, declared=4096)
    elapsed, peak = _timed(lambda: pytest.raises(ReadError, read_source, path))
    assert elapsed < 1.0 and peak < 8 << 20
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == ("liar.xlsx: cannot be read as a workbook: the file is damaged or incomplete (not a complete "
                       "zip archive); save it again from Excel (Bad CRC-32 for file 'xl/worksheets/sheet1.xml')")


def test_workbook_unpacking_past_the_total_limit(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 no_fastexcel: None) -> None:
    # The real limit is 2 GiB; a small one shows the message without building gigabytes.
    path = write_xlsx(tmp_path / "big.xlsx", [["sid", "school", "grade"], ["003", "0042", "K"]])
    monkeypatch.setattr(readers, "MAX_WORKBOOK_UNPACKED_BYTES", 1000)
    total = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == (f"big.xlsx: cannot be read as a workbook: it would unpack to {total / 1024:,.1f} KiB, over the "
                       "limit of 1,000 bytes for a workbook; it may be a 'zip bomb'. Save the data again from its "
                       "program (as CSV for very large tables)")


def test_limits_are_documented_and_sane() -> None:
    assert readers.MAX_FILE_BYTES == 1 << 30
    assert readers.MAX_WORKBOOK_UNPACKED_BYTES == 2 << 30
    assert readers.MAX_COMPRESSION_RATIO == 200
    assert readers.RATIO_CHECK_BYTES == 8 << 20


# ---- encrypted workbooks ---------------------------------------------------------------------------------
def _compound_file(streams: list[str]) -> bytes:
    """A minimal valid OLE2 compound file (what Excel writes for a password-protected workbook: streams
    'EncryptionInfo' and 'EncryptedPackage'), streams empty: one FAT sector, one directory sector."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + struct.pack(
        "<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108  # DIFAT: the FAT is sector 0
    fat = struct.pack("<II", fat_sector, end) + struct.pack("<I", free) * 126

    def entry(name: str, kind: int, left: int, right: int, child: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (encoded.ljust(64, b"\0") + struct.pack("<HBBIII", len(encoded), kind, 1, left, right, child)
                + bytes(16) + bytes(4) + bytes(16) + struct.pack("<IQ", end, 0))

    entries = [entry("Root Entry", 5, free, free, 1 if streams else free)]
    for index, name in enumerate(streams, start=1):
        entries.append(entry(name, 2, free, index + 1 if index < len(streams) else free, free))
    directory = b"".join(entries).ljust(512, b"\0")
    assert len(header) == 512 and len(fat) == 512
    return header + fat + directory


@pytest.mark.parametrize("name", ["secret.xlsx", "secret.xlsm", "secret.xls"])
def test_password_protected_workbook(db: Path, tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, _compound_file(["EncryptionInfo", "EncryptedPackage"]))
    assert path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == (f"{name}: cannot be read as a workbook: the workbook is password-protected (encrypted). Open "
                       "it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, "
                       "then clear it), save it and load it again")
    with pytest.raises(ReadError, match=rf"^{name.replace('.', '[.]')}: not a readable workbook: the workbook is "
                                        "password-protected"):
        list_sheets(path)


def test_old_xls_named_xlsx(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "old.xlsx", _compound_file(["Workbook"]))
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == ("old.xlsx: cannot be read as a workbook: this is an Excel 97-2003 workbook (or another Office "
                       "document), not .xlsx; rename it to end in .xls, or open it in Excel and save it as .xlsx")


def test_encrypted_workbook_named_csv(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "secret.csv", _compound_file(["EncryptionInfo", "EncryptedPackage"]))
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == ("secret.csv: cannot be read as CSV: this file is an Office document (an Excel 97-2003 .xls "
                       "workbook, or a password-protected workbook), not text; if it is an .xls workbook, rename it "
                       "to end in .xls")


# ---- size limit ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_file_over_the_size_limit(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    rows = [["sid", "school", "grade"], *([f"{i:03d}", "0042", "K"] for i in range(100))]
    path = write_csv(tmp_path / "big.csv", rows) if suffix == ".csv" else write_xlsx(tmp_path / "big.xlsx", rows)
    size = path.stat().st_size
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 1000)
    assert size > 1000
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    shown = f"{size:,} bytes" if size < 1024 else f"{size / 1024:,.1f} KiB"
    assert message == (f"big{suffix}: the file is {shown}, over the limit of 1,000 bytes for one file; split it (for "
                       "example one school year per file) or export only the columns you need")
    if suffix == ".xlsx":
        with pytest.raises(ReadError, match=r"^big\.xlsx: the file is "):
            list_sheets(path)
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", size)  # exactly at the limit is allowed
    assert read_source(path).table.num_rows == 100


# ---- encodings and ragged rows -------------------------------------------------------------------------
def test_utf8_with_one_windows_1252_byte_keeps_both(db: Path, tmp_path: Path) -> None:
    # Rule: a file that is not valid UTF-8 is read as UTF-8 where it is valid and as Windows-1252 byte by byte
    # where it is not, so neither the UTF-8 'José' nor the stray cp1252 'é' of 'Café' is garbled.
    data = "sid,school,grade,name\n003,0042,K,José\n".encode() + b"004,0042,K,Caf\xe9\n"
    path = write(tmp_path / "mixed.csv", data)
    report, store = imported(db, path, Mapping("enrollment", {**ROSTER.columns, "school_name": "name"},
                                                constants=dict(YEAR)))
    with store:
        assert report.rows_imported == 2
        assert fetch(store, "SELECT student_id, school_name FROM enrollment WHERE student_id >= '003' ORDER BY 1") == [
            ("003", "José"), ("004", "Café")]


def test_utf16_with_byte_order_mark(tmp_path: Path) -> None:
    # Excel's "Unicode Text" export: UTF-16 with a BOM, tab-separated.
    path = write(tmp_path / "unicode.txt", codecs.BOM_UTF16_LE + "sid\tname\r\n003\tZoë\r\n".encode("utf-16-le"))
    source = read_source(path)
    assert source.columns == ["sid", "name"]
    assert [(r["sid"], r["name"]) for r in source.table.to_pylist()] == [("003", "Zoë")]


def test_ragged_rows(db: Path, tmp_path: Path) -> None:
    # Short rows are padded with missing values; the row missing its grade is rejected and named by row number.
    path = write(tmp_path / "ragged.csv", b"sid,school,grade\n003,0042,K\n004,0042\n005\n006,0042,3\n")
    report, store = imported(db, path, ROSTER)
    with store:
        assert report.rows_imported == 2
        assert report.lines()[1:] == ["Rejected 1 row: no school id (row 4).", "Rejected 2 rows: no grade (rows 3, 4)."]


def test_row_longer_than_the_header(db: Path, tmp_path: Path) -> None:
    # DuckDB's sniffer would read such a file as ONE column named 'sid,school,grade' (and the mapping would
    # then say the columns are missing); the reader names the row instead.
    path = write(tmp_path / "long.csv", b"sid,school,grade\n003,0042,K\n004,0042,K,surprise\n005,0042,1\n")
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == ("long.csv: row 3 has 4 cells but the header (row 1) names only 3 columns, so the extra cells "
                       "have no column; fix that row (often a comma inside a value that is not in quotes) or name the "
                       "extra column, then load the file again")


def test_row_with_a_trailing_empty_cell(tmp_path: Path) -> None:
    path = write(tmp_path / "trailing.csv", b"sid,school,grade\n003,0042,K\n004,0042,K,\n")
    source = read_source(path)
    assert source.columns == ["sid", "school", "grade"]
    assert [r["sid"] for r in source.table.to_pylist()] == ["003", "004"]


# ---- duplicate and blank column names -------------------------------------------------------------------
@pytest.mark.parametrize(("header", "expected"), [
    (["sid", "school", "grade", "grade"], "columns 3 (C) and 4 (D) are both named 'grade'"),
    (["sid", "School", "grade", "SCHOOL"], "columns 2 (B) and 4 (D) are both named 'School' and 'SCHOOL' (capitals do "
                                           "not count)"),
    (["sid", "school", "grade", "grade_1", "grade"], "columns 3 (C) and 5 (E) are both named 'grade'"),
])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_duplicate_column_names_are_refused_naming_the_column(db: Path, tmp_path: Path, header: list[str],
                                                              expected: str, suffix: str) -> None:
    # Why refuse: DuckDB (and fastexcel) would silently rename the second one 'grade_1', and SQL cannot tell
    # 'School' from 'SCHOOL'; either way the mapping could read the wrong column without anyone noticing.
    rows = [header, ["003", "0042", "K", "1", "2"][: len(header)]]
    path = write_csv(tmp_path / f"dup{suffix}", rows) if suffix == ".csv" else write_xlsx(tmp_path / "dup.xlsx", rows)
    label = "dup.csv" if suffix == ".csv" else "dup.xlsx, sheet 'Roster'"
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == (f"{label}: {expected} in the header (row 1); give each column its own name and load the file "
                       "again")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_blank_column_name_over_data_is_refused_naming_its_position(db: Path, tmp_path: Path, suffix: str) -> None:
    rows = [["sid", "", "school", "grade"], ["003", "note", "0042", "K"]]
    path = write_csv(tmp_path / f"blank{suffix}", rows) if suffix == ".csv" else write_xlsx(tmp_path / "blank.xlsx", rows)
    label = "blank.csv" if suffix == ".csv" else "blank.xlsx, sheet 'Roster'"
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == (f"{label}: column 2 (B) has data but no name in the header (row 1); type a name for it, or set "
                       "the number of rows above the header if the header is lower down, then load the file again")


def test_blank_empty_columns_are_dropped(tmp_path: Path) -> None:
    # A trailing delimiter (or an empty unnamed column) is not a column: it is dropped, not named 'column3'.
    path = write(tmp_path / "trailing.csv", b"sid,,school,grade,\n003,,0042,K,\n004,,0042,1,\n")
    assert read_source(path).columns == ["sid", "school", "grade"]
    book = write_xlsx(tmp_path / "trailing.xlsx", [["sid", None, "school"], ["003", None, "0042"]])
    assert read_source(book).columns == ["sid", "school"]


def test_names_that_look_renamed_but_are_not(tmp_path: Path) -> None:
    # 'Q_1' and 'column1' look like the readers' own renaming; the header check confirms they were written so.
    path = write_csv(tmp_path / "survey.csv", [["rid", "Q_1", "Q_2", "column1"], ["R1", "4", "5", "x"]])
    assert read_source(path).columns == ["rid", "Q_1", "Q_2", "column1"]


# ---- hostile column names and cell values ----------------------------------------------------------------
HOSTILE_NAMES = ['x"; DROP TABLE students; --', "<script>alert(1)</script>", "a;b;c", '"quoted"', "it's", "é ✓ 中"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_hostile_column_names_are_only_names(db: Path, tmp_path: Path, suffix: str) -> None:
    header = ["sid", "school", "grade", *HOSTILE_NAMES]
    rows = [header, ["003", "0042", "K", *("v" for _ in HOSTILE_NAMES)]]
    path = write_csv(tmp_path / f"h{suffix}", rows) if suffix == ".csv" else write_xlsx(tmp_path / "h.xlsx", rows)
    assert read_source(path).columns == header
    report, store = imported(db, path, Mapping("enrollment", {**ROSTER.columns, "school_name": HOSTILE_NAMES[0]},
                                                constants=dict(YEAR)))
    with store:
        assert report.columns_ignored == tuple(HOSTILE_NAMES[1:])
        assert report.lines()[-1] == f"Columns ignored: {', '.join(HOSTILE_NAMES[1:])}."
        assert all(store.table_exists(kind) for kind in KINDS) and store.table_exists(CATALOG_TABLE)
        assert not store.table_exists("students")
        assert store.kind_rows() == {**dict.fromkeys(KINDS, 0), "enrollment": 3}
        assert fetch(store, "SELECT school_name FROM enrollment WHERE student_id = '003'") == [("v",)]


FORMULAS = ["=1+1", "+1", "-2", "@SUM(A1:A9)", '=HYPERLINK("http://example.com","x")', "=cmd|' /C calc'!A0", "-"]


def test_formula_like_cells_are_stored_verbatim(db: Path, tmp_path: Path) -> None:
    # Cells are data: nothing is evaluated or stripped. ('-' alone is a missing-value marker, stored as NULL.)
    rows = [["sid", "school", "grade", "name"], *([f"{i + 10:03d}", "0042", "K", f] for i, f in enumerate(FORMULAS))]
    path = write_csv(tmp_path / "formulas.csv", rows)
    report, store = imported(db, path, Mapping("enrollment", {**ROSTER.columns, "school_name": "name"},
                                                constants=dict(YEAR)))
    with store:
        assert report.rows_imported == len(FORMULAS)
        stored = dict(fetch(store, "SELECT student_id, school_name FROM enrollment WHERE student_id >= '010'"))
        assert [stored[f"{i + 10:03d}"] for i in range(len(FORMULAS))] == [*FORMULAS[:-1], None]


def test_formula_like_header_is_a_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["=SUM(A1)", "@x", "+y"], ["1", "2", "3"]])
    assert read_source(path).columns == ["=SUM(A1)", "@x", "+y"]


# ---- size: many columns, many codes ---------------------------------------------------------------------
def test_ten_thousand_columns(db: Path, tmp_path: Path) -> None:
    header = ["sid", "school", "grade", *(f"extra {i}" for i in range(9997))]
    lines = [",".join(header)] + [",".join([f"{r:03d}", "0042", "K", *("x" * 9997)]) for r in range(10, 15)]
    path = write(tmp_path / "wide.csv", ("\n".join(lines) + "\n").encode())
    started = time.perf_counter()
    report, store = imported(db, path, ROSTER)
    with store:
        assert report.rows_imported == 5
        assert len(report.columns_ignored) == 9997
        assert report.columns_ignored[:2] == ("extra 0", "extra 1")
    assert time.perf_counter() - started < 30


def test_a_million_distinct_codes(db: Path, tmp_path: Path) -> None:
    # 1,000,000 applicants, each with its own unknown race code: the report lists the 20 most common (ties by
    # code), the rest are only counted as missing. (Applicants: the cheapest kind with a race column.)
    path = tmp_path / "applicants.csv"
    with path.open("w") as handle:
        handle.write("aid,stage,race\n")
        handle.writelines(f"{i},Applied,Race {i:07d}\n" for i in range(1_000_000))
    mapping = Mapping("applicants", {"applicant_id": "aid", "stage_reached": "stage", "race": "race"},
                      constants=dict(YEAR))
    started = time.perf_counter()
    report, store = imported(db, path, mapping)
    with store:
        elapsed = time.perf_counter() - started
        assert report.rows_imported == 1_000_000
        assert report.unknown_codes["race"] == tuple((f"Race {i:07d}", 1) for i in range(20))
        assert report.missing_share["race"] == 1.0
        assert sum(len(line) for line in report.lines()) < 2_000
        assert fetch(store, "SELECT count(*) FROM facts_applicant WHERE race = 'Unknown'") == [(1_000_000,)]
    assert elapsed < 45


# ---- dates and counts ------------------------------------------------------------------------------------
def test_dates_far_in_the_past_or_future_are_stored(db: Path, tmp_path: Path) -> None:
    # Decision: a date the format reads is stored as written, whatever its year. Dates are descriptive here
    # (the school year of a row comes from school_year), and rejecting a row for an implausible optional date
    # would drop a suspension from the counts. Two-digit years are still read as %y (test_importer.py).
    path = write_csv(tmp_path / "old.csv", [["sid", "action", "date"], ["001", "OSS", "10/14/1066"],
                                            ["002", "OSS", "12/31/9999"], ["003", "OSS", "02/30/2024"]])
    mapping = Mapping("discipline", {"student_id": "sid", "action": "action", "incident_date": "date"},
                      constants=dict(YEAR))
    report, store = imported(db, path, mapping)
    with store:
        assert report.rows_imported == 3
        assert fetch(store, "SELECT student_id, incident_date FROM discipline ORDER BY 1") == [
            ("001", dt.date(1066, 10, 14)), ("002", dt.date(9999, 12, 31)), ("003", None)]
        # an impossible date (30 February) is not a date: stored as missing and listed in the report
        assert report.unknown_codes == {"incident_date": (("02/30/2024", 1),)}


ATTENDANCE = [["sid", "school", "grade", "enrolled", "absent"],
              ["010", "0042", "K", "180", "-5"],     # negative absences
              ["011", "0042", "K", "180", "200"],    # more days absent than enrolled
              ["012", "0042", "K", "-180", "3"],     # negative enrollment
              ["013", "0042", "K", "180", "NaN"],    # not a number
              ["014", "0042", "K", "inf", "3"],      # not a count
              ["015", "0042", "K", "180", "12"]]     # fine
ATTENDANCE_MAPPING = Mapping("enrollment", {**ROSTER.columns, "days_enrolled": "enrolled", "days_absent": "absent"},
                             constants=dict(YEAR))


def test_impossible_day_counts_are_missing_and_reported(db: Path, tmp_path: Path) -> None:
    report, store = imported(db, write_csv(tmp_path / "att.csv", ATTENDANCE), ATTENDANCE_MAPPING)
    with store:
        rows = fetch(store, "SELECT student_id, days_enrolled, days_absent FROM enrollment WHERE student_id >= '010' "
                            "ORDER BY 1")
        assert rows == [("010", 180.0, None), ("011", 180.0, None), ("012", None, 3.0), ("013", 180.0, None),
                        ("014", None, 3.0), ("015", 180.0, 12.0)]
        assert dict(report.unknown_codes["days_absent"]) == {"-5": 1, "200": 1, "NaN": 1}
        assert dict(report.unknown_codes["days_enrolled"]) == {"-180": 1, "inf": 1}


# ---- property: random bytes --------------------------------------------------------------------------------
HEADERS = st.sampled_from([b"", b"sid,school,grade\n", b"sid;school;grade\r\n", b"\xef\xbb\xbfsid\tschool\tgrade\n"])


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Store:
    path = tmp_path_factory.mktemp("fuzz_store") / "store.duckdb"
    shutil.copyfile(template_db, path)
    store = Store(path)
    yield store
    store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=HEADERS, body=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".txt", ".tsv"]))
def test_random_text_bytes_never_crash_and_never_half_import(tmp_path_factory: pytest.TempPathFactory,
                                                             fuzz_store: Store, header: bytes, body: bytes,
                                                             suffix: str) -> None:
    # Rule: read_source raises ReadError or returns text columns; an import of the same bytes either fails
    # (ReadError, MappingError, ImportRefusedError, message naming the file) leaving every table as it was, or
    # adds exactly the rows it reports and one catalog entry. One store for all examples (its tables are
    # compared), so the whole test stays within a few seconds.
    path = write(tmp_path_factory.mktemp("fuzz") / f"fuzz{suffix}", header + body)
    try:
        read_source(path)
    except ReadError as error:
        assert str(error).startswith(f"fuzz{suffix}: ")
    tables = snapshot(fuzz_store)
    try:
        (report,) = import_sources(fuzz_store, [SourceSpec(path, ROSTER)])
    except (ReadError, MappingError, ImportRefusedError) as error:
        assert str(error).startswith(f"fuzz{suffix}")
        assert snapshot(fuzz_store) == tables
    else:  # some random bytes are a valid roster
        after = snapshot(fuzz_store)
        assert len(after["enrollment"]) == len(tables["enrollment"]) + report.rows_imported
        assert len(after[CATALOG_TABLE]) == len(tables[CATALOG_TABLE]) + 1


_GOOD_WORKBOOK: list[bytes] = []


def _good_workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One small valid workbook, written once: its bytes (and length) must not change between hypothesis runs,
    and a workbook written a second later carries another timestamp."""
    if not _GOOD_WORKBOOK:
        path = tmp_path_factory.mktemp("goodbook") / "good.xlsx"
        _GOOD_WORKBOOK.append(write_xlsx(path, [["sid", "school", "grade"], ["003", "0042", "K"]]).read_bytes())
    return _GOOD_WORKBOOK[0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), suffix=st.sampled_from([".xlsx", ".ods", ".xls"]))
def test_damaged_workbooks_only_raise_read_errors(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject,
                                                  suffix: str) -> None:
    folder = tmp_path_factory.mktemp("fuzzbook")
    good = _good_workbook(tmp_path_factory)
    damaged = bytearray(good)
    for _ in range(data.draw(st.integers(1, 8))):
        damaged[data.draw(st.integers(0, len(good) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(good)))
    path = write(folder / f"book{suffix}", bytes(damaged[:cut] if data.draw(st.booleans()) else damaged))
    try:
        read_source(path)
    except ReadError as error:
        assert str(error).startswith(f"book{suffix}")
