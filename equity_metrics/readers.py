"""Readers: turn a CSV/text file or one sheet of a workbook into an Arrow table of text columns.

Every cell is read as text, so IDs, school codes and grades keep their leading zeros; types are decided
later by the mapping. CSV goes through DuckDB's reader, Excel and ODS through fastexcel (calamine).
A file that cannot be read raises `ReadError` with a message naming the file (and sheet).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import fastexcel
import pyarrow as pa

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
ROW_NUMBER_COLUMN = "__source_row"  # 1-based row number in the file, header row counted


class ReadError(ValueError):
    """A file or sheet that cannot be read; the message names it and says why."""


@dataclass(frozen=True)
class SourceTable:
    """One table read from a file: every column as text, plus its file row numbers."""

    file_name: str
    sheet: str | None
    table: pa.Table  # text columns + ROW_NUMBER_COLUMN

    @property
    def label(self) -> str:
        return f"{self.file_name}, sheet {self.sheet!r}" if self.sheet else self.file_name

    @property
    def columns(self) -> list[str]:
        return [c for c in self.table.column_names if c != ROW_NUMBER_COLUMN]


def list_sheets(path: str | Path) -> list[str]:
    """Sheet names of a workbook, or [] for a text file."""
    path = Path(path)
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        return []
    try:
        return list(fastexcel.read_excel(str(path)).sheet_names)
    except Exception as error:  # fastexcel raises its own hierarchy; every failure is a read failure
        raise ReadError(f"{path.name}: not a readable workbook ({error})") from error


def read_source(path: str | Path, sheet: str | None = None, header_row: int = 0) -> SourceTable:
    """Read one CSV file or one sheet (the first if none is named) as text columns."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet, header_row)
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, header_row)
    raise ReadError(
        f"{path.name}: unsupported file type {suffix or '(none)'}; "
        f"use CSV/text ({', '.join(TEXT_SUFFIXES)}) or a workbook ({', '.join(EXCEL_SUFFIXES)})"
    )


def _with_row_numbers(table: pa.Table, header_row: int) -> pa.Table:
    first = header_row + 2  # rows above the header, the header itself, then 1-based
    return table.append_column(ROW_NUMBER_COLUMN, pa.array(range(first, first + table.num_rows), pa.int64()))


def _read_excel(path: Path, sheet: str | None, header_row: int) -> SourceTable:
    try:
        reader = fastexcel.read_excel(str(path))
        name = sheet if sheet is not None else reader.sheet_names[0]
        if name not in reader.sheet_names:
            raise ReadError(f"{path.name}: no sheet named {name!r} (sheets: {', '.join(reader.sheet_names)})")
        table = reader.load_sheet(name, header_row=header_row, dtypes="string").to_arrow()
    except ReadError:
        raise
    except Exception as error:
        where = f"{path.name}, sheet {sheet!r}" if sheet else path.name
        raise ReadError(f"{where}: cannot be read as a workbook ({error})") from error
    table = table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema]))
    return SourceTable(path.name, name, _with_row_numbers(table, header_row))


_CSV_OPTIONS = (
    "all_varchar = true, header = true, skip = $skip, null_padding = true, "
    "quote = '\"', escape = '\"', comment = ''"  # never guess ' as a quote or # as a comment
)


def _read_text(path: Path, header_row: int) -> SourceTable:
    """Read with DuckDB as UTF-8; a file that is not UTF-8 is read as Windows-1252 (transcoded first)."""
    try:
        table = _read_csv(path, header_row)
    except UnicodeError:
        with tempfile.TemporaryDirectory(prefix="equity-explorer-transcode-") as folder:
            utf8 = Path(folder) / path.name
            with path.open("r", encoding="cp1252", errors="replace", newline="") as source, \
                    utf8.open("w", encoding="utf-8", newline="") as target:
                shutil.copyfileobj(source, target, 1 << 20)
            table = _read_csv(utf8, header_row, shown_name=path.name)
    return SourceTable(path.name, None, _with_row_numbers(table, header_row))


def _read_csv(path: Path, header_row: int, shown_name: str | None = None) -> pa.Table:
    """DuckDB's CSV reader; falls back to the single-threaded scanner (needed for quoted line breaks in
    ragged files). Raises UnicodeError for text that is not UTF-8."""
    name = shown_name or path.name
    connection = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        for parallel in ("true", "false"):
            try:
                return connection.sql(
                    f"SELECT * FROM read_csv($path, {_CSV_OPTIONS}, parallel = {parallel})",
                    params={"path": str(path), "skip": header_row},
                ).to_arrow_table()
            except duckdb.Error as error:
                message = str(error).lower()
                if "unicode" in message or "utf-8" in message or "utf8" in message:
                    raise UnicodeError(str(error)) from error
                if parallel == "false":
                    raise ReadError(f"{name}: cannot be read as CSV ({_first_line(error)})") from error
        raise AssertionError("unreachable")
    finally:
        connection.close()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


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
