"""Hostile files (issue 14): crafted workbooks that would make the native reader abort the process or fill
memory, and re-imports of the same data in another order. Each is refused with one exact message naming the
file (and sheet), the store's bytes unchanged, within a memory ceiling where it matters.

Every workbook is built here with zipfile (a few KB each); none is ever handed to fastexcel's sheet loader
when the guard works: `no_sheet_load` turns a regression into a failing test instead of an aborted run.
"""

from __future__ import annotations

import csv
import hashlib
import time
import zipfile
from pathlib import Path

import pytest
from fixtures.hostile_store import ROSTER, YEAR, digest, peak_python_memory, refused

from equity_metrics.ingest import scan_types, workbook_scan
from equity_metrics.ingest.importer import ImportRefusedError, SourceSpec, import_sources
from equity_metrics.ingest.mapping import Mapping, Unpivot
from equity_metrics.ingest.readers import ReadError, list_sheets, read_source
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+'
    'xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             '<sheets><sheet name="Roster" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>')
_STUDENTS = 30


def _cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _roster_rows() -> str:
    """A header (sid, school, grade, note) and 30 students, as sheet XML rows (school 0042, grade K)."""
    rows = [f'<row r="1">{_cell("A1", "sid")}{_cell("B1", "school")}{_cell("C1", "grade")}{_cell("D1", "note")}</row>']
    rows += [f'<row r="{r}">{_cell(f"A{r}", f"{r:03d}")}{_cell(f"B{r}", "0042")}{_cell(f"C{r}", "K")}</row>'
             for r in range(2, _STUDENTS + 2)]
    return "".join(rows)


def crafted_workbook(path: Path, extra_rows: str = "", dimension: str | None = "A1:D31",
                     shared_strings: bytes = b"", text_cells: int = 0) -> Path:
    """A minimal .xlsx: the roster, then `extra_rows` (raw sheet XML); `text_cells` cells in column D of the
    first rows point at shared string 0; `shared_strings` is the body of <sst>."""
    pointers = "".join(f'<row r="{r}"><c r="D{r}" t="s"><v>0</v></c></row>'
                       for r in range(_STUDENTS + 2, _STUDENTS + 2 + text_cells))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main">' + (f'<dimension ref="{dimension}"/>' if dimension else "")
             + "<sheetData>" + _roster_rows() + pointers + extra_rows + "</sheetData></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://'
                         b'schemas.openxmlformats.org/spreadsheetml/2006/main">' + shared_strings + b"</sst>")
    return path


# ---- a cell far from the table -------------------------------------------------------------------------
FAR_MESSAGE = (
    "far.xlsx, sheet 'Roster': cannot be read: its cells reach XFD1048576, so reading them would need a grid of "
    "17,179,869,184 cells (A1:XFD1048576, declared as A1:D31; the limit for one sheet is 25,000,000) for the 95 "
    "cells it holds. Delete the rows and columns beyond your table (a stray value far from it, such as the one "
    "at XFD1048576), or copy the table to a new sheet, save and load it again"
)


def test_one_cell_at_xfd1048576_is_refused_not_an_abort(db: Path, tmp_path: Path, no_sheet_load: None) -> None:
    # Before: calamine asked for 512 GiB and the process aborted (exit 134), taking the app's server with it.
    path = crafted_workbook(tmp_path / "far.xlsx", f'<row r="1048576">{_cell("XFD1048576", "x")}</row>')
    assert path.stat().st_size < 5_000
    with pytest.raises(ReadError) as raised:
        read_source(path)
    assert str(raised.value) == FAR_MESSAGE
    assert refused(db, [SourceSpec(path, ROSTER, "Roster")], ReadError) == FAR_MESSAGE
    assert peak_python_memory(lambda: read_source(path)) < 8 << 20


def test_one_cell_at_xfd4000_is_refused(tmp_path: Path, no_sheet_load: None) -> None:
    # Before: read, at 2.5 GiB and 6 s, into 16,384 columns.
    path = crafted_workbook(tmp_path / "far4000.xlsx", f'<row r="4000">{_cell("XFD4000", "x")}</row>',
                            dimension=None)
    with pytest.raises(ReadError, match=r"^far4000\.xlsx, sheet 'Roster': cannot be read: its cells reach XFD4000, "
                                        r"so reading them would need a grid of 65,536,000 cells \(A1:XFD4000; the "):
        read_source(path)


