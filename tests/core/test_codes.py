"""Code lists: every spelling districts export maps to the right canonical value, and the Python and SQL
comparison keys agree."""

from __future__ import annotations

import string

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity_metrics.core import codes
from equity_metrics.core.codes import (
    ACTIONS,
    CODE_LISTS,
    DISABILITY_CATEGORIES,
    INTERVENTIONS,
    PLACEMENTS,
    STAGES,
    code_key,
    code_key_sql,
    lookup,
    normalise_school_year,
)
from equity_metrics.core.constants import (
    AMERICAN_INDIAN,
    ASIAN,
    ASIAN_PACIFIC,
    BLACK,
    DIMENSIONS,
    GRADE_ORDER,
    HISPANIC,
    NATIVE_OR_MULTIPLE,
    PACIFIC_ISLANDER,
    RACE_LABELS,
    SEX_LABELS,
    TWO_OR_MORE,
    UNKNOWN,
    WHITE,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- race ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # CRDC two-letter codes
        ("HI", HISPANIC), ("AM", AMERICAN_INDIAN), ("AS", ASIAN), ("HP", PACIFIC_ISLANDER), ("BL", BLACK),
        ("WH", WHITE), ("TR", TWO_OR_MORE),
        # one-letter codes: H I A P B W M, and the W H B A N D variant
        ("H", HISPANIC), ("I", AMERICAN_INDIAN), ("A", ASIAN), ("P", PACIFIC_ISLANDER), ("B", BLACK),
        ("W", WHITE), ("M", TWO_OR_MORE), ("N", AMERICAN_INDIAN), ("D", TWO_OR_MORE),
        # lower case codes and padding
        ("hi", HISPANIC), (" bl ", BLACK), ("wh\t", WHITE),
        # full names and their usual spellings
        ("Hispanic", HISPANIC), ("Hispanic or Latino", HISPANIC), ("Hispanic/Latino", HISPANIC),
        ("Latino", HISPANIC), ("Latina", HISPANIC), ("Latinx", HISPANIC), ("LATINX", HISPANIC),
        ("American Indian or Alaska Native", AMERICAN_INDIAN), ("Am. Indian/Alaskan", AMERICAN_INDIAN),
        ("Native American", AMERICAN_INDIAN), ("American Indian/Alaska Native", AMERICAN_INDIAN),
        ("AI/AN", AMERICAN_INDIAN),
        ("Asian", ASIAN), ("asian american", ASIAN),
        ("Black or African American", BLACK), ("Black/African Am.", BLACK), ("African American", BLACK),
        ("Black", BLACK), ("Black or African-American", BLACK), ("black / african american", BLACK),
        ("Native Hawaiian or Other Pacific Islander", PACIFIC_ISLANDER), ("Pacific Islander", PACIFIC_ISLANDER),
        ("Native Hawaiian", PACIFIC_ISLANDER), ("Native Hawaiian/Pacific Islander", PACIFIC_ISLANDER),
        ("White", WHITE), ("Caucasian", WHITE), ("White, not Hispanic", WHITE),
        ("Two or more races", TWO_OR_MORE), ("Two or More", TWO_OR_MORE), ("Multiracial", TWO_OR_MORE),
        ("Multi-racial", TWO_OR_MORE), ("2 or more races", TWO_OR_MORE), ("Two+ races", TWO_OR_MORE),
        # unknown and declined
        ("Declined", UNKNOWN), ("Declined to state", UNKNOWN), ("Unknown", UNKNOWN), ("U", UNKNOWN),
        ("NA", UNKNOWN), ("N/A", UNKNOWN), ("", UNKNOWN), ("   ", UNKNOWN), ("Prefer not to say", UNKNOWN), ("UN", UNKNOWN),
    ],
)
def test_race_spellings(raw: str, expected: str) -> None:
    assert lookup("race", raw) == expected


@pytest.mark.parametrize("raw", ["Martian", "7", "X"])
def test_race_values_never_guessed(raw: str) -> None:
    # numeric codebook values and unknown words cannot be guessed: unknown (None), listed in the report
    assert lookup("race", raw) is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("Asian/Pacific Islander", ASIAN_PACIFIC), ("API", ASIAN_PACIFIC), ("Multiple/Native American", NATIVE_OR_MULTIPLE),
])
def test_merged_race_categories_are_kept_as_the_file_says(raw: str, expected: str) -> None:
    # an old merged category cannot be split: it stays its own group, never Asian or Pacific Islander by guess
    assert lookup("race", raw) == expected
    assert expected in DIMENSIONS["race"].values and expected not in RACE_LABELS


def test_race_codes_only_produce_federal_labels_or_a_merged_category() -> None:
    assert set(codes.RACE_CODES.values()) == set(RACE_LABELS) | {ASIAN_PACIFIC, NATIVE_OR_MULTIPLE, UNKNOWN}


