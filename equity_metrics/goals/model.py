"""Goals and progress monitoring: targets the district sets, stored in the store, measured against the data.

A goal names an indicator, a student group, a scope (the district or one school), a comparison, a measure and
a target value for a target school year ("risk ratio for out-of-school suspension of Black students 2.00 or
lower by 2027-28"), with an owner, the action or strategy it belongs to and a note. Its progress is recomputed
from the stored data every time (so next year's files update every goal with no extra work), through
`analysis.rates` / `analysis.gaps`, so suppression applies: a hidden or uncalculated value makes that year
*not measurable*, with the library's note as the reason.

Status, about the latest school year with the indicator's data: **met** (the target is reached), **on track**
(at least as good as the straight path from the baseline to the target in that year), **off track**, or
**not measurable**. Values are in the measure's unit: risk ratios as ratios, rates in percent, gaps in
percentage points (rates) or the indicator's unit (scores), oriented so that a positive gap means the group
is worse off than its comparison. The `predictor` measure (goal_predictor) is how much a dimension predicts
the indicator district-wide (Cramér's V or eta squared, from `analysis.association_by_year`), with no group or
comparison. Goals are exported and imported as CSV (every row validated, all or nothing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from equity_metrics.core.codes import lookup
from equity_metrics.core.constants import DIMENSIONS, GROUP_DIMENSIONS
from equity_metrics.core.school_year import parse_school_year, year_start
from equity_metrics.goals import goal_predictor
from equity_metrics.measures import rules
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.indicators import INDICATORS, Indicator, get_indicator
from equity_metrics.measures.metrics import ALL_OTHERS, MetricOptions
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import Store

STATUS_MET = "met"
STATUS_ON_TRACK = "on track"
STATUS_OFF_TRACK = "off track"
STATUS_NOT_MEASURABLE = "not measurable"
STATUSES = (STATUS_MET, STATUS_ON_TRACK, STATUS_OFF_TRACK, STATUS_NOT_MEASURABLE)

MOVEMENT_IMPROVED = "improved"
MOVEMENT_WORSENED = "worsened"
MOVEMENT_UNCHANGED = "unchanged"

COMPARE_DECIMALS = 10  # values are compared rounded, as the IDEA flags are (2.9999999999999996 counts as 3)
IDEA_RULE = rules.MultiYearRule()  # risk ratio > 3.0 in each of the last 3 years; reasonable progress over 2
MAX_TEXT_LENGTH = 1000  # owner, strategy and note
DISTRICT = "District"
SCHOOL_YEAR_EXAMPLE = "2027-28"

# What each goal CSV column holds, in file order (the export writes exactly these; the import reads them).
CSV_COLUMNS: dict[str, str] = {
    "goal_id": "goal number (blank for a new goal; an existing number updates that goal)",
    "indicator_id": "indicator id (python -m equity_metrics indicators)",
    "dimension": "student-group dimension: " + ", ".join(GROUP_DIMENSIONS),
    "group_value": "the group, e.g. Black or African American (blank for the predictor measure)",
    "school": "school name or code (blank: the whole district)",
    "comparison": f"{ALL_OTHERS} (blank) or a group of the same dimension, e.g. White (blank for predictor)",
    "measure": "risk_ratio, rate, rate_gap (rate indicators), score_gap (mean indicators) or predictor (either: "
               "how much the dimension predicts the outcome, Cramér's V or eta squared, district-wide)",
    "baseline_year": "school year of the baseline, e.g. 2022-23 (blank: the first year with a value)",
    "target_value": "target in the measure's unit (ratio, percent, percentage points, score points, or Cramér's V "
                    "/ eta squared from 0 to 1)",
    "target_year": f"school year by which the target should be reached, e.g. {SCHOOL_YEAR_EXAMPLE}",
    "owner": "who is responsible",
    "strategy": "the action or strategy the goal belongs to",
    "note": "anything else",
}
REQUIRED_CSV_COLUMNS = ("indicator_id", "dimension", "group_value", "measure", "target_value", "target_year")
_TEXT_COLUMNS = ("owner", "strategy", "note")

# The per-year progress table (GoalProgress.years) and the one-row-per-goal table (goals_table, the CLI).
YEAR_COLUMNS = ("school_year", "value", "ci_low", "ci_high", "path_value", "target_value", "status", "note")
GOAL_TABLE_COLUMNS = (
    "goal_id", "indicator_id", "indicator", "dimension", "group_value", "school", "comparison", "measure", "unit",
    "baseline_year", "baseline_value", "target_value", "target_year", "status_year", "value", "path_value",
    "status", "reason", "previous_year", "previous_value", "movement", "idea_above_threshold_each_year",
    "idea_reasonable_progress", "owner", "strategy", "note",
)


@dataclass(frozen=True)
class Measure:
    """How a goal reads a group's row of a result table: which column, scaled to which unit, and whether it
    is a gap oriented so that a positive value means the group is worse off than its comparison. A measure
    `across_groups` is about every group of the dimension at once (goal_predictor): no group, no comparison."""

    id: str
    label: str
    indicator_kind: str  # "rate" (analysis.rates), "mean" (analysis.gaps) or ANY_KIND
    column: str
    scale: float = 1.0
    interval: tuple[str, str] | None = None
    gap: bool = False
    across_groups: bool = False

    def unit(self, indicator: Indicator) -> str:
        if self.across_groups:
            return goal_predictor.unit(indicator)
        if self.id == "risk_ratio":
            return "ratio"
        if self.id == "rate":
            return "percent"
        if self.id == "rate_gap":
            return "percentage points"
        return indicator.unit or "points"


ANY_KIND = "any"  # a measure for rate and mean indicators alike
MEASURES: dict[str, Measure] = {m.id: m for m in (
    Measure("risk_ratio", "Risk ratio", "rate", "risk_ratio", 1.0, ("risk_ratio_ci_low", "risk_ratio_ci_high")),
    Measure("rate", "Rate (percent)", "rate", "rate", 100.0, ("rate_ci_low", "rate_ci_high")),
    Measure("rate_gap", "Rate gap (percentage points)", "rate", "rate_difference", 100.0, gap=True),
    Measure("score_gap", "Score gap", "mean", "mean_difference", 1.0, gap=True),
    Measure(goal_predictor.PREDICTOR, goal_predictor.PREDICTOR_LABEL, ANY_KIND, "", across_groups=True),
)}


def measures_for(indicator: Indicator) -> list[Measure]:
    """The measures a goal on this indicator can use (rates: ratio, rate, gap; means: the score gap; both: how
    much the group predicts it)."""
    return [m for m in MEASURES.values() if m.indicator_kind in (indicator.kind, ANY_KIND)]


def lower_is_better(measure: Measure, indicator: Indicator) -> bool:
    """Gaps are oriented so lower is always better, and so is how much the group predicts the outcome; a
    ratio or rate follows the indicator's direction."""
    return True if measure.gap or measure.across_groups else indicator.higher_is_worse


