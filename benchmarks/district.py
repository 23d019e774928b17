"""The synthetic districts the benchmarks measure, generated once per size into the cache folder.

    python -m benchmarks.district store --rows 1000000      # a store with N student-year rows
    python -m benchmarks.district csv --rows 1000000        # the same roster as a district would export it
    python -m benchmarks.district xlsx --rows 1048575       # the roster as one workbook sheet

A district of N student-year rows spans three school years and `schools` schools (60 unless told), 13 grades
(K-12) and the seven federal race/ethnicity categories. In proportion to the roster it holds discipline actions
(8% of students a year, 24% of Black students), AP course enrollments (15% of high-school students) and two
assessments (math, reading) for every student in grades 3-8 and 10. Everything is generated in SQL from
`hash()`, so a size is the same data every time. The store is written directly in the canonical tables and its
analysis tables rebuilt (as an import would leave them); the CSV and workbook hold the roster with export-style
headers and codes ("KG", "01", "Y"/"N", "F"/"M"), which the importer maps.

Each file is named by its size and a hash of this generator and the library code that shapes it, and a JSON
file beside it records its rows and its size in Arrow; a changed generator makes new files (delete old ones by
hand). Prints the path of the file it made or found.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

from benchmarks.common import MIB, ROOT, cache_dir, source_hash

YEARS = (("2022-23", 0), ("2023-24", 1), ("2024-25", 2))
RACES = ("Hispanic or Latino", "American Indian or Alaska Native", "Asian", "Black or African American",
         "Native Hawaiian or Other Pacific Islander", "White", "Two or more races")
RACE_CUTS = (30, 31, 37, 57, 58, 96, 100)  # cumulative percent of students
GRADES = ("K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
DEFAULT_SCHOOLS = 60
EXCEL_MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header row

# Export-style headers of the roster file and the mapping that loads it (raw header -> canonical field).
ROSTER_HEADERS = {
    "School Year": "school_year", "Student ID": "student_id", "School Code": "school_id", "School Name": "school_name",
    "Grade": "grade", "Race/Ethnicity": "race", "Gender": "sex", "IEP": "disability", "504 Plan": "section_504",
    "English Learner": "english_learner", "Low Income": "low_income", "Gifted": "gifted",
    "Days Enrolled": "days_enrolled", "Days Absent": "days_absent",
}

_GENERATOR_FILES = (Path(__file__),)
_STORE_FILES = (*_GENERATOR_FILES, *(ROOT / "equity_metrics" / name for name in (
    "storage/facts.py", "storage/schema.py", "storage/store.py", "core/codes.py", "core/constants.py",
    "storage/user_tables.py")))


def _race_case() -> str:
    return "CASE " + " ".join(f"WHEN h < {cut} THEN '{race}'" for cut, race in zip(RACE_CUTS, RACES, strict=True)) + " END"


def roster_sql(rows: int, schools: int) -> str:
    """SELECT of `rows` canonical enrollment rows: row j is student j // 3 in school year j % 3."""
    years = "CASE k " + " ".join(f"WHEN {k} THEN '{year}'" for year, k in YEARS) + " END"
    grades = "CASE (i + k) % 13 " + " ".join(f"WHEN {g} THEN '{grade}'" for g, grade in enumerate(GRADES)) + " END"
    return f"""
        SELECT {years} AS school_year, lpad(CAST(i AS VARCHAR), 8, '0') AS student_id,
               lpad(CAST(i % {schools} AS VARCHAR), 4, '0') AS school_id,
               'School ' || CAST(i % {schools} AS VARCHAR) AS school_name, {grades} AS grade, {_race_case()} AS race,
               CASE WHEN hash(i, 1) % 2 = 0 THEN 'Female' ELSE 'Male' END AS sex,
               hash(i, 2) % 100 < 14 AS disability, hash(i, 3) % 100 < 3 AS section_504,
               hash(i, 4) % 100 < 12 AS english_learner, hash(i, 5) % 100 < 45 AS low_income,
               hash(i, 6) % 100 < 7 AS gifted, 180.0 AS days_enrolled, CAST(hash(i, k, 7) % 30 AS DOUBLE) AS days_absent
        FROM (SELECT range // 3 AS i, range % 3 AS k, hash(range // 3) % 100 AS h FROM range({rows}))
    """