def test_a_declared_dimension_alone_is_harmless(tmp_path: Path) -> None:
    # <dimension ref="A1:XFD1048576"> over 31 rows of 4 columns, a styled empty cell and an empty formatted row
    # far away: the reader sizes its grid by the cells with values, so only those are read.
    extra = '<row r="500000" s="1" customFormat="1"/><row r="1048576"><c r="XFD1048576" s="1"/></row>'
    path = crafted_workbook(tmp_path / "declared.xlsx", extra, dimension="A1:XFD1048576")
    scan = workbook_scan.scan_workbook(path)
    assert scan is not None and scan.sheets[0].used_range == "A1:D31"
    assert scan.sheets[0].declared == "A1:XFD1048576"
    source = read_source(path)
    assert source.columns == ["sid", "school", "grade", "note"] and source.table.num_rows == _STUDENTS


def test_cells_without_references_are_placed_by_their_row(tmp_path: Path, no_sheet_load: None) -> None:
    # Some writers leave out r="..."; the reader then places the cell by its row: still far.
    path = crafted_workbook(tmp_path / "noref.xlsx", '<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c>'
                            + "<c><v>1</v></c>" * 30 + "</row>")
    with pytest.raises(ReadError, match=r"grid of 32,505,856 cells \(A1:AE1048576"):
        read_source(path)


# ---- shared strings far larger than the sheet needs ----------------------------------------------------
def test_shared_strings_bomb_is_refused_before_the_workbook_is_opened(db: Path, tmp_path: Path,
                                                                     no_workbook_open: None) -> None:
    # 24 MiB of shared strings for 5 text cells, compressed about 100 times (under the zip-bomb ratio guard
    # of 200, which let the 1.9 GiB bomb through); the limit for 5 text cells is 16 MiB + 5 KiB.
    line = b"<si><t>" + b"a" * 1000 + b"</t></si>"
    noise = [hashlib.sha256(str(i).encode()).hexdigest().encode() for i in range(24 * 1024)]
    strings = b"".join(line[:-9] + n[:8] + line[-9:] for n in noise)
    path = crafted_workbook(tmp_path / "strings.xlsx", shared_strings=strings, text_cells=5)
    info = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml")
    assert 30 < info.file_size / info.compress_size < 200
    size = f"{info.file_size / (1 << 20):,.1f} MiB"
    expected = (f"strings.xlsx: cannot be read as a workbook: its shared strings (xl/sharedStrings.xml) unpack to "
                f"{size} for 5 text cells in its sheets, over the limit of 16.0 MiB (16.0 MiB plus 1,024 bytes "
                "per text cell); it looks like a 'zip bomb' and was not opened. Open it in Excel and save it "
                "again, or save the sheet as CSV")
    started = time.perf_counter()
    assert refused(db, [SourceSpec(path, ROSTER, "Roster")], ReadError) == expected.replace(
        "strings.xlsx:", "strings.xlsx, sheet 'Roster':")
    assert time.perf_counter() - started < 3
    with pytest.raises(ReadError) as raised:
        list_sheets(path)
    assert str(raised.value) == expected.replace("cannot be read as a workbook", "not a readable workbook")
    workbook_scan._SCANS.clear()
    assert peak_python_memory(lambda: read_source(path)) < 8 << 20


def test_shared_strings_within_the_limit_are_read(tmp_path: Path) -> None:
    path = crafted_workbook(tmp_path / "ok.xlsx", shared_strings=b"<si><t>Central High</t></si>", text_cells=3)
    source = read_source(path)
    assert source.table.column("note").to_pylist()[-3:] == ["Central High"] * 3


def test_limits_are_documented() -> None:
    assert scan_types.MAX_SHEET_CELLS == 25_000_000
    assert scan_types.SHARED_STRINGS_FLOOR_BYTES == 16 << 20
    assert scan_types.SHARED_STRINGS_BYTES_PER_TEXT_CELL == 1024
    assert scan_types.MAX_SHARED_STRINGS_BYTES == 512 << 20
    assert scan_types.MAX_REFERENCED_TEXT_BYTES == 1 << 30


# ---- one long shared string used by many cells ------------------------------------------------------------
AMPLIFIED_MESSAGE = (
    "amplified.xlsx, sheet 'Roster': cannot be read: its 10 text cells point at 20.0 MiB of shared strings in all "
    "(the reader copies a shared string into every cell that uses it; one of 2.0 MiB is used by 10 cells), over "
    "the limit of 16.0 MiB (16.0 MiB plus 1,024 bytes per text cell); the file is damaged or crafted, or a long "
    "text was copied into many cells. Delete that text, save and load it again"
)


def amplified_workbook(path: Path, cells: int = 10) -> Path:
    """One 2 MiB shared string used by `cells` cells: the shared strings pass their own limit (2 MiB for 10 text
    cells), but the reader copies the string into every cell (the audit's 12 KB file: 8 MiB x 300 cells = 2.4 GB,
    exit status 134 or a Rust panic)."""
    return crafted_workbook(path, shared_strings=b"<si><t>" + b"C" * (2 << 20) + b"</t></si>", text_cells=cells)


