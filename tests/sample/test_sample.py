"""Tests of the synthetic sample district (equity_metrics.sample.district).

The disparities built into the sample are measured here with plain pandas straight from the raw files, so
they check the generator independently of the app's own metric code. `python -m tests.test_sample [DIR]`
prints the table that sample_data/README.md carries between its `disparities` markers.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import fastexcel
import numpy as np
import pandas as pd
import pytest

from equity_metrics.core import codes
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.sample.district import SAMPLE_FILES, SAMPLE_SEED, SampleFile
from equity_metrics.sample.files import generate_sample
from equity_metrics.storage.schema import KINDS

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "sample_data"
YEARS = ("2022-23", "2023-24", "2024-25")

# Raw spellings used in the files (as a user would filter them in a spreadsheet).
BLACK = "Black/African American"
HISPANIC = "Hispanic/Latino"
WHITE = "White"
PACIFIC = "Native Hawaiian/Pacific Islander"
UNKNOWN = "Declined"


# ----------------------------------------------------------------------------------------------------------
# Reading the raw files


def read_raw(data_dir: Path, sample_file: SampleFile) -> pd.DataFrame:
    """One source table as text, blanks as "" (CSV through pandas, workbooks through fastexcel)."""
    path = data_dir / sample_file.path
    if sample_file.sheet is None:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    else:
        sheet = fastexcel.read_excel(str(path)).load_sheet(
            sample_file.sheet, header_row=sample_file.mapping.header_row, dtypes="string"
        )
        frame = sheet.to_pandas().fillna("")
    return frame.astype(object)  # plain Python strings: isin and merges are much faster than on Arrow strings


def _file(path: str, sheet: str | None = None) -> SampleFile:
    return next(f for f in SAMPLE_FILES if f.path == path and f.sheet == sheet)


class Raw:
    """The sample's raw tables, read once."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir
        self.tables = {(f.path, f.sheet): read_raw(data_dir, f) for f in SAMPLE_FILES}
        self.roster = pd.concat(
            [self.table("enrollment_roster.xlsx", year).assign(**{"School Year": year}) for year in YEARS],
            ignore_index=True,
        )
        self.discipline = self.table("discipline_incidents.csv")
        self.courses = self.table("advanced_courses.csv")
        self.assessments = self.table("state_assessment_results.xlsx", "Student Results")
        self.sped = self.table("special_education.csv")
        self.interventions = self.table("interventions.csv")
        self.staff = self.table("hr_export.xlsx", "Staff")
        self.applicants = self.table("hr_export.xlsx", "Applicants")
        self.schools = self.table("hr_export.xlsx", "Schools")
        self.survey = self.table("climate_survey_responses.csv")

    def table(self, path: str, sheet: str | None = None) -> pd.DataFrame:
        return self.tables[(path, sheet)]

    def roster_with(self, other: pd.DataFrame, id_column: str, year_column: str, year_of: Callable) -> pd.DataFrame:
        """Roster rows with a column `hit` saying whether the student has a row in `other` that year."""
        keys = pd.DataFrame({"Student ID": other[id_column], "School Year": other[year_column].map(year_of)})
        keys = keys.drop_duplicates().assign(hit=True)
        out = self.roster.merge(keys, on=["Student ID", "School Year"], how="left")
        return out.assign(hit=out["hit"].fillna(False).astype(bool))


def _same(year: str) -> str:
    return year


# ----------------------------------------------------------------------------------------------------------
# Measuring with plain pandas


def _risk_ratio(frame: pd.DataFrame, outcome: str, group: pd.Series) -> float:
    """Risk of `outcome` in `group` over the risk among all other students of known race."""
    known = frame["Race/Ethnicity"] != UNKNOWN
    return frame.loc[group & known, outcome].mean() / frame.loc[~group & known, outcome].mean()


def _representation_index(enrolled: pd.DataFrame, outcome: str, race: str) -> float:
    """Share of the students with the outcome who are in `race` over that group's share of enrollment."""
    known = enrolled[enrolled["Race/Ethnicity"] != UNKNOWN]
    is_group = known["Race/Ethnicity"] == race
    return (known.loc[known[outcome], "Race/Ethnicity"] == race).mean() / is_group.mean()


def _cohens_d(a: pd.Series, b: pd.Series) -> float:
    """(mean of b - mean of a) / pooled SD: positive when group a scores lower."""
    pooled = math.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
    return (b.mean() - a.mean()) / pooled


def _favorable(answers: pd.DataFrame) -> float:
    """Percent of non-blank answers that are 4 or 5."""
    values = pd.to_numeric(answers.stack(), errors="coerce").dropna()
    values = values[values > 0]
    return 100.0 * (values >= 4).mean()


