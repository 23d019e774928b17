"""Choosing what a table holds (its kind) and its school year, never in silence.

A kind is chosen only when the columns support it: each kind has fields that only its files carry
(`SIGNATURES`: a roster has grades, a special-education file disability categories or placements, a discipline
file actions ...) and every required field must come from a column (the school year and, for one-subject score
files, the subject may come from elsewhere; they are then asked for). When more than one kind fits equally
well the guess is ambiguous: the caller asks (the Data page) or refuses listing the choices (the CLI).

The school year comes from the first source that has it, and the guess says which (`find_year`): a year column
(a 4-digit year is the spring year: 2002 is 2001-02), a date column (a school year starts on July 1, unless
the user gives another first day: `--year-start MM-DD`), the sheet
name, the file name, a title row above the header. When none has it, it is missing and must be given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from equity_metrics.ingest.guessing import ColumnGuess, guess_columns, value_problem
from equity_metrics.ingest.layouts import Layout, find_layout
from equity_metrics.ingest.mapping import DERIVED_FIELDS, Mapping
from equity_metrics.ingest.readers import SourceTable
from equity_metrics.storage.schema import KINDS

# At least one of these fields must come from a column for the kind to be considered.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "schools": ("school_name",),
    "enrollment": ("grade",),
    "discipline": ("action",),
    "courses": ("course_level",),
    "marks": ("letter_mark", "numeric_mark", "credits_earned"),
    "assessments": ("subject", "scale_score", "proficient", "performance_level"),
    "special_education": ("disability_category", "placement"),
    "interventions": ("intervention",),
    "staff": ("staff_id",),
    "applicants": ("stage_reached",),
    "survey": ("item_id", "respondent_type"),
    "counts": ("count",),
}
# Required fields that may come from outside the columns, and the command-line option that gives them.
ASKED = {"school_year": "--year", "subject": "--subject"}
_PERSON_IDS = ("student_id", "staff_id", "applicant_id", "response_id")


@dataclass(frozen=True)
class KindGuess:
    """The kind chosen (None when no kind fits or several fit equally), why, and the other kinds that fit."""

    kind: str | None
    reason: str
    choices: tuple[str, ...] = ()
    columns: ColumnGuess | None = None
    scores: dict[str, int] = field(default_factory=dict)
    unfit: bool = False  # the file is a known shape no kind takes (unfit.py): choosing a kind will not help


def _supported(kind: str, guess: ColumnGuess, columns: Sequence[str]) -> str | None:
    """Why the columns support `kind` (None when they do not)."""
    mapping = guess.mapping
    supplied = mapping.fields_supplied()
    signature = [f for f in SIGNATURES.get(kind, ()) if f in supplied]  # published aggregates: recognised apart
    if not signature:
        return None
    missing = [f.name for f in KINDS[kind].fields if f.required and f.name not in supplied and f.name not in ASKED]
    if missing:
        return None
    if kind == "schools":  # a list of schools, not people: most of its columns describe the school
        people = guess_columns("enrollment", columns).mapping.columns
        if any(p in people for p in _PERSON_IDS) or _leaves_most_unused(kind, guess, columns):
            return None
    if kind == "counts" and "measure" not in supplied:
        return None
    derived = {name: source for name, (source, _) in DERIVED_FIELDS.get(kind, {}).items() if name not in mapping.columns}
    named = ", ".join(f.replace("_", " ") + (f" (read from {mapping.columns[derived[f]]!r})" if f in derived else "")
                      for f in signature)
    return f"the columns hold {named}, which only {KINDS[kind].label.lower()} files carry"


def _leaves_most_unused(kind: str, guess: ColumnGuess, columns: Sequence[str]) -> bool:
    """Whether `kind` would use fewer than half of the columns (a column read for two fields counts once): a
    list of schools is a table about schools, not a table with a school column."""
    return kind == "schools" and len(set(guess.mapping.columns.values())) * 2 < len(columns)


def _unclear(columns: Sequence[str], samples: dict[str, list[str]] | None) -> KindGuess | None:
    """When no kind is supported but one would be taken by leaving most columns unused (a school column beside
    survey items: not a list of schools), the kinds the columns point at, each with what it lacks: the caller
    asks, or refuses naming --kind; never a kind chosen in silence. None when no kind would leave most unused."""
    guesses = {kind: guess_columns(kind, columns, samples) for kind in KINDS if SIGNATURES.get(kind)}
    near = {kind: g for kind, g in guesses.items() if set(SIGNATURES[kind]) & g.mapping.fields_supplied()}
    if not any(_leaves_most_unused(kind, g, columns) for kind, g in near.items()):
        return None
    why = []
    for kind, g in near.items():
        supplied = g.mapping.fields_supplied()
        missing = [f.name for f in KINDS[kind].fields if f.required and f.name not in supplied and f.name not in ASKED]
        if _leaves_most_unused(kind, g, columns):
            used = set(g.mapping.columns.values())
            unused = [c for c in columns if c not in used]
            why.append(f"{KINDS[kind].label} would leave {len(unused)} of {len(columns)} columns unused "
                       f"({', '.join(map(repr, unused[:4]))}{', ...' if len(unused) > 4 else ''})")
        elif missing:
            why.append(f"{KINDS[kind].label} needs {', '.join(m.replace('_', ' ') for m in missing)}, which no column "
                       "holds")
        else:
            why.append(f"{KINDS[kind].label} fits")
    return KindGuess(None, "the columns do not support one kind clearly: " + "; ".join(why), tuple(near), None, {})


def choose_kind(columns: Sequence[str], samples: dict[str, list[str]] | None = None,
                file_name: str = "") -> KindGuess:
    """The kind the columns support best (most fields supplied); ambiguous when two fit equally well."""
    from equity_metrics.ingest.crdc import crdc_mapping, is_crdc

    if is_crdc(columns):
        guess = ColumnGuess(crdc_mapping(columns, file_name), {"measure": "CRDC school file columns"})
        return KindGuess("counts", "the columns are the CRDC public-use school file's (SCH_ENR_..., ...)",
                         ("counts",), guess, {"counts": len(columns)})
    from equity_metrics.ingest.graduation import graduation_guess, is_graduation

    if is_graduation(columns, samples):
        return KindGuess("graduation", "Graduation outcomes (aggregated): the columns hold a cohort, its number of "
                         "students and its graduates (counts per school, student group and cohort)", ("graduation",),
                         graduation_guess(columns, samples), {"graduation": len(columns)})
    layout = find_layout(columns)
    if layout is not None and layout.kind == "excerpts":  # a file of excerpts that other kinds fit too: ask
        from equity_metrics.ingest.excerpts import excerpts_layout

        others = [k for k in KINDS if excerpts_layout(columns) == "own" and SIGNATURES.get(k)
                  and _supported(k, guess_columns(k, columns, samples), columns)]
        if others:
            return KindGuess(None, "the columns fit " + " and ".join(KINDS[k].label for k in ("excerpts", *others))
                             + " equally well", ("excerpts", *others), None, {})
    if layout is not None:  # a published aggregate read into its own kind (layouts.py)
        return KindGuess(layout.kind, f"{KINDS[layout.kind].label}: {layout.what}", (layout.kind,),
                         layout.guess(columns), {layout.kind: len(columns)})
    fitting: dict[str, tuple[int, str, ColumnGuess]] = {}
    for kind in KINDS:
        guess = guess_columns(kind, columns, samples)
        why = _supported(kind, guess, columns)
        if why:
            fitting[kind] = (len(guess.mapping.fields_supplied()), why, guess)
    ranked = sorted(fitting, key=lambda k: -fitting[k][0])
    scores = {k: fitting[k][0] for k in ranked}
    if not ranked:
        from equity_metrics.ingest.unfit import unfit_reason

        unclear = _unclear(columns, samples)
        if unclear is not None and not unfit_reason(columns):
            return unclear

        unfit = unfit_reason(columns)
        if unfit:
            return KindGuess(None, f"cannot be imported: {unfit}", (), None, scores, unfit=True)
        return KindGuess(None, f"cannot tell what this table holds from its headers ({', '.join(list(columns)[:8])}): "
                               "no column holds what any kind of file needs", (), None, scores)
    best = ranked[0]
    if len(ranked) > 1 and fitting[ranked[1]][0] == fitting[best][0]:
        tied = [k for k in ranked if fitting[k][0] == fitting[best][0]]
        return KindGuess(None, "the columns fit " + " and ".join(KINDS[k].label for k in tied) + " equally well",
                         tuple(ranked), None, scores)
    others = [f"{KINDS[k].label} ({fitting[k][0]} fields)" for k in ranked[1:]]
    reason = f"{KINDS[best].label}: {fitting[best][1]}; {fitting[best][0]} fields supplied"
    if others:
        reason += f" (also possible, with fewer: {', '.join(others)})"
    return KindGuess(best, reason, tuple(ranked), fitting[best][2], scores)


# ---- the school year ---------------------------------------------------------------------------------------
_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[-_–/ ]\s*((?:19|20)?\d\d)(?!\d)")
_DATE = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)\d\d)(?!\d)|"
                   r"(?<!\d)((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_SINGLE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_EVENT_DATE = re.compile(r"\b(?:incident|event|offense|behavior|referral|test|testing|assessment|administration|"
                         r"survey|response|submitted|submission|action)\b.*\bdate\b|\bdate\b.*\b(?:incident|"
                         r"referral|test|administered|survey|submitted)\b|^date$|^(?:incident|event) dt$|"
                         r"^timestamp$|^submitted(?: at| on)?$|^start time$|^end time$")


def year_in_text(text: str, start_month: int = 7, start_day: int = 1) -> tuple[str, str] | None:
    """A school year written in a name or title, and how it was read: a range ("2022-23", "2023_2024"), a date
    (the school year it falls in) or a single 4-digit year (the spring year)."""
    from equity_metrics.core.codes import normalise_school_year

    for match in _RANGE.finditer(text):
        year = normalise_school_year(f"{match.group(1)}-{match.group(2)}")
        if year:
            return year, f"{match.group(0)!r}"
    match = _DATE.search(text)
    if match:
        if match.group(3):
            year, month = int(match.group(3)), int(match.group(1))
        else:
            year, month = int(match.group(4)), int(match.group(5))
        day = int(match.group(2) if match.group(3) else match.group(6))
        start = year - (1 if (month, day) < (start_month, start_day) else 0)
        return f"{start}-{(start + 1) % 100:02d}", f"the date {match.group(0)!r}"
    match = _SINGLE.search(text)
    if match:
        year = normalise_school_year(match.group(1))
        if year:
            return year, f"{match.group(1)!r}, read as the spring year"
    return None


def _date_column(mapping: Mapping, columns: Sequence[str], samples: dict[str, list[str]] | None) -> str | None:
    """A column of event dates (incident, referral, test, survey ...) whose values are dates."""
    from equity_metrics.core.codes import code_key

    date = KINDS["discipline"].field("incident_date")
    mapped = [mapping.columns[f] for f in ("incident_date", "referral_date") if f in mapping.columns]
    named = [c for c in columns if _EVENT_DATE.search(code_key(c)) and c not in mapped]
    for column in (*mapped, *named):
        if samples is None or not value_problem(date, samples.get(column)):
            return column
    return None


def find_year(source: SourceTable, mapping: Mapping, samples: dict[str, list[str]] | None,
              file_name: str = "", year: str | None = None,
              year_start: tuple[int, int] | None = None) -> tuple[Mapping, str | None]:
    """The mapping with its school year supplied from the first source that has it, and where it came from
    (None when nothing gives it). `year` (the user's) wins over everything. `year_start` (month, day): the first
    day of a school year, for a year read from dates (default: the mapping's, July 1)."""
    from equity_metrics.core.codes import normalise_school_year
    from equity_metrics.ingest.mapping import year_start_text

    if year_start is not None:
        mapping = replace(mapping, year_start_month=year_start[0], year_start_day=year_start[1])
    starts = (mapping.year_start_month, mapping.year_start_day)

    if year:
        given = normalise_school_year(year)
        if given is None:
            raise ValueError(f"--year {year!r} is not a school year; write it as 2024-25")
        return _with_year(mapping, given), f"school year {given}: given (--year)"
    if "school_year" in mapping.columns:
        column = mapping.columns["school_year"]
        if mapping.kind == "graduation":
            from equity_metrics.ingest.graduation import YEAR_REASON

            return mapping, YEAR_REASON.format(column=column)
        values = [str(v).strip() for v in (samples or {}).get(column, []) if v is not None and str(v).strip()]
        spring = any(re.fullmatch(r"\d{4}", v) for v in values)
        note = (f"; 4-digit years are the spring year (for example {values[0]} is "
                f"{normalise_school_year(values[0])})" if spring and normalise_school_year(values[0]) else "")
        return mapping, f"school year from the column {column!r}{note}"
    if "school_year" in mapping.constants:
        return mapping, f"school year {mapping.constants['school_year']}: from the mapping"
    date = mapping.year_from_date if mapping.year_from_date in source.columns else \
        _date_column(mapping, source.columns, samples)
    if date:
        given = ", as given" if year_start is not None and year_start != (7, 1) else ""
        return (replace(mapping, year_from_date=date),
                f"school year from the dates in {date!r} (a school year starts on {year_start_text(*starts)}{given})")
    for where, text in (("the sheet name", source.sheet or ""), ("the file name", file_name or source.file_name),
                        *(("a title row", t) for t in source.titles)):
        found = year_in_text(text, *starts)
        if found:
            return _with_year(mapping, found[0]), f"school year {found[0]}: from {where} ({found[1]})"
    return mapping, None


def _with_year(mapping: Mapping, year: str) -> Mapping:
    columns = {k: v for k, v in mapping.columns.items() if k != "school_year"}
    return replace(mapping, columns=columns, constants={**mapping.constants, "school_year": year},
                   year_from_date=None)


# ---- the whole guess ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Guess:
    """What a table is guessed to be, with every reason: the kind, the mapping, why each field comes from where
    it does, what was skipped or refused, and what is still missing (with the option that gives it)."""

    label: str
    kind: str | None
    mapping: Mapping | None
    kind_reason: str
    reasons: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # required fields no source gives
    unfit: bool = False  # a known shape no kind takes (unfit.py)

    def lines(self) -> list[str]:
        """The guess as plain sentences (for --dry-run and the Data page)."""
        out = [f"{self.label}: kind {self.kind or '(not chosen)'}: {self.kind_reason}."]
        for name, why in self.reasons.items():
            out.append(f"  {name}: {why}")
        out.extend(f"  note: {n}" for n in self.notes)
        return out

    def problem(self) -> str | None:
        """Why this table cannot be imported as guessed, naming the option that fixes it; None when it can."""
        if self.kind is None:
            if self.choices:
                listed = ", ".join(self.choices)
                return f"{self.label}: {self.kind_reason}; say which with --kind ({listed})"
            if self.unfit:
                return f"{self.label}: {self.kind_reason}"
            return f"{self.label}: {self.kind_reason}; pass --kind, and --column FIELD=HEADER for unusual headers"
        for name in self.missing:
            if name == "school_year":
                why = next((f" ({n})" for n in self.notes if "is named like school_year" in n), "")
                return (f"{self.label}: no school year in a column, a date column, the sheet name, the file name or "
                        f"a title row{why}; give it with --year (for example --year 2024-25)")
            if name == "subject":
                return (f"{self.label}: the file names no subject for its scores; give the subject of every row with "
                        "--subject (for example --subject Math)")
            return (f"{self.label}: no column for the required field {name!r}; name it with "
                    f"--column {name}=HEADER")
        return None


def guess_table(source: SourceTable, samples: dict[str, list[str]] | None, *, kind: str | None = None,
                year: str | None = None, subject: str | None = None, columns: dict[str, str] | None = None,
                codes: dict[str, dict[str, str]] | None = None, file_name: str = "",
                year_start: tuple[int, int] | None = None) -> Guess:
    """Guess (or take) the kind, then the columns, the school year and the subject; the user's columns and
    codes are applied over the guess and said to be theirs."""
    name = file_name or source.file_name
    if kind:
        column_guess = guess_columns(kind, source.columns, samples) if not _crdc(source.columns) else \
            choose_kind(source.columns, samples, name).columns
        layout = _layout(source.columns, kind)
        column_guess = layout.guess(source.columns) if layout is not None else column_guess
        if kind == "graduation":
            from equity_metrics.ingest.graduation import graduation_guess

            column_guess = graduation_guess(source.columns, samples)
        kind_guess = KindGuess(kind, f"{KINDS[kind].label}: given (--kind)", (kind,), column_guess)
    else:
        kind_guess = choose_kind(source.columns, samples, name)
    if kind_guess.kind is None or kind_guess.columns is None:
        return Guess(source.label, None, None, kind_guess.reason, choices=kind_guess.choices, notes=source.notes,
                     unfit=kind_guess.unfit)
    mapping, reasons = kind_guess.columns.mapping, dict(kind_guess.columns.reasons)
    for field_name, header in (columns or {}).items():
        mapping = replace(mapping, columns={**mapping.columns, field_name: header})
        reasons[field_name] = f"{header!r}: given (--column)"
    if codes:
        merged = {f: {**mapping.code_overrides.get(f, {}), **values} for f, values in codes.items()}
        mapping = replace(mapping, code_overrides={**mapping.code_overrides, **merged})
    mapping, year_reason = find_year(source, mapping, samples, name, year, year_start)
    layout_year = "school_year" in kind_guess.columns.mapping.constants and "school_year" in reasons
    if year_reason and (year or not layout_year):  # a layout's own reason for the year it read stays
        reasons["school_year"] = year_reason
    if subject and "subject" not in mapping.fields_supplied():
        mapping = replace(mapping, constants={**mapping.constants, "subject": subject})
        reasons["subject"] = f"{subject!r} for every row: given (--subject)"
    supplied = mapping.fields_supplied()
    missing = tuple(f.name for f in KINDS[mapping.kind].fields if f.required and f.name not in supplied)
    notes = source.notes + kind_guess.columns.notes
    return Guess(source.label, mapping.kind, mapping, kind_guess.reason, reasons, notes, kind_guess.choices, missing)


def _layout(columns: Sequence[str], kind: str) -> Layout | None:
    """The published layout of these headers when it is read into `kind`."""
    layout = find_layout(columns)
    return layout if layout is not None and layout.kind == kind else None


def _crdc(columns: Sequence[str]) -> bool:
    from equity_metrics.ingest.crdc import is_crdc

    return is_crdc(columns)


def guess_mapping(kind: str, columns: list[str], samples: dict[str, list[str]] | None = None,
                  file_name: str = "") -> Mapping:
    """Map each field of `kind` to the first source column whose header is one of its known spellings and
    whose sample values fit the field; then map still-missing coded fields to an unused column whose values
    are mostly codes of that field's list (e.g. a column "Consequence" holding OSS/ISS is the action). Wide
    score and survey item columns are unpivoted; a school code may be made from the school's name. See
    `guessing.guess_columns`, which also gives the reason for each field.

    A column is used once; exact field names win over synonyms. The user reviews and corrects the guess.
    A CRDC school file (wide counts) gets its own mapping, with the school year read from `file_name`.
    """
    from equity_metrics.ingest.crdc import crdc_mapping, is_crdc
    from equity_metrics.ingest.guessing import guess_columns

    if kind == "counts" and is_crdc(columns):
        return crdc_mapping(columns, file_name)
    if kind == "graduation":
        from equity_metrics.ingest.graduation import graduation_guess

        return graduation_guess(columns, samples).mapping
    layout = _layout(columns, kind)
    if layout is not None:
        return layout.guess(columns).mapping
    return guess_columns(kind, columns, samples).mapping


def guess_kind(columns: list[str], samples: dict[str, list[str]] | None = None) -> str:
    """The kind the columns support (see `kinds.choose_kind`, which also says why, and refuses to choose when
    two kinds fit equally well); when none is chosen, the kind whose required fields the headers cover best,
    as a starting point for the user to correct."""
    from equity_metrics.ingest.kinds import choose_kind

    chosen = choose_kind(columns, samples)
    if chosen.kind is not None:
        return chosen.kind
    if chosen.choices:
        return chosen.choices[0]

    def score(kind: str) -> tuple[float, int]:
        mapping = guess_mapping(kind, columns, samples)
        if kind == "counts" and "count" not in mapping.columns:
            return 0.0, 0
        required = [f.name for f in KINDS[kind].fields if f.required]
        covered = sum(1 for name in required if name in mapping.fields_supplied())
        return covered / len(required), len(mapping.columns)

    return max(KINDS, key=score)
