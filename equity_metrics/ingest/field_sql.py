"""The SQL that turns a raw text value into its field's canonical value: code lists as MAP literals, school
years, numbers (decimal commas), dates in the file's order, the race of the two-question form, a school's code
from its name, the school year of a date, and the user's own reading of codes. Raw values are only ever data
(columns and bound parameters); the literals here are the library's own constants."""

from __future__ import annotations

import re
from datetime import date, timedelta

from equity_metrics.core.codes import (
    CODE_LISTS,
    COURSE_NAME_DEFAULT_LEVEL,
    COURSE_NAME_LEVELS,
    FIRST_SCHOOL_YEAR,
    LAST_SCHOOL_YEAR,
    code_key,
    code_key_sql,
)
from equity_metrics.core.constants import HISPANIC, TWO_OR_MORE, UNKNOWN
from equity_metrics.core.school_year import LABELLED_SHORT_PATTERN, SCHOOL_YEAR_PATTERN
from equity_metrics.ingest.cleaning import cleaned_sql, sql_string
from equity_metrics.ingest.mapping import Mapping, RaceQuestions
from equity_metrics.storage.schema import Field
from equity_metrics.storage.store import quote_identifier


def sql_literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return sql_string(str(value))


def code_map_sql(code_list: str) -> str:
    """A DuckDB MAP literal of a built-in code list (our constants, not user data)."""
    items = ", ".join(f"{sql_string(k)}: {sql_literal(v)}" for k, v in CODE_LISTS[code_list].items())
    return f"MAP {{{items}}}"


def school_year_sql(text: str) -> str:
    """The SQL twin of codes.normalise_school_year (same patterns, same plausible years): '2023-24',
    '2023/2024', '2023 – 24', '20232024', 'SY 2023-24', 'SY23-24', or a single year '2024' (the year ending then)."""
    long = f"regexp_extract({text}, {sql_string(SCHOOL_YEAR_PATTERN)}, ['first', 'second', 'joined'])"
    short = f"regexp_extract({text}, {sql_string(LABELLED_SHORT_PATTERN)}, ['first', 'second'])"
    first = f"CASE WHEN {short}.first <> '' THEN '20' || {short}.first ELSE {long}.first END"
    second = (f"CASE WHEN {short}.first <> '' THEN {short}.second WHEN {long}.second <> '' THEN {long}.second "
              f"ELSE {long}.joined END")
    start = f"TRY_CAST({first} AS INTEGER)"
    return (
        f"CASE WHEN {first} = '' THEN NULL "
        f"WHEN {second} = '' THEN CASE WHEN {start} BETWEEN {FIRST_SCHOOL_YEAR + 1} AND {LAST_SCHOOL_YEAR} "
        f"THEN CAST({start} - 1 AS VARCHAR) || '-' || right({first}, 2) END "
        f"WHEN {start} BETWEEN {FIRST_SCHOOL_YEAR} AND {LAST_SCHOOL_YEAR - 1} AND ("
        f"(length({second}) = 4 AND TRY_CAST({second} AS INTEGER) = {start} + 1) OR "
        f"(length({second}) = 2 AND ({start} + 1) % 100 = TRY_CAST({second} AS INTEGER))) "
        f"THEN {first} || '-' || lpad(CAST(({start} + 1) % 100 AS VARCHAR), 2, '0') END"
    )


# Excel keeps a date as the number of days since 30 Dec 1899 (the 1900 date system): a date cell without a
# date format is exported as that number (45550 is 2024-09-15). Five digits between 1 Jan 2000 and 31 Dec 2040
# (a time of day as a fraction allowed) are read as such a date; other numbers are no date.
EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
EXCEL_EPOCH = date(1899, 12, 30)
FIRST_SERIAL, LAST_SERIAL = (date(2000, 1, 1) - EXCEL_EPOCH).days, (date(2040, 12, 31) - EXCEL_EPOCH).days


def excel_serial_date(value: str) -> date | None:
    """The date an Excel serial day number stands for (`EXCEL_SERIAL`, in range), else None."""
    if not EXCEL_SERIAL.match(value.strip()) or not FIRST_SERIAL <= float(value) < LAST_SERIAL + 1:
        return None
    return EXCEL_EPOCH + timedelta(days=int(float(value)))


def _serial_date_sql(text: str) -> str:
    number = f"TRY_CAST({text} AS DOUBLE)"
    return (f"CASE WHEN regexp_full_match({text}, {sql_string(EXCEL_SERIAL.pattern[1:-1])}) AND {number} >= "
            f"{FIRST_SERIAL} AND {number} < {LAST_SERIAL + 1} THEN DATE '{EXCEL_EPOCH.isoformat()}' + "
            f"CAST(floor({number}) AS INTEGER) END")


