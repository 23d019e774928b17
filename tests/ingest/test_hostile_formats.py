"""Hostile workbooks in the other formats the reader accepts (.ods, .xls, .xlsb, .xlsm), issue 14.

Before their pre-scans (`ods_scan`, `binary_scan`, `workbook_scan`), each crafted file below made fastexcel
(calamine) ask for gigabytes from a file of a few KB, and the process aborted when the allocation failed
(exit 134, "memory allocation of ... bytes failed"), measured in a child limited to 3 GiB of address space:

| file | before |
|---|---|
| .ods, one value at XFD4000 after repeated empty rows and columns | abort (2 GB asked) on opening |
| .ods, a value repeated over 3,968 rows x 16,384 columns | abort (2 GiB asked) on opening |
| .ods of 1 KB, one cell of 30 `<text:s text:c="100000000"/>` (3 billion spaces) | abort (4 GiB asked) |
| .xls, a DIMENSIONS record declaring 4,294,967,295 rows x 65,535 columns, no cell there | abort (10 PB asked) |
| .xls, one LABEL cell in column 65,536 (the format stops at 256) | abort (128 GiB asked) on opening |
| .xls, one LABEL cell at XFD4000 | abort (2 GB asked) on opening |
| the two .xls above, under 4,096 bytes (their stream in the compound file's mini stream) | the same aborts |
| .xlsb, one cell at XFD1048576 | abort (512 GiB asked) |
| .xlsb, one cell at XFD4000 | read, at 2.4 GiB |
| .xlsb, one cell in column 16,777,216 | abort (16 GiB asked) |

.ods and .xls workbooks are parsed whole when they are opened, so they are refused before fastexcel opens them
(`no_workbook_open`); .xlsb and .xlsm sheets are read one at a time, so before a sheet is loaded.
"""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import fastexcel
import pytest
from fixtures.crafted_workbooks import ods_cell, ods_far_cell, write_ods, write_xls, write_xlsb
from fixtures.hostile_store import ROSTER, peak_python_memory, refused

from equity_metrics.ingest import workbook_scan
from equity_metrics.ingest.importer import SourceSpec
from equity_metrics.ingest.readers import ReadError, read_source

GRID = ("so reading them would need a grid of {cells} cells ({range}{declared}; the limit for one sheet is "
        "25,000,000) for the {held} cells it holds. Delete the rows and columns beyond your table (a stray value "
        "far from it, such as the one at {last}), or copy the table to a new sheet, save and load it again")


def grid_message(where: str, last: str, cells: str, held: int, beyond: bool = False, declared: str = "") -> str:
    reach = f"its cells reach {last}{' (beyond what the format allows)' if beyond else ''}, "
    return where + reach + GRID.format(cells=cells, range=f"A1:{last}", declared=declared, held=f"{held:,}", last=last)


def crafted(folder: Path) -> dict[str, Path]:
    """Every crafted file of the table above, a few KB each."""
    far = [(3999, 16383, "x")]
    files = {
        "far.ods": write_ods(folder / "far.ods", ods_far_cell(4000, 16384)),
        "quoted.ods": write_ods(folder / "quoted.ods", ods_far_cell(4000, 16384, quote="'")),
        "repeated.ods": write_ods(folder / "repeated.ods", '<table:table-row table:number-rows-repeated="3968">'
                                  + ods_cell("y", ' table:number-columns-repeated="16384"') + "</table:table-row>"),
        "spaces.ods": write_ods(folder / "spaces.ods", "<table:table-row>"
                                + ods_cell("a" + '<text:s text:c="100000000"/>' * 30) + "</table:table-row>"),
        "declared.xls": write_xls(folder / "declared.xls", dimension=(0, 0xFFFFFFFF, 0, 0xFFFF)),
        "column.xls": write_xls(folder / "column.xls", [(65535, 65535, "x")]),
        "far.xls": write_xls(folder / "far.xls", far),
        # the same, small enough (under 4,096 bytes) to sit in the compound file's mini stream
        "declared-mini.xls": write_xls(folder / "declared-mini.xls", dimension=(0, 0xFFFFFFFF, 0, 0xFFFF), small=True),
        "column-mini.xls": write_xls(folder / "column-mini.xls", [(65535, 65535, "x")], small=True),
        "far.xlsb": write_xlsb(folder / "far.xlsb", [(1048575, 16383, "x")]),
        "far4000.xlsb": write_xlsb(folder / "far4000.xlsb", far),
        "column.xlsb": write_xlsb(folder / "column.xlsb", [(31, 0xFFFFFF, "x")]),
    }
    assert all(p.stat().st_size < 8_000 for p in files.values())
    return files


