"""Readers: turn a CSV/text file or one sheet of a workbook into an Arrow table of text columns.

Every cell is read as text, so IDs, school codes and grades keep their leading zeros; types are decided
later by the mapping. CSV goes through DuckDB's reader, Excel and ODS through fastexcel (calamine).
A file that cannot be read raises `ReadError` (and nothing else) with a message naming the file (and sheet).

Guards, checked before a file is parsed (see docs in each constant):
- a file over MAX_FILE_BYTES is refused;
- a text file that is really a workbook, an image, a PDF or other binary data is named as such;
- text that is not UTF-8 is read as UTF-16 (with a byte-order mark) or, byte by byte, as Windows-1252, so a
  UTF-8 file with one stray Windows-1252 byte keeps its other accented letters;
- a workbook (.xlsx/.xlsm/.xlsb/.ods, all zip archives) that would unpack to more than
  MAX_WORKBOOK_UNPACKED_BYTES, or holds a part that unpacks to more than MAX_COMPRESSION_RATIO times its
  stored size (a "zip bomb"), or whose parts do not unpack to what its directory says, is refused before
  fastexcel sees it, in bounded memory;
- a workbook of any accepted format whose sheet would need too large a grid, or whose strings are far larger
  than its cells can need, is refused before fastexcel opens or reads it (`workbook_scan`, `ods_scan`,
  `binary_scan`);
- an encrypted (password-protected) workbook is named as such;
- a header row with two columns of the same name (capitals ignored, as in SQL) is refused naming the column;
  a column with no name is dropped when it is empty and refused, naming its position, when it holds data.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import html
import re
import shutil
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import fastexcel
import pyarrow as pa

from equity_metrics.ingest import headers, import_limits, workbook_scan
from equity_metrics.ingest.scan_types import human_size
from equity_metrics.storage.store import first_line

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
ROW_NUMBER_COLUMN = "__source_row"  # 1-based row number in the file, header row counted
ZIP_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".ods")  # workbooks stored as zip archives

# Largest file read at all (CSV or workbook). The app's uploader stops at 200 MB (.streamlit/config.toml);
# the command line may read larger exports, up to 1 GiB. Measured (benchmarks/README.md): a 200 MB CSV of one
# column (20,000,000 rows) peaks at 0.6 GiB to read (its text columns in Arrow, 0.4 GiB) and 1.7 GiB to import
# (DuckDB holds at most store.MEMORY_LIMIT, 1 GiB, and spills the rest; 6.3 GiB before that limit), so a 1 GiB
# CSV needs about 3 GiB to read and 4 to 5 GiB to import. No district file of one kind for one year comes near
# it (1,000,000 student-years of enrollment are ~100 MB of CSV).
MAX_FILE_BYTES = 1 << 30
# Largest total a workbook may unpack to. The biggest sheet Excel can hold (1,048,576 rows) with 20 text
# columns is ~1 GiB of XML; twice that leaves room for styles, shared strings and other sheets.
MAX_WORKBOOK_UNPACKED_BYTES = 2 << 30
# Largest unpacked/stored ratio of one part of a workbook, checked for parts over RATIO_CHECK_BYTES
# unpacked. Real sheets compress 5-30 times (very repetitive ones up to ~100); deflate cannot exceed ~1,030,
# which is what a zip bomb uses.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_BYTES = 8 << 20
_BLOCK = 1 << 20


class ReadError(ValueError):
    """A file or sheet that cannot be read; the message names it and says why."""


@dataclass(frozen=True)
class SourceTable:
    """One table read from a file: every column as text, plus its file row numbers."""

    file_name: str
    sheet: str | None
    table: pa.Table  # text columns + ROW_NUMBER_COLUMN
    notes: tuple[str, ...] = ()  # rows skipped above the header and below the data, in plain words
    titles: tuple[str, ...] = ()  # text of the rows above the header (a title may name the school year)
    header_row: int = 0  # rows above the header, as found (or given)

    @property
    def label(self) -> str:
        return f"{self.file_name}, sheet {self.sheet!r}" if self.sheet else self.file_name

    @property
    def columns(self) -> list[str]:
        return [c for c in self.table.column_names if c != ROW_NUMBER_COLUMN]


def list_sheets(path: str | Path, visible_only: bool = True) -> list[str]:
    """Sheet names of a workbook, or [] for a text file. Hidden sheets (code lists, lookups) are left out
    unless `visible_only` is False or every sheet is hidden."""
    path = Path(path)
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        return []
    _check_size(path)
    if path.suffix.lower() == ".xls" and _text_named_xls(path) == "text":
        return []  # text named .xls: one table, read as text (read_source)
    problem = _workbook_problem(path)
    if problem:
        raise ReadError(f"{path.name}: not a readable workbook: {problem}")
    try:
        names = list(fastexcel.read_excel(str(path)).sheet_names)
    except BaseException as error:  # fastexcel raises its own hierarchy (and panics); every failure is a read failure
        _reraise_interrupt(error)
        raise ReadError(f"{path.name}: not a readable workbook ({_excel_error(error)})") from error
    if not visible_only:
        return names
    hidden = _hidden_sheets(path)
    return [name for name in names if name not in hidden] or names


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTRIBUTE = re.compile(rb'\b(name|state)="([^"]*)"')


def _hidden_sheets(path: Path) -> set[str]:
    """Names of hidden sheets, read from an .xlsx/.xlsm workbook part (small) without loading any sheet;
    empty for other formats."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        return set()
    hidden = set()
    for tag in _SHEET_TAG.findall(workbook):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get(b"state", b"visible") != b"visible" and b"name" in attributes:
            hidden.add(html.unescape(attributes[b"name"].decode("utf-8", "replace")))
    return hidden


