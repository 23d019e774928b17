"""The indicator catalog: every measure the audit computes, declared once.

An indicator names its source (an analysis table from `facts.py`), its population (the denominator, a SQL
predicate over that table), its event (a boolean, for rates) or value (a number, for means), its domain and
whether a higher value is worse for the group. The SQL fragments here are the project's own constants;
user input never becomes part of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from equity_metrics.core.codes import DISABILITY_CATEGORIES


@dataclass(frozen=True)
class Indicator:
    """One measure: a rate (event among a population) or a mean (of a value among a population)."""

    id: str
    label: str
    domain: str
    kind: Literal["rate", "mean"]
    source: str
    value: str  # SQL: boolean event (rate) or numeric value (mean), over the source table
    event: str  # words completing "... as likely as all other students to ..." / "... mean ..."
    population: str = "TRUE"  # SQL predicate selecting the denominator
    population_label: str = "students"
    higher_is_worse: bool = True
    scale: float = 1.0  # means are multiplied by this for display (days lost per 100 students)
    unit: str = ""  # unit of a mean ("points", "days")
    description: str = ""
    requires: str = ""  # canonical kind that must hold rows for a year (default: the source's own kind)
    count_measure: str = ""  # the aggregated-counts measure (codes.COUNT_MEASURES) counting the same event


def _discipline(id_: str, label: str, value: str, event: str, description: str, count_measure: str = "") -> Indicator:
    return Indicator(id_, label, "Discipline", "rate", "student_year", value, event, description=description,
                     requires="discipline", count_measure=count_measure)


def _course(id_: str, label: str, value: str, event: str, population: str, population_label: str,
            requires: str = "courses", count_measure: str = "") -> Indicator:
    return Indicator(id_, label, "Course access", "rate", "student_year", value, event, population,
                     population_label, higher_is_worse=False, requires=requires, count_measure=count_measure)


def _idea_removal(id_: str, label: str, value: str, event: str) -> Indicator:
    """One of IDEA's discipline categories for children with disabilities (34 CFR 300.647(b)(4)(ii))."""
    return Indicator(id_, label, "Special education", "rate", "student_year", value, event, "has_iep",
                     "students with disabilities", requires="discipline",
                     description="IDEA significant disproportionality, 34 CFR 300.647(b)(4)(ii).")


_IDEA_REMOVAL_INDICATORS = (
    ("idea_oss_expulsion_10_or_fewer", "IDEA: out-of-school suspension or expulsion, 10 days or fewer",
     "idea_oss_expulsion_10_or_fewer", "be suspended out of school or expelled for 10 days or fewer in the year"),
    ("idea_oss_expulsion_over_10", "IDEA: out-of-school suspension or expulsion, more than 10 days",
     "idea_oss_expulsion_over_10", "be suspended out of school or expelled for more than 10 days in the year"),
    ("idea_iss_10_or_fewer", "IDEA: in-school suspension, 10 days or fewer", "idea_iss_10_or_fewer",
     "be suspended in school for 10 days or fewer in the year"),
    ("idea_iss_over_10", "IDEA: in-school suspension, more than 10 days", "idea_iss_over_10",
     "be suspended in school for more than 10 days in the year"),
    ("idea_total_removals", "IDEA: disciplinary removals in total", "exclusionary",
     "be removed from instruction for discipline (suspended, expelled or placed elsewhere)"),
)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_HIGH_SCHOOL = "grade_band = 'High (9-12)'"
# IDEA educational environments count children aged 6-21 (five-year-olds in kindergarten included); with no birth
# date in the data, grades K-12 stand in for those ages (a stated proxy: docs/methods.md).
_PLACEMENT_POPULATION = ("has_iep AND placement IS NOT NULL AND grade IN "
                         "('K', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12')")

