"""Pre-scan of the binary workbooks, .xls (Excel 97-2003) and .xlsb (Excel binary), before the native reader
(fastexcel/calamine) sees them.

calamine builds one dense grid per sheet from its first to its last cell holding a value, and for .xls also
reserves room for the size the sheet declares (its DIMENSIONS record), parsing every sheet when the workbook is
opened. A crafted 5 KB file can therefore ask for hundreds of gigabytes, and the process aborts when that
allocation fails (Rust cannot catch it): an .xls whose DIMENSIONS record declares 4 billion rows, or a cell in
column 65,536 (the format stops at 256; calamine does not check), or an .xlsb cell in column XFD of row
1,048,576. This module reads only the records' headers and the row and column of each cell record (never a
value), and returns a `workbook_scan.WorkbookScan` judged there like an .xlsx sheet.

- .xls: the "Workbook" stream is found in the compound (OLE2) file through its sector tables, read, and its
  BIFF records walked: BOUNDSHEET names each sheet, DIMENSIONS gives the declared size, cell records (number,
  text, formula, RK, MULRK, ...) their positions. Blank cells are left out, as the reader leaves them out.
- .xlsb: each sheet part (a zip member) is streamed in 1 MiB blocks; row headers (BrtRowHdr) give the row,
  cell records their column; shared-string cells are counted to bound the shared strings, as for .xlsx.

A sheet is counted only until it holds more cells than MAX_SHEET_CELLS (then it is refused anyway), so a file
of a billion tiny records costs seconds, not minutes.
"""

from __future__ import annotations

import html
import mmap
import posixpath
import re
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

from equity_metrics.ingest.scan_types import MAX_SHEET_CELLS, SheetScan, WorkbookScan, column_letters

_BLOCK = 1 << 20
# ---- .xls: the compound file ------------------------------------------------------------------------------
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LAST_SECTOR = 0xFFFFFFFA  # numbers from here up mark the end of a chain or a special sector
_BIFF_BOF = (0x0809, 0x0409, 0x0209, 0x0009)
_BIFF_EOF, _BOUNDSHEET, _DIMENSIONS, _MULRK = 0x000A, 0x0085, 0x0200, 0x00BD
# Cell records the reader keeps: FORMULA, NUMBER, LABEL, BOOLERR, RK, LABELSST, RSTRING (and MULRK).
_XLS_CELLS = frozenset((0x0006, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6))


class _Damaged(Exception):
    """The compound file's tables do not hold together; the reader names the file as damaged."""


