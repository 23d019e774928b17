"""Write the whole synthetic district: every file of `SAMPLE_FILES`, from one seed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from equity_metrics.sample.district import SAMPLE_SEED, SCHOOLS, _enrollment_years, _rng, _roster_sheets, _simulate_students
from equity_metrics.sample.listening import LISTENING_FILE, listening_sessions
from equity_metrics.sample.outcomes import assessments, courses, discipline, interventions, special_education
from equity_metrics.sample.people import staff_and_applicants, survey
from equity_metrics.sample.xlsx_writer import write_csv, write_xlsx


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
    staff, applicants = staff_and_applicants(_rng(seed, 7), enr)
    written: list[Path] = []

    def csv(name: str, frame: pd.DataFrame) -> None:
        write_csv(out_dir / name, frame)
        written.append(out_dir / name)

    def xlsx(name: str, sheets: list[tuple[str, pd.DataFrame, str | None]], title: str) -> None:
        write_xlsx(out_dir / name, sheets, title)
        written.append(out_dir / name)

    xlsx("enrollment_roster.xlsx", _roster_sheets(enr), "Enrollment roster")
    csv("discipline_incidents.csv", discipline(_rng(seed, 3), enr))
    csv("advanced_courses.csv", courses(_rng(seed, 4), enr))
    xlsx(
        "state_assessment_results.xlsx",
        [("Student Results", assessments(_rng(seed, 5), enr), None)],
        "State assessment results",
    )
    csv("special_education.csv", special_education(enr))
    csv("interventions.csv", interventions(_rng(seed, 6), enr))
    xlsx(
        "hr_export.xlsx",
        [("Staff", staff, None), ("Applicants", applicants, None), ("Schools", _schools_frame(), None)],
        "HR export",
    )
    csv("climate_survey_responses.csv", survey(_rng(seed, 8), enr, staff))
    csv(LISTENING_FILE, listening_sessions(_rng(seed, 9)))  # coded excerpts: invented, to show the tool
    return written