def export_sql(rows: int, schools: int) -> str:
    """The roster as a student information system exports it: text codes, Y/N flags, zero-padded grades."""
    def yn(column: str) -> str:
        return f"CASE WHEN {column} THEN 'Y' ELSE 'N' END"

    grade = "CASE WHEN grade = 'K' THEN 'KG' ELSE lpad(grade, 2, '0') END"
    names = list(ROSTER_HEADERS)
    values = ["school_year", "student_id", "school_id", "school_name", grade, "race", "left(sex, 1)",
              yn("disability"), yn("section_504"), yn("english_learner"), yn("low_income"), yn("gifted"),
              "CAST(days_enrolled AS INTEGER)", "CAST(days_absent AS INTEGER)"]
    select = ", ".join(f'{value} AS "{name}"' for name, value in zip(names, values, strict=True))
    return f"SELECT {select} FROM ({roster_sql(rows, schools)}) ORDER BY school_year, student_id"


def _events_sql() -> list[str]:
    """Discipline, courses and assessments, in proportion to the enrollment rows already inserted."""
    return [
        """INSERT INTO discipline
           SELECT 1, school_year, student_id, school_id, NULL, NULL, 'Defiance',
                  CASE WHEN hash(student_id, 9) % 2 = 0 THEN 'Subjective' ELSE 'Objective' END,
                  CASE hash(student_id, school_year, 8) % 4 WHEN 0 THEN 'In-school suspension'
                       WHEN 1 THEN 'Out-of-school suspension' WHEN 2 THEN 'Detention'
                       ELSE 'Law enforcement referral' END,
                  1 + hash(student_id) % 5
           FROM enrollment
           WHERE hash(student_id, school_year, 10) % 100 < CASE WHEN race = 'Black or African American' THEN 24 ELSE 8 END""",
        """INSERT INTO courses
           SELECT 1, school_year, student_id, school_id, 'AP101', 'AP Course', 'AP', hash(student_id, 12) % 100 < 70,
                  1 + hash(student_id) % 5
           FROM enrollment WHERE grade IN ('9', '10', '11', '12') AND hash(student_id, school_year, 11) % 100 < 15""",
        """INSERT INTO assessments
           SELECT 1, school_year, student_id, school_id, subject, grade,
                  2500 + (hash(student_id, subject, school_year) % 300) - 150, NULL,
                  hash(student_id, subject, school_year) % 300 > 160
           FROM enrollment, (VALUES ('Math'), ('Reading')) t(subject)
           WHERE grade IN ('3', '4', '5', '6', '7', '8', '10')""",
    ]


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def read_meta(path: Path) -> dict:
    return json.loads(_meta_path(path).read_text())


def _write_meta(path: Path, meta: dict) -> None:
    _meta_path(path).write_text(json.dumps(meta, indent=2))


def _duckdb_version() -> str:
    import duckdb

    return duckdb.__version__


def store_path(rows: int, schools: int = DEFAULT_SCHOOLS) -> Path:
    key = source_hash(*_STORE_FILES, extra=_duckdb_version())
    return cache_dir() / f"store-{rows}-s{schools}-{key}.duckdb"


def csv_path(rows: int, schools: int = DEFAULT_SCHOOLS) -> Path:
    return cache_dir() / f"roster-{rows}-s{schools}-{source_hash(*_GENERATOR_FILES)}.csv"


def xlsx_path(rows: int, schools: int = DEFAULT_SCHOOLS) -> Path:
    return cache_dir() / f"roster-{rows}-s{schools}-{source_hash(*_GENERATOR_FILES)}.xlsx"


def ensure_store(rows: int, schools: int = DEFAULT_SCHOOLS) -> Path:
    """A store holding the district (canonical tables, catalog and analysis tables), built once."""
    path = store_path(rows, schools)
    if path.exists() and _meta_path(path).exists():
        return path
    from equity_metrics.storage.facts import rebuild_facts
    from equity_metrics.storage.store import CATALOG_TABLE, Store, bump_data_version

    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    with Store(partial) as store:
        with store.transaction() as cursor:
            cursor.execute(f"INSERT INTO enrollment SELECT 1, * FROM ({roster_sql(rows, schools)})")
            for sql in _events_sql():
                cursor.execute(sql)
            # One catalog row per kind, so the app sees the store as holding data (and not the sample).
            for dataset_id, kind in enumerate(("enrollment", "discipline", "courses", "assessments"), start=1):
                count = cursor.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]
                cursor.execute(f"INSERT INTO {CATALOG_TABLE} (dataset_id, name, kind, rows_read, rows_imported, "
                               "is_sample) VALUES (?, ?, ?, ?, ?, FALSE)",
                               [dataset_id, f"benchmark {kind}", kind, count, count])
            rebuild_facts(cursor)
            bump_data_version(cursor)
        store.cursor().execute("CHECKPOINT")
        counts = {t: int(store.scalar(f"SELECT count(*) FROM {t}")) for t in
                  ("enrollment", "discipline", "courses", "assessments", "facts_student_year", "facts_assessment")}
        with warnings.catch_warnings():  # DuckDB warns that Arrow from execute() copies: fine here
            warnings.simplefilter("ignore")
            arrow_bytes = {t: int(store.cursor().execute(f"SELECT * FROM {t}").to_arrow_table().nbytes)
                           for t in ("facts_student_year", "facts_assessment")}
    partial.rename(path)
    _write_meta(path, {"rows": rows, "schools": schools, "counts": counts, "arrow_bytes": arrow_bytes,
                       "arrow_bytes_total": sum(arrow_bytes.values()),
                       "built_seconds": round(time.perf_counter() - started, 1)})
    return path