COURSE_NAME_LEVEL = "course_name_level"  # the "code list" of a course level read off the course's name


def course_level_from_name_sql(text: str) -> str:
    """The SQL twin of codes.course_level_of_name: the level a course's name says, General when it says none;
    NULL for a blank name."""
    key = code_key_sql(text)
    cases = " ".join(f"WHEN regexp_matches({key}, {sql_string(pattern)}) THEN {sql_string(level)}"
                     for pattern, level in COURSE_NAME_LEVELS)
    return f"CASE WHEN {text} IS NULL THEN NULL {cases} ELSE {sql_string(COURSE_NAME_DEFAULT_LEVEL)} END"


def field_sql(f: Field, text: str, date_format: str) -> str:
    """Expression turning cleaned raw text into the canonical value of field `f`."""
    code_list = f.codes
    if code_list == "school_year":
        return school_year_sql(text)
    if code_list == COURSE_NAME_LEVEL:
        return course_level_from_name_sql(text)
    if code_list is not None:
        return f"{code_map_sql(code_list)}[{code_key_sql(text)}]"
    if f.sql_type == "DOUBLE":
        # Every numeric field is a count, score or answer: finite and never negative, else missing (reported).
        # a comma before one or two last digits is a decimal comma ("0,5", "1.234,5"); else thousands ("1,007")
        digits = (f"CASE WHEN NOT contains({text}, ',') THEN {text} "
                  rf"WHEN regexp_full_match({text}, '\d+,\d{{1,2}}%?') THEN replace({text}, ',', '.') "
                  rf"WHEN regexp_full_match({text}, '\d{{1,3}}(\.\d{{3}})+,\d+%?') "
                  f"THEN replace(replace({text}, '.', ''), ',', '.') ELSE replace({text}, ',', '') END")
        number = f"TRY_CAST(replace({digits}, '%', '') AS DOUBLE)"
        return f"CASE WHEN isfinite({number}) AND {number} >= 0 THEN {number} END"
    if f.sql_type == "DATE":
        # %Y also accepts two digits ("09/03/24" -> year 24): such years are read with %y instead.
        four_digit = f"try_strptime({text}, {sql_string(date_format)})"
        two_digit = f"try_strptime({text}, {sql_string(date_format.replace('%Y', '%y'))})"
        return (
            f"CAST(coalesce({_serial_date_sql(text)}, CASE WHEN year({four_digit}) >= 1000 THEN {four_digit} "
            f"ELSE {two_digit} END, "
            f"try_strptime({text}, '%Y-%m-%d %H:%M:%S'), try_strptime({text}, '%Y-%m-%d'), "
            f"try_strptime(split_part({text}, 'T', 1), '%Y-%m-%d'), "  # ISO 8601 with a time: 2024-09-15T08:05
            # a date followed by a time of day ("10/3/2024 9:15:22", a survey's timestamp): the date part
            f"try_strptime(split_part({text}, ' ', 1), {sql_string(date_format)})) AS DATE)"
        )
    return text


def school_code_from_name_sql(column: str) -> str:
    """A stable school code made from a school's name (spaces and capitals do not count): 'N-' and the first
    10 hex digits of the MD5 of the folded name; NULL for a blank name."""
    folded = f"lower(regexp_replace(trim(CAST({column} AS VARCHAR)), '\\s+', ' ', 'g'))"
    return f"CASE WHEN {cleaned_sql(f'CAST({column} AS VARCHAR)')} IS NOT NULL THEN 'N-' || left(md5({folded}), 10) END"


def year_from_date_sql(column: str, mapping: Mapping) -> str:
    """The school year ('2023-24') a date falls in, a school year starting on day `mapping.year_start_day` of
    `mapping.year_start_month`; NULL for a blank or unreadable date."""
    date = field_sql(Field("d", "DATE"), cleaned_sql(f"CAST({column} AS VARCHAR)"), mapping.date_format)
    first = int(mapping.year_start_month) * 100 + int(mapping.year_start_day)  # both checked whole numbers
    start = f"(year({date}) - CASE WHEN month({date}) * 100 + day({date}) < {first} THEN 1 ELSE 0 END)"
    return f"CAST({start} AS VARCHAR) || '-' || lpad(CAST(({start} + 1) % 100 AS VARCHAR), 2, '0')"