@dataclass(frozen=True)
class Goal:
    """One goal, as stored. `school` None is the whole district; `baseline_year` None is the first year with
    a value; `target_value` is in the measure's unit (see `Measure.unit`)."""

    indicator_id: str
    dimension: str
    group_value: str
    measure: str
    target_value: float
    target_year: str
    comparison: str = ALL_OTHERS
    school: str | None = None
    baseline_year: str | None = None
    owner: str = ""
    strategy: str = ""
    note: str = ""
    goal_id: int | None = None
    created_at: datetime | None = None

    @property
    def indicator(self) -> Indicator:
        return get_indicator(self.indicator_id)

    @property
    def scope(self) -> str:
        return self.school or DISTRICT

    @property
    def options(self) -> MetricOptions:
        return MetricOptions(comparison=self.comparison)

    @property
    def filters(self) -> Filters:
        return Filters(schools=(self.school,) if self.school else ())


class GoalError(ValueError):
    """A goal that cannot be stored: `problems` pairs each column (field) with what is wrong with it."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{column}: {message}" for column, message in self.problems))


class GoalImportError(ValueError):
    """A goals CSV that was not imported (nothing was stored); `messages` names each row and column."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = tuple(messages)
        super().__init__(" ".join(self.messages))


class GoalNotFoundError(LookupError):
    """No goal with that number."""


@dataclass(frozen=True)
class GoalContext:
    """What validation checks goals against: the schools in the loaded data (name or code -> name)."""

    schools: Mapping[str, str] = field(default_factory=dict)

    def school_name(self, value: str) -> str | None:
        return self.schools.get(value.strip().casefold())


def goal_context(store: Store) -> GoalContext:
    """The schools in the student data, by name and by code."""
    if not store.table_exists("facts_student_year"):
        return GoalContext()
    rows = store.query("SELECT DISTINCT school_id, school FROM facts_student_year WHERE school IS NOT NULL")
    schools: dict[str, str] = {}
    for school_id, school in zip(rows["school_id"], rows["school"], strict=True):
        schools[str(school).casefold()] = str(school)
        if school_id is not None and str(school_id).casefold() not in schools:
            schools[str(school_id).casefold()] = str(school)
    return GoalContext(schools)


def _group_value(dimension: str, raw: str) -> str | None:
    """The dimension's label for a value written by hand ('black' -> 'Black or African American')."""
    labels = DIMENSIONS[dimension].values
    for label in labels:
        if label.casefold() == raw.strip().casefold():
            return label
    if dimension in ("race", "sex"):
        found = lookup(dimension, raw)
        return str(found) if found in labels else None
    return None