def measure(raw: Raw) -> dict[str, float]:
    """Every built-in disparity (and the headline shares) measured from the raw files."""
    m: dict[str, float] = {}
    r = raw.roster
    known = r["Race/Ethnicity"] != UNKNOWN
    black, hispanic = r["Race/Ethnicity"] == BLACK, r["Race/Ethnicity"] == HISPANIC
    enrolled = r["Days Enrolled"].astype(float)
    absent = r["Days Absent"].astype(float)
    r = r.assign(
        chronic=absent / enrolled >= 0.10,
        gifted=r["Gifted"] == "Y",
        el=r["ELL"] == "Y",
        low_income=r["FRL Status"].isin(["1", "2"]),
    )
    m["students_per_year"] = len(r) / len(YEARS)
    m["share_black"] = 100 * black.mean()
    m["share_hispanic"] = 100 * hispanic.mean()
    m["share_white"] = 100 * (r["Race/Ethnicity"] == WHITE).mean()
    m["students_of_color"] = 100 * (r.loc[known, "Race/Ethnicity"] != WHITE).mean()
    m["iep"] = 100 * (r["IEP"] == "Y").mean()
    m["s504"] = 100 * (r["504"] == "Y").mean()
    m["el"] = 100 * r["el"].mean()
    m["low_income"] = 100 * r["low_income"].mean()
    m["gifted"] = 100 * r["gifted"].mean()
    m["chronic"] = 100 * r["chronic"].mean()
    m["chronic_low_income"] = 100 * r.loc[r["low_income"], "chronic"].mean()
    m["chronic_not_low_income"] = 100 * r.loc[~r["low_income"], "chronic"].mean()
    boys_iep = (r["Gender"] == "M") & (r["IEP"] == "Y")
    m["iep_black_boys"] = 100 * (r.loc[black & (r["Gender"] == "M"), "IEP"] == "Y").mean()
    m["gifted_rr_black"] = _risk_ratio(r, "gifted", black)
    m["gifted_rr_hispanic"] = _risk_ratio(r, "gifted", hispanic)
    m["gifted_rr_el"] = r.loc[r["el"], "gifted"].mean() / r.loc[~r["el"], "gifted"].mean()

    # Discipline: students with at least one action of a kind, over enrolled students (roster).
    d = raw.discipline

    def with_action(rows: pd.Series) -> pd.Series:
        return raw.roster_with(d[rows], "Student ID", "School Year", _same)["hit"].to_numpy()

    r["oss"] = with_action(d["Action"] == "OSS")
    r["oss_subjective"] = with_action((d["Action"] == "OSS") & (d["Offense Type"] == "Subjective"))
    r["oss_objective"] = with_action((d["Action"] == "OSS") & (d["Offense Type"] == "Objective"))
    r["iss"] = with_action(d["Action"] == "ISS")
    r["exp"] = with_action(d["Action"] == "EXP")
    r["le"] = with_action(d["Action"] == "Referral to law enforcement")
    m["oss_risk"] = 100 * r["oss"].mean()
    for year in YEARS:
        in_year = r["School Year"] == year
        m[f"oss_rr_black_{year}"] = _risk_ratio(r[in_year], "oss", black[in_year])
    m["oss_rr_black_subjective"] = _risk_ratio(r, "oss_subjective", black)
    m["oss_rr_black_objective"] = _risk_ratio(r, "oss_objective", black)
    m["oss_rr_hispanic"] = _risk_ratio(r, "oss", hispanic)
    m["iss_rr_boys_iep"] = r.loc[boys_iep, "iss"].mean() / r.loc[~boys_iep, "iss"].mean()
    for outcome in ("exp", "le"):
        per_year = r.groupby(["School Year", "Race/Ethnicity"])[outcome].sum()
        m[f"{outcome}_min_black"] = per_year.xs(BLACK, level=1).min()
        m[f"{outcome}_min_hispanic"] = per_year.xs(HISPANIC, level=1).min()
        m[f"{outcome}_max_pacific"] = per_year.xs(PACIFIC, level=1).max() if PACIFIC in per_year.index.levels[1] else 0
        m[f"{outcome}_per_year"] = r[outcome].sum() / len(YEARS)

    # Advanced Placement, grades 9-12.
    c = raw.courses
    ap = c[c["CourseType"] == "AP"]
    high = r[r["Grade"].isin(["09", "10", "11", "12"])].copy()
    high["ap"] = raw.roster_with(ap, "StudentNumber", "SchoolYear", codes.normalise_school_year).loc[high.index, "hit"]
    m["ap_students_pct"] = 100 * high["ap"].mean()
    m["ap_ri_hispanic"] = _representation_index(high, "ap", HISPANIC)
    m["ap_ri_black"] = _representation_index(high, "ap", BLACK)
    m["ap_ri_white"] = _representation_index(high, "ap", WHITE)
    exams = ap[ap["APExamTaken"] == "Y"].merge(
        r[["Student ID", "School Year", "Race/Ethnicity"]],
        left_on=["StudentNumber", ap.loc[ap["APExamTaken"] == "Y", "SchoolYear"].map(codes.normalise_school_year)],
        right_on=["Student ID", "School Year"],
    )
    passed = exams["APScore"].astype(int) >= 3
    pass_rate = passed.groupby(exams["Race/Ethnicity"]).mean() * 100
    m["ap_pass_white"] = pass_rate[WHITE]
    m["ap_pass_black"] = pass_rate[BLACK]
    m["ap_pass_hispanic"] = pass_rate[HISPANIC]

    # Assessments: all scores pooled (grades 3-8 and 10, both subjects, three years).
    a = raw.assessments.assign(year=raw.assessments["Administration Year"].map(codes.normalise_school_year))
    a = a.merge(
        r[["Student ID", "School Year", "Race/Ethnicity", "low_income"]],
        left_on=["Local Student ID", "year"],
        right_on=["Student ID", "School Year"],
    )
    score = a["Scale Score"].astype(float)
    a_black, a_hisp = a["Race/Ethnicity"] == BLACK, a["Race/Ethnicity"] == HISPANIC
    a_known = a["Race/Ethnicity"] != UNKNOWN
    m["score_mean"] = score.mean()
    m["score_sd"] = score.std()
    m["proficient"] = 100 * (a["Met Standard"] == "Yes").mean()
    m["d_black"] = _cohens_d(score[a_black], score[~a_black & a_known])
    m["d_hispanic"] = _cohens_d(score[a_hisp], score[~a_hisp & a_known])
    m["d_low_income"] = _cohens_d(score[a["low_income"]], score[~a["low_income"]])
    m["proficient_black"] = 100 * (a.loc[a_black, "Met Standard"] == "Yes").mean()
    m["proficient_white"] = 100 * (a.loc[a["Race/Ethnicity"] == WHITE, "Met Standard"] == "Yes").mean()

    # Special education: identification over all enrolled students; placement over students with IEPs.
    s = raw.sped
    r["ed"] = raw.roster_with(s[s["PRIMARY_DISABILITY"] == "ED"], "STUDENT_ID", "SCHOOL_YR", _same)["hit"].to_numpy()
    r["id"] = raw.roster_with(s[s["PRIMARY_DISABILITY"] == "ID"], "STUDENT_ID", "SCHOOL_YR", _same)["hit"].to_numpy()
    m["ed_rr_black"] = _risk_ratio(r, "ed", black)
    m["id_rr_black"] = _risk_ratio(r, "id", black)
    placed = s.merge(
        r[["Student ID", "School Year", "Race/Ethnicity"]],
        left_on=["STUDENT_ID", "SCHOOL_YR"],
        right_on=["Student ID", "School Year"],
    )
    placed = placed.assign(rc39=placed["LRE"] == "RC39")
    m["rc39_black"] = 100 * placed.loc[placed["Race/Ethnicity"] == BLACK, "rc39"].mean()
    m["rc39_others"] = 100 * placed.loc[~placed["Race/Ethnicity"].isin([BLACK, UNKNOWN]), "rc39"].mean()
    m["rc39_rr_black"] = _risk_ratio(placed, "rc39", placed["Race/Ethnicity"] == BLACK)

    # Gifted screening referrals in grades 1-5: English learners against other students.
    i = raw.interventions
    r["gt"] = raw.roster_with(i[i["Intervention"] == "GT screening"], "Student ID", "Year", _same)["hit"].to_numpy()
    elementary = r[r["Grade"].isin(["01", "02", "03", "04", "05"])]
    m["gt_screen_el"] = 100 * elementary.loc[elementary["el"], "gt"].mean()
    m["gt_screen_not_el"] = 100 * elementary.loc[~elementary["el"], "gt"].mean()
    m["gt_screen_ratio_el"] = m["gt_screen_el"] / m["gt_screen_not_el"]

    # Staff: teachers of color, turnover, and the four-fifths rule for hiring (three years pooled).
    st = raw.staff
    teachers = st[(st["Position"] == "Teacher") & (st["Race"] != "")]
    m["teachers_per_year"] = (st["Position"] == "Teacher").sum() / len(YEARS)
    m["staff_per_year"] = len(st) / len(YEARS)
    m["teachers_of_color"] = 100 * (teachers["Race"] != "WH").mean()
    left = teachers["Separation Date"] != ""
    m["turnover_black"] = 100 * left[teachers["Race"] == "BL"].mean()
    m["turnover_others"] = 100 * left[teachers["Race"] != "BL"].mean()
    m["turnover_ratio_black"] = m["turnover_black"] / m["turnover_others"]
    ap_ = raw.applicants
    m["applicants_per_year"] = len(ap_) / len(YEARS)
    rate = (ap_["Furthest Stage"] == "Hired").groupby(ap_["Race"]).mean()
    m["hire_rate_white"] = 100 * rate["WH"]
    m["four_fifths_black"] = rate["BL"] / rate["WH"]
    m["four_fifths_hispanic"] = rate["HI"] / rate["WH"]

    # Climate survey: students' percent favorable on the Fair discipline items.
    sv = raw.survey
    fair = [column for column in sv.columns if column.split(" ")[0] in ("Q10", "Q11", "Q12")]
    students = sv[sv["Respondent Type"] == "Student"]
    m["fair_white"] = _favorable(students.loc[students["Race/Ethnicity"] == "White", fair])
    m["fair_black"] = _favorable(students.loc[students["Race/Ethnicity"] == "Black or African American", fair])
    m["fair_gap_black"] = m["fair_white"] - m["fair_black"]
    m["respondents_per_year"] = len(sv) / len(YEARS)
    return m