# ---- sex -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("F", "Female"), ("f", "Female"), ("Female", "Female"), ("FEMALE", "Female"), ("Girl", "Female"),
        ("M", "Male"), ("Male", "Male"), ("male ", "Male"), ("Boy", "Male"),
        ("X", "Nonbinary"), ("Non-binary", "Nonbinary"), ("Nonbinary", "Nonbinary"), ("non binary", "Nonbinary"),
        ("NB", "Nonbinary"),
        ("U", UNKNOWN), ("Unknown", UNKNOWN), ("", UNKNOWN), ("Declined", UNKNOWN), ("N/A", UNKNOWN),
    ],
)
def test_sex_spellings(raw: str, expected: str) -> None:
    assert lookup("sex", raw) == expected


def test_sex_codes_only_produce_sex_labels() -> None:
    assert set(codes.SEX_CODES.values()) == set(SEX_LABELS) | {UNKNOWN}


@pytest.mark.parametrize("raw", ["Q", "Yes", "2"])
def test_sex_unknown_values(raw: str) -> None:
    assert lookup("sex", raw) is None


# ---- yes/no flags ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Y", True), ("y", True), ("Yes", True), ("YES", True), ("1", True), ("TRUE", True), ("true", True),
        ("True", True), ("T", True), ("X", True), ("x", True), ("1.0", True), ("Yes.", True),
        ("N", False), ("n", False), ("No", False), ("NO", False), ("0", False), ("FALSE", False),
        ("false", False), ("F", False), ("0.0", False),
    ],
)
def test_flag_spellings(raw: str, expected: bool) -> None:
    assert lookup("flag", raw) is expected


@pytest.mark.parametrize("raw", ["", "  ", "maybe", "2", "Unknown", None])
def test_flag_blank_and_unknown_are_missing_not_no(raw: str | None) -> None:
    assert lookup("flag", raw) is None


# ---- grades ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PK", "PK"), ("Pre-K", "PK"), ("PreK", "PK"), ("pre-kindergarten", "PK"), ("Preschool", "PK"),
        ("TK", "TK"), ("T-K", "TK"), ("Transitional Kindergarten", "TK"),
        ("K", "K"), ("KG", "K"), ("kg", "K"), ("KN", "K"), ("Kindergarten", "K"), ("00", "K"), ("0", "K"),
        ("Grade K", "K"),
        ("1", "1"), ("01", "1"), ("Grade 1", "1"), ("Grade 01", "1"), ("grade-1", "1"), ("1st", "1"),
        ("2nd", "2"), ("3rd", "3"), ("4th", "4"), ("Gr 5", "5"), ("09", "9"), ("10th", "10"), ("10", "10"),
        ("11", "11"), ("12", "12"), ("12th", "12"), ("12.0", "12"), ("1.0", "1"), (" 07 ", "7"),
    ],
)
def test_grade_spellings(raw: str, expected: str) -> None:
    assert lookup("grade", raw) == expected


@pytest.mark.parametrize("grade", range(1, 13))
def test_every_grade_with_and_without_leading_zero(grade: int) -> None:
    assert lookup("grade", str(grade)) == str(grade)
    assert lookup("grade", f"{grade:02d}") == str(grade)
    assert lookup("grade", f"Grade {grade}") == str(grade)
    assert lookup("grade", f"{grade}.0") == str(grade)


@pytest.mark.parametrize("raw", ["13", "Grade 13", "13th", "PK4", "Adult", "UG"])
def test_grade_unknown_values(raw: str) -> None:
    assert lookup("grade", raw) is None


@pytest.mark.parametrize("raw", ["-1", "-2"])
def test_negative_grade_codes_are_not_grades_1_and_2(raw: str) -> None:
    assert lookup("grade", raw) in ("PK", None)


def test_grade_codes_only_produce_grade_order_values() -> None:
    assert set(codes.GRADE_CODES.values()) == set(GRADE_ORDER)


# ---- low income ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # meal-status codes: 0 not eligible, 1 free, 2 reduced
        ("0", False), ("1", True), ("2", True),
        ("Free", True), ("Reduced", True), ("Free/Reduced", True), ("FRL", True), ("F/R", True),
        ("Paid", False), ("Full pay", False), ("Not eligible", False),
        ("Economically disadvantaged", True), ("Not economically disadvantaged", False),
        ("Y", True), ("N", False), ("Yes", True), ("No", False),
    ],
)
def test_low_income_codes(raw: str, expected: bool) -> None:
    assert lookup("low_income", raw) is expected


def test_low_income_code_9_other_is_unknown() -> None:
    # 9 = other/unknown: never guessed, so it is missing and listed by the import report
    assert lookup("low_income", "9") is None


