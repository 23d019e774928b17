"""Pre-scan of an .xlsx/.xlsm workbook before the native reader (fastexcel/calamine) sees it.

calamine builds one dense grid per sheet spanning the first to the last cell that holds anything, and loads
the whole shared-strings part when the workbook is opened. A 5 KB file with one cell at XFD1048576 asks for
a grid of 17 billion cells (the process aborts: Rust cannot catch a failed allocation), and a shared-strings
part can unpack to gigabytes that no sheet uses. This module reads the sheet parts as streams (1 MiB blocks,
bounded memory, never the whole part), finds each sheet's declared dimension and its real used range, counts
its cells and text cells, and says, in plain words, what must not be handed to the reader:

- `workbook_problem`: the shared strings are larger than the sheets' text cells can need (checked before the
  workbook is opened at all, since opening it loads them);
- `sheet_problem`: the grid spanning the sheet's used cells is larger than MAX_SHEET_CELLS, or its cells point
  at more shared-string text in all than they can need: the reader copies a shared string into every cell that
  uses it, so one 8 MiB string used by 300 cells (a 12 KB file) is 2.4 GB. The length of every shared string is
  kept (4 bytes each, a sixth of what the reader itself keeps per string) and the sheet streamed again to add up
  the lengths its cells point at, only when its cells times the longest string could pass the floor.

A declared dimension (`<dimension ref=...>`) larger than the cells really used is harmless (calamine sizes the
grid by the cells) and is only reported alongside a real problem. The other formats are scanned by
`ods_scan` (.ods: repeated rows and columns) and `binary_scan` (.xls, whose declared DIMENSIONS the reader does
reserve, and .xlsb) into the same `WorkbookScan`, judged here; .xls and .ods workbooks are parsed whole when
they are opened, so `workbook_problem` checks every one of their sheets.
"""

from __future__ import annotations

import html
import posixpath
import re
import threading
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from equity_metrics.ingest import binary_scan, ods_scan
from equity_metrics.ingest.scan_types import (
    EXCEL_MAX_COLUMNS,
    EXCEL_MAX_ROWS,
    MAX_SHEET_CELLS,
    MAX_TAG_BYTES,
    SHARED_STRINGS_BYTES_PER_TEXT_CELL,
    SHARED_STRINGS_FLOOR_BYTES,
    OversizedTag,
    SheetScan,
    WorkbookScan,
    column_letters,
    column_number,
    human_size,
)

# Largest grid (rows x columns between the first and last used cell) handed to the reader. calamine keeps
# ~40 bytes per grid cell, so this is ~1 GiB: room for 1,048,576 rows (Excel's most) of 20 columns, and far
# below the 17 billion cells of a sheet with one cell at XFD1048576 (or the 65 million, 2.5 GiB, of one at
# XFD4000).
# Shared strings (the text of every text cell, stored once) may unpack to SHARED_STRINGS_FLOOR_BYTES plus
# SHARED_STRINGS_BYTES_PER_TEXT_CELL for each text cell of the workbook's sheets, and never more than
# MAX_SHARED_STRINGS_BYTES. District exports hold names and codes (tens of bytes each); a "bomb" holds
# gigabytes of strings for a few cells.
# Longest single tag kept whole while streaming a part (attributes included); writers stay under a few KB.
_BLOCK = 1 << 20

_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_RELATIONSHIP_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([^"]*)"')
# A cell the reader keeps: one holding a value (<v> with text, or an inline string), perhaps after a formula.
# Cells with a style and no value (<c r="XFD1048576" s="1"/>) are skipped by the reader, and so here.
_VALUED_CELL = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?)>\s*(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*)?"
    rb"<(?:\w+:)?(?:v\b[^>]*>[^<]|is\b)"
)
# XML allows either quote and spaces around "=": a reference written r = 'XFD1048576' is read like any other.
_REFERENCE = re.compile(rb"\sr\s*=\s*[\"']\$?([A-Za-z]+)\$?(\d+)")
_USUAL_CELL = re.compile(rb'<c r="([A-Za-z]+)(\d+)"')  # as every writer puts it
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr\s*=\s*[\"'](\d+)")
_TEXT_TYPE = re.compile(rb"\st\s*=\s*[\"']s[\"']")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
_VALUE_START = re.compile(rb"<(?:\w+:)?(?:v\b[^>]*>[^<]|is\b)")
# The index a shared-string cell (t="s", written any way XML allows, perhaps after a formula) points at.
_SHARED_INDEX = re.compile(
    rb"<(?:\w+:)?c\b[^>]*?\st\s*=\s*[\"']s[\"'][^>]*>\s*(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*)?"
    rb"<(?:\w+:)?v\b[^>]*>\s*0*(\d{1,12})\s*<"
)
_LONG_TEXT = re.compile(rb">([^<]{64})[^<]{4096,}([^<]{64})<")  # a long text run, shortened to its two ends
_STRING_END = re.compile(rb"</(?:\w+:)?si\s*>|<(?:\w+:)?si\b[^>]*/>")  # the end of one shared string
_BETWEEN_TAGS = re.compile(rb">\s+<")
_ANY_TAG = re.compile(rb"<[^>]*>")


