"""Where a table starts and ends in a real export: title rows (a sentence, or a label and its value such as
"District:" | "Maple USD"), notes and blank rows above the header, a header spread over two rows (group labels
over column labels), and footers below the data (totals, "Report generated ...", notes, blank rows). Inside the
data: header rows repeated (files pasted together, a header printed on every page) and a printed report's page
breaks ("Page 2 of 5", its title rows written again, subtotals, the blank rows between pages).

Only the first `HEAD_ROWS` and last `TAIL_ROWS` rows are looked at in Python; rows inside the data are found
with Arrow compute over the whole table (page-break words only in the short rows). Every row skipped is
described in plain words (`Layout.notes`, `trim_table`), so the import report can say what was left out and
where; when the header found is wrong, the command line's refusal names `--header-row`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from equity_metrics.ingest.vocabulary import known_header

HEAD_ROWS = 30  # rows read to find the header
TAIL_ROWS = 50  # rows at the end examined for footers
_NUMBER = re.compile(r"^[-+]?[$€£]?\s*[\d,]*\.?\d+\s*%?$|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T][\d:.]+)?$")
_FOOTER = re.compile(
    r"^\s*(?:grand\s+)?totals?\b|^\s*sub-?totals?\b|^\s*report\s+(?:generated|run|printed|created|date)|"
    r"^\s*(?:generated|printed|exported|created|run)\s+(?:on|at|by|:)|^\s*source\s*:|^\s*notes?\s*:|"
    r"^\s*page\s+\d+|^\s*end\s+of\s+(?:report|file|data)|^\s*\*|^\s*(?:n|count|records?|rows?)\s*[:=]|"
    r"^\s*\d[\d,]*\s+(?:records|rows|students)\b",
    re.IGNORECASE,
)
_NOTE = re.compile(r"^(?=.{12,})\S+\s+\S+\s+\S+")  # a sentence-like lone cell (three words or more)
# A title row written as a label and its value ("District:" | "Maple USD", "Run date:" | "2024-10-01"): a label
# ends with a colon, or is one of the words report tools put there (then the value is no column name).
_LABEL = re.compile(r"^[^:]{1,40}:$")
_TITLE_LABEL = re.compile(
    r"^(?:(?:school\s+)?district|report(?:\s+(?:name|title|date))?|run(?:\s+(?:date|on|by))?|(?:date\s+)?printed(?:\s+on)?|"
    r"(?:date\s+)?generated(?:\s+on)?|as\s+of|(?:school|academic)\s+year|sy|term|title|source|prepared\s+(?:by|for)|"
    r"user|school|campus|building|site)\s*[-:]?$", re.IGNORECASE)
_YEAR_LABEL = re.compile(r"\b(?:school|academic)\s+year\b|^\s*sy\b|^\s*year\b", re.IGNORECASE)
_RUN_LABEL = re.compile(r"^\s*(?:report\s+date|run|(?:date\s+)?printed|(?:date\s+)?generated|created|exported)\b",
                        re.IGNORECASE)
# The first cell of a row that breaks a printed report's pages inside the data ("Page 2 of 5", a title written
# again, "Report generated ...", "(continued)"), when the row is short (see `_inside_rows`).
_PAGE = re.compile(
    r"^(?:page\s+\d+(?:\s*(?:of|/)\s*\d+)?|-\s*\d+\s*-|\(?continued\)?|report\s+(?:generated|run|printed|created|date)\b.*|"
    r"(?:generated|printed|exported|created|run)\s+(?:on|at|by|:).*|[^:]{1,40}:|(?:grand\s+|sub-?)?totals?\b.*)$",
    re.IGNORECASE)


@dataclass(frozen=True)
class Layout:
    """Where the header is: `first` is the 0-based row of the (first) header row, `rows` is 1 or 2; `names`
    are the joined names of a two-row header (None: the header row is read as it is); `notes` say what was
    skipped above it; `titles` hold the text of the rows above (a school year may be written there)."""

    first: int = 0
    rows: int = 1
    names: tuple[str | None, ...] | None = None
    notes: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    own: tuple[str, ...] = ()  # lower labels used alone: the joined name is no known column name, the label is

    @property
    def last(self) -> int:
        """0-based index of the last header row (data starts below it)."""
        return self.first + self.rows - 1


def _blank(value: object) -> bool:
    return value is None or not str(value).strip()


def _filled(row: Sequence[object]) -> list[int]:
    return [i for i, v in enumerate(row) if not _blank(v)]


def _numeric(value: object) -> bool:
    return bool(_NUMBER.match(str(value).strip()))


def _text_row(row: Sequence[object]) -> bool:
    """Every filled cell is text that is not a number or a date (header-like)."""
    cells = [row[i] for i in _filled(row)]
    return bool(cells) and not any(_numeric(v) for v in cells)


def _fills_blanks(upper: Sequence[object], lower: Sequence[object]) -> bool:
    """The lower row has values where the upper row is blank."""
    return any(_blank(upper[i]) if i < len(upper) else True for i in _filled(lower))


def _group_row(upper: Sequence[object], lower: Sequence[object], least: int = 2) -> bool:
    """`upper` holds group labels over `lower`'s column labels (merged cells): `least` labels or more, each over
    a labelled column, with a blank between or before them where `lower` has a label (a title sits in column
    A and has none); `lower` is all text."""
    above, below = _filled(upper), set(_filled(lower))
    if len(above) < least or len(below) <= len(above) or not _text_row(lower) or not set(above) <= below:
        return False
    return any(_blank(upper[i]) for i in below if i < above[-1])


def joined_names(upper: Sequence[object], lower: Sequence[object]) -> tuple[str | None, ...]:
    """Column names of a two-row header: each group label carried right over the columns it spans, then
    joined with the column label ("Scale Score" over "Math" -> "Scale Score Math")."""
    names: list[str | None] = []
    group = ""
    for i in range(max(len(upper), len(lower))):
        top = upper[i] if i < len(upper) else None
        bottom = lower[i] if i < len(lower) else None
        if not _blank(top):
            group = str(top).strip()
        label = "" if _blank(bottom) else str(bottom).strip()
        if not label:
            names.append(group if not _blank(top) else None)
            continue
        names.append(f"{group} {label}" if group else label)
    return tuple(names)


def label_value_row(row: Sequence[object]) -> bool:
    """A title row of labels and their values ("District:" | "Maple USD"; "Report:" | "Enrollment"), not a
    header: half its cells or more are labels ending in a colon, or it is two cells, a word report tools
    write there ("District", "Run date", "School Year") and a value that is no column name."""
    cells = [str(row[i]).strip() for i in _filled(row)]
    labels = sum(1 for cell in cells if _LABEL.match(cell))
    if labels and labels * 2 >= len(cells) and labels < len(cells):  # labels, each with its value
        return True
    return len(cells) == 2 and bool(_TITLE_LABEL.match(cells[0])) and not known_header(cells[1])


def _header_start(rows: Sequence[Sequence[object]]) -> int | None:
    """The first row wide enough to be the header (at least half as many cells as the widest row, two or
    more, mostly text) that is no title row of labels and values; None when no row is."""
    widest = max((len(_filled(r)) for r in rows), default=0)
    need = max(2, math.ceil(widest / 2)) if widest > 1 else 1
    for index, row in enumerate(rows):
        cells = _filled(row)
        if len(cells) >= need and sum(_numeric(row[i]) for i in cells) * 2 <= len(cells) \
                and not label_value_row(row):
            return index
    return None


def detect_layout(rows: Sequence[Sequence[object]]) -> Layout:
    """Find the header in the first rows of a table (cells as text or None). Rows above it are skipped and
    described; a group-label row above or below the column labels makes a two-row header (`own_labels`)."""
    first = _header_start(rows)
    if first is None:
        return Layout()
    count = 1
    below = rows[first + 1] if first + 1 < len(rows) else None
    if below is not None and _fills_blanks(rows[first], below) and _text_row(below) \
            and len(_filled(below)) > len(_filled(rows[first])):
        if _group_row(rows[first], below):
            count = 2
        elif len(_filled(rows[first])) * 2 <= len(_filled(below)):  # a short title or note row over the header
            first += 1
    if count == 1 and first > 0 and _group_row(rows[first - 1], rows[first], least=1) \
            and not label_value_row(rows[first - 1]):
        first, count = first - 1, 2
    names, own = own_labels(rows[first + 1], joined_names(rows[first], rows[first + 1])) if count == 2 else (None, ())
    return Layout(first, count, names, _skipped_above(rows[:first]), _titles(rows[:first]), own)


def own_labels(lower: Sequence[object], names: tuple[str | None, ...]) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    """The names of a two-row header, each column's lower label alone where the joined name is no known column
    name but the label is, and no other label of the row is the same ("Student Information" over "Student ID"
    is "Student ID"; "Scale Score" over "Math" stays "Scale Score Math"); also the labels so used."""
    labels = [None if _blank(v) else str(v).strip() for v in lower]
    counts = Counter(label.casefold() for label in labels if label)
    out = list(names)
    for i, name in enumerate(names):
        label = labels[i] if i < len(labels) else None
        if name and label and name != label and counts[label.casefold()] == 1 and known_header(label) \
                and not known_header(name):
            out[i] = label
    final = [n.casefold() for n in out if n]
    if len(set(final)) < len(final):  # a label alone would repeat another column's name: the joined names stay
        return names, ()
    return tuple(out), tuple(o for o, n in zip(out, names, strict=True) if o != n)


def _titles(rows: Sequence[Sequence[object]]) -> tuple[str, ...]:
    """The text of the title rows, where a school year is looked for in this order: a row labelled with the
    year ("School Year:" | "2023-24") first, a report's run or print date ("Run date:" | "2024-10-01", when the
    report was made, not the year it holds) last, the others as they come."""
    texts = [" ".join(str(row[i]).strip() for i in _filled(row)) for row in rows if _filled(row)]
    return tuple(sorted(texts, key=lambda t: 0 if _YEAR_LABEL.search(t) else 2 if _RUN_LABEL.match(t) else 1))


def _skipped_above(rows: Sequence[Sequence[object]]) -> tuple[str, ...]:
    if not rows:
        return ()
    described = [f"row {i + 1} {_quoted(row)}" if _filled(row) else f"row {i + 1} blank" for i, row in enumerate(rows)]
    noun = "row" if len(rows) == 1 else "rows"
    return (f"Skipped {len(rows)} {noun} above the header ({'; '.join(described)}); the header is row {len(rows) + 1}.",)


def _quoted(row: Sequence[object], limit: int = 60) -> str:
    text = " | ".join(str(row[i]).strip() for i in _filled(row))
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def text_head_rows(path: Path, limit: int = HEAD_ROWS) -> list[list[str | None]]:
    """The first rows of a UTF-8 text file as cells, split on the delimiter most used in those lines."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return []  # the reader itself names a missing file
    lines = head.split("\n")[:limit]
    delimiter = max((",", ";", "\t", "|"), key=lambda d: _consistency(lines, d))
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=delimiter))
    except csv.Error:  # not a table we can read ahead; the reader itself says what is wrong
        return []
    return [[cell if cell.strip() else None for cell in row] for row in rows]


