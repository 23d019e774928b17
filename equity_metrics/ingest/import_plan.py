"""What `import` will do with a file, decided before anything is written: one plan per CSV file or sheet, with
the kind, the mapping and the reasons (`kinds.Guess`), or the mapping the user gave or an earlier import
remembered. The command line's options are the Data page's choices: `--kind`, `--year`, `--year-start`, `--header-row`,
`--sheet`, `--subject`, `--column FIELD=HEADER`, `--code FIELD:VALUE=CANONICAL`; every refusal names the option
that fixes it (`PlanError`). A status written as a word no code list reads ("Exited (Yr 2)" in an EL status
column) is refused naming `--code`, never stored as missing in silence (status_codes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from equity_metrics.ingest.importer import SourceSpec, column_samples
from equity_metrics.ingest.kinds import Guess, find_year, guess_table
from equity_metrics.ingest.mapping import Mapping, MappingError
from equity_metrics.ingest.mapping import parse_year_start as parse
from equity_metrics.ingest.readers import SourceTable, list_sheets, read_source
from equity_metrics.ingest.saved_mappings import saved_mapping
from equity_metrics.ingest.status_codes import unread_in_table, unread_message
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store


class PlanError(ValueError):
    """The file cannot be imported as asked; the message names the file or sheet and the option to use.
    `fits_nothing`: no kind fits the table at all (a notes or code-list sheet beside the data sheets)."""

    def __init__(self, message: str, fits_nothing: bool = False) -> None:
        super().__init__(message)
        self.fits_nothing = fits_nothing


@dataclass(frozen=True)
class Options:
    """The user's choices (the command line's options, the Data page's fields)."""

    kind: str | None = None
    mapping: Mapping | None = None
    year: str | None = None
    header_row: int | None = None
    sheet: str | None = None
    subject: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    name: str | None = None
    year_start: tuple[int, int] | None = None  # (month, day) a school year starts, for years read from dates


@dataclass(frozen=True)
class Plan:
    """One table to import, with how its mapping was found (sentences for the screen)."""

    spec: SourceSpec
    columns: tuple[str, ...]
    lines: tuple[str, ...]


def parse_columns(items: list[str] | None) -> dict[str, str]:
    """`--column FIELD=HEADER` options as {field: header}."""
    out = {}
    for item in items or ():
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header:
            raise PlanError(f"--column {item!r}: write it as FIELD=HEADER, for example --column student_id=\"Stu #\"")
        out[name.strip()] = header
    return out


def parse_year_start(text: str | None) -> tuple[int, int] | None:
    """`--year-start MM-DD` as (month, day); None when not given."""
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as error:
        raise PlanError(f"--year-start {error}") from error


def parse_codes(items: list[str] | None) -> dict[str, dict[str, str]]:
    """`--code FIELD:VALUE=CANONICAL` options as {field: {value: canonical}}."""
    out: dict[str, dict[str, str]] = {}
    for item in items or ():
        name, sep, rest = item.partition(":")
        value, sep2, canonical = rest.partition("=")
        if not sep or not sep2 or not name.strip() or not value:
            raise PlanError(f"--code {item!r}: write it as FIELD:VALUE=CANONICAL, for example --code race:7=White")
        out.setdefault(name.strip(), {})[value] = canonical
    return out


def _check_user_columns(source: SourceTable, kind: str, options: Options) -> None:
    fields = KINDS[kind].field_names
    for name, header in options.columns.items():
        if name not in fields:
            raise PlanError(f"--column {name}={header}: {KINDS[kind].label} has no field {name!r} "
                            f"(fields: {', '.join(fields)}); use --kind if the kind is wrong")
        if header not in source.columns:
            raise PlanError(f"--column {name}={header}: {source.label} has no column named {header!r} "
                            f"(columns: {', '.join(source.columns[:12])}); check --header-row if the header is "
                            "lower down")