def read_source(path: str | Path, sheet: str | None = None, header_row: int | None = 0) -> SourceTable:
    """Read one CSV file or one sheet (the first if none is named) as text columns. `header_row` is the number
    of rows above the header; 0 (the default) or None finds the header (title rows, notes and blank rows
    above it, a two-row header; see `headers.py`), a positive number is taken as given. Footer rows and
    repeated header rows are dropped either way; `SourceTable.notes` says what was skipped."""
    header_row = header_row or None
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        _check_size(path)
        if suffix == ".xls" and _text_named_xls(path) == "text":  # tab- or comma-separated: read as text
            # (an HTML page named .xls is refused by _workbook_problem, saying what it is)
            source = _read_text(path, header_row)
            note = f"{path.name} is text (not an Excel 97-2003 workbook), read as such."
            return dataclasses.replace(source, notes=(note, *source.notes))
        return _read_excel(path, sheet, header_row)
    if suffix in TEXT_SUFFIXES:
        _check_size(path)
        if path.is_file() and path.stat().st_size == 0:
            raise ReadError(f"{path.name}: the file is empty (0 bytes)")
        return _read_text(path, header_row)
    raise ReadError(
        f"{path.name}: unsupported file type {suffix or '(none)'}; "
        f"use CSV/text ({', '.join(TEXT_SUFFIXES)}) or a workbook ({', '.join(EXCEL_SUFFIXES)})"
    )


def _with_row_numbers(table: pa.Table, header_row: int) -> pa.Table:
    first = header_row + 2  # rows above the (last) header row, the header itself, then 1-based
    return table.append_column(ROW_NUMBER_COLUMN, pa.array(range(first, first + table.num_rows), pa.int64()))


