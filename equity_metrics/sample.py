"""A synthetic school district written the way districts export their data, for demos and tests.

`generate_sample(out_dir)` writes an enrollment roster (one sheet per school year), discipline actions,
advanced course enrollments, state assessment results, special education records, interventions, an HR
export (staff, applicants, schools) and a wide climate survey. Every student, staff member and answer is
made up; the disparities a real district might find are built in on purpose, with sizes stated in
`sample_data/README.md`. `SAMPLE_FILES` gives, for each CSV file or workbook sheet, the `Mapping` that loads
it into the canonical schema.

The output is byte-for-byte the same for the same seed: all randomness comes from numpy generators seeded
from `seed` (one stream per part of the district), and workbooks are written by a small writer of our own
with fixed timestamps (openpyxl without lxml takes over ten seconds for the roster alone).

Most yes/no outcomes are drawn by *systematic sampling* (`_systematic`): each student still gets the
outcome with their own probability, but the number of students with the outcome in each group lands within
one of its expected value. That keeps the built-in disparities close to their design values in a district
this size, where plain coin flips would move a small group's rate by a fifth from one seed to the next.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from equity_metrics.mapping import Mapping, Unpivot
from equity_metrics.readers import column_letter

SAMPLE_SEED = 20261122

YEARS: tuple[str, ...] = ("2022-23", "2023-24", "2024-25")
START_YEARS: tuple[int, ...] = (2022, 2023, 2024)

# Race/ethnicity, by CRDC code (UN = unknown or declined), and each group's share of students.
RACES: tuple[str, ...] = ("HI", "AM", "AS", "BL", "HP", "WH", "TR", "UN")
RACE_SHARES: dict[str, float] = {
    "HI": 0.30,
    "AM": 0.01,
    "AS": 0.06,
    "BL": 0.20,
    "HP": 0.005,
    "WH": 0.38,
    "TR": 0.04,
    "UN": 0.005,
}
# How each export spells the groups.
ROSTER_RACE = {
    "HI": "Hispanic/Latino",
    "AM": "American Indian/Alaska Native",
    "AS": "Asian",
    "BL": "Black/African American",
    "HP": "Native Hawaiian/Pacific Islander",
    "WH": "White",
    "TR": "Two or More Races",
    "UN": "Declined",
}
SURVEY_RACE = {
    "HI": "Hispanic or Latino",
    "AM": "American Indian or Alaska Native",
    "AS": "Asian",
    "BL": "Black or African American",
    "HP": "Native Hawaiian or Other Pacific Islander",
    "WH": "White",
    "TR": "Multiracial",
    "UN": "Prefer not to say",
}
HR_RACE = {code: ("" if code == "UN" else code) for code in RACES}


@dataclass(frozen=True)
class School:
    code: str
    name: str
    level: str
    has_pk: bool = False


SCHOOLS: tuple[School, ...] = (
    School("0101", "Maple Grove Elementary", "Elementary", True),
    School("0102", "Cedar Park Elementary", "Elementary"),
    School("0103", "Riverside Elementary", "Elementary", True),
    School("0104", "Lincoln Heights Elementary", "Elementary", True),
    School("0105", "Oak Hollow Elementary", "Elementary"),
    School("0201", "Jefferson Middle School", "Middle"),
    School("0202", "Eastside Middle School", "Middle"),
    School("0203", "Westbrook Middle School", "Middle"),
    School("0301", "Central High School", "High"),
    School("0302", "North Valley High School", "High"),
)
SCHOOL_NAMES = {s.code: s.name for s in SCHOOLS}
# Five attendance zones; each feeds one elementary, one middle and one high school.
ZONE_ELEMENTARY = np.array(["0101", "0102", "0103", "0104", "0105"])
ZONE_PK = np.array(["0101", "0101", "0103", "0104", "0104"])
ZONE_MIDDLE = np.array(["0201", "0201", "0202", "0202", "0203"])
ZONE_HIGH = np.array(["0301", "0301", "0301", "0302", "0302"])
# Where each group lives: probability of each zone (the district is somewhat segregated by neighbourhood).
ZONE_BY_RACE: dict[str, tuple[float, ...]] = {
    "HI": (0.18, 0.32, 0.24, 0.14, 0.12),
    "AM": (0.30, 0.20, 0.20, 0.15, 0.15),
    "AS": (0.10, 0.15, 0.20, 0.25, 0.30),
    "BL": (0.34, 0.28, 0.18, 0.12, 0.08),
    "HP": (0.20, 0.30, 0.20, 0.15, 0.15),
    "WH": (0.12, 0.12, 0.18, 0.27, 0.31),
    "TR": (0.20, 0.20, 0.20, 0.20, 0.20),
    "UN": (0.20, 0.20, 0.20, 0.20, 0.20),
}

GRADE_SIZE = 1150  # students per grade, K-12
PK_SIZE = 420
GRADES = np.arange(-1, 13)  # -1 = PK, 0 = K
ROSTER_GRADE = np.array(["PK", "KG"] + [f"{g:02d}" for g in range(1, 13)])  # indexed by grade + 1

SUBJECTIVE_OFFENSES = ("Defiance", "Disrespect", "Disruption", "Insubordination")
OBJECTIVE_OFFENSES = ("Fighting", "Bullying", "Theft", "Drug possession", "Weapons possession")

DISABILITIES = ("SLD", "SLI", "OHI", "AUT", "ID", "ED", "DD", "OI", "HI", "VI", "TBI", "MD")

SURVEY_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("Q1", "Belonging", "I feel like I belong at this school"),
    ("Q2", "Belonging", "Adults at this school care about students like me"),
    ("Q3", "Belonging", "I feel welcome at this school"),
    ("Q4", "Safety", "I feel safe at this school"),
    ("Q5", "Safety", "I feel safe going to and from school"),
    ("Q6", "Safety", "Bullying is not a problem at this school"),
    ("Q7", "Teacher-student relationships", "My teachers believe I can do well"),
    ("Q8", "Teacher-student relationships", "There is an adult at school I can talk to"),
    ("Q9", "Teacher-student relationships", "Teachers treat students with respect"),
    ("Q10", "Fair discipline", "School rules are applied fairly to all students"),
    ("Q11", "Fair discipline", "Students are treated fairly when they break rules"),
    ("Q12", "Fair discipline", "Students of every race are disciplined the same way"),
)
SURVEY_COLUMNS = tuple(f"{item} {text}" for item, _, text in SURVEY_ITEMS)


@dataclass(frozen=True)
class SampleFile:
    """One source table of the sample: a CSV file (sheet None) or one sheet of a workbook."""

    path: str  # relative to the output directory
    sheet: str | None
    mapping: Mapping


_ROSTER_COLUMNS = {
    "student_id": "Student ID",
    "school_id": "School Code",
    "school_name": "School Name",
    "grade": "Grade",
    "race": "Race/Ethnicity",
    "sex": "Gender",
    "disability": "IEP",
    "section_504": "504",
    "english_learner": "ELL",
    "low_income": "FRL Status",
    "gifted": "Gifted",
    "days_enrolled": "Days Enrolled",
    "days_absent": "Days Absent",
}
ROSTER_TITLE_ROWS = 1  # the first sheet has one title row above its header

SAMPLE_FILES: tuple[SampleFile, ...] = (
    *(
        SampleFile(
            "enrollment_roster.xlsx",
            year,
            Mapping(
                "enrollment",
                dict(_ROSTER_COLUMNS),
                constants={"school_year": year},
                header_row=ROSTER_TITLE_ROWS if i == 0 else 0,
            ),
        )
        for i, year in enumerate(YEARS)
    ),
    SampleFile(
        "discipline_incidents.csv",
        None,
        Mapping(
            "discipline",
            {
                "incident_id": "Incident ID",
                "student_id": "Student ID",
                "school_year": "School Year",
                "school_id": "School Code",
                "incident_date": "Incident Date",
                "offense": "Offense",
                "offense_category": "Offense Type",
                "action": "Action",
                "days_removed": "Days Removed",
            },
        ),
    ),
    SampleFile(
        "advanced_courses.csv",
        None,
        Mapping(
            "courses",
            {
                "school_year": "SchoolYear",
                "student_id": "StudentNumber",
                "school_id": "SchoolID",
                "course_code": "CourseCode",
                "course_name": "CourseTitle",
                "course_level": "CourseType",
                "exam_taken": "APExamTaken",
                "exam_score": "APScore",
            },
        ),
    ),
    SampleFile(
        "state_assessment_results.xlsx",
        "Student Results",
        Mapping(
            "assessments",
            {
                "school_year": "Administration Year",
                "school_id": "School Number",
                "student_id": "Local Student ID",
                "grade": "Tested Grade",
                "subject": "Subject",
                "scale_score": "Scale Score",
                "performance_level": "Performance Level",
                "proficient": "Met Standard",
            },
        ),
    ),
    SampleFile(
        "special_education.csv",
        None,
        Mapping(
            "special_education",
            {
                "student_id": "STUDENT_ID",
                "school_year": "SCHOOL_YR",
                "disability_category": "PRIMARY_DISABILITY",
                "placement": "LRE",
            },
        ),
    ),
    SampleFile(
        "interventions.csv",
        None,
        Mapping(
            "interventions",
            {
                "student_id": "Student ID",
                "school_year": "Year",
                "intervention": "Intervention",
                "referral_date": "Referral Date",
            },
        ),
    ),
    SampleFile(
        "hr_export.xlsx",
        "Staff",
        Mapping(
            "staff",
            {
                "staff_id": "Employee ID",
                "school_year": "Fiscal Year",
                "school_id": "Location Code",
                "role": "Position",
                "race": "Race",
                "sex": "Sex",
                "hire_date": "Hire Date",
                "separation_date": "Separation Date",
                "separation_reason": "Separation Reason",
                "promoted": "Promoted",
                "years_experience": "Years Experience",
            },
        ),
    ),
    SampleFile(
        "hr_export.xlsx",
        "Applicants",
        Mapping(
            "applicants",
            {
                "applicant_id": "Applicant ID",
                "school_year": "Posting Year",
                "position": "Position",
                "race": "Race",
                "sex": "Sex",
                "stage_reached": "Furthest Stage",
            },
        ),
    ),
    SampleFile(
        "hr_export.xlsx",
        "Schools",
        Mapping("schools", {"school_id": "School Code", "school_name": "School Name", "school_level": "Level"}),
    ),
    SampleFile(
        "climate_survey_responses.csv",
        None,
        Mapping(
            "survey",
            {
                "response_id": "ResponseID",
                "school_year": "Survey Year",
                "school_id": "School Code",
                "respondent_type": "Respondent Type",
                "race": "Race/Ethnicity",
                "sex": "Gender",
                "grade": "Grade",
            },
            unpivot=Unpivot(
                columns=SURVEY_COLUMNS,
                name_field="item_id",
                value_field="response",
                names={column: item for column, (item, _, _) in zip(SURVEY_COLUMNS, SURVEY_ITEMS, strict=True)},
                category_field="construct",
                categories={
                    column: construct for column, (_, construct, _) in zip(SURVEY_COLUMNS, SURVEY_ITEMS, strict=True)
                },
            ),
        ),
    ),
)


# ----------------------------------------------------------------------------------------------------------
# Random helpers


def _rng(seed: int, stream: int) -> np.random.Generator:
    """An independent generator for one part of the district, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, stream])