def test_one_long_shared_string_in_many_cells_is_refused(db: Path, tmp_path: Path, no_sheet_load: None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from equity_metrics import cli

    path = amplified_workbook(tmp_path / "amplified.xlsx")
    assert path.stat().st_size < 10_000
    assert workbook_scan.workbook_problem(path) is None  # the shared strings alone are within their limit
    with pytest.raises(ReadError) as raised:
        read_source(path)
    assert str(raised.value) == AMPLIFIED_MESSAGE
    assert refused(db, [SourceSpec(path, ROSTER, "Roster")], ReadError) == AMPLIFIED_MESSAGE
    before = digest(db)
    assert cli.main(["import", str(path), "--kind", "enrollment", "--year", "2024-25", "--db", str(db)]) == 2
    assert capsys.readouterr() == ("", f"error: {AMPLIFIED_MESSAGE}\n")
    assert digest(db) == before
    assert peak_python_memory(lambda: read_source(path)) < 8 << 20


def test_the_same_string_in_fewer_cells_is_read(tmp_path: Path) -> None:
    # 7 cells x 2 MiB = 14 MiB, under the floor of 16 MiB: read, each cell holding the whole text.
    source = read_source(amplified_workbook(tmp_path / "seven.xlsx", cells=7))
    assert [len(v) for v in source.table.column("note").to_pylist()[-7:]] == [2 << 20] * 7


@pytest.mark.parametrize("cell", [
    "<c r='D{r}' t='s'><v>0</v></c>",  # single quotes
    '<c r="D{r}" s="1" t = "s"><f>A1</f><v> 00 </v></c>',  # spaces, a formula, leading zeros
    '<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="D{r}" t="s"><x:v>0</x:v></x:c>',
])
def test_shared_string_cells_written_any_way_xml_allows_are_counted(tmp_path: Path, no_sheet_load: None,
                                                                   cell: str) -> None:
    rows = "".join(f'<row r="{r}">{cell.format(r=r)}</row>' for r in range(100, 110))
    path = crafted_workbook(tmp_path / "odd.xlsx", rows, shared_strings=b"<si><t>" + b"C" * (2 << 20) + b"</t></si>")
    with pytest.raises(ReadError, match=r"^odd\.xlsx, sheet 'Roster': cannot be read: its 10 text cells point at "
                                        r"20\.0 MiB of shared strings in all "):
        read_source(path)


def test_a_panic_in_the_reader_is_a_read_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pyo3_runtime.PanicException derives from BaseException: `except Exception` let the audit's "byte array
    # offset overflow" escape as a traceback.
    import fastexcel

    class PanicException(BaseException):  # noqa: N818 - pyo3's own name, matched by the reader
        pass

    def panic(*args: object, **kwargs: object) -> None:
        raise PanicException("byte array offset overflow")

    path = crafted_workbook(tmp_path / "panic.xlsx", shared_strings=b"<si><t>Central High</t></si>", text_cells=3)
    monkeypatch.setattr(fastexcel.ExcelReader, "load_sheet", panic)
    with pytest.raises(ReadError) as raised:
        read_source(path)
    assert str(raised.value) == ("panic.xlsx, sheet 'Roster': cannot be read as a workbook (the reader failed on it: "
                                 "byte array offset overflow; the file may be damaged or crafted)")
    monkeypatch.setattr(fastexcel, "read_excel", panic)
    with pytest.raises(ReadError, match=r"^panic\.xlsx: not a readable workbook \(the reader failed on it: byte "):
        list_sheets(path)

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fastexcel, "read_excel", interrupt)
    with pytest.raises(KeyboardInterrupt):
        read_source(path)


# ---- the same data again, in another order or saved again ------------------------------------------------
def write_rows(path: Path, header: list[str], rows: list[list[str]], **options: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, **options).writerows([header, *rows])
    return path


SURVEY = Mapping("survey", {"response_id": "rid", "school_id": "school", "respondent_type": "type", "item_id": "item",
                            "response": "answer"}, constants=dict(YEAR))
COUNTS = Mapping("counts", {"school_id": "school", "race": "race", "measure": "measure", "count": "n"},
                 constants=dict(YEAR))
DISCIPLINE = Mapping("discipline", {"student_id": "sid", "school_id": "school", "action": "action",
                                    "days_removed": "days"}, constants=dict(YEAR))
SURVEY_ROWS = [[f"R{r:03d}", "0042", "Student", f"Q{q}", str(1 + (r * q) % 5)] for r in range(54) for q in range(10)]
COUNT_ROWS = [[f"{s:04d}", race, measure, str(10 + s % 7)] for s in range(50)
              for race in ("White", "Black") for measure in ("enrollment", "oss", "iss", "ap")]