# (key, label, format, lowest, highest): the bands each measured value must fall in.
DISPARITIES: tuple[tuple[str, str, str, float, float], ...] = (
    ("oss_rr_black_2022-23", "OSS risk ratio, Black vs all other students, 2022-23", "{:.2f}", 2.6, 3.4),
    ("oss_rr_black_2023-24", "OSS risk ratio, Black vs all other students, 2023-24", "{:.2f}", 2.6, 3.4),
    ("oss_rr_black_2024-25", "OSS risk ratio, Black vs all other students, 2024-25", "{:.2f}", 2.6, 3.4),
    ("oss_rr_black_subjective", "OSS risk ratio for subjective offenses, Black vs all others", "{:.2f}", 3.2, 5.0),
    ("oss_rr_black_objective", "OSS risk ratio for objective offenses, Black vs all others", "{:.2f}", 1.5, 2.6),
    ("oss_rr_hispanic", "OSS risk ratio, Hispanic vs all other students", "{:.2f}", 0.7, 1.2),
    ("iss_rr_boys_iep", "ISS risk ratio, boys with IEPs vs all other students", "{:.2f}", 2.5, 5.0),
    ("exp_min_black", "Black students expelled, fewest in any year", "{:.0f}", 11, 40),
    ("exp_min_hispanic", "Hispanic students expelled, fewest in any year", "{:.0f}", 11, 40),
    ("exp_max_pacific", "Pacific Islander students expelled, most in any year", "{:.0f}", 0, 9),
    ("le_min_black", "Black students referred to law enforcement, fewest in any year", "{:.0f}", 11, 80),
    ("le_min_hispanic", "Hispanic students referred to law enforcement, fewest in any year", "{:.0f}", 11, 80),
    ("le_max_pacific", "Pacific Islander students referred to law enforcement, most in any year", "{:.0f}", 0, 9),
    ("ap_ri_hispanic", "AP representation index, Hispanic students (grades 9-12)", "{:.2f}", 0.55, 0.70),
    ("ap_ri_black", "AP representation index, Black students (grades 9-12)", "{:.2f}", 0.50, 0.72),
    ("ap_ri_white", "AP representation index, White students (grades 9-12)", "{:.2f}", 1.2, 1.6),
    ("ap_pass_white", "AP exams passed (score 3+), White students, %", "{:.1f}", 55, 80),
    ("ap_pass_black", "AP exams passed (score 3+), Black students, %", "{:.1f}", 25, 50),
    ("ap_pass_hispanic", "AP exams passed (score 3+), Hispanic students, %", "{:.1f}", 30, 55),
    ("d_black", "Scale score gap, Black vs all other students (Cohen's d)", "{:.2f}", 0.40, 0.60),
    ("d_hispanic", "Scale score gap, Hispanic vs all other students (Cohen's d)", "{:.2f}", 0.30, 0.50),
    ("d_low_income", "Scale score gap, low income vs not (Cohen's d)", "{:.2f}", 0.40, 0.75),
    ("ed_rr_black", "Emotional disturbance identification risk ratio, Black vs all others", "{:.2f}", 2.5, 3.5),
    ("id_rr_black", "Intellectual disability identification risk ratio, Black vs all others", "{:.2f}", 1.8, 3.0),
    ("rc39_rr_black", "Regular class < 40% of the day (students with IEPs), Black vs all others", "{:.2f}", 1.4, 2.2),
    ("gifted_rr_black", "Identified gifted, Black vs all other students (risk ratio)", "{:.2f}", 0.15, 0.45),
    ("gifted_rr_hispanic", "Identified gifted, Hispanic vs all other students (risk ratio)", "{:.2f}", 0.2, 0.55),
    ("gifted_rr_el", "Identified gifted, English learners vs others (risk ratio)", "{:.2f}", 0.05, 0.35),
    (
        "gt_screen_ratio_el",
        "Gifted screening referral rate, grades 1-5, English learners vs others",
        "{:.2f}",
        0.2,
        0.5,
    ),
    ("chronic_low_income", "Chronically absent, low-income students, %", "{:.1f}", 17, 26),
    ("chronic_not_low_income", "Chronically absent, other students, %", "{:.1f}", 7, 13),
    ("teachers_of_color", "Teachers of color, %", "{:.1f}", 17, 25),
    ("students_of_color", "Students of color, %", "{:.1f}", 58, 65),
    ("turnover_ratio_black", "Teacher turnover, Black teachers vs all other teachers (ratio)", "{:.2f}", 1.5, 2.6),
    ("four_fifths_black", "Hiring rate ratio, Black vs White applicants (four-fifths rule)", "{:.2f}", 0.65, 0.75),
    ("four_fifths_hispanic", "Hiring rate ratio, Hispanic vs White applicants", "{:.2f}", 0.78, 0.92),
    ("fair_gap_black", "Fair discipline % favorable, White minus Black students (points)", "{:.1f}", 16, 24),
)