def _consistency(lines: Sequence[str], delimiter: str) -> tuple[int, int]:
    """How many lines split into the same number (two or more) of fields on `delimiter` (quotes respected),
    then that number: a table's delimiter splits most lines alike (title rows aside)."""
    try:
        counts = [len(row) for row in csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=delimiter)]
    except csv.Error:
        return (0, 0)
    return max(((counts.count(k), k) for k in set(counts) if k > 1), default=(0, 0))


# ---- below the data ----------------------------------------------------------------------------------------
def _footer_row(row: Sequence[object], width: int) -> bool:
    cells = [row[i] for i in _filled(row)]
    if not cells:
        return True
    if _FOOTER.match(str(cells[0])):
        return True
    return len(cells) == 1 and width >= 3 and bool(_NOTE.match(str(cells[0]).strip()))


def trim_table(table: pa.Table, names: Sequence[str], row_column: str,
               head: Sequence[Sequence[object]] = (), header_rows: int = 1) -> tuple[pa.Table, tuple[str, ...]]:
    """Drop footer rows at the end (blank rows, totals, "Report generated ...", notes), then, inside the data,
    header rows repeated, a printed report's page breaks ("Page 2 of 5", its title rows written again) and
    blank rows; return the table and what was dropped, with file row numbers. `head` holds the file's rows
    down to the header (as `detect_layout` saw them), `header_rows` how many of them the header spans."""
    notes: list[str] = []
    tail = table.slice(max(0, table.num_rows - TAIL_ROWS)).select([*names, row_column]).to_pylist()
    cut = len(tail)
    while cut and _footer_row([tail[cut - 1][n] for n in names], len(names)):
        cut -= 1
    dropped = tail[cut:]
    if dropped:
        table = table.slice(0, table.num_rows - len(dropped))
        shown = [f"row {r[row_column]} {_quoted([r[n] for n in names])}" for r in dropped if _filled([r[n] for n in names])]
        blanks = sum(1 for r in dropped if not _filled([r[n] for n in names]))
        parts = shown + ([f"{blanks} blank {'row' if blanks == 1 else 'rows'}"] if blanks else [])
        noun = "row" if len(dropped) == 1 else "rows"
        notes.append(f"Skipped {len(dropped)} {noun} below the data ({'; '.join(parts)}).")
    if names and table.num_rows:
        table, inside = _without_inside_rows(table, names, row_column, head, header_rows)
        notes.extend(inside)
    return table, tuple(notes)