_CATALOG: list[Indicator] = [
    _discipline("iss", "In-school suspension", "iss", "receive an in-school suspension",
                "Students with at least one in-school suspension, of all enrolled students.", "iss"),
    _discipline("oss", "Out-of-school suspension", "oss", "receive an out-of-school suspension",
                "Students with at least one out-of-school suspension, of all enrolled students.", "oss"),
    _discipline("expulsion", "Expulsion", "expulsion", "be expelled",
                "Students expelled at least once, of all enrolled students.", "expulsion"),
    _discipline("law_enforcement_referral", "Law-enforcement referral", "law_enforcement_referral",
                "be referred to law enforcement", "Students referred to law enforcement, of all enrolled students.",
                "law_enforcement_referral"),
    _discipline("school_arrest", "School-related arrest", "school_arrest", "be arrested at school",
                "Students with a school-related arrest, of all enrolled students.", "school_arrest"),
    _discipline("exclusionary_removal", "Any exclusionary removal", "exclusionary",
                "be removed from instruction (suspended, expelled or moved to an alternative setting)",
                "Students with at least one in- or out-of-school suspension, expulsion or alternative placement."),
    _discipline("subjective_removal", "Removal for a subjective offense", "subjective_removal",
                "be removed for a subjective offense (defiance, disrespect, disruption)",
                "Exclusionary removals for offenses that rest on an adult's judgement."),
    _discipline("objective_removal", "Removal for an objective offense", "objective_removal",
                "be removed for an objective offense (weapons, drugs, fighting)",
                "Exclusionary removals for offenses that can be observed and verified."),
    Indicator("days_lost_per_100", "Days of instruction lost per 100 students", "Discipline", "mean",
              "student_year", "days_removed", "days of instruction lost to removals, per 100 students",
              scale=100.0, unit="days", requires="discipline",
              description="Days removed by suspensions, expulsions and alternative placements, per 100 students."),
    _course("ap_enrollment", "AP course enrollment", "ap", "be enrolled in an AP course", _HIGH_SCHOOL,
            "students in grades 9-12", count_measure="ap"),
    _course("ib_enrollment", "IB course enrollment", "ib", "be enrolled in an IB course", _HIGH_SCHOOL,
            "students in grades 9-12", count_measure="ib"),
    _course("honors_enrollment", "Honors course enrollment", "honors", "be enrolled in an honors course",
            _HIGH_SCHOOL, "students in grades 9-12"),
    _course("dual_credit", "Dual credit enrollment", "dual_credit", "be enrolled in a dual-credit course",
            _HIGH_SCHOOL, "students in grades 9-12", count_measure="dual_credit"),
    _course("gifted_identification", "Gifted identification", "gifted", "be identified as gifted",
            "gifted IS NOT NULL AND gifted_eligible", "students with a gifted flag in grades where the district "
            "identifies anyone", requires="enrollment", count_measure="gifted"),
    _course("algebra_1_grade_8", "Algebra I in grade 8", "algebra_1", "take Algebra I in grade 8",
            "grade = '8'", "students in grade 8"),
    _course("ap_exam_taken", "AP exam taken", "ap_exam_taken", "take an AP exam", "ap", "AP students"),
    _course("ap_exam_pass", "AP exam passed (3 or higher)", "ap_exam_passed", "pass an AP exam (3 or higher)",
            "ap_exam_taken", "AP exam takers"),
    # Of all enrolled students (in a year with a marks file), not of the students with marks: those would be a
    # population protected apart from the enrolled students, and the privacy attacker narrowed its small hidden
    # counts against the enrolled students' shown counts (marked <= enrolled in every cell).
    Indicator("course_failure", "Failing a course", "Course access", "rate", "student_year", "failed_course",
              "fail a course (at least one F)", requires="marks",
              description="Students with at least one failing mark (F) in a course section that year, of the "
                          "enrolled students, in a year with a course marks file."),
    Indicator("math_proficiency", "Math proficiency", "Achievement", "rate", "assessment", "proficient",
              "meet the math standard", "subject = 'Math' AND proficient IS NOT NULL", "students tested in math",
              higher_is_worse=False),
    Indicator("reading_proficiency", "Reading proficiency", "Achievement", "rate", "assessment", "proficient",
              "meet the reading standard", "subject = 'Reading' AND proficient IS NOT NULL",
              "students tested in reading", higher_is_worse=False),
    Indicator("math_scale_score", "Math scale score", "Achievement", "mean", "assessment", "scale_score",
              "math scale score", "subject = 'Math'", "students tested in math", higher_is_worse=False,
              unit="points"),
    Indicator("reading_scale_score", "Reading scale score", "Achievement", "mean", "assessment", "scale_score",
              "reading scale score", "subject = 'Reading'", "students tested in reading",
              higher_is_worse=False, unit="points"),
    Indicator("chronic_absenteeism", "Chronic absenteeism", "Attendance", "rate", "student_year",
              "chronic_absent", "be chronically absent (10% or more of enrolled days)",
              "chronic_absent IS NOT NULL", "students with attendance records"),
    Indicator("sped_identification", "Special education identification", "Special education", "rate",
              "student_year", "has_iep", "be identified for special education", "has_iep IS NOT NULL",
              "students with a disability flag"),
    *[
        Indicator(f"sped_{category.lower().replace(' ', '_')}", f"Identification: {category.lower()}",
                  "Special education", "rate", "student_year", f"disability_category = {_sql_text(category)}",
                  f"be identified with {category.lower()}", "has_iep IS NOT NULL", "students with a disability flag",
                  requires="special_education")
        for category in DISABILITY_CATEGORIES
    ],
    Indicator("placement_regular_class_lt40", "Regular class less than 40% of the day", "Special education",
              "rate", "student_year", "placement = 'Regular class less than 40%'",
              "be taught in a regular class less than 40% of the day", _PLACEMENT_POPULATION,
              "students with disabilities in grades K-12", requires="special_education"),
    Indicator("placement_separate_setting", "Separate school or residential facility", "Special education",
              "rate", "student_year", "placement = 'Separate school or residential facility'",
              "be placed in a separate school or residential facility", _PLACEMENT_POPULATION,
              "students with disabilities in grades K-12", requires="special_education"),
    *(_idea_removal(*spec) for spec in _IDEA_REMOVAL_INDICATORS),
    Indicator("tier_2", "MTSS Tier 2 intervention", "Interventions", "rate", "student_year", "tier_2",
              "receive a Tier 2 intervention", requires="interventions"),
    Indicator("tier_3", "MTSS Tier 3 intervention", "Interventions", "rate", "student_year", "tier_3",
              "receive a Tier 3 intervention", requires="interventions"),
    Indicator("sped_referral", "Special education referral", "Interventions", "rate", "student_year",
              "sped_referral", "be referred for a special education evaluation", requires="interventions"),
    Indicator("gifted_screening", "Gifted screening", "Interventions", "rate", "student_year", "gifted_screening",
              "be screened for gifted services", higher_is_worse=False, requires="interventions"),
    Indicator("graduation", "Graduation rate (cohort)", "Graduation", "rate", "graduation", "graduated",
              "graduate with their cohort", "TRUE", "students in a graduation cohort", higher_is_worse=False,
              description="Graduates of a cohort (named by the year it entered grade 9), of its students, from a "
                          "published graduation file; groups whose counts the file suppressed are left out, cohort "
                          "included (never counted as 0)."),
    Indicator("teacher_retention", "Teacher retention", "Staffing", "rate", "staff", "NOT separated",
              "stay in the district through the year", "role = 'Teacher'", "teachers", higher_is_worse=False),
    Indicator("staff_retention", "Staff retention", "Staffing", "rate", "staff", "NOT separated",
              "stay in the district through the year", "TRUE", "staff members", higher_is_worse=False),
    Indicator("promotion", "Promotion", "Staffing", "rate", "staff", "promoted", "be promoted", "TRUE",
              "staff members", higher_is_worse=False),
    Indicator("hiring_selection", "Hiring selection rate", "Staffing", "rate", "applicant", "hired", "be hired",
              "TRUE", "applicants", higher_is_worse=False),
    Indicator("interview_rate", "Applicants interviewed", "Staffing", "rate", "applicant", "interviewed",
              "be interviewed", "TRUE", "applicants", higher_is_worse=False),
    Indicator("offer_rate", "Interviewees offered a job", "Staffing", "rate", "applicant", "offered",
              "be offered a job", "interviewed", "interviewed applicants", higher_is_worse=False),
    Indicator("student_survey_favorable", "Student survey: percent favorable", "Climate", "rate", "survey",
              "favorable", "answer favorably (4 or 5 of 5)", "respondent_type = 'Student' AND response IS NOT NULL",
              "student answers", higher_is_worse=False),
    Indicator("family_survey_favorable", "Family survey: percent favorable", "Climate", "rate", "survey",
              "favorable", "answer favorably (4 or 5 of 5)", "respondent_type = 'Family' AND response IS NOT NULL",
              "family answers", higher_is_worse=False),
    Indicator("staff_survey_favorable", "Staff survey: percent favorable", "Climate", "rate", "survey",
              "favorable", "answer favorably (4 or 5 of 5)", "respondent_type = 'Staff' AND response IS NOT NULL",
              "staff answers", higher_is_worse=False),
    Indicator("student_survey_mean", "Student survey: mean answer", "Climate", "mean", "survey", "response",
              "answer on the 1-5 scale", "respondent_type = 'Student'", "student answers", higher_is_worse=False,
              unit="points"),
]