def _check_groups(goal: Goal, indicator: Indicator | None, problems: list[tuple[str, str]],
                  across_groups: bool = False) -> tuple[str | None, str | None]:
    """The dimension, group and comparison: the group's and the comparison's labels, or None (with a problem).
    A measure across groups has neither (goal_predictor.check says when one is given)."""
    source_dims = SOURCES[indicator.source].dimensions if indicator else GROUP_DIMENSIONS
    if goal.dimension not in GROUP_DIMENSIONS:
        problems.append(("dimension", f"{goal.dimension!r} is not a student-group dimension; use one of "
                                      f"{', '.join(GROUP_DIMENSIONS)}"))
        return None, None
    if goal.dimension not in source_dims:
        problems.append(("dimension", f"{indicator.label} cannot be split by {goal.dimension}; use one of "
                                      f"{', '.join(d for d in GROUP_DIMENSIONS if d in source_dims)}"))
        return None, None
    if across_groups:
        return "", ALL_OTHERS
    group = _group_value(goal.dimension, goal.group_value)
    if group is None:
        problems.append(("group_value", f"{goal.group_value!r} is not a group of {goal.dimension}; use one of "
                                        f"{', '.join(DIMENSIONS[goal.dimension].values)}"))
    if goal.comparison.strip().casefold() in ("", ALL_OTHERS, "all other students", "all others"):
        return group, ALL_OTHERS
    comparison = _group_value(goal.dimension, goal.comparison)
    if comparison is None:
        problems.append(("comparison", f"{goal.comparison!r} is neither {ALL_OTHERS} nor a group of {goal.dimension}"))
    elif comparison == group:
        problems.append(("comparison", "a group cannot be compared with itself"))
    return group, comparison


def _check_target(value: object, measure: Measure | None, problems: list[tuple[str, str]]) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(("target_value", "the target must be a number"))
    elif measure is not None and measure.id == "risk_ratio" and value <= 0:
        problems.append(("target_value", "a risk ratio target must be above 0"))
    elif measure is not None and measure.id == "rate" and not 0 <= value <= 100:
        problems.append(("target_value", "a rate target is a percent from 0 to 100"))
    elif measure is not None and measure.id == "rate_gap" and not -100 <= value <= 100:
        problems.append(("target_value", "a rate gap is in percentage points, from -100 to 100"))


def _check_years(goal: Goal, problems: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    """The baseline and target years, normalised (None where missing or unreadable, with a problem)."""
    target_year = parse_school_year(goal.target_year)
    if target_year is None:
        problems.append(("target_year", f"{goal.target_year!r} is not a school year (write it like "
                                        f"{SCHOOL_YEAR_EXAMPLE})"))
    if goal.baseline_year is None or not goal.baseline_year.strip():
        return None, target_year
    baseline_year = parse_school_year(goal.baseline_year)
    if baseline_year is None:
        problems.append(("baseline_year", f"{goal.baseline_year!r} is not a school year (write it like 2022-23)"))
    elif target_year is not None and year_start(target_year) < year_start(baseline_year):
        problems.append(("target_year", f"the target year {target_year} is before the baseline year {baseline_year}"))
    return baseline_year, target_year


def _problems(goal: Goal, context: GoalContext) -> tuple[Goal, list[tuple[str, str]]]:
    """Check every field of a goal (values normalised where they can be); the goal and what is wrong."""
    problems: list[tuple[str, str]] = []
    indicator = INDICATORS.get(goal.indicator_id)
    if indicator is None:
        problems.append(("indicator_id", f"{goal.indicator_id!r} is not an indicator (see `python -m equity_metrics "
                                         "indicators`)"))
    measure = MEASURES.get(goal.measure)
    across = measure is not None and measure.across_groups
    group, comparison = _check_groups(goal, indicator, problems, across)
    if measure is None:
        problems.append(("measure", f"{goal.measure!r} is not a measure; use one of {', '.join(MEASURES)}"))
    elif indicator is not None and measure not in measures_for(indicator):
        problems.append(("measure", f"{goal.measure} does not apply to {indicator.label} ({indicator.kind}); use "
                                    f"{', '.join(m.id for m in measures_for(indicator))}"))
    school = None
    if across:
        problems.extend(goal_predictor.check(goal.group_value, goal.comparison, goal.school, goal.target_value))
    elif goal.school is not None and goal.school.strip():
        school = context.school_name(goal.school)
        if school is None:
            problems.append(("school", f"{goal.school!r} is not a school in the loaded data (blank: the district)"))
        elif indicator is not None and "school" not in SOURCES[indicator.source].dimensions:
            problems.append(("school", f"{indicator.label} cannot be measured by school: leave school blank"))
    _check_target(goal.target_value, measure, problems)
    baseline_year, target_year = _check_years(goal, problems)
    for name in _TEXT_COLUMNS:
        if len(getattr(goal, name)) > MAX_TEXT_LENGTH:
            problems.append((name, f"longer than {MAX_TEXT_LENGTH} characters"))
    value = goal.target_value
    normalised = replace(goal, group_value=goal.group_value if group is None else group,
                         comparison=comparison or goal.comparison,
                         school=school, target_year=target_year or goal.target_year, baseline_year=baseline_year,
                         target_value=float(value) if isinstance(value, (int, float)) else value,
                         owner=goal.owner.strip(), strategy=goal.strategy.strip(), note=goal.note.strip())
    return normalised, problems


def validate_goal(goal: Goal, context: GoalContext) -> Goal:
    """The goal with its values normalised (school code -> name, '2027-2028' -> '2027-28'), or GoalError."""
    normalised, problems = _problems(goal, context)
    if problems:
        raise GoalError(problems)
    return normalised


