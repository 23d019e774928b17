"""Imports against the bare readers: a CSV roster against DuckDB's `read_csv`, a full Excel sheet against
fastexcel's read to Arrow.

For each file format there are four cases, each timed in its own process:
- `*_bare`: the reader alone, with its defaults, to an Arrow table (the floor any import pays);
- `*_read`: the library's reader (`readers.read_source`: guards, every cell as text, header checks, row numbers);
- `*_store`: the read plus `importer.import_into` (map, normalise codes, check, report, insert) in one
  transaction, without rebuilding the analysis tables;
- `*_import`: `importer.import_sources`, what the Data page and `python -m equity_metrics import` run: read,
  store, and rebuild the analysis tables, in one transaction.
Every library case gets a new empty store before each call (untimed): the same file is never imported twice.
The workbook guard's result is cached per file inside `readers`; it is cleared before each call, so every call
pays the check a newly uploaded file pays.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import fastexcel

from benchmarks.common import Prepared
from benchmarks.district import DEFAULT_SCHOOLS, ROSTER_HEADERS, ensure_csv, ensure_xlsx, read_meta
from equity_metrics.ingest import readers, workbook_scan
from equity_metrics.ingest.importer import SourceSpec, import_into, import_sources
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.ingest.readers import read_source
from equity_metrics.storage.store import Store


def _mapping() -> Mapping:
    return Mapping(kind="enrollment", columns={field: header for header, field in ROSTER_HEADERS.items()})


def _file(kind: str, rows: int, schools: int) -> Path:
    return ensure_csv(rows, schools) if kind == "csv" else ensure_xlsx(rows, schools)


def _info(path: Path) -> dict:
    meta = read_meta(path)
    return {"data_rows": meta["rows"], "arrow_bytes": meta["arrow_bytes"], "file_bytes": meta["file_bytes"]}


def _bare(kind: str, rows: int, schools: int) -> Prepared:
    path = _file(kind, rows, schools)
    if kind == "csv":
        connection = duckdb.connect(config={"autoinstall_known_extensions": False,
                                            "autoload_known_extensions": False})

        def run():
            return connection.read_csv(str(path)).to_arrow_table()

        return Prepared(run, info=_info(path), close=connection.close)
    def run_excel():
        return fastexcel.read_excel(str(path)).load_sheet(0).to_arrow()

    return Prepared(run_excel, info=_info(path))


def _forget_workbook_checks() -> None:
    """Every run pays the workbook guards a newly uploaded file pays: the zip check and the sheet pre-scan."""
    for cache in (getattr(readers, "_CHECKED", None), getattr(workbook_scan, "_SCANS", None)):
        if cache is not None:
            cache.clear()


def _read(kind: str, rows: int, schools: int) -> Prepared:
    path = _file(kind, rows, schools)
    def check(source) -> None:
        if source.table.num_rows != read_meta(path)["rows"]:
            raise AssertionError(f"read_source gave {source.table.num_rows:,} rows, the file holds "
                                 f"{read_meta(path)['rows']:,}")

    return Prepared(lambda: read_source(path), before_each=_forget_workbook_checks, check=check, info=_info(path))


class _FreshStores:
    """A new empty store before each call, in a private temporary folder; the previous one is deleted."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="equity-bench-import-"))
        self.store = None
        self.count = 0

    def next(self) -> None:
        self._close()
        self.count += 1
        self.store = Store(self.folder / f"import-{self.count}.duckdb")
        _forget_workbook_checks()

    def _close(self) -> None:
        if self.store is not None:
            self.store.close()
            for leftover in self.folder.glob("import-*"):
                leftover.unlink()
            self.store = None

    def close(self) -> None:
        self._close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _checked(report, rows: int) -> None:
    """The mapping must load every row cleanly, or the timing would measure rejections."""
    if isinstance(report, list):
        report = report[0]
    if report.rows_imported != rows or report.rejections or report.unknown_codes:
        raise AssertionError(f"import of the benchmark roster is not clean: {report.lines()}")


def _store(kind: str, rows: int, schools: int) -> Prepared:
    path = _file(kind, rows, schools)
    mapping, stores, data_rows = _mapping(), _FreshStores(), read_meta(path)["rows"]

    def run():
        source = read_source(path)
        with stores.store.transaction() as cursor:
            report = import_into(cursor, source, mapping, file_path=path)
        return report

    return Prepared(run, before_each=stores.next, close=stores.close, check=lambda report: _checked(report, data_rows),
                    info={**_info(path), "checked": f"all {data_rows:,} rows imported, no rejection or unknown code"})


def _import(kind: str, rows: int, schools: int) -> Prepared:
    path = _file(kind, rows, schools)
    specs, stores, data_rows = [SourceSpec(path, _mapping())], _FreshStores(), read_meta(path)["rows"]

    def run():
        return import_sources(stores.store, specs)

    def check(reports) -> None:
        _checked(reports, data_rows)
        facts = int(stores.store.scalar("SELECT count(*) FROM facts_student_year"))
        if facts != data_rows:
            raise AssertionError(f"the analysis table holds {facts:,} student-years, the file {data_rows:,}")

    return Prepared(run, before_each=stores.next, close=stores.close, check=check,
                    info={**_info(path), "checked": f"all {data_rows:,} rows imported and in the analysis table"})


def csv_bare(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    return _bare("csv", rows, schools)


def csv_read(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    return _read("csv", rows, schools)


def csv_store(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    return _store("csv", rows, schools)


def csv_import(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    return _import("csv", rows, schools)


def xlsx_bare(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    return _bare("xlsx", rows, schools)


def xlsx_read(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    return _read("xlsx", rows, schools)


def xlsx_store(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    return _store("xlsx", rows, schools)


def xlsx_import(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    return _import("xlsx", rows, schools)
