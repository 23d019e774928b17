"""Guessing which column holds which field, never in silence: every guess is checked against the column's values
and carries its reason (`ColumnGuess.reasons`), so the Data page and `import --dry-run` can show why.

Headers are matched against a wide vocabulary of real exports (`vocabulary.py`:
SIS exports such as PowerSchool, Infinite Campus, Skyward, Aeries and Synergy, Ed-Fi and CEDS element names,
state and CRDC files, OpenSDP). A header that matches is still refused when the values do not fit the field
(`value_problem`): a column of blanks or scale scores is never sex, grades must be grades, flags yes/no codes,
years years, numbers numbers. Where a field has no column, the guess looks further: a school code made from the
school's name, sex from a `male` (or `female`) 0/1 column, wide score columns (`math_ss`, `ELA Scale Score`)
unpivoted to one row per subject, and wide survey items (`Q1 ...`) unpivoted to one row per answer.
Choosing the kind and the school year lives in `kinds.py`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from equity_metrics.core.codes import CODE_LISTS, FLAG_CODES, SEX_CODES, code_key, course_level_of_name, normalise_school_year
from equity_metrics.core.constants import UNKNOWN
from equity_metrics.ingest.cleaning import MISSING_MARKERS
from equity_metrics.ingest.field_sql import EXCEL_SERIAL, excel_serial_date
from equity_metrics.ingest.mapping import (
    _VALUE_GUESSED_LISTS,
    DERIVED_FIELDS,
    VALUE_MATCH_SHARE,
    Mapping,
    RaceQuestions,
    Unpivot,
    guess_race_questions,
)
from equity_metrics.ingest.readers import ROW_NUMBER_COLUMN
from equity_metrics.ingest.survey_answers import agreement_word, answer_reading, reading_said
from equity_metrics.ingest.vocabulary import (
    CAMEL_BOUNDARY,
    HISPANIC_HEADERS,
    PREFIX,
    SUBJECTS,
    WIDE_SCORE,
    bare_header,
    spellings,
)
from equity_metrics.storage.schema import KINDS, Field

# Years that are not the school year of the row: a graduation year, a birth year, a cohort, a hire year.
_NOT_SCHOOL_YEAR = re.compile(r"graduat|\bgrad\b|birth|\bdob\b|cohort|class of|hire|entry|exit|expected|leav")
_IDS = ("student_id", "staff_id", "applicant_id", "response_id", "incident_id")
_MALE = ("male", "is male", "sex male", "male flag", "male ind", "gender male")
_FEMALE = ("female", "is female", "sex female", "female flag", "female ind", "gender female")
_ITEM = re.compile(r"^q\s?(\d+[a-z]?)\b")
_LIKERT = re.compile(r"^\s*[1-5](?:\.0)?\s*$")


@dataclass(frozen=True)
class ColumnGuess:
    """A guessed mapping and, for every field it supplies, why."""

    mapping: Mapping
    reasons: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # headers that looked right but whose values did not fit


_SUPPRESSED = re.compile(r"^<\s*\d+(\.\d+)?$")


class Sample(list):
    """A column's sample values (`importer.column_samples`) that remember what the guess computes from them: a
    guess looks at every column for every field of every kind, so the present values and their code keys are
    made once per column, not once per field and kind (a file of 10,000 columns is guessed in linear time)."""

    present: list[str] | None = None
    keys: dict[str, int] | None = None  # code key -> how many present values have it
    shares: dict[tuple[int, bool], float] | None = None  # (id of a code list, Unknown counts) -> share known


def _present(values: Sequence[object] | None) -> list[str]:
    """The values that are not blank, a missing marker ('NA', '-', '*') or a suppressed count ('<10')."""
    if isinstance(values, Sample) and values.present is not None:
        return values.present
    missing = _missing_markers(MISSING_MARKERS)
    text = (str(v).strip() for v in values or () if v is not None)
    present = [v for v in text if v and v not in missing and not (v[0] == "<" and _SUPPRESSED.match(v))]
    if isinstance(values, Sample):
        values.present = present
    return present


@functools.cache
def _missing_markers(markers: tuple[str, ...]) -> frozenset[str]:
    return frozenset(markers)


def _keys(values: Sequence[object] | None) -> dict[str, int]:
    """How many present values have each `codes.code_key` (each distinct value keyed once)."""
    if isinstance(values, Sample) and values.keys is not None:
        return values.keys
    keys: dict[str, int] = {}
    for value, n in Counter(_present(values)).items():
        key = value if value.isascii() and value.isdigit() else code_key(value)  # a number is its own key
        keys[key] = keys.get(key, 0) + n
    if isinstance(values, Sample):
        values.keys = keys
    return keys


def _share(values: list[str], test: object) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0  # type: ignore[operator]


def _key_share(values: Sequence[object] | None, known: dict[str, object], unknown_counts: bool = True) -> float:
    """Share of the present values whose code key `known` holds (`unknown_counts=False`: and reads as other than
    Unknown)."""
    cached = values.shares if isinstance(values, Sample) and values.shares is not None else None
    if cached is not None and (id(known), unknown_counts) in cached:
        return cached[(id(known), unknown_counts)]
    counts = _keys(values)
    if unknown_counts:
        hits = sum(n for k, n in counts.items() if k in known)
    else:
        hits = sum(n for k, n in counts.items() if known.get(k, UNKNOWN) not in (UNKNOWN, None))
    total = sum(counts.values())
    share = hits / total if total else 0.0
    if isinstance(values, Sample):
        values.shares = values.shares or {}
        values.shares[(id(known), unknown_counts)] = share
    return share


def value_problem(f: Field, values: Sequence[object] | None) -> str | None:
    """Why a column's sample values cannot be field `f` (None when they can). With no sample at all (headers
    only) nothing is checked."""
    if values is None:
        return None
    present = _present(values)
    if not present:
        return "the column is empty"
    if f.name == "response" and answer_reading(present):  # a survey's answers written as words (survey_answers)
        return None
    if f.name in _IDS and len(present) >= 5 and len(set(present)) == 1:
        return f"every value is {present[0]!r}, so it cannot tell one record from another"
    checks = {
        "school_year": lambda v: normalise_school_year(v) is not None,
        "DOUBLE": lambda v: bool(re.fullmatch(r"[-+]?[\d,]*\.?\d+%?", v)),
        "DATE": lambda v: bool(re.search(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", v) or _NAMED_MONTH.match(v)
                               or excel_serial_date(v)),
    }
    if f.codes in ("sex", "grade", "flag", "low_income", "el_status", "iep_status"):
        if _key_share(values, CODE_LISTS[f.codes]) >= VALUE_MATCH_SHARE:
            return None
    else:
        test = checks.get(f.codes or "") or checks.get(f.sql_type)
        if test is None or _share(present, test) >= VALUE_MATCH_SHARE:
            return None
    shown = ", ".join(repr(v) for v in list(dict.fromkeys(present))[:3])
    what = {"sex": "sex codes", "grade": "grades", "flag": "yes/no codes", "low_income": "yes/no or meal codes",
            "el_status": "yes/no or English-learner status codes", "iep_status": "yes/no or IEP status codes",
            "school_year": "school years", "DOUBLE": "numbers", "DATE": "dates"}
    return f"its values ({shown}) are not {what.get(f.codes or '', what.get(f.sql_type, 'values of this field'))}"


def _keyed(columns: Sequence[str]) -> dict[str, str]:
    """Header key -> column (first wins), with camelCase split and a leading 'Student' dropped as variants."""
    return _keyed_once(tuple(columns))


@functools.lru_cache(maxsize=16)
def _keyed_once(columns: tuple[str, ...]) -> dict[str, str]:
    """`_keyed`, made once per header (every kind's guess asks for it). Callers do not change the dict."""
    keyed: dict[str, str] = {}
    for variant in (lambda c: code_key(c), lambda c: code_key(CAMEL_BOUNDARY.sub(" ", c)),
                    lambda c: PREFIX.sub("", code_key(CAMEL_BOUNDARY.sub(" ", c)))):
        for bare in (False, True):  # PowerSchool's table prefixes ("[01]SchoolID") dropped, after the headers as written
            for column in columns:
                keyed.setdefault(variant(bare_header(column) if bare else column), column)
    return keyed


def _by_header(kind: str, columns: Sequence[str], samples: dict[str, list[str]] | None,
               taken: set[str], skip: set[str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Fields matched by header (values checked); also the refusals worth telling (header fit, values did not)."""
    keyed = _keyed(columns)
    chosen: dict[str, str] = {}
    reasons: dict[str, str] = {}
    refused: list[str] = []
    for f in KINDS[kind].fields:
        if f.name in skip:
            continue
        for spelling in spellings(f.name):
            column = keyed.get(code_key(spelling))
            if column is None or column in taken:
                continue
            problem = value_problem(f, samples.get(column) if samples is not None else None)
            if problem:
                fix = "" if f.name == "school_year" else (  # a year is given with --year (kinds.Guess.problem)
                    f" (if it is, say so with --column {f.name}={column!r}"
                    + (f" and what each code means with --code {f.name}:VALUE=..." if f.codes else "") + ")")
                refused.append(f"{column!r} is named like {f.name} but {problem}; not used for it{fix}")
                continue
            chosen[f.name] = column
            taken.add(column)
            reasons[f.name] = (f"{column!r}: the header is a name for {f.name.replace('_', ' ')}"
                               + (f" ({spelling!r})" if code_key(spelling) != code_key(column) else "")
                               + (", and its values fit" if samples is not None else ""))
            break
    return chosen, reasons, refused


def _hispanic_beside(columns: Sequence[str], race_column: str, samples: dict[str, list[str]] | None,
                     keyed: dict[str, str]) -> RaceQuestions | None:
    """The two-question form whose Hispanic question has a header only some exports use (Aeries' "Eth" beside
    "RC1"): taken only when the column's values are yes/no answers."""
    answer = Field("hispanic", "BOOLEAN", False, "flag")
    for header in HISPANIC_HEADERS:
        column = keyed.get(code_key(header))
        if column is None or column == race_column:
            continue
        if samples is None or value_problem(answer, samples.get(column)):
            continue
        return RaceQuestions(hispanic=column, listed=race_column)
    return None


def _by_values(kind: str, columns: Sequence[str], samples: dict[str, list[str]], chosen: dict[str, str],
               taken: set[str], skip: set[str]) -> dict[str, str]:
    """Coded fields still missing, from a column whose values are mostly that field's codes."""
    reasons = {}
    for f in KINDS[kind].fields:
        if f.name in chosen or f.name in skip or f.codes not in _VALUE_GUESSED_LISTS:
            continue
        scored = [(_known_share(f.codes, samples.get(c, [])), c) for c in columns
                  if c not in taken and not (f.name == "school_year" and _NOT_SCHOOL_YEAR.search(_code_key(c)))]
        share, column = max(scored, default=(0.0, ""))
        if share >= VALUE_MATCH_SHARE:
            chosen[f.name] = column
            taken.add(column)
            reasons[f.name] = f"{column!r}: {share:.0%} of its values are {f.name.replace('_', ' ')} codes"
    return reasons


def _known_share(code_list: str, values: Sequence[object] | None) -> float:
    """Share of a column's real values (missing markers left out) that `code_list` reads as something other
    than Unknown; 0 with fewer than three such values (a column of 'NA' is no field's column)."""
    present = _present(values)
    if len(present) < 3:
        return 0.0
    if code_list == "school_year":
        return _share(present, lambda v: normalise_school_year(v) is not None)
    if _key_share(values, _any_code()) < VALUE_MATCH_SHARE:  # no list can know enough of them: once per column
        return 0.0
    if _key_share(values, CODE_LISTS["flag"]) == 1.0:  # Y/N, 1/0: a yes/no column ('N' is no race code here)
        return 0.0
    if code_list in _DEMOGRAPHIC_LISTS and len({code_key(v) for v in present}) < 2:
        return 0.0  # one value only ('A' for a few students): a status column more often than a race or sex
    return _key_share(values, CODE_LISTS[code_list], unknown_counts=False)


_DEMOGRAPHIC_LISTS = ("race", "sex")


@functools.cache
def _any_code() -> dict[str, object]:
    """Every key of every code list: a column mostly outside it is no coded field's column."""
    return {key: True for codes in CODE_LISTS.values() for key in codes}


def _sex_from_flag(columns: Sequence[str], samples: dict[str, list[str]] | None,
                   taken: set[str]) -> tuple[str, dict[str, str], str] | None:
    """A `male` (or `female`) column: M/F codes as they are, or 0/1 read as Male/Female (the reading is kept
    in the mapping's code overrides, so it is visible and can be changed)."""
    for column in columns:
        key = code_key(column)
        if column in taken or key not in _MALE + _FEMALE:
            continue
        values = _present(samples.get(column)) if samples is not None else []
        if samples is not None and not values:
            continue
        sample = samples.get(column) if samples is not None else None
        if values and _key_share(sample, SEX_CODES) >= VALUE_MATCH_SHARE:
            return column, {}, f"{column!r}: the values are sex codes"
        if values and _key_share(sample, FLAG_CODES) >= VALUE_MATCH_SHARE:
            yes, no = ("Male", "Female") if key in _MALE else ("Female", "Male")
            overrides = {"1": yes, "0": no, "Y": yes, "N": no, "Yes": yes, "No": no, "True": yes, "False": no}
            return column, overrides, f"{column!r}: a yes/no column, read as 1 = {yes}, 0 = {no}"
    return None


_CODE = re.compile(r"^\d{5,10}$")


def _id_by_values(columns: Sequence[str], samples: dict[str, list[str]], taken: set[str]) -> tuple[str, str] | None:
    """A column of 5- to 10-digit codes, nearly all different, is an ID (a header no list knows): the first such
    unused column, and why."""
    for column in columns:
        values = _present(samples.get(column))
        if column in taken or len(values) < 5 or not all(_CODE.match(v) for v in values):
            continue
        if len(set(values)) >= 0.9 * len(values):
            digits = sorted({len(v) for v in values})
            width = f"{digits[0]}-digit" if len(digits) == 1 else f"{digits[0]}- to {digits[-1]}-digit"
            return column, f"{column!r}: its values are {width} codes, nearly all different: an ID"
    return None


def wide_scores(columns: Sequence[str], samples: dict[str, list[str]] | None) -> dict[str, str]:
    """Columns holding one subject's scale scores each (`math_ss`, `rdg_ss`, `ELA Scale Score`, "Scale Score
    Math") -> the subject they hold; columns whose values are not numbers are left out."""
    score = KINDS["assessments"].field("scale_score")
    found = {}
    for column in columns:
        match = WIDE_SCORE.match(code_key(column))
        if match and not value_problem(score, samples.get(column) if samples is not None else None):
            found[column] = SUBJECTS[match.group("a") or match.group("b")]
    return found


def survey_items(columns: Sequence[str], samples: dict[str, list[str]] | None, taken: set[str]) -> dict[str, str]:
    """Wide survey item columns -> item id: headers starting "Q1", "Q12b" (the item id is that code), or, with
    three or more of them, columns whose every answer is on a 1-5 scale, as a number or an agreement word
    ("Strongly agree": survey_answers), the item id being the header."""
    named = {c: f"Q{_ITEM.match(code_key(c)).group(1).upper()}" for c in columns
             if c not in taken and _ITEM.match(code_key(c))}
    if named or samples is None:
        return named
    scaled = [c for c in columns if c not in taken and _present(samples.get(c))
              and _answers(_present(samples.get(c)))]
    return {c: c for c in scaled} if len(scaled) >= 3 else {}


def _answers(values: list[str]) -> bool:
    """Every value is a 1-5 answer or a word, and nearly all are answers on the scale, as numbers or agreement
    words (the other words are refused, naming --code, before anything is imported)."""
    scaled = sum(1 for v in values if _LIKERT.match(v) or agreement_word(v))
    return scaled >= VALUE_MATCH_SHARE * len(values) and all(_LIKERT.match(v) or not v[:1].isdigit() for v in values)


def guess_columns(kind: str, columns: Sequence[str], samples: dict[str, list[str]] | None = None) -> ColumnGuess:
    """The mapping of `kind` the headers and values support, with a reason for every field supplied."""
    columns = list(columns)
    taken: set[str] = set()
    reasons: dict[str, str] = {}
    skip: set[str] = set()
    questions = None
    if "race" in KINDS[kind].field_names:
        keyed = _keyed(columns)
        race_column = next((keyed[k] for k in map(_code_key, spellings("race")) if k in keyed), None)
        questions = guess_race_questions(columns, race_column)
        if questions is None and race_column is not None:
            questions = _hispanic_beside(columns, race_column, samples, keyed)
        if questions is not None:
            taken |= set(questions.raw_columns()) | ({race_column} if race_column else set())
            skip.add("race")
            reasons["race"] = f"from the two questions: Hispanic {questions.hispanic!r} and races " + \
                f"{', '.join(map(repr, questions.flags.values())) or repr(questions.listed)}"
    wide = wide_scores(columns, samples) if kind == "assessments" else {}
    keyed = _keyed(columns)
    if wide and not any(_code_key(s) in keyed for s in spellings("subject")):
        skip |= {"subject", "scale_score"}
        taken |= set(wide)
    chosen, header_reasons, refused = _by_header(kind, columns, samples, taken, skip)
    reasons |= header_reasons
    if samples is not None:
        reasons |= _by_values(kind, columns, samples, chosen, taken, skip)
    overrides: dict[str, dict[str, str]] = {}
    if "sex" in KINDS[kind].field_names and "sex" not in chosen:
        found = _sex_from_flag(columns, samples, taken)
        if found:
            chosen["sex"], sex_codes, reasons["sex"] = found
            taken.add(chosen["sex"])
            overrides = {"sex": sex_codes} if sex_codes else {}
    if "student_id" in KINDS[kind].field_names and "student_id" not in chosen and samples is not None:
        found_id = _id_by_values(columns, samples, taken)
        if found_id:
            chosen["student_id"], reasons["student_id"] = found_id
            taken.add(found_id[0])
    _school_from_names(kind, chosen, reasons, samples)
    if "school_id" in KINDS[kind].field_names and "school_id" not in chosen:
        name = chosen.get("school_name") or _by_header("schools", columns, samples, set(), {"school_id"})[0].get(
            "school_name")
        if name:
            chosen["school_id"] = name
            reasons["school_id"] = (f"made from {name!r} (no school code column): a stable code from each "
                                    "school's name; the name is what you see")
    unpivot = None
    if wide and "subject" in skip:
        unpivot = Unpivot(tuple(wide), "subject", "scale_score", names=dict(wide))
        reasons["subject"] = reasons["scale_score"] = (
            "one row per subject from the score columns " + ", ".join(f"{c!r} ({s})" for c, s in wide.items()))
    if kind == "survey" and "response" in chosen and samples is not None:
        _read_answers(overrides, reasons, _present(samples.get(chosen["response"])))
    if kind == "survey" and "item_id" not in chosen:
        items = survey_items(columns, samples, taken)
        if items and "response_id" not in chosen:  # an anonymous survey without respondent IDs: one row each
            chosen["response_id"] = ROW_NUMBER_COLUMN
            reasons["response_id"] = "no respondent ID in the file: each row is one respondent (its row number)"
        if items:
            unpivot = Unpivot(tuple(items), "item_id", "response", names=items)
            reasons["item_id"] = reasons["response"] = (f"one row per answer from the {len(items)} item columns "
                                                        f"{', '.join(map(repr, list(items)[:3]))}"
                                                        + (", ..." if len(items) > 3 else ""))
            _read_answers(overrides, reasons, [v for c in items for v in _present(samples.get(c))] if samples else [])
    date_format = _readings(kind, chosen, reasons, samples)
    from_name = "school_id" in reasons and reasons["school_id"].startswith("made from")
    mapping = Mapping(kind=kind, columns=chosen, race_questions=questions, unpivot=unpivot, code_overrides=overrides,
                      school_id_from_name=from_name, date_format=date_format)
    return ColumnGuess(mapping, reasons, tuple(refused))


def _read_answers(overrides: dict[str, dict[str, str]], reasons: dict[str, str], answers: list[str]) -> None:
    """Answers written as words: their reading is part of the mapping (shown, and changeable with --code)."""
    reading = answer_reading(answers)
    if reading:
        overrides["response"] = reading
        reasons["response"] = f"{reasons['response']}; {reading_said(reading)}"


def _school_from_names(kind: str, chosen: dict[str, str], reasons: dict[str, str],
                       samples: dict[str, list[str]] | None) -> None:
    """A school column of names ("Building": Lincoln Elementary) is the school's name, and its code is made from
    the name, as for a file with a school name column (so both files name the school alike)."""
    if not (chosen.get("school_id") and samples is not None and _names(samples.get(chosen["school_id"]))):
        return
    named = chosen.pop("school_id")
    if "school_name" in KINDS[kind].field_names:
        chosen.setdefault("school_name", named)
    else:
        chosen["school_id"] = named
        reasons["school_id"] = (f"made from {named!r}, whose values are school names: a stable code from each "
                                "school's name, the same as a file with a school name column gets")


def _readings(kind: str, chosen: dict[str, str], reasons: dict[str, str],
              samples: dict[str, list[str]] | None) -> str:
    """How values are read beyond their columns, said in the reasons: the dates' order (returned as the
    format), a test's proficiency from its performance level and a course's level from its name."""
    for name, (source, code_list) in DERIVED_FIELDS.get(kind, {}).items():  # read as the importer does (field_sql)
        if name not in chosen and source in chosen:
            reasons[name] = _derived_reason(name, chosen[source], code_list,
                                            samples.get(chosen[source]) if samples is not None else None)
    date_format = Mapping.date_format
    dates = [f.name for f in KINDS[kind].fields if f.sql_type == "DATE" and f.name in chosen]
    if dates and samples is not None:
        date_format, why = date_format_of([v for f in dates for v in _present(samples.get(chosen[f]))])
        for f in (dates if why else []):
            reasons[f] = f"{reasons.get(f, repr(chosen[f]))}; {why}"
        for f in dates:
            serials = serial_dates_said(_present(samples.get(chosen[f])))
            reasons[f] = f"{reasons.get(f, repr(chosen[f]))}; {serials}" if serials else reasons.get(f, "")
    return date_format


def serial_dates_said(values: Sequence[str]) -> str:
    """How a date column's Excel serial day numbers are read, in words ("" when it holds none)."""
    numbers = [v for v in values if EXCEL_SERIAL.match(v)]
    read = next(((v, excel_serial_date(v)) for v in numbers if excel_serial_date(v)), None)
    if read is None:
        return ""
    return (f"its numbers are Excel serial dates ({read[0]} is {read[1].isoformat()}, the 1900 date system), read "
            "as dates from 1 Jan 2000 to 31 Dec 2040; other numbers are no date")


def _derived_reason(name: str, column: str, code_list: str, values: Sequence[object] | None) -> str:
    """Why field `name`, which has no column, is read from `column` through `code_list`, and how."""
    if code_list == "proficiency_level":
        return (f"from the levels in {column!r}: met or exceeded the standard is proficient ('Standard Met', "
                "'Proficient', 'Meets Expectations'); a numbered level is not read (say it with --code "
                f"{name}:3=Yes)")
    read = Counter(course_level_of_name(v) for v in _present(values)) if values is not None else Counter()
    counted = f" (in the sample: {', '.join(f'{level} x{n}' for level, n in read.most_common())})" if read else ""
    return (f"from the course names in {column!r} (no course level column): a name with 'Algebra I' is Algebra I; "
            "'Pre-AP' or 'Honors', Honors; 'AP' or 'Advanced Placement', AP; 'IB', IB; 'Dual Enrollment', 'Dual "
            "Credit' or 'Concurrent Enrollment', Dual credit; any other, General" + counted
            + f"; another reading with --code \"{name}:<course name>=<level>\"")


def _code_key(text: str) -> str:
    return code_key(text)


_NAME_LIKE = re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]")


def _names(values: Sequence[object] | None) -> bool:
    """Whether a column holds names ("Lincoln Elementary") rather than codes ("0101", "LIN")."""
    present = _present(values)
    return len(present) >= 3 and _share(present, lambda v: bool(_NAME_LIKE.search(v))) >= VALUE_MATCH_SHARE


_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T].*)?$")
_NAMED_MONTH = re.compile(r"^\d{1,2}([ -])[A-Za-z]{3}\1\d{4}$")  # 15-Sep-2024


