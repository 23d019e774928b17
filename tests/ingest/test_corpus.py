"""Issue 4 acceptance: the import corpus (tests/fixtures/corpus.py) end to end, through the command line and
through the Data page, each file's report and its expected counts per group read back through the library.

Files are imported as a user would: the guessed kind and mapping are kept, except where the corpus says a
user must correct them (title rows, a year the file does not carry, a wide file to unpivot, unusual headers);
the guess is asserted first (test_the_guess_is_the_one_expected, and on the page what it offers). Known bugs
are strict xfails whose reasons name the cause.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from fixtures.apptest import assert_ok, plain
from fixtures.command_line import run_cli as cli
from fixtures.command_line import without_sample
from fixtures.corpus import (
    BY_NAME,
    CORPUS,
    CorpusFile,
    Means,
    Rates,
    Stored,
    Table,
    requirements,
    write_corpus,
)
from streamlit.testing.v1 import AppTest

from equity_metrics.ingest.importer import column_samples
from equity_metrics.ingest.kinds import guess_kind, guess_mapping
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.ingest.readers import EXCEL_SUFFIXES, list_sheets, read_source
from equity_metrics.measures import aggregate
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
MIME = {".csv": "text/csv", ".txt": "text/plain", ".tsv": "text/tab-separated-values",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _params(bug: str) -> list:
    """One parameter per corpus file; a file with a known bug on this path is a strict xfail."""
    out = []
    for entry in CORPUS:
        reason = getattr(entry, bug)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(entry, id=entry.name, marks=marks))
    return out


# ---- fixtures --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def blank_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store file (its tables created once, copied where a test needs a store of its own)."""
    path = tmp_path_factory.mktemp("blank") / "blank.duckdb"
    Store(path).close()
    return path


class Session:
    """One store into which the corpus is imported file by file in corpus order, as a district loads its files
    (files of one school year share it). Each test imports its own file; what the file needs is imported
    first when no earlier test did it (a test run on its own)."""

    def __init__(self, load: Callable[[CorpusFile], None]) -> None:
        self._load = load
        self.loaded: set[str] = set()

    def import_requirements(self, entry: CorpusFile) -> None:
        for need in requirements(entry.name):
            if need.name not in self.loaded:
                self._load(need)
                self.loaded.add(need.name)


@dataclass
class CliSession(Session):
    db: Path
    folder: Path
    corpus: dict[str, Path]

    def __post_init__(self) -> None:
        super().__init__(self.run_import)

    def run_import(self, entry: CorpusFile) -> list[dict]:
        code, out, err = cli(*import_argv(entry, self.corpus[entry.name], self.db, self.folder))
        assert code == 0, err
        self.loaded.add(entry.name)
        return json.loads(out)


@pytest.fixture(scope="module")
def cli_session(tmp_path_factory: pytest.TempPathFactory, blank_db: Path, corpus: dict[str, Path]) -> CliSession:
    folder = tmp_path_factory.mktemp("cli")
    return CliSession(fresh_db(blank_db, folder), folder, corpus)


class AppHost:
    """Opens the app (AppTest) on the Data page over a store of the caller's; every run executes app.py, as
    conftest's entry_point_always_runs does. Opening an AppTest costs a few seconds (Streamlit scans the
    installed packages for components), so the corpus goes through one session."""

    def __init__(self, patch: pytest.MonkeyPatch, blank_db: Path) -> None:
        from streamlit.runtime.pages_manager import PagesManager

        original_init = PagesManager.__init__

        def init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            PagesManager.uses_pages_directory = False

        patch.setattr(PagesManager, "uses_pages_directory", PagesManager.uses_pages_directory)
        patch.setattr(PagesManager, "__init__", init)
        self.patch, self.blank_db = patch, blank_db

    def new_store(self, folder: Path) -> Path:
        """A store holding one staff member of 1999-00 (so the app does not load the sample district)."""
        return without_sample(fresh_db(self.blank_db, folder))

    def use(self, db: Path) -> None:
        self.patch.setenv("EQUITY_EXPLORER_DB", str(db))  # read by the app on every run

    def open(self, db: Path) -> AppTest:
        self.use(db)
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        app.switch_page("pages/data.py").run()
        assert_ok(app)
        assert app.title[0].value == "Data"
        return app