def _plain_connection():
    import duckdb

    return duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


def ensure_csv(rows: int, schools: int = DEFAULT_SCHOOLS) -> Path:
    """The roster of N student-year rows as a CSV export (comma-separated, header row, UTF-8)."""
    path = csv_path(rows, schools)
    if path.exists() and _meta_path(path).exists():
        return path
    partial = path.with_name(path.name + ".partial")
    connection = _plain_connection()
    try:
        connection.execute(f"COPY ({export_sql(rows, schools)}) TO '{partial}' (FORMAT csv, HEADER true)")
        arrow = connection.read_csv(str(partial)).to_arrow_table()
        meta = {"rows": arrow.num_rows, "columns": arrow.num_columns, "arrow_bytes": int(arrow.nbytes),
                "file_bytes": partial.stat().st_size}
        del arrow
    finally:
        connection.close()
    partial.rename(path)
    _write_meta(path, meta)
    return path


def ensure_xlsx(rows: int, schools: int = DEFAULT_SCHOOLS) -> Path:
    """The roster's first `rows` rows as one sheet of an .xlsx workbook, written once by a streaming writer
    (xlsxwriter in constant-memory mode if installed, else openpyxl write-only: a few minutes for a full sheet)."""
    if rows > EXCEL_MAX_DATA_ROWS:
        raise SystemExit(f"a sheet holds at most {EXCEL_MAX_DATA_ROWS:,} data rows (below its header)")
    path = xlsx_path(rows, schools)
    if path.exists() and _meta_path(path).exists():
        return path
    partial = path.with_name(path.stem + ".partial.xlsx")
    connection = _plain_connection()
    started = time.perf_counter()
    try:
        result = connection.execute(export_sql(rows, schools))
        header = [d[0] for d in result.description]
        batches = iter(lambda: result.fetchmany(50_000), [])
        writer = _write_xlsxwriter if _has_xlsxwriter() else _write_openpyxl
        writer(partial, header, batches)
    finally:
        connection.close()
    import fastexcel

    arrow = fastexcel.read_excel(str(partial)).load_sheet(0).to_arrow()
    meta = {"rows": arrow.num_rows, "columns": arrow.num_columns, "arrow_bytes": int(arrow.nbytes),
            "file_bytes": partial.stat().st_size, "written_seconds": round(time.perf_counter() - started, 1),
            "writer": "xlsxwriter" if _has_xlsxwriter() else "openpyxl write_only"}
    partial.rename(path)
    _write_meta(path, meta)
    return path


def _has_xlsxwriter() -> bool:
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        return False
    return True


def _write_openpyxl(path: Path, header: list[str], batches) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Roster")
    sheet.append(header)
    for batch in batches:
        for row in batch:
            sheet.append(row)
    workbook.save(path)


def _write_xlsxwriter(path: Path, header: list[str], batches) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Roster")
    sheet.write_row(0, 0, header)
    index = 1
    for batch in batches:
        for row in batch:
            sheet.write_row(index, 0, row)
            index += 1
    workbook.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("store", "csv", "xlsx"))
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS)
    args = parser.parse_args(argv)
    make = {"store": ensure_store, "csv": ensure_csv, "xlsx": ensure_xlsx}[args.what]
    started = time.perf_counter()
    path = make(args.rows, args.schools)
    meta = read_meta(path)
    print(f"{path} ({os.path.getsize(path) / MIB:,.1f} MiB, {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    print(json.dumps({"path": str(path), **meta}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
