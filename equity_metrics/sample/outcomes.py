"""The sample district's outcomes, drawn per student-year: discipline incidents, course enrollments, test
scores, special education and interventions (with the disparities the app should find)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_metrics.sample.district import (
    AP_COURSES,
    DISABILITIES,
    DUAL_COURSES,
    HONORS_COURSES,
    IB_COURSES,
    OBJECTIVE_OFFENSES,
    RACES,
    START_YEARS,
    SUBJECTIVE_OFFENSES,
    YEARS,
    _by_race,
    _school_days,
    _systematic,
    _us_dates,
    _yn,
)


def discipline(rng: np.random.Generator, enr: pd.DataFrame) -> pd.DataFrame:
    """Discipline actions: one row per action; a law enforcement referral or arrest shares its incident's ID.

    Black students are removed far more often than other students, most of all for subjective offenses;
    boys with disabilities get more in-school suspensions.
    """
    e = enr[enr["grade"] >= 0]
    inc = _describe_incidents(rng, _incidents(rng, e))
    actions = _with_law_enforcement(rng, inc, e["race"].to_numpy())
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


def _incidents(rng: np.random.Generator, e: pd.DataFrame) -> pd.DataFrame:
    """One row per removal (`row` into `e`, its category and action), drawn per student-year from each
    process's rate: grade, sex, disability, income and race multiply the student's frailty."""
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
    inc["year"] = e["year"].to_numpy()[inc["row"]]
    return inc


def _describe_incidents(rng: np.random.Generator, inc: pd.DataFrame) -> pd.DataFrame:
    """The incidents with an offense, a school day, an incident ID (in date order) and the days removed."""
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
    return inc


def _with_law_enforcement(rng: np.random.Generator, inc: pd.DataFrame, race: np.ndarray) -> pd.DataFrame:
    """The removals and, sharing their incident IDs, the referrals and arrests that follow some of them
    (`race`, per student-year, stratifies the draw), ordered by incident."""
    # Referrals to law enforcement follow some objective suspensions and half of expulsions; some end in arrest.
    objective_oss = ((inc["category"] == "Objective") & (inc["action"] == "OSS")).to_numpy()
    refer_p = np.where(objective_oss, 0.12, np.where(inc["action"].to_numpy() == "EXP", 0.5, 0.0))
    refer_strata = race[inc["row"].to_numpy()]
    referred = inc[_systematic(rng, refer_p, refer_strata)]
    arrested = referred[rng.random(len(referred)) < 0.25]
    extra = pd.concat(
        [referred.assign(action="Referral to law enforcement"), arrested.assign(action="Arrest")], ignore_index=True
    )
    extra["days_removed"] = pd.array([pd.NA] * len(extra), dtype="Int64")
    actions = pd.concat([inc, extra], ignore_index=True)
    order = {"OSS": 0, "ISS": 0, "Detention": 0, "EXP": 0, "Referral to law enforcement": 1, "Arrest": 2}
    actions["order"] = actions["action"].map(order)
    return actions.sort_values(["incident_id", "order"], ignore_index=True)


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


def _pickcourses(
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


def courses(rng: np.random.Generator, enr: pd.DataFrame) -> pd.DataFrame:
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
        rows, course = _pickcourses(rng, np.flatnonzero(chosen), grade[chosen], how_many, catalog)
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


def assessments(rng: np.random.Generator, enr: pd.DataFrame) -> pd.DataFrame:
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


def special_education(enr: pd.DataFrame) -> pd.DataFrame:
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


def interventions(rng: np.random.Generator, enr: pd.DataFrame) -> pd.DataFrame:
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