@pytest.fixture(scope="module")
def app_host(blank_db: Path):
    with pytest.MonkeyPatch.context() as patch:
        yield AppHost(patch, blank_db)


@dataclass
class PageSession(Session):
    """One browser session on the Data page, uploading the corpus file after file."""

    host: AppHost
    db: Path
    corpus: dict[str, Path]

    def __post_init__(self) -> None:
        super().__init__(self.run_import)
        self.app = self.host.open(self.db)

    def run_import(self, entry: CorpusFile) -> None:
        self.host.use(self.db)
        for table in entry.tables:
            upload_on_page(self.app, entry, table, self.corpus[entry.name])
        self.loaded.add(entry.name)


@pytest.fixture(scope="module")
def page_session(tmp_path_factory: pytest.TempPathFactory, app_host: AppHost, corpus: dict[str, Path]) -> PageSession:
    return PageSession(app_host, app_host.new_store(tmp_path_factory.mktemp("page")), corpus)


def fresh_db(template: Path, folder: Path) -> Path:
    path = folder / "store.duckdb"
    shutil.copyfile(template, path)
    return path


# ---- the command line ------------------------------------------------------------------------------------
def import_argv(entry: CorpusFile, path: Path, db: Path, folder: Path) -> list[str]:
    """`import FILE --db DB --format json`, plus the mapping JSON a user would pass for this file."""
    argv = ["import", str(path), "--db", str(db), "--format", "json"]
    mappings = [t.cli_mapping() for t in entry.tables]
    if any(mappings):
        assert len(entry.tables) == 1, "one mapping for a workbook applies to every sheet"
        mapping_path = folder / f"{path.stem}.mapping.json"
        mapping_path.write_text(mappings[0].to_json(), encoding="utf-8")
        argv += ["--mapping", str(mapping_path)]
    for table in entry.tables:
        argv += [f"--code={name}:{raw}={value}" for name, said in table.codes.items() for raw, value in said.items()]
    return argv


# ---- expected reports --------------------------------------------------------------------------------------
def source_label(entry: CorpusFile, table: Table) -> str:
    return f"{entry.name}, sheet {table.sheet!r}" if table.sheet else entry.name


def expected_lines(entry: CorpusFile, table: Table) -> list[str]:
    """The import report's sentences for this table, from the corpus's expectations."""
    kind = KINDS[table.kind]
    lines = [f"{source_label(entry, table)}: {table.rows_imported:,} of {table.rows_read:,} rows imported as "
             f"{kind.label}.", *table.skipped]
    for reason, rows in table.rejections:
        noun = "row" if len(rows) == 1 else "rows"
        more = ", ..." if len(rows) > 5 else ""
        lines.append(f"Rejected {len(rows):,} {noun}: {reason} ({noun} {', '.join(map(str, rows[:5]))}{more}).")
    for name in (f.name for f in kind.fields if f.name in table.unknown):
        codes = sorted(table.unknown[name].items(), key=lambda item: (-item[1], item[0]))
        listed = "; ".join(f"{raw!r} x{count:,}" for raw, count in codes)
        if kind.field(name).sql_type in ("DOUBLE", "DATE"):
            lines.append(f"Values not usable in {name} (not a count or date, negative, or impossible), stored as "
                         f"missing: {listed}.")
        else:
            lines.append(f"Values not recognised in {name}, stored as missing (shown as Unknown): {listed}. To read "
                         "them, say what each means and import the file again: on the command line with --code "
                         f"{name}:VALUE=CANONICAL and --replace, on the Data page under \"Codes this tool does not "
                         "know\" (then replace the dataset).")
    lines.extend(table.readings)
    for label, count in sorted(table.merged.items()):
        noun = "row uses" if count == 1 else "rows use"
        lines.append(f"Race/ethnicity: {count:,} {noun} the merged category {label!r}, which cannot be split; kept "
                     "as the file says and compared as its own group.")
    if table.x_marked:
        lines.append(f"Marked only with X, so blanks read as No: {', '.join(table.x_marked)}.")
    rows, students = table.without_roster
    if rows:
        lines.append(f"{rows:,} rows ({students:,} students) have no enrollment record for their school year: they "
                     "are stored, but counted only once the roster that lists them is loaded.")
    if table.duplicates:
        lines.append(f"{table.duplicates:,} duplicate rows (same key, e.g. student and school year); the row "
                     "imported last is used.")
    if table.ignored:
        lines.append(f"Columns ignored: {', '.join(table.ignored)}.")
    return lines


