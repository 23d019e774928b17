"""The vocabulary of headers: the spellings of every field seen in real exports (`FIELD_SYNONYMS`, then the
wider `MORE_SYNONYMS`: PowerSchool, Infinite Campus, Skyward, Aeries, Synergy, Ed-Fi and CEDS element names,
state and CRDC files, OpenSDP), compared by `codes.code_key`, and the shapes of one subject's score column
(`math_ss`, "ELA Scale Score"). Guessing (`guessing.py`) matches headers against it; finding a two-row header
(`headers.py`) asks it whether a label names a column on its own (`known_header`).
"""

from __future__ import annotations

import functools
import re

from equity_metrics.core.codes import code_key
from equity_metrics.storage.schema import KINDS

# Header spellings seen in district exports, by canonical field (compared by codes.code_key).
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "school_year": ("school year", "year", "sy", "schoolyear", "school yr", "school_yr", "fiscal year",
                    "academic year", "survey year", "posting year", "end year"),
    # The SIS's own key ("SIS ID") before a display number: a file with both is keyed by the SIS ID elsewhere.
    "student_id": ("student id", "studentid", "student unique id", "sis id", "student number", "studentnumber",
                   "student_id", "stu id", "local id", "state student id", "pupil id", "student"),
    "school_id": ("school id", "school code", "schoolid", "school number", "location code", "building code",
                  "sch code", "site code", "school", "location", "building"),
    "school_name": ("school name", "schoolname", "site name", "building name", "location name"),
    "school_level": ("level", "school level", "school type"),
    "grade": ("grade", "grade level", "gradelevel", "grade lvl", "gr", "tested grade", "current grade",
              "entry grade level descriptor", "grade level descriptor"),
    "race": ("race", "races", "race descriptor", "race ethnicity", "race/ethnicity", "ethnicity", "federal race",
             "raceethnicity",
             "race eth", "federal race ethnicity"),
    "sex": ("sex", "gender", "gender code", "sex code", "sex descriptor"),
    "disability": ("iep", "disability", "swd", "idea", "special education", "sped", "has iep", "iep status"),
    "section_504": ("504", "section 504", "504 plan", "plan 504"),
    "english_learner": ("ell", "el", "lep", "english learner", "english language learner", "ml",
                        "multilingual learner", "el status"),
    "low_income": ("frl", "frl status", "frpl", "low income", "econ disadv", "economically disadvantaged",
                   "meal status", "lunch status", "ed"),
    "gifted": ("gifted", "gt", "gate", "gifted talented", "tag"),
    "days_enrolled": ("days enrolled", "days membership", "days in membership", "membership days"),
    "days_absent": ("days absent", "absences", "absent days", "total absences"),
    "incident_id": ("incident id", "incident number", "incident", "incidentid"),
    "incident_date": ("incident date", "date", "event date"),
    "offense": ("offense", "offence", "behavior", "infraction", "violation"),
    "offense_category": ("offense type", "offense category", "category"),
    "action": ("action", "consequence", "action taken", "disposition", "resolution"),
    "days_removed": ("days removed", "days", "duration", "days suspended", "action days"),
    "course_code": ("course code", "coursecode", "course id", "course number"),
    "course_name": ("course name", "course title", "coursetitle", "course"),
    "course_level": ("course type", "coursetype", "course level", "level", "rigor"),
    "exam_taken": ("ap exam taken", "apexamtaken", "exam taken", "took exam"),
    "exam_score": ("ap score", "apscore", "exam score", "ap exam score"),
    "section_id": ("section id", "sectionid", "section", "section number", "section code", "class section",
                   "course section", "class id"),
    "term": ("term", "term id", "termid", "term code", "marking period", "grading period", "semester"),
    "numeric_mark": ("numeric grade earned", "numeric grade", "numeric mark", "percent grade", "grade percent",
                     "mark percent", "numeric score earned"),
    "letter_mark": ("alpha grade earned", "letter grade earned", "letter grade", "letter mark", "alpha grade",
                    "mark", "final mark", "final grade", "grade earned", "letter"),
    "credits_attempted": ("credits attempted", "credit attempted", "attempted credits", "credits possible"),
    "credits_earned": ("credits earned", "credit earned", "earned credits"),
    "subject": ("subject", "content area", "test subject"),
    "scale_score": ("scale score", "scalescore", "ss", "score"),
    "performance_level": ("performance level", "achievement level", "level", "perf level"),
    "proficient": ("proficient", "met standard", "meets standard", "proficiency"),
    "disability_category": ("primary disability", "disability category", "primary_disability", "disability code"),
    "placement": ("lre", "placement", "educational environment", "environment", "setting"),
    "intervention": ("intervention", "program", "referral type", "service"),
    "referral_date": ("referral date", "date referred", "start date"),
    "staff_id": ("employee id", "staff id", "employee number", "emp id", "staffid"),
    "role": ("position", "role", "job title", "assignment", "job class"),
    "hire_date": ("hire date", "date hired", "start date", "original hire date"),
    "separation_date": ("separation date", "termination date", "exit date", "end date"),
    "separation_reason": ("separation reason", "termination reason", "exit reason", "reason"),
    "promoted": ("promoted", "promotion"),
    "years_experience": ("years experience", "years of experience", "experience", "yrs exp"),
    "applicant_id": ("applicant id", "candidate id", "application id"),
    "position": ("position", "job posting", "posting", "position applied"),
    "stage_reached": ("furthest stage", "stage", "stage reached", "status", "application status"),
    "response_id": ("response id", "responseid", "respondent id", "respondent"),
    "respondent_type": ("respondent type", "respondent", "survey type", "role"),
    "item_id": ("item", "item id", "question"),
    "construct": ("construct", "domain", "scale"),
    "response": ("response", "answer", "value"),
    "measure": ("measure", "metric", "count type", "counted", "indicator", "outcome"),
    "count": ("count", "number", "number of students", "students", "headcount", "n", "total"),
}