# ---- finding the parts ------------------------------------------------------------------------------------
def _attributes(tag: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1]: html.unescape(v.decode("utf-8", "replace"))
            for k, v in _ATTRIBUTE.findall(tag)}


def _parts(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], str | None]:
    """(sheet name, part name) in workbook order, and the shared-strings part, from xl/workbook.xml and its
    relationships (both small)."""
    names = set(archive.namelist())
    workbook = archive.read("xl/workbook.xml")
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = archive.read(rels_name) if rels_name in names else b""
    targets, shared = {}, None
    for tag in _RELATIONSHIP_TAG.findall(rels):
        attributes = _attributes(tag)
        target = attributes.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[attributes.get("Id", "")] = part
        if attributes.get("Type", "").endswith("/sharedStrings"):
            shared = part
    if shared is None and "xl/sharedStrings.xml" in names:
        shared = "xl/sharedStrings.xml"
    sheets = []
    for tag in _SHEET_TAG.findall(workbook):
        attributes = _attributes(tag)
        part = targets.get(attributes.get("id", ""))
        if part in names and "name" in attributes:
            sheets.append((attributes["name"], part))
    return sheets, shared


# ---- streaming one sheet ---------------------------------------------------------------------------------
@dataclass
class _Tally:
    """What a sheet's blocks hold. The fast pass (every sheet) bounds the grid by every cell reference; the
    precise pass (only when that bound is over the limit) counts only cells with a value, as the reader does."""

    precise: bool = False
    cells: int = 0
    text_cells: int = 0
    first_row: int = 0
    last_row: int = 0
    first_column: int = 0
    last_column: int = 0
    declared: str | None = None

    def add(self, chunk: bytes) -> None:
        """Count the complete tags of `chunk` with regular expressions over the block (no loop per cell)."""
        if self.declared is None and not self.cells and (found := _DIMENSION.search(chunk)):
            self.declared = found.group(1).decode("ascii", "replace")
        if not self.precise and b":c" not in chunk:  # the usual form, <c r="A1" ...>, found 3x faster
            references = _USUAL_CELL.findall(chunk)
            if len(references) == chunk.count(b"<c"):  # every cell tag of the block is in that form
                self.cells += len(references)
                self.text_cells += chunk.count(b't="s"')
                self._references(references)
                return
        self._add_any(chunk)

    def _add_any(self, chunk: bytes) -> None:
        """Any form XML allows: either quote, spaces around "=", prefixes, cells without a reference."""
        if self.precise:
            valued = _VALUED_CELL.findall(chunk)
            attributes, cells = b"\n".join(valued), len(valued)
        else:
            attributes, cells = chunk, len(_CELL_TAG.findall(chunk))
        self.cells += cells
        self.text_cells += len(_TEXT_TYPE.findall(attributes))
        references = _REFERENCE.findall(attributes)
        self._references(references)
        if len(references) < cells:  # cells without a reference: the reader counts their positions
            self._unreferenced(chunk)

    def _references(self, references: list[tuple[bytes, bytes]]) -> None:
        if references:
            letters, digits = zip(*references, strict=True)
            self._extend(list(map(int, set(digits))), [column_number(c) for c in set(letters)])

    def _extend(self, rows: list[int], columns: list[int]) -> None:
        self.first_row = min(rows) if not self.first_row else min(self.first_row, *rows)
        self.last_row = max(self.last_row, *rows)
        self.first_column = min(columns) if not self.first_column else min(self.first_column, *columns)
        self.last_column = max(self.last_column, *columns)

    def _unreferenced(self, chunk: bytes) -> None:
        """Rare (some writers omit references): each row's number and its count of valued cells, row by row."""
        for row in chunk.split(b"</row>"):
            count = len(_VALUE_START.findall(row))
            number = _ROW_TAG.search(row)
            if count and number:
                self._extend([int(number.group(1))], [1, count])