INDICATORS: dict[str, Indicator] = {indicator.id: indicator for indicator in _CATALOG}
if len(INDICATORS) != len(_CATALOG):
    raise RuntimeError("duplicate indicator id in the catalog")


class UnknownIndicatorError(KeyError):
    """An indicator id that is not in the catalog."""

    def __str__(self) -> str:
        return str(self.args[0])


# The sanctions of the discipline stages, each also shown as a share of the referred students.
STAGE_SANCTIONS: tuple[str, ...] = ("iss", "oss", "expulsion")
# The referral stage of the discipline stages (discipline_stages): any action on file. Not in the audit's
# catalog, since a file listing only removals has no referrals; protected like every rate.
REFERRAL = Indicator(
    "referral", "Referral", "Discipline", "rate", "student_year", "referred",
    "be referred for discipline", requires="discipline",
    description="Students with at least one disciplinary action of any kind on file (an office discipline "
                "referral), of all enrolled students.",
)


def get_indicator(indicator_id: str) -> Indicator:
    """The indicator with this id; the error lists the valid ids."""
    try:
        return INDICATORS[indicator_id]
    except KeyError:
        raise UnknownIndicatorError(
            f"unknown indicator {indicator_id!r}; run `python -m equity_metrics indicators` for the list"
        ) from None


def indicators_in(domain: str) -> list[Indicator]:
    return [indicator for indicator in _CATALOG if indicator.domain == domain]
