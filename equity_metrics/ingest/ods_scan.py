"""Pre-scan of an OpenDocument spreadsheet (.ods) before the native reader (fastexcel/calamine) opens it.

An .ods file keeps every sheet in one part, content.xml, and may write a run of equal cells or rows once with
a count (`table:number-columns-repeated`, `table:number-rows-repeated`). calamine parses every sheet when the
workbook is opened and builds a dense grid from A1 to the last cell holding a value, so a 1 KB file whose one
value sits after 4,000 repeated rows and 16,383 repeated columns asks for a grid of 65 million cells (2 GiB;
the process aborts when that allocation fails: Rust cannot catch it). This module streams content.xml in
1 MiB blocks (bounded memory, never the whole part), adds up the repeat counts, and finds for each sheet the
last row and column holding a value, as calamine does: empty cells and rows, however many, cost nothing
(LibreOffice writes a million empty rows after every table), and cells whose text has no value type are not
read. The result is a `workbook_scan.WorkbookScan`, judged there like an .xlsx sheet.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field

from equity_metrics.ingest.scan_types import OversizedTag, SheetScan

CONTENT_PART = "content.xml"
_BLOCK = 1 << 20
_LONG_ROW = 16 << 20  # a row still open after this many bytes is read tag by tag, not kept whole
_ROW_END = b"</table:table-row>"
# calamine reads the `table:` names as written (a file naming the namespace otherwise reads as empty).
_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*)>")
_REPEATED = re.compile(rb"number-(?:rows|columns)-repeated\s*=\s*[\"']\s*(\d+)")
_NAME = re.compile(rb"(?:^|\s)(?:table:)?name\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CELL_START = (b"<table:table-cell", b"<table:covered-table-cell")
_SPACE_COUNT = re.compile(rb"<text:s\b[^>]*?\btext:c\s*=\s*[\"']\s*(\d+)")


@dataclass
class _Sheet:
    """One table as far as it has been read; rows and columns are counted from 1, as in the file."""

    name: str
    rows: int = 0  # rows passed so far (repeats counted)
    cells: int = 0  # cells holding a value (repeats counted)
    last_row: int = 0
    last_column: int = 0

    def scan(self) -> SheetScan:
        first = 1 if self.cells else 0
        return SheetScan(self.name, CONTENT_PART, None, self.cells, self.cells, first, self.last_row, first,
                         self.last_column)


@dataclass
class _Reader:
    """The state of the tag-by-tag reading, carried from one block to the next."""

    sheets: list[_Sheet] = field(default_factory=list)
    sheet: _Sheet | None = None
    in_row: bool = False
    row_repeat: int = 1
    column: int = 0
    row_valued: bool = False

    def tags(self, chunk: bytes) -> None:
        """Any form: repeats, sheets starting and ending, rows split across blocks."""
        for closing, name, attributes in _TAG.findall(chunk):
            if name == b"table":
                self._table(closing, attributes)
            elif self.sheet is None:
                continue
            elif name == b"table-row":
                self._row(closing, attributes)
            elif not closing and self.in_row:
                repeat = _repeat(attributes)
                if b"value-type" in attributes:
                    self.row_valued = True
                    self.sheet.cells += repeat * self.row_repeat
                    self.sheet.last_column = max(self.sheet.last_column, self.column + repeat)
                self.column += repeat

    def _table(self, closing: bytes, attributes: bytes) -> None:
        if closing:
            self.sheet = None
            return
        found = _NAME.search(attributes)
        raw = (found.group(1) or found.group(2) or b"") if found else b""
        self.sheet = _Sheet(html.unescape(raw.decode("utf-8", "replace")) or f"Sheet{len(self.sheets) + 1}")
        self.sheets.append(self.sheet)
        self.in_row = False

    def _row(self, closing: bytes, attributes: bytes) -> None:
        assert self.sheet is not None
        if closing:
            if self.in_row:
                self._end_row()
            return
        self.in_row, self.row_repeat, self.column, self.row_valued = True, _repeat(attributes), 0, False
        if attributes.rstrip().endswith(b"/"):  # <table:table-row/>: an empty row
            self._end_row()

    def _end_row(self) -> None:
        assert self.sheet is not None
        self.sheet.rows += self.row_repeat
        if self.row_valued:
            self.sheet.last_row = self.sheet.rows
        self.in_row = False

    def row(self, piece: bytes) -> None:
        """One whole row (its end tag cut off), read fast when it is written the usual way: one row start, no
        repeat counts, no sheet starting or ending; any other form goes tag by tag."""
        if (self.in_row or self.sheet is None or b"repeated" in piece or piece.count(b"<table:table-row") != 1
                or b"table:table " in piece or b"table:table>" in piece):
            self.tags(piece + _ROW_END)
            return
        self.sheet.rows += 1
        valued = piece.count(b"value-type")
        if valued:
            head = piece[: piece.rfind(b"value-type")]
            self.sheet.cells += valued
            self.sheet.last_row = self.sheet.rows
            self.sheet.last_column = max(self.sheet.last_column, sum(head.count(t) for t in _CELL_START))


def _repeat(attributes: bytes) -> int:
    found = _REPEATED.search(attributes)
    return max(int(found.group(1)), 1) if found else 1


def _spaces(region: bytes) -> int:
    """Spaces the reader will write for `<text:s text:c="N"/>` (N spaces each) in this part of the text."""
    return sum(int(n) for n in _SPACE_COUNT.findall(region)) if b"text:c" in region else 0


def scan_content(archive: zipfile.ZipFile) -> tuple[tuple[SheetScan, ...], int]:
    """Every sheet of the archive's content.xml, streamed in blocks, and the spaces its text asks for."""
    reader = _Reader()
    carry, spaces = b"", 0
    with archive.open(CONTENT_PART) as stream:
        while block := stream.read(_BLOCK):
            buffer = carry + block
            cut = buffer.rfind(_ROW_END)
            if cut < 0:
                if len(buffer) > _LONG_ROW:  # a very long row: read its complete tags now
                    tag = buffer.rfind(b"<")
                    done = len(buffer) if b">" in buffer[tag:] else tag  # a whole last tag: the text after it goes
                    reader.tags(buffer[:done])
                    spaces += _spaces(buffer[:done])
                    buffer = buffer[done:] if done == tag else b""
                    if len(buffer) > _LONG_ROW:  # no writer makes one tag this long
                        raise OversizedTag(CONTENT_PART, _LONG_ROW)
                carry = buffer
                continue
            for piece in buffer[:cut].split(_ROW_END):
                reader.row(piece)
            spaces += _spaces(buffer[:cut])
            carry = buffer[cut + len(_ROW_END):]
    reader.tags(carry)
    return tuple(sheet.scan() for sheet in reader.sheets), spaces + _spaces(carry)