def _finished(source: SourceTable, layout: headers.Layout, head: list[list[str | None]]) -> SourceTable:
    """Footers, repeated header rows, page breaks and blank rows dropped (`head`: the rows read to find the
    header); what was skipped recorded with the header's place."""
    table, dropped = headers.trim_table(source.table, source.columns, ROW_NUMBER_COLUMN,
                                        head[: layout.last + 1] if len(head) > layout.last else [], layout.rows)
    own = ", ".join(map(repr, layout.own[:6])) + (", ..." if len(layout.own) > 6 else "")
    two_rows = (f"The header spans rows {layout.first + 1} and {layout.first + 2}: each column's name joins the "
                "label above it with its own" + (f", except where only the lower label is a known column name: {own} "
                "named by that label alone" if layout.own else "") + ".",) if layout.rows == 2 else ()
    return SourceTable(source.file_name, source.sheet, table, layout.notes + two_rows + dropped, layout.titles,
                       layout.first)


def _read_excel(path: Path, sheet: str | None, header_row: int | None) -> SourceTable:
    where = f"{path.name}, sheet {sheet!r}" if sheet else path.name
    problem = _workbook_problem(path)
    if problem:
        raise ReadError(f"{where}: cannot be read as a workbook: {problem}")
    name = sheet
    try:
        reader = fastexcel.read_excel(str(path))
        name = sheet if sheet is not None else reader.sheet_names[0]
        if name not in reader.sheet_names:
            raise ReadError(f"{path.name}: no sheet named {name!r} (sheets: {', '.join(reader.sheet_names)})")
        too_large = workbook_scan.sheet_problem(path, name)  # before calamine builds the sheet's grid
        if too_large:
            raise ReadError(f"{path.name}, sheet {name!r}: cannot be read: {too_large}")
        # Every row as written (skip_rows=0 keeps leading blank rows, so row numbers are the sheet's own).
        grid = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_arrow()
    except ReadError:
        raise
    except BaseException as error:  # a panic in the native reader (pyo3's PanicException) is a BaseException
        _reraise_interrupt(error)
        where = f"{path.name}, sheet {name!r}" if name is not None else where
        raise ReadError(f"{where}: cannot be read as a workbook ({_excel_error(error)})") from error
    grid = grid.cast(pa.schema([pa.field(f.name, pa.string()) for f in grid.schema]))
    head = [list(row.values()) for row in grid.slice(0, headers.HEAD_ROWS).to_pylist()]
    layout = headers.detect_layout(head) if header_row is None else headers.Layout(header_row)
    raw = list(layout.names) if layout.names else (head[layout.first] if layout.first < len(head) else [])
    table = grid.slice(layout.last + 1)
    names = [f"__column_{i}" for i in range(table.num_columns)]  # placeholders until the header is checked
    table = _checked_header(table.rename_columns(names), raw or None, f"{path.name}, sheet {name!r}", layout.last,
                            rename=True)
    return _finished(SourceTable(path.name, name, _with_row_numbers(table, layout.last)), layout, head)