# Headline sizes and shares, with the bands the district is designed to fall in.
SHARES: tuple[tuple[str, str, str, float, float], ...] = (
    ("students_per_year", "Students per year", "{:,.0f}", 14_000, 16_500),
    ("share_hispanic", "Hispanic/Latino, %", "{:.1f}", 27, 33),
    ("share_black", "Black/African American, %", "{:.1f}", 17.5, 22.5),
    ("share_white", "White, %", "{:.1f}", 35, 41),
    ("iep", "Students with an IEP, %", "{:.1f}", 12, 16),
    ("iep_black_boys", "Black boys with an IEP, %", "{:.1f}", 18, 30),
    ("s504", "Section 504 plan, %", "{:.1f}", 2, 4),
    ("el", "English learners, %", "{:.1f}", 10, 14),
    ("low_income", "Low income (FRL 1 or 2), %", "{:.1f}", 41, 49),
    ("gifted", "Identified gifted, %", "{:.1f}", 5.5, 8.5),
    ("chronic", "Chronically absent (10%+ of enrolled days), %", "{:.1f}", 12, 18),
    ("oss_risk", "Students with at least one OSS, %", "{:.1f}", 3, 8),
    ("ap_students_pct", "Grade 9-12 students in at least one AP course, %", "{:.1f}", 12, 30),
    ("score_mean", "Mean scale score", "{:.0f}", 2480, 2520),
    ("score_sd", "Scale score SD", "{:.0f}", 80, 100),
    ("proficient", "Met standard, %", "{:.1f}", 38, 55),
    ("staff_per_year", "Staff per year", "{:,.0f}", 900, 1100),
    ("teachers_per_year", "Teachers per year", "{:,.0f}", 720, 880),
    ("applicants_per_year", "Applicants per year", "{:,.0f}", 2300, 2700),
    ("hire_rate_white", "White applicants hired, %", "{:.1f}", 3, 10),
    ("respondents_per_year", "Survey respondents per year", "{:,.0f}", 4000, 7000),
)


