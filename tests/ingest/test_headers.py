"""Issue 13: the header is found below title rows, notes and blank rows, over two rows when a group label sits
above the column labels; footers (totals, "Report generated ...", notes, blank tails) and repeated header rows
are dropped; every skipped row is reported with its file row number. CSV and real Excel files."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity_metrics.ingest.headers import detect_layout, joined_names
from equity_metrics.ingest.readers import ROW_NUMBER_COLUMN, read_source

HEADER = ["Student ID", "School Code", "Grade", "Race/Ethnicity", "Gender"]
DATA = [["0406988", "0101", "05", "White", "F"], ["0407025", "0101", "05", "Asian", "M"],
        ["0407227", "0102", "K", "Black", "F"]]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str | None]], sheet: str = "Roster") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value not in (None, ""):
                ws.cell(r, c, value)
    book.save(path)
    return path


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}


def data_of(source) -> list[list[str | None]]:
    return [[row[c] for c in source.columns] for row in source.table.to_pylist()]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_title_notes_and_blank_rows_above_the_header(tmp_path: Path, suffix: str) -> None:
    rows = [["Springfield USD - Enrollment Report, school year 2024-25"], ["Run by: J. Smith"], [],
            HEADER, *DATA]
    source = read_source(WRITERS[suffix](tmp_path / f"titled.{suffix}", rows))
    assert source.columns == HEADER
    assert data_of(source) == DATA
    assert source.table.column(ROW_NUMBER_COLUMN).to_pylist() == [5, 6, 7]  # the file's own row numbers
    assert source.header_row == 3
    assert source.notes[0].startswith("Skipped 3 rows above the header (row 1 'Springfield USD")
    assert "row 3 blank" in source.notes[0] and source.notes[0].endswith("the header is row 4.")
    assert source.titles[0].startswith("Springfield USD - Enrollment Report")


@pytest.mark.parametrize("title_end, body_end", [("\n", "\r\n"), ("\r\n", "\n"), ("\r", "\r\n")])
def test_a_title_ended_otherwise_than_the_body_is_read_all_the_same(tmp_path: Path, title_end: str,
                                                                   body_end: str) -> None:
    """A report tool's preamble written with one line ending above a body written with another: DuckDB's
    sniffer refuses the file, which is read again with every line ending as LF (rows keep their numbers)."""
    path = tmp_path / "mixed.csv"
    body = body_end.join(",".join(row) for row in [HEADER, *DATA]) + body_end
    path.write_bytes((f"Enrollment Report 2024-25{title_end}{title_end}" + body).encode())
    source = read_source(path)
    assert source.columns == HEADER and data_of(source) == DATA
    assert source.table.column(ROW_NUMBER_COLUMN).to_pylist() == [4, 5, 6]
    assert source.notes[0].startswith("Skipped 2 rows above the header (row 1 'Enrollment Report 2024-25'")


def test_a_line_break_inside_a_quoted_cell_of_a_crlf_file_stays_in_the_cell(tmp_path: Path) -> None:
    """Excel's CSV: rows end with CRLF, a line break typed in a cell is a bare LF inside quotes."""
    path = tmp_path / "excel.csv"
    rows = [",".join(HEADER), '0406988,0101,05,"White\nnote",F', "0407025,0101,05,Asian,M"]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode())
    source = read_source(path)
    assert data_of(source) == [["0406988", "0101", "05", "White\nnote", "F"], DATA[1]]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_footers_are_dropped_and_reported(tmp_path: Path, suffix: str) -> None:
    rows = [HEADER, *DATA, [], ["Total", "", "", "3 students", ""], ["Report generated 09/03/2024 10:14 by PowerSchool"],
            ["Note: students who left before October 1 are not listed"], []]
    source = read_source(WRITERS[suffix](tmp_path / f"footed.{suffix}", rows))
    assert data_of(source) == DATA
    note = next(n for n in source.notes if "below the data" in n)
    if suffix == "xlsx":  # a sheet keeps its blank rows; DuckDB drops blank lines of a CSV file before we see them
        assert "row 6 'Total | 3 students'" in note and "row 7 'Report generated" in note
    else:
        assert "row 5 'Total | 3 students'" in note and "row 6 'Report generated" in note
    assert "'Note: students who left before October 1 are not listed'" in note


