"""Constants defined once for the whole project: group labels, their order and colours, defaults.

Every module that needs a race label, a dimension name, a threshold or a group colour takes it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN = "Unknown"

# Federal race/ethnicity categories (CRDC, IDEA, EDFacts), in the order IDEA lists them.
HISPANIC = "Hispanic or Latino"
AMERICAN_INDIAN = "American Indian or Alaska Native"
ASIAN = "Asian"
BLACK = "Black or African American"
PACIFIC_ISLANDER = "Native Hawaiian or Other Pacific Islander"
WHITE = "White"
TWO_OR_MORE = "Two or more races"

RACE_LABELS: tuple[str, ...] = (
    HISPANIC,
    AMERICAN_INDIAN,
    ASIAN,
    BLACK,
    PACIFIC_ISLANDER,
    WHITE,
    TWO_OR_MORE,
)
# Older files merge categories that cannot be split afterwards: kept as the file says, never split by guess.
ASIAN_PACIFIC = "Asian or Pacific Islander (merged)"
NATIVE_OR_MULTIPLE = "American Indian or Two or more races (merged)"
MERGED_RACE_LABELS: tuple[str, ...] = (ASIAN_PACIFIC, NATIVE_OR_MULTIPLE)

# Short names used where space is tight (chart axes); the CLI and tables always use the full label.
RACE_SHORT_LABELS: dict[str, str] = {
    HISPANIC: "Hispanic/Latino",
    AMERICAN_INDIAN: "American Indian/Alaska Native",
    ASIAN: "Asian",
    BLACK: "Black",
    PACIFIC_ISLANDER: "Pacific Islander",
    WHITE: "White",
    TWO_OR_MORE: "Two or more races",
    ASIAN_PACIFIC: "Asian/Pacific Isl. (merged)",
    NATIVE_OR_MULTIPLE: "Am. Indian/Multiple (merged)",
    UNKNOWN: "Unknown",
}
# Groups counted as "of color" for staff/student composition: every known category except White.
PEOPLE_OF_COLOR: tuple[str, ...] = tuple(label for label in (*RACE_LABELS, *MERGED_RACE_LABELS) if label != WHITE)

SEX_LABELS: tuple[str, ...] = ("Female", "Male", "Nonbinary")

GRADE_ORDER: tuple[str, ...] = ("PK", "TK", "K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
GRADE_BANDS: dict[str, tuple[str, ...]] = {
    "Elementary (PK-5)": ("PK", "TK", "K", "1", "2", "3", "4", "5"),
    "Middle (6-8)": ("6", "7", "8"),
    "High (9-12)": ("9", "10", "11", "12"),
}


@dataclass(frozen=True)
class Dimension:
    """A way of splitting students into groups, with its value labels in display order."""

    name: str
    label: str
    values: tuple[str, ...]


def _flag_dimension(name: str, label: str, yes: str, no: str) -> Dimension:
    return Dimension(name, label, (yes, no))


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("race", "Race/ethnicity", (*RACE_LABELS, *MERGED_RACE_LABELS)),
        Dimension("sex", "Sex", SEX_LABELS),
        _flag_dimension("disability", "Disability (IDEA)", "Students with disabilities", "Students without disabilities"),
        _flag_dimension("section_504", "Section 504", "Section 504", "Not Section 504"),
        _flag_dimension("english_learner", "English learner", "English learners", "Not English learners"),
        _flag_dimension("low_income", "Low income", "Low income", "Not low income"),
        Dimension("grade", "Grade", GRADE_ORDER),
        Dimension("school", "School", ()),
        Dimension("school_year", "School year", ()),
    )
}
# Dimensions that define student groups (what the app compares), as opposed to where/when.
GROUP_DIMENSIONS: tuple[str, ...] = ("race", "sex", "disability", "section_504", "english_learner", "low_income")

# Defaults from IDEA (34 CFR 300.647) and common privacy practice; see docs/methods.md.
DEFAULT_MIN_CELL = 10  # minimum numerator for a risk ratio (IDEA "cell size")
DEFAULT_MIN_N = 30  # minimum denominator for a rate or risk ratio (IDEA "n-size")
DEFAULT_PRIVACY_THRESHOLD = 10  # counts from 1 to this minus one are never shown
DEFAULT_RISK_RATIO_THRESHOLD = 3.0  # significant disproportionality line used by many states
DEFAULT_CONFIDENCE = 0.95
FOUR_FIFTHS = 0.8

SAMPLE_DATA_LABEL = "Sample data (synthetic)"

# Okabe-Ito colour-blind-safe palette. Each race/ethnicity group keeps one colour in every chart and export.
OKABE_ITO: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)
UNKNOWN_COLOUR = "#999999"
GROUP_COLOURS: dict[str, str] = {
    HISPANIC: "#E69F00",
    AMERICAN_INDIAN: "#009E73",
    ASIAN: "#56B4E9",
    BLACK: "#0072B2",
    PACIFIC_ISLANDER: "#CC79A7",
    WHITE: "#D55E00",
    TWO_OR_MORE: "#F0E442",  # yellow, not black: interval lines must show on every bar
    ASIAN_PACIFIC: "#44AA99",  # merged categories (Paul Tol's colour-blind-safe teal and wine)
    NATIVE_OR_MULTIPLE: "#882255",
    UNKNOWN: UNKNOWN_COLOUR,
}