DISCIPLINE_ROWS = [[f"{901 + s % 2}", "0042", "OSS", str(1 + s % 3)] for s in range(40)]
CASES = {
    "survey": (SURVEY, ["rid", "school", "type", "item", "answer"], SURVEY_ROWS, "SELECT count(*) FROM survey"),
    "counts": (COUNTS, ["school", "race", "measure", "n"], COUNT_ROWS, "SELECT count(*) FROM counts"),
    "discipline": (DISCIPLINE, ["sid", "school", "action", "days"], DISCIPLINE_ROWS,
                   "SELECT sum(days_removed) FROM discipline"),
}


def _store_with(db: Path, path: Path, mapping: Mapping) -> None:
    with Store(db) as store:
        import_sources(store, [SourceSpec(path, mapping, name="first")])
        store.cursor().execute("CHECKPOINT")


@pytest.mark.parametrize("kind", list(CASES))
def test_the_same_rows_reordered_are_refused(db: Path, tmp_path: Path, kind: str) -> None:
    # Before: the duplicate check compared file bytes, so survey responses went from 540 to 1,080, counts from
    # 400 to 800 and days removed from 1,251 to 2,502.
    mapping, header, rows, total = CASES[kind]
    _store_with(db, write_rows(tmp_path / f"{kind}.csv", header, rows), mapping)
    with Store(db) as store:
        before = store.scalar(total)
        when = store.scalar("SELECT strftime(imported_at, '%Y-%m-%d %H:%M') FROM datasets WHERE name = 'first'")
    resaved = write_rows(tmp_path / f"{kind} sorted.csv", header, rows[::-1], quoting=csv.QUOTE_ALL,
                         lineterminator="\r\n")
    message = refused(db, [SourceSpec(resaved, mapping)], ImportRefusedError)
    assert message == (f"{kind} sorted.csv: holds the same {len(rows):,} rows as dataset 2 ('first', imported "
                       f"{when} UTC), perhaps in another order or saved again; importing it would count every row "
                       "twice. Delete that dataset first to replace it, or load only the rows that are new.")
    with Store(db) as store:
        assert store.scalar(total) == before


def test_a_later_export_repeating_an_earlier_one_is_refused(db: Path, tmp_path: Path) -> None:
    # The year-to-date export of June holds January's rows and more: they would be counted twice.
    mapping, header, rows, _ = CASES["survey"]
    _store_with(db, write_rows(tmp_path / "january.csv", header, rows[:300]), mapping)
    june = write_rows(tmp_path / "june.csv", header, rows)
    message = refused(db, [SourceSpec(june, mapping)], ImportRefusedError)
    assert message.startswith("june.csv: it repeats 300 of the 300 rows of dataset 2 ('first', imported ")
    a_few_more = write_rows(tmp_path / "more.csv", header, [*rows[:300], *rows[-10:]])
    message = refused(db, [SourceSpec(a_few_more, mapping)], ImportRefusedError)
    assert message.startswith("more.csv: 300 of its 310 rows are already loaded in dataset 2 ('first', imported ")


def test_two_sheets_of_one_import_holding_the_same_rows(db: Path, tmp_path: Path) -> None:
    mapping, header, rows, _ = CASES["counts"]
    one = write_rows(tmp_path / "one.csv", header, rows)
    two = write_rows(tmp_path / "two.csv", header, sorted(rows))
    message = refused(db, [SourceSpec(one, mapping, name="one"), SourceSpec(two, mapping)], ImportRefusedError)
    assert message.startswith("two.csv: holds the same 400 rows as dataset 2 ('one', imported ")


def test_different_data_of_the_same_kind_is_imported(db: Path, tmp_path: Path) -> None:
    mapping, header, rows, total = CASES["discipline"]
    _store_with(db, write_rows(tmp_path / "fall.csv", header, rows), mapping)
    spring = write_rows(tmp_path / "spring.csv", header, [[sid, school, "ISS", days] for sid, school, _, days in rows])
    with Store(db) as store:
        import_sources(store, [SourceSpec(spring, mapping)])
        assert store.scalar("SELECT count(*) FROM discipline") == 2 * len(rows)
    with_year = Mapping("discipline", {**mapping.columns, "school_year": "year"})
    last_year = write_rows(tmp_path / "last year.csv", [*header, "year"], [[*row, "2023-24"] for row in rows])
    with Store(db) as store:  # the same rows for another school year are other data
        import_sources(store, [SourceSpec(last_year, with_year)])
        assert store.scalar("SELECT count(*) FROM discipline") == 3 * len(rows)


# ---- mapping JSON checked against its schema ----------------------------------------------------------------
BAD_MAPPING = {"kind": "enrollment", "colums": {},
               "columns": {"student_id": ["sid", "id"], "school_id": "school", "grade": "grade", "shoe_size": "x"},
               "header_row": "2", "race_questions": {"hispanic": ["hisp"], "flags": {"Asian": 1}}}
