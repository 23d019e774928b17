"""Column mappings: how one source table (a CSV file or one sheet of a workbook) becomes a canonical table.

A `Mapping` says which raw column holds each canonical field, which fields are the same for every row
(`constants`, e.g. the school year of a file that holds one year), and how a wide table is unpivoted
(one column per survey item or per subject). It round-trips through JSON so users can save and reuse it.
Applying a mapping is SQL work done in `importer.py`; this module only describes and checks it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path

from equity_metrics.core.codes import CODE_LISTS, RACE_CODES, code_key, normalise_school_year
from equity_metrics.core.constants import RACE_LABELS, UNKNOWN
from equity_metrics.ingest.mapping_schema import mapping_problems
from equity_metrics.ingest.readers import ROW_NUMBER_COLUMN  # a survey's row number: its respondent
from equity_metrics.ingest.survey_answers import SCALE_POINTS
from equity_metrics.ingest.vocabulary import CAMEL_BOUNDARY as _CAMEL_BOUNDARY
from equity_metrics.storage.schema import KINDS


class MappingError(ValueError):
    """A mapping that does not fit its kind or its source table."""


@dataclass(frozen=True)
class Unpivot:
    """Turn a wide table long: each raw column in `columns` becomes one row per source row.

    The raw column's name goes to `name_field` (or its entry in `names`, when given), its cell value to
    `value_field`, and its entry in `categories` (if any) to `category_field`. `attributes` gives further
    fields read off the column name (field -> raw column -> raw value): a CRDC column `SCH_ENR_BL_M` says
    race "BL" and sex "M"; the raw values are normalised with the field's code list like any cell.
    """

    columns: tuple[str, ...]
    name_field: str
    value_field: str
    names: dict[str, str] = field(default_factory=dict)
    category_field: str | None = None
    categories: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def fields(self) -> set[str]:
        """The canonical fields this unpivot supplies."""
        return {self.name_field, self.value_field, *([self.category_field] if self.category_field else []),
                *self.attributes}


# A field read from another column when the file has none of its own: kind -> field -> (the column's field, the
# code list that reads it): a test's proficiency from its performance level written out (never its number); a
# course's level from the course's name ("AP Biology" is AP, "Honors English 10" Honors, else General:
# codes.COURSE_NAME_LEVELS, read in SQL by field_sql).
DERIVED_FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "assessments": {"proficient": ("performance_level", "proficiency_level")},
    "courses": {"course_level": ("course_name", "course_name_level")}}


@dataclass(frozen=True)
class RaceQuestions:
    """Race/ethnicity asked as two questions (the federal form, Ed-Fi): a Hispanic yes/no column, and the
    races either as one yes/no column per race (`flags`: federal label -> raw column) or as one column listing
    them (`listed`, e.g. "White; Asian"). The federal category is derived: Hispanic -> Hispanic or Latino;
    else more than one race -> Two or more races; else the single race; else missing (Unknown)."""

    hispanic: str | None = None
    flags: dict[str, str] = field(default_factory=dict)
    listed: str | None = None

    def raw_columns(self) -> list[str]:
        return [c for c in (self.hispanic, *self.flags.values(), self.listed) if c]


@dataclass(frozen=True)
class Mapping:
    """How one source table maps onto the canonical table of `kind`."""

    kind: str
    columns: dict[str, str]  # canonical field -> raw column name
    constants: dict[str, str] = field(default_factory=dict)  # canonical field -> value for every row
    unpivot: Unpivot | None = None
    header_row: int = 0  # rows above the header (title rows) to skip
    date_format: str = "%m/%d/%Y"  # US dates unless the file says otherwise
    race_questions: RaceQuestions | None = None  # derives the "race" field from a Hispanic flag and races
    # The user's reading of codes no code list knows: field -> raw value -> canonical value ("Unknown" allowed;
    # for yes/no fields "Yes" or "No"). Applied before the built-in list; compared by codes.code_key.
    code_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    # The school year read off a date column (raw column name) when the file has no year column: a school year
    # starts on day `year_start_day` of `year_start_month` (July 1 by default).
    year_from_date: str | None = None
    year_start_month: int = 7
    year_start_day: int = 1
    # The school_id column holds school names (no code in the file): the code is made from the name (stable
    # across files and years), and the name is kept as the school's name where the kind has one.
    school_id_from_name: bool = False

    def fields_supplied(self) -> set[str]:
        supplied = set(self.columns) | set(self.constants) | ({"race"} if self.race_questions else set())
        supplied |= {"school_year"} if self.year_from_date else set()
        supplied |= {name for name, (source, _) in DERIVED_FIELDS.get(self.kind, {}).items() if source in self.columns}
        if self.unpivot is not None:
            supplied |= self.unpivot.fields()
        return supplied

    def validate(self, source_columns: list[str] | None = None, source: str = "the file") -> None:
        """Raise MappingError naming what is wrong: unknown kind or field, a missing required field, or a
        raw column the source does not have."""
        if self.kind not in KINDS:
            raise MappingError(f"{source}: unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        kind = KINDS[self.kind]
        unknown = sorted(self.fields_supplied() - set(kind.field_names))
        if unknown:
            raise MappingError(f"{source}: {kind.label} has no field {', '.join(map(repr, unknown))}")
        missing = [f.name for f in kind.fields if f.required and f.name not in self.fields_supplied()]
        if missing:
            raise MappingError(f"{source}: no column mapped to required field {', '.join(map(repr, missing))}")
        if self.race_questions is not None:
            if "race" in self.columns:
                raise MappingError(f"{source}: race comes either from one column or from the race questions, not both")
            unknown_labels = sorted(set(self.race_questions.flags) - set(RACE_LABELS))
            if unknown_labels:
                raise MappingError(f"{source}: race flags must name federal categories, not {', '.join(unknown_labels)}")
        problem = year_start_problem(self.year_start_month, self.year_start_day)
        if problem:
            raise MappingError(f"{source}: {problem}")
        for name, overrides in self.code_overrides.items():
            allowed = canonical_values(self.kind, name)
            wrong = sorted({v for v in overrides.values() if v not in allowed})
            if wrong:
                raise MappingError(f"{source}: {', '.join(map(repr, wrong))} is not a value of {name}; use one of "
                                   f"{', '.join(allowed)}")
        if source_columns is not None:
            raw = list(self.columns.values()) + (list(self.unpivot.columns) if self.unpivot else [])
            raw += self.race_questions.raw_columns() if self.race_questions else []
            raw += [self.year_from_date] if self.year_from_date else []

            present = set(source_columns)  # a set: a wide file names thousands of columns
            absent = [c for c in raw if c not in present and c != ROW_NUMBER_COLUMN]
            if absent:
                raise MappingError(f"{source}: no column named {', '.join(map(repr, absent))}")

    def to_json(self) -> str:
        data = {
            "kind": self.kind,
            "columns": self.columns,
            "constants": self.constants,
            "header_row": self.header_row,
            "date_format": self.date_format,
        }
        if self.code_overrides:
            data["code_overrides"] = self.code_overrides
        if self.year_from_date:
            data["year_from_date"] = self.year_from_date
            data["year_start_month"] = self.year_start_month
            if self.year_start_day != 1:
                data["year_start_day"] = self.year_start_day
        if self.school_id_from_name:
            data["school_id_from_name"] = True
        if self.race_questions is not None:
            data["race_questions"] = {"hispanic": self.race_questions.hispanic, "flags": self.race_questions.flags,
                                      "listed": self.race_questions.listed}
        if self.unpivot is not None:
            data["unpivot"] = {
                "columns": list(self.unpivot.columns),
                "name_field": self.unpivot.name_field,
                "value_field": self.unpivot.value_field,
                "names": self.unpivot.names,
                "category_field": self.unpivot.category_field,
                "categories": self.unpivot.categories,
            }
            if self.unpivot.attributes:
                data["unpivot"]["attributes"] = self.unpivot.attributes
        return json.dumps(data, indent=2, sort_keys=False)

    @classmethod
    def from_file(cls, path: str | Path) -> Mapping:
        """A mapping from a JSON file; every problem (unreadable, not UTF-8, not JSON, not a mapping) is a
        MappingError naming the file."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise MappingError(f"{path.name}: the mapping file cannot be read ({error.strerror or error})") from error
        try:
            return cls.from_json(data)
        except MappingError as error:
            raise MappingError(f"{path.name}: {error}") from error

    @classmethod
    def from_json(cls, text: str | bytes) -> Mapping:
        """A mapping from its JSON (text, or bytes that must be UTF-8); every problem is a MappingError (the caller
        names the file before its message)."""
        data = _parse_json(text)
        try:
            problems = mapping_problems(data, MAPPING_FIELDS)  # one message per problem, each naming its place in the file
            if problems:
                raise MappingError(f"not a valid mapping: {'; '.join(problems)}")
            unpivot = data.get("unpivot")
            return cls(
                kind=str(data["kind"]),
                columns={str(k): str(v) for k, v in data.get("columns", {}).items()},
                constants={str(k): str(v) for k, v in data.get("constants", {}).items()},
                unpivot=None
                if unpivot is None
                else Unpivot(
                    columns=tuple(str(c) for c in unpivot["columns"]),
                    name_field=str(unpivot["name_field"]),
                    value_field=str(unpivot["value_field"]),
                    names={str(k): str(v) for k, v in unpivot.get("names", {}).items()},
                    category_field=unpivot.get("category_field"),
                    categories={str(k): str(v) for k, v in unpivot.get("categories", {}).items()},
                    attributes={str(f): {str(k): str(v) for k, v in values.items()}
                                for f, values in unpivot.get("attributes", {}).items()},
                ),
                header_row=int(data.get("header_row", 0)),
                date_format=str(data.get("date_format", "%m/%d/%Y")),
                code_overrides={str(f): {str(k): str(v) for k, v in values.items()}
                                for f, values in data.get("code_overrides", {}).items()},
                year_from_date=None if data.get("year_from_date") is None else str(data["year_from_date"]),
                year_start_month=int(data.get("year_start_month", 7)),
                year_start_day=int(data.get("year_start_day", 1)),
                school_id_from_name=bool(data.get("school_id_from_name", False)),
                race_questions=None
                if data.get("race_questions") is None
                else RaceQuestions(
                    hispanic=data["race_questions"].get("hispanic"),
                    flags={str(k): str(v) for k, v in data["race_questions"].get("flags", {}).items()},
                    listed=data["race_questions"].get("listed"),
                ),
            )
        except MappingError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as error:
            raise MappingError(f"not a valid mapping: {error}") from error