def markdown_table(values: dict[str, float], rows: tuple[tuple[str, str, str, float, float], ...]) -> str:
    lines = ["| measure | measured | designed band |", "| --- | ---: | --- |"]
    for key, label, fmt, low, high in rows:
        lines.append(f"| {label} | {fmt.format(values[key])} | {fmt.format(low)} to {fmt.format(high)} |")
    return "\n".join(lines)


def files_table(raw: Raw) -> str:
    """One line per source table: file, sheet, canonical kind, rows and raw columns."""
    lines = ["| file | sheet | kind | rows | columns |", "| --- | --- | --- | ---: | --- |"]
    for sample_file in SAMPLE_FILES:
        frame = raw.table(sample_file.path, sample_file.sheet)
        unpivot = sample_file.mapping.unpivot
        columns = [c for c in frame.columns if not unpivot or c not in unpivot.columns]
        shown = ", ".join(f"`{c}`" for c in columns)
        if unpivot:
            shown += f", then {len(unpivot.columns)} item columns (`{unpivot.columns[0]}` ... `{unpivot.columns[-1]}`)"
        lines.append(
            f"| `{sample_file.path}` | {sample_file.sheet or ''} | {sample_file.mapping.kind} "
            f"| {len(frame):,} | {shown} |"
        )
    return "\n".join(lines)


def readme_block(values: dict[str, float], raw: Raw) -> str:
    """The text between the README's disparities markers."""
    return (
        "### Files\n\n"
        + files_table(raw)
        + "\n\n### Built-in disparities\n\n"
        + markdown_table(values, DISPARITIES)
        + "\n\n### District at a glance\n\n"
        + markdown_table(values, SHARES)
        + "\n"
    )


# ----------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("sample")
    return out, generate_sample(out)


@pytest.fixture(scope="module")
def raw(generated: tuple[Path, list[Path]]) -> Raw:
    return Raw(generated[0])


@pytest.fixture(scope="module")
def measured(raw: Raw) -> dict[str, float]:
    return measure(raw)


# ----------------------------------------------------------------------------------------------------------
# Files, determinism, mappings


def test_writes_every_sample_file(generated: tuple[Path, list[Path]]) -> None:
    out, paths = generated
    assert sorted(p.name for p in paths) == sorted({f.path for f in SAMPLE_FILES})
    assert all(p.parent == out and p.is_file() for p in paths)


