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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.ingest.mapping import Mapping, Unpivot
from equity_metrics.sample.listening import LISTENING_FILE, LISTENING_MAPPING

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
    SampleFile(LISTENING_FILE, None, LISTENING_MAPPING),  # coded excerpts of listening sessions (sample/listening.py)
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


# Relative chance of being hired (White = 1): Black applicants are hired at about 70% of White applicants' rate.


# ----------------------------------------------------------------------------------------------------------
# Climate survey

# Shift by respondent race and construct (halved for staff): largest for Black respondents on Fair discipline.