def _parse_json(text: str | bytes) -> object:
    """The JSON value of a mapping file, or a MappingError saying in one line why it is none: not UTF-8 text
    (naming the byte and its place), a syntax error (its line and column), or nesting too deep to read."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise MappingError(f"not a valid mapping: the file is not UTF-8 text (byte 0x{text[error.start]:02x} at "
                               f"position {error.start:,} cannot be read); save it as UTF-8 JSON") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise MappingError(f"not a valid mapping: not JSON: {error.msg} at line {error.lineno}, column "
                           f"{error.colno}") from error
    except RecursionError as error:  # thousands of nested [ or {: Python's parser gives up on its stack
        raise MappingError("not a valid mapping: its JSON is nested too deeply to read (a mapping is an object "
                           "of objects, two or three levels deep); the file is damaged or not a mapping") from error


MAPPING_FIELDS = tuple(f.name for f in dataclass_fields(Mapping))  # the keys of a mapping's JSON


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def year_start_problem(month: int, day: int) -> str | None:
    """Why a month and day cannot be the first day of a school year (None when they can; February 29 cannot)."""
    import calendar

    if not 1 <= month <= 12:
        return f"the school year's first month must be 1 to 12, not {month}"
    last = calendar.monthrange(2001, month)[1]
    if not 1 <= day <= last:
        return f"{MONTHS[month - 1]} has no day {day}: the school year's first day must be 1 to {last}"
    return None


def year_start_text(month: int, day: int) -> str:
    """'July 1': the first day of a school year, in words."""
    return f"{MONTHS[month - 1]} {day}"


def parse_year_start(text: str) -> tuple[int, int]:
    """'08-15' (or '8/15') -> (8, 15): the month and day a school year starts; ValueError saying how to write it."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*", text or "")
    if not match:
        raise ValueError(f"{text!r} is not a month and day; write the first day of the school year as MM-DD, "
                         "for example 08-15")
    month, day = int(match.group(1)), int(match.group(2))
    problem = year_start_problem(month, day)
    if problem:
        raise ValueError(f"{text!r}: {problem}")
    return month, day