def _by_race(values: dict[str, float], race: np.ndarray, default: float = 1.0) -> np.ndarray:
    """Per-row parameter looked up by race code index (`race` holds indices into RACES)."""
    table = np.array([values.get(code, default) for code in RACES], dtype=float)
    return table[race]


def _systematic(rng: np.random.Generator, p: np.ndarray, strata: np.ndarray | None = None) -> np.ndarray:
    """Draw one yes/no per row, row i being yes with probability p[i], by systematic sampling.

    Rows are put in random order within strata, then a single random start walks the running sum of p:
    the number of yeses in each stratum is within one of the sum of its p.
    """
    n = len(p)
    if n == 0:
        return np.zeros(0, dtype=bool)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    keys = rng.random(n)
    order = np.lexsort((keys, strata)) if strata is not None else np.argsort(keys)
    steps = np.floor(np.cumsum(p[order]) + rng.random()).astype(np.int64)
    chosen = np.diff(steps, prepend=0) > 0  # the walk starts at floor(u) = 0
    out = np.empty(n, dtype=bool)
    out[order] = chosen
    return out


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row of a (rows x categories) probability matrix (rows need not sum to 1)."""
    cumulative = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cumulative[:, -1]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), probs.shape[1] - 1)


def _categorical_systematic(rng: np.random.Generator, probs: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Like `_categorical`, but each category's count per stratum lands within one of its expected value.

    Categories are filled in turn by systematic sampling among the rows not yet placed, with the probability
    conditional on not being in an earlier category; the last category takes whatever rows are left.
    """
    n, k = probs.shape
    probs = probs / probs.sum(axis=1, keepdims=True)
    out = np.full(n, k - 1)
    free = np.ones(n, dtype=bool)
    left = np.ones(n)
    for j in range(k - 1):
        conditional = np.where(free, probs[:, j] / np.maximum(left, 1e-12), 0.0)
        chosen = _systematic(rng, conditional, strata) & free
        out[chosen] = j
        free &= ~chosen
        left = left - probs[:, j]
    return out


def _school_days(start_year: int) -> np.ndarray:
    """Instructional days of the school year that starts in August of `start_year` (weekdays, less breaks)."""
    days = np.arange(np.datetime64(f"{start_year}-08-16"), np.datetime64(f"{start_year + 1}-06-06"))
    breaks = [
        (f"{start_year}-11-21", f"{start_year}-11-28"),
        (f"{start_year}-12-21", f"{start_year + 1}-01-03"),
        (f"{start_year + 1}-03-16", f"{start_year + 1}-03-23"),
    ]
    keep = np.is_busday(days)
    for first, last in breaks:
        keep &= ~((days >= np.datetime64(first)) & (days < np.datetime64(last)))
    return days[keep]


def _us_dates(days: np.ndarray) -> np.ndarray:
    """datetime64[D] values as MM/DD/YYYY text (NaT as blank)."""
    index = pd.DatetimeIndex(days.astype("datetime64[s]"))
    return np.asarray(index.strftime("%m/%d/%Y").fillna(""), dtype=object)


# ----------------------------------------------------------------------------------------------------------
# The students


def _new_students(rng: np.random.Generator, grade: np.ndarray, year: int) -> pd.DataFrame:
    """Persistent traits of students who enter the district in `year` (index into YEARS) in `grade`."""
    n = len(grade)
    race = rng.choice(len(RACES), size=n, p=[RACE_SHARES[c] for c in RACES])
    zone_probs = np.array([ZONE_BY_RACE[c] for c in RACES])[race]
    zone = _categorical(rng, zone_probs)
    sex = rng.choice(np.array(["F", "M", "X"]), size=n, p=[0.4985, 0.4985, 0.003])
    male = sex == "M"
    black = race == RACES.index("BL")

    low_income = rng.random(n) < _by_race(
        {"HI": 0.60, "AM": 0.60, "AS": 0.25, "BL": 0.66, "HP": 0.55, "WH": 0.26, "TR": 0.40, "UN": 0.40}, race
    )
    free_meals = low_income & (rng.random(n) < 0.8)

    el_entry = rng.random(n) < _by_race(
        {"HI": 0.31, "AM": 0.05, "AS": 0.31, "BL": 0.035, "HP": 0.22, "WH": 0.012, "TR": 0.025, "UN": 0.04}, race
    )
    # Years until an English learner is reclassified; about one in six becomes a long-term EL.
    el_years = np.where(rng.random(n) < 0.16, 20, rng.integers(2, 8, size=n))
    el_exit = np.maximum(grade, 0) + el_years

    iep_p = 0.178 * _by_race(
        {"HI": 0.98, "AM": 1.30, "AS": 0.55, "BL": 1.22, "HP": 1.0, "WH": 0.95, "TR": 1.0, "UN": 0.9}, race
    )
    iep_p *= np.where(male, 1.33, np.where(sex == "F", 0.66, 1.0)) * np.where(black & male, 1.05, 1.0)
    iep_latent = _systematic(rng, iep_p, race)
    iep_grade = rng.choice(np.arange(-1, 9), size=n, p=[0.10, 0.18, 0.16, 0.15, 0.14, 0.09, 0.06, 0.05, 0.04, 0.03])

    # Primary disability: Black students are identified more often for emotional disturbance and
    # intellectual disability. DD (developmental delay) only for children identified by kindergarten; it is
    # replaced by their later category from grade 3.
    others = np.array([0.36, 0.19, 0.155, 0.12, 0.050, 0.040, 0.0, 0.010, 0.010, 0.005, 0.005, 0.015])
    black_probs = np.array([0.34, 0.16, 0.15, 0.08, 0.08, 0.088, 0.0, 0.010, 0.010, 0.005, 0.005, 0.015])
    probs = np.where(black[:, None], black_probs, others)
    late = _categorical_systematic(rng, probs, race * 2 + iep_latent)
    early_dd = (iep_grade <= 0) & (rng.random(n) < 0.35)
    category = np.where(early_dd, DISABILITIES.index("DD"), late)

    ability = (
        _by_race(
            {"HI": -0.30, "AM": -0.30, "AS": 0.25, "BL": -0.50, "HP": -0.15, "WH": 0.15, "TR": 0.0, "UN": 0.0}, race
        )
        - 0.25 * low_income
        - 0.55 * iep_latent
        + rng.normal(0.0, 0.78, size=n)
    )
    gifted_score = (
        0.45 * ability
        + _by_race({"HI": -0.25, "AM": -0.25, "BL": -0.35, "HP": -0.15}, race, 0.0)
        - 0.20 * low_income
        - 0.55 * el_entry
        + rng.normal(0.0, 0.75, size=n)
    )
    p504 = 0.034 * _by_race({"WH": 1.35, "AS": 1.0, "TR": 1.1, "BL": 0.75, "HI": 0.7}, race, 0.8)
    accelerated = ability + _by_race({"HI": -0.2, "BL": -0.25}, race, 0.0) + rng.normal(0, 0.5, n) > 0.55
    return pd.DataFrame(
        {
            "entry_year": year,
            "entry_grade": grade,
            "race": race,
            "sex": sex,
            "zone": zone,
            "low_income": low_income,
            "free_meals": free_meals,
            "el_entry": el_entry,
            "el_exit": el_exit,
            "iep_latent": iep_latent,
            "iep_grade": iep_grade,
            "category": category,
            "late_category": late,
            "placement_u": rng.random(n),
            "ability": ability,
            "gifted_latent": gifted_score > 0.82,
            "s504_latent": (rng.random(n) < p504) & ~iep_latent,
            "accelerated": accelerated,
            "absence_effect": rng.normal(0.0, 0.45, size=n),
            "frailty": rng.gamma(1.5, 1 / 1.5, size=n),
        }
    )