BAD_MAPPING_PROBLEMS = (
    "colums: unknown key (known: kind, columns, constants, unpivot, header_row, date_format, race_questions, "
    "code_overrides, year_from_date, year_start_month, year_start_day, school_id_from_name)",
    "columns.shoe_size: Enrollment roster has no field 'shoe_size' (fields: school_year, student_id, school_id, "
    "school_name, grade, race, sex, disability, section_504, english_learner, low_income, gifted, days_enrolled, "
    "days_absent, entry_date, exit_date)",
    "columns.student_id: expected a column name (text), got a list",
    "race_questions.hispanic: expected a column name (text), got a list",
    "race_questions.flags.Asian: expected a column name (text), got a number",
    "header_row: expected a whole number from 0 to 1000, got text",
)


def test_mapping_json_problems_are_each_named(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: a list where a column name belongs went through (as "['hisp']") or failed later with an
    # AttributeError/TypeError traceback.
    import json

    from equity_metrics import cli
    from equity_metrics.ingest.mapping import MappingError

    with pytest.raises(MappingError) as raised:
        Mapping.from_json(json.dumps(BAD_MAPPING))
    assert str(raised.value) == "not a valid mapping: " + "; ".join(BAD_MAPPING_PROBLEMS)
    mapping = write_rows(tmp_path / "bad.json", [], [])
    mapping.write_text(json.dumps(BAD_MAPPING))
    roster = write_rows(tmp_path / "roster.csv", ["sid", "school", "grade", "hisp"], [["100", "0042", "K", "Y"]])
    before = digest(db)
    assert cli.main(["import", str(roster), "--mapping", str(mapping), "--db", str(db)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "error: bad.json: not a valid mapping: " + "; ".join(BAD_MAPPING_PROBLEMS) + "\n")
    assert digest(db) == before


@pytest.mark.parametrize(("data", "problem"), [
    ([1, 2], 'the mapping must be a JSON object ({"kind": ..., "columns": {...}}), not a list'),
    # every kind, in the schema's order (storage/schema.py KINDS)
    ({"columns": {}}, f"kind: missing; give one of {', '.join(KINDS)}"),
    ({"kind": ["survey"]}, f"kind: a list is not a kind; use one of {', '.join(KINDS)}"),
    ({"kind": "survey", "unpivot": {"columns": "Q1", "name_field": "item_id", "value_field": "answer",
                                    "category_field": ["x"]}},
     "unpivot.columns: expected a list of column names, got text; unpivot.value_field: Climate survey responses "
     "has no field 'answer'; unpivot.category_field: expected a field name (text), got a list"),
    ({"kind": "survey", "constants": {"school_year": {"y": 1}}, "code_overrides": {"disability": {"Y": None}}},
     "constants.school_year: expected a value (text), got an object; code_overrides.disability: Climate survey "
     "responses has no field 'disability' (fields: school_year, response_id, school_id, respondent_type, race, "
     "sex, grade, item_id, construct, response); code_overrides.disability.Y: expected a value (text), got null"),
])
def test_mapping_json_schema(data: object, problem: str) -> None:
    import json

    from equity_metrics.ingest.mapping import MappingError

    with pytest.raises(MappingError) as raised:
        Mapping.from_json(json.dumps(data))
    assert str(raised.value) == f"not a valid mapping: {problem}"


NESTED = '{"kind": "enrollment", "columns": {"student_id": ' + "[" * 100_000 + "]" * 100_000 + "}}"
UNREADABLE_MAPPINGS = [
    # Before: a RecursionError traceback (exit status 1) and an unhandled error on the Data page.
    ("nested.json", NESTED.encode(), "nested.json: not a valid mapping: its JSON is nested too deeply to read (a "
     "mapping is an object of objects, two or three levels deep); the file is damaged or not a mapping"),
    # Before: "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte", naming no file.
    ("utf16.json", '{"kind": "enrollment"}'.encode("utf-16"), "utf16.json: not a valid mapping: the file is not "
     "UTF-8 text (byte 0xff at position 0 cannot be read); save it as UTF-8 JSON"),
    # Before: "not a valid mapping: Expecting ',' delimiter: line 2 column 23 (char 46)", naming no file.
    ("comma.json", b'{"kind": "enrollment",\n "columns": {"a": "b" "c": "d"}}', "comma.json: not a valid mapping: "
     "not JSON: Expecting ',' delimiter at line 2, column 23"),
]


@pytest.mark.parametrize(("name", "data", "message"), UNREADABLE_MAPPINGS, ids=["nested", "utf16", "syntax"])
def test_a_mapping_file_that_is_no_json_is_named(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 name: str, data: bytes, message: str) -> None:
    from equity_metrics import cli
    from equity_metrics.ingest.mapping import MappingError

    mapping = tmp_path / name
    mapping.write_bytes(data)
    with pytest.raises(MappingError) as raised:
        Mapping.from_file(mapping)
    assert str(raised.value) == message
    roster = write_rows(tmp_path / "roster.csv", ["sid", "school", "grade"], [["100", "0042", "K"]])
    before = digest(db)
    assert cli.main(["import", str(roster), "--mapping", str(mapping), "--db", str(db)]) == 2
    assert capsys.readouterr() == ("", f"error: {message}\n")
    assert digest(db) == before


def test_a_missing_mapping_file_is_named(tmp_path: Path) -> None:
    from equity_metrics.ingest.mapping import MappingError

    with pytest.raises(MappingError, match=r"^absent\.json: the mapping file cannot be read \(No such file"):
        Mapping.from_file(tmp_path / "absent.json")


def test_the_data_page_names_a_mapping_file_that_is_no_json(data_page, tmp_path: Path) -> None:
    at = data_page
    roster = write_rows(tmp_path / "roster.csv", ["sid", "school", "grade"], [["100", "0042", "K"]])
    at.file_uploader[0].set_value((roster.name, roster.read_bytes(), "text/csv")).run()
    for name, data, message in UNREADABLE_MAPPINGS:
        at.file_uploader[1].set_value((name, data, "application/json")).run()
        assert not at.exception, [e.value for e in at.exception]
        assert [e.value.replace("\\", "") for e in at.error] == [message]


def test_a_saved_mapping_still_reads_back() -> None:
    mapping = Mapping("survey", {"response_id": "rid", "school_id": "school", "respondent_type": "type",
                                 "item_id": "item", "response": "answer"}, constants=dict(YEAR),
                      code_overrides={"respondent_type": {"T": "Staff"}})
    assert Mapping.from_json(mapping.to_json()) == mapping


def test_the_data_page_names_each_mapping_problem(data_page, tmp_path: Path) -> None:
    # Before: an AttributeError ('list' object has no attribute 'replace') the page did not handle.
    import json

    at = data_page
    roster = write_rows(tmp_path / "roster.csv", ["sid", "school", "grade", "hisp"], [["100", "0042", "K", "Y"]])
    at.file_uploader[0].set_value((roster.name, roster.read_bytes(), "text/csv")).run()
    at.file_uploader[1].set_value(("bad.json", json.dumps(BAD_MAPPING).encode(), "application/json")).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value.replace("\\", "") for e in at.error]
    assert shown == ["bad.json: not a valid mapping: " + "; ".join(BAD_MAPPING_PROBLEMS)]


# ---- caps: columns, schools ------------------------------------------------------------------------------
def test_a_hundred_thousand_columns_are_refused_before_reading(db: Path, tmp_path: Path) -> None:
    # Before: 40 s to read and 113 s to import.
    header = ["sid", "school", "grade", *(f"extra {i}" for i in range(99_997))]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(header) + "\n" + ",".join(["001", "0042", "K", *("x" * 99_997)]) + "\n")
    started = time.perf_counter()
    message = refused(db, [SourceSpec(path, ROSTER)], ReadError)
    assert message == ("wide.csv: cannot be read as CSV: row 1 has 100,000 cells, over the limit of 16,384 columns "
                       "for one table (the most a spreadsheet holds); export only the columns you need and load it "
                       "again")
    assert time.perf_counter() - started < 2


