"""Equity impact assessments: a proposed decision (a policy, program, budget or schedule change) weighed before
it is made, kept in the store beside the goals that will monitor it.

The questions follow Race Forward's Racial Equity Impact Assessment, as districts such as Evanston/Skokie
District 65 and Seattle Public Schools use it: the proposal and its aims, who is affected, what the data show
for them, who benefits or is burdened, how they were engaged, how harm is mitigated, and how the results are
monitored. The app fills in the current figures for the groups and schools affected (`impact_figures`); the
answers are the user's own text, stored as given and escaped wherever shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from equity_metrics.core.constants import DIMENSIONS
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.storage.store import Store, quote_identifier
from equity_metrics.storage.user_tables import IMPACT_TABLE

__all__ = ["DECISION_KINDS", "QUESTIONS", "ImpactAssessment", "ImpactNotFoundError", "Question", "delete_assessment",
           "get_assessment", "linked_goal_ids", "list_assessments", "save_assessment", "validate"]

DECISION_KINDS = ("policy", "program", "budget", "schedule", "other")
_TITLE_LIMIT = 200
_ANSWER_LIMIT = 10_000


@dataclass(frozen=True)
class Question:
    """One of the standard questions: `key` (stored), the question and what a good answer covers."""

    key: str
    text: str
    prompt: str


QUESTIONS: tuple[Question, ...] = (
    Question("proposal", "What is the proposal, and what results should it bring?",
             "The decision in a sentence or two, and the outcomes it is meant to change."),
    Question("affected", "Who is affected?",
             "Which students, families, staff and schools; the groups and schools chosen below are filled in."),
    Question("data", "What do the data show for them?",
             "The current figures are filled in below; add what else is known (surveys, listening sessions)."),
    Question("benefits_burdens", "Who benefits, and who is burdened?",
             "Which groups gain and which bear costs or risks, directly or as an unintended consequence."),
    Question("engagement", "How were the people affected engaged?",
             "Who was asked, how, in which languages, and what they said."),
    Question("mitigation", "How will harm be prevented or mitigated?",
             "Changes to the proposal, supports or safeguards for the groups that could be burdened."),
    Question("monitoring", "How will the results be monitored, and by whom?",
             "The measures, the goals linked below, who reports and when."),
)
_KEYS = tuple(q.key for q in QUESTIONS)


class ImpactNotFoundError(KeyError):
    """No stored assessment has that number."""


@dataclass(frozen=True)
class ImpactAssessment:
    """One assessment. `schools` empty: the whole district. `groups`: values of `dimension` most affected (empty:
    every group). `indicators`: the indicators whose current figures are filled in. `goal_ids`: the goals that
    monitor it. `answers`: question key -> the user's text."""

    title: str
    decision_kind: str = "policy"
    school_year: str | None = None
    schools: tuple[str, ...] = ()
    dimension: str = "race"
    groups: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    goal_ids: tuple[int, ...] = ()
    answers: Mapping[str, str] = field(default_factory=dict)
    assessment_id: int | None = None
    updated_at: datetime | None = None

    def answer(self, key: str) -> str:
        return str(self.answers.get(key, ""))


