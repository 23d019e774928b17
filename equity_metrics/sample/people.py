"""The sample district's staff, applicants and climate survey, drawn from its enrollment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_metrics.sample.district import (
    HR_RACE,
    RACES,
    SCHOOLS,
    START_YEARS,
    SURVEY_COLUMNS,
    SURVEY_ITEMS,
    SURVEY_RACE,
    YEARS,
    _by_race,
    _systematic,
    _us_dates,
    _yn,
)
from equity_metrics.sample.outcomes import _dates_in_year

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


def staff_and_applicants(rng: np.random.Generator, enr: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staff (one row per person per year) and applicants (one row per application).

    Vacancies each year are filled from that year's applicants; Black applicants are hired at about 0.7 of
    White applicants' rate (adverse impact under the four-fifths rule), and Black teachers leave more often.
    """
    slots = _slots(enr)
    people = _incumbents(rng, slots["role"].to_numpy())
    vacancy = _systematic(rng, np.full(len(slots), 0.11), slots["role"].factorize()[0])
    staff_years, applicant_years, people_count = _staff_years(
        rng, slots, people[~vacancy].reset_index(drop=True), np.flatnonzero(vacancy))
    staff = pd.concat(staff_years, ignore_index=True)
    employee_ids = _zero_padded_ids(rng, people_count, 6)
    staff["employee_id"] = employee_ids[staff["person"].to_numpy()]
    staff = staff.sort_values(["year", "employee_id"], ignore_index=True)
    return _staff_frame(staff), _applicant_frame(pd.concat(applicant_years, ignore_index=True))


def _incumbents(rng: np.random.Generator, role: np.ndarray) -> pd.DataFrame:
    """The people holding each slot (of `role`) before the first year: race, sex, hire date, experience."""
    n_slots = len(role)
    race = np.empty(n_slots, dtype=int)
    for r in ROLES:
        mask = role == r
        race[mask] = rng.choice(len(RACES), mask.sum(), p=shares(INCUMBENT_RACE[r]))
    tenure = np.minimum(rng.exponential(9.0, n_slots).astype(int) + 1, 34)
    return pd.DataFrame(
        {
            "person": np.arange(n_slots),
            "slot": np.arange(n_slots),
            "race": race,
            "female": rng.random(n_slots) < np.vectorize(FEMALE_SHARE.get)(role),
            "hire_date": _summer_dates(rng, START_YEARS[0] - tenure),
            "experience": tenure + np.where(rng.random(n_slots) < 0.3, rng.integers(1, 8, n_slots), 0),
        }
    )


def _staff_years(rng: np.random.Generator, slots: pd.DataFrame, current: pd.DataFrame, open_slots: np.ndarray
                 ) -> tuple[list[pd.DataFrame], list[pd.DataFrame], int]:
    """Year by year: fill the open slots from the year's applicants, then draw who leaves. Returns the staff
    of each year, the applicants of each year, and how many people there were in all."""
    role = slots["role"].to_numpy()
    staff_years, applicant_years = [], []
    next_person = len(slots)
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
    return staff_years, applicant_years, next_person


def _staff_frame(staff: pd.DataFrame) -> pd.DataFrame:
    """The HR export's staff sheet, in its own spellings."""
    return pd.DataFrame(
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


def _applicant_frame(applicants: pd.DataFrame) -> pd.DataFrame:
    """The HR export's applicant sheet, in its own spellings."""
    return pd.DataFrame(
        {
            "Applicant ID": applicants["applicant_id"].to_numpy(),
            "Posting Year": np.array(YEARS)[applicants["year"].to_numpy()],
            "Position": applicants["role"].to_numpy(),
            "Race": np.array([HR_RACE[c] for c in RACES])[applicants["race"].to_numpy()],
            "Sex": np.where(applicants["female"], "Female", "Male"),
            "Furthest Stage": applicants["stage"].to_numpy(),
        }
    )


def shares(values: dict[str, float]) -> np.ndarray:
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
        race = rng.choice(len(RACES), n, p=shares(APPLICANT_RACE))
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


SURVEY_BASE = {  # mean favourability by respondent type and construct
    "Student": {"Belonging": 0.25, "Safety": 0.35, "Teacher-student relationships": 0.45, "Fair discipline": 0.05},
    "Family": {"Belonging": 0.55, "Safety": 0.60, "Teacher-student relationships": 0.60, "Fair discipline": 0.40},
    "Staff": {"Belonging": 0.60, "Safety": 0.50, "Teacher-student relationships": 0.80, "Fair discipline": 0.45},
}


SURVEY_RACE_SHIFT = {
    "Belonging": {"BL": -0.25, "HI": -0.12, "AS": -0.05, "AM": -0.2, "WH": 0.10},
    "Safety": {"BL": -0.10, "HI": -0.05, "WH": 0.05},
    "Teacher-student relationships": {"BL": -0.20, "HI": -0.10, "WH": 0.08},
    "Fair discipline": {"BL": -0.52, "HI": -0.18, "AM": -0.3, "TR": -0.15, "WH": 0.10},
}


SURVEY_CUTS = np.array([-1.6, -0.75, 0.18, 1.3])


def survey(rng: np.random.Generator, enr: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
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