def test_a_wide_row_under_a_narrow_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("sid;school;grade\n" + ";".join(["1"] * 20_000) + "\n")
    with pytest.raises(ReadError, match=r"^ragged\.csv: cannot be read as CSV: row 2 has 20,000 cells, over the"):
        read_source(path)


def test_thirty_thousand_schools_are_refused(db: Path, tmp_path: Path) -> None:
    # Before: a table with 1,000,000 school names imported, then `rates oss --by school,race` ran past 120 s at
    # 2.8 GiB and the Schools page past 300 s. Now a table naming more than 20,000 schools is refused.
    path = write_rows(tmp_path / "schools.csv", ["sid", "School", "grade"],
                      [[f"{i:06d}", f"School number {i}", "K"] for i in range(30_000)])
    mapping = Mapping("enrollment", {"student_id": "sid", "school_id": "School", "grade": "grade"},
                      constants=dict(YEAR))
    message = refused(db, [SourceSpec(path, mapping)], ImportRefusedError)
    assert message == ("schools.csv: it names 30,000 different schools (column 'School'), over the limit of 20,000 "
                       "for one table; a district has far fewer. If it is a state or national file, keep only your "
                       "district's rows (or check that the school column holds school codes or names, not student "
                       "data), then load it again")


def test_caps_are_documented() -> None:
    from equity_metrics.ingest import import_limits

    assert import_limits.MAX_COLUMNS == 16_384
    assert import_limits.MAX_SCHOOLS == 20_000