def test_a_last_data_row_that_only_looks_short_is_kept(tmp_path: Path) -> None:
    """A data row with blanks is data, not a footer: only footer words, sentence-like notes and blank rows go."""
    rows = [HEADER, *DATA, ["0407303", "", "", "", ""]]
    source = read_source(write_csv(tmp_path / "short.csv", rows))
    assert data_of(source)[-1] == ["0407303", None, None, None, None]
    assert not source.notes


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_header_over_two_rows(tmp_path: Path, suffix: str) -> None:
    rows = [["", "", "Scale Score", "", ""], ["Student ID", "School Code", "Math", "ELA", "Writing"],
            ["0406988", "0101", "2398", "2475", "2500"], ["0407025", "0101", "2815", "2819", "2700"]]
    source = read_source(WRITERS[suffix](tmp_path / f"two.{suffix}", rows))
    assert source.columns == ["Student ID", "School Code", "Scale Score Math", "Scale Score ELA", "Scale Score Writing"]
    assert source.table.column(ROW_NUMBER_COLUMN).to_pylist() == [3, 4]
    assert any("spans rows 1 and 2" in n for n in source.notes)


def test_group_labels_spread_over_their_columns() -> None:
    upper = ["School", None, "Student", None, None]
    lower = ["Code", "Name", "ID", "Grade", "Gender"]
    assert joined_names(upper, lower) == ("School Code", "School Name", "Student ID", "Student Grade", "Student Gender")
    layout = detect_layout([["Report"], [], upper, lower, ["0101", "Central", "0406988", "05", "F"]])
    assert (layout.first, layout.rows) == (2, 2)
    assert layout.names == ("School Code", "School Name", "Student ID", "Student Grade", "Student Gender")


def test_a_short_title_over_a_wider_header_is_not_a_group_row() -> None:
    """Two cells of a title ("District:", "Springfield") sit left, side by side: a note, not group labels."""
    layout = detect_layout([["District:", "Springfield"], HEADER, DATA[0]])
    assert (layout.first, layout.rows, layout.names) == (1, 1, None)


def test_repeated_header_rows_inside_the_data(tmp_path: Path) -> None:
    rows = [HEADER, DATA[0], HEADER, DATA[1], HEADER, DATA[2]]  # files pasted together
    source = read_source(write_csv(tmp_path / "pasted.csv", rows))
    assert data_of(source) == DATA
    assert source.table.column(ROW_NUMBER_COLUMN).to_pylist() == [2, 4, 6]
    assert "Skipped 2 rows repeat the header inside the data (row 3, 5)." in source.notes


def test_a_given_header_row_is_taken_as_given(tmp_path: Path) -> None:
    rows = [["Title"], HEADER, *DATA]
    source = read_source(write_csv(tmp_path / "given.csv", rows), header_row=1)
    assert source.columns == HEADER and not any("above" in n for n in source.notes)


# ---- hypothesis: any title block and any footer around the same table -------------------------------------
TITLE_ROW = st.one_of(st.just([]), st.builds(lambda t: [t], st.sampled_from(
    ["District enrollment", "Run date: 09/03/2024", "Source: SIS export", "CONFIDENTIAL", "Fall snapshot"])))
FOOTER_ROW = st.one_of(st.just([]), st.sampled_from([
    ["Total", "", "", "3", ""], ["Grand total: 3"], ["Report generated on 09/03/2024"],
    ["Page 1 of 1"], ["Printed by the district office for internal use"], ["* suppressed"]]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(TITLE_ROW, max_size=4), footers=st.lists(FOOTER_ROW, max_size=4),
       suffix=st.sampled_from(["csv", "xlsx"]))
def test_any_titles_and_footers_leave_the_table(tmp_path: Path, titles: list[list[str]], footers: list[list[str]],
                                                suffix: str) -> None:
    if suffix == "csv" and titles and not any(titles[0]):
        titles = [["Report"], *titles]  # DuckDB skips leading blank lines of a CSV file (row numbers apart)
    path = WRITERS[suffix](tmp_path / f"any.{suffix}", [*titles, HEADER, *DATA, *footers])
    source = read_source(path)
    assert source.columns == HEADER
    assert data_of(source) == DATA
    assert source.table.column(ROW_NUMBER_COLUMN).to_pylist() == [len(titles) + 2 + i for i in range(len(DATA))]
    assert bool([n for n in source.notes if "below" in n]) == any(footers)  # blank rows alone leave no trace


def test_a_header_with_an_unnamed_column_over_data_is_not_taken_for_a_title(tmp_path: Path) -> None:
    """A first data row that is all text must not become the header: the unnamed column is refused, naming it."""
    from equity_metrics.ingest.readers import ReadError

    path = write_xlsx(tmp_path / "unnamed.xlsx", [["Name", "Grade", None], ["Bob", "K", "note"], ["Ann", "1", None]])
    with pytest.raises(ReadError, match=r"column 3 \(C\) has data but no name in the header \(row 1\)"):
        read_source(path)