def _compound_stream(data: mmap.mmap, names: tuple[str, ...]) -> bytes | None:
    """The bytes of the first stream of the compound file called one of `names` (any case), or None."""
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    if shift not in (9, 12) or mini_shift != 6:
        raise _Damaged("sector size")
    size = 1 << shift
    sectors = (len(data) - 1) // size  # a last sector cut short still counts
    fat_count, first_dir, _, cutoff, first_mini_fat, _, first_difat, difat_count = struct.unpack_from(
        "<IIIIIIII", data, 44)

    def sector(number: int) -> bytes:
        if number >= sectors:
            raise _Damaged("sector out of range")
        return data[(number + 1) * size:(number + 2) * size]

    fat_sectors = [n for n in struct.unpack_from("<109I", data, 76) if n < _LAST_SECTOR]
    difat, seen = first_difat, 0
    while difat < _LAST_SECTOR and seen <= min(difat_count, sectors):
        entries = struct.unpack(f"<{size // 4}I", sector(difat))
        fat_sectors += [n for n in entries[:-1] if n < _LAST_SECTOR]
        difat, seen = entries[-1], seen + 1
    fat = b"".join(sector(n) for n in fat_sectors[:min(max(fat_count, 1), sectors)])
    table = struct.unpack(f"<{len(fat) // 4}I", fat)

    def chain(start: int, table: tuple[int, ...] = table, most: int = sectors) -> list[int]:
        """The sectors of one stream, in order; never more than the file holds (a loop is damage)."""
        found: list[int] = []
        while start < _LAST_SECTOR:
            if start >= len(table) or len(found) >= most:
                raise _Damaged("broken chain")
            found.append(start)
            start = table[start]
        return found

    directory = b"".join(sector(n) for n in chain(first_dir))
    entries = [directory[i:i + 128] for i in range(0, len(directory) - 127, 128)]
    root = next((e for e in entries if e[66] == 5), None)
    wanted = {n.lower() for n in names}
    for entry in entries:
        length = min(struct.unpack_from("<H", entry, 64)[0], 64)
        name = entry[:max(length - 2, 0)].decode("utf-16-le", "replace").lower()
        if entry[66] != 2 or name not in wanted:
            continue
        start, stream_size = struct.unpack_from("<IQ", entry, 116)
        stream_size &= 0xFFFFFFFF if size == 512 else (1 << 64) - 1
        if stream_size >= cutoff or root is None:
            return b"".join(sector(n) for n in chain(start))[:stream_size]
        mini_stream = b"".join(sector(n) for n in chain(struct.unpack_from("<I", root, 116)[0]))
        mini_fat = b"".join(sector(n) for n in chain(first_mini_fat))
        mini_table = struct.unpack(f"<{len(mini_fat) // 4}I", mini_fat)
        pieces = [mini_stream[n * 64:(n + 1) * 64] for n in chain(start, mini_table, len(mini_stream) // 64)]
        return b"".join(pieces)[:stream_size]
    return None


def _sheet_name(record: bytes, biff8: bool) -> str:
    """The name in a BOUNDSHEET record's body (after its 6 bytes of position and state)."""
    count = record[6] if len(record) > 6 else 0
    if not biff8:
        return record[7:7 + count].decode("cp1252", "replace")
    wide = len(record) > 7 and record[7] & 1
    raw = record[8:8 + count * (2 if wide else 1)]
    return raw.decode("utf-16-le" if wide else "latin-1", "replace")


class _Grid:
    """Extent of one sheet's cells (0-based positions as stored; SheetScan wants them 1-based)."""

    def __init__(self, name: str) -> None:
        self.name, self.cells, self.text_cells = name, 0, 0
        self.rows: list[int] = []
        self.columns: list[int] = []
        self.declared: str | None = None
        self.reserved = 0
        self.row = 0  # .xlsb: the row of the cells that follow (row headers may end one block, cells start the next)

    def add(self, row: int, first_column: int, last_column: int | None = None) -> None:
        last = first_column if last_column is None else last_column
        self.extend(row, row, first_column, last, max(last - first_column + 1, 1))

    def extend(self, first_row: int, last_row: int, first_column: int, last_column: int, cells: int) -> None:
        self.cells += cells
        if not self.rows:
            self.rows, self.columns = [first_row, last_row], [first_column, last_column]
            return
        self.rows = [min(self.rows[0], first_row), max(self.rows[1], last_row)]
        self.columns = [min(self.columns[0], first_column), max(self.columns[1], last_column)]

    def scan(self, part: str) -> SheetScan:
        if not self.rows:
            return SheetScan(self.name, part, self.declared, 0, 0, reserved_cells=self.reserved)
        return SheetScan(self.name, part, self.declared, self.cells, self.text_cells, self.rows[0] + 1,
                         self.rows[1] + 1, self.columns[0] + 1, self.columns[1] + 1, reserved_cells=self.reserved)


def _biff_records(stream: bytes, position: int) -> Iterator[tuple[int, int, int]]:
    """(type, body start, body length) of the records of one substream, from its BOF to its EOF (an embedded
    chart's own BOF...EOF inside it is passed over as a whole)."""
    depth, end = 0, len(stream)
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        body = position + 4
        if kind in _BIFF_BOF:
            depth += 1
        elif kind == _BIFF_EOF:
            depth -= 1
            if depth <= 0:
                return
        elif depth == 1:
            yield kind, body, length
        position = body + length


def _biff_sheets(stream: bytes) -> list[_Grid]:
    """Each worksheet's declared size and its cells' extent: the globals name every sheet and where it starts
    (BOUNDSHEET), and each sheet is read from there, as the reader does."""
    if len(stream) < 8 or struct.unpack_from("<H", stream)[0] not in _BIFF_BOF:
        return []
    biff8 = struct.unpack_from("<H", stream, 4)[0] >= 0x0600
    sheets: list[tuple[int, str]] = []
    for kind, body, length in _biff_records(stream, 0):
        if kind == _BOUNDSHEET and length >= 7:
            record = stream[body:body + length]
            if record[5] == 0:  # a worksheet (not a chart or macro sheet)
                sheets.append((struct.unpack_from("<I", record)[0], _sheet_name(record, biff8)))
    grids = []
    for offset, name in sheets:
        grid = _Grid(name)
        for kind, body, length in _biff_records(stream, offset):
            _biff_cell(grid, kind, stream, body, length)
            if grid.cells > MAX_SHEET_CELLS:  # more cells than any grid allowed: no need to count on
                break
        grids.append(grid)
    return grids


def _biff_cell(grid: _Grid, kind: int, stream: bytes, body: int, length: int) -> None:
    if kind in _XLS_CELLS and length >= 4:
        row, column = struct.unpack_from("<HH", stream, body)
        grid.add(row, column)
        grid.text_cells += kind == 0x00FD
    elif kind == _MULRK and length >= 6:
        row, first = struct.unpack_from("<HH", stream, body)
        grid.add(row, first, struct.unpack_from("<H", stream, body + length - 2)[0])
    elif kind == _DIMENSIONS and length >= 10:
        if length >= 14:  # BIFF8: rows as 4 bytes (one past the last), columns as 2
            first_row, rows, first_column, columns = struct.unpack_from("<IIHH", stream, body)
        else:
            first_row, rows, first_column, columns = struct.unpack_from("<HHHH", stream, body)
        grid.reserved = rows * columns  # the reader reserves the declared size from A1
        if rows and columns:
            grid.declared = (f"{column_letters(first_column + 1)}{first_row + 1}:"
                             f"{column_letters(columns)}{rows}")


def scan_xls(path: Path) -> WorkbookScan | None:
    """Every worksheet of an .xls workbook, or None when it is no readable compound file with a workbook
    stream (the reader reports that itself)."""
    try:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:8] != _OLE2 or len(data) < 1024:
                return None
            stream = _compound_stream(data, ("Workbook", "Book"))
    except (OSError, ValueError, struct.error, _Damaged):
        return None
    if stream is None:
        return None
    return WorkbookScan(tuple(g.scan("Workbook") for g in _biff_sheets(stream)), None, 0)


# ---- .xlsb: binary records in a zip -----------------------------------------------------------------------
_RELATIONSHIP_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')
_ROW_HEADER, _END_SHEET_DATA, _SHARED_STRING_CELL, _BUNDLE_SHEET = 0x0000, 0x0092, 0x0007, 0x009C
_SHEET_DIMENSION = 0x0094
_XLSB_CELLS = frozenset(range(0x0002, 0x000B))  # RK, error, bool, real, string, shared string, formulas
_XLSB_MAX_ROW = 0x100000  # the reader stops a sheet at a row number past this


def _varint(data: bytes, position: int, most: int) -> tuple[int, int]:
    value = shift = 0
    for index in range(most):
        if position + index >= len(data):
            raise IndexError("cut")
        byte = data[position + index]
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position + index + 1
    return value, position + most


def _records(data: bytes, start: int = 0) -> tuple[list[tuple[int, int, int]], int]:
    """(type, body start, body length) of each whole record of `data` from `start`; where the first cut one
    begins. A type and a length under 128 take one byte each (nearly every record): read inline."""
    found = []
    position, end = start, len(data)
    while position + 2 <= end:
        kind, length = data[position], data[position + 1]
        body = position + 2
        if kind & 0x80 or length & 0x80:
            try:
                kind, body = _varint(data, position, 2)
                length, body = _varint(data, body, 4)
            except IndexError:
                break
        if body + length > end:
            break
        found.append((kind, body, length))
        position = body + length
    return found, position


def _xlsb_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part) in workbook order, from xl/workbook.bin and its relationships."""
    names = set(archive.namelist())
    rels = archive.read("xl/_rels/workbook.bin.rels") if "xl/_rels/workbook.bin.rels" in names else b""
    targets = {}
    for tag in _RELATIONSHIP_TAG.findall(rels):
        attributes = {k.decode().split(":")[-1]: html.unescape(v.decode("utf-8", "replace"))
                      for k, v in _ATTRIBUTE.findall(tag)}
        target = attributes.get("Target", "")
        targets[attributes.get("Id", "")] = (target.lstrip("/") if target.startswith("/")
                                             else posixpath.normpath(posixpath.join("xl", target)))
    workbook = archive.read("xl/workbook.bin")
    sheets = []
    for kind, body, length in _records(workbook)[0]:
        if kind != _BUNDLE_SHEET or length < 12:
            continue
        record = workbook[body:body + length]
        count = struct.unpack_from("<I", record, 8)[0]
        relation = "" if count == 0xFFFFFFFF else record[12:12 + 2 * count].decode("utf-16-le", "replace")
        rest = 12 + (0 if count == 0xFFFFFFFF else 2 * count)
        name_count = struct.unpack_from("<I", record, rest)[0] if len(record) >= rest + 4 else 0
        name = record[rest + 4:rest + 4 + 2 * name_count].decode("utf-16-le", "replace")
        if targets.get(relation) in names:
            sheets.append((name, targets[relation]))
    return sheets


def _xlsb_sheet(archive: zipfile.ZipFile, name: str, part: str) -> SheetScan:
    grid, carry, skip = _Grid(name), b"", 0
    with archive.open(part) as stream:
        while block := stream.read(_BLOCK):
            if skip:  # the rest of a record too long to keep (no cell is): dropped as it streams by
                block, skip = block[skip:], max(skip - len(block), 0)
            data = carry + block
            records, cut = _records(data)
            carry = data[cut:]
            if _xlsb_block(grid, data, records) or grid.cells > MAX_SHEET_CELLS:
                return grid.scan(part)
            if len(carry) > 4 * _BLOCK:
                skip, carry = _long_record(grid, carry), b""
    return grid.scan(part)


def _xlsb_block(grid: _Grid, data: bytes, records: list[tuple[int, int, int]]) -> bool:
    """Add one block's cells to `grid` (the extent once per block); True at the end of the sheet's data."""
    rows: list[int] = []
    columns: list[int] = []
    row, last, text, done = grid.row, -1, 0, False
    for kind, body, length in records:
        if kind in _XLSB_CELLS and length >= 4:
            columns.append(struct.unpack_from("<I", data, body)[0])
            if row != last:
                rows.append(row)
                last = row
            text += kind == _SHARED_STRING_CELL
        elif kind == _ROW_HEADER and length >= 4:
            row = struct.unpack_from("<I", data, body)[0]
            if row > _XLSB_MAX_ROW:  # the reader stops the sheet here
                done = True
                break
        elif kind == _END_SHEET_DATA:
            done = True
            break
        elif kind == _SHEET_DIMENSION and length >= 16:  # BrtWsDim: reported, not sized by (the reader does not)
            first_row, last_row, first_column, last_column = struct.unpack_from("<IIII", data, body)
            grid.declared = (f"{column_letters(first_column + 1)}{first_row + 1}:"
                             f"{column_letters(last_column + 1)}{last_row + 1}")
    grid.row = row
    if columns:
        grid.extend(min(rows), max(rows), min(columns), max(columns), len(columns))
        grid.text_cells += text
    return done


def _long_record(grid: _Grid, carry: bytes) -> int:
    """A record over 4 MiB long (`carry` holds its start): its row or cell position taken like any other's,
    the rest dropped as it streams by; how many of its bytes are still to come."""
    kind, body = _varint(carry, 0, 2)
    length, body = _varint(carry, body, 4)
    if kind == _ROW_HEADER:
        grid.row = struct.unpack_from("<I", carry, body)[0]
    elif kind in _XLSB_CELLS:
        grid.add(grid.row, struct.unpack_from("<I", carry, body)[0])
    return max(body + length - len(carry), 0)


def scan_xlsb(path: Path) -> WorkbookScan | None:
    """Every sheet of an .xlsb workbook and the size of its shared strings, or None when it is not one."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = tuple(_xlsb_sheet(archive, name, part) for name, part in _xlsb_parts(archive))
            shared = "xl/sharedStrings.bin" if "xl/sharedStrings.bin" in archive.namelist() else None
            size = archive.getinfo(shared).file_size if shared else 0
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, RuntimeError, struct.error):
        return None
    return WorkbookScan(sheets, shared, size)