def canonical_values(kind: str, field_name: str) -> list[str]:
    """What a code of this field may be read as: the code list's canonical values ("Yes"/"No" for yes/no
    fields), Unknown included. Empty for a field without a code list (or not of the kind)."""
    if (kind, field_name) == ("survey", "response"):  # answers read onto the agreement scale (survey_answers)
        return [*SCALE_POINTS, UNKNOWN]
    try:
        code_list = KINDS[kind].field(field_name).codes
    except KeyError:
        return []
    if code_list is None or code_list == "school_year":
        return []
    values = list(dict.fromkeys(CODE_LISTS[code_list].values()))
    if all(isinstance(v, bool) for v in values):
        return ["Yes", "No", UNKNOWN]
    return [str(v) for v in values if v != UNKNOWN] + [UNKNOWN]




_HISPANIC_HEADERS = ("hispanic", "latino", "hispaniclatino", "hispanic latino", "hispanic or latino",
                     "hispanic latino ethnicity", "hispanic ethnicity", "ethnicity hispanic", "is hispanic",
                     "hispanic ind", "hispanic indicator", "hispanic flag", "hispanic yn", "hispanic latinx",
                     "fedethnicity", "fed ethnicity", "federal ethnicity")  # PowerSchool: 1 Hispanic, 0 not