@pytest.mark.parametrize(("raw", "expected"), [("F", True), ("R", True)])
def test_low_income_meal_letters(raw: str, expected: bool) -> None:
    assert lookup("low_income", raw) is expected


# ---- other lists only produce their canonical values ------------------------------------------------
@pytest.mark.parametrize(
    ("code_list", "canonical"),
    [
        ("action", ACTIONS),
        ("disability_category", DISABILITY_CATEGORIES),
        ("placement", PLACEMENTS),
        ("intervention", INTERVENTIONS),
        ("stage", STAGES),
        ("offense_category", ("Objective", "Subjective")),
        ("respondent_type", ("Student", "Family", "Staff")),
        ("school_level", ("Elementary", "Middle", "High")),
        ("subject", ("Math", "Reading", "Science", "Writing", "Social studies")),
    ],
)
def test_code_list_values_are_canonical(code_list: str, canonical: tuple[str, ...]) -> None:
    assert set(CODE_LISTS[code_list].values()) == set(canonical)


@pytest.mark.parametrize(
    ("code_list", "raw", "expected"),
    [
        ("action", "OSS", "Out-of-school suspension"), ("action", "iss", "In-school suspension"),
        ("action", "Expelled", "Expulsion"), ("action", "Referral to law enforcement", "Law enforcement referral"),
        ("action", "Detention", "Other"), ("offense_category", "S", "Subjective"),
        ("offense_category", "Obj", "Objective"), ("course_level", "Advanced Placement", "AP"),
        ("course_level", "Dual Credit/Dual Enrollment", "Dual credit"), ("course_level", "Alg 1", "Algebra I"),
        ("placement", "RC80", "Regular class 80% or more"), ("placement", "<40%", "Regular class less than 40%"),
        ("disability_category", "SLD", "Specific learning disability"), ("stage", "Offer extended", "Offered"),
        ("respondent_type", "Parent", "Family"), ("subject", "ELA", "Reading"), ("intervention", "Tier II", "Tier 2"),
    ],
)
def test_other_code_spellings(code_list: str, raw: str, expected: str) -> None:
    assert lookup(code_list, raw) == expected


def test_keys_refuse_a_spelling_claimed_twice() -> None:
    with pytest.raises(ValueError, match="maps to both"):
        codes._keys({"A": ("x-y",), "B": ("X Y",)})


# ---- school years ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-24", "2023-24"), ("2023-2024", "2023-24"), ("2023/24", "2023-24"), ("2023/2024", "2023-24"),
        ("2024", "2023-24"), (" 2023 - 24 ", "2023-24"), ("2023–24", "2023-24"), ("1999-00", "1999-00"),
        ("1999-2000", "1999-00"), ("2000", "1999-00"), ("2009-10", "2009-10"),
        ("2023-25", None), ("2023-23", None), ("2023-2025", None), ("23-24", None), ("FY24", None), ("", None),
        ("2023-24-25", None), ("24", None),
        ("SY 2024-25", "2024-25"), ("SY2024-2025", "2024-25"), ("sy 2025", "2024-25"), ("SY24-25", "2024-25"),
        ("School Year 2024-25", "2024-25"), ("2024-25 School Year", "2024-25"), ("20242025", "2024-25"),
        ("S.Y. 2024/25", "2024-25"), ("SY 24-26", None), ("20242026", None), ("202425", None), ("SY 2024-25 x", None),
    ],
)
def test_normalise_school_year(raw: str, expected: str | None) -> None:
    assert normalise_school_year(raw) == expected


def test_normalise_school_year_rejects_wrong_century_end() -> None:
    assert normalise_school_year("2023-2124") is None


@pytest.mark.parametrize("raw", ["0042", "1234", "0999-00", "1949-50", "2100-01", "2101", "9999"])
def test_a_four_digit_code_is_not_a_school_year(raw: str) -> None:
    # a school code such as "0042" must never be read as the school year 41-42
    assert normalise_school_year(raw) is None


@pytest.mark.parametrize("raw", ["0042", "1234", "1949-50", "1950-51", "2099-00", "2100", "2101", "2023-24", "2024",
                                 "SY 2024-25", "SY2024-2025", "SY24-25", "2024-25 School Year", "20242025", "sy 2025",
                                 "S.Y. 2024/25", "SY 24-26", "20242026", "202425", "23-24", "1999-2000", "SY99-00"])
def test_the_importer_reads_school_years_as_python_does(raw: str) -> None:
    from equity_metrics.ingest.field_sql import school_year_sql

    value = duckdb.connect().execute(f"SELECT {school_year_sql('$raw')}", {"raw": raw}).fetchone()[0]
    assert value == normalise_school_year(raw)


