"""Command line over the same library functions as the app, for scheduled audits: same numbers, same rules.

    python -m equity_metrics indicators [--format csv|json|table]
    python -m equity_metrics rates INDICATOR [--by race[,sex]] [--year Y] [--school S] [--compare all-others|GROUP]
                                   [--min-n N] [--min-cell N] [--db PATH] [--format csv|json|table]
    python -m equity_metrics gaps INDICATOR ...   (same options)
    python -m equity_metrics association INDICATOR [--by DIM] [--year Y] [--db PATH] [--format csv|json|table]
    python -m equity_metrics import FILE [--kind K] [--mapping M.json] [--name N] [--year Y] [--year-start MM-DD]
                                  [--header-row N]
                                  [--sheet S] [--subject S] [--column FIELD=HEADER ...]
                                  [--code FIELD:VALUE=CANONICAL ...] [--replace-sample] [--replace] [--dry-run]
                                  [--db PATH]
    python -m equity_metrics datasets [--db PATH] [--format csv|json|table]
    python -m equity_metrics sample --out DIR
    python -m equity_metrics load-sample [--db PATH]
    python -m equity_metrics audit --out FILE.xlsx|FILE.pptx|FILE.html [--year Y] [--min-n N] [--min-cell N] [--db PATH]
                                 [--lang en|es|zh]
    python -m equity_metrics goals [--db PATH] [--format csv|json|table]
    python -m equity_metrics themes [--by race|role|school] [--db PATH] [--format csv|json|table]

Errors print one line to standard error (no traceback) and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from equity_metrics.cli_aggregates import add_aggregate_commands
from equity_metrics.cli_themes import add_themes
from equity_metrics.core.codes import ALL_STUDENTS, lookup
from equity_metrics.core.constants import DEFAULT_MIN_CELL, DEFAULT_MIN_N, SAMPLE_DATA_LABEL
from equity_metrics.core.i18n import LANGUAGES
from equity_metrics.ingest.importer import DuplicateDataError, ImportRefusedError, import_sources
from equity_metrics.ingest.mapping import Mapping, MappingError
from equity_metrics.ingest.readers import ReadError
from equity_metrics.ingest.saved_mappings import save_mapping
from equity_metrics.measures import adjusted, adjusted_gaps, aggregate, analysis, kept, metrics, stabilised
from equity_metrics.measures.aggregate import DimensionError, Filters
from equity_metrics.measures.indicators import INDICATORS, UnknownIndicatorError, get_indicator
from equity_metrics.measures.metrics import ALL_OTHERS, GAP_COLUMNS, RATE_COLUMNS, MetricOptions
from equity_metrics.reports.export_tables import table_csv_bytes
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store, StoreError, default_db_path, open_for_reading, store_problem

FORMATS = ("table", "csv", "json")


class CommandError(Exception):
    """A user error: printed as one line, exit status 2."""


def render(frame: pd.DataFrame, fmt: str) -> str:
    """Frame as CSV, JSON records (NaN as null) or an aligned text table."""
    if fmt == "csv":  # exactly the app's "Download table (CSV)": every non-numeric column's formula-like text
        return table_csv_bytes(frame).decode("utf-8")  # neutralised, whatever its dtype (pandas 3: `str`)
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        return json.dumps(records, indent=2, default=_json_default) + "\n"
    shown = frame.astype(object)
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            shown[column] = frame[column].map(lambda v: f"{v:.4f}")
    return shown.where(frame.notna(), "").to_string(index=False) + "\n"


def _json_default(value: object) -> object:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return str(value)


def _open_store(db: str | None) -> Store:
    path = Path(db) if db else default_db_path()
    store = open_for_reading(path)  # read-only, unless the sample district must be loaded first
    if store.is_empty():
        from equity_metrics.sample.sample_store import load_sample

        store.close()
        store = Store(path)
        print(f"The store {path} was empty: loaded {SAMPLE_DATA_LABEL}.", file=sys.stderr)
        load_sample(store)
    return store


def _comparison(value: str) -> str:
    if value == ALL_OTHERS:
        return value
    race = lookup("race", value)
    return str(race) if race and value not in INDICATORS else value


def _result_frame(result: analysis.Result, columns: Sequence[str]) -> pd.DataFrame:
    """The unit and group columns, then `columns` (for rates, with the optional ratios the table has after
    the risk ratio's interval: metrics.rate_columns); with --adjust on gaps, the adjusted gap after the crude
    difference."""
    dims = [*result.units, *result.groups]
    columns = metrics.rate_columns(result.table) if list(columns) == list(RATE_COLUMNS) else list(columns)
    if adjusted_gaps.ADJUSTED_GAP_COLUMNS[0] in result.table.columns:
        position = columns.index("mean_difference") + 1
        columns[position:position] = list(adjusted_gaps.ADJUSTED_GAP_COLUMNS)
    return result.table[[*dims, *columns]]


def cmd_indicators(args: argparse.Namespace) -> str:
    frame = pd.DataFrame([{"id": i.id, "label": i.label, "domain": i.domain, "kind": i.kind}
                          for i in INDICATORS.values()])
    return render(frame, args.format)


def _standard_shares(value: str | None) -> dict[str, float] | None:
    """`--state-composition "White=0.45,Black=0.20,..."` -> {canonical race: share}; shares must be numbers
    from 0 to 1 (they are normalised over the groups given)."""
    if not value:
        return None
    shares: dict[str, float] = {}
    for part in value.split(","):
        name, sep, number = part.partition("=")
        try:
            share = float(number)
        except ValueError:
            share = -1.0
        if not sep or not name.strip() or not 0 <= share <= 1:
            raise ValueError(f"--state-composition: {part.strip()!r} is not GROUP=SHARE with a share from 0 to 1 "
                             "(e.g. White=0.45,Hispanic=0.30)")
        shares[_comparison(name.strip())] = share
    return shares


def _filters_and_options(args: argparse.Namespace) -> tuple[list[str], Filters, MetricOptions]:
    by = [d.strip() for d in args.by.split(",") if d.strip()]
    filters = Filters(school_years=tuple(args.year or ()), schools=tuple(args.school or ()))
    options = MetricOptions(comparison=_comparison(args.compare), min_n=args.min_n, min_cell=args.min_cell)
    return by, filters, options


def default_year(store: Store, indicator_id: str | None = None) -> tuple[str | None, str]:
    """The school year a command uses when none is given, as the app picks it (`aggregate.default_school_year`:
    the latest year with enough students, not the latest a 12-student file opened), and, as the app does, a
    sentence when that is not the latest year with data ("" otherwise). For an indicator with no data in that
    year, its own latest year. (None, "") without data."""
    chosen, why = aggregate.default_school_year(store)
    years = analysis.years_with_data(store, get_indicator(indicator_id)) if indicator_id else None
    if years is not None and chosen not in years:
        return (years[-1], "") if years else (None, "")  # the command itself says what to load
    if why:  # the app's sentence, in the command line's words
        return chosen, why.replace(" is shown first:", " is used:").replace("choose it above to see it",
                                                                           "choose it with --year")
    if years and chosen != years[-1]:
        later = ", ".join(y for y in years if y > str(chosen))
        return chosen, (f"School year {chosen} is used: the latest with enough students to compare groups "
                        f"({get_indicator(indicator_id).label.lower()} also has {later}; choose it with --year).")
    return chosen, ""


def _with_default_year(store: Store, indicator_id: str, by: Sequence[str], filters: Filters) -> tuple[Filters, str]:
    """No --year and years not compared: the default year, and the sentence saying so (printed on stderr once
    the command has succeeded: a refusal stays one line)."""
    if filters.school_years or "school_year" in by:
        return filters, ""
    year, said = default_year(store, indicator_id)
    if year is None:
        return filters, ""
    return filters.with_years([year]), said


def _said(sentence: str) -> None:
    if sentence:
        print(sentence, file=sys.stderr)


def cmd_rates(args: argparse.Namespace) -> str:
    by, filters, options = _filters_and_options(args)
    with _open_store(args.db) as store:
        filters, said = _with_default_year(store, args.indicator, by, filters)
        result = analysis.rates(store, args.indicator, by, filters, options, adjusted.parse_adjust(args.adjust),
                                _standard_shares(args.state_composition))
    frame = _result_frame(result, RATE_COLUMNS)
    if args.stabilise:
        frame = _stabilised(result, frame)
    if args.with_total:
        frame = _with_totals(result, frame)
    shown = render(frame, args.format)
    _said(said)
    return shown


def _with_totals(result: analysis.Result, frame: pd.DataFrame) -> pd.DataFrame:
    """--with-total: each unit's all-students row (Result.totals: denominator, numerator, rate, as protected)
    after its groups, the group columns saying "All students"."""
    totals = result.totals.copy()
    for group in result.groups:
        totals[group] = ALL_STUDENTS
    totals = totals[[c for c in frame.columns if c in totals.columns]]
    return pd.concat([frame, totals], ignore_index=True)[list(frame.columns)]


def _stabilised(result: analysis.Result, frame: pd.DataFrame) -> pd.DataFrame:
    """--stabilise: the empirical-Bayes stabilised rate and its interval, and the reliability flag, after the
    raw rate's interval (by school only; not for surveys)."""
    if "school" not in result.units:
        raise ValueError("--stabilise compares schools: use it with --by school,<group>")
    reason = stabilised.not_offered(result.indicator)
    if reason:
        raise ValueError(reason)
    keys = stabilised.prior_keys(result.units, result.groups)
    done = stabilised.reliability(stabilised.stabilised_rates(result.table, keys, result.options.confidence).table)
    added = [*stabilised.STABILISED_COLUMNS, *stabilised.RELIABILITY_COLUMNS]
    columns = list(frame.columns)
    position = columns.index("rate_ci_high") + 1
    columns[position:position] = added
    return pd.concat([frame, done[added].reset_index(drop=True).set_axis(frame.index)], axis=1)[columns]


def cmd_gaps(args: argparse.Namespace) -> str:
    by, filters, options = _filters_and_options(args)
    with _open_store(args.db) as store:
        filters, said = _with_default_year(store, args.indicator, by, filters)
        result = analysis.gaps(store, args.indicator, by, filters, options,
                               adjust=adjusted.parse_adjust(args.adjust))
    shown = render(_result_frame(result, GAP_COLUMNS), args.format)
    _said(said)
    return shown


def cmd_association(args: argparse.Namespace) -> str:
    filters = Filters(school_years=tuple(args.year or ()))
    with _open_store(args.db) as store:
        return render(analysis.association_by_year(store, args.indicator, args.by, filters), args.format)


def cmd_datasets(args: argparse.Namespace) -> str:
    with open_for_reading(Path(args.db) if args.db else default_db_path()) as store:
        catalog = store.datasets()
    columns = ["dataset_id", "name", "kind", "source_file", "sheet", "file_size", "sha256", "imported_at",
               "rows_read", "rows_imported", "is_sample"]
    if args.format != "table":
        columns.append("mapping_json")
    return render(catalog[columns], args.format)


def cmd_goals(args: argparse.Namespace) -> str:
    from equity_metrics import goals

    with open_for_reading(Path(args.db) if args.db else default_db_path()) as store:
        return render(goals.goals_table(store), args.format)


def cmd_import(args: argparse.Namespace) -> str:
    """Import a file (every sheet of a workbook) as guessed or as the options say; `--dry-run` writes nothing."""
    from equity_metrics.ingest.import_plan import Options, PlanError, parse_codes, parse_columns, parse_year_start, plan_file

    path = Path(args.file)
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    mapping = Mapping.from_file(args.mapping) if args.mapping else None  # errors name the file
    if args.kind and args.kind not in KINDS:
        raise CommandError(f"unknown kind {args.kind!r}; use one of {', '.join(KINDS)}")
    if args.header_row is not None and args.header_row < 0:
        raise CommandError(f"--header-row {args.header_row}: give the number of rows above the header (0 or more)")
    try:
        options = Options(args.kind, mapping, args.year, args.header_row, args.sheet, args.subject,
                          parse_columns(args.column), parse_codes(args.code), args.name,
                          parse_year_start(args.year_start))
        with Store(Path(args.db) if args.db else default_db_path()) as store:
            plans, skipped = plan_file(store, path, options)
            replace_sample = _replaces_sample(store, args.replace_sample)
            reports, replaced = _import_replacing(store, [p.spec for p in plans], replace_sample, args.dry_run,
                                                  args.replace)
            if mapping is not None and not args.dry_run:  # a mapping the user wrote is remembered for next year
                for plan in plans:
                    save_mapping(store, list(plan.columns), plan.spec.mapping)
    except PlanError as error:
        if "from its headers (" in str(error) and args.header_row is None and "--header-row" not in str(error):
            raise CommandError(f"{error}; if those are not the column names, give the number of rows above the "
                               "header with --header-row N") from error
        raise CommandError(str(error)) from error
    except ReadError as error:
        if "the header (row" not in str(error) or args.header_row is not None:
            raise
        raise CommandError(f"{error} (if the header is not row {_header_row_named(error)}, give the number of rows "
                           "above it with --header-row N)") from error
    except ImportRefusedError as error:
        if "no row could be imported" not in str(error):
            raise
        raise CommandError(f"{error}; see what was read with --dry-run, then name columns with --column FIELD=HEADER "
                           "(or the rows above the header with --header-row, the year with --year)") from error
    if replace_sample:
        print(f"{'Would remove' if args.dry_run else 'Removed'} the synthetic sample district so that your files "
              "are not mixed with it; bring it back with: python -m equity_metrics load-sample", file=sys.stderr)
    for dataset_id in replaced:
        print(f"{'Would replace' if args.dry_run else 'Replaced'} dataset {dataset_id}, which held the same data.",
              file=sys.stderr)
    return _import_output(args, plans, skipped, reports)


def _header_row_named(error: ReadError) -> str:
    """The row a reader's refusal names as the header ("... in the header (row 3) ...")."""
    match = re.search(r"the header \(row (\d+)\)", str(error))
    return match.group(1) if match else "1"


def _import_replacing(store: Store, specs: list, replace_sample: bool, dry_run: bool,
                      replace: bool) -> tuple[list, tuple[int, ...]]:
    """Import; a table holding data already loaded is refused, naming --replace, or with --replace replaces the
    dataset it repeats (as the Data page offers), all in the import's one transaction."""
    replaced: tuple[int, ...] = ()
    while True:
        try:
            return import_sources(store, specs, replace_sample=replace_sample, dry_run=dry_run,
                                  replace=replaced), replaced
        except DuplicateDataError as error:
            if not replace:
                raise CommandError(f"{error} Or pass --replace to replace dataset {error.dataset_id} with this "
                                   "file.") from error
            if error.dataset_id in replaced:
                raise
            replaced += (error.dataset_id,)


def _replaces_sample(store: Store, asked: bool) -> bool:
    """Whether this import removes the synthetic sample district: always when the store holds nothing else
    (the first import of one's own file), on --replace-sample otherwise; a store mixing both is refused."""
    if not store.holds_sample():
        return False
    if asked or store.holds_only_sample():
        return True
    raise CommandError("the store holds the synthetic sample district next to your own files; importing more would "
                       "keep mixing them: pass --replace-sample to remove the sample first")


def _import_output(args: argparse.Namespace, plans: list, skipped: list[str], reports: list) -> str:
    guessed = [line for plan in plans for line in plan.lines]
    if args.format == "table":
        head = ["Dry run: nothing was written. The guess and the import report:"] if args.dry_run else []
        body = [line for report in reports for line in report.lines()]
        return "".join(f"{line}\n" for line in (*head, *body, *skipped, *guessed))
    frame = pd.DataFrame([{
        "dataset_id": None if args.dry_run else r.dataset_id, "source": r.source, "kind": r.kind,
        "rows_read": r.rows_read, "rows_imported": r.rows_imported, "rows_rejected": r.rows_rejected,
        "duplicates": r.duplicates, "report": " ".join(r.lines()), "mapping": json.dumps(json.loads(plan.spec.mapping.to_json())),
        "reasons": " ".join(line.strip() for line in plan.lines), "dry_run": bool(args.dry_run),
    } for r, plan in zip(reports, plans, strict=True)])
    return render(frame, args.format)


def cmd_sample(args: argparse.Namespace) -> str:
    from equity_metrics.sample.files import generate_sample

    paths = generate_sample(Path(args.out))
    return "".join(f"{p}\n" for p in paths)


def cmd_load_sample(args: argparse.Namespace) -> str:
    """Load the synthetic sample district; next to one's own files only on purpose, and then said."""
    from equity_metrics.sample.sample_store import load_sample

    with Store(Path(args.db) if args.db else default_db_path()) as store:
        if store.holds_sample():
            raise CommandError("the store already holds the synthetic sample district")
        own = not store.is_empty()
        reports = load_sample(store)
    if own:
        print("The synthetic sample district is now loaded next to your own files, and every command counts both; "
              "import with --replace-sample to remove it again.", file=sys.stderr)
    return "".join(line + "\n" for report in reports for line in report.lines())


def cmd_audit(args: argparse.Namespace) -> str:
    """The standard audit of one school year (every indicator by race, findings, IDEA flags) in one file."""
    from equity_metrics.reports import audit_export

    out = Path(args.out)
    if out.suffix.lower() not in audit_export.AUDIT_SUFFIXES:
        raise CommandError(f"{out.name}: cannot write a {out.suffix or 'suffix-less'} file; end --out with "
                           f"{', '.join(audit_export.AUDIT_SUFFIXES)}")
    path = Path(args.db) if args.db else default_db_path()
    if not path.exists():  # a scheduled audit must not create (or fill with the sample) a store that is not there
        raise CommandError(f"{path}: no store there; import your files first (python -m equity_metrics import FILE)")
    options = MetricOptions(min_n=args.min_n, min_cell=args.min_cell)
    with Store(path, read_only=True) as store:
        year, said = (args.year, "") if args.year else default_year(store)
        try:
            audit = audit_export.run_audit(store, year, options, lang=args.lang)
        except analysis.NoDataError:
            if args.year or year is None:
                raise
            audit = audit_export.run_audit(store, None, options, lang=args.lang)  # nothing to audit in that year
            said = f"School year {audit.year}: the latest with data; choose another with --year."
    audit_export.write_audit(audit, out)
    _said(said)
    return (f"Wrote {out}: {audit.title}, {audit.indicators_measured} indicators, {len(audit.findings)} findings, "
            f"{len(audit.flagged)} IDEA flags ({audit.source.data_label}).\n")


def _common(p: argparse.ArgumentParser, db: bool = True) -> None:
    """--format, and --db for commands that read a store."""
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    if db:
        p.add_argument("--db", help=f"store file (default: ${'EQUITY_EXPLORER_DB'} or {default_db_path()})")


def _add_indicators(commands: argparse._SubParsersAction) -> None:
    """indicators"""
    p = commands.add_parser("indicators", help="list the indicators: id, label, domain, kind")
    _common(p, db=False)
    p.set_defaults(run=cmd_indicators)


def _add_rates_and_gaps(commands: argparse._SubParsersAction) -> None:
    """rates and gaps, with the same filters and minimums"""
    for name, run, what in (("rates", cmd_rates, "rates, risk ratios and shares by group"),
                            ("gaps", cmd_gaps, "means, score gaps and Hedges' g by group")):
        p = commands.add_parser(name, help=what)
        p.add_argument("indicator", help="indicator id (see `indicators`)")
        p.add_argument("--by", default="race", help="group dimensions, comma-separated (default: race); "
                                                    "school and school_year compare within each school/year")
        p.add_argument("--year", action="append", help="school year, e.g. 2024-25 (default: the latest with enough "
                                                        "students, as the app picks it, said on stderr); repeat only "
                                                        "with --by school_year,... (years are never pooled)")
        p.add_argument("--school", action="append", help="one school's name or code (default: the district); "
                                                          "sets of schools are not offered (privacy)")
        p.add_argument("--compare", default=ALL_OTHERS, help="all-others (default) or a group, e.g. White")
        p.add_argument("--min-n", type=int, default=DEFAULT_MIN_N, help=f"minimum group size (default {DEFAULT_MIN_N})")
        p.add_argument("--min-cell", type=int, default=DEFAULT_MIN_CELL,
                       help=f"minimum numerator for a risk ratio (default {DEFAULT_MIN_CELL})")
        if name == "rates":
            p.add_argument("--adjust", metavar="DIM[,DIM]",
                           help="add the Mantel-Haenszel risk ratio stratified by this dimension: school, or a "
                                "dimension published with the group (e.g. disability or sex with race)")
            p.add_argument("--stabilise", action="store_true",
                           help="with --by school,<group>: add each school's empirical-Bayes stabilised rate, its "
                                "interval and the reliability flag (relative standard error over 30%%)")
            p.add_argument("--state-composition", metavar="GROUP=SHARE[,...]",
                           help="add the weighted risk ratio (IDEA Data Center) with these standard shares, e.g. "
                                "the State's enrollment by race: White=0.45,Hispanic=0.30,Black=0.15,...")
            p.add_argument("--with-total", action="store_true",
                           help="add each unit's row of all students (its count and rate, protected like the rest)")
        else:
            p.add_argument("--adjust", metavar="DIM[,DIM]",
                           help="add the gap adjusted by least squares for these controls (e.g. "
                                "low_income,disability), with school fixed effects, errors clustered by school")
        _common(p)
        p.set_defaults(run=run)


def _add_association(commands: argparse._SubParsersAction) -> None:
    """association"""
    p = commands.add_parser("association", help="how much a group dimension predicts an indicator, per school "
                                                "year: chi-square, Cramer's V (rates), eta squared (scores)")
    p.add_argument("indicator", help="indicator id (see `indicators`)")
    p.add_argument("--by", default="race", help="one group dimension (default: race)")
    p.add_argument("--year", action="append", help="school year, e.g. 2024-25 (default: every year with data)")
    _common(p)
    p.set_defaults(run=cmd_association)


def _add_import(commands: argparse._SubParsersAction) -> None:
    """import, with every option the Data page offers"""
    p = commands.add_parser("import", help="import a CSV file or every sheet of a workbook into the store")
    p.add_argument("file", help="the file to import")
    p.add_argument("--kind", help=f"what the table holds ({', '.join(KINDS)}); guessed from the headers if omitted")
    p.add_argument("--mapping", help="a mapping saved as JSON (from the Data page or by hand)")
    p.add_argument("--name", help="the dataset's name in the catalog (default: the file name)")
    p.add_argument("--year", help="school year of every row, e.g. 2024-25 (default: from a year or date column, "
                                  "the sheet name, the file name or a title row)")
    p.add_argument("--year-start", metavar="MM-DD",
                   help="the first day of the school year, for a year read from dates (default 07-01: July 1)")
    p.add_argument("--header-row", type=int, help="rows above the header (title rows); default: found")
    p.add_argument("--sheet", help="import only this sheet of a workbook (default: every visible sheet)")
    p.add_argument("--subject", help="subject of every score in a file that names none, e.g. Math")
    p.add_argument("--column", action="append", metavar="FIELD=HEADER",
                   help="the column holding a field, e.g. student_id=\"Stu #\" (repeatable)")
    p.add_argument("--code", action="append", metavar="FIELD:VALUE=CANONICAL",
                   help="what a code means, e.g. race:7=White or sex:1=Male (repeatable)")
    p.add_argument("--replace-sample", action="store_true",
                   help="remove the synthetic sample district first (done anyway when it is all the store holds)")
    p.add_argument("--replace", action="store_true",
                   help="when the file holds data already loaded (re-sorted or saved again), replace that dataset "
                        "with it, in one transaction (as the Data page offers)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the kind, the mapping with the reason for each guess and the import report; write nothing")
    _common(p)
    p.set_defaults(run=cmd_import)


def _add_store_commands(commands: argparse._SubParsersAction) -> None:
    """datasets, sample, load-sample, goals and audit"""
    p = commands.add_parser("datasets", help="list the loaded datasets: file, size, SHA-256, rows, when")
    _common(p)
    p.set_defaults(run=cmd_datasets)

    p = commands.add_parser("sample", help="write the synthetic sample district's files")
    p.add_argument("--out", required=True, help="folder to write into")
    p.set_defaults(run=cmd_sample)

    p = commands.add_parser("load-sample", help="import the synthetic sample district into the store")
    p.add_argument("--db", help="store file")
    p.set_defaults(run=cmd_load_sample)

    p = commands.add_parser("goals", help="every goal with its latest value and status")
    _common(p)
    p.set_defaults(run=cmd_goals)

    p = commands.add_parser("audit", help="the standard audit of a school year in one .xlsx, .pptx or .html file")
    p.add_argument("--out", required=True, help="file to write; its suffix (.xlsx, .pptx, .html) chooses the format")
    p.add_argument("--year", help="school year, e.g. 2024-25 (default: the latest with enough students, as the app "
                                  "picks it)")
    p.add_argument("--min-n", type=int, default=DEFAULT_MIN_N, help=f"minimum group size (default {DEFAULT_MIN_N})")
    p.add_argument("--min-cell", type=int, default=DEFAULT_MIN_CELL,
                   help=f"minimum numerator for a risk ratio (default {DEFAULT_MIN_CELL})")
    p.add_argument("--db", help=f"store file (default: ${'EQUITY_EXPLORER_DB'} or {default_db_path()})")
    p.add_argument("--lang", choices=LANGUAGES, default="en",
                   help="language of the audit's words: en (English), es (Spanish), zh (Chinese, Simplified)")
    p.set_defaults(run=cmd_audit)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m equity_metrics",
                                     description="Equity Explorer: equity metrics for school district data.")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_add_indicators, _add_rates_and_gaps, _add_association, _add_import, _add_store_commands):
        add(commands)
    add_aggregate_commands(commands, _common, render)  # published aggregates: staff FTE by race
    add_themes(commands, _common, render)  # coded excerpts of listening sessions (cli_themes.py)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    kept.collect_pending()
    try:
        sys.stdout.write(args.run(args))
        sys.stdout.flush()
        kept.keep_pending()  # what a read-only store had to prove, kept for the next command
    except (CommandError, StoreError, analysis.NoDataError, UnknownIndicatorError, DimensionError, ReadError,
            MappingError, ImportRefusedError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:  # the store failed while being read or written (damaged, disk, ...)
        path = Path(getattr(args, "db", None) or default_db_path())
        print(f"error: {store_problem(path, error, opening=False)}", file=sys.stderr)
        return 2
    return 0