def _given(source: SourceTable, mapping: Mapping, options: Options, how: str, file_name: str) -> tuple[Mapping, list[str]]:
    """A mapping the user gave or an earlier import remembered, with the year found where it is missing."""
    lines = [f"{source.label}: kind {mapping.kind}: {how}."]
    from_dates = mapping.year_from_date and "school_year" not in mapping.columns | mapping.constants
    if options.year or "school_year" not in mapping.fields_supplied() or (options.year_start and from_dates):
        mapping, why = find_year(source, mapping, column_samples(source), file_name, options.year, options.year_start)
        if why:
            lines.append(f"  school_year: {why}")
    if options.columns or options.codes:
        codes = {f: {**mapping.code_overrides.get(f, {}), **v} for f, v in options.codes.items()}
        mapping = replace(mapping, columns={**mapping.columns, **options.columns},
                          code_overrides={**mapping.code_overrides, **codes})
    return mapping, lines + [f"  note: {n}" for n in source.notes]


def plan_table(store: Store, path: Path, source: SourceTable, options: Options) -> tuple[Mapping, list[str]]:
    """The mapping for one table and the sentences saying where it came from; raises PlanError naming the
    option that fixes a problem."""
    if options.mapping is not None:
        mapping, lines = _given(source, options.mapping, options, f"from the mapping file ({options.mapping.kind})",
                                path.name)
    else:
        saved = saved_mapping(store, source.columns, options.kind)
        if saved is not None:
            mapping, lines = _given(source, saved, options, "the mapping confirmed for a file with these columns",
                                    path.name)
        else:
            guess = _guess(source, options, path.name)
            problem = guess.problem()
            if problem:
                raise PlanError(problem, fits_nothing=guess.kind is None and not guess.choices)
            assert guess.mapping is not None
            mapping, lines = guess.mapping, guess.lines()
    if options.header_row is not None:
        mapping = replace(mapping, header_row=options.header_row)
    for name in options.codes:
        if name not in KINDS[mapping.kind].field_names:
            raise PlanError(f"--code {name}:...: {KINDS[mapping.kind].label} has no field {name!r} (fields: "
                            f"{', '.join(KINDS[mapping.kind].field_names)})")
    try:
        mapping.validate(source.columns, source.label)
    except MappingError as error:
        option = "--code FIELD:VALUE=CANONICAL" if "is not a value of" in str(error) else "--column FIELD=HEADER"
        raise PlanError(f"{error}; fix it with {option} (or --mapping)") from error
    return mapping, lines


def _guess(source: SourceTable, options: Options, file_name: str) -> Guess:
    samples = column_samples(source) if source.table.num_rows else None
    if options.kind and options.columns:
        _check_user_columns(source, options.kind, options)
    guess = guess_table(source, samples, kind=options.kind, year=options.year, subject=options.subject,
                        columns=options.columns, codes=options.codes, file_name=file_name,
                        year_start=options.year_start)
    if guess.kind and options.columns and not options.kind:
        _check_user_columns(source, guess.kind, options)
    return guess


def plan_file(store: Store, path: Path, options: Options) -> tuple[list[Plan], list[str]]:
    """One plan per table (the CSV, the sheet asked for, or every visible sheet), and sentences about sheets
    left out (a sheet no kind fits, in a workbook whose other sheets import)."""
    listed = list_sheets(path)
    if options.sheet and not listed:
        raise PlanError(f"--sheet {options.sheet!r}: {path.name} is not a workbook, it has no sheets; leave out --sheet")
    sheets = [options.sheet] if options.sheet else (listed or [None])
    plans, skipped = [], []
    for sheet in sheets:
        header_row = options.header_row if options.header_row is not None else (
            options.mapping.header_row if options.mapping else 0)
        source = read_source(path, sheet, header_row)
        try:
            mapping, lines = plan_table(store, path, source, options)
        except PlanError as error:
            if len(sheets) > 1 and (error.fits_nothing or options.mapping is not None):
                skipped.append(f"Sheet {sheet!r} left out: {error}")
                continue
            raise
        words = unread_in_table(source, mapping)
        if words:  # a status written as a word no list reads: asked on the Data page, refused here
            raise PlanError(unread_message(source.label, words, mapping))
        label = options.name or path.name
        name = f"{label} [{sheet}]" if sheet and len(sheets) > 1 else label
        plans.append(Plan(SourceSpec(path, mapping, sheet, name=name), tuple(source.columns), tuple(lines)))
    if not plans:
        raise PlanError(f"{path.name}: no sheet could be imported ({'; '.join(skipped)})")
    return plans, skipped