# ---- code_key properties ---------------------------------------------------------------------------
# Swaps the case of ASCII letters only (str.upper would turn "ß" into "SS").
_ASCII_SWAP = str.maketrans(string.ascii_letters, string.ascii_uppercase + string.ascii_lowercase)
SEPARATORS = st.text(alphabet=string.punctuation + " \t\n\r\u00a0", min_size=1, max_size=3)
PADDING = st.text(alphabet=string.punctuation + " \t\n\r", max_size=3)
# Before the text, no minus: "-1" is another code than "1" (a leading minus before a digit is kept).
LEADING_PADDING = st.text(alphabet=string.punctuation.replace("-", "") + " \t\n\r", max_size=3)
# Letters (ASCII and not), digits, punctuation, whitespace; U+0130 is tested on its own below.
KEY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(string.ascii_letters + string.digits + string.punctuation + " \t\n"),
        st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00\u0130"),
    ),
    max_size=20,
)


def test_code_key_examples() -> None:
    assert code_key("Black/African Am.") == "black african am"
    assert code_key("  Am. Indian/Alaskan ") == "am indian alaskan"
    assert code_key("Two+ races") == "two races"
    assert code_key("---") == ""
    assert code_key("Grade 01") == "grade 01"


@SETTINGS
@given(KEY_TEXT)
def test_code_key_is_idempotent(text: str) -> None:
    assert code_key(code_key(text)) == code_key(text)


@SETTINGS
@given(KEY_TEXT, st.data())
def test_code_key_ignores_case_punctuation_and_padding(text: str, data: st.DataObject) -> None:
    key = code_key(text)
    words = key.split(" ") if key else []
    flips = data.draw(st.lists(st.booleans(), min_size=len(key), max_size=len(key)))
    varied_words = []
    position = 0
    for word in words:
        varied_words.append("".join(c.upper() if flips[position + i] else c for i, c in enumerate(word)))
        position += len(word) + 1
    separators = [data.draw(SEPARATORS) for _ in range(max(len(words) - 1, 0))]
    varied = data.draw(LEADING_PADDING)
    for i, word in enumerate(varied_words):
        varied += word + (separators[i] if i < len(separators) else "")
    varied += data.draw(PADDING)
    assert code_key(varied) == key
    assert code_key(text.translate(_ASCII_SWAP)) == key
    assert code_key(f" \t{text}\n ") == key


CODE_ENTRIES = [(name, key, value) for name, table in CODE_LISTS.items() for key, value in table.items()]


def _respell(key: str, data: st.DataObject) -> str:
    """The key with random case changes, punctuation/whitespace between words and around it."""
    words = key.split(" ") if key else []
    out = data.draw(PADDING)
    if key[:1].isdigit():  # a sign or a decimal point before a number makes another number ("-1" is not "1")
        out = out.rstrip("+-.")
    for i, word in enumerate(words):
        out += "".join(data.draw(st.sampled_from((c.lower(), c.upper()))) for c in word)
        if i < len(words) - 1:
            out += data.draw(SEPARATORS)
    return out + data.draw(PADDING)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CODE_ENTRIES), st.data())
def test_lookup_survives_respelling_of_every_code(entry: tuple[str, str, object], data: st.DataObject) -> None:
    code_list, key, canonical = entry
    assert lookup(code_list, _respell(key, data)) == canonical


def test_lookup_of_every_code_key_exactly() -> None:
    for code_list, key, canonical in CODE_ENTRIES:
        assert lookup(code_list, key) == canonical, (code_list, key)
        assert lookup(code_list, f"  {key.upper()}. ") == canonical, (code_list, key)


@pytest.fixture(scope="module")
def duck() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _sql_key(connection: duckdb.DuckDBPyConnection, text: str) -> str:
    return connection.execute(f"SELECT {code_key_sql('$v')}", {"v": text}).fetchone()[0]


@SETTINGS
@given(KEY_TEXT)
def test_code_key_sql_matches_python(duck: duckdb.DuckDBPyConnection, text: str) -> None:
    assert _sql_key(duck, text) == code_key(text)


@pytest.mark.parametrize(
    "text",
    ["José", "Straße", "\u212a", "ǅ", "ΣΑΣ", "ＡＢ", "١٢", "Black/African Am.", " a\tb\nc ", "Am. Indian/Alaskan"],
)
def test_code_key_sql_matches_python_examples(duck: duckdb.DuckDBPyConnection, text: str) -> None:
    assert _sql_key(duck, text) == code_key(text)


def test_code_key_sql_matches_python_for_dotted_capital_i(duck: duckdb.DuckDBPyConnection) -> None:
    assert _sql_key(duck, "HİSPANIC") == code_key("HİSPANIC")