def test_same_bytes_every_run(generated: tuple[Path, list[Path]], tmp_path: Path) -> None:
    out, paths = generated
    again = generate_sample(tmp_path / "again")
    assert [p.name for p in again] == [p.name for p in paths]
    for first, second in zip(paths, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_another_seed_gives_other_data(generated: tuple[Path, list[Path]]) -> None:
    from equity_metrics.sample import district as sample

    students, _ = sample._simulate_students(sample._rng(SAMPLE_SEED + 1, 1))
    roster = read_raw(generated[0], _file("enrollment_roster.xlsx", YEARS[1]))
    assert not set(roster["Student ID"]) <= set(students["student_id"])


def test_committed_sample_data_is_current(generated: tuple[Path, list[Path]]) -> None:
    """sample_data/ holds exactly what the generator writes with the default seed."""
    for path in generated[1]:
        committed = COMMITTED / path.name
        assert committed.is_file(), f"sample_data/{path.name} is missing: run python -m equity_metrics sample"
        assert committed.read_bytes() == path.read_bytes(), f"sample_data/{path.name} is stale: regenerate it"


def test_sizes(generated: tuple[Path, list[Path]], raw: Raw) -> None:
    total = sum(p.stat().st_size for p in generated[1])
    assert 1_000_000 < total < 6_000_000
    per_year = raw.roster.groupby("School Year").size()
    assert per_year.between(14_000, 16_500).all()
    assert raw.roster["Student ID"].nunique() > 18_000  # newcomers each year
    assert len(raw.schools) == 10
    assert raw.discipline["School Year"].value_counts().between(2_000, 8_000).all()
    staff_years = raw.staff["Fiscal Year"].value_counts()
    assert staff_years.between(900, 1_100).all()
    assert raw.applicants["Posting Year"].value_counts().between(2_300, 2_700).all()


@pytest.mark.parametrize("sample_file", SAMPLE_FILES, ids=lambda f: f"{f.path}:{f.sheet}")
def test_mapping_fits_the_file(raw: Raw, sample_file: SampleFile) -> None:
    columns = list(raw.table(sample_file.path, sample_file.sheet).columns)  # header read at mapping.header_row
    assert not any(c.startswith("__UNNAMED") for c in columns)
    sample_file.mapping.validate(columns, f"{sample_file.path} {sample_file.sheet or ''}")
    mapped = set(sample_file.mapping.columns.values())
    if sample_file.mapping.unpivot:
        mapped |= set(sample_file.mapping.unpivot.columns)
    assert mapped <= set(columns)
    assert Mapping.from_json(sample_file.mapping.to_json()) == sample_file.mapping


def test_every_student_level_kind_is_covered() -> None:
    # aggregated counts (report cards, the CRDC file) would repeat the sample's own students: tests/ingest/test_crdc.py;
    # graduation files are published aggregates too (tests/ingest/test_graduation_import.py); course marks are
    # covered by a real SIS export instead (the Contoso marks, tests/ingest/test_marks_import.py), and a school survey
    # summary by the NYC file (tests/ingest/test_survey_summary.py), and shares of enrollment and of the disciplined
    # by the Georgia file (tests/ingest/test_representation_import.py)
    assert {f.mapping.kind for f in SAMPLE_FILES} == set(KINDS) - {"counts", "graduation", "staff_fte", "marks",
                                                                   "survey_summary", "representation"}


def test_workbooks_open_in_openpyxl(generated: tuple[Path, list[Path]]) -> None:
    """The hand-written workbooks read the same in openpyxl as in fastexcel, blanks included."""
    import openpyxl

    book = openpyxl.load_workbook(generated[0] / "hr_export.xlsx", read_only=True)
    assert book.sheetnames == ["Staff", "Applicants", "Schools"]
    assert book.properties.created == book.properties.modified == datetime(2025, 7, 1)
    rows = list(book["Schools"].values)
    assert rows[0] == ("School Code", "School Name", "Level") and rows[1][0] == "0101"
    staff = list(book["Staff"].values)
    expected = read_raw(generated[0], _file("hr_export.xlsx", "Staff"))  # fastexcel
    assert len(staff) == len(expected) + 1
    as_text = [["" if v is None else str(v) for v in row] for row in staff[1:]]
    assert as_text == expected.to_numpy().tolist()  # blank cells did not shift the cells after them
    roster = openpyxl.load_workbook(generated[0] / "enrollment_roster.xlsx", read_only=True)
    first = list(roster["2022-23"].iter_rows(max_row=3, values_only=True))
    assert first[0][0].startswith("Student enrollment roster")
    assert first[1][0] == "Student ID"
    assert isinstance(first[2][0], str) and len(first[2][0]) == 7
    assert isinstance(first[2][11], int)  # days are numbers, IDs and codes text


# ----------------------------------------------------------------------------------------------------------
# Values: codes, IDs, dates, consistency

# Fields whose raw values a different code list reads (the schema's flag list has no FRL code "2").
CODE_LIST_FOR = {("enrollment", "low_income"): "low_income"}


@pytest.mark.parametrize("sample_file", SAMPLE_FILES, ids=lambda f: f"{f.path}:{f.sheet}")
def test_coded_values_are_recognised(raw: Raw, sample_file: SampleFile) -> None:
    frame = raw.table(sample_file.path, sample_file.sheet)
    mapping = sample_file.mapping
    kind = KINDS[mapping.kind]
    for field_name, column in mapping.columns.items():
        values = set(frame[column].unique())
        if field_name == "school_year":
            assert {codes.normalise_school_year(v) for v in values} <= set(YEARS), column
            continue
        code_list = CODE_LIST_FOR.get((mapping.kind, field_name), kind.field(field_name).codes)
        if code_list is None:
            continue
        blank_ok = field_name in ("grade", "exam_taken", "race", "sex") and mapping.kind in (
            "survey",
            "courses",
            "staff",
            "applicants",
        )
        unknown = {v for v in values if codes.lookup(code_list, v) is None and not (v == "" and blank_ok)}
        assert not unknown, f"{sample_file.path} {column}: {sorted(unknown)[:10]} not in code list {code_list}"
    for field_name, value in mapping.constants.items():
        assert codes.normalise_school_year(value) in YEARS if field_name == "school_year" else True
    if mapping.unpivot:
        answers = frame[list(mapping.unpivot.columns)].stack()
        assert set(answers.unique()) <= {"", "1", "2", "3", "4", "5"}


def test_race_and_flags_map_to_every_group(raw: Raw) -> None:
    from equity_metrics.core.constants import RACE_LABELS

    labels = {codes.lookup("race", v) for v in raw.roster["Race/Ethnicity"].unique()}
    assert labels == set(RACE_LABELS) | {"Unknown"}
    assert {codes.lookup("sex", v) for v in raw.roster["Gender"].unique()} == {"Female", "Male", "Nonbinary"}
    assert {codes.lookup("low_income", v) for v in raw.roster["FRL Status"].unique()} == {True, False}
    grades = {codes.lookup("grade", v) for v in raw.roster["Grade"].unique()}
    assert grades == {"PK", "K"} | {str(g) for g in range(1, 13)}


def test_ids_keep_leading_zeros(raw: Raw) -> None:
    ids = raw.roster["Student ID"]
    assert ids.str.fullmatch(r"\d{7}").all()
    assert ids.str.startswith("00").any() and ids.str.startswith("0").all()
    assert raw.roster["School Code"].str.fullmatch(r"0\d{3}").all()
    for frame, column in (
        (raw.discipline, "Student ID"),
        (raw.courses, "StudentNumber"),
        (raw.assessments, "Local Student ID"),
        (raw.sped, "STUDENT_ID"),
        (raw.interventions, "Student ID"),
    ):
        assert frame[column].str.fullmatch(r"\d{7}").all(), column
        assert frame[column].isin(ids).all(), column
    assert raw.staff["Employee ID"].str.fullmatch(r"\d{6}").all()
    assert raw.staff["Employee ID"].str.startswith("00").any()
    assert raw.staff["Location Code"].isin(raw.schools["School Code"]).all()
    assert set(raw.roster["School Code"]) == set(raw.schools["School Code"])


def _all_on_roster(raw: Raw, frame: pd.DataFrame, columns: tuple[str, str, str]) -> bool:
    """Whether every (student, school year, school) of `frame` is a roster row."""
    student, year, school = columns
    keys = pd.DataFrame(
        {
            "Student ID": frame[student],
            "School Year": frame[year].map(codes.normalise_school_year),
            "School Code": frame[school],
        }
    ).drop_duplicates()
    found = keys.merge(raw.roster[["Student ID", "School Year", "School Code"]], how="left", indicator=True)
    return bool((found["_merge"] == "both").all())


def test_students_belong_to_their_year(raw: Raw) -> None:
    """Every student in another file that year is on that year's roster, at the same school."""
    assert _all_on_roster(raw, raw.discipline, ("Student ID", "School Year", "School Code"))
    assert _all_on_roster(raw, raw.assessments, ("Local Student ID", "Administration Year", "School Number"))
    assert _all_on_roster(raw, raw.courses, ("StudentNumber", "SchoolYear", "SchoolID"))


def test_special_education_matches_roster_iep(raw: Raw) -> None:
    iep = raw.roster[raw.roster["IEP"] == "Y"]
    assert set(zip(iep["Student ID"], iep["School Year"], strict=True)) == set(
        zip(raw.sped["STUDENT_ID"], raw.sped["SCHOOL_YR"], strict=True)
    )
    assert not raw.sped.duplicated(["STUDENT_ID", "SCHOOL_YR"]).any()
    # Developmental delay only for young children.
    young = raw.roster[raw.roster["Grade"].isin(["PK", "KG", "01", "02"])]
    dd = raw.sped[raw.sped["PRIMARY_DISABILITY"] == "DD"]
    assert set(zip(dd["STUDENT_ID"], dd["SCHOOL_YR"], strict=True)) <= set(
        zip(young["Student ID"], young["School Year"], strict=True)
    )


def test_roster_is_plausible(raw: Raw) -> None:
    r = raw.roster
    assert not r.duplicated(["Student ID", "School Year"]).any()
    enrolled, absent = r["Days Enrolled"].astype(int), r["Days Absent"].astype(int)
    assert enrolled.between(1, 180).all() and (absent <= enrolled).all() and (absent >= 0).all()
    assert ((r["IEP"] == "Y") & (r["504"] == "Y")).sum() == 0
    # A stable cohort: most students in one year are enrolled, a grade higher, the next.
    first = r[(r["School Year"] == YEARS[0]) & (r["Grade"] == "05")]
    second = r[r["School Year"] == YEARS[1]].set_index("Student ID")
    stayed = first["Student ID"][first["Student ID"].isin(second.index)]
    assert len(stayed) / len(first) > 0.85
    assert (second.loc[stayed, "Grade"] == "06").all()
    levels = dict(zip(raw.schools["School Code"], raw.schools["Level"], strict=True))
    assert set(r.loc[r["Grade"].isin(["09", "10", "11", "12"]), "School Code"].map(levels)) == {"High"}
    assert set(r.loc[r["Grade"] == "PK", "School Code"]) == {"0101", "0103", "0104"}


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("discipline", "Incident Date"),
        ("interventions", "Referral Date"),
        ("staff", "Hire Date"),
        ("staff", "Separation Date"),
    ],
)
def test_dates_are_us_text(raw: Raw, table: str, column: str) -> None:
    values = getattr(raw, table)[column]
    values = values[values != ""]
    parsed = pd.to_datetime(values, format="%m/%d/%Y")
    assert len(parsed) > 50
    if table in ("discipline", "interventions"):
        year_column = "School Year" if table == "discipline" else "Year"
        start = getattr(raw, table).loc[values.index, year_column].str[:4].astype(int)
        assert ((parsed.dt.year == start) | (parsed.dt.year == start + 1)).all()
        assert (parsed.dt.day_of_week < 5).all()


