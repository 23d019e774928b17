"""Code lists: every spelling of race, sex, yes/no, grade and other codes that districts export, and the
canonical value each one means.

Raw values are compared by their *key*: lower case, every run of characters other than letters and digits
turned into one space, trimmed ("Black/African Am." -> "black african am"). `code_key` does it in Python and
`code_key_sql` in DuckDB, identically. A value whose key is not in the list is never guessed: it becomes NULL
and the import report lists it.
"""

from __future__ import annotations

import re

from equity_metrics.core.constants import (
    AMERICAN_INDIAN,
    ASIAN,
    ASIAN_PACIFIC,
    BLACK,
    HISPANIC,
    NATIVE_OR_MULTIPLE,
    PACIFIC_ISLANDER,
    TWO_OR_MORE,
    UNKNOWN,
    WHITE,
)
from equity_metrics.core.school_year import FIRST_SCHOOL_YEAR as FIRST_SCHOOL_YEAR  # the importer's SQL twin
from equity_metrics.core.school_year import LAST_SCHOOL_YEAR as LAST_SCHOOL_YEAR
from equity_metrics.core.school_year import parse_school_year

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LEADING_MINUS = re.compile(r"^\s*-(\d)")
# An Ed-Fi descriptor URI: the code is what follows '#' ("uri://ed-fi.org/GradeLevelDescriptor#Ninth grade",
# "uri://tea.texas.gov/SexDescriptor#F"). Python `re` and RE2 read this pattern alike (code_key_sql).
_DESCRIPTOR = r"^[A-Za-z][A-Za-z0-9+.-]*://[^#]*[Dd]escriptor#"
_DESCRIPTOR_PREFIX = re.compile(_DESCRIPTOR)


def code_key(value: str) -> str:
    """The comparison key of a raw code: lower case, punctuation and spaces folded to single spaces.
    A leading minus before a digit is kept as the word "minus" (grade -1 is pre-kindergarten); an Ed-Fi
    descriptor URI is its code after '#' ("uri://ed-fi.org/SexDescriptor#Female" is "female")."""
    value = _LEADING_MINUS.sub(r"minus \1", _DESCRIPTOR_PREFIX.sub("", value).replace("\u0130", "I").lower())
    return _NON_ALNUM.sub(" ", value).strip()


def code_key_sql(expression: str) -> str:
    """DuckDB expression computing `code_key` of a VARCHAR expression."""
    bare = f"regexp_replace({expression}, '{_DESCRIPTOR}', '')"
    lowered = f"regexp_replace(lower(replace({bare}, '\u0130', 'I')), '^\\s*-(\\d)', 'minus \\1')"
    return f"trim(regexp_replace({lowered}, '[^a-z0-9]+', ' ', 'g'))"