def _scan_sheet(archive: zipfile.ZipFile, name: str, part: str, precise: bool = False) -> SheetScan:
    """Stream one sheet part; a fast pass first, the precise one only when the fast bound is over the limit."""
    tally = _Tally(precise)
    carry = b""
    with archive.open(part) as stream:
        while block := stream.read(_BLOCK):
            buffer = carry + block
            cut = buffer.rfind(b"<")  # a tag may be cut by the block's end: keep it for the next block
            if cut < 0:
                carry = b""
                continue
            tally.add(buffer[:cut])
            carry = buffer[cut:]
            if len(carry) > _BLOCK and b">" in carry:  # a whole tag, then long text: the text is no cell
                carry = b""
            elif len(carry) > MAX_TAG_BYTES:  # one unfinished tag this long: refused, not skipped
                raise OversizedTag(part, MAX_TAG_BYTES)
    tally.add(carry)
    scan = SheetScan(name, part, tally.declared, tally.cells, tally.text_cells, tally.first_row,
                     tally.last_row, tally.first_column, tally.last_column)
    if not precise and scan.grid_cells > MAX_SHEET_CELLS:
        return _scan_sheet(archive, name, part, precise=True)
    return scan


# ---- text the cells point at through the shared strings ----------------------------------------------------
def _string_lengths(archive: zipfile.ZipFile, part: str) -> np.ndarray:
    """The bytes of text of every shared string, in order, streaming the part (tags left out; an entity such as
    &amp; counts as written, so a length is never less than the reader's)."""
    found: list[np.ndarray] = []
    carry, pending = b"", 0  # pending: text already counted of a string longer than a block
    with archive.open(part) as stream:
        while block := stream.read(_BLOCK):
            # each string's end marked (no XML text holds NUL), the spaces between tags left out
            buffer = _STRING_END.sub(b"\x00", _BETWEEN_TAGS.sub(b"><", carry + block))
            cut = buffer.rfind(b"\x00")
            if cut >= 0:
                lengths = list(map(len, _ANY_TAG.sub(b"", buffer[:cut]).split(b"\x00")))
                lengths[0] += pending
                found.append(np.array(lengths, dtype=np.uint32))
                carry, pending = buffer[cut + 1:], 0
            else:
                carry = buffer
            if len(carry) > _BLOCK:  # one string longer than a block: count its text so far, keep a cut tag
                tag = carry.rfind(b"<")
                tag = len(carry) if tag < 0 or b">" in carry[tag:] else tag
                pending += _text_bytes(carry[:tag])
                carry = carry[tag:]
                if len(carry) > MAX_TAG_BYTES:
                    raise OversizedTag(part, MAX_TAG_BYTES)
    return np.concatenate(found) if found else np.zeros(0, np.uint32)  # what follows the last string is no string


def _text_bytes(xml: bytes) -> int:
    return len(_ANY_TAG.sub(b"", _BETWEEN_TAGS.sub(b"><", xml)))


def _last_cell_start(buffer: bytes) -> int:
    """Where the last cell tag of `buffer` starts (looked for in its last 64 KiB first), or -1."""
    for start in (max(0, len(buffer) - (1 << 16)), 0):
        last = -1
        for found in _CELL_TAG.finditer(buffer, start):
            last = found.start()
        if last >= 0 or not start:
            return last
    return -1


def _referenced_text(archive: zipfile.ZipFile, sheet: SheetScan, lengths: np.ndarray) -> SheetScan:
    """The sheet with the number of its shared-string cells and the bytes of text they point at, streaming the
    sheet part in whole cells (a text run over 4 KiB, such as a long formula written before a cell's value, is
    kept by its two ends, so the carried part never grows)."""
    cells = total = users = 0
    longest = int(np.argmax(lengths)) if len(lengths) else -1
    carry = b""
    with archive.open(sheet.part) as stream:
        while True:
            block = stream.read(_BLOCK)
            buffer = carry + block
            cut = _last_cell_start(buffer) if block else len(buffer)
            if cut <= 0 and block:  # no cell starts after the first one: read on
                carry = _LONG_TEXT.sub(rb">\1\2<", buffer) if len(buffer) > 2 * _BLOCK else buffer
                if len(carry) > MAX_TAG_BYTES:
                    raise OversizedTag(sheet.part, MAX_TAG_BYTES)
                continue
            found = _SHARED_INDEX.findall(_LONG_TEXT.sub(rb">\1\2<", buffer[:cut]))
            carry = buffer[cut:]
            if found:
                indexes = np.array(list(map(int, found)), dtype=np.int64)
                indexes = indexes[indexes < len(lengths)]  # beyond the strings: the reader refuses the cell
                cells += len(found)
                total += int(lengths[indexes].sum(dtype=np.int64))
                users += int(np.count_nonzero(indexes == longest))
            if not block:
                break
    return replace(sheet, shared_cells=cells, referenced_text_bytes=total,
                   longest_string_bytes=int(lengths[longest]) if longest >= 0 else 0, longest_string_cells=users)