def race_from_questions_sql(questions: RaceQuestions, overrides: dict[str, str] | None = None,
                            params: list[object] | None = None) -> str:
    """The federal category from a Hispanic flag and race flags or a list of races (see RaceQuestions).

    Never a guess: where a race code (or the Hispanic answer) is one no code list knows and the answer is not
    Hispanic anyway, the expression gives the unread codes themselves ("2", or "Blk; Wht"), which the race code
    list does not read either, so the row's race is stored as missing and the codes are listed in the import
    report like a race column's (`importer._unknown_codes`). `overrides` (the user's `--code race:VALUE=...`,
    matched by code key; values bound into `params`) read a code before the built-in list, part by part."""
    flag_map, race_map = code_map_sql("flag"), code_map_sql("race")

    def flag(column: str) -> str:
        return f"{flag_map}[{code_key_sql(cleaned_sql(quote_identifier(column)))}]"

    said = ""
    if overrides and params is not None:
        params.extend([[code_key(raw) for raw in overrides], list(overrides.values())])
        said = f"map(${len(params) - 1}::VARCHAR[], ${len(params)}::VARCHAR[])"

    def read(text: str) -> str:  # a race code as its label (Unknown for a deliberate blank), NULL when unread
        known = f"{race_map}[{code_key_sql(text)}]"
        return f"coalesce({said}[{code_key_sql(text)}], {known})" if said else known

    from_flags = ", ".join(f"CASE WHEN {flag(column)} THEN {sql_string(label)} END"
                           for label, column in questions.flags.items())
    races = f"list_filter([{from_flags}], lambda x: x IS NOT NULL)" if from_flags else "[]::VARCHAR[]"
    listed = unread_listed = "[]::VARCHAR[]"
    if questions.listed:
        split = f"regexp_split_to_array(coalesce({cleaned_sql(quote_identifier(questions.listed))}, ''), '\\s*[,;|]\\s*')"
        parts = f"list_filter({split}, lambda x: trim(x) <> '')"
        listed = f"list_filter(list_transform({parts}, lambda x: {read('x')}), lambda x: x IS NOT NULL)"
        unread_listed = f"list_filter({parts}, lambda x: {read('x')} IS NULL)"
    # a yes/no answer, or the ethnicity written out ("Hispanic or Latino", "Not Hispanic or Latino", "H")
    hispanic, unread_hispanic = "FALSE", "[]::VARCHAR[]"
    if questions.hispanic:
        answer = cleaned_sql(quote_identifier(questions.hispanic))
        written = read(answer)
        hispanic = f"coalesce({flag(questions.hispanic)}, {written} = '{HISPANIC}', FALSE)"
        denied = f"regexp_matches({code_key_sql(answer)}, {sql_string(NOT_HISPANIC_PATTERN)})"
        unread_hispanic = (f"CASE WHEN {answer} IS NOT NULL AND {flag(questions.hispanic)} IS NULL AND {written} IS NULL "
                           f"AND NOT {denied} THEN [{answer}] ELSE []::VARCHAR[] END")
    unread = f"list_concat({unread_hispanic}, {unread_listed})"
    excluded = f"('{UNKNOWN}', '{HISPANIC}', '{TWO_OR_MORE}')"
    named = f"list_distinct(list_filter(list_concat({races}, {listed}), lambda x: x NOT IN {excluded}))"
    return (
        f"CASE WHEN {hispanic} OR list_contains({listed}, '{HISPANIC}') THEN '{HISPANIC}' "
        f"WHEN len({unread}) > 0 THEN array_to_string({unread}, '; ') "
        f"WHEN len({named}) > 1 OR list_contains({listed}, '{TWO_OR_MORE}') THEN '{TWO_OR_MORE}' "
        f"WHEN len({named}) = 1 THEN {named}[1] END"
    )


# A Hispanic answer that says no in words ("Not Hispanic or Latino", "Non-Hispanic"), by code key.
NOT_HISPANIC_PATTERN = r"^(?:not|non) ?(?:hispanic|latin)"


def overridden_sql(f: Field, text: str, expression: str, overrides: dict[str, str], params: list[object]) -> str:
    """`expression`, except where the user said what a raw code means (matched by code key; values bound)."""
    if not overrides:
        return expression
    keys = [code_key(raw) for raw in overrides]
    values = [_OVERRIDE_VALUES.get(value, value) if f.sql_type == "BOOLEAN" else value for value in overrides.values()]
    params.extend([keys, values])
    chosen = f"map(${len(params) - 1}::VARCHAR[], ${len(params)}::VARCHAR[])[{code_key_sql(text)}]"
    # "Unknown" chosen by the user is a deliberate missing value, not a code to look up.
    return f"CASE WHEN {chosen} IS NOT NULL THEN nullif({chosen}, '{UNKNOWN}') ELSE CAST({expression} AS VARCHAR) END"


_OVERRIDE_VALUES = {"Yes": "true", "No": "false"}
