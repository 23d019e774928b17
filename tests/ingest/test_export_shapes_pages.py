"""Issue 13: report exports as student-information systems print them, in real CSV and .xlsx files.

- Title rows written as a label and its value ("District:" | "Maple USD", "Run date:" | "2024-10-01") above a
  header of any width are skipped and reported; the school year of a "School Year:" row is the file's year, a
  report's run date is not preferred to it.
- Page breaks inside the data (a "Page 1 of 2" line, the title rows and the header written again, a subtotal,
  blank rows between pages) are dropped and reported with their row numbers, for one- and two-row headers.
- A header the reader cannot make sense of is refused naming --header-row on the command line.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import openpyxl
import pytest
from fixtures.command_line import run_cli

from equity_metrics.ingest.headers import detect_layout, label_value_row
from equity_metrics.ingest.readers import ROW_NUMBER_COLUMN, read_source
from equity_metrics.storage.store import Store

HEADER = ["Student ID", "School Code", "Grade", "Race/Ethnicity", "Gender"]
DATA = [["0406988", "0101", "05", "White", "F"], ["0407025", "0101", "05", "Asian", "M"],
        ["0407227", "0102", "K", "Black", "F"], ["0407228", "0102", "K", "Black", "M"]]
TITLES = [["District:", "Maple USD"], ["Report:", "Enrollment"], ["Run date:", "2024-10-01"],
          ["School Year:", "2023-24"], []]


def write(path: Path, rows: list[list[str]]) -> Path:
    """`rows` as a CSV file, or as the first sheet of a real .xlsx workbook (blank cells left unwritten)."""
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        return path
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Report"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value not in (None, ""):
                sheet.cell(r, c, value)
    book.save(path)
    return path


def data_of(source) -> list[list[str | None]]:
    return [[row[c] for c in source.columns] for row in source.table.to_pylist()]


def imported(tmp_path: Path, path: Path, *options: str) -> tuple[Path, str]:
    db = tmp_path / "store.duckdb"
    Store(db).close()
    code, out, err = run_cli("import", str(path), "--db", str(db), *options)
    assert code == 0, err
    return db, out


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("width", [2, 3, 4, 5])
def test_label_and_value_title_rows_over_a_header_of_any_width(tmp_path: Path, suffix: str, width: int) -> None:
    rows = [*TITLES, HEADER[:width], *(row[:width] for row in DATA)]
    source = read_source(write(tmp_path / f"titled{suffix}", rows))
    assert source.columns == HEADER[:width]
    assert data_of(source) == [row[:width] for row in DATA]
    assert source.table.column(ROW_NUMBER_COLUMN).to_pylist() == [7, 8, 9, 10]
    assert source.notes[0] == ("Skipped 5 rows above the header (row 1 'District: | Maple USD'; row 2 'Report: | "
                               "Enrollment'; row 3 'Run date: | 2024-10-01'; row 4 'School Year: | 2023-24'; row 5 "
                               "blank); the header is row 6.")


def test_which_rows_are_labels_and_values() -> None:
    assert label_value_row(["District:", "Maple USD"]) and label_value_row(["Run date:", "2024-10-01"])
    assert label_value_row(["District", "Maple USD"]) and label_value_row(["School Year", "2023-24"])
    assert label_value_row(["District:", "Maple USD", None, "Report:", "Enrollment"])
    assert not label_value_row(["School", "Grade"])  # two column names: a header
    assert not label_value_row(["Name", "Grade"]) and not label_value_row(HEADER)
    assert not label_value_row(["Name:", "Grade:"])  # labels without values: a header written with colons
    # no blank row between the titles and the header: the last title is not read as group labels over it
    layout = detect_layout([["District:", "Maple USD"], ["School Year:", "", "2023-24"], HEADER[:4], DATA[0][:4]])
    assert (layout.first, layout.rows, layout.names) == (2, 1, None)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_year_of_a_school_year_row_before_the_run_date(tmp_path: Path, suffix: str) -> None:
    """The run date (2024-10-01, in 2024-25) comes first in the file; the school year row says 2023-24."""
    db, out = imported(tmp_path, write(tmp_path / f"roster{suffix}", [*TITLES, HEADER, *DATA]))
    assert "school_year: school year 2023-24: from a title row ('2023-24')" in out
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT school_year, count(*) FROM enrollment GROUP BY 1").fetchall() == [
            ("2023-24", 4)]


def paged(header_rows: list[list[str]]) -> list[list[str]]:
    """Two printed pages: titles and header on each, a page line and a blank row between them, a subtotal
    inside the second page and a page line at the end."""
    return [*TITLES, *header_rows, DATA[0], DATA[1], [], ["Page 1 of 2"], *TITLES[:3], *header_rows, DATA[2],
            ["Total", "", "", "3"], DATA[3], ["Page 2 of 2"]]


def test_page_breaks_inside_the_data_are_dropped_and_reported(tmp_path: Path) -> None:
    source = read_source(write(tmp_path / "paged.xlsx", paged([HEADER])))
    assert data_of(source) == DATA
    assert source.table.column(ROW_NUMBER_COLUMN).to_pylist() == [7, 8, 15, 17]
    assert source.notes[1:] == (
        "Skipped 1 row below the data (row 18 'Page 2 of 2').",
        "Skipped 1 row repeats the header inside the data (row 14).",
        "Skipped 5 rows inside the data that break a printed report's pages, not data (row 10 'Page 1 of 2'; "
        "row 11 'District: | Maple USD'; row 12 'Report: | Enrollment'; row 13 'Run date: | 2024-10-01'; "
        "row 16 'Total | 3').",
        "Skipped 1 blank row between pages inside the data (row 9).")


def test_page_breaks_in_a_csv_file_leave_the_data_and_import(tmp_path: Path) -> None:
    db, out = imported(tmp_path, write(tmp_path / "paged.csv", paged([HEADER])))
    assert "4 of 4 rows imported as Enrollment roster" in out
    assert "rows inside the data that break a printed report's pages" in out and "row 9 'Page 1 of 2'" in out
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT student_id FROM enrollment ORDER BY 1").fetchall() == [
            (row[0],) for row in DATA]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_two_row_header_repeated_on_every_page(tmp_path: Path, suffix: str) -> None:
    groups = ["Enrolled", "", "School", "Demographics", ""]
    labels = ["Student ID", "Grade", "School Code", "Race/Ethnicity", "Gender"]
    rows = [[r[0], r[2], r[1], r[3], r[4]] for r in DATA]
    source = read_source(write(tmp_path / f"two{suffix}", [*TITLES, groups, labels, rows[0], ["Page 1 of 2"],
                                                          groups, labels, rows[1], rows[2], rows[3]]))
    assert source.columns[0] == "Student ID" and source.columns[2:] == labels[2:]
    assert data_of(source) == rows
    assert "Skipped 2 rows repeat the header inside the data (row 10, 11)." in source.notes
    assert any("row 9 'Page 1 of 2'" in note for note in source.notes)


def test_a_blank_row_alone_inside_a_sheet_stays_a_row(tmp_path: Path) -> None:
    """Only blank rows next to a page break go; another blank row is data the import reports as incomplete."""
    source = read_source(write(tmp_path / "gap.xlsx", [HEADER, DATA[0], [], DATA[1]]))
    assert data_of(source)[1] == [None] * 5 and not source.notes


def test_short_data_rows_are_no_page_breaks(tmp_path: Path) -> None:
    """A row holding only an ID, or a value ending in a colon past the first cell, is data."""
    rows = [HEADER, DATA[0], ["0407303", "", "", "", ""], ["0407304", "Note:", "", "", ""], DATA[1]]
    source = read_source(write(tmp_path / "short.csv", rows))
    assert [row[0] for row in data_of(source)] == ["0406988", "0407303", "0407304", "0407025"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_header_that_cannot_be_right_names_header_row(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"unnamed{suffix}", [["Name", "Grade"], ["Bob", "K", "note"], ["Ann", "1"]])
    Store(tmp_path / "s.duckdb").close()
    code, out, err = run_cli("import", str(path), "--db", str(tmp_path / "s.duckdb"))
    assert code == 2
    assert "the header (row 1)" in err and "give the number of rows above it with --header-row N" in err


def test_titles_read_as_the_header_name_header_row_in_the_refusal(tmp_path: Path) -> None:
    """Two sentences above a small table: the reader takes its first row as the header; the guess then finds no
    kind and says how to give the header's row."""
    path = tmp_path / "odd.csv"
    path.write_text("Maple USD enrollment report\nPrepared by the data office\nfoo,bar\n1,2\n", encoding="utf-8")
    Store(tmp_path / "s.duckdb").close()
    code, out, err = run_cli("import", str(path), "--db", str(tmp_path / "s.duckdb"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "cannot tell what this table holds from its headers (foo, bar)" in err
    assert err.strip().endswith("give the number of rows above the header with --header-row N")