def _with_referenced_text(archive: zipfile.ZipFile, sheets: tuple[SheetScan, ...],
                          shared: str | None) -> tuple[SheetScan, ...]:
    """Every sheet; those whose cells times the longest shared string pass the floor with the text their
    shared-string cells point at counted (see _referenced_text)."""
    if not shared or not any(sheet.cells for sheet in sheets):
        return sheets
    lengths = _string_lengths(archive, shared)
    longest = int(lengths.max(initial=0))
    return tuple(_referenced_text(archive, sheet, lengths) if longest * sheet.cells > SHARED_STRINGS_FLOOR_BYTES
                 else sheet for sheet in sheets)


# ---- the scan, cached per file version ---------------------------------------------------------------------
_SCANS: dict[tuple[str, int, int], WorkbookScan | None] = {}
_LOCK = threading.Lock()


def scan_workbook(path: str | Path) -> WorkbookScan | None:
    """Scan a workbook of any format the reader takes (cached per file version): .xlsx/.xlsm here, .ods in
    `ods_scan`, .xls and .xlsb in `binary_scan`; None for a file that is no such workbook (the reader's own
    checks name those)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"):
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        if key in _SCANS:
            return _SCANS[key]
    result = _scan(path, suffix)
    with _LOCK:
        if len(_SCANS) > 64:
            _SCANS.clear()
        _SCANS[key] = result
    return result


def _scan(path: Path, suffix: str) -> WorkbookScan | None:

    if suffix == ".xls":
        return binary_scan.scan_xls(path)
    if suffix == ".xlsb":
        return binary_scan.scan_xlsb(path)
    try:
        with zipfile.ZipFile(path) as archive:
            if suffix == ".ods":
                content = archive.getinfo(ods_scan.CONTENT_PART).file_size
                sheets, spaces = ods_scan.scan_content(archive)
                scan = WorkbookScan(sheets, ods_scan.CONTENT_PART, content)
                if spaces <= scan.shared_strings_limit:
                    return scan
                return WorkbookScan(sheets, ods_scan.CONTENT_PART, content, (
                    f"its text asks for {spaces:,} repeated spaces (<text:s text:c=...>), over the limit of "
                    f"{human_size(scan.shared_strings_limit)} for {scan.text_cells:,} cells holding a value; it looks "
                    "like a 'bomb' and was not opened. Open it and save it again, or save the sheet as CSV"))
            sheets, shared = _parts(archive)
            shared_bytes = archive.getinfo(shared).file_size if shared else 0
            scan = WorkbookScan(tuple(_scan_sheet(archive, name, part) for name, part in sheets), shared,
                                shared_bytes)
            if shared_bytes > scan.shared_strings_limit:  # refused as a whole by workbook_problem
                return scan
            return replace(scan, sheets=_with_referenced_text(archive, scan.sheets, shared))
    except OversizedTag as error:
        return WorkbookScan((), None, 0, str(error))
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, ValueError, RuntimeError):
        return None  # not a workbook this module can read; the reader reports it


# Formats whose reader parses every sheet when the workbook is opened: a sheet too large is refused before.
_READ_WHOLE = (".xls", ".ods")
# The most rows and columns each format holds (.ods as LibreOffice, like Excel since 2007).
_FORMAT_LIMITS = {".xls": (65_536, 256)}


def workbook_problem(path: str | Path) -> str | None:
    """Why the workbook must not be opened by the reader at all, or None: its shared strings (or, for .ods,
    its content) are far larger than its cells can need, or (for .xls and .ods, whose every sheet is read on
    opening) one of its sheets is too large (the message names it)."""
    scan = scan_workbook(path)
    if scan is None:
        if Path(path).suffix.lower() == ".xls" and Path(path).is_file():  # calamine would parse it unchecked
            return ("its sheets could not be checked before reading (the compound file's tables or its Workbook "
                    "stream are damaged or missing); open it in Excel and save it as .xlsx, then load that")
        return None
    if scan.problem:
        return scan.problem
    suffix = Path(path).suffix.lower()
    if suffix in _READ_WHOLE:
        for sheet in scan.sheets:
            if problem := _grid_problem(sheet, suffix):
                return f"its sheet {sheet.name!r} cannot be read: {problem}"
    if scan.shared_strings_bytes <= scan.shared_strings_limit:
        return None
    if suffix == ".ods":
        cells = sum(s.cells for s in scan.sheets)
        return (f"its content ({scan.shared_strings_part}) unpacks to {human_size(scan.shared_strings_bytes)} for "
                f"{cells:,} cells holding a value, over the limit of {human_size(scan.shared_strings_limit)} "
                f"({human_size(SHARED_STRINGS_FLOOR_BYTES)} plus {SHARED_STRINGS_BYTES_PER_TEXT_CELL:,} bytes per "
                "cell); it looks like a 'zip bomb' and was not opened. Open it and save it again, or save the "
                "sheet as CSV")
    return (f"its shared strings ({scan.shared_strings_part}) unpack to {human_size(scan.shared_strings_bytes)} for "
            f"{scan.text_cells:,} text cells in its sheets, over the limit of {human_size(scan.shared_strings_limit)} "
            f"({human_size(SHARED_STRINGS_FLOOR_BYTES)} plus {SHARED_STRINGS_BYTES_PER_TEXT_CELL:,} bytes per text "
            "cell); it looks like a 'zip bomb' and was not opened. Open it in Excel and save it again, or save "
            "the sheet as CSV")


def sheet_problem(path: str | Path, sheet: str) -> str | None:
    """Why this sheet must not be read (its used cells span too large a grid, or, for .xls, it declares a size
    the reader would reserve), or None."""
    scan = scan_workbook(path)
    found = scan.sheet(sheet) if scan else None
    return (_grid_problem(found, Path(path).suffix.lower()) or _referenced_text_problem(found)) if found else None


def _referenced_text_problem(found: SheetScan) -> str | None:
    """Why the text the sheet's cells point at through the shared strings is too much to copy into them."""
    if found.referenced_text_bytes <= found.referenced_text_limit:
        return None
    return (f"its {found.shared_cells:,} text cells point at {human_size(found.referenced_text_bytes)} of shared "
            f"strings in all (the reader copies a shared string into every cell that uses it; one of "
            f"{human_size(found.longest_string_bytes)} is used by {found.longest_string_cells:,} cells), over the "
            f"limit of {human_size(found.referenced_text_limit)} ({human_size(SHARED_STRINGS_FLOOR_BYTES)} plus "
            f"{SHARED_STRINGS_BYTES_PER_TEXT_CELL:,} bytes per text cell); the file is damaged or crafted, or a long "
            "text was copied into many cells. Delete that text, save and load it again")