def _reraise_interrupt(error: BaseException) -> None:
    """Raise again what is no failure of the reader (Ctrl+C, exit); a Rust panic (pyo3_runtime.PanicException,
    a BaseException) or any Exception is one."""
    if isinstance(error, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise error


def _excel_error(error: BaseException) -> str:
    text = str(error).strip()
    if type(error).__name__ == "PanicException":
        return f"the reader failed on it: {first_line(error)}; the file may be damaged or crafted"
    if "password" in text.lower() or "encrypt" in text.lower():
        return _PASSWORD
    return text


_CSV_OPTIONS = (
    "all_varchar = true, skip = $skip, null_padding = true, "
    "quote = '\"', escape = '\"', comment = ''"  # never guess ' as a quote or # as a comment
)


def _read_text(path: Path, header_row: int | None) -> SourceTable:
    """Read with DuckDB as UTF-8; a file that is not UTF-8 is transcoded to UTF-8 first: from UTF-16 when it
    starts with a UTF-16 byte-order mark, else byte by byte from Windows-1252 where it is not valid UTF-8."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        head = b""  # a missing file is reported by DuckDB's reader, naming it
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _read_transcoded(path, header_row, "utf-16", "strict")
    problem = _binary_problem(head, path) or import_limits.text_width_problem(path)
    if problem:
        raise ReadError(f"{path.name}: cannot be read as CSV: {problem}")
    try:
        return _text_source(path, path.name, header_row)
    except UnicodeError:
        return _read_transcoded(path, header_row, "utf-8", _FALLBACK)
    except ReadError:
        if not _mixed_line_ends(head):
            raise
        # DuckDB's sniffer takes one line ending per file: a title written with LF above a body with CRLF
        # (a report tool's preamble) is read again with every line ending written as LF
        return _read_transcoded(path, header_row, "utf-8", _FALLBACK, newline=None)


def _mixed_line_ends(head: bytes) -> bool:
    """Whether the text uses more than one of CRLF, LF and CR to end its lines."""
    crlf = head.count(b"\r\n")
    return sum(count > 0 for count in (crlf, head.count(b"\n") - crlf, head.count(b"\r") - crlf)) > 1


def _text_source(path: Path, shown_name: str, header_row: int | None) -> SourceTable:
    """A UTF-8 text file read below its header (found, or `header_row` rows down), footers dropped."""
    head = headers.text_head_rows(path, max(headers.HEAD_ROWS, (header_row or 0) + 2))
    layout = headers.detect_layout(head) if header_row is None else headers.Layout(header_row)
    table, raw_header = _read_csv(path, layout.last, shown_name=shown_name)
    if layout.names is not None and len(layout.names) >= table.num_columns:
        raw_header = list(layout.names)[: table.num_columns]
    table = _checked_header(table, raw_header, shown_name, layout.last, rename=layout.names is not None)
    return _finished(SourceTable(shown_name, None, _with_row_numbers(table, layout.last)), layout, head)


def _read_transcoded(path: Path, header_row: int | None, encoding: str, errors: str,
                     newline: str | None = "") -> SourceTable:
    """Read a copy of the file written as UTF-8 in a temporary folder (deleted after); `newline=None` also
    writes every line ending as LF."""
    with tempfile.TemporaryDirectory(prefix="equity-explorer-transcode-") as folder:
        utf8 = Path(folder) / path.name
        try:
            with path.open("r", encoding=encoding, errors=errors, newline=newline) as source, \
                    utf8.open("w", encoding="utf-8", newline="") as target:
                shutil.copyfileobj(source, target, _BLOCK)
        except UnicodeError as error:
            raise ReadError(f"{path.name}: cannot be read as CSV: the text is not valid {encoding.upper()} "
                            f"({error})") from error
        try:
            return _text_source(utf8, path.name, header_row)
        except UnicodeError as error:  # cannot happen after transcoding; never let it escape as such
            raise ReadError(f"{path.name}: cannot be read as CSV ({first_line(error)})") from error


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not valid UTF-8 are read as Windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end


_FALLBACK = "equity-explorer-cp1252-fallback"
codecs.register_error(_FALLBACK, _cp1252_fallback)


def _read_csv(path: Path, header_row: int, shown_name: str | None = None) -> tuple[pa.Table, list | None]:
    """DuckDB's CSV reader; falls back to the single-threaded scanner (needed for quoted line breaks in
    ragged files). Raises UnicodeError for text that is not UTF-8. Also returns the header row as written
    (None when it looks fine), since DuckDB renames blank and repeated names.

    When a row is longer than the header, DuckDB's sniffer gives up on the delimiter and reads each line as
    one column named after the whole header line: see `_split_single_column`."""
    name = shown_name or path.name
    connection = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    params = {"path": str(path), "skip": header_row}

    def read(header: bool, parallel: str, delimiter: str | None, limit: str = "") -> duckdb.DuckDBPyRelation:
        options, bound = _CSV_OPTIONS, dict(params)
        if delimiter is not None:
            options += ", delim = $delim"
            bound["delim"] = delimiter
            if not header_row:  # DuckDB's sniffer fails on ragged rows given both skip and delim
                options = options.replace("skip = $skip, ", "")
                del bound["skip"]
        return connection.sql(
            f"SELECT * FROM read_csv($path, {options}, header = {str(header).lower()}, parallel = {parallel}) {limit}",
            params=bound,
        )

    try:
        for parallel in ("true", "false"):
            try:
                delimiter = None
                table = read(True, parallel, None).to_arrow_table()
                if table.num_columns == 1:
                    table, delimiter = _split_single_column(path, header_row, name, table, read)
                raw_header = None
                if _header_needs_check(table.column_names, r"column\d+"):
                    first = read(False, "false", delimiter, "LIMIT 1").fetchall()
                    raw_header = list(first[0]) if first else None
                return table, raw_header
            except duckdb.Error as error:
                message = str(error).lower()
                if "invalid unicode" in message or "not utf-8 encoded" in message:
                    raise UnicodeError(str(error)) from error
                if parallel == "false":
                    raise ReadError(f"{name}: cannot be read as CSV ({first_line(error)})") from error
        raise AssertionError("unreachable")
    finally:
        connection.close()


def _split_single_column(path: Path, header_row: int, name: str, table: pa.Table,
                         read: Callable[..., duckdb.DuckDBPyRelation]) -> tuple[pa.Table, str | None]:
    """A table read as one column whose name holds delimiters: find the row longer than the header (refused,
    naming the row), else read again with the header's delimiter (trailing empty cells are then dropped)."""
    line = table.column_names[0]
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.__getitem__)
    if not counts[delimiter]:
        return table, None
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        for _ in range(header_row):
            next(rows, None)
        header = next(rows, [])
        header_line = rows.line_num
        for row in rows:
            while row and not row[-1].strip():
                row.pop()
            if len(row) > len(header):
                raise ReadError(
                    f"{name}: row {rows.line_num} has {len(row)} cells but the header (row {header_line}) names "
                    f"only {len(header)} columns, so the extra cells have no column; fix that row (often a "
                    f"{'comma' if delimiter == ',' else 'delimiter'} inside a value that is not in quotes) or "
                    "name the extra column, then load the file again"
                )
    try:
        retried = read(True, "false", delimiter).to_arrow_table()
    except duckdb.Error:
        return table, None
    return (retried, delimiter) if retried.num_columns > 1 else (table, None)