def test_discipline_rows_are_actions(raw: Raw) -> None:
    d = raw.discipline
    assert d["Action"].isin(["ISS", "OSS", "EXP", "Referral to law enforcement", "Arrest", "Detention"]).all()
    # A referral or arrest shares its incident (same student, date and offense) with a removal or detention.
    assert not d.duplicated(["Incident ID", "Action"]).any()
    by_incident = d.groupby("Incident ID")
    assert (by_incident["Student ID"].nunique() == 1).all()
    first_action = by_incident["Action"].first()
    assert not first_action.isin(["Referral to law enforcement", "Arrest"]).any()
    removal = d["Action"].isin(["ISS", "OSS", "EXP"])
    assert (d.loc[removal, "Days Removed"] != "").all() and (d.loc[~removal, "Days Removed"] == "").all()
    subjective = d.loc[d["Offense Type"] == "Subjective", "Offense"].unique()
    assert set(subjective) <= {"Defiance", "Disrespect", "Disruption", "Insubordination"}


def test_courses_follow_the_rules(raw: Raw) -> None:
    c = raw.courses.merge(
        raw.roster[["Student ID", "School Year", "Grade"]],
        left_on=["StudentNumber", raw.courses["SchoolYear"].map(codes.normalise_school_year)],
        right_on=["Student ID", "School Year"],
    )
    assert set(c.loc[c["CourseType"] != "Algebra 1", "Grade"]) <= {"09", "10", "11", "12"}
    assert set(c.loc[c["CourseType"] == "Algebra 1", "Grade"]) == {"08", "09"}
    ap = c["CourseType"] == "AP"
    assert c.loc[ap, "APExamTaken"].isin(["Y", "N"]).all() and (c.loc[~ap, "APExamTaken"] == "").all()
    assert (c.loc[c["APExamTaken"] == "Y", "APScore"].isin(list("12345"))).all()
    assert (c.loc[c["APExamTaken"] != "Y", "APScore"] == "").all()
    assert not raw.courses.duplicated(["SchoolYear", "StudentNumber", "CourseCode"]).any()
    # Nobody takes Algebra I twice.
    algebra = raw.courses[raw.courses["CourseType"] == "Algebra 1"]
    assert not algebra["StudentNumber"].duplicated().any()


