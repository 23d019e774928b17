"""The sample district's listening sessions: coded excerpts from eight invented sessions held in 2024-25 with
students, families, teachers and support staff (`listening_sessions.csv`, kind `excerpts`).

Every participant, name and sentence is made up to show the tool; none describes a real person or a real
district. The sentences are short composites of what equity listening sessions commonly raise (belonging,
communication with families, course access, fairness of discipline, safety, staff who reflect the students,
transportation, counselors). Some themes are built to differ by group on purpose (Black and Hispanic
participants raise discipline fairness and belonging more often; families raise communication), and a few
groups are small on purpose (American Indian participants, participants who declined to give their race, the
Westbrook session) so that the privacy rules have something to hide. Some excerpts start with the speaker's
name ("Marisol: ...") or mention a participant ID, as real transcripts do, to show what is stripped.

Deterministic: one numpy stream of the sample's seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_metrics.ingest.mapping import Mapping

__all__ = ["LISTENING_FILE", "LISTENING_MAPPING", "listening_sessions"]

LISTENING_FILE = "listening_sessions.csv"
LISTENING_MAPPING = Mapping("excerpts", {
    "school_year": "School Year", "session": "Session", "participant_id": "Participant ID",
    "participant_name": "Speaker", "role": "Role", "race": "Race/Ethnicity", "school": "School",
    "excerpt_id": "Excerpt ID", "excerpt": "Excerpt", "theme": "Codes"})

SESSIONS = (  # session, school, roles invited, participants
    ("Central High student forum", "Central High School", ("Student",), 34),
    ("North Valley family night", "North Valley High School", ("Parent/guardian",), 30),
    ("Jefferson Middle family listening session", "Jefferson Middle School", ("Parent/guardian", "Student"), 28),
    ("Eastside Middle student circle", "Eastside Middle School", ("Student",), 24),
    ("Westbrook Middle coffee morning", "Westbrook Middle School", ("Parent/guardian",), 7),
    ("Educators of color focus group", "North Valley High School", ("Teacher",), 14),
    ("District teacher listening session", "Central High School", ("Teacher",), 18),
    ("Support staff listening session", "Jefferson Middle School", ("Support staff",), 12),
)
RACES = ("Hispanic/Latino", "Black/African American", "White", "Asian", "Two or More Races",
         "American Indian/Alaska Native", "")
RACE_SHARES = (0.32, 0.25, 0.27, 0.08, 0.04, 0.02, 0.02)
FIRST_NAMES = ("Marisol", "Devon", "Keisha", "Tomas", "Lena", "Aaron", "Priya", "Jamal", "Rosa", "Ethan", "Imani",
               "Luis", "Grace", "Malik", "Sofia", "Owen", "Nia", "Mateo", "Hannah", "Andre", "Mei", "Caleb", "Yesenia",
               "Isaiah")
LAST_NAMES = ("Alvarado", "Brooks", "Chen", "Dawson", "Estrada", "Fulton", "Greer", "Holloway", "Ibarra", "Jennings",
              "Kowalski", "Lindqvist", "Monroe", "Nakamura", "Ortega", "Pryor")

THEMES = ("Belonging", "Communication with families", "Course access", "Discipline fairness", "Safety",
          "Staff who reflect students", "Transportation", "Counselor access")
# How often (relative) each group raises each theme, by race (row order of RACES) and by role.
_RACE_WEIGHT = {
    "Belonging": (1.6, 1.8, 0.8, 1.2, 1.2, 1.5, 1.0),
    "Discipline fairness": (1.5, 2.4, 0.5, 0.6, 1.0, 1.5, 1.0),
    "Staff who reflect students": (1.4, 1.6, 0.4, 1.2, 1.0, 1.5, 1.0),
    "Course access": (1.3, 1.4, 0.8, 0.7, 1.0, 1.0, 1.0),
}
_ROLE_WEIGHT = {
    "Student": {"Belonging": 2.0, "Course access": 1.8, "Safety": 1.4, "Communication with families": 0.3},
    "Parent/guardian": {"Communication with families": 2.6, "Transportation": 1.6, "Counselor access": 1.2},
    "Teacher": {"Staff who reflect students": 1.8, "Discipline fairness": 1.3, "Transportation": 0.4},
    "Support staff": {"Safety": 1.6, "Communication with families": 1.4, "Course access": 0.4},
}
_SAYINGS = {  # per theme: two things a student says, then two an adult (family or staff) says
    "Belonging": ("I don't always feel like this school was built for kids like me.",
                  "When a teacher says my name right, it actually matters to me.",
                  "My child says nobody at lunch looks like her, and she eats in the library now.",
                  "The clubs seem to have their people already, and our kids stop trying to join."),
    "Communication with families": ("My mom only finds out about things after they happen.",
                                    "The school emails go to an address my family never checks.",
                                    "Most of the messages come in English only, so I find out late.",
                                    "We would come to conferences if they were not in the middle of the workday."),
    "Course access": ("Nobody told me I could take AP; my friends were just put in it.",
                      "I was put in the regular track even though my grades were the same as theirs.",
                      "The honors class was full before the counselor even met with my son.",
                      "We need the advanced classes at our school, not only across town."),
    "Discipline fairness": ("Two of us did the same thing and only I got sent home.",
                            "Defiance can mean anything, and it seems to mean us more often.",
                            "Some students get a warning and some get a referral for the same talk-back.",
                            "We need restorative options before a suspension, every time, for every kid."),
    "Safety": ("The hallways between periods are where things happen.",
               "I feel safe in class, but not at the bus stop after practice.",
               "There are not enough adults outside at dismissal.",
               "Students hear about fights on social media before any adult knows anything."),
    "Staff who reflect students": ("I had my first Black teacher in tenth grade.",
                                   "None of my teachers speak Spanish, so my parents can't talk to them.",
                                   "Hiring panels keep looking the same, so the hires do too.",
                                   "I am the only teacher of color in my department and I get asked to handle everything."),
    "Transportation": ("The late bus stopped running, so I can't stay for tutoring.",
                       "It takes me an hour each way from our side of town.",
                       "If you live past the river there is no activity bus at all.",
                       "Field trips cost a bus fee that some families cannot pay."),
    "Counselor access": ("I have met my counselor once, for five minutes, about my schedule.",
                         "Nobody talked to us about college until senior year.",
                         "The counselor is shared with another school, so she is only here two days.",
                         "Students wait weeks to see someone when they are struggling."),
}


def _participants(rng: np.random.Generator) -> pd.DataFrame:
    """Every participant: session, school, role, race, name and ID (P-001 ...)."""
    frames = []
    for session, school, roles, size in SESSIONS:
        frames.append(pd.DataFrame({"session": session, "school": school,
                                    "role": rng.choice(np.array(roles), size),
                                    "race": rng.choice(len(RACES), size, p=RACE_SHARES)}))
    people = pd.concat(frames, ignore_index=True)
    n = len(people)
    first = rng.choice(np.array(FIRST_NAMES), n)
    last = rng.choice(np.array(LAST_NAMES), n)
    return people.assign(participant=[f"P-{i + 1:03d}" for i in range(n)],
                         name=np.char.add(np.char.add(first, " "), last), first=first)


def _theme_weights(people: pd.DataFrame) -> np.ndarray:
    """Participants x themes: how likely each participant is to raise each theme."""
    weights = np.ones((len(people), len(THEMES)))
    race = people["race"].to_numpy()
    for j, theme in enumerate(THEMES):
        if theme in _RACE_WEIGHT:
            weights[:, j] *= np.asarray(_RACE_WEIGHT[theme])[race]
        weights[:, j] *= people["role"].map(lambda r, t=theme: _ROLE_WEIGHT[r].get(t, 1.0)).to_numpy()
    return weights / weights.sum(axis=1, keepdims=True)


def listening_sessions(rng: np.random.Generator) -> pd.DataFrame:
    """The coded excerpts file: one row per excerpt, its codes in one column separated by '; '."""
    people = _participants(rng)
    weights = _theme_weights(people)
    count = rng.integers(1, 4, len(people))  # 1 to 3 excerpts each
    owner = np.repeat(np.arange(len(people)), count)
    n = owner.size
    cumulative = weights[owner].cumsum(axis=1)
    first = (rng.random((n, 1)) < cumulative).argmax(axis=1)
    second = (rng.random((n, 1)) < cumulative).argmax(axis=1)
    coded_twice = (rng.random(n) < 0.3) & (second != first)
    adult = (people["role"].to_numpy()[owner] != "Student") * 2
    saying = rng.integers(0, 2, n) + adult
    text = np.array([_SAYINGS[THEMES[t]][s] for t, s in zip(first, saying, strict=True)], dtype=object)
    extra = np.array([_SAYINGS[THEMES[t]][s ^ 1] for t, s in zip(second, saying, strict=True)], dtype=object)
    text = np.where(coded_twice, text + " " + extra, text)
    labelled = rng.random(n) < 0.2  # the transcript's speaker label: "Marisol: ..."
    text = np.where(labelled, people["first"].to_numpy()[owner] + ": " + text, text)
    with_id = rng.random(n) < 0.05  # a note-taker's reference to the participant
    text = np.where(with_id, text + " (" + people["participant"].to_numpy()[owner] + ")", text)
    codes = np.where(coded_twice, np.char.add(np.char.add(np.array(THEMES)[first], "; "), np.array(THEMES)[second]),
                     np.array(THEMES)[first])
    return pd.DataFrame({
        "School Year": "2024-25",
        "Session": people["session"].to_numpy()[owner],
        "Excerpt ID": [f"E-{i + 1:04d}" for i in range(n)],
        "Participant ID": people["participant"].to_numpy()[owner],
        "Speaker": people["name"].to_numpy()[owner],
        "Role": people["role"].to_numpy()[owner],
        "Race/Ethnicity": np.array(RACES)[people["race"].to_numpy()[owner]],
        "School": people["school"].to_numpy()[owner],
        "Excerpt": text,
        "Codes": codes,
    })