def _keys(mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Invert {canonical: spellings} into {key: canonical}, refusing a spelling claimed twice."""
    out: dict[str, str] = {}
    for canonical, spellings in mapping.items():
        for spelling in (canonical, *spellings):
            key = code_key(spelling)
            if key in out and out[key] != canonical:
                raise ValueError(f"code {spelling!r} maps to both {out[key]!r} and {canonical!r}")
            out[key] = canonical
    return out


RACE_CODES = _keys(
    {
        HISPANIC: ("HI", "H", "Hispanic", "Latino", "Latina", "Latinx", "Latine", "Hispanic/Latino",
                   "Hispanic or Latino", "Hispanic/Latinx", "Hispanic Latino"),
        AMERICAN_INDIAN: ("AM", "I", "N", "American Indian", "Native American", "Am. Indian/Alaskan",
                          "American Indian/Alaska Native", "American Indian or Alaskan Native",
                          "Alaska Native", "Indigenous", "AI/AN", "AIAN"),
        ASIAN: ("AS", "A", "Asian American"),
        BLACK: ("BL", "B", "Black", "African American", "Black/African Am.", "Black/African American",
                "Black or African-American", "AA"),
        PACIFIC_ISLANDER: ("HP", "PI", "P", "Pacific Islander", "Native Hawaiian", "Native Hawaiian/Pacific Islander",
                           "Native Hawaiian or Pacific Islander", "NHPI", "Hawaiian/Pacific Islander"),
        WHITE: ("WH", "W", "Caucasian", "White (not Hispanic)", "White, not Hispanic"),
        TWO_OR_MORE: ("TR", "M", "D", "Two or More", "Two or more races", "Multiracial", "Multi-racial",
                      "Multiple", "Multiple races", "Two+ races", "2 or more races", "Mixed"),
        ASIAN_PACIFIC: ("Asian/Pacific Islander", "Asian or Pacific Islander", "Asian Pacific Islander", "API",
                        "A/PI", "Asian/Pac. Isl.", "Asian/Pacific Isl"),
        NATIVE_OR_MULTIPLE: ("Multiple/Native American", "Native American/Multiple", "Multiple or Native American",
                             "Multiracial/Native American"),
        UNKNOWN: ("", "U", "UN", "UNK", "Unknown", "Declined", "Declined to state", "Not reported", "NA", "N/A",
                  "Missing", "Prefer not to say", "Not specified", "-", "*", "Not Selected", "NotSelected"),
    }
)
# Federal codes and element names: EDFacts' seven categories (AM7 ... WH7) and the CEDS / Ed-Fi option names
# written as one word ("BlackOrAfricanAmerican"), so a code file's values read as the federal category.
RACE_CODES.update(_keys({
    HISPANIC: ("HI7", "HispanicOrLatinoEthnicity", "HispanicOrLatino", "Hispanic of any race", "Hispanic/Latino of any race"),
    AMERICAN_INDIAN: ("AM7", "AmericanIndianOrAlaskaNative", "American Indian/Alaskan Native",
                      "American Indian or Alaska Native (not Hispanic)", "Native American/Alaskan Native"),
    ASIAN: ("AS7", "Asian (not Hispanic)", "Asian, non-Hispanic"),
    BLACK: ("BL7", "BlackOrAfricanAmerican", "Black (not Hispanic)", "Black, non-Hispanic", "Black non Hispanic",
            "Non-Hispanic Black", "African-American"),
    PACIFIC_ISLANDER: ("PI7", "NativeHawaiianOrOtherPacificIslander", "Native Hawaiian/Other Pacific Islander",
                       "Native Hawaiian or Other Pacific Islander (not Hispanic)", "Hawaiian"),
    WHITE: ("WH7", "White, non-Hispanic", "White non Hispanic", "Non-Hispanic White"),
    TWO_OR_MORE: ("MU7", "DemographicRaceTwoOrMoreRaces", "TwoOrMoreRaces", "Two or More Races (not Hispanic)",
                  "Multi-Racial", "Multiple Races/Ethnicities"),
}))

SEX_CODES = _keys(
    {
        "Female": ("F", "Girl", "Woman", "W"),
        "Male": ("M", "Boy", "Man"),
        "Nonbinary": ("X", "Non-binary", "Non binary", "NB", "Nonbinary/X", "Another gender", "Other",
                      "Gender X", "Non-binary/X", "Genderqueer", "Gender nonconforming"),
        UNKNOWN: ("", "U", "Unknown", "Declined", "Not reported", "NA", "N/A", "Prefer not to say", "Not Selected",
                  "NotSelected", "Declined to state", "Not specified"),
    }
)

# Yes/no flags. Blank is missing (NULL), not "no" -- except in a column marked only with X, where the importer
# reads blanks as no (and says so in the report).
FLAG_CODES: dict[str, bool] = {
    **{code_key(s): True for s in ("Y", "Yes", "1", "TRUE", "T", "X", "Yes.", "1.0", "Active")},
    **{code_key(s): False for s in ("N", "No", "0", "FALSE", "F", "No.", "0.0", "Inactive")},
}

# Proficiency arrives as a flag or as a performance level written out (CAASPP, PARCC, NAEP-style and state
# wordings): met or exceeded the standard is proficient. Numbered levels (1-4) are left to the user: where the
# cut falls differs by test (--code proficient:3=Yes).
PROFICIENCY_LEVEL_CODES: dict[str, bool] = {  # a performance level column: words only ("1" is level 1, not Yes)
    **{code_key(s): True for s in (
        "Proficient", "Advanced", "Standard Met", "Standard Exceeded", "Met Standard", "Exceeded Standard",
        "Meets Standard", "Exceeds Standard", "Meets Expectations", "Exceeds Expectations", "Met Expectations",
        "Exceeded Expectations", "Meets", "Exceeds", "Proficient or Above", "Mastery", "Distinguished",
        "Highly Proficient", "Meets Grade Level", "Masters Grade Level", "Above Proficient")},
    **{code_key(s): False for s in (
        "Not Proficient", "Below Basic", "Basic", "Standard Not Met", "Standard Nearly Met", "Not Met",
        "Nearly Met", "Does Not Meet", "Did Not Meet", "Did Not Yet Meet", "Partially Meets", "Partially Met",
        "Approaching", "Approaches", "Approaching Expectations", "Partially Meets Expectations",
        "Does Not Meet Expectations", "Did Not Yet Meet Expectations", "Approaches Grade Level",
        "Did Not Meet Grade Level", "Below Proficient", "Partially Proficient", "Minimal", "Limited")},
}
PROFICIENCY_CODES: dict[str, bool] = {**FLAG_CODES, **PROFICIENCY_LEVEL_CODES}  # a proficient column: Y/N or words

# Low income arrives as a flag or as meal-status codes: 0 not eligible, 1 free, 2 reduced, 9 other/unknown.
LOW_INCOME_CODES: dict[str, bool] = {
    **FLAG_CODES,
    **{code_key(s): True for s in ("2", "2.0", "Free", "Reduced", "Free/Reduced", "FRL", "FRPL", "F/R",
                                   "Economically disadvantaged", "ED", "Eligible")},
    **{code_key(s): False for s in ("Paid", "P", "Not eligible", "Full pay", "Not economically disadvantaged",
                                    "Full price", "Paid meals", "Full-price meals", "Not FRL", "Non-FRL", "No FRL",
                                    "Not free or reduced", "Ineligible", "Not ED", "Non-ED", "Not low income")},
    # Meal-status letters: F free and R reduced are low income (F is "false" only in yes/no columns).
    **{code_key(s): True for s in ("F", "R", "Free lunch", "Reduced lunch", "Free meals", "Reduced-price",
                                   "Reduced price", "Reduced-price meals", "Free and reduced", "Free or reduced",
                                   "Direct certification", "Directly certified", "Low income", "Econ disadv")},
}

# English-learner status written as a status (ELLStatus, EL Status, LEP Status): a current English learner is
# yes; former learners (exited, reclassified, monitored), initially fluent and never-EL students are no. A
# monitored former learner is not a current English learner (ESSA counts them apart). Words no list knows are
# asked about, never guessed.
EL_STATUS_CODES: dict[str, bool] = {
    **FLAG_CODES,
    **{code_key(s): True for s in ("EL", "ELL", "LEP", "ML", "English Learner", "English Language Learner",
                                   "Limited English Proficient", "Limited English", "Multilingual Learner",
                                   "Emergent Bilingual", "Active EL", "Active ELL", "Current EL", "Current ELL",
                                   "EL Active", "LEP Active", "Identified EL", "EL Waived services",
                                   "Waived services", "Parent waived services", "Newcomer")},
    **{code_key(s): False for s in ("Exited", "Exited EL", "EL Exited", "Monitored", "Monitor", "EL Monitored",
                                    "Monitored former EL", "Former EL", "Former ELL", "Former LEP", "Reclassified",
                                    "Redesignated", "RFEP", "Redesignated Fluent English Proficient",
                                    "Reclassified Fluent English Proficient", "IFEP",
                                    "Initially Fluent English Proficient", "FEP", "Fluent English Proficient",
                                    "English Only", "EO", "Never EL", "Never ELL", "Never LEP", "Not EL",
                                    "Not ELL", "Not LEP", "Non-EL", "Non-ELL", "Non-LEP", "NEP", "Not English Learner",
                                    "Non English Learner", "English Proficient", "Proficient", "Not an English learner")},
}

# Special-education (IEP) status written as a status (IEP Status, SPED Status, Special Education): an active
# IEP or a special-education program is yes; no IEP, an exited IEP, general education or a 504 plan alone is
# no (a Section 504 plan is not an IEP; it belongs in its own column).
IEP_STATUS_CODES: dict[str, bool] = {
    **FLAG_CODES,
    **{code_key(s): True for s in ("IEP", "Active IEP", "IEP Active", "Has IEP", "Has an IEP", "Current IEP",
                                   "SPED", "Special Education", "Special Ed", "SWD", "Student with a disability",
                                   "Students with Disabilities", "With disability", "IDEA", "IDEA eligible",
                                   "Eligible for special education",
                                   # California program names: special day class, resource specialist program,
                                   # designated instruction and services
                                   "Special Day Class", "SDC", "Resource Specialty Program",
                                   "Resource Specialist Program", "RSP", "Designated Instruction Service",
                                   "Designated Instruction and Services", "DIS", "Speech only", "Speech IEP")},
    **{code_key(s): False for s in ("No IEP", "Not IEP", "Non-IEP", "Exited", "Exited IEP", "IEP Exited",
                                    "Exited special education", "Inactive IEP", "Not eligible", "Ineligible",
                                    "Not SPED", "Non-SPED", "General Education", "Gen Ed", "Regular education",
                                    "504", "504 Plan", "504 only", "Section 504", "Has 504", "No disability",
                                    "Without disability", "Students without Disabilities", "Not SWD")},
}

GRADE_CODES = _keys(
    {
        "PK": ("Pre-K", "PreK", "Pre-Kindergarten", "Prekindergarten", "P", "PS", "Preschool", "-1", "-2",
               "Preschool/Prekindergarten"),
        "TK": ("Transitional Kindergarten", "T-K"),
        "K": ("KG", "KN", "Kindergarten", "0", "00", "Grade K"),
        **{str(g): (f"{g:02d}", f"Grade {g}", f"Grade {g:02d}", f"Gr {g}", f"{g}th", f"{g}.0")
           for g in range(1, 13)},
    }
)
# Fix the ordinal spellings that are not "th".
GRADE_CODES.update({"1st": "1", "2nd": "2", "3rd": "3"})
# Ed-Fi's grade level descriptors ("First grade" ... "Twelfth grade"; the URI's prefix is dropped by code_key).
_GRADE_WORDS = ("First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
                "Eleventh", "Twelfth")
GRADE_CODES.update({code_key(f"{word} grade"): str(g) for g, word in enumerate(_GRADE_WORDS, start=1)})

ACTIONS = (
    "In-school suspension",
    "Out-of-school suspension",
    "Expulsion",
    "Law enforcement referral",
    "School-related arrest",
    "Alternative placement",
    "Other",
)
ACTION_CODES = _keys(
    {
        "In-school suspension": ("ISS", "In School Suspension", "In-School Susp", "Suspension - In School",
                                 "Susp-ISS", "ISS - In School Suspension"),
        "Out-of-school suspension": ("OSS", "Out of School Suspension", "Out-of-School Susp",
                                     "Suspension - Out of School", "Suspension", "Susp-OSS",
                                     "OSS - Out of School Suspension",
                                     # short- and long-term suspensions are out of school (10 days or fewer; more)
                                     "Short-Term Suspension", "Long-Term Suspension", "Short Term OSS",
                                     "Long Term OSS"),
        "Expulsion": ("EXP", "Expelled", "Expulsion with services", "Expulsion without services",
                      "Expelled w/ Services", "Expelled w/o Services", "Expelled with Services",
                      "Expelled without Services"),
        "Law enforcement referral": ("LE", "LER", "Referral to law enforcement", "Police referral",
                                     "Referred to law enforcement"),
        "School-related arrest": ("Arrest", "ARR", "School related arrest"),
        "Alternative placement": ("ALT", "Alternative school", "Alternative School Placement",
                                  "Removal to alternative setting",
                                  "Interim alternative educational setting", "IAES"),
        "Other": ("Detention", "Conference", "Warning", "Parent contact", "Loss of privilege"),
    }
)
# Removals that exclude a student from instruction.
EXCLUSIONARY_ACTIONS = ("In-school suspension", "Out-of-school suspension", "Expulsion", "Alternative placement")

OFFENSE_CATEGORY_CODES = _keys(
    {"Objective": ("O", "Obj"), "Subjective": ("S", "Subj")}
)

COURSE_LEVEL_CODES = _keys(
    {
        "AP": ("Advanced Placement", "AP Course"),
        "IB": ("International Baccalaureate", "IB Course"),
        "Honors": ("H", "Hon", "Honor", "Pre-AP", "Advanced"),
        "Dual credit": ("Dual enrollment", "Dual Credit/Dual Enrollment", "DE", "DC", "Concurrent enrollment",
                        "College credit"),
        "Algebra I": ("Algebra 1", "Alg I", "Alg 1", "Algebra"),
        "General": ("Regular", "Standard", "On level", "CP", "College prep"),
    }
)

# A course's level read off its name when the file has no level column ("AP Biology", "IB Math HL", "Honors
# English 10", "Dual Enrollment College Algebra"): the first pattern that matches the name's code key wins, else
# General. Algebra I comes first (an honors Algebra I is still Algebra I), Pre-AP before AP (Pre-AP is honors, as
# in COURSE_LEVEL_CODES). RE2 and Python `re` read these alike (field_sql.course_level_from_name_sql).
COURSE_NAME_LEVELS: tuple[tuple[str, str], ...] = (
    (r"\b(?:algebra|alg) (?:i|1)\b", "Algebra I"),
    (r"\bpre ap\b", "Honors"),
    (r"\b(?:ap|a p|advanced placement)\b", "AP"),
    (r"\b(?:ib|international baccalaureate)\b", "IB"),
    (r"\b(?:dual (?:enrollment|enrolment|credit)|concurrent enrollment|college credit)\b", "Dual credit"),
    (r"\b(?:honors?|honours?|hnrs?|hon)\b", "Honors"),
)
COURSE_NAME_DEFAULT_LEVEL = "General"


def course_level_of_name(name: str) -> str:
    """The course level a course's name says (`COURSE_NAME_LEVELS`), General when it says none."""
    key = code_key(name)
    return next((level for pattern, level in COURSE_NAME_LEVELS if re.search(pattern, key)), COURSE_NAME_DEFAULT_LEVEL)


SUBJECT_CODES = _keys(
    {
        "Math": ("Mathematics", "MA", "MATH", "Maths"),
        "Reading": ("ELA", "English Language Arts", "English/Language Arts", "Reading/ELA", "RLA", "RD"),
        "Science": ("SCI", "Sci"),
        "Writing": ("WR", "Wrtg", "Writing", "WRT"),
        "Social studies": ("SS", "Social Studies", "Soc", "Social science", "History"),
    }
)

DISABILITY_CATEGORIES = (
    "Autism",
    "Emotional disturbance",
    "Intellectual disability",
    "Other health impairment",
    "Specific learning disability",
    "Speech or language impairment",
    "Other disabilities",
)
DISABILITY_CATEGORY_CODES = _keys(
    {
        "Autism": ("AUT", "Autism spectrum disorder", "ASD"),
        "Emotional disturbance": ("ED", "EBD", "Emotional disability", "Emotional behavioral disability",
                                  "Serious emotional disturbance", "SED"),
        "Intellectual disability": ("ID", "Intellectual disabilities", "Mental retardation", "MR", "CD",
                                    "Cognitive disability"),
        "Other health impairment": ("OHI", "Other health impaired"),
        "Specific learning disability": ("SLD", "LD", "Learning disability", "Specific learning disabilities"),
        "Speech or language impairment": ("SLI", "SI", "Speech/language impairment", "Speech impairment",
                                          "Language impairment", "Speech or language impaired"),
        "Other disabilities": ("DD", "Developmental delay", "HI", "Hearing impairment", "VI", "Visual impairment",
                               "OI", "Orthopedic impairment", "TBI", "Traumatic brain injury", "MD",
                               "Multiple disabilities", "DB", "Deaf-blindness", "Deafness"),
    }
)

PLACEMENTS = (
    "Regular class 80% or more",
    "Regular class 40-79%",
    "Regular class less than 40%",
    "Separate school or residential facility",
)
PLACEMENT_CODES = _keys(
    {
        "Regular class 80% or more": ("RC80", "Inside regular class 80% or more of the day", ">=80%", "80% or more"),
        "Regular class 40-79%": ("RC40", "RC4079", "Inside regular class 40% through 79% of the day", "40-79%"),
        "Regular class less than 40%": ("RC39", "RCL40", "Inside regular class less than 40% of the day",
                                        "<40%", "Less than 40%"),
        "Separate school or residential facility": ("SS", "Separate school", "Residential facility", "SSRF",
                                                    "Separate school/residential facility"),
    }
)

INTERVENTIONS = ("Tier 2", "Tier 3", "Special education referral", "Gifted screening")
INTERVENTION_CODES = _keys(
    {
        "Tier 2": ("MTSS Tier 2", "RTI Tier 2", "T2", "Tier II"),
        "Tier 3": ("MTSS Tier 3", "RTI Tier 3", "T3", "Tier III"),
        "Special education referral": ("SPED referral", "Sped Referral", "Referral for evaluation",
                                       "Special ed referral", "IEP referral"),
        "Gifted screening": ("GT screening", "Gifted referral", "GATE screening", "Gifted and talented screening"),
    }
)

ROLE_CODES = _keys(
    {
        "Teacher": ("TCH", "Classroom teacher", "Teachers"),
        "Administrator": ("ADM", "Admin", "Principal", "Assistant principal", "AP (administrator)"),
        "Counselor": ("CNS", "School counselor", "Guidance counselor"),
        "Paraprofessional": ("Para", "Instructional aide", "Aide"),
        "Support staff": ("Support", "Classified", "Other staff"),
    }
)

STAGES = ("Applied", "Interviewed", "Offered", "Hired")
STAGE_CODES = _keys({s: () for s in STAGES} | {"Offered": ("Offer", "Offer extended"), "Hired": ("Hire", "Accepted")})

RESPONDENT_TYPE_CODES = _keys(
    {"Student": ("Students", "S"), "Family": ("Parent", "Parents", "Families", "Guardian", "P"),
     "Staff": ("Teacher", "Employee", "E")}
)

SCHOOL_LEVEL_CODES = _keys(
    {"Elementary": ("ES", "Elem", "Elementary school"), "Middle": ("MS", "Middle school", "Junior high"),
     "High": ("HS", "High school")}
)

# What an aggregated count counts (a state report card column, a CRDC column family): students enrolled,
# or students with at least one of an event. The canonical names are the analysis flags of facts.py.
COUNT_MEASURES = ("enrollment", "iss", "oss", "expulsion", "law_enforcement_referral", "school_arrest", "ap", "ib",
                  "dual_credit", "gifted")
COUNT_MEASURE_CODES = _keys(
    {
        "enrollment": ("Enrolled", "Enrolment", "Membership", "Students enrolled", "Total enrollment", "ENR"),
        "iss": ("In-school suspension", "In-school suspensions", "Students with ISS"),
        "oss": ("Out-of-school suspension", "Out-of-school suspensions", "Students with OSS", "Suspended"),
        "expulsion": ("Expulsions", "Expelled"),
        "law_enforcement_referral": ("Law enforcement referral", "Referred to law enforcement", "Referrals to law enforcement"),
        "school_arrest": ("School-related arrest", "School-related arrests", "Arrested", "Arrests"),
        "ap": ("AP enrollment", "AP", "Advanced Placement", "Enrolled in AP"),
        "ib": ("IB enrollment", "International Baccalaureate"),
        "dual_credit": ("Dual enrollment", "Dual credit enrollment", "Dual credit"),
        "gifted": ("Gifted", "Gifted and talented", "GT", "GATE", "Gifted identification"),
    }
)

# The student group of a published aggregate (a graduation file's "Demographic" column): all students, a race
# (written as a word: one-letter codes are not read here), a sex, English learners or not, students with
# disabilities or not, low income or not; the canonical values are the labels the analysis tables show.
ALL_STUDENTS = "All students"
STUDENT_GROUP_CODES: dict[str, str] = {
    **{key: race for key, race in RACE_CODES.items() if len(key) > 2 and race != UNKNOWN},
    **_keys({
        ALL_STUDENTS: ("Total Cohort", "Total", "All", "All Students", "Total Students", "Everyone", "Cohort total",
                       "District total", "School total", "All Grads", "Overall"),
        "Female": ("Females", "Girls"), "Male": ("Males", "Boys"),
        "English learners": ("English Language Learners", "English Learner", "ELL", "ELLs", "EL", "LEP",
                             "Limited English Proficient", "Current ELL", "Multilingual learners"),
        "Not English learners": ("English Proficient Students", "English Proficient", "Non ELL", "Non-ELL",
                                 "Not ELL", "Non English Learners", "Non-English Learners", "Not EL", "Non-LEP",
                                 "Never ELL"),
        "Students with disabilities": ("Special Education Students", "Special Education", "SWD", "IEP",
                                       "Students with IEPs", "Students with Disability", "With Disability"),
        "Students without disabilities": ("General Education Students", "General Education", "Non-SWD",
                                          "Not SWD", "Students without Disability", "Without Disability"),
        "Low income": ("Economically Disadvantaged", "Econ Disadv", "Low-income", "Poverty", "FRL"),
        "Not low income": ("Not Economically Disadvantaged", "Non-Economically Disadvantaged", "Not low-income",
                           "Non-poverty", "Non-FRL"),
    }),
}

# Name of each code list, as used in schema.Field.codes.
CODE_LISTS: dict[str, dict[str, object]] = {
    "race": RACE_CODES,
    "sex": SEX_CODES,
    "flag": FLAG_CODES,
    "proficiency": PROFICIENCY_CODES,
    "proficiency_level": PROFICIENCY_LEVEL_CODES,
    "low_income": LOW_INCOME_CODES,
    "el_status": EL_STATUS_CODES,
    "iep_status": IEP_STATUS_CODES,
    "grade": GRADE_CODES,
    "action": ACTION_CODES,
    "offense_category": OFFENSE_CATEGORY_CODES,
    "course_level": COURSE_LEVEL_CODES,
    "subject": SUBJECT_CODES,
    "disability_category": DISABILITY_CATEGORY_CODES,
    "placement": PLACEMENT_CODES,
    "intervention": INTERVENTION_CODES,
    "role": ROLE_CODES,
    "stage": STAGE_CODES,
    "respondent_type": RESPONDENT_TYPE_CODES,
    "school_level": SCHOOL_LEVEL_CODES,
    "count_measure": COUNT_MEASURE_CODES,
    "student_group": STUDENT_GROUP_CODES,
}


def normalise_school_year(value: str) -> str | None:
    """A school year as a data file writes it: `school_year.parse_school_year`, where a single year ('2024')
    also means the school year ending then ('2023-24')."""
    return parse_school_year(value, single_year=True)


def lookup(code_list: str, value: str | None) -> object | None:
    """Canonical value of one raw code (None when unknown or missing). For tests and small lists only."""
    if value is None:
        return None
    return CODE_LISTS[code_list].get(code_key(value))