def _text(column: pa.ChunkedArray) -> pa.Array:
    """A column as one array of text."""
    column = column.cast(pa.string())
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _is_filled(column: pa.Array) -> pa.Array:
    """Which cells hold something other than spaces (no copy of the text is made)."""
    return pc.fill_null(pc.match_substring_regex(column, r"\S"), False)


def _header_cells(names: Sequence[str], head: Sequence[Sequence[object]], header_rows: int) -> list[list[str]]:
    """For each column, what its header cells say: its name and, where the name is found among the header's
    (joined) names or its lower labels, the labels written over it in the file's header rows."""
    header = [list(row) for row in head[len(head) - header_rows:]] if head and header_rows <= len(head) else []
    joined = list(joined_names(header[0], header[1])) if len(header) == 2 else (header[0] if header else [])
    place = {str(v).strip(): i for row in (header[-1] if header else [], joined) for i, v in enumerate(row)
             if not _blank(v)}  # a joined name first, then a lower label used alone
    out = []
    for name in names:
        i = place.get(str(name).strip())
        labels = [str(row[i]) for row in header if i is not None and i < len(row) and not _blank(row[i])]
        out.append(list(dict.fromkeys([str(name), str(name).strip(), *labels, *(label.strip() for label in labels)])))
    return out


def _inside_rows(table: pa.Table, names: Sequence[str], head: Sequence[Sequence[object]],
                 header_rows: int) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Three masks over the rows: the header written again (every filled cell one of its column's header
    labels, half the columns or more filled; with a two-row header, also a row of its group labels above
    such a row), a page break (a short row whose first filled cell is "Page 2 of 5", a total, a label such as
    "District:", "Report generated ..." or the first cell of a title row above the header) and blank rows
    next to either."""
    width = len(names)
    count = pa.array(np.zeros(table.num_rows, dtype=np.int32))
    header_like = pa.array(np.ones(table.num_rows, dtype=bool))
    for name, labels in zip(names, _header_cells(names, head, header_rows), strict=True):  # a column at a time
        column = _text(table.column(name))
        filled = _is_filled(column)
        count = pc.add(count, pc.cast(filled, pa.int32()))
        label = pc.fill_null(pc.is_in(column, value_set=pa.array(labels, pa.string())), False)
        header_like = pc.and_(header_like, pc.or_(pc.invert(filled), label))
    repeated = pc.and_(header_like, pc.greater_equal(pc.multiply(count, 2), width))
    if header_rows == 2 and table.num_rows > 1:  # the group labels over a repeated header
        below = pa.concat_arrays([repeated.slice(1), pa.array([False])])
        repeated = pc.or_(repeated, pc.and_(pc.and_(header_like, pc.greater(count, 0)), below))
    short = pc.and_(pc.and_(pc.greater(count, 0), pc.less_equal(count, max(2, width // 2))), pc.invert(repeated))
    page = _page_breaks(table, names, short, head[: max(0, len(head) - header_rows)])
    return repeated, page, _blank_beside(pc.equal(count, 0), pc.or_(repeated, page))


def _blank_beside(blank: pa.Array, breaks: pa.Array) -> pa.Array:
    """The runs of blank rows next to a page break or a repeated header (part of the break); a blank row
    elsewhere in the data stays a row (the import reports it with its missing fields)."""
    empty, marked = blank.to_numpy(zero_copy_only=False), breaks.to_numpy(zero_copy_only=False)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], empty.astype(np.int8), [0]])))
    starts, ends = edges[0::2], edges[1::2]  # each run of blank rows: [start, end)
    beside = (marked[np.maximum(starts - 1, 0)] & (starts > 0)) | (marked[np.minimum(ends, len(marked) - 1)]
                                                                   & (ends < len(marked)))
    steps = np.zeros(len(empty) + 1, dtype=np.int64)
    np.add.at(steps, starts[beside], 1)
    np.add.at(steps, ends[beside], -1)
    return pa.array(np.cumsum(steps[:-1]) > 0)


def _page_breaks(table: pa.Table, names: Sequence[str], short: pa.Array,
                 titles: Sequence[Sequence[object]]) -> pa.Array:
    """Which of the short rows are page breaks: their first filled cell matches `_PAGE` or is the first cell of
    a title row (looked at in the short rows only, then put back in place)."""
    where = pc.indices_nonzero(short)
    out = np.zeros(len(short), dtype=bool)
    if not len(where):
        return pa.array(out)
    firsts = pa.array([str(row[i]).strip() for row in titles for i in _filled(row)[:1]], pa.string())
    found = pa.array(np.zeros(len(where), dtype=bool))
    before = pa.array(np.ones(len(where), dtype=bool))  # every cell so far blank
    for column in (pc.utf8_trim_whitespace(pc.take(_text(table.column(n)), where)) for n in names):
        is_filled = _is_filled(column)
        matched = pc.or_(pc.fill_null(pc.match_substring_regex(column, _PAGE.pattern, ignore_case=True), False),
                         pc.fill_null(pc.is_in(column, value_set=firsts), False))
        found = pc.or_(found, pc.and_(pc.and_(before, is_filled), matched))
        before = pc.and_(before, pc.invert(is_filled))
    out[where.to_numpy()] = found.to_numpy(zero_copy_only=False)
    return pa.array(out)


def _without_inside_rows(table: pa.Table, names: Sequence[str], row_column: str, head: Sequence[Sequence[object]],
                         header_rows: int) -> tuple[pa.Table, list[str]]:
    """The table without repeated headers, page breaks and blank rows inside it, and what was dropped."""
    repeated, page, blank = _inside_rows(table, names, head, header_rows)
    notes = []
    count = pc.sum(repeated).as_py() or 0
    if count:
        rows = table.filter(repeated).column(row_column).slice(0, 5).to_pylist()
        more = ", ..." if count > len(rows) else ""
        noun = "row repeats" if count == 1 else "rows repeat"
        notes.append(f"Skipped {count:,} {noun} the header inside the data (row {', '.join(map(str, rows))}{more}).")
    count = pc.sum(page).as_py() or 0
    if count:
        shown = table.filter(page).slice(0, 5).select([*names, row_column]).to_pylist()
        listed = "; ".join(f"row {r[row_column]} {_quoted([r[n] for n in names])}" for r in shown)
        more = f"; and {count - len(shown):,} more" if count > len(shown) else ""
        noun = "row" if count == 1 else "rows"
        notes.append(f"Skipped {count:,} {noun} inside the data that break a printed report's pages, not data "
                     f"({listed}{more}).")
    count = pc.sum(blank).as_py() or 0
    if count:
        rows = table.filter(blank).column(row_column).slice(0, 5).to_pylist()
        more = ", ..." if count > len(rows) else ""
        noun = "row" if count == 1 else "rows"
        notes.append(f"Skipped {count:,} blank {noun} between pages inside the data (row "
                     f"{', '.join(map(str, rows))}{more}).")
    dropped = pc.or_(pc.or_(repeated, page), blank)
    if pc.any(dropped).as_py():
        table = table.filter(pc.invert(dropped))
    return table, notes