def validate(assessment: ImpactAssessment) -> ImpactAssessment:
    """The assessment with its text trimmed, or ValueError naming what is wrong."""
    title = assessment.title.strip()
    if not title:
        raise ValueError("an impact assessment needs a title: the decision it weighs")
    if len(title) > _TITLE_LIMIT:
        raise ValueError(f"the title is {len(title)} characters long; keep it under {_TITLE_LIMIT}")
    if assessment.decision_kind not in DECISION_KINDS:
        raise ValueError(f"decision kind {assessment.decision_kind!r}: use one of {', '.join(DECISION_KINDS)}")
    if assessment.dimension not in DIMENSIONS:
        raise ValueError(f"unknown group dimension {assessment.dimension!r}")
    unknown = [i for i in assessment.indicators if i not in INDICATORS]
    if unknown:
        raise ValueError(f"unknown indicator {', '.join(unknown)}")
    extra = [k for k in assessment.answers if k not in _KEYS]
    if extra:
        raise ValueError(f"unknown question {', '.join(extra)}; the questions are {', '.join(_KEYS)}")
    answers = {k: str(v).strip() for k, v in assessment.answers.items() if str(v).strip()}
    long = [k for k, v in answers.items() if len(v) > _ANSWER_LIMIT]
    if long:
        raise ValueError(f"the answer to {long[0]!r} is over {_ANSWER_LIMIT:,} characters")
    return replace(assessment, title=title, answers=answers, schools=tuple(dict.fromkeys(assessment.schools)),
                   groups=tuple(dict.fromkeys(assessment.groups)), indicators=tuple(dict.fromkeys(assessment.indicators)),
                   goal_ids=tuple(dict.fromkeys(int(g) for g in assessment.goal_ids)))


_TABLE = quote_identifier(IMPACT_TABLE)


def _body(assessment: ImpactAssessment) -> str:
    return json.dumps({"decision_kind": assessment.decision_kind, "school_year": assessment.school_year,
                       "schools": list(assessment.schools), "dimension": assessment.dimension,
                       "groups": list(assessment.groups), "indicators": list(assessment.indicators),
                       "goal_ids": list(assessment.goal_ids), "answers": dict(assessment.answers)},
                      ensure_ascii=False, sort_keys=True)


def _of(assessment_id: int, title: str, body: str, updated_at: datetime | None) -> ImpactAssessment:
    data = json.loads(body)
    return ImpactAssessment(title=title, decision_kind=str(data.get("decision_kind", "other")),
                            school_year=data.get("school_year"), schools=tuple(data.get("schools", ())),
                            dimension=str(data.get("dimension", "race")), groups=tuple(data.get("groups", ())),
                            indicators=tuple(i for i in data.get("indicators", ()) if i in INDICATORS),
                            goal_ids=tuple(int(g) for g in data.get("goal_ids", ())),
                            answers={k: str(v) for k, v in dict(data.get("answers", {})).items() if k in _KEYS},
                            assessment_id=int(assessment_id), updated_at=updated_at)


def list_assessments(store: Store) -> list[ImpactAssessment]:
    """Every stored assessment, by number."""
    if not store.table_exists(IMPACT_TABLE):
        return []
    rows = store.cursor().execute(f"SELECT assessment_id, title, body_json, updated_at FROM {_TABLE} "
                                  "ORDER BY assessment_id").fetchall()
    return [_of(*row) for row in rows]


def get_assessment(store: Store, assessment_id: int) -> ImpactAssessment:
    for assessment in list_assessments(store):
        if assessment.assessment_id == assessment_id:
            return assessment
    raise ImpactNotFoundError(f"there is no impact assessment {assessment_id}")


def save_assessment(store: Store, assessment: ImpactAssessment) -> ImpactAssessment:
    """Store the assessment (validated): a number that exists is replaced, else the next free number is used."""
    checked = validate(assessment)
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.transaction() as cursor:
        number = checked.assessment_id
        if number is None:
            number = int(cursor.execute(f"SELECT coalesce(max(assessment_id), 0) + 1 FROM {_TABLE}").fetchone()[0])
        cursor.execute(f"DELETE FROM {_TABLE} WHERE assessment_id = ?", [number])
        cursor.execute(f"INSERT INTO {_TABLE} (assessment_id, title, body_json, updated_at) VALUES (?, ?, ?, ?)",
                       [number, checked.title, _body(checked), now])
    return replace(checked, assessment_id=number, updated_at=now)


def delete_assessment(store: Store, assessment_id: int) -> None:
    with store.transaction() as cursor:
        cursor.execute(f"DELETE FROM {_TABLE} WHERE assessment_id = ?", [int(assessment_id)])


def linked_goal_ids(assessments: Sequence[ImpactAssessment]) -> set[int]:
    """Every goal some assessment links to."""
    return {g for a in assessments for g in a.goal_ids}