_RACE_HEADER_NOISE = {"race", "flag", "ind", "indicator", "yn", "y", "n", "is", "code", "ethnicity"}


def guess_race_questions(columns: list[str], race_column: str | None = None) -> RaceQuestions | None:
    """Recognise the two-question form from headers: a Hispanic yes/no column, plus yes/no columns named
    after races ("White", "Race_Black", "Asian Flag", "Race_AM"; bare codes such as "AM" only three or more
    together) or a single race column ("Race", "Race Codes"); beside a race column, an "Ethnicity" column is
    the Hispanic question. None when there is no Hispanic column and fewer than two race-flag columns."""
    hispanic = next((c for c in columns if code_key(c) in _HISPANIC_HEADERS
                     or code_key(_CAMEL_BOUNDARY.sub(" ", c)) in _HISPANIC_HEADERS), None)
    if hispanic is None and race_column is not None:
        hispanic = next((c for c in columns if c != race_column and code_key(c) in _ETHNICITY_HEADERS), None)
    flags = _race_flags(columns, race_column)
    if hispanic is None and len(flags) < 2:
        return None
    if not flags and race_column is None:  # "Race Codes", "Races": the one column that lists them
        listing = [c for c in columns if c != hispanic and {"race", "races"} & set(code_key(c).split())]
        race_column = listing[0] if len(listing) == 1 else None
    return RaceQuestions(hispanic=hispanic, flags=flags, listed=race_column if not flags else None)


_ETHNICITY_HEADERS = ("ethnicity", "ethnic", "ethnicity code", "fed ethnicity code")


def _race_flags(columns: list[str], race_column: str | None) -> dict[str, str]:
    """Federal label -> the yes/no column named after that race."""
    joined = {key.replace(" ", ""): label for key, label in RACE_CODES.items()}  # "americanindian" too
    flags: dict[str, str] = {}
    bare: dict[str, str] = {}
    for column in columns:
        every = code_key(_CAMEL_BOUNDARY.sub(" ", column)).split()
        words = [w for w in every if w not in _RACE_HEADER_NOISE]
        name = " ".join(words)
        label = RACE_CODES.get(name) or joined.get(name.replace(" ", "")) if len(name) >= 2 else None
        if label not in RACE_LABELS or label == RACE_LABELS[0] or label in flags or column == race_column:
            continue
        if len(name) >= 4 or len(words) < len(every):  # a code of two letters beside a word that says race
            flags[label] = column
        else:
            bare.setdefault(label, column)
    if len(bare) >= 3:  # AM, AS, BL, WH side by side: a race's columns, not a state or a subject
        flags |= {label: column for label, column in bare.items() if label not in flags}
    return flags


VALUE_MATCH_SHARE = 0.8  # a column whose sample values are this share of one code list's codes holds that field
# Code lists distinctive enough to recognise a column by its values (grades are not: any small number is one).
_VALUE_GUESSED_LISTS = ("action", "course_level", "subject", "disability_category", "placement", "intervention",
                        "stage", "respondent_type", "race", "sex", "school_year")
_MIN_VALUES_TO_GUESS = 3


def _value_share(code_list: str, values: list[str]) -> float:
    """Share of the non-blank sample values that `code_list` recognises."""
    present = [str(v) for v in values if v not in (None, "") and str(v).strip()]
    if len(present) < _MIN_VALUES_TO_GUESS:
        return 0.0
    if code_list == "school_year":
        hits = sum(normalise_school_year(v) is not None for v in present)
    else:
        known = CODE_LISTS[code_list]
        hits = sum(code_key(v) in known and code_key(v) != "" for v in present)
    return hits / len(present)