def test_expected_lines_follow_the_report_format() -> None:
    """The report builder above, on a hand-written table, gives the importer's documented sentences."""
    table = Table("discipline", 12, 9, {}, rejections=(("no action", (2, 3, 5, 8, 9, 11)),),
                  unknown={"incident_date": {"31/10/2030": 1}, "offense_category": {"Q": 2, "Z": 2, "A": 1}},
                  without_roster=(2, 1), ignored=("Notes",))
    entry = CorpusFile("d.csv", (), (table,), ())
    assert expected_lines(entry, table) == [
        "d.csv: 9 of 12 rows imported as Discipline actions.",
        "Rejected 6 rows: no action (rows 2, 3, 5, 8, 9, ...).",
        "Values not usable in incident_date (not a count or date, negative, or impossible), stored as missing: "
        "'31/10/2030' x1.",
        "Values not recognised in offense_category, stored as missing (shown as Unknown): 'Q' x2; 'Z' x2; 'A' x1. "
        "To read them, say what each means and import the file again: on the command line with --code "
        "offense_category:VALUE=CANONICAL and --replace, on the Data page under \"Codes this tool does not know\" "
        "(then replace the dataset).",
        "2 rows (1 students) have no enrollment record for their school year: they are stored, but counted only "
        "once the roster that lists them is loaded.",
        "Columns ignored: Notes.",
    ]


# ---- expected counts, read back through the library ----------------------------------------------------------
def rate_cells(store: Store, expect: Rates) -> dict[str, tuple[int, int]]:
    cells = aggregate.rate_cells(store, [INDICATORS[expect.indicator]], [expect.dimension],
                                 Filters(school_years=(expect.year,)))
    return {str(row[expect.dimension]): (int(row["denominator"]), int(row["numerator"])) for _, row in cells.iterrows()}


def check_counts(store: Store, entry: CorpusFile) -> None:
    for expect in entry.expect:
        if isinstance(expect, Rates):
            got = rate_cells(store, expect)
            if all(numerator is None for _, numerator in expect.cells.values()):
                got = {group: (denominator, None) for group, (denominator, _) in got.items()}
            assert got == expect.cells, (expect.indicator, expect.dimension)
        elif isinstance(expect, Means):
            cells = aggregate.value_cells(store, [INDICATORS[expect.indicator]], [expect.dimension],
                                          Filters(school_years=(expect.year,)))
            got = {str(row[expect.dimension]): (int(row["n"]), row["total"] / row["n"] + row["shift"])
                   for _, row in cells.iterrows()}
            assert {g: n for g, (n, _) in got.items()} == {g: n for g, (n, _) in expect.cells.items()}, expect.indicator
            for group, (_, mean) in expect.cells.items():
                assert got[group][1] == pytest.approx(mean, rel=1e-12), (expect.indicator, group)
        else:
            assert isinstance(expect, Stored)
            assert store.cursor().execute(expect.sql).fetchall() == expect.rows, expect.sql


# ---- the corpus itself ---------------------------------------------------------------------------------------
HAZARDS = ("byte-order mark", "Windows-1252", "semicolon", "tab-delimited", "title row", "totals row", "'NA'",
           "'<10'", "leading zeros", "PK", "Grade 1", "US dates", "federal race labels", "CRDC race codes",
           "race letters", "number codes", "free-text race", "two-question form", "TRUE/FALSE", "marked only with X",
           "openpyxl workbook", "two sheets", "hidden sheet", "unpivoted", "merged categories", "merged title")