# ---- header row ------------------------------------------------------------------------------------------
def _header_needs_check(names: list[str], placeholder: str) -> bool:
    """True when the reader may have renamed a blank or repeated header (or two names differ only in
    capitals, which SQL cannot tell apart)."""
    folded = [n.casefold() for n in names]
    return len(set(folded)) < len(folded) or any(re.fullmatch(placeholder, n) or re.search(r"_\d+$", n)
                                                 for n in names)


def _checked_header(table: pa.Table, raw: list | None, label: str, header_row: int,
                    rename: bool = False) -> pa.Table:
    """Refuse repeated column names (naming them) and blank names over data (naming the position); drop
    columns with neither a name nor any data (trailing delimiters, formatted empty cells). `rename`: the
    columns kept take their names from `raw` (the header as written)."""
    names = table.column_names
    if raw is None or len(raw) != len(names):
        raw = names
    raw = [None if v is None or not str(v).strip() else str(v) for v in raw]
    row = f"row {header_row + 1}"
    keep = []
    seen: dict[str, int] = {}
    for index, written in enumerate(raw):  # left to right, so the first problem in the row is named
        if written is None:
            values = table.column(index)
            if values.null_count < len(values) and any(v is not None and v.strip() for v in values.to_pylist()):
                raise ReadError(
                    f"{label}: column {index + 1} ({column_letter(index)}) has data but no name in the header "
                    f"({row}); type a name for it, or set the number of rows above the header if the header is "
                    "lower down, then load the file again"
                )
            continue
        key = written.casefold()
        if key in seen:
            first = seen[key]
            spelled = repr(written) if raw[first] == written else f"{raw[first]!r} and {written!r} (capitals do not count)"
            raise ReadError(
                f"{label}: columns {first + 1} ({column_letter(first)}) and {index + 1} ({column_letter(index)}) "
                f"are both named {spelled} in the header ({row}); give each column its own name and load the "
                "file again"
            )
        seen[key] = index
        keep.append(index)
    if rename:
        return table.select(keep).rename_columns([str(raw[i]) for i in keep])
    if len(keep) == len(names):
        return table
    return table.select(keep)