# Spellings beyond FIELD_SYNONYMS (SIS, Ed-Fi/CEDS, state and CRDC files, OpenSDP), by canonical field.
MORE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "school_year": ("sch yr", "schyr", "syear", "school year end", "administration year", "test year",
                    "testing year", "school year id", "fiscal yr", "year id"),
    "student_id": ("other id", "sid", "lasid", "sasid", "stu id", "stuid", "student number", "local student id",
                   "local student identifier", "state student identifier", "student identifier", "student code",
                   "student sis id", "sis student id", "perm id", "permanent id", "permnum", "ssid", "stu number",
                   "student key", "pupil number", "learner id", "student local id", "local id number",
                   "student unique identifier", "studentusi", "student usi"),
    "school_id": ("school code", "sch id", "schid", "sch code", "schcode", "building", "building id", "building number",
                  "site", "site id", "site number", "location", "location id", "location number", "campus",
                  "campus id", "campus number", "school number", "school no", "school sis id", "sis school id",
                  "school identifier", "school local id", "org code", "organization code", "dbn", "school key",
                  "school id number", "schoolid", "entity", "entity id", "sc", "school code number"),
    "school_name": ("sch name", "schname", "school nm", "campus name", "building name", "site name", "location name",
                    "organization name"),
    "grade": ("grade level", "gradelevel", "gr", "grd", "grade lvl", "gr lvl", "student grade", "enrolled grade",
              "grade enrolled", "current grade level", "grade level code", "entry grade level", "grd lvl"),
    "race": ("race ethnicity", "race ethnicity code", "fed race", "federal race", "federal race category",
             "federal race ethnicity", "race code", "ethnic", "ethnicity code", "race eth", "raceeth", "stu race",
             "race ethnicity federal", "reporting race", "race fed", "rc1", "race code 1", "race 1", "race1"),
    "sex": ("sx", "gender code", "sex code", "gndr", "sex cd", "student sex", "student gender", "gender identity"),
    "disability": ("iep", "swd", "sped", "sped flag", "iep flag", "iep indicator", "special ed", "special ed flag",
                   "students with disabilities", "idea", "idea indicator", "disabled", "disability flag", "sped ind",
                   "sped status", "special education status", "special ed status", "disability status",
                   "swd status", "special education program", "sped program", "iep code", "special education flag",
                   "special education indicator", "idea status"),
    "section_504": ("504", "504 flag", "section 504 flag", "504 indicator", "sec 504"),
    "english_learner": ("lep", "ell", "el", "el flag", "ell flag", "lep flag", "lep status", "ell indicator",
                        "limited english proficient", "limited english", "english learner flag", "el indicator",
                        "esl", "emergent bilingual", "eb", "ml flag", "ell status", "english learner status",
                        "english language learner status", "el code", "ell code", "lep code", "lep indicator",
                        "language status", "language proficiency status", "english proficiency status",
                        "english proficiency", "elp status", "ml status", "el program status", "el program",
                        "esl status", "lep ind", "ell ind", "lf", "language fluency"),
    "low_income": ("eco dis", "econ dis", "ecodis", "econdis", "eco disadv", "econ disadv flag", "frl", "frpl",
                   "frl flag", "free reduced lunch", "free reduced", "free or reduced lunch", "fr lunch",
                   "economic disadvantage", "economically disadvantaged flag", "low income flag", "poverty",
                   "low ses", "ses", "lunch code", "meal code", "meal eligibility", "frl code", "frpl status",
                   "free reduced status", "free reduced lunch status", "nslp status", "lunch program status",
                   "meal benefit", "meal benefit status", "economic status", "economically disadvantaged status",
                   "lunch eligibility", "frl eligibility", "school lunch status", "sed",
                   "socioeconomically disadvantaged", "socio economically disadvantaged", "socioeconomic status"),
    "gifted": ("gifted flag", "gt flag", "gifted talented flag", "gate flag", "ap gifted"),
    "incident_date": ("incident dt", "date of incident", "offense date", "event dt", "behavior date"),
    "offense": ("incident type", "offense code", "behavior code", "incident code", "violation code",
                "behavior type", "infraction code"),
    "action": ("action code", "consequence code", "disciplinary action", "action type", "resolution code",
               "sanction"),
    "subject": ("subject area", "test subject area", "assessment subject", "content", "subject code",
                "academic subject"),
    "scale_score": ("scale score", "scaled score", "ss", "score scale", "scale scr", "sc score"),
    "response_id": ("response id", "respondent id", "responseid", "survey id", "submission id", "record id"),
}