def test_the_corpus_covers_the_reference(corpus: dict[str, Path]) -> None:
    assert len(CORPUS) >= 15
    described = " | ".join(h for entry in CORPUS for h in entry.hazards)
    assert [h for h in HAZARDS if h not in described] == []
    kinds = {t.kind for entry in CORPUS for t in entry.tables}
    # aggregated counts, the CRDC file, published graduation files and staff FTE (test_staff_fte.py) are tested on their own,
    # and so are course marks (the Contoso SIS export: test_marks_import.py) and school survey summaries
    # (the NYC file: test_survey_summary.py) and shares of enrollment and of the disciplined (the Georgia file:
    # test_representation_import.py)
    # coded excerpts have their own tests (test_excerpts_import.py: own files, Taguette, QualCoder)
    assert kinds == set(KINDS) - {"counts", "graduation", "staff_fte", "marks", "survey_summary", "representation",
                                  "excerpts"}
    workbooks = [n for n in corpus if corpus[n].suffix in EXCEL_SUFFIXES]
    assert len(workbooks) >= 4 and any(len(BY_NAME[n].tables) > 1 for n in workbooks)
    for entry in CORPUS:
        assert corpus[entry.name].stat().st_size > 0
        assert entry.expect, entry.name
        for expect in entry.expect:
            if isinstance(expect, (Rates, Means)):
                assert expect.cells and expect.indicator in INDICATORS
    assert corpus["enrollment_2030-31_bom.csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert "Peña".encode("cp1252") in corpus["enrollment_2031-32_windows-1252.csv"].read_bytes()
    assert b"\r\n" in corpus["interventions_2032-33.csv"].read_bytes()


@pytest.mark.parametrize("entry", _params("guess_bug"))
def test_the_guess_is_the_one_expected(entry: CorpusFile, corpus: dict[str, Path]) -> None:
    """Kind and columns guessed from the headers (below the title rows the user counts) and sample values."""
    for table in entry.tables:
        source = read_source(corpus[entry.name], table.sheet, table.header_row)
        samples = column_samples(source)
        assert guess_kind(source.columns, samples) == table.kind_guessed
        guess = guess_mapping(table.kind, source.columns, samples)
        assert guess.columns == table.guess
        assert guess.race_questions == table.guess_race_questions


# ---- through the command line --------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", _params("cli_bug"))
def test_import_through_the_command_line(entry: CorpusFile, cli_session: CliSession) -> None:
    cli_session.import_requirements(entry)
    records = cli_session.run_import(entry)
    assert [(r["source"], r["kind"], r["rows_read"], r["rows_imported"], r["rows_rejected"], r["duplicates"])
            for r in records] == [
        (source_label(entry, t), t.kind, t.rows_read, t.rows_imported, t.rows_read - t.rows_imported, t.duplicates)
        for t in entry.tables]
    for record, table in zip(records, entry.tables, strict=True):
        assert record["report"] == " ".join(expected_lines(entry, table))
    with Store(cli_session.db) as store:
        check_counts(store, entry)
        catalog = store.datasets().sort_values("dataset_id")
        assert catalog[catalog["source_file"] == entry.name][["kind", "rows_read", "rows_imported"]].values.tolist() \
            == [[t.kind, t.rows_read, t.rows_imported] for t in entry.tables]


def program(*argv: str) -> str:
    """Run `python -m equity_metrics ARGV` as its own program; its standard output."""
    result = subprocess.run([sys.executable, "-m", "equity_metrics", *argv], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_and_rates_as_programs(corpus: dict[str, Path], blank_db: Path, tmp_path: Path) -> None:
    """`python -m equity_metrics import` as its own program, as a scheduled audit runs it, then `rates`: the
    counts the CSV shows are the expected ones, and counts from 1 to 9 are not shown."""
    db = fresh_db(blank_db, tmp_path)
    text, workbook = BY_NAME["enrollment_2033-34.txt"], BY_NAME["district_export_2039-40.xlsx"]
    for entry in (text, workbook):
        records = json.loads(program(*import_argv(entry, corpus[entry.name], db, tmp_path)))
        assert [(r["kind"], r["rows_imported"]) for r in records] == [(t.kind, t.rows_imported) for t in entry.tables]
    code, out, err = cli(*import_argv(workbook, corpus[workbook.name], db, tmp_path))  # the same file again
    assert code == 2 and out == "" and "already loaded" in err and len(err.strip().splitlines()) == 1

    def expected(entry: CorpusFile, indicator: str) -> dict[tuple[str, str], tuple[int, int | None]]:
        found = [e for e in entry.expect if isinstance(e, Rates) and (e.indicator, e.dimension) == (indicator, "race")]
        rates = found[-1]  # with numerators, when the roster's students per group are listed too
        return {(rates.year, group): cell for group, cell in rates.cells.items()}

    shown = 0
    for indicator, years, cells in (
        ("sped_identification", ("2033-34", "2039-40"),
         expected(text, "sped_identification") | expected(workbook, "sped_identification")),
        ("oss", ("2039-40",), expected(workbook, "oss")),
    ):
        code, out, err = cli("rates", indicator, "--by", "school_year,race", "--db", str(db), "--format", "csv",
                             *(a for y in years for a in ("--year", y)))
        assert code == 0, err
        frame = pd.read_csv(io.StringIO(out))
        assert sorted(zip(frame["school_year"], frame["race"], strict=True)) == sorted(cells)
        for row in frame.itertuples():
            n, a = cells[(row.school_year, row.race)]
            small_n = 1 <= n <= 9
            small_a = small_n or 1 <= a <= 9 or 1 <= n - a <= 9  # "all but 3 students" tells as much as 3
            for value, want, small in ((row.denominator, n, small_n), (row.numerator, a, small_a)):
                if pd.notna(value):
                    assert int(value) == want and not small
                    shown += 1
                else:
                    # a larger count is hidden only to protect a small one (here: students whose IEP status
                    # the file leaves blank, all students of a group minus those with a known status)
                    assert row.suppressed and (small or "would reveal one" in row.note), row
    # identification's students are all students with a known IEP status: where a few students' status is
    # blank, those few would be the difference from enrollment, so most of its denominators are hidden
    assert shown >= 5


# ---- through the Data page -----------------------------------------------------------------------------------
def page_report(at: AppTest) -> list[str]:
    values = [m.value for m in at.markdown]
    start = values.index("**Import report**")
    return [plain(v.removeprefix("- ")) for v in values[start + 1:] if v.startswith("- ")]


def upload_on_page(at: AppTest, entry: CorpusFile, table: Table, path: Path) -> None:
    """Upload, pick the sheet and the title rows, accept or correct the guessed mapping, import."""
    at.file_uploader[0].set_value((path.name, path.read_bytes(), MIME[path.suffix])).run()
    first_sheet = table.sheet is None or list_sheets(path)[0] == table.sheet
    if first_sheet and not table.header_row and not entry.guess_bug:
        # The kind offered is the guess. Once the user sets the title rows, picks another sheet or loads a
        # mapping JSON, the page keeps offering the kind first shown (test_the_kind_offered_follows_the_file),
        # so the user picks the kind below; the guess itself is checked for every file in
        # test_the_guess_is_the_one_expected.
        assert at.selectbox(key="upload_kind").value == table.kind_guessed
    if any(box.key == "upload_sheet" for box in at.selectbox):  # a workbook of several sheets
        at.selectbox(key="upload_sheet").select(table.sheet).run()
    if at.number_input(key="upload_header_row").value != table.header_row:  # the title rows the user counts
        at.number_input(key="upload_header_row").set_value(table.header_row).run()
    assert_ok(at)
    assert not [box.value for box in at.info if "match a file you imported before" in box.value]  # no saved mapping
    if table.mapping is not None:  # the user loads the corrected mapping as JSON
        mapping_json = table.mapping.to_json().encode("utf-8")
        at.file_uploader[1].set_value((f"{table.kind}_mapping.json", mapping_json, "application/json")).run()
        assert_ok(at)
    if at.selectbox(key="upload_kind").value != table.kind:  # the user picks the kind
        at.selectbox(key="upload_kind").select(table.kind).run()
    shown = at.data_editor[0].value.set_index("Field")["Column in your file"]
    assert {f: c for f, c in shown.items() if c} == (table.mapping or Mapping(table.kind, table.guess)).columns
    if table.year:
        at.text_input(key="upload_year").input(table.year).run()
    at.button(key="upload_import").click().run()
    assert_ok(at)
    assert page_report(at) == expected_lines(entry, table)
    catalog = at.dataframe[0].value
    name = f"{entry.name} [{table.sheet}]" if len(list_sheets(path)) > 1 else entry.name
    assert catalog.iloc[0][["Dataset", "Kind", "Rows imported", "Rows read"]].tolist() == [
        name, table.kind, table.rows_imported, table.rows_read]


@pytest.mark.parametrize("entry", _params("page_bug"))
def test_import_through_the_data_page(entry: CorpusFile, page_session: PageSession) -> None:
    page_session.import_requirements(entry)
    page_session.run_import(entry)
    from views.cache import get_store  # the app's own store (cached by the app for its file)

    store = get_store()
    assert store.path == page_session.db
    check_counts(store, entry)




def test_the_kind_offered_follows_the_file(page_session: PageSession) -> None:
    """The kind offered is the one guessed for what the page reads now: after the user sets the title rows
    (the guess from the real header), picks another sheet (that sheet's guess), or loads a mapping JSON (its
    kind). Nothing is imported: each file replaces the one before in the uploader."""
    at, corpus = page_session.app, page_session.corpus
    page_session.host.use(page_session.db)

    def upload(entry: CorpusFile) -> None:
        path = corpus[entry.name]
        at.file_uploader[0].set_value((entry.name, path.read_bytes(), MIME[path.suffix])).run()

    offered = {}
    try:
        upload(BY_NAME["enrollment_2034-35_report.csv"])
        at.number_input(key="upload_header_row").set_value(2).run()
        offered["title rows set"] = at.selectbox(key="upload_kind").value
        upload(BY_NAME["district_export_2039-40.xlsx"])
        at.number_input(key="upload_header_row").set_value(0).run()
        at.selectbox(key="upload_sheet").select("Discipline").run()
        offered["sheet chosen"] = at.selectbox(key="upload_kind").value
        wide = BY_NAME["assessments_2031-32_wide.xlsx"]
        upload(wide)
        at.file_uploader[1].set_value(("m.json", wide.tables[0].mapping.to_json().encode(), "application/json")).run()
        offered["mapping JSON loaded"] = at.selectbox(key="upload_kind").value
        assert_ok(at)
    finally:
        at.file_uploader[0].set_value(None).run()  # no file: the page forgets these choices
    assert offered == {"title rows set": "enrollment", "sheet chosen": "discipline", "mapping JSON loaded": "assessments"}


# ---- the shared corpus: real public files (../shared/corpus, with its README's figures) ----------------------
SHARED = ROOT.parent / "shared" / "corpus"
needs_shared = pytest.mark.skipif(not (SHARED / "README.md").exists(), reason="the shared corpus is not here")


@pytest.fixture(scope="module")
def oea_db(tmp_path_factory: pytest.TempPathFactory, blank_db: Path) -> Path:
    """The published test district's roster, imported as a user would: no year in the file, so only --year."""
    db = fresh_db(blank_db, tmp_path_factory.mktemp("oea"))
    path = SHARED / "oea_students" / "part1.csv"
    code, out, err = cli("import", str(path), "--db", str(db))
    assert code == 2 and "--year" in err and "part1.csv" in err  # 'Graduation Year' is not the school year
    code, out, err = cli("import", str(path), "--db", str(db), "--year", "2019-20")
    assert code == 0, err
    assert out.startswith("part1.csv: 400 of 400 rows imported as Enrollment roster.\n")
    # statuses written as words, each reading said; program names read as an IEP, their blanks as no
    assert ("Read disability from 'SpecialEducation': 'Designated Instruction Service' as Yes x33; 'Resource "
            "Specialty Program' as Yes x20; 'Special Day Class' as Yes x15.") in out
    assert ("Read english_learner from 'ELLStatus': 'English Learner' as Yes x44; 'Redesignated Fluent English "
            "Proficient' as No x17; 'Initially Fluent English Proficient' as No x16.") in out
    assert "so blanks read as No: disability." in out
    assert "'SIS ID': the header is a name for student id" in out  # the key the marks file uses
    for credential in ("Username", "Password", "Secondary Email"):  # fictional credentials are not kept
        assert credential in out.split("Columns ignored: ")[1].split("\n")[0]
    return db


def _query(db: Path, sql: str) -> list[tuple]:
    with Store(db, read_only=True) as store:
        return store.cursor().execute(sql).fetchall()


@needs_shared
def test_the_oea_roster_gives_the_published_figures(oea_db: Path) -> None:
    """Figures 1-6 of the corpus README for oea_students/part1.csv."""
    assert _query(oea_db, "SELECT school_id, count(*) FROM enrollment GROUP BY 1 ORDER BY 1") == [
        ("sch0", 100), ("sch1", 100), ("sch2", 100), ("sch3", 100)]
    assert _query(oea_db, "SELECT grade, count(*) FROM enrollment GROUP BY 1 ORDER BY CAST(grade AS INTEGER)") == [
        ("9", 108), ("10", 108), ("11", 99), ("12", 85)]
    assert _query(oea_db, "SELECT sex, count(*) FROM enrollment GROUP BY 1 ORDER BY 1") == [("Female", 198),
                                                                                          ("Male", 202)]
    assert _query(oea_db, "SELECT race, count(*), count(*) FILTER (WHERE disability), count(*) FILTER (WHERE "
                          "low_income) FROM enrollment GROUP BY 1 ORDER BY 1") == [
        ("American Indian or Alaska Native", 87, 15, 38), ("Asian", 74, 9, 27), ("Black or African American", 90, 18, 34),
        ("Hispanic or Latino", 79, 16, 27), ("White", 70, 10, 31)]
    assert _query(oea_db, "SELECT school_id, count(*) FILTER (WHERE english_learner) FROM enrollment GROUP BY 1 "
                          "ORDER BY 1") == [("sch0", 13), ("sch1", 15), ("sch2", 7), ("sch3", 9)]
    assert _query(oea_db, "SELECT count(*), count(*) FILTER (WHERE disability) FROM enrollment WHERE school_id = "
                          "'sch0' AND race = 'Black or African American'") == [(27, 6)]
    # the same through the library's rates (what the app and `rates` show): identification by race, 400 students
    with Store(oea_db, read_only=True) as store:
        got = rate_cells(store, Rates("sped_identification", "race", "2019-20", {}))
    assert got == {"American Indian or Alaska Native": (87, 15), "Asian": (74, 9), "Black or African American": (90, 18),
                   "Hispanic or Latino": (79, 16), "White": (70, 10)}


@needs_shared
def test_the_oea_roster_rates_from_the_command_line(oea_db: Path) -> None:
    code, out, err = cli("rates", "sped_identification", "--by", "race", "--db", str(oea_db), "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out)).set_index("race")
    assert frame["denominator"].to_dict() == {"American Indian or Alaska Native": 87, "Asian": 74,
                                              "Black or African American": 90, "Hispanic or Latino": 79, "White": 70}
    # 9 Asian students is a small count, hidden; two more are hidden so that it cannot be worked out from the total
    shown = frame["numerator"].dropna().astype(int).to_dict()
    assert shown == {"American Indian or Alaska Native": 15, "Black or African American": 18}
    assert frame.loc["Asian", "suppressed"] and frame["suppressed"].sum() == 3


# A state's shares by group with each unit's enrollment imports (kind representation: the Georgia file, section 3,
# test_representation_import.py); shares alone, with no enrollment, fit no kind and are refused saying so.
PERCENTAGES_ONLY = ("District,Subgroup,% of Enrollment,% of Disciplined\r\n"
                    "North District,Black,40.0,55.0\r\nNorth District,White,60.0,45.0\r\n")


def _percentages_only(tmp_path: Path) -> Path:
    path = tmp_path / "shares_by_subgroup.csv"
    path.write_text(PERCENTAGES_ONLY, encoding="utf-8")
    return path


def test_a_file_of_percentages_only_is_refused_saying_what_it_is(blank_db: Path, tmp_path: Path) -> None:
    db = fresh_db(blank_db, tmp_path)
    path = _percentages_only(tmp_path)
    for extra in ((), ("--year", "2016-17")):
        code, out, err = cli("import", str(path), "--db", str(db), *extra)
        assert code == 2 and out == ""
        assert err.startswith(f"error: {path.name}: cannot be imported: it holds percentages by student group"), err
        assert "--kind" not in err and len(err.strip().splitlines()) == 1
    with Store(db, read_only=True) as store:
        assert store.datasets().empty


def test_the_data_page_says_what_an_unfit_file_is(page_session: PageSession, tmp_path: Path) -> None:
    """The page tells the same: no kind offered as a guess, the reason instead of "which kind is this?"."""
    at = page_session.app
    page_session.host.use(page_session.db)
    path = _percentages_only(tmp_path)
    try:
        at.file_uploader[0].set_value((path.name, path.read_bytes(), "text/csv")).run()
        assert_ok(at)
        said = [plain(w.value) for w in at.warning]
        assert any(w.startswith("This file cannot be imported: it holds percentages by student group")
                   for w in said), said
        assert not any("Which kind of file is this?" in w for w in said)
    finally:
        at.file_uploader[0].set_value(None).run()