def _simulate_students(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Students (one row each, persistent traits) and enrollment (one row per student per year).

    Each year students move up a grade, grade 12 graduates, about 8% leave (more among low-income
    families) and newcomers fill each grade back to about its usual size; PK and K start each year.
    """
    first_grades = np.repeat(GRADES[::-1], [GRADE_SIZE] * 13 + [PK_SIZE])  # seniors first: lowest IDs
    batches = [_new_students(rng, first_grades, 0)]
    enrollments = [pd.DataFrame({"year": 0, "student": np.arange(len(first_grades)), "grade": first_grades})]
    n_students = len(first_grades)
    for year in range(1, len(YEARS)):
        prev = enrollments[-1]
        students = pd.concat(batches, ignore_index=True)
        leave_p = 0.07 + 0.03 * students["low_income"].to_numpy()[prev["student"].to_numpy()]
        stays = (prev["grade"].to_numpy() < 12) & (rng.random(len(prev)) >= leave_p)
        staying = pd.DataFrame(
            {"year": year, "student": prev["student"].to_numpy()[stays], "grade": prev["grade"].to_numpy()[stays] + 1}
        )
        targets = np.round(rng.normal(GRADE_SIZE, 25, size=13)).astype(int)
        targets = np.concatenate([[int(round(rng.normal(PK_SIZE, 15)))], targets])
        have = np.bincount(staying["grade"].to_numpy() + 1, minlength=14)
        need = np.maximum(targets - have, 0)
        new_grades = np.repeat(GRADES, need)
        batches.append(_new_students(rng, new_grades, year))
        newcomers = pd.DataFrame(
            {"year": year, "student": np.arange(n_students, n_students + len(new_grades)), "grade": new_grades}
        )
        n_students += len(new_grades)
        enrollments.append(pd.concat([staying, newcomers], ignore_index=True))
    students = pd.concat(batches, ignore_index=True)
    ids = np.sort(rng.choice(np.arange(1_000, 1_000_000), size=len(students), replace=False))
    students.insert(0, "student_id", pd.Series(ids).astype(str).str.zfill(7).to_numpy())
    return students, pd.concat(enrollments, ignore_index=True)


def _placement(category: np.ndarray, black: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Educational environment code from disability category; Black students more often in < 40% regular class."""
    # Probability of a separate school, of < 40% regular class, of 40-79%, by category (rest: 80% or more).
    separate = np.array([0.003, 0.002, 0.01, 0.05, 0.06, 0.08, 0.01, 0.03, 0.03, 0.03, 0.03, 0.10])
    under40 = np.array([0.06, 0.03, 0.09, 0.30, 0.40, 0.26, 0.12, 0.20, 0.15, 0.15, 0.20, 0.45])
    middle = np.array([0.20, 0.10, 0.22, 0.25, 0.30, 0.25, 0.20, 0.25, 0.20, 0.20, 0.25, 0.25])
    p_sep = separate[category]
    p_39 = under40[category] * np.where(black, 1.55, 1.0)
    p_40 = middle[category]
    return np.select([u < p_sep, u < p_sep + p_39, u < p_sep + p_39 + p_40], ["SS", "RC39", "RC4079"], default="RC80")


def _enrollment_years(rng: np.random.Generator, students: pd.DataFrame, enrollment: pd.DataFrame) -> pd.DataFrame:
    """One row per student per year with everything that year: school, flags, attendance."""
    enr = enrollment.join(students, on="student")
    grade = enr["grade"].to_numpy()
    zone = enr["zone"].to_numpy()
    enr["school"] = np.select(
        [grade < 0, grade <= 5, grade <= 8],
        [ZONE_PK[zone], ZONE_ELEMENTARY[zone], ZONE_MIDDLE[zone]],
        default=ZONE_HIGH[zone],
    )
    enr["iep"] = enr["iep_latent"] & (grade >= enr["iep_grade"])
    dd = enr["category"].to_numpy() == DISABILITIES.index("DD")
    enr["category"] = np.where(dd & (grade >= 3), enr["late_category"], enr["category"])
    enr["el"] = enr["el_entry"] & (grade < enr["el_exit"])
    enr["s504"] = enr["s504_latent"] & ~enr["iep"] & (grade >= 0)
    enr["gifted"] = enr["gifted_latent"] & (grade >= 2)
    black = enr["race"].to_numpy() == RACES.index("BL")
    enr["placement"] = _placement(enr["category"].to_numpy(), black, enr["placement_u"].to_numpy())

    n = len(enr)
    kind = rng.random(n)
    days = np.where(kind < 0.84, 180, np.where(kind < 0.92, rng.integers(170, 180, n), rng.integers(25, 170, n)))
    race_effect = _by_race({"AM": 0.30, "BL": 0.10, "HI": 0.05, "AS": -0.35, "HP": 0.20}, enr["race"].to_numpy(), 0.0)
    log_rate = (
        np.log(0.030)
        + 0.40 * enr["low_income"].to_numpy()
        + 0.25 * (grade >= 9)
        + 0.15 * (grade >= 11)
        + 0.15 * enr["iep"].to_numpy()
        + race_effect
        + enr["absence_effect"].to_numpy()
        + rng.normal(0.0, 0.55, n)
    )
    enr["days_enrolled"] = days
    enr["days_absent"] = rng.binomial(days, np.minimum(np.exp(log_rate), 0.9))
    return enr


# ----------------------------------------------------------------------------------------------------------
# One builder per file


def _roster_sheets(enr: pd.DataFrame) -> list[tuple[str, pd.DataFrame, str | None]]:
    """Enrollment roster: one sheet per school year, the first with a title row above its header."""
    sheets = []
    for year, label in enumerate(YEARS):
        e = enr[enr["year"] == year]
        frame = pd.DataFrame(
            {
                "Student ID": e["student_id"].to_numpy(),
                "School Code": e["school"].to_numpy(),
                "School Name": e["school"].map(SCHOOL_NAMES).to_numpy(),
                "Grade": ROSTER_GRADE[e["grade"].to_numpy() + 1],
                "Race/Ethnicity": np.array([ROSTER_RACE[c] for c in RACES])[e["race"].to_numpy()],
                "Gender": e["sex"].to_numpy(),
                "IEP": _yn(e["iep"]),
                "504": _yn(e["s504"]),
                "ELL": _yn(e["el"]),
                "FRL Status": np.where(e["free_meals"], "1", np.where(e["low_income"], "2", "0")),
                "Gifted": _yn(e["gifted"]),
                "Days Enrolled": e["days_enrolled"].to_numpy(),
                "Days Absent": e["days_absent"].to_numpy(),
            }
        ).sort_values(["School Code", "Student ID"], ignore_index=True)
        title = f"Student enrollment roster, school year {label} (end-of-year snapshot)" if year == 0 else None
        sheets.append((label, frame, title))
    return sheets


def _yn(values: pd.Series | np.ndarray, yes: str = "Y", no: str = "N") -> np.ndarray:
    return np.where(np.asarray(values, dtype=bool), yes, no)


def _discipline(rng: np.random.Generator, enr: pd.DataFrame) -> pd.DataFrame:
    """Discipline actions: one row per action; a law enforcement referral or arrest shares its incident's ID.

    Black students are removed far more often than other students, most of all for subjective offenses;
    boys with disabilities get more in-school suspensions.
    """
    e = enr[enr["grade"] >= 0]
    grade = e["grade"].to_numpy()
    race = e["race"].to_numpy()
    male = e["sex"].to_numpy() == "M"
    iep = e["iep"].to_numpy()
    grade_mult = np.array([0.15, 0.15, 0.15, 0.35, 0.35, 0.35, 1.5, 1.5, 1.5, 1.2, 1.2, 0.8, 0.8])[grade]
    sex_mult = np.where(male, 1.0, np.where(e["sex"].to_numpy() == "F", 0.45, 0.8))
    base = e["frailty"].to_numpy() * grade_mult * sex_mult * np.where(iep, 1.6, 1.0)
    base = base * np.where(e["low_income"].to_numpy(), 1.35, 1.0)
    race_mult = {
        "Subjective": _by_race({"HI": 1.40, "AM": 2.2, "AS": 0.35, "BL": 4.5, "HP": 1.5, "TR": 1.6}, race),
        "Objective": _by_race({"HI": 1.25, "AM": 1.6, "AS": 0.40, "BL": 2.1, "HP": 1.2, "TR": 1.2}, race),
    }
    strata = e["year"].to_numpy() * len(RACES) + race
    boys_iep = np.where(male & iep, 1.8, 1.0)
    # (category, action, base rate, power on the race multiplier)
    processes = (
        ("Subjective", "OSS", 0.030, 1.0),
        ("Objective", "OSS", 0.026, 1.0),
        ("Subjective", "ISS", 0.030, 0.6),
        ("Objective", "ISS", 0.018, 0.6),
        ("Subjective", "Detention", 0.030, 0.4),
        ("Objective", "Detention", 0.012, 0.4),
        ("Objective", "EXP", 0.0036, 1.0),
    )
    incidents = []
    for category, action, rate, power in processes:
        lam = rate * base * race_mult[category] ** power * (boys_iep if action == "ISS" else 1.0)
        has = _systematic(rng, 1.0 - np.exp(-lam), strata)
        repeats = 1 + (rng.poisson(0.4 * np.minimum(lam[has] / rate, 4.0)) if action != "EXP" else 0)
        rows = np.repeat(np.flatnonzero(has), repeats)
        incidents.append(pd.DataFrame({"row": rows, "category": category, "action": action}))
    inc = pd.concat(incidents, ignore_index=True)
    n = len(inc)
    subjective = (inc["category"] == "Subjective").to_numpy()
    expulsion = (inc["action"] == "EXP").to_numpy()
    offense = np.where(
        subjective,
        np.array(SUBJECTIVE_OFFENSES)[rng.choice(4, n, p=[0.35, 0.25, 0.25, 0.15])],
        np.where(
            expulsion,
            np.array(["Weapons possession", "Drug possession", "Fighting"])[rng.choice(3, n, p=[0.45, 0.35, 0.2])],
            np.array(OBJECTIVE_OFFENSES)[rng.choice(5, n, p=[0.45, 0.15, 0.15, 0.15, 0.10])],
        ),
    )
    inc["offense"] = offense
    inc["year"] = e["year"].to_numpy()[inc["row"]]
    day_index = rng.random(n)
    inc["date"] = _dates_in_year(inc["year"].to_numpy(), day_index)
    inc = inc.sort_values(["year", "date", "row", "action"], kind="stable", ignore_index=True)
    inc["incident_id"] = _incident_ids(inc["year"].to_numpy())
    days_removed = np.select(
        [inc["action"] == "OSS", inc["action"] == "ISS", inc["action"] == "EXP"],
        [
            rng.choice([1, 2, 3, 4, 5, 10], n, p=[0.25, 0.25, 0.2, 0.1, 0.12, 0.08]),
            rng.choice([1, 2, 3], n, p=[0.55, 0.3, 0.15]),
            rng.choice([45, 90, 180], n, p=[0.3, 0.4, 0.3]),
        ],
        default=-1,
    )
    inc["days_removed"] = pd.array(np.where(days_removed < 0, pd.NA, days_removed), dtype="Int64")

    # Referrals to law enforcement follow some objective suspensions and half of expulsions; some end in arrest.
    objective_oss = ((inc["category"] == "Objective") & (inc["action"] == "OSS")).to_numpy()
    refer_p = np.where(objective_oss, 0.12, np.where(inc["action"].to_numpy() == "EXP", 0.5, 0.0))
    refer_strata = e["race"].to_numpy()[inc["row"].to_numpy()]
    referred = inc[_systematic(rng, refer_p, refer_strata)]
    arrested = referred[rng.random(len(referred)) < 0.25]
    extra = pd.concat(
        [referred.assign(action="Referral to law enforcement"), arrested.assign(action="Arrest")], ignore_index=True
    )
    extra["days_removed"] = pd.array([pd.NA] * len(extra), dtype="Int64")
    actions = pd.concat([inc, extra], ignore_index=True)
    order = {"OSS": 0, "ISS": 0, "Detention": 0, "EXP": 0, "Referral to law enforcement": 1, "Arrest": 2}
    actions["order"] = actions["action"].map(order)
    actions = actions.sort_values(["incident_id", "order"], ignore_index=True)
    rows = actions["row"].to_numpy()
    return pd.DataFrame(
        {
            "Incident ID": actions["incident_id"].to_numpy(),
            "Student ID": e["student_id"].to_numpy()[rows],
            "School Year": np.array(YEARS)[actions["year"].to_numpy()],
            "School Code": e["school"].to_numpy()[rows],
            "Incident Date": _us_dates(actions["date"].to_numpy()),
            "Offense": actions["offense"].to_numpy(),
            "Offense Type": actions["category"].to_numpy(),
            "Action": actions["action"].to_numpy(),
            "Days Removed": actions["days_removed"].array,
        }
    )


def _dates_in_year(year: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A school day of each row's year, picked by u in [0, 1)."""
    out = np.empty(len(year), dtype="datetime64[D]")
    for y, start in enumerate(START_YEARS):
        days = _school_days(start)
        mask = year == y
        out[mask] = days[(u[mask] * len(days)).astype(int)]
    return out


def _incident_ids(year: np.ndarray) -> np.ndarray:
    """Sequential incident numbers within each year, prefixed by the year: 2200001, 2200002, ..."""
    sequence = pd.Series(year).groupby(year).cumcount().to_numpy() + 1
    prefix = np.array([str(s % 100) for s in START_YEARS])[year]
    return np.char.add(prefix.astype(str), np.char.zfill(sequence.astype(str), 5))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


AP_COURSES: tuple[tuple[str, str, int], ...] = (  # code, title, lowest grade
    ("SOC110AP", "AP Human Geography", 9),
    ("SOC210AP", "AP World History: Modern", 10),
    ("ENG310AP", "AP English Language and Composition", 11),
    ("ENG410AP", "AP English Literature and Composition", 12),
    ("MTH420AP", "AP Calculus AB", 11),
    ("MTH430AP", "AP Calculus BC", 12),
    ("MTH440AP", "AP Statistics", 11),
    ("SCI320AP", "AP Biology", 11),
    ("SCI330AP", "AP Chemistry", 11),
    ("SCI340AP", "AP Environmental Science", 10),
    ("SOC310AP", "AP United States History", 11),
    ("SOC410AP", "AP U.S. Government and Politics", 12),
    ("CSC320AP", "AP Computer Science Principles", 10),
    ("WLG330AP", "AP Spanish Language and Culture", 10),
)
HONORS_COURSES: tuple[tuple[str, str, int], ...] = (
    ("ENG100H", "English 9 Honors", 9),
    ("ENG200H", "English 10 Honors", 10),
    ("MTH210H", "Geometry Honors", 9),
    ("MTH310H", "Algebra II Honors", 10),
    ("SCI110H", "Biology Honors", 9),
    ("SCI210H", "Chemistry Honors", 10),
    ("SCI310H", "Physics Honors", 11),
)
IB_COURSES: tuple[tuple[str, str, int], ...] = (
    ("IB1101", "IB English A: Language and Literature HL", 11),
    ("IB1201", "IB Mathematics: Analysis and Approaches SL", 11),
    ("IB1301", "IB History of the Americas HL", 11),
    ("IB1401", "IB Biology HL", 11),
    ("IB1501", "IB Theory of Knowledge", 11),
)
DUAL_COURSES: tuple[tuple[str, str, int], ...] = (
    ("DE-ENG101", "ENG 101 College Composition I", 11),
    ("DE-MAT121", "MAT 121 College Algebra", 11),
    ("DE-PSY101", "PSY 101 Introduction to Psychology", 11),
    ("DE-HIS111", "HIS 111 U.S. History I", 11),
)


def _pick_courses(
    rng: np.random.Generator,
    rows: np.ndarray,
    grade: np.ndarray,
    how_many: np.ndarray,
    catalog: tuple[tuple[str, str, int], ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Give each selected student `how_many` distinct courses open to their grade; (student rows, course index)."""
    lowest = np.array([c[2] for c in catalog])
    keys = rng.random((len(rows), len(catalog))) + np.where(grade[:, None] >= lowest[None, :], 0.0, 10.0)
    ranked = np.argsort(keys, axis=1)
    open_count = (grade[:, None] >= lowest[None, :]).sum(axis=1)
    take = np.minimum(how_many, open_count)
    mask = np.arange(len(catalog))[None, :] < take[:, None]
    return np.repeat(rows, take), ranked[mask]


def _courses(rng: np.random.Generator, enr: pd.DataFrame) -> pd.DataFrame:
    """Advanced courses (AP, IB, honors, dual enrollment) in grades 9-12 and Algebra I in grades 8 and 9.

    Hispanic and Black students are under-represented in AP, and pass AP exams less often.
    """
    e = enr[enr["grade"] >= 8].reset_index(drop=True)
    grade = e["grade"].to_numpy()
    race = e["race"].to_numpy()
    ability = e["ability"].to_numpy()
    li = e["low_income"].to_numpy()
    el = e["el"].to_numpy()
    iep = e["iep"].to_numpy()
    gifted = e["gifted"].to_numpy()
    strata = e["year"].to_numpy() * len(RACES) + race
    high = grade >= 9
    bias = _by_race({"HI": -0.22, "BL": -0.06, "AM": -0.3, "HP": -0.2}, race, 0.0)
    parts = []

    def add(level: str, chosen: np.ndarray, how_many: np.ndarray, catalog: tuple[tuple[str, str, int], ...]) -> None:
        rows, course = _pick_courses(rng, np.flatnonzero(chosen), grade[chosen], how_many, catalog)
        parts.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "level": level,
                    "code": np.array([c[0] for c in catalog])[course],
                    "title": np.array([c[1] for c in catalog])[course],
                }
            )
        )

    grade_shift = np.array([-9.0, -3.3, -1.7, -0.6, -0.5])[np.clip(grade - 8, 0, 4)]
    ap_p = _sigmoid(grade_shift + 1.5 * ability + 0.6 * gifted + bias - 0.3 * li - 0.7 * el - 0.6 * iep)
    ap = _systematic(rng, np.where(high, ap_p, 0.0), strata)
    add("AP", ap, 1 + np.minimum(rng.poisson(np.exp(0.5 * ability[ap]) * 0.8), 4), AP_COURSES)

    honors_p = _sigmoid(-1.9 + 1.2 * ability + 0.5 * bias - 0.3 * li - 0.6 * iep + 0.4 * (grade <= 10))
    honors = _systematic(rng, np.where(high, honors_p, 0.0), strata)
    add("Honors", honors, 1 + (rng.random(honors.sum()) < 0.35), HONORS_COURSES)

    ib_p = _sigmoid(-3.4 + 1.3 * ability + 0.6 * bias - 0.2 * li)
    ib = _systematic(rng, np.where((grade >= 11) & (e["school"].to_numpy() == "0301"), ib_p, 0.0), strata)
    add("IB", ib, np.full(ib.sum(), 3), IB_COURSES)

    dual_p = _sigmoid(-3.0 + 0.8 * ability + 0.5 * bias - 0.2 * li)
    dual = _systematic(rng, np.where(grade >= 11, dual_p, 0.0), strata)
    add("Dual Enrollment", dual, 1 + (rng.random(dual.sum()) < 0.3), DUAL_COURSES)

    accelerated = e["accelerated"].to_numpy()
    algebra = ((grade == 8) & accelerated) | ((grade == 9) & ~accelerated & (rng.random(len(e)) < 0.93))
    add("Algebra 1", algebra, np.ones(algebra.sum(), dtype=int), (("MTH100", "Algebra I", 8),))

    c = pd.concat(parts, ignore_index=True)
    rows = c["row"].to_numpy()
    is_ap = (c["level"] == "AP").to_numpy()
    took = is_ap & (rng.random(len(c)) < 0.86 - 0.12 * li[rows])
    # Exam scores follow achievement, less where schools offer less exam preparation.
    preparation = _by_race({"BL": -0.15, "HI": -0.10, "AM": -0.1}, race, 0.0)[rows] - 0.1 * li[rows]
    score = 1 + np.searchsorted([-0.35, 0.25, 0.95, 1.6], ability[rows] + preparation + rng.normal(0, 0.75, len(c)))
    c = c.assign(
        year=e["year"].to_numpy()[rows],
        student=e["student_id"].to_numpy()[rows],
        school=e["school"].to_numpy()[rows],
        taken=np.where(is_ap, np.where(took, "Y", "N"), ""),
        score=pd.array(np.where(took, score, pd.NA), dtype="Int64"),
    ).sort_values(["year", "school", "student", "code"], ignore_index=True)
    return pd.DataFrame(
        {
            "SchoolYear": np.array([f"{s}-{s + 1}" for s in START_YEARS])[c["year"].to_numpy()],
            "StudentNumber": c["student"].to_numpy(),
            "SchoolID": c["school"].to_numpy(),
            "CourseCode": c["code"].to_numpy(),
            "CourseTitle": c["title"].to_numpy(),
            "CourseType": c["level"].to_numpy(),
            "APExamTaken": c["taken"].to_numpy(),
            "APScore": c["score"].array,
        }
    )


def _assessments(rng: np.random.Generator, enr: pd.DataFrame) -> pd.DataFrame:
    """State test results, one row per student per subject, grades 3-8 and 10 (about 2% not tested)."""
    e = enr[enr["grade"].isin([3, 4, 5, 6, 7, 8, 10])].reset_index(drop=True)
    rows = np.repeat(np.arange(len(e)), 2)
    subject = np.tile(np.array(["Math", "ELA"]), len(e))
    tested = rng.random(len(rows)) >= 0.02
    rows, subject = rows[tested], subject[tested]
    ability = e["ability"].to_numpy()[rows] - 0.30 * e["el"].to_numpy()[rows]
    score = np.round(2533 + 90 * (ability + rng.normal(0.0, 0.55, len(rows)))).astype(int)
    level = 1 + np.searchsorted([2440, 2505, 2580], score, side="right")
    frame = pd.DataFrame(
        {
            "Administration Year": np.array([str(s + 1) for s in START_YEARS])[e["year"].to_numpy()[rows]],
            "District Code": "4401",
            "School Number": e["school"].to_numpy()[rows],
            "Local Student ID": e["student_id"].to_numpy()[rows],
            "Tested Grade": e["grade"].to_numpy()[rows],
            "Subject": subject,
            "Scale Score": score,
            "Performance Level": np.char.add("Level ", level.astype(str)),
            "Met Standard": _yn(level >= 3, "Yes", "No"),
        }
    )
    return frame.sort_values(["Administration Year", "School Number", "Local Student ID", "Subject"], ignore_index=True)


def _special_education(enr: pd.DataFrame) -> pd.DataFrame:
    """One row per student with an IEP per year: primary disability and educational environment."""
    e = enr[enr["iep"]].sort_values(["year", "student_id"])
    return pd.DataFrame(
        {
            "STUDENT_ID": e["student_id"].to_numpy(),
            "SCHOOL_YR": np.array(YEARS)[e["year"].to_numpy()],
            "PRIMARY_DISABILITY": np.array(DISABILITIES)[e["category"].to_numpy()],
            "LRE": e["placement"].to_numpy(),
        }
    )


def _interventions(rng: np.random.Generator, enr: pd.DataFrame) -> pd.DataFrame:
    """MTSS tiers, special education referrals and gifted screening referrals.

    Every student newly found eligible for an IEP was referred that year (and some referred were not found
    eligible). English learners are referred for gifted screening far less often than other students.
    """
    e = enr.reset_index(drop=True)
    grade = e["grade"].to_numpy()
    race = e["race"].to_numpy()
    ability = e["ability"].to_numpy()
    el = e["el"].to_numpy()
    strata = e["year"].to_numpy() * 2 + el
    black = race == RACES.index("BL")
    k8 = (grade >= 0) & (grade <= 8)
    tier2_p = np.where(k8, _sigmoid(-3.0 - 1.2 * ability + 0.3 * black), 0.0)
    tier2 = _systematic(rng, tier2_p, strata)
    tier3 = _systematic(rng, np.where(tier2, _sigmoid(-1.4 - 0.8 * ability), 0.0), strata)
    new_iep = e["iep"].to_numpy() & (grade == e["iep_grade"].to_numpy())
    not_eligible = (grade >= 0) & ~e["iep"].to_numpy() & (rng.random(len(e)) < 0.006 * (1 + 0.5 * black))
    gt_p = np.where(
        (grade >= 1) & (grade <= 5) & ~e["gifted"].to_numpy(), _sigmoid(-2.3 + 1.4 * ability - 1.3 * el), 0.0
    )
    gt = _systematic(rng, gt_p, strata)
    parts = [
        (tier2, "MTSS Tier 2", 0.0, 0.5),
        (tier3, "MTSS Tier 3", 0.3, 0.8),
        (new_iep | not_eligible, "SPED referral", 0.05, 0.9),
        (gt, "GT screening", 0.1, 0.5),
    ]
    frames = []
    for chosen, label, low, high in parts:
        rows = np.flatnonzero(chosen)
        when = rng.uniform(low, high, len(rows))
        frames.append(
            pd.DataFrame({"row": rows, "what": label, "date": _dates_in_year(e["year"].to_numpy()[rows], when)})
        )
    out = pd.concat(frames, ignore_index=True).sort_values(["date", "row", "what"], ignore_index=True)
    rows = out["row"].to_numpy()
    return pd.DataFrame(
        {
            "Student ID": e["student_id"].to_numpy()[rows],
            "Year": np.array(YEARS)[e["year"].to_numpy()[rows]],
            "Intervention": out["what"].to_numpy(),
            "Referral Date": _us_dates(out["date"].to_numpy()),
        }
    )


# ----------------------------------------------------------------------------------------------------------
# Staff and applicants

ROLE_SLOTS = {  # per school level: teachers come from enrollment, the rest are fixed
    "Administrator": {"Elementary": 2, "Middle": 3, "High": 5},
    "Counselor": {"Elementary": 1, "Middle": 3, "High": 6},
    "Paraprofessional": {"Elementary": 18, "Middle": 12, "High": 10},
}
STUDENTS_PER_TEACHER = 19.2
INCUMBENT_RACE = {  # race of staff hired before the first year
    "Teacher": {"WH": 0.805, "BL": 0.085, "HI": 0.07, "AS": 0.022, "TR": 0.012, "AM": 0.004, "HP": 0.002, "UN": 0.0},
    "Administrator": {"WH": 0.72, "BL": 0.16, "HI": 0.08, "AS": 0.02, "TR": 0.02},
    "Counselor": {"WH": 0.70, "BL": 0.14, "HI": 0.12, "AS": 0.02, "TR": 0.02},
    "Paraprofessional": {"WH": 0.52, "BL": 0.21, "HI": 0.22, "AS": 0.03, "TR": 0.02},
}
APPLICANT_RACE = {"WH": 0.565, "BL": 0.17, "HI": 0.15, "AS": 0.05, "TR": 0.035, "AM": 0.008, "HP": 0.004, "UN": 0.018}
APPLICANTS = {"Teacher": 1900, "Paraprofessional": 380, "Counselor": 110, "Administrator": 110}
# Relative chance of being hired (White = 1): Black applicants are hired at about 70% of White applicants' rate.
HIRE_WEIGHT = {"WH": 1.0, "BL": 0.70, "HI": 0.85, "AS": 0.95, "TR": 0.9, "AM": 0.85, "HP": 0.85, "UN": 0.9}
FEMALE_SHARE = {"Teacher": 0.76, "Administrator": 0.55, "Counselor": 0.80, "Paraprofessional": 0.86}
ROLES = ("Teacher", "Administrator", "Counselor", "Paraprofessional")


def _slots(enr: pd.DataFrame) -> pd.DataFrame:
    """Positions: one row per job (role at a school), sized from first-year enrollment."""
    counts = enr[enr["year"] == 0]["school"].value_counts()
    rows = []
    for school in SCHOOLS:
        teachers = int(round(counts.get(school.code, 0) / STUDENTS_PER_TEACHER))
        rows += [("Teacher", school.code)] * teachers
        for role, per_level in ROLE_SLOTS.items():
            rows += [(role, school.code)] * per_level[school.level]
    return pd.DataFrame(rows, columns=["role", "school"])


def _staff_and_applicants(rng: np.random.Generator, enr: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staff (one row per person per year) and applicants (one row per application).

    Vacancies each year are filled from that year's applicants; Black applicants are hired at about 0.7 of
    White applicants' rate (adverse impact under the four-fifths rule), and Black teachers leave more often.
    """
    slots = _slots(enr)
    n_slots = len(slots)
    role = slots["role"].to_numpy()
    # Incumbents in the first year.
    race = np.empty(n_slots, dtype=int)
    for r in ROLES:
        mask = role == r
        race[mask] = rng.choice(len(RACES), mask.sum(), p=_shares(INCUMBENT_RACE[r]))
    tenure = np.minimum(rng.exponential(9.0, n_slots).astype(int) + 1, 34)
    people = pd.DataFrame(
        {
            "person": np.arange(n_slots),
            "slot": np.arange(n_slots),
            "race": race,
            "female": rng.random(n_slots) < np.vectorize(FEMALE_SHARE.get)(role),
            "hire_date": _summer_dates(rng, START_YEARS[0] - tenure),
            "experience": tenure + np.where(rng.random(n_slots) < 0.3, rng.integers(1, 8, n_slots), 0),
        }
    )
    vacancy = _systematic(rng, np.full(n_slots, 0.11), slots["role"].factorize()[0])
    current = people[~vacancy].reset_index(drop=True)
    open_slots = np.flatnonzero(vacancy)

    staff_years, applicant_years = [], []
    next_person = n_slots
    for year, start in enumerate(START_YEARS):
        applicants, hires = _applicant_pool(rng, year, slots.iloc[open_slots]["role"].to_numpy())
        applicant_years.append(applicants)
        hired = pd.DataFrame(
            {
                "person": np.arange(next_person, next_person + len(hires)),
                "slot": open_slots[hires["vacancy"].to_numpy()],
                "race": hires["race"].to_numpy(),
                "female": hires["female"].to_numpy(),
                "hire_date": _summer_dates(rng, np.full(len(hires), start)),
                "experience": np.where(rng.random(len(hires)) < 0.45, 0, rng.integers(1, 16, len(hires))),
            }
        )
        next_person += len(hires)
        current = pd.concat([current, hired], ignore_index=True)
        current = current.assign(
            year=year,
            role=role[current["slot"].to_numpy()],
            school=slots["school"].to_numpy()[current["slot"].to_numpy()],
        )
        current = _separations(rng, current, start)
        staff_years.append(current)
        open_slots = np.sort(current.loc[current["separated"], "slot"].to_numpy())
        current = current[~current["separated"]][["person", "slot", "race", "female", "hire_date", "experience"]]
        current = current.assign(experience=current["experience"] + 1).reset_index(drop=True)

    staff = pd.concat(staff_years, ignore_index=True)
    employee_ids = _zero_padded_ids(rng, next_person, 6)
    staff["employee_id"] = employee_ids[staff["person"].to_numpy()]
    staff = staff.sort_values(["year", "employee_id"], ignore_index=True)
    staff_frame = pd.DataFrame(
        {
            "Employee ID": staff["employee_id"].to_numpy(),
            "Fiscal Year": np.array([str(s + 1) for s in START_YEARS])[staff["year"].to_numpy()],
            "Location Code": staff["school"].to_numpy(),
            "Position": staff["role"].to_numpy(),
            "Race": np.array([HR_RACE[c] for c in RACES])[staff["race"].to_numpy()],
            "Sex": np.where(staff["female"], "Female", "Male"),
            "Hire Date": _us_dates(staff["hire_date"].to_numpy()),
            "Separation Date": _us_dates(staff["separation_date"].to_numpy()),
            "Separation Reason": staff["reason"].to_numpy(),
            "Promoted": _yn(staff["promoted"]),
            "Years Experience": staff["experience"].to_numpy(),
        }
    )
    applicants = pd.concat(applicant_years, ignore_index=True)
    applicant_frame = pd.DataFrame(
        {
            "Applicant ID": applicants["applicant_id"].to_numpy(),
            "Posting Year": np.array(YEARS)[applicants["year"].to_numpy()],
            "Position": applicants["role"].to_numpy(),
            "Race": np.array([HR_RACE[c] for c in RACES])[applicants["race"].to_numpy()],
            "Sex": np.where(applicants["female"], "Female", "Male"),
            "Furthest Stage": applicants["stage"].to_numpy(),
        }
    )
    return staff_frame, applicant_frame


def _shares(values: dict[str, float]) -> np.ndarray:
    p = np.array([values.get(c, 0.0) for c in RACES])
    return p / p.sum()


def _summer_dates(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """Hire dates between June 15 and August 20 of each given year."""
    offsets = rng.integers(0, 67, len(years))
    starts = np.array([np.datetime64(f"{int(y)}-06-15") for y in years], dtype="datetime64[D]")
    return starts + offsets


def _zero_padded_ids(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """n distinct random numbers below 10**(width - 1) * 3, as zero-padded text ("004512")."""
    numbers = rng.choice(np.arange(100, 10 ** (width - 1) * 3), size=n, replace=False)
    return pd.Series(numbers).astype(str).str.zfill(width).to_numpy()


def _applicant_pool(rng: np.random.Generator, year: int, vacancies: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One year's applicants, with exactly one hire per vacancy (`vacancies` holds each vacancy's role)."""
    frames = []
    for r in ROLES:
        n = int(round(APPLICANTS[r] * rng.uniform(0.93, 1.07)))
        race = rng.choice(len(RACES), n, p=_shares(APPLICANT_RACE))
        weight = _by_race(HIRE_WEIGHT, race)
        open_roles = np.flatnonzero(vacancies == r)
        k = len(open_roles)
        hired = _systematic(rng, k * weight / weight.sum(), race) if k else np.zeros(n, dtype=bool)
        hired = _exactly(rng, hired, k)
        vacancy = np.full(n, -1)
        vacancy[np.flatnonzero(hired)] = rng.permutation(open_roles)[: hired.sum()]
        offered = hired | (rng.random(n) < 0.02)
        interviewed = offered | (rng.random(n) < 0.26 * weight)
        stage = np.select([hired, offered, interviewed], ["Hired", "Offered", "Interviewed"], default="Applied")
        frames.append(
            pd.DataFrame(
                {
                    "year": year,
                    "role": r,
                    "race": race,
                    "female": rng.random(n) < FEMALE_SHARE[r],
                    "stage": stage,
                    "vacancy": vacancy,
                }
            )
        )
    pool = pd.concat(frames, ignore_index=True)
    pool = pool.iloc[rng.permutation(len(pool))].reset_index(drop=True)
    pool["applicant_id"] = [f"A{(START_YEARS[year] + 1) % 100:02d}{i:05d}" for i in range(1, len(pool) + 1)]
    # Each hire's `vacancy` is its position in the `vacancies` array.
    return pool.drop(columns="vacancy"), pool[pool["vacancy"] >= 0]


def _exactly(rng: np.random.Generator, chosen: np.ndarray, k: int) -> np.ndarray:
    """`chosen` with yeses dropped or added at random so that exactly k rows are chosen (guards rounding)."""
    chosen = chosen.copy()
    yes, no = np.flatnonzero(chosen), np.flatnonzero(~chosen)
    if len(yes) > k:
        chosen[rng.choice(yes, len(yes) - k, replace=False)] = False
    elif len(yes) < k:
        chosen[rng.choice(no, k - len(yes), replace=False)] = True
    return chosen


def _separations(rng: np.random.Generator, staff: pd.DataFrame, start: int) -> pd.DataFrame:
    """Mark who leaves during the year, when and why; Black teachers leave about twice as often."""
    race = staff["race"].to_numpy()
    role = staff["role"].to_numpy()
    experience = staff["experience"].to_numpy()
    base = np.select([role == "Teacher", role == "Paraprofessional"], [0.105, 0.17], default=0.09)
    p = base * _by_race({"BL": 2.0, "HI": 1.2}, race) * np.where(experience < 3, 1.4, 1.0)
    p = np.minimum(p + np.where(experience >= 28, 0.25, 0.0), 0.9)
    strata = pd.Series(role).factorize()[0] * len(RACES) + race
    leaves = _systematic(rng, p, strata)
    n = len(staff)
    end_of_year = np.datetime64(f"{start + 1}-06-30")
    mid_year = _dates_in_year(np.full(n, START_YEARS.index(start)), rng.random(n))
    date = np.where(rng.random(n) < 0.75, end_of_year, mid_year).astype("datetime64[D]")
    reasons = np.array(
        [
            "Resigned - Took job in another district",
            "Resigned - Personal reasons",
            "Resigned - Left education",
            "Non-renewal",
            "Relocation",
        ]
    )
    reason = np.where(experience >= 28, "Retired", reasons[rng.choice(5, n, p=[0.35, 0.25, 0.15, 0.1, 0.15])])
    promoted = _systematic(rng, np.full(n, 0.035) * _by_race({"BL": 0.55}, race) * (~leaves), strata)
    return staff.assign(
        separated=leaves,
        separation_date=np.where(leaves, date, np.datetime64("NaT")),
        reason=np.where(leaves, reason, ""),
        promoted=promoted,
    )


# ----------------------------------------------------------------------------------------------------------
# Climate survey

SURVEY_BASE = {  # mean favourability by respondent type and construct
    "Student": {"Belonging": 0.25, "Safety": 0.35, "Teacher-student relationships": 0.45, "Fair discipline": 0.05},
    "Family": {"Belonging": 0.55, "Safety": 0.60, "Teacher-student relationships": 0.60, "Fair discipline": 0.40},
    "Staff": {"Belonging": 0.60, "Safety": 0.50, "Teacher-student relationships": 0.80, "Fair discipline": 0.45},
}
# Shift by respondent race and construct (halved for staff): largest for Black respondents on Fair discipline.
SURVEY_RACE_SHIFT = {
    "Belonging": {"BL": -0.25, "HI": -0.12, "AS": -0.05, "AM": -0.2, "WH": 0.10},
    "Safety": {"BL": -0.10, "HI": -0.05, "WH": 0.05},
    "Teacher-student relationships": {"BL": -0.20, "HI": -0.10, "WH": 0.08},
    "Fair discipline": {"BL": -0.52, "HI": -0.18, "AM": -0.3, "TR": -0.15, "WH": 0.10},
}
SURVEY_CUTS = np.array([-1.6, -0.75, 0.18, 1.3])


def _survey(rng: np.random.Generator, enr: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """Climate survey responses, wide: one row per respondent, one column per item (1-5, blank if skipped)."""
    frames = []
    for year in range(len(YEARS)):
        e = enr[enr["year"] == year]
        students = e[(e["grade"] >= 5) & (rng.random(len(e)) < 0.40)]
        families = e[(e["grade"] >= 0) & (rng.random(len(e)) < 0.11 * np.where(e["low_income"], 0.7, 1.0))]
        s = staff[staff["Fiscal Year"] == str(START_YEARS[year] + 1)]
        s = s[rng.random(len(s)) < 0.6]
        hr_to_race = {v: i for i, v in enumerate(HR_RACE[c] for c in RACES)}
        sex_words = {"F": "Female", "M": "Male", "X": "Non-binary"}
        frames += [
            pd.DataFrame(
                {
                    "year": year,
                    "type": "Student",
                    "school": students["school"].to_numpy(),
                    "race": students["race"].to_numpy(),
                    "gender": students["sex"].map(sex_words).to_numpy(),
                    "grade": np.char.add("Grade ", students["grade"].to_numpy().astype(str)),
                }
            ),
            pd.DataFrame(
                {
                    "year": year,
                    "type": "Family",
                    "school": families["school"].to_numpy(),
                    "race": families["race"].to_numpy(),
                    "gender": rng.choice(np.array(["Female", "Male"]), len(families), p=[0.7, 0.3]),
                    "grade": "",
                }
            ),
            pd.DataFrame(
                {
                    "year": year,
                    "type": "Staff",
                    "school": s["Location Code"].to_numpy(),
                    "race": s["Race"].map(hr_to_race).to_numpy(),
                    "gender": s["Sex"].to_numpy(),
                    "grade": "",
                }
            ),
        ]
    r = pd.concat(frames, ignore_index=True)
    n = len(r)
    race = r["race"].to_numpy()
    rtype = r["type"].to_numpy()
    r.loc[rng.random(n) < 0.02, "gender"] = ""
    answers = {}
    latent = {}
    for construct in SURVEY_BASE["Student"]:
        mean = np.vectorize(lambda t, c=construct: SURVEY_BASE[t][c])(rtype)
        shift = _by_race(SURVEY_RACE_SHIFT[construct], race, 0.0) * np.where(rtype == "Staff", 0.5, 1.0)
        latent[construct] = mean + shift + rng.normal(0.0, 0.8, n)
    for column, (_, construct, _) in zip(SURVEY_COLUMNS, SURVEY_ITEMS, strict=True):
        value = 1 + np.searchsorted(SURVEY_CUTS, latent[construct] + rng.normal(0.0, 0.7, n))
        answers[column] = pd.array(np.where(rng.random(n) < 0.03, pd.NA, value), dtype="Int64")
    response_ids = _response_ids(rng, n)
    out = pd.DataFrame(
        {
            "ResponseID": response_ids,
            "Survey Year": np.array(YEARS)[r["year"].to_numpy()],
            "School Code": r["school"].to_numpy(),
            "Respondent Type": rtype,
            "Race/Ethnicity": np.array([SURVEY_RACE[c] for c in RACES])[race],
            "Gender": r["gender"].to_numpy(),
            "Grade": r["grade"].to_numpy(),
            **answers,
        }
    )
    return out.sort_values(["Survey Year", "ResponseID"], ignore_index=True)


def _response_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Survey-vendor style response IDs: R_ and 15 random letters and digits (62**15 possibilities)."""
    alphabet = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    chars = alphabet[rng.integers(0, len(alphabet), size=(n, 15))]
    body = chars.copy().view("S15").ravel().astype(str)
    return np.char.add("R_", body)


# ----------------------------------------------------------------------------------------------------------
# Writing files


FIXED_TIME = (2025, 7, 1, 0, 0, 0)  # every zip entry's timestamp and the workbook's created/modified date




def _is_number_column(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)


def _as_text(values: pd.Series) -> np.ndarray:
    """A column as an object array of text, "" where missing."""
    return values.astype("string").fillna("").to_numpy(dtype=object)


def _sheet_xml(frame: pd.DataFrame, title: str | None, strings: pd.Index) -> str:
    """Worksheet XML: an optional title row, the header, then the data (numbers as numbers, text shared).

    Cell references (`r`) are optional in SpreadsheetML and make up most of a sheet's compressed size, so
    cells carry them only from the first column with blank (omitted) cells onwards, where readers need them
    to place the next cell. The XML is assembled column by column with pyarrow's string kernels.
    """
    offset = 1 if title else 0
    n = len(frame)
    row_numbers = pc.cast(pa.array(np.arange(n) + 2 + offset), pa.string())
    texts = [_as_text(frame[name]) for name in frame.columns]
    blank = [text == "" for text in texts]
    first_blank = next((j for j, b in enumerate(blank) if b.any()), len(texts))
    pieces: list[pa.Array | str] = [pc.binary_join_element_wise('<row r="', row_numbers, '">', "")]
    widths = []
    for j, name in enumerate(frame.columns):
        if _is_number_column(frame[name]):
            value, kind = pa.array(texts[j], type=pa.string()), ""
            width = max(len(name), 6)
        else:
            value = pc.cast(pa.array(strings.get_indexer(texts[j])), pa.string())
            kind = ' t="s"'
            width = max([len(name)] + [len(v) for v in pd.unique(texts[j])])
        widths.append(min(width + 2, 60))
        if j >= first_blank:
            opening = pc.binary_join_element_wise(f'<c r="{column_letter(j)}', row_numbers, f'"{kind}><v>', "")
        else:
            opening = f"<c{kind}><v>"
        cell = pc.binary_join_element_wise(opening, value, "</v></c>", "")
        pieces.append(pc.if_else(pa.array(blank[j]), "", cell) if blank[j].any() else cell)
    pieces.append("</row>")
    body = "".join(pc.binary_join_element_wise(*pieces, "").to_pylist()) if n else ""
    header = "".join(
        f'<c r="{column_letter(j)}{1 + offset}" t="s" s="1"><v>{strings.get_loc(name)}</v></c>'
        for j, name in enumerate(frame.columns)
    )
    head_rows = f'<row r="1"><c r="A1" t="s" s="1"><v>{strings.get_loc(title)}</v></c></row>' if title else ""
    head_rows += f'<row r="{1 + offset}">{header}</row>'
    last = f"{column_letter(len(frame.columns) - 1)}{n + 1 + offset}"
    cols = "".join(f'<col min="{j + 1}" max="{j + 1}" width="{w}" customWidth="1"/>' for j, w in enumerate(widths))
    pane = (
        f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{1 + offset}" topLeftCell="A{2 + offset}" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{last}"/>{pane}<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
        f"<sheetData>{head_rows}{body}</sheetData></worksheet>"
    )


def _shared_strings(sheets: list[tuple[str, pd.DataFrame, str | None]]) -> pd.Index:
    """Every text value in the workbook, numbered (by position) in order of first appearance."""
    pieces = []
    for _, frame, title in sheets:
        if title:
            pieces.append(np.array([title], dtype=object))
        pieces.append(np.array(list(frame.columns), dtype=object))
        for name in frame.columns:
            if not _is_number_column(frame[name]):
                text = pd.unique(_as_text(frame[name]))
                pieces.append(text[text != ""])
    return pd.Index(pd.unique(np.concatenate(pieces)), dtype=object)


_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _write_xlsx(path: Path, sheets: list[tuple[str, pd.DataFrame, str | None]], title: str) -> None:
    """Write a workbook (sheets of (name, frame, optional title row)) with fixed timestamps: same bytes every run."""
    strings = _shared_strings(sheets)
    n = len(sheets)
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*FIXED_TIME)
    parts: dict[str, str] = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CONTENT_TYPE}.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{_CONTENT_TYPE}.worksheet+xml"/>'
                for i in range(n)
            )
            + f'<Override PartName="/xl/styles.xml" ContentType="{_CONTENT_TYPE}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CONTENT_TYPE}.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        ),
        "docProps/core.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(title)}</dc:title><dc:creator>Equity Explorer sample generator</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>"
        ),
        "docProps/app.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>Equity Explorer</Application></Properties>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{_REL}"><bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(
                f'<sheet name={quoteattr(name)} sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                for i, (name, _, _) in enumerate(sheets)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                for i in range(n)
            )
            + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": _STYLES,
        "xl/sharedStrings.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(value)}</t></si>" for value in strings)
            + "</sst>"
        ),
    }
    for i, (_, frame, sheet_title) in enumerate(sheets):
        parts[f"xl/worksheets/sheet{i + 1}.xml"] = _sheet_xml(frame, sheet_title, strings)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"), compresslevel=6)
    path.write_bytes(buffer.getvalue())


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    """UTF-8 CSV with Unix line endings, blanks for missing values."""
    path.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def _schools_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "School Code": [s.code for s in SCHOOLS],
            "School Name": [s.name for s in SCHOOLS],
            "Level": [s.level for s in SCHOOLS],
        }
    )