# The Hispanic question of the two-question race form, beyond mapping's own list ("Hispanic", "FedEthnicity",
# Ed-Fi's HispanicLatinoEthnicity): Aeries' "Eth" (Y/N) and the like; used only when the values are yes/no.
HISPANIC_HEADERS = ("eth", "hisp", "hispanic latino ethnicity", "hispaniclatinoethnicity", "hispanic latino flag",
                    "hispanic latino indicator", "hispanic y n", "ethnicity hispanic latino", "hisp ind")

# A table prefix before a column name: PowerSchool's "[01]SchoolID" (table number) and "Students.Student_Number"
# (table name), dropped when headers are matched; a name with spaces after the dot ("U.S. Entry") is left alone.
TABLE_PREFIX = re.compile(r"^\s*(?:\[\w+\]\s*|[A-Za-z_]\w*\.(?=[A-Za-z_]\w*\s*$))")


def bare_header(name: str) -> str:
    """A header without its table prefix ("[01]SchoolID" -> "SchoolID", "Students.Student_Number" ->
    "Student_Number"); the header itself when it has none."""
    return TABLE_PREFIX.sub("", name)


# "studentUniqueId" -> "student Unique Id", "ELLStatus" -> "ELL Status"
CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
PREFIX = re.compile(r"^(?:student|stu|pupil)\s+")  # "Student Grade" is the grade, "stu_race" the race
SUBJECTS = {
    "math": "Math", "mth": "Math", "ma": "Math", "mathematics": "Math",
    "rdg": "Reading", "read": "Reading", "reading": "Reading", "ela": "Reading", "eng": "Reading",
    "english": "Reading", "english language arts": "Reading", "rla": "Reading", "lit": "Reading",
    "wrtg": "Writing", "wrt": "Writing", "writing": "Writing", "wri": "Writing",
    "sci": "Science", "science": "Science",
    "soc": "Social studies", "social studies": "Social studies", "sst": "Social studies",
}
_SUBJECT = "|".join(sorted(SUBJECTS, key=len, reverse=True))
_SCORE = r"(?:ss|scale score|scaled score|scalescore|scale|score|sc|scr)"
WIDE_SCORE = re.compile(rf"^(?:(?P<a>{_SUBJECT})\s*{_SCORE}|{_SCORE}\s+(?P<b>{_SUBJECT}))$")


def spellings(name: str) -> tuple[str, ...]:
    """Every header spelling of a field, best first (its own name, then the known synonyms)."""
    return tuple(dict.fromkeys((name, *FIELD_SYNONYMS.get(name, ()), *MORE_SYNONYMS.get(name, ()))))


@functools.cache
def _known_keys() -> frozenset[str]:
    """The code key of every header spelling of every field of every kind."""
    return frozenset(code_key(s) for kind in KINDS.values() for f in kind.fields for s in spellings(f.name))


def known_header(name: str) -> bool:
    """Whether a header names a field of some kind (any spelling, camelCase split, a leading
    'Student' dropped, as guessing reads headers) or one subject's scale scores ("Math Scale Score")."""
    name = bare_header(name)
    split = code_key(CAMEL_BOUNDARY.sub(" ", name))
    keys = {code_key(name), split, PREFIX.sub("", split)}
    return bool(keys & (_known_keys() | {code_key(h) for h in HISPANIC_HEADERS})) or bool(WIDE_SCORE.match(code_key(name)))