def date_format_of(values: Sequence[str]) -> tuple[str, str]:
    """The strptime format of a file's dates written with numbers (day/month/year or month/day/year, with /,
    . or -) and why: day first where a first number is over 12 and no second one is, or dates are written
    with dots (15.09.2024); month first (the default) otherwise, said when every date could be either."""
    default = Mapping.date_format
    if values and all(_NAMED_MONTH.match(v) for v in values):
        separator = _NAMED_MONTH.match(values[0]).group(1)
        return f"%d{separator}%b{separator}%Y", "dates read as day, month name, year"
    matched = [(v, m.groups()) for v, m in zip(values, map(_NUMERIC_DATE.match, values), strict=True) if m]
    if not matched:
        return default, ""
    parts = [groups for _, groups in matched]
    separator = parts[0][1]
    first_over = any(int(p[0]) > 12 for p in parts)
    second_over = any(int(p[2]) > 12 for p in parts)
    if first_over and second_over:
        return default, "its dates mix day-first and month-first orders: read month first, the rest are missing"
    if first_over or (separator == "." and not second_over):
        example = next(((v, p[0]) for v, p in matched if int(p[0]) > 12), None)
        why = f"read day first ({example[0]}: {example[1]} is no month)" if example else \
            "read day first (dates written with dots)"
        return f"%d{separator}%m{separator}%Y", why
    if separator != "/":
        return f"%m{separator}%d{separator}%Y", "read month first"
    return default, "" if second_over else "read month first (no date in the sample tells the order)"