def generate_sample(out_dir: Path, seed: int = SAMPLE_SEED) -> list[Path]:
    """Write the synthetic district's files into `out_dir` and return their paths (same bytes for the same seed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    students, enrollment = _simulate_students(_rng(seed, 1))
    enr = _enrollment_years(_rng(seed, 2), students, enrollment)
    staff, applicants = _staff_and_applicants(_rng(seed, 7), enr)
    written: list[Path] = []

    def csv(name: str, frame: pd.DataFrame) -> None:
        _write_csv(out_dir / name, frame)
        written.append(out_dir / name)

    def xlsx(name: str, sheets: list[tuple[str, pd.DataFrame, str | None]], title: str) -> None:
        _write_xlsx(out_dir / name, sheets, title)
        written.append(out_dir / name)

    xlsx("enrollment_roster.xlsx", _roster_sheets(enr), "Enrollment roster")
    csv("discipline_incidents.csv", _discipline(_rng(seed, 3), enr))
    csv("advanced_courses.csv", _courses(_rng(seed, 4), enr))
    xlsx(
        "state_assessment_results.xlsx",
        [("Student Results", _assessments(_rng(seed, 5), enr), None)],
        "State assessment results",
    )
    csv("special_education.csv", _special_education(enr))
    csv("interventions.csv", _interventions(_rng(seed, 6), enr))
    xlsx(
        "hr_export.xlsx",
        [("Staff", staff, None), ("Applicants", applicants, None), ("Schools", _schools_frame(), None)],
        "HR export",
    )
    csv("climate_survey_responses.csv", _survey(_rng(seed, 8), enr, staff))
    return written