WHOLE = "{name}: cannot be read as a workbook: its sheet 'Roster' cannot be read: "
SHEET = "{name}, sheet 'Roster': cannot be read: "
EXPECTED = {
    "far.ods": grid_message(WHOLE, "XFD4000", "65,536,000", 94),
    "quoted.ods": grid_message(WHOLE, "XFD4000", "65,536,000", 94),
    "repeated.ods": grid_message(WHOLE, "XFD3999", "65,519,616", 65_011_805),
    "spaces.ods": ("{name}: cannot be read as a workbook: its text asks for 3,000,000,000 repeated spaces (<text:s "
                   "text:c=...>), over the limit of 16.1 MiB for 94 cells holding a value; it looks like a 'bomb' and "
                   "was not opened. Open it and save it again, or save the sheet as CSV"),
    "declared.xls": ("{name}: cannot be read as a workbook: its sheet 'Roster' cannot be read: it declares a size "
                     "of A1:CRXO4294967295 (its DIMENSIONS record), for which the reader would reserve "
                     "281,470,681,677,825 cells (the limit for one sheet is 25,000,000), for the 93 cells it holds "
                     "(A1:C31); the file is damaged or crafted. Open it in Excel and save it as .xlsx, then load "
                     "that"),
    "declared-mini.xls": ("{name}: cannot be read as a workbook: its sheet 'Roster' cannot be read: it declares a "
                          "size of A1:CRXO4294967295 (its DIMENSIONS record), for which the reader would reserve "
                          "281,470,681,677,825 cells (the limit for one sheet is 25,000,000), for the 93 cells it "
                          "holds (A1:C31); the file is damaged or crafted. Open it in Excel and save it as .xlsx, "
                          "then load that"),
    "column.xls": grid_message(WHOLE, "CRXP65536", "4,294,967,296", 94, beyond=True, declared=", declared as A1:C31"),
    "far.xls": grid_message(WHOLE, "XFD4000", "65,536,000", 94, beyond=True, declared=", declared as A1:C31"),
    "column-mini.xls": grid_message(WHOLE, "CRXP65536", "4,294,967,296", 94, beyond=True,
                                    declared=", declared as A1:C31"),
    "far.xlsb": grid_message(SHEET, "XFD1048576", "17,179,869,184", 94, declared=", declared as A1:C31"),
    "far4000.xlsb": grid_message(SHEET, "XFD4000", "65,536,000", 94, declared=", declared as A1:C31"),
    "column.xlsb": grid_message(SHEET, "AJRNIN32", "536,870,912", 94, beyond=True, declared=", declared as A1:C31"),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_a_crafted_workbook_is_refused_before_the_reader_sees_it(db: Path, tmp_path: Path,  # noqa: F811
                                                                 monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    path = crafted(tmp_path)[name]
    guard = "read_excel" if path.suffix in (".ods", ".xls") else "load_sheet"

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"fastexcel's {guard} was called on a file the guard should have refused")
    monkeypatch.setattr(fastexcel if guard == "read_excel" else fastexcel.ExcelReader, guard, refuse)
    expected = EXPECTED[name].format(name=name)
    with pytest.raises(ReadError) as raised:
        read_source(path)
    assert str(raised.value) == expected
    workbook_scan._SCANS.clear()
    assert peak_python_memory(lambda: read_source(path)) < 8 << 20
    # The import names the same file and sheet, and leaves the store's bytes as they were.
    expected_import = expected.replace(f"{name}:", f"{name}, sheet 'Roster':", 1) if guard == "read_excel" else expected
    assert refused(db, [SourceSpec(path, ROSTER, "Roster")], ReadError) == expected_import


def test_crafted_workbooks_of_every_format_never_abort_the_process(tmp_path: Path) -> None:
    # In a child limited to 3 GiB of address space: each file is a ReadError, never an abort (before: exit 134
    # for all but far4000.xlsb, which was read at 2.4 GiB).
    files = crafted(tmp_path)
    code = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        from equity_metrics.ingest.readers import ReadError, list_sheets, read_source
        for path in {[str(p) for p in files.values()]!r}:
            try:
                list_sheets(path)
                read_source(path)
                print("read", path)
            except ReadError as error:
                print(str(error).split(":")[0].split(",")[0])
        # VmHWM: this program's own peak (ru_maxrss would keep the forking pytest's, across exec)
        hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
        print("peak", int(hwm.split()[1]) // 1024)
    """)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    assert (done.returncode, lines[:-1]) == (0, list(files)), done.stderr[-500:]
    assert int(lines[-1].split()[1]) < 400  # MiB: nothing was allocated for the grids


def test_what_the_reader_sizes_by_is_read_and_the_rest_is_harmless(tmp_path: Path) -> None:
    # LibreOffice ends every sheet with a million empty rows written once, and styles empty cells far away; an
    # .xlsb's declared dimension (BrtWsDim) is not what its reader sizes by; cells whose text has no value type
    # are not read by calamine: all read as the 30-student roster.
    cases = [
        write_ods(tmp_path / "libreoffice.ods", '<table:table-row table:number-rows-repeated="1048545">'
                  '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'),
        write_ods(tmp_path / "styled.ods", '<table:table-row table:number-rows-repeated="3968"><table:table-cell/>'
                  '</table:table-row><table:table-row><table:table-cell table:number-columns-repeated="16383"/>'
                  '<table:table-cell table:style-name="ce1"/></table:table-row>'),
        write_ods(tmp_path / "untyped.ods", ods_far_cell(4000, 16384).replace(' office:value-type="string"', "")),
        write_xlsb(tmp_path / "declared.xlsb", dimension=(0, 1048575, 0, 16383)),
        write_xls(tmp_path / "plain.xls"),
    ]
    for path in cases:
        source = read_source(path)
        assert (source.columns, source.table.num_rows) == (["sid", "school", "grade"], 30), path.name
    scan = workbook_scan.scan_workbook(cases[0])
    assert scan is not None and scan.sheets[0].used_range == "A1:C31"


def test_an_xlsm_written_by_openpyxl_with_a_far_cell_is_refused(tmp_path: Path, no_sheet_load: None) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Roster"
    sheet.append(["sid", "school", "grade"])
    for row in range(1, 31):
        sheet.append([f"{row:03d}", "0042", "K"])
    sheet["XFD1048576"] = "x"
    path = tmp_path / "macro.xlsm"
    book.save(path)
    with pytest.raises(ReadError) as raised:
        read_source(path)
    # openpyxl declares the dimension A1:XFD1048576, the cells' own range, so it is not named twice.
    assert str(raised.value) == grid_message(SHEET.format(name="macro.xlsm"), "XFD1048576", "17,179,869,184", 94)


def _noise(megabytes: int) -> bytes:
    """Text that deflate shrinks about 100 times, under the zip-bomb ratio guard of 200."""
    line = b"a" * 1000
    return b"".join(line + hashlib.sha256(str(i).encode()).hexdigest().encode()[:8] for i in range(megabytes * 1024))


def test_an_ods_whose_content_is_far_larger_than_its_cells_is_refused(tmp_path: Path, no_workbook_open: None) -> None:
    # 24 MiB of text in one cell: calamine would hold it all; the content may be 16 MiB plus 1 KiB per cell.
    path = write_ods(tmp_path / "bomb.ods", "<table:table-row>" + ods_cell(_noise(24).decode()) + "</table:table-row>")
    info = zipfile.ZipFile(path).getinfo("content.xml")
    assert 30 < info.file_size / info.compress_size < 200
    with pytest.raises(ReadError) as raised:
        read_source(path)
    assert str(raised.value) == (
        f"bomb.ods: cannot be read as a workbook: its content (content.xml) unpacks to "
        f"{info.file_size / (1 << 20):,.1f} MiB for 94 cells holding a value, over the limit of 16.1 MiB (16.0 MiB "
        "plus 1,024 bytes per cell); it looks like a 'zip bomb' and was not opened. Open it and save it again, or "
        "save the sheet as CSV")


def test_an_xlsb_whose_shared_strings_no_cell_needs_is_refused(tmp_path: Path, no_workbook_open: None) -> None:
    path = write_xlsb(tmp_path / "strings.xlsb", shared_strings=_noise(24))
    with pytest.raises(ReadError, match=r"^strings\.xlsb: cannot be read as a workbook: its shared strings "
                                        r"\(xl/sharedStrings\.bin\) unpack to 23\.6 MiB for 0 text cells in its "
                                        r"sheets, over the limit of 16\.0 MiB"):
        read_source(path)


@pytest.mark.parametrize("suffix", [".ods", ".xlsb", ".xlsm"])
def test_a_zip_bomb_in_any_zip_workbook_is_refused(tmp_path: Path, no_workbook_open: None, suffix: str) -> None:
    # A part that unpacks to 64 MiB of zeros, about 1,000 times its stored size.
    path = tmp_path / f"bomb{suffix}"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml" if suffix == ".ods" else "xl/worksheets/sheet1.bin", b"\x00" * (64 << 20))
    with pytest.raises(ReadError, match=rf"^bomb\{suffix}: cannot be read as a workbook: its part \S+ would unpack "
                                        r"to 64\.0 MiB, 1,0\d\d times its stored size \(real sheets stay under 200\); "
                                        r"it looks like a 'zip bomb' and was not opened$"):
        read_source(path)


def test_an_ods_tag_too_long_to_scan_is_refused(tmp_path: Path, no_workbook_open: None) -> None:
    # A repeat count hidden at the end of a 20 MiB tag: the scan does not drop what it cannot hold, it refuses.
    padding = " ".join(f'x:a{i}="{i}"' for i in range(2_000_000))
    path = write_ods(tmp_path / "long tag.ods", "<table:table-row><table:table-cell " + padding
                     + ' table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
                     "</table:table-cell></table:table-row>")
    with pytest.raises(ReadError) as raised:
        read_source(path)
    assert str(raised.value) == ("long tag.ods: cannot be read as a workbook: one tag in content.xml is longer than "
                                 "16 MiB; the file is damaged or crafted. Open it and save it again, or save the sheet "
                                 "as CSV")


def test_a_far_cell_hidden_in_a_very_long_record_is_still_found(tmp_path: Path, no_sheet_load: None) -> None:
    # A cell tag (.xlsx) or record (.xlsb) of several MiB was once skipped whole by the scan, reference and all,
    # while calamine reads it: the far cell then asked for 512 GiB again. Now a long tag is kept whole (up to
    # 16 MiB, then refused) and a long record's position is read before the rest streams by.
    from test_hostile_files import crafted_workbook

    padding = " ".join(f'x{i}="{i}"' for i in range(300_000))  # a 4.9 MB tag
    xlsx = crafted_workbook(tmp_path / "long tag.xlsx", f'<row r="1048576"><c {padding} r="XFD1048576" '
                            't="inlineStr"><is><t>x</t></is></c></row>')
    xlsb = write_xlsb(tmp_path / "long record.xlsb", [(1048575, 16383, "x" * 3_000_000)])  # a 6 MB record
    for path in (xlsx, xlsb):
        with pytest.raises(ReadError, match=rf"^{path.name}, sheet 'Roster': cannot be read: its cells reach "
                                            r"XFD1048576, so reading them would need a grid of 17,179,869,184 cells"):
            read_source(path)
    noise = hashlib.shake_128(b"tag").hexdigest(17 << 19)  # 17 MiB that deflate cannot shrink much
    huge = crafted_workbook(tmp_path / "huge tag.xlsx", f'<row r="40"><c x="{noise}" r="A40"/></row>')
    with pytest.raises(ReadError) as raised:
        read_source(huge)
    assert str(raised.value) == ("huge tag.xlsx: cannot be read as a workbook: one tag in xl/worksheets/sheet1.xml is "
                                 "longer than 16 MiB; the file is damaged or crafted. Open it and save it again, or "
                                 "save the sheet as CSV")


def test_a_sheet_of_too_many_cell_records_is_refused_without_counting_them_all(
        tmp_path: Path, no_sheet_load: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Records writing cell A32 again and again: the grid is small, the work is not; the count stops past the
    # limit (at the end of the 1 MiB block; the limit lowered here to 1,000 so that the file stays small).
    from fixtures.crafted_workbooks import _record

    from equity_metrics.ingest import binary_scan

    monkeypatch.setattr(workbook_scan, "MAX_SHEET_CELLS", 1_000)
    monkeypatch.setattr(binary_scan, "MAX_SHEET_CELLS", 1_000)
    record = _record(0x0005, struct.pack("<IId", 0, 0, 1.0))  # BrtCellReal at column A
    path = write_xlsb(tmp_path / "records.xlsb")
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.bin"]
    end = sheet.rindex(_record(0x0092))
    parts["xl/worksheets/sheet1.bin"] = (sheet[:end] + _record(0x0000, struct.pack("<IIHBBI", 31, 0, 300, 0, 0, 0))
                                         + record * 5_000 + sheet[end:])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(ReadError, match=r"^records\.xlsb, sheet 'Roster': cannot be read: it holds more than "
                                        r"1,000 cell records \(the limit for one sheet\), many of them in the "
                                        r"same places \(A1:C32\); the file is damaged or crafted"):
        read_source(path)


def test_an_xls_whose_compound_file_cannot_be_checked_is_refused(tmp_path: Path, no_workbook_open: None) -> None:
    # The directory points past the end of the file: calamine would be handed a workbook nobody checked.
    path = write_xls(tmp_path / "broken.xls")
    data = bytearray(path.read_bytes())
    data[48:52] = (9_999).to_bytes(4, "little")  # the directory's first sector
    path.write_bytes(bytes(data))
    with pytest.raises(ReadError) as raised:
        read_source(path)
    assert str(raised.value) == (
        "broken.xls: cannot be read as a workbook: its sheets could not be checked before reading (the compound "
        "file's tables or its Workbook stream are damaged or missing); open it in Excel and save it as .xlsx, then "
        "load that")


def test_an_xls_whose_sector_chain_loops_is_refused_at_once(tmp_path: Path, no_workbook_open: None) -> None:
    # The FAT sends the Workbook stream's last sector back to its first: a walk that never ends, unless bounded
    # by the sectors the file holds.
    path = write_xls(tmp_path / "loop.xls")
    data = bytearray(path.read_bytes())
    fat = list(struct.unpack_from("<128I", data, 512))
    last = next(i for i in range(2, 128) if fat[i] == 0xFFFFFFFE)
    fat[last] = 2
    struct.pack_into("<128I", data, 512, *fat)
    path.write_bytes(bytes(data))
    started = time.perf_counter()
    with pytest.raises(ReadError, match=r"^loop\.xls: cannot be read as a workbook: its sheets could not be checked"):
        read_source(path)
    assert time.perf_counter() - started < 2


def test_an_ods_asking_for_billions_of_spaces_is_refused(tmp_path: Path, no_workbook_open: None) -> None:
    # <text:s text:c="N"/> stands for N spaces: 30 of them at 100,000,000 in a 1 KB file made calamine ask for
    # 4 GiB (abort). Spaces count like the content's bytes: 16 MiB plus 1 KiB per cell holding a value.
    bomb = write_ods(tmp_path / "spaces.ods", "<table:table-row>" + ods_cell("a" + '<text:s text:c="100000000"/>' * 30)
                     + "</table:table-row>")
    with pytest.raises(ReadError) as raised:
        read_source(bomb)
    assert str(raised.value) == (
        "spaces.ods: cannot be read as a workbook: its text asks for 3,000,000,000 repeated spaces (<text:s "
        "text:c=...>), over the limit of 16.1 MiB for 94 cells holding a value; it looks like a 'bomb' and was not "
        "opened. Open it and save it again, or save the sheet as CSV")
    fine = write_ods(tmp_path / "indented.ods", "<table:table-row>" + ods_cell('a<text:s text:c="4"/>b')
                     + "</table:table-row>")
    assert workbook_scan.workbook_problem(fine) is None  # a few spaces, as office suites write them


def test_the_data_page_names_a_crafted_workbook_and_keeps_running(data_page, tmp_path: Path) -> None:  # noqa: F811
    # Before: uploading the .ods below aborted the Streamlit server for everyone (calamine asked for 2 GB).
    at = data_page
    path = write_ods(tmp_path / "far.ods", ods_far_cell(4000, 16384))
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/vnd.oasis.opendocument.spreadsheet")).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value.replace("\\", "") for e in at.error]
    assert len(shown) == 1 and "far.ods: not a readable workbook: its sheet 'Roster' cannot be read: its cells reach " \
        "XFD4000, so reading them would need a grid of 65,536,000 cells" in shown[0], shown
