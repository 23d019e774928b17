"""The canonical schema: the tables every import is mapped onto, their fields, types and meaning.

A *kind* is one canonical table (enrollment, discipline, ...). Each field has a DuckDB type, whether an import
must supply it, and the code list it is normalised with (see `codes.py`). Nothing here touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One canonical column."""

    name: str
    sql_type: str  # VARCHAR, DOUBLE, BOOLEAN, DATE, INTEGER
    required: bool = False
    codes: str | None = None  # name of the code list in codes.CODE_LISTS that normalises raw values
    description: str = ""


@dataclass(frozen=True)
class Kind:
    """One canonical table: what a file of this kind holds, one row per what."""

    name: str
    label: str
    row: str  # what one row is
    fields: tuple[Field, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")


def _year(required: bool = True) -> Field:
    return Field("school_year", "VARCHAR", required, "school_year", "School year, written 2023-24")


def _student() -> Field:
    return Field("student_id", "VARCHAR", True, None, "Student ID as text (leading zeros kept)")


def _school(required: bool = False) -> Field:
    return Field("school_id", "VARCHAR", required, None, "School code as text")


def _race() -> Field:
    return Field("race", "VARCHAR", False, "race", "Federal race/ethnicity category")


def _sex() -> Field:
    return Field("sex", "VARCHAR", False, "sex", "Female, Male or Nonbinary")


def _flag(name: str, description: str, codes: str = "flag") -> Field:
    """A yes/no field; `codes` names its code list (a status list reads words such as "Exited" too)."""
    return Field(name, "BOOLEAN", False, codes, description)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "schools",
            "Schools",
            "one school",
            (
                Field("school_id", "VARCHAR", True, None, "School code as text"),
                Field("school_name", "VARCHAR", True, None, "School name"),
                Field("school_level", "VARCHAR", False, "school_level", "Elementary, Middle or High"),
            ),
        ),
        Kind(
            "enrollment",
            "Enrollment roster",
            "one student at one school in one school year",
            (
                _year(),
                _student(),
                _school(True),
                Field("school_name", "VARCHAR", False, None, "School name, when the roster carries it"),
                Field("grade", "VARCHAR", True, "grade", "PK, TK, K, 1 to 12"),
                _race(),
                _sex(),
                _flag("disability", "Has an IEP (IDEA)", "iep_status"),
                _flag("section_504", "Has a Section 504 plan"),
                _flag("english_learner", "English learner", "el_status"),
                Field("low_income", "BOOLEAN", False, "low_income",
                      "Low income (free or reduced-price meals, economically disadvantaged)"),
                _flag("gifted", "Identified as gifted/talented"),
                Field("days_enrolled", "DOUBLE", False, None, "Days enrolled this year"),
                Field("days_absent", "DOUBLE", False, None, "Days absent this year"),
                Field("entry_date", "DATE", False, None,
                      "Date the student entered this school (a student at two schools has a row for each)"),
                Field("exit_date", "DATE", False, None, "Date the student left this school, if they left"),
            ),
        ),
        Kind(
            "discipline",
            "Discipline actions",
            "one disciplinary action (one incident may have several)",
            (
                _year(),
                _student(),
                _school(),
                Field("incident_id", "VARCHAR", False, None, "Incident number"),
                Field("incident_date", "DATE", False, None, "Date of the incident"),
                Field("offense", "VARCHAR", False, None, "Offense as the district names it"),
                Field("offense_category", "VARCHAR", False, "offense_category", "Objective or Subjective"),
                Field("action", "VARCHAR", True, "action", "Canonical action (see codes.ACTIONS)"),
                Field("days_removed", "DOUBLE", False, None, "Days of instruction removed"),
            ),
        ),
        Kind(
            "courses",
            "Course enrollments",
            "one student in one course section",
            (
                _year(),
                _student(),
                _school(),
                Field("course_code", "VARCHAR", False, None, "Course code"),
                Field("course_name", "VARCHAR", False, None, "Course title"),
                Field("course_level", "VARCHAR", True, "course_level", "AP, IB, Honors, Dual credit, Algebra I, General"),
                _flag("exam_taken", "Took the AP/IB exam"),
                Field("exam_score", "DOUBLE", False, None, "AP exam score (1-5) or IB score (1-7)"),
            ),
        ),
        Kind(
            "marks",
            "Course marks",
            "one student's mark in one course section",
            (
                _year(),
                _student(),
                Field("section_id", "VARCHAR", True, None, "Course section as the SIS codes it"),
                Field("term", "VARCHAR", False, None, "Term or marking period as the SIS codes it"),
                Field("numeric_mark", "DOUBLE", False, None, "Numeric mark (percent; may exceed 100)"),
                Field("letter_mark", "VARCHAR", True, None, "Letter mark (A-F, with + or -); F is failing"),
                Field("credits_attempted", "DOUBLE", False, None, "Credits attempted"),
                Field("credits_earned", "DOUBLE", False, None, "Credits earned"),
            ),
        ),
        Kind(
            "assessments",
            "Assessment results",
            "one student on one test",
            (
                _year(),
                _student(),
                _school(),
                Field("subject", "VARCHAR", True, "subject", "Math, Reading, Science, ..."),
                Field("grade", "VARCHAR", False, "grade", "Grade tested"),
                Field("scale_score", "DOUBLE", False, None, "Scale score"),
                Field("performance_level", "VARCHAR", False, None, "Performance level as reported"),
                _flag("proficient", "Met or exceeded the standard", "proficiency"),
            ),
        ),
        Kind(
            "special_education",
            "Special education",
            "one student with an IEP in one school year",
            (
                _year(),
                _student(),
                Field("disability_category", "VARCHAR", False, "disability_category", "IDEA disability category"),
                Field("placement", "VARCHAR", False, "placement", "Educational environment"),
            ),
        ),
        Kind(
            "interventions",
            "Referrals and interventions",
            "one referral or intervention for one student",
            (
                _year(),
                _student(),
                Field("intervention", "VARCHAR", True, "intervention", "Canonical intervention (see codes)"),
                Field("referral_date", "DATE", False, None, "Date referred"),
            ),
        ),
        Kind(
            "staff",
            "Staff",
            "one staff member in one school year",
            (
                _year(),
                Field("staff_id", "VARCHAR", True, None, "Staff ID as text"),
                _school(),
                Field("role", "VARCHAR", False, "role", "Teacher, Administrator, Counselor, ..."),
                _race(),
                _sex(),
                Field("hire_date", "DATE", False, None, "Date hired"),
                Field("separation_date", "DATE", False, None, "Date left the district, if they left"),
                Field("separation_reason", "VARCHAR", False, None, "Why they left"),
                _flag("promoted", "Promoted during the year"),
                Field("years_experience", "DOUBLE", False, None, "Years of experience"),
            ),
        ),
        Kind(
            "applicants",
            "Applicants",
            "one applicant for one posting",
            (
                _year(),
                Field("applicant_id", "VARCHAR", True, None, "Applicant ID as text"),
                Field("position", "VARCHAR", False, "role", "Position applied for"),
                _race(),
                _sex(),
                Field("stage_reached", "VARCHAR", True, "stage", "Applied, Interviewed, Offered or Hired"),
            ),
        ),
        Kind(
            "survey",
            "Climate survey responses",
            "one answer of one respondent to one item",
            (
                _year(),
                Field("response_id", "VARCHAR", True, None, "Respondent ID as text"),
                _school(),
                Field("respondent_type", "VARCHAR", True, "respondent_type", "Student, Family or Staff"),
                _race(),
                _sex(),
                Field("grade", "VARCHAR", False, "grade", "Respondent's grade (students)"),
                Field("item_id", "VARCHAR", True, None, "Survey item"),
                Field("construct", "VARCHAR", False, None, "Construct the item belongs to"),
                Field("response", "DOUBLE", True, None, "Answer on the 1-5 agreement scale"),
            ),
        ),
        Kind(
            "graduation",
            "Graduation outcomes (aggregated)",
            "the outcomes of one student group of one school's graduation cohort (counts of students)",
            (
                Field("school_year", "VARCHAR", True, "school_year",
                      "The school year the cohort entered grade 9 (Cohort 2006 is 2006-07)"),
                Field("cohort", "VARCHAR", False, None, "The cohort as the file names it ('2006', '2006 Aug')"),
                _school(True),
                Field("school_name", "VARCHAR", False, None, "School name, when the file carries it"),
                Field("student_group", "VARCHAR", True, "student_group",
                      "All students, a race, a sex, English learners or not, students with disabilities or not"),
                Field("cohort_count", "DOUBLE", True, None, "Students in the cohort"),
                Field("graduates", "DOUBLE", False, None,
                      "Students of the cohort who graduated; a suppressed cell ('s', '*', '<10') is missing, never 0"),
                Field("still_enrolled", "DOUBLE", False, None, "Students of the cohort still enrolled"),
                Field("dropped_out", "DOUBLE", False, None, "Students of the cohort who dropped out"),
            ),
        ),
        Kind(
            "counts",
            "Aggregated counts",
            "one count of students of one group in one school (a report card or the CRDC school file)",
            (
                _year(),
                _school(),
                Field("school_name", "VARCHAR", False, None, "School name, when the file carries it"),
                _race(),
                _sex(),
                _flag("disability", "Counts students with disabilities (IDEA) only, or only those without", "iep_status"),
                Field("measure", "VARCHAR", True, "count_measure",
                      "What is counted: enrollment, iss, oss, expulsion, ap, gifted, ... (see codes.COUNT_MEASURES)"),
                Field("count", "DOUBLE", False, None,
                      "Number of students; negative reserve codes and suppressed cells are missing, never counted"),
            ),
        ),
        Kind(
            "staff_fte",
            "Staff FTE by race (aggregated)",
            "the full-time equivalents of one race (or the reported total) in one job group at one school",
            (
                _year(),
                _school(True),
                Field("school_name", "VARCHAR", False, None, "School name, when the file carries it"),
                Field("job_group", "VARCHAR", False, None, "Job group as the file codes it (e.g. 23 = teachers)"),
                Field("race", "VARCHAR", True, None,
                      "Race as the file's column names it (federal label, 'Other (combined)'), or 'Total'"),
                Field("fte", "DOUBLE", False, None, "Full-time equivalents; a blank cell is missing"),
            ),
        ),
        Kind(
            "survey_summary",
            "School survey summary (aggregated)",
            "one figure of one school's survey results (respondents, eligible, a response rate, a score, or the "
            "number or share of one respondent type choosing one answer of one item)",
            (
                _year(),
                _school(True),
                Field("school_name", "VARCHAR", False, None, "School name, when the file carries it"),
                Field("respondent", "VARCHAR", False, None, "p (parents), t (teachers), s (students) or tot (all)"),
                Field("measure", "VARCHAR", True, None,
                      "respondents, eligible, response_rate, scale_score, item_score, option_percent, option_count, "
                      "checked_percent, checked_count (a box of a check-all item)"),
                Field("item", "VARCHAR", True, None, "The item (t_q1a), the scale (saf, com, eng, aca) or 'response'"),
                Field("option", "VARCHAR", False, None, "The answer option (1, 2, ...) of an option figure"),
                Field("value", "DOUBLE", False, None, "The figure; a blank cell is missing, never 0"),
            ),
        ),
        Kind(
            "representation",
            "Shares of enrollment and of the disciplined (aggregated)",
            "one student group's share of enrollment and of the students disciplined in one unit (the state, a "
            "district or a school): percentages, not counts",
            (
                _year(),
                Field("district", "VARCHAR", True, None, "District as the file names it ('All School Systems': the state)"),
                Field("school_name", "VARCHAR", False, None, "School as the file names it ('All Schools': the district)"),
                Field("unit", "VARCHAR", False, None, "District and school in one label, as the file writes it"),
                Field("category", "VARCHAR", False, None, "Kind of group: Race/Ethnicity, Gender, Disability Status, ..."),
                Field("subgroup", "VARCHAR", True, None, "Student group as the file names it"),
                Field("enrollment", "DOUBLE", True, None, "The unit's total enrollment"),
                Field("share_of_enrollment", "DOUBLE", True, None, "The group's share of enrollment, in percent"),
                Field("share_of_disciplined", "DOUBLE", True, None,
                      "The group's share of the students disciplined (one or more incidents), in percent"),
                Field("file_label", "VARCHAR", False, None, "The file's own label (overrepresented, underrepresented)"),
                Field("gap_points", "DOUBLE", False, None, "The file's gap between the shares, in percentage points"),
            ),
        ),
        Kind(
            "excerpts",
            "Coded excerpts (listening sessions, focus groups, comments)",
            "one excerpt with one of its codes or themes (an excerpt coded twice is two rows)",
            (
                _year(False),
                Field("excerpt", "VARCHAR", True, None, "The excerpt: a quote, a comment, a coded passage"),
                Field("theme", "VARCHAR", False, None,
                      "A code or theme; several in one cell are split on ';', '|' or a line break when counted"),
                Field("code_column", "VARCHAR", False, None, "The code column a theme came from (several code columns)"),
                Field("excerpt_id", "VARCHAR", False, None, "The excerpt's ID (a highlight or coding ID)"),
                Field("participant_id", "VARCHAR", False, None, "Participant ID as text; never shown"),
                Field("participant_name", "VARCHAR", False, None,
                      "Participant or speaker name; never shown, only used to strip names from excerpts"),
                Field("session", "VARCHAR", False, None, "The session, focus group or document of the excerpt"),
                Field("role", "VARCHAR", False, None, "The participant's role as the file writes it (Student, Parent, ...)"),
                _race(),
                Field("school", "VARCHAR", False, None, "The participant's school as the file writes it"),
            ),
        ),
    )
}


def create_table_sql(kind: Kind, table_name: str | None = None) -> str:
    """CREATE TABLE statement for a kind, with a dataset_id column first."""
    columns = ", ".join(f'"{f.name}" {f.sql_type}' for f in kind.fields)
    return f'CREATE TABLE IF NOT EXISTS "{table_name or kind.name}" (dataset_id INTEGER NOT NULL, {columns})'