def column_letter(index: int) -> str:
    """Excel's letter for a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# ---- guards ----------------------------------------------------------------------------------------------
_PASSWORD = ("the workbook is password-protected (encrypted). Open it in Excel, remove the password (File > Info "
             "> Protect Workbook > Encrypt with Password, then clear it), save it and load it again")
_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        return  # a missing file is reported by the reader itself
    if size > MAX_FILE_BYTES:
        raise ReadError(
            f"{path.name}: the file is {human_size(size)}, over the limit of {human_size(MAX_FILE_BYTES)} for one file; "
            "split it (for example one school year per file) or export only the columns you need"
        )


def _binary_problem(head: bytes, path: Path) -> str | None:
    """Why the start of a file that should be text is not text, or None."""
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(path)
        suffix = next((x for x in (".xlsx", ".ods") if x in kind), None)
        advice = f"rename it to end in {suffix} and load it again" if suffix else "unpack it first"
        return f"this file is {kind}, not text; {advice}"
    if head.startswith(_OLE2):
        return ("this file is an Office document (an Excel 97-2003 .xls workbook, or a password-protected "
                "workbook), not text; if it is an .xls workbook, rename it to end in .xls")
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return f"this file is {what}, not text"
    if b"\x00" in head:
        return "the file holds binary data, not text (is it the right file? save it from its program as CSV)"
    return None


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "a damaged zip archive"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "an Excel workbook (.xlsx)"
    if "content.xml" in names and "mimetype" in names:
        return "an OpenDocument spreadsheet (.ods)"
    return "a zip archive"


_CHECKED: dict[tuple[str, int, int], str | None] = {}
_CHECKED_LOCK = threading.Lock()


def _workbook_problem(path: Path) -> str | None:
    """Why a workbook must not be handed to fastexcel, or None (cached per file version)."""
    try:
        stat = path.stat()
    except OSError:
        return None  # fastexcel names the missing file
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _CHECKED_LOCK:
        if key in _CHECKED:
            return _CHECKED[key]
    problem = _inspect_workbook(path)
    with _CHECKED_LOCK:
        if len(_CHECKED) > 64:
            _CHECKED.clear()
        _CHECKED[key] = problem
    return problem


def _text_named_xls(path: Path) -> str | None:
    """'text' or 'html' when an .xls file is no workbook but text (UTF-16 or UTF-8 tab-separated, an HTML
    table), as student-information systems write their "Excel" exports; None otherwise."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 12)
    except OSError:
        return None
    if not head or head.startswith(_OLE2):
        return None
    text = head.decode("utf-16", errors="ignore") if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
        else head.decode("utf-8", errors="ignore")
    if text.lstrip("\ufeff \t\r\n").lower().startswith(("<html", "<!doctype html", "<table", "<?xml")):
        return "html"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _binary_problem(head, path) is None:
        return "text"
    return None


