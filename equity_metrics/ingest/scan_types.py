"""What a workbook pre-scan finds, shared by the scans of every format (`workbook_scan` for .xlsx and
.xlsm, `ods_scan`, `binary_scan` for .xls and .xlsb): the sheets' used ranges, the limits they are held to,
and the sizes said in words."""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHEET_CELLS = 25_000_000


SHARED_STRINGS_FLOOR_BYTES = 16 << 20


SHARED_STRINGS_BYTES_PER_TEXT_CELL = 1024


MAX_SHARED_STRINGS_BYTES = 512 << 20


MAX_TAG_BYTES = 16 << 20

# Most text one sheet's shared-string cells may point at in all (the reader copies a shared string into every
# cell that uses it): SHARED_STRINGS_FLOOR_BYTES plus SHARED_STRINGS_BYTES_PER_TEXT_CELL per such cell, never
# more than this (1 GiB, as much again as the largest grid; 1,048,576 rows of 20 text columns of 25 bytes fit).
MAX_REFERENCED_TEXT_BYTES = 1 << 30


EXCEL_MAX_ROWS = 1_048_576


EXCEL_MAX_COLUMNS = 16_384


class OversizedTag(ValueError):
    """A part holds one tag too long to read in bounded memory (a crafted file: no writer makes one). It is
    refused, never skipped: the tag could hold the reference or repeat count that makes the grid huge."""

    def __init__(self, part: str, limit: int) -> None:
        super().__init__(f"one tag in {part} is longer than {limit >> 20} MiB; the file is damaged or crafted. "
                         "Open it and save it again, or save the sheet as CSV")


@dataclass(frozen=True)
class SheetScan:
    """What one sheet part holds, found by streaming it (rows and columns are 1-based; 0 when empty)."""

    name: str
    part: str
    declared: str | None  # the <dimension ref=...> as written, if any
    cells: int
    text_cells: int  # cells whose text is in the shared strings
    first_row: int = 0
    last_row: int = 0
    first_column: int = 0
    last_column: int = 0
    reserved_cells: int = 0  # cells the reader reserves from the declared size (.xls), whatever the sheet holds
    # .xlsx/.xlsm, counted only when its shared strings could add up to more than the floor: the cells pointing
    # at a shared string, the bytes of text they point at in all, and the longest string they use and its users
    shared_cells: int = 0
    referenced_text_bytes: int = 0
    longest_string_bytes: int = 0
    longest_string_cells: int = 0

    @property
    def grid_cells(self) -> int:
        """Cells of the grid the reader would build: every row and column between the first and last used."""
        if not self.cells or not self.last_row or not self.last_column:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_column - self.first_column + 1)

    @property
    def referenced_text_limit(self) -> int:
        """Most text the sheet's shared-string cells may point at in all, derived as the shared strings' limit."""
        return min(MAX_REFERENCED_TEXT_BYTES,
                   SHARED_STRINGS_FLOOR_BYTES + SHARED_STRINGS_BYTES_PER_TEXT_CELL * self.shared_cells)

    @property
    def used_range(self) -> str:
        if not self.grid_cells:
            return "(empty)"
        return (f"{column_letters(self.first_column)}{self.first_row}:"
                f"{column_letters(self.last_column)}{self.last_row}")


@dataclass(frozen=True)
class WorkbookScan:
    """Every sheet of a workbook, and the size of its shared strings."""

    sheets: tuple[SheetScan, ...]
    shared_strings_part: str | None
    shared_strings_bytes: int
    problem: str | None = None  # why the scan itself could not finish in bounded memory

    def sheet(self, name: str) -> SheetScan | None:
        return next((s for s in self.sheets if s.name == name), None)

    @property
    def text_cells(self) -> int:
        return sum(s.text_cells for s in self.sheets)

    @property
    def shared_strings_limit(self) -> int:
        return min(MAX_SHARED_STRINGS_BYTES,
                   SHARED_STRINGS_FLOOR_BYTES + SHARED_STRINGS_BYTES_PER_TEXT_CELL * self.text_cells)


def column_letters(number: int) -> str:
    """Excel's letters for a 1-based column number: 1 -> A, 16384 -> XFD."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_number(letters: bytes) -> int:
    """The 1-based column number of Excel's letters (any case)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def human_size(size: float) -> str:
    """A size in bytes as people read it: 980 bytes, 4.9 KiB, 1.9 GiB."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