def test_assessment_levels_match_scores(raw: Raw) -> None:
    a = raw.assessments
    level = a["Performance Level"].str[-1].astype(int)
    assert ((level >= 3) == (a["Met Standard"] == "Yes")).all()
    score = a["Scale Score"].astype(int)
    assert score.groupby(level).max().is_monotonic_increasing
    assert set(a["Tested Grade"]) == {"3", "4", "5", "6", "7", "8", "10"}


def test_hiring_matches_new_staff(raw: Raw) -> None:
    hired = raw.applicants[raw.applicants["Furthest Stage"] == "Hired"].groupby("Posting Year").size()
    staff = raw.staff.assign(year=raw.staff["Fiscal Year"].map(codes.normalise_school_year))
    hire_year = pd.to_datetime(staff["Hire Date"], format="%m/%d/%Y").dt.year
    new = staff[hire_year == staff["year"].str[:4].astype(int)].groupby("year").size()
    assert (hired == new.reindex(hired.index)).all()
    stages = raw.applicants["Furthest Stage"].value_counts()
    assert stages["Applied"] > stages["Interviewed"] > stages["Offered"]


def test_survey_shape(raw: Raw) -> None:
    sv = raw.survey
    assert sv["ResponseID"].is_unique
    assert set(sv["Respondent Type"]) == {"Student", "Family", "Staff"}
    assert (sv.loc[sv["Respondent Type"] != "Student", "Grade"] == "").all()
    items = _file("climate_survey_responses.csv").mapping.unpivot
    assert len(items.columns) == 12 and len(set(items.categories.values())) == 4
    assert sorted(items.names.values(), key=lambda q: int(q[1:])) == [f"Q{i}" for i in range(1, 13)]


# ----------------------------------------------------------------------------------------------------------
# Built-in disparities


@pytest.mark.parametrize(("key", "label", "fmt", "low", "high"), DISPARITIES + SHARES, ids=lambda v: str(v))
def test_measured_value_in_band(
    measured: dict[str, float], key: str, label: str, fmt: str, low: float, high: float
) -> None:
    value = measured[key]
    assert low <= value <= high, f"{label}: {fmt.format(value)} outside {low} to {high}"


def test_disparities_point_the_designed_way(measured: dict[str, float]) -> None:
    assert measured["oss_rr_black_subjective"] > measured["oss_rr_black_objective"] + 1
    assert measured["rc39_black"] > measured["rc39_others"]
    assert measured["proficient_white"] - measured["proficient_black"] > 15
    assert measured["chronic_low_income"] > measured["chronic_not_low_income"]
    assert measured["turnover_black"] > measured["turnover_others"]
    assert measured["teachers_of_color"] < measured["students_of_color"] - 30


def test_readme_reports_measured_values(raw: Raw, measured: dict[str, float]) -> None:
    readme = (COMMITTED / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- disparities:start -->\n", "<!-- disparities:end -->"
    assert start in readme and end in readme
    block = readme.split(start, 1)[1].split(end, 1)[0]
    assert block.strip() == readme_block(measured, raw).strip(), "README is stale: run python -m tests.test_sample"


if __name__ == "__main__":  # print the README block for a directory of sample files
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else COMMITTED
    raw_files = Raw(directory)
    values = measure(raw_files)
    if "--all" in sys.argv:
        for name, number in values.items():
            print(f"{name:32s} {number:10.3f}" if isinstance(number, float | np.floating) else f"{name:32s} {number}")
    else:
        print(readme_block(values, raw_files))