def _inspect_workbook(path: Path) -> str | None:
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        return "the file is empty (0 bytes)"
    if head.startswith(_OLE2):
        if _holds_encrypted_package(path):
            return _PASSWORD
        if path.suffix.lower() == ".xls":
            return workbook_scan.workbook_problem(path)  # every sheet's size, before calamine parses them all
        return (f"this is an Excel 97-2003 workbook (or another Office document), not {path.suffix.lower()}; "
                "rename it to end in .xls, or open it in Excel and save it as .xlsx")
    if path.suffix.lower() not in ZIP_SUFFIXES:
        if _text_named_xls(path) == "html":
            return ("this is a web page (HTML) named .xls, as some systems export \"Excel\"; open it in Excel and "
                    "save it as .xlsx or CSV, or export it as CSV")
        return None  # .xls: fastexcel reads and checks it
    if not head.startswith(b"PK"):
        with path.open("rb") as handle:
            start = handle.read(1 << 16)
        what = _binary_problem(start, path)
        if what is None:
            return ("the file is text, not an Excel workbook (an .xlsx file is a zip archive); if it is a CSV "
                    "file, rename it to end in .csv and load it again")
        return f"it is not an Excel workbook ({what.split(', not text')[0].replace('this file is ', 'it is ')})"
    return _zip_problem(path) or workbook_scan.workbook_problem(path)


def _holds_encrypted_package(path: Path) -> bool:
    """An encrypted Office file is an OLE2 compound file with an 'EncryptedPackage' (or, for .xls, an RC4
    'EncryptionInfo') stream; their names are stored in UTF-16 in the directory."""
    markers = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
    overlap = max(len(m) for m in markers)
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            window = tail + block
            if any(m in window for m in markers):
                return True
            tail = window[-overlap:]
    return False


def _zip_problem(path: Path) -> str | None:
    """Check a zip workbook before fastexcel unpacks it: declared sizes and ratios first (instant), then every
    part is unpacked in 1 MiB blocks, stopping at its declared size, to check that it is what the
    directory says (a bomb that lies about its sizes fails its checksum here), in bounded memory."""
    damaged = "the file is damaged or incomplete (not a complete zip archive); save it again from Excel"
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_WORKBOOK_UNPACKED_BYTES:
                return (f"it would unpack to {human_size(total)}, over the limit of {human_size(MAX_WORKBOOK_UNPACKED_BYTES)}"
                        " for a workbook; it may be a 'zip bomb'. Save the data again from its program (as CSV "
                        "for very large tables)")
            for info in infos:
                stored = max(info.compress_size, 1)
                if info.file_size > RATIO_CHECK_BYTES and info.file_size / stored > MAX_COMPRESSION_RATIO:
                    return (f"its part {info.filename} would unpack to {human_size(info.file_size)}, "
                            f"{info.file_size / stored:,.0f} times its stored size (real sheets stay under "
                            f"{MAX_COMPRESSION_RATIO}); it looks like a 'zip bomb' and was not opened")
            for info in infos:
                if info.flag_bits & 0x1:
                    return _PASSWORD
                with archive.open(info) as part:
                    while part.read(_BLOCK):
                        pass
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        return f"{damaged} ({error})"
    except NotImplementedError as error:  # a compression method Python cannot unpack: let fastexcel try
        del error
        return None
    except (OSError, ValueError, RuntimeError) as error:
        return f"{damaged} ({error})"
    return None


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_file_name(name: str) -> str:
    """An uploaded file's name made safe to write: no folders, no odd characters, never empty."""
    base = _UNSAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip(" .")
    stem, suffix = Path(base).stem, Path(base).suffix
    if len(suffix) > 10:
        stem, suffix = base, ""
    return (stem[: 120 - len(suffix)] + suffix) if stem else "upload"


def save_upload(name: str, data: bytes, folder: str | Path) -> Path:
    """Write uploaded bytes into `folder` (a private temporary folder) under a safe name."""
    path = Path(folder) / safe_file_name(name)
    path.write_bytes(data)
    return path


def preview(source: SourceTable, rows: int = 3) -> dict[str, str]:
    """A few distinct non-empty sample values per column, joined, for showing a mapping."""
    out = {}
    for column in source.columns:
        values = [v for v in source.table.column(column).slice(0, 200).to_pylist() if v not in (None, "")]
        out[column] = ", ".join(list(dict.fromkeys(values))[:rows])
    return out
