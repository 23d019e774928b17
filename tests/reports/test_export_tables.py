"""Table downloads: formula neutralisation, display formats, and XLSX/CSV files opened with their own readers."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from equity_metrics.core.constants import SAMPLE_DATA_LABEL
from equity_metrics.measures import analysis
from equity_metrics.measures.metrics import RATE_COLUMNS, MetricOptions
from equity_metrics.reports.export_tables import (
    CSV_ENCODING,
    MADE_COLUMN,
    SOURCE_COLUMN,
    Provenance,
    Sheet,
    cell_value,
    column_kind,
    column_label,
    csv_bytes,
    display_text,
    neutralise,
    provenance,
    result_sheet,
    sheet_name,
    table_csv_bytes,
    xlsx_bytes,
)

SOURCE = Provenance(("roster.xlsx [2023-24]", "roster.xlsx [2024-25]", "discipline.csv"), date(2025, 6, 30),
                    holds_sample=True, only_sample=True)
EVIL = "=HYPERLINK(\"http://x\",\"y\")"


def hand_table() -> pd.DataFrame:
    """Three groups: one shown, one hidden (counts under 10), one whose note is formula-like text."""
    return pd.DataFrame({
        "race": ["Black or African American", "Asian", EVIL],
        "denominator": pd.array([400, 37, 120], dtype="Int64"),
        "numerator": pd.array([50, pd.NA, 12], dtype="Int64"),
        "rate": [0.125, np.nan, 0.1],
        "rate_difference": [-0.05, np.nan, 0.0],
        "risk_ratio": [2.3456, np.nan, np.nan],
        "p_value": [0.0004, np.nan, 0.5],
        "suppressed": [False, True, False],
        "note": ["", "count under 10 hidden (privacy)", "-1+2"],
    })


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+2", "'=1+2"), ("+SUM(A1:A9)", "'+SUM(A1:A9)"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"),
    ("\tcalc", "'\tcalc"), ("\rcalc", "'\rcalc"), ("-3.5", "-3.5"), ("+12", "+12"), ("-1e3", "-1e3"),
    ("Black", "Black"), ("", ""), ("a=b", "a=b"),
])
def test_neutralise_text(text, expected):
    assert neutralise(text) == expected


def test_numbers_stay_numbers():
    assert neutralise(-3.5) == -3.5
    assert cell_value(np.float64(-0.05)) == -0.05 and isinstance(cell_value(np.float64(-0.05)), float)
    assert cell_value(np.int64(7)) == 7 and isinstance(cell_value(np.int64(7)), int)
    assert cell_value(np.nan) is None and cell_value(pd.NA) is None and cell_value(None) is None
    assert cell_value(np.bool_(True)) is True


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("rate", 0.125, "12.5%"), ("rate_ci_low", 0.0004, "0.0%"), ("rate_difference", -0.05, "-5.0 pts"),
    ("risk_ratio", 2.3456, "2.35"), ("risk_ratio_2023-24", 3.004, "3.00"), ("denominator", 12345, "12,345"),
    ("p_value", 0.0004, "< 0.001"), ("p_value", 0.0123, "0.012"), ("mean", 1234.56, "1,234.6"),
    ("rate", np.nan, ""), ("numerator", pd.NA, ""), ("suppressed", True, "Yes"), ("note", "x", "x"),
])
def test_display_text(column, value, expected):
    assert display_text(column, value) == expected


def test_column_labels():
    assert column_label("race") == "Race/ethnicity"
    assert column_label("denominator") == "n"
    assert column_label("risk_ratio_2023-24") == "Risk ratio 2023-24"
    assert column_label("some_new_column") == "Some new column"


def test_sheet_names_are_valid_and_unique():
    assert sheet_name("IDEA: flags/years [all]") == "IDEA  flags years  all"
    assert len(sheet_name("x" * 40)) == 31
    assert sheet_name("Notes", ["notes"]) == "Notes (2)"


def test_provenance_groups_sheets_of_a_workbook():
    assert SOURCE.files == "roster.xlsx [2023-24, 2024-25], discipline.csv"
    assert SOURCE.source_line == ("Data: Sample data (synthetic): roster.xlsx [2023-24, 2024-25], discipline.csv. "
                                  "Made 2025-06-30.")
    own = Provenance(("a.csv",), date(2025, 1, 2))
    assert SAMPLE_DATA_LABEL not in own.source_line and own.data_label == "Your district's files"
    mixed = Provenance(("a.csv",), date(2025, 1, 2), holds_sample=True)
    assert SAMPLE_DATA_LABEL in mixed.data_label


def workbook_of(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_xlsx_formats_values_and_notes():
    book = workbook_of(xlsx_bytes([Sheet("OSS by race", hand_table(), "Out-of-school suspension, 2024-25.")], SOURCE,
                                  MetricOptions(min_n=25)))
    assert book.sheetnames == ["OSS by race", "Notes"]
    sheet = book["OSS by race"]
    header = [c.value for c in sheet[1]]
    assert header == ["Race/ethnicity", "n", "With outcome", "Rate", "Difference (pts)", "Risk ratio", "p-value",
                      "Suppressed", "Note"]
    assert sheet.freeze_panes == "A2"
    black, hidden, evil = (list(r) for r in sheet.iter_rows(min_row=2, max_row=4))
    assert [c.value for c in black] == ["Black or African American", 400, 50, 0.125, -5.0, 2.3456, 0.0004, False, None]
    assert black[4].number_format == '+0.0" pts";-0.0" pts";0.0" pts"'  # percentage points, as the header says
    assert black[3].number_format == "0.0%" and black[5].number_format == "0.00" and black[1].number_format == "#,##0"
    assert black[4].data_type == "n"  # a negative number stays a number
    # The hidden group: no count, no rate; the note says why.
    assert [c.value for c in hidden][1:7] == [37, None, None, None, None, None]
    assert hidden[8].value == "count under 10 hidden (privacy)"
    # Formula-like text is text, with an apostrophe in front.
    assert evil[0].value == "'" + EVIL and evil[0].data_type == "s"
    assert evil[8].value == "'-1+2"
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    notes = "\n".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value is not None)
    assert SAMPLE_DATA_LABEL in notes and "2025-06-30" in notes
    assert "roster.xlsx [2023-24, 2024-25], discipline.csv" in notes
    assert "Counts from 1 to 9 are never shown" in notes and "n-size 25" in notes
    assert "Out-of-school suspension, 2024-25." in notes
    assert "Rate\nWith outcome / n." in notes  # the definition of each column present


def test_xlsx_notes_sheet_without_sample():
    own = Provenance(("roster.csv",), date(2025, 1, 2))
    book = workbook_of(xlsx_bytes([Sheet("T", hand_table())], own))
    notes = " ".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value is not None)
    assert SAMPLE_DATA_LABEL not in notes and "Your district's files" in notes and "roster.csv" in notes


def test_csv_labels_numbers_and_provenance():
    data = csv_bytes(hand_table(), SOURCE)
    assert data.startswith(b"\xef\xbb\xbf")  # byte-order mark, for Excel
    frame = pd.read_csv(io.BytesIO(data), encoding=CSV_ENCODING, keep_default_na=False, na_values=[""],
                        dtype={"Race/ethnicity": str, "Note": str})
    assert list(frame.columns) == ["Race/ethnicity", "n", "With outcome", "Rate", "Difference (pts)", "Risk ratio",
                                   "p-value", "Suppressed", "Note", SOURCE_COLUMN, MADE_COLUMN]
    assert frame.loc[0, "Rate"] == 0.125 and frame.loc[0, "Difference (pts)"] == -5.0  # in points
    assert frame.loc[0, "Risk ratio"] == 2.3456 and frame.loc[0, "With outcome"] == 50
    assert pd.isna(frame.loc[1, "With outcome"]) and pd.isna(frame.loc[1, "Rate"])
    assert frame.loc[2, "Race/ethnicity"] == "'" + EVIL and frame.loc[2, "Note"] == "'-1+2"
    assert set(frame[SOURCE_COLUMN]) == {"Sample data (synthetic): roster.xlsx [2023-24, 2024-25], discipline.csv"}
    assert set(frame[MADE_COLUMN]) == {"2025-06-30"}
    lines = data.decode(CSV_ENCODING).splitlines()
    assert lines[1].split(",")[4] == "-5.0"  # written as a plain negative number (points), not as text


def test_sample_result_exports_match_the_library(sample_store):
    result = analysis.rates(sample_store, "oss", ["race"])
    table = result.table[["race", *RATE_COLUMNS]]
    source = provenance(sample_store, date(2025, 6, 30))
    assert source.only_sample and SAMPLE_DATA_LABEL in source.source_line
    sheet = workbook_of(xlsx_bytes([Sheet("OSS", table)], source))["OSS"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == len(table)
    hidden = 0
    for _, expected in table.iterrows():
        row = rows[expected["race"]]
        for index, column in enumerate(table.columns):
            value = expected[column]
            if pd.isna(value) if not isinstance(value, str) else False:
                assert row[index] is None, (expected["race"], column)
            elif isinstance(value, str):
                assert row[index] == (value or None)
            else:  # a difference of rates in percentage points (x 100), as its header says
                scale = 100.0 if column_kind(column) == "points" else 1.0
                assert row[index] == pytest.approx(float(value) * scale, rel=1e-15), (expected["race"], column)
        hidden += bool(expected["suppressed"])
    assert hidden >= 1  # the sample district has hidden groups: their counts are empty cells
    sheet_of_result = result_sheet(result)
    pd.testing.assert_frame_equal(sheet_of_result.frame, table)
    assert sheet_of_result.title == "Out-of-school suspension"
    assert sheet_of_result.caption == ("Out-of-school suspension by race/ethnicity: District, all grades, 2024-25; each "
                                       "group compared with all other students.")
    gaps = result_sheet(analysis.gaps(sample_store, "math_scale_score", ["race"]))
    assert list(gaps.frame.columns[:3]) == ["race", "n", "mean"] and "hedges_g" in gaps.frame
    csv = pd.read_csv(io.BytesIO(csv_bytes(table, source)), encoding=CSV_ENCODING)
    assert csv["With outcome"].isna().sum() == table["numerator"].isna().sum()
    assert csv["Rate"].dropna().tolist() == pytest.approx(table["rate"].dropna().tolist(), rel=1e-15)
    assert csv["Difference (pts)"].dropna().tolist() == pytest.approx(
        (table["rate_difference"].dropna() * 100).tolist(), rel=1e-15)  # points, as the header says


def test_csv_text_with_a_carriage_return_stays_in_its_row():
    """A lone CR inside a name (a crafted file) is written as a quoted line break: a reader gets the same rows
    and columns back, with the formula guard still in front."""
    frame = pd.DataFrame({"school": ["\rReturned", "a\r\nb", "=1+1", "Oak"], "denominator": [12, 13, 14, 15]})
    read = pd.read_csv(io.BytesIO(table_csv_bytes(frame)), keep_default_na=False)
    assert read["school"].tolist() == ["'\nReturned", "a\nb", "'=1+1", "Oak"]
    assert read["denominator"].tolist() == [12, 13, 14, 15]