def test_the_data_page_reads_and_guesses_an_upload_once(data_page, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: every rerun (any click) wrote the upload's copy, read the file and guessed again: seconds to
    # minutes per click for a wide file.
    from views import upload_reading

    calls = {"read": 0, "save": 0, "guess": 0}

    def counted(name: str, function):  # noqa: ANN001, ANN202 - a thin wrapper
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(upload_reading, "read_source", counted("read", upload_reading.read_source))
    monkeypatch.setattr(upload_reading, "save_upload", counted("save", upload_reading.save_upload))
    monkeypatch.setattr(upload_reading, "guess_mapping", counted("guess", upload_reading.guess_mapping))
    at = data_page
    roster = write_rows(tmp_path / "wide roster.csv", ["sid", "school", "grade", *(f"note {i}" for i in range(300))],
                        [[f"{i:03d}", "0042", "K", *("x" * 300)] for i in range(50)])
    at.file_uploader[0].set_value((roster.name, roster.read_bytes(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    for _ in range(3):
        at.run()
    at.selectbox(key="upload_kind").select("staff").run()
    at.selectbox(key="upload_kind").select("enrollment").run()
    assert not at.exception, [e.value for e in at.exception]
    assert calls == {"read": 1, "save": 1, "guess": 2}


def test_crafted_workbooks_never_abort_the_process(tmp_path: Path) -> None:
    # In a child process limited to 4 GiB of address space, as a server would be: each crafted workbook is a
    # ReadError, never an abort. Before: exit status 134 ("memory allocation of 549755813888 bytes failed").
    import subprocess
    import sys
    import textwrap

    far = crafted_workbook(tmp_path / "far.xlsx", f'<row r="1048576">{_cell("XFD1048576", "x")}</row>')
    near = crafted_workbook(tmp_path / "far4000.xlsx", f'<row r="4000">{_cell("XFD4000", "x")}</row>')
    amplified = amplified_workbook(tmp_path / "amplified.xlsx", cells=2_000)  # 4 GiB of text in the cells
    code = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        from equity_metrics.ingest.readers import ReadError, read_source
        for path in ({str(far)!r}, {str(near)!r}, {str(amplified)!r}):
            try:
                read_source(path)
            except ReadError as error:
                print(str(error).split(": its")[0])
    """)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "far.xlsx, sheet 'Roster': cannot be read\n"
                                                 "far4000.xlsx, sheet 'Roster': cannot be read\n"
                                                 "amplified.xlsx, sheet 'Roster': cannot be read\n"), done.stderr[-500:]


@pytest.mark.parametrize("cell", [
    "<c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c>",  # single quotes
    '<c r = "XFD1048576"\tt="inlineStr"><is><t>x</t></is></c>',  # spaces around "="
    '<c\nr="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',  # a line break before the attribute
    '<c s="1" r="XFD1048576"><v>1</v></c>',  # the reference after another attribute
    '<c r="xfd1048576" t="inlineStr"><is><t>x</t></is></c>',  # small letters
    '<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="XFD1048576" t="inlineStr">'
    "<x:is><x:t>x</x:t></x:is></x:c>",  # a namespace prefix
])
def test_a_far_cell_written_any_way_xml_allows_is_found(tmp_path: Path, no_sheet_load: None, cell: str) -> None:
    path = crafted_workbook(tmp_path / "odd.xlsx", f'<row r="1048576">{cell}</row>')
    with pytest.raises(ReadError, match=r"^odd\.xlsx, sheet 'Roster': cannot be read: its cells reach XFD1048576, "):
        read_source(path)


def test_the_same_data_can_replace_the_dataset_it_repeats(db: Path, tmp_path: Path) -> None:
    mapping, header, rows, total = CASES["counts"]
    _store_with(db, write_rows(tmp_path / "counts.csv", header, rows), mapping)
    corrected = write_rows(tmp_path / "counts corrected.csv", header, [*rows[:-1], [*rows[-1][:3], "99"]][::-1])
    from equity_metrics.ingest.importer import DuplicateDataError

    with Store(db) as store:
        with pytest.raises(DuplicateDataError) as raised:
            import_sources(store, [SourceSpec(corrected, mapping)])
        assert raised.value.dataset_id == 2
        import_sources(store, [SourceSpec(corrected, mapping)], replace=(raised.value.dataset_id,))
        assert store.scalar("SELECT count(*) FROM counts") == len(rows)
        assert store.scalar("SELECT sum(count) FROM counts") == sum(float(r[3]) for r in rows) - float(rows[-1][3]) + 99
        assert store.query("SELECT source_file FROM datasets WHERE kind = 'counts'")["source_file"].tolist() == [
            "counts corrected.csv"]


def test_the_data_page_offers_to_replace_the_dataset_a_file_repeats(data_page, tmp_path: Path) -> None:
    at = data_page
    roster = write_rows(tmp_path / "roster again.csv", ["sid", "school", "grade", "year"],
                        [["902", "0042", "3", "2024-25"], ["901", "0042", "K", "2024-25"]])  # the store's roster, re-sorted
    at.file_uploader[0].set_value((roster.name, roster.read_bytes(), "text/csv")).run()
    at.selectbox(key="upload_kind").select("enrollment").run()
    at.button(key="upload_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value.replace("\\", "") for e in at.error]
    assert len(shown) == 1 and shown[0].startswith("Nothing was imported. roster again.csv: holds the same 2 rows as "
                                                   "dataset 1 ('roster.csv', imported ")
    at.button(key="upload_replace").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("It replaced dataset 1, which held the same data." in m.value.replace("\\", "") for m in at.markdown)


def test_the_command_line_replaces_the_dataset_a_file_repeats_with_replace(db: Path, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from equity_metrics import cli

    mapping, header, rows, _ = CASES["counts"]
    _store_with(db, write_rows(tmp_path / "counts.csv", header, rows), mapping)
    saved = tmp_path / "counts.json"
    saved.write_text(mapping.to_json())
    corrected = write_rows(tmp_path / "counts corrected.csv", header, [*rows[:-1], [*rows[-1][:3], "99"]][::-1])
    command = ["import", str(corrected), "--mapping", str(saved), "--db", str(db)]
    before = digest(db)
    assert cli.main(command) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: counts corrected.csv: 399 of its 400 rows are already loaded in dataset 2 ('first'")
    assert err.endswith("Delete that dataset first to replace it, or load only the rows that are new. Or pass "
                        "--replace to replace dataset 2 with this file.\n") and out == ""
    assert digest(db) == before
    assert cli.main([*command, "--replace", "--dry-run"]) == 0
    assert "Would replace dataset 2, which held the same data." in capsys.readouterr().err
    assert digest(db) == before
    assert cli.main([*command, "--replace"]) == 0
    assert "Replaced dataset 2, which held the same data." in capsys.readouterr().err
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM counts") == len(rows)
        assert store.query("SELECT source_file FROM datasets WHERE kind = 'counts'")["source_file"].tolist() == [
            "counts corrected.csv"]


ANONYMOUS = Mapping("survey", {"response_id": "__source_row", "school_id": "school", "respondent_type": "type",
                               "grade": "grade"},
                    unpivot=Unpivot(tuple(f"Q{q}" for q in range(1, 11)), "item_id", "response"), constants=dict(YEAR))
ANONYMOUS_ROWS = [[f"{42 + r % 3:04d}", "Student", str(6 + r % 3), *(str(1 + (r * q + r // 7) % 5) for q in range(1, 11))]
                  for r in range(54)]


def test_an_anonymous_survey_re_sorted_is_the_same_data(db: Path, tmp_path: Path) -> None:
    # No respondent ID: each row is one respondent, numbered by its row in the file. Re-sorted, every respondent
    # gets another number, so the stored rows differ although the answers are the same: compared by respondent
    # (the set of their answers), the re-sorted file is the same data. Before: 540 answers became 1,080.
    header = ["school", "type", "grade", *(f"Q{q}" for q in range(1, 11))]
    _store_with(db, write_rows(tmp_path / "climate.csv", header, ANONYMOUS_ROWS), ANONYMOUS)
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM survey") == 540
        when = store.scalar("SELECT strftime(imported_at, '%Y-%m-%d %H:%M') FROM datasets WHERE name = 'first'")
    resorted = write_rows(tmp_path / "climate sorted.csv", header, sorted(ANONYMOUS_ROWS, key=lambda r: r[3:]))
    assert refused(db, [SourceSpec(resorted, ANONYMOUS)], ImportRefusedError) == (
        f"climate sorted.csv: holds the same 540 rows as dataset 2 ('first', imported {when} UTC), perhaps in another "
        "order or saved again; importing it would count every row twice. Delete that dataset first to replace it, "
        "or load only the rows that are new.")
    # Another administration of the same survey (other answers) is other data.
    spring = write_rows(tmp_path / "spring.csv", header, [[*r[:3], *(str(6 - int(v)) for v in r[3:])]
                                                         for r in ANONYMOUS_ROWS])
    with Store(db) as store:
        import_sources(store, [SourceSpec(spring, ANONYMOUS)])
        assert store.scalar("SELECT count(*) FROM survey") == 1080