def _grid_problem(found: SheetScan, suffix: str) -> str | None:
    rows, columns = _FORMAT_LIMITS.get(suffix, (EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS))
    if found.cells > MAX_SHEET_CELLS and found.grid_cells <= MAX_SHEET_CELLS:  # cells written over one another
        return (f"it holds more than {MAX_SHEET_CELLS:,} cell records (the limit for one sheet), many of them in the "
                f"same places ({found.used_range}); the file is damaged or crafted. Open it and save it again, or "
                "save the sheet as CSV")
    if found.grid_cells > MAX_SHEET_CELLS:
        last = f"{column_letters(found.last_column)}{found.last_row}"
        beyond = " (beyond what the format allows)" if found.last_row > rows or found.last_column > columns else ""
        declared = f", declared as {found.declared}" if found.declared and found.declared != found.used_range else ""
        return (f"its cells reach {last}{beyond}, so reading them would need a grid of {found.grid_cells:,} cells "
                f"({found.used_range}{declared}; the limit for one sheet is {MAX_SHEET_CELLS:,}) for the "
                f"{found.cells:,} cells it holds. Delete the rows and columns beyond your table (a stray value far "
                f"from it, such as the one at {last}), or copy the table to a new sheet, save and load it again")
    if found.reserved_cells > MAX_SHEET_CELLS:
        return (f"it declares a size of {found.declared or 'no cells'} (its DIMENSIONS record), for which the reader "
                f"would reserve {found.reserved_cells:,} cells (the limit for one sheet is {MAX_SHEET_CELLS:,}), for "
                f"the {found.cells:,} cells it holds ({found.used_range}); the file is damaged or crafted. Open it "
                "in Excel and save it as .xlsx, then load that")
    return None
