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

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import altair as alt
import numpy as np
import pandas as pd

from equity_metrics import analysis, goal_predictor, rules
from equity_metrics.aggregate import Filters
from equity_metrics.codes import lookup
from equity_metrics.constants import DIMENSIONS, GROUP_DIMENSIONS
from equity_metrics.facts import SOURCES
from equity_metrics.findings import group_noun, mid_sentence, subject_noun
from equity_metrics.indicators import INDICATORS, Indicator, get_indicator
from equity_metrics.metrics import ALL_OTHERS, MetricOptions
from equity_metrics.schema import KINDS
from equity_metrics.store import Store, quote_identifier
from equity_metrics.user_tables import GOALS_TABLE

# ---- constants -------------------------------------------------------------------------------------------
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
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")  # cells a spreadsheet could run as a formula

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


# ---- school years ----------------------------------------------------------------------------------------
def parse_school_year(text: str) -> str | None:
    """'2027-28', '2027-2028' or '2027/28' -> '2027-28'; None when the text is not a school year."""
    value = text.strip().replace("/", "-").replace("\u2013", "-")
    start, _, end = value.partition("-")
    if not (start.isdigit() and len(start) == 4 and end.isdigit() and len(end) in (2, 4)):
        return None
    first = int(start)
    if (len(end) == 4 and int(end) != first + 1) or (len(end) == 2 and int(end) != (first + 1) % 100):
        return None
    return f"{first}-{(first + 1) % 100:02d}"


def year_start(school_year: str) -> int:
    """'2024-25' -> 2024."""
    return int(school_year[:4])


def school_year_of(start: int) -> str:
    """2024 -> '2024-25'."""
    return f"{start}-{(start + 1) % 100:02d}"


def year_span(first: str, last: str) -> list[str]:
    """Every school year from `first` to `last`, inclusive."""
    return [school_year_of(y) for y in range(year_start(first), year_start(last) + 1)]


# ---- the goal --------------------------------------------------------------------------------------------
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


# ---- storage ---------------------------------------------------------------------------------------------
_STORED = ("goal_id", "indicator_id", "dimension", "group_value", "school", "comparison", "measure", "baseline_year",
           "target_value", "target_year", "owner", "strategy", "note", "created_at")
_TABLE = quote_identifier(GOALS_TABLE)


def _row_values(goal: Goal) -> list[object]:
    return [goal.goal_id, goal.indicator_id, goal.dimension, goal.group_value, goal.school, goal.comparison,
            goal.measure, goal.baseline_year, goal.target_value, goal.target_year, goal.owner, goal.strategy,
            goal.note, goal.created_at]


def list_goals(store: Store) -> list[Goal]:
    """Every stored goal, by number."""
    if not store.table_exists(GOALS_TABLE):
        return []
    columns = ", ".join(quote_identifier(c) for c in _STORED)
    rows = store.cursor().execute(f"SELECT {columns} FROM {_TABLE} ORDER BY goal_id").fetchall()
    return [_goal_of(dict(zip(_STORED, row, strict=True))) for row in rows]


def _goal_of(row: Mapping[str, object]) -> Goal:
    return Goal(indicator_id=str(row["indicator_id"]), dimension=str(row["dimension"]),
                group_value=str(row["group_value"]), measure=str(row["measure"]),
                target_value=float(row["target_value"]), target_year=str(row["target_year"]),
                comparison=str(row["comparison"]), school=row["school"] or None,
                baseline_year=row["baseline_year"] or None, owner=str(row["owner"] or ""),
                strategy=str(row["strategy"] or ""), note=str(row["note"] or ""), goal_id=int(row["goal_id"]),
                created_at=row["created_at"])


def get_goal(store: Store, goal_id: int) -> Goal:
    for goal in list_goals(store):
        if goal.goal_id == goal_id:
            return goal
    raise GoalNotFoundError(f"there is no goal {goal_id}")


def save_goals(store: Store, goals: Sequence[Goal]) -> list[Goal]:
    """Validate every goal, then store them in one transaction: a goal with a number that exists replaces it,
    any other is added (with its number, or the next free one). Nothing is stored if any goal is invalid."""
    context = goal_context(store)
    checked = [validate_goal(goal, context) for goal in goals]
    now = datetime.now(UTC).replace(tzinfo=None)
    columns = ", ".join(quote_identifier(c) for c in _STORED)
    placeholders = ", ".join("?" for _ in _STORED)
    editable = [c for c in _STORED if c not in ("goal_id", "created_at")]
    assignments = ", ".join(f"{quote_identifier(c)} = ?" for c in editable)
    saved: dict[int, Goal] = {}
    # Goals with a number first, so a new goal never takes a number that a later row of the batch names.
    order = sorted(range(len(checked)), key=lambda i: checked[i].goal_id is None)
    with store.transaction() as cursor:
        for index in order:
            goal = checked[index]
            existing = None if goal.goal_id is None else cursor.execute(
                f"SELECT created_at FROM {_TABLE} WHERE goal_id = ?", [goal.goal_id]).fetchone()
            if existing is not None:
                goal = replace(goal, created_at=existing[0])
                values = dict(zip(_STORED, _row_values(goal), strict=True))
                cursor.execute(f"UPDATE {_TABLE} SET {assignments} WHERE goal_id = ?",
                               [*(values[c] for c in editable), goal.goal_id])
            else:
                goal_id = goal.goal_id or int(cursor.execute(
                    f"SELECT coalesce(max(goal_id), 0) + 1 FROM {_TABLE}").fetchone()[0])
                goal = replace(goal, goal_id=goal_id, created_at=now)
                cursor.execute(f"INSERT INTO {_TABLE} ({columns}) VALUES ({placeholders})", _row_values(goal))
            saved[index] = goal
    return [saved[i] for i in range(len(checked))]


def add_goal(store: Store, goal: Goal) -> Goal:
    """Store a new goal (validated); returns it with its number."""
    return save_goals(store, [replace(goal, goal_id=None)])[0]


def update_goal(store: Store, goal: Goal) -> Goal:
    """Replace a stored goal (validated) by its number."""
    if goal.goal_id is None:
        raise GoalNotFoundError("the goal has no number")
    get_goal(store, goal.goal_id)
    return save_goals(store, [goal])[0]


def delete_goal(store: Store, goal_id: int) -> None:
    get_goal(store, goal_id)
    with store.transaction() as cursor:
        cursor.execute(f"DELETE FROM {_TABLE} WHERE goal_id = ?", [goal_id])


# ---- CSV -------------------------------------------------------------------------------------------------
def _csv_safe(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula (a leading apostrophe; removed on import)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_text(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


def goals_csv(store: Store) -> bytes:
    """Every stored goal as CSV (see `goals_to_csv`)."""
    return goals_to_csv(list_goals(store))


def goals_to_csv(goals: Iterable[Goal]) -> bytes:
    """Goals as CSV (UTF-8), columns CSV_COLUMNS; imports back unchanged. Lines end in CRLF (RFC 4180), so a
    note with any line break is quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for goal in goals:
        across = goal.measure in MEASURES and MEASURES[goal.measure].across_groups  # no comparison: blank
        writer.writerow([goal.goal_id, goal.indicator_id, goal.dimension, goal.group_value,
                         _csv_safe(goal.school or ""), "" if across else goal.comparison, goal.measure,
                         goal.baseline_year or "",
                         repr(goal.target_value), goal.target_year, *(_csv_safe(getattr(goal, c)) for c in _TEXT_COLUMNS)])
    return out.getvalue().encode("utf-8")


def parse_goals_csv(data: bytes, context: GoalContext) -> list[Goal]:
    """Read and validate every row of a goals CSV; GoalImportError lists every problem by file row (the
    header is row 1) and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GoalImportError(["The file is not UTF-8 text: save it as CSV UTF-8 and try again."]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in header]
    messages = []
    if not header or not any(header):
        raise GoalImportError(["The file is empty: it needs a header row with " + ", ".join(REQUIRED_CSV_COLUMNS) + "."])
    if len(set(header)) != len(header):
        messages.append("Row 1: a column name appears twice.")
    if unknown:
        messages.append(f"Row 1: unknown column(s) {', '.join(repr(u) for u in unknown)}; the columns are "
                        f"{', '.join(CSV_COLUMNS)}.")
    if missing:
        messages.append(f"Row 1: missing column(s) {', '.join(missing)}.")
    if messages:
        raise GoalImportError(messages)
    goals: list[Goal] = []
    seen_ids: dict[int, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            messages.append(f"Row {number}: {len(cells)} cells but {len(header)} columns (a stray comma?).")
            continue
        row = dict(zip(header, [*cells, *[""] * (len(header) - len(cells))], strict=True))
        goal, problems = _goal_from_row(row, context)
        if goal is not None and goal.goal_id is not None:
            if goal.goal_id in seen_ids:
                problems.append(("goal_id", f"goal {goal.goal_id} is also in row {seen_ids[goal.goal_id]}"))
            seen_ids[goal.goal_id] = number
        messages.extend(f"Row {number}, column {column}: {message}." for column, message in problems)
        if goal is not None and not problems:
            goals.append(goal)
    if messages:
        raise GoalImportError(messages)
    if not goals:
        raise GoalImportError(["The file has a header but no goal rows."])
    return goals


def _goal_from_row(row: Mapping[str, str], context: GoalContext) -> tuple[Goal | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    measure = MEASURES.get(row.get("measure", "").strip())
    optional = ("group_value",) if measure is not None and measure.across_groups else ()
    for name in REQUIRED_CSV_COLUMNS:
        if name not in optional and not row.get(name, "").strip():
            problems.append((name, "empty; it is required"))
    goal_id = None
    raw_id = row.get("goal_id", "").strip()
    if raw_id:
        if raw_id.isdigit() and int(raw_id) > 0:
            goal_id = int(raw_id)
        else:
            problems.append(("goal_id", f"{raw_id!r} is not a goal number (a whole number above 0, or blank)"))
    raw_target = row.get("target_value", "").strip()
    try:
        target = float(raw_target)
    except ValueError:
        target = float("nan")
        if raw_target:
            problems.append(("target_value", f"{raw_target!r} is not a number"))
    if problems:
        return None, problems
    goal = Goal(indicator_id=row["indicator_id"].strip(), dimension=row["dimension"].strip(),
                group_value=row["group_value"].strip(), measure=row["measure"].strip(), target_value=target,
                target_year=row["target_year"].strip(), comparison=row.get("comparison", "").strip() or ALL_OTHERS,
                school=_csv_text(row.get("school", "").strip()) or None,
                baseline_year=row.get("baseline_year", "").strip() or None,
                owner=_csv_text(row.get("owner", "")), strategy=_csv_text(row.get("strategy", "")),
                note=_csv_text(row.get("note", "")), goal_id=goal_id)
    return _problems(goal, context)


@dataclass(frozen=True)
class GoalImport:
    """What an import did."""

    added: int
    updated: int

    def message(self) -> str:
        return f"Imported {self.added + self.updated} goal(s): {self.added} new, {self.updated} updated."


def import_goals_csv(store: Store, data: bytes) -> GoalImport:
    """Add (or, by number, update) every goal of a CSV in one transaction; GoalImportError when any row is
    invalid, and then nothing is stored."""
    goals = parse_goals_csv(data, goal_context(store))
    existing = {g.goal_id for g in list_goals(store)}
    save_goals(store, goals)
    updated = sum(1 for g in goals if g.goal_id in existing)
    return GoalImport(added=len(goals) - updated, updated=updated)


# ---- progress --------------------------------------------------------------------------------------------
ResultFunction = Callable[[Store, str, Sequence[str], Filters, MetricOptions], analysis.Result]


def _rounded(value: float) -> float:
    return round(float(value), COMPARE_DECIMALS)


def at_least_as_good(value: float, reference: float, lower_better: bool) -> bool:
    """True when `value` is as good as `reference` or better (compared at COMPARE_DECIMALS places)."""
    v, r = _rounded(value), _rounded(reference)
    return v <= r if lower_better else v >= r


def straight_path(baseline_value: float, baseline_year: str, target_value: float, target_year: str,
                  school_year: str) -> float:
    """The value on the straight line from the baseline to the target in `school_year` (the target itself from
    the target year on; the baseline before the baseline year)."""
    span = year_start(target_year) - year_start(baseline_year)
    if span <= 0:
        return float(target_value)
    share = min(max((year_start(school_year) - year_start(baseline_year)) / span, 0.0), 1.0)
    return float(baseline_value + (target_value - baseline_value) * share)


@dataclass(frozen=True)
class YearStatus:
    """A goal's status as of one school year."""

    status: str
    path_value: float
    reason: str = ""


def assess(value: float, note: str, school_year: str, baseline_value: float, baseline_year: str | None,
           baseline_note: str, target_value: float, target_year: str, lower_better: bool) -> YearStatus:
    """The status as of one year: not measurable (no value: the note says why), met (target reached), on track
    (at least as good as the straight path from the baseline), off track."""
    path = (straight_path(baseline_value, baseline_year, target_value, target_year, school_year)
            if baseline_year is not None and math.isfinite(baseline_value) else float("nan"))
    if not math.isfinite(value):
        return YearStatus(STATUS_NOT_MEASURABLE, path, note or "no value")
    if at_least_as_good(value, target_value, lower_better):
        return YearStatus(STATUS_MET, path)
    if not math.isfinite(path):
        where = f"the baseline year {baseline_year}" if baseline_year else "no year"
        return YearStatus(STATUS_NOT_MEASURABLE, path, f"no baseline to measure progress from: {where} has no value"
                                                       + (f" ({baseline_note})" if baseline_note else ""))
    return YearStatus(STATUS_ON_TRACK if at_least_as_good(value, path, lower_better) else STATUS_OFF_TRACK, path)


@dataclass(frozen=True)
class GoalProgress:
    """A goal measured in every school year from its baseline: `years` has YEAR_COLUMNS (one row per year,
    oldest first; value NaN where not measurable, the note saying why). The status is about `status_year`,
    the latest year with the indicator's data."""

    goal: Goal
    indicator: Indicator
    measure: Measure
    lower_better: bool
    baseline_year: str | None
    baseline_value: float
    years: pd.DataFrame
    status: str
    status_year: str | None
    reason: str
    value: float
    path_value: float
    previous_year: str | None = None
    previous_value: float = float("nan")
    previous_status: str | None = None
    movement: str = ""
    idea_above_threshold: bool | None = None  # risk ratios of indicators where higher is worse only
    idea_reasonable_progress: bool | None = None

    @property
    def unit(self) -> str:
        return self.measure.unit(self.indicator)

    @property
    def axis_years(self) -> list[str]:
        """School years on a progress chart: the baseline (or first year) to the target or the latest year."""
        listed = list(self.years["school_year"])
        first = self.baseline_year or (listed[0] if listed else self.goal.target_year)
        last = max([self.goal.target_year, *listed], key=year_start)
        return year_span(min(first, self.goal.target_year, key=year_start), last)


def _all_years(store: Store) -> set[str]:
    return set().union(*analysis.data_years(store).values()) if store.table_exists("facts_student_year") else set()


def _group_rows(goal: Goal, indicator: Indicator, measure: Measure, rates: ResultFunction,
                gaps: ResultFunction, store: Store) -> tuple[pd.DataFrame, str]:
    """The goal's group, one row per year with data (already suppressed), or an empty frame and why."""
    compute = rates if measure.indicator_kind == "rate" else gaps
    try:
        result = compute(store, indicator.id, ("school_year", goal.dimension), goal.filters, goal.options)
    except (analysis.NoDataError, ValueError) as error:
        return pd.DataFrame(), str(error)
    table = result.table
    return table[table[goal.dimension].astype(str) == goal.group_value].reset_index(drop=True), ""


def _measured(rows: pd.DataFrame, measure: Measure, indicator: Indicator) -> pd.DataFrame:
    """Value and interval per year in the measure's unit; gaps oriented so positive is worse for the group."""
    sign = (1.0 if indicator.higher_is_worse else -1.0) if measure.gap else 1.0
    out = pd.DataFrame({"school_year": rows["school_year"].astype(str)})
    out["value"] = rows[measure.column].to_numpy(dtype="float64") * measure.scale * sign
    if measure.interval:
        out["ci_low"] = rows[measure.interval[0]].to_numpy(dtype="float64") * measure.scale
        out["ci_high"] = rows[measure.interval[1]].to_numpy(dtype="float64") * measure.scale
    else:
        out["ci_low"] = out["ci_high"] = np.nan
    out["note"] = rows["note"].astype(str).to_numpy()
    return out.set_index("school_year")


@dataclass(frozen=True)
class YearlyValues:
    """A goal's value in every school year the store knows (oldest first): `frame` has school_year, value,
    ci_low, ci_high and note (why there is no value: not loaded, hidden, not calculated). `with_data` are the
    years with the indicator's data; `rows` the group's rows of the result table (for the IDEA rules)."""

    frame: pd.DataFrame
    with_data: tuple[str, ...]
    rows: pd.DataFrame

    def value(self, year: str) -> tuple[float, str]:
        """The year's value (NaN when there is none) and its note."""
        found = self.frame[self.frame["school_year"] == year]
        if found.empty:
            return float("nan"), f"no data for {year}"
        return float(found["value"].iloc[0]), str(found["note"].iloc[0])


def _goal_rows(store: Store, goal: Goal, rates: ResultFunction, gaps: ResultFunction,
               association: goal_predictor.AssociationFunction
               ) -> tuple[pd.DataFrame, str, pd.DataFrame, Callable[[str], str]]:
    """The result rows the goal reads (the group's, or the association's per year), why there are none, the
    values per year in the measure's unit (indexed by school year), and the note for a year without a row."""
    indicator = get_indicator(goal.indicator_id)
    measure = MEASURES[goal.measure]
    if measure.across_groups:
        rows, error = goal_predictor.association_rows(store, indicator, goal.dimension, association)
        measured = goal_predictor.measured(rows, indicator) if not rows.empty else pd.DataFrame()
        return rows, error, measured, lambda year: goal_predictor.missing_note(indicator, goal.dimension, year)
    rows, error = _group_rows(goal, indicator, measure, rates, gaps, store)
    measured = _measured(rows, measure, indicator) if not rows.empty else pd.DataFrame()
    who = mid_sentence(group_noun({goal.dimension: goal.group_value}, subject_noun(indicator)))
    where = f" at {goal.school}" if goal.school else ""
    return rows, error, measured, lambda year: f"no {who}{where} in {year}"


def yearly_values(store: Store, goal: Goal, rates: ResultFunction = analysis.rates,
                  gaps: ResultFunction = analysis.gaps,
                  association: goal_predictor.AssociationFunction = analysis.association_by_year) -> YearlyValues:
    """The goal's measure in every school year the store knows (nothing is checked against the target).
    `association` computes how much the group predicts the outcome (the predictor measure)."""
    indicator = get_indicator(goal.indicator_id)
    rows, error, measured, missing = _goal_rows(store, goal, rates, gaps, association)
    with_data = analysis.years_with_data(store, indicator) if store.table_exists("facts_student_year") else []
    kind_label = KINDS[analysis.required_kind(indicator)].label.lower()
    records = []
    for year in sorted(_all_years(store) | set(with_data), key=year_start):
        value = low = high = np.nan
        if year not in with_data:
            note = f"no {kind_label} loaded for {year}"
        elif error:
            note = error
        elif year not in measured.index:
            note = missing(year)
        else:
            row = measured.loc[year]
            value, low, high = float(row["value"]), float(row["ci_low"]), float(row["ci_high"])
            note = str(row["note"]) or ("" if math.isfinite(value) else "not calculated")
        records.append({"school_year": year, "value": value, "ci_low": low, "ci_high": high, "note": note})
    frame = pd.DataFrame.from_records(records, columns=["school_year", "value", "ci_low", "ci_high", "note"])
    frame = frame.astype({"value": "float64", "ci_low": "float64", "ci_high": "float64"})
    return YearlyValues(frame, tuple(with_data), rows)


def goal_progress(store: Store, goal: Goal, rates: ResultFunction = analysis.rates,
                  gaps: ResultFunction = analysis.gaps,
                  association: goal_predictor.AssociationFunction = analysis.association_by_year) -> GoalProgress:
    """Measure a goal in every school year from its baseline through the latest year the store knows, and
    its status. `rates`, `gaps` and `association` compute the result tables (the app passes cached versions)."""
    indicator = get_indicator(goal.indicator_id)
    measure = MEASURES[goal.measure]
    lower_better = lower_is_better(measure, indicator)
    values = yearly_values(store, goal, rates, gaps, association)
    with_data, rows = values.with_data, values.rows
    kind_label = KINDS[analysis.required_kind(indicator)].label.lower()
    baseline_year = goal.baseline_year
    if baseline_year is None:
        found = values.frame[values.frame["value"].notna()]
        baseline_year = str(found["school_year"].iloc[0]) if len(found) else None
    baseline_value, baseline_note = values.value(baseline_year) if baseline_year else (float("nan"), "")
    kept = values.frame
    if baseline_year is not None:
        kept = kept[kept["school_year"].map(year_start) >= year_start(baseline_year)]
    records = []
    for row in kept.itertuples(index=False):
        state = assess(row.value, row.note, row.school_year, baseline_value, baseline_year, baseline_note,
                       goal.target_value, goal.target_year, lower_better)
        records.append({"school_year": row.school_year, "value": row.value, "ci_low": row.ci_low,
                        "ci_high": row.ci_high, "path_value": state.path_value, "target_value": goal.target_value,
                        "status": state.status,
                        "note": state.reason if state.status == STATUS_NOT_MEASURABLE else row.note})
    years = pd.DataFrame.from_records(records, columns=list(YEAR_COLUMNS))
    years = years.astype({c: "float64" for c in ("value", "ci_low", "ci_high", "path_value", "target_value")})

    data_rows = years[years["school_year"].isin(with_data)]
    if data_rows.empty:
        status_row = years.iloc[-1] if len(years) else None
        since = f" since {baseline_year}" if baseline_year else ""
        reason = f"no {kind_label} loaded{since}"
    else:
        status_row = data_rows.iloc[-1]
        reason = status_row["note"] if status_row["status"] == STATUS_NOT_MEASURABLE else ""
    status = STATUS_NOT_MEASURABLE if data_rows.empty else str(status_row["status"])
    value = float(status_row["value"]) if status_row is not None else float("nan")
    path = float(status_row["path_value"]) if status_row is not None else float("nan")
    status_year = str(status_row["school_year"]) if status_row is not None else None

    previous = years[years["value"].notna()]
    if status_year is not None:
        previous = previous[previous["school_year"].map(year_start) < year_start(status_year)]
    previous_row = previous.iloc[-1] if len(previous) else None
    movement = ""
    if previous_row is not None and math.isfinite(value):
        before = float(previous_row["value"])
        if _rounded(value) == _rounded(before):
            movement = MOVEMENT_UNCHANGED
        else:
            movement = MOVEMENT_IMPROVED if at_least_as_good(value, before, lower_better) else MOVEMENT_WORSENED

    idea_flag = idea_progress = None
    if measure.id == "risk_ratio" and indicator.higher_is_worse and not rows.empty:
        flags = rules.multi_year_flags(rows, [goal.dimension], IDEA_RULE)
        idea_flag = bool(flags["above_threshold_each_year"].iloc[0])
        idea_progress = bool(flags["reasonable_progress"].iloc[0])

    return GoalProgress(
        goal=goal, indicator=indicator, measure=measure, lower_better=lower_better, baseline_year=baseline_year,
        baseline_value=float(baseline_value), years=years, status=status, status_year=status_year, reason=reason,
        value=value, path_value=path,
        previous_year=str(previous_row["school_year"]) if previous_row is not None else None,
        previous_value=float(previous_row["value"]) if previous_row is not None else float("nan"),
        previous_status=str(previous_row["status"]) if previous_row is not None else None,
        movement=movement, idea_above_threshold=idea_flag, idea_reasonable_progress=idea_progress,
    )


# ---- words -----------------------------------------------------------------------------------------------
def format_value(value: float, measure: Measure, indicator: Indicator) -> str:
    """A value in its measure's unit: '2.93', '11.8%', '7.8 percentage points', '46.5 points'."""
    if value is None or not math.isfinite(value):
        return "—"
    if measure.id == "risk_ratio":
        return f"{value:.2f}"
    if measure.across_groups:
        return f"{value:.3f}"
    if measure.id == "rate":
        return f"{value:.1f}%"
    return f"{value:.1f} {measure.unit(indicator)}"


def comparison_noun(goal: Goal) -> str:
    who = subject_noun(goal.indicator)
    if goal.comparison == ALL_OTHERS:
        return f"all other {who}"
    return mid_sentence(group_noun({goal.dimension: goal.comparison}, who))


def goal_title(goal: Goal) -> str:
    """'Out-of-school suspension, risk ratio: Black or African American students vs all other students
    (District)'."""
    indicator = goal.indicator
    measure = MEASURES[goal.measure]
    if measure.across_groups:
        return goal_predictor.title(indicator, goal.dimension, goal.scope)
    who = group_noun({goal.dimension: goal.group_value}, subject_noun(indicator))
    label = measure.label.split(" (")[0].lower()
    return f"{indicator.label}, {label}: {who} vs {comparison_noun(goal)} ({goal.scope})"


def target_phrase(goal: Goal, lower_better: bool | None = None) -> str:
    """'2.00 or lower by 2027-28' ('0.050 or lower by 2027-28' for Cramér's V)."""
    measure, indicator = MEASURES[goal.measure], goal.indicator
    lower = lower_is_better(measure, indicator) if lower_better is None else lower_better
    return f"{format_value(goal.target_value, measure, indicator)} or {'lower' if lower else 'higher'} by {goal.target_year}"


def progress_sentence(progress: GoalProgress) -> str:
    """The status in words, naming the year it is about, the baseline, the straight path and the change since
    the year before; for risk ratios of a harm, the IDEA multi-year flag and reasonable progress."""
    goal, measure, indicator = progress.goal, progress.measure, progress.indicator

    def fmt(value: float) -> str:
        return format_value(value, measure, indicator)

    year = progress.status_year or goal.target_year
    target = target_phrase(goal, progress.lower_better)
    baseline = (f"the baseline ({fmt(progress.baseline_value)} in {progress.baseline_year})"
                if progress.baseline_year and math.isfinite(progress.baseline_value) else "")
    if progress.status == STATUS_NOT_MEASURABLE:
        text = f"Not measurable in {year}: {progress.reason}."
        if progress.previous_year:
            text += f" The last value was {fmt(progress.previous_value)} in {progress.previous_year}."
        text += f" Target: {target}."
    elif progress.status == STATUS_MET:
        text = f"Met in {year}: {fmt(progress.value)} (target: {target}" + (
            f"; baseline: {fmt(progress.baseline_value)} in {progress.baseline_year}" if baseline else "") + ")."
    elif progress.status == STATUS_ON_TRACK:
        text = (f"On track in {year}: {fmt(progress.value)}, at least as good as the straight path from {baseline} to "
                f"the target ({target}), which is {fmt(progress.path_value)} in {year}.")
    elif year_start(year) >= year_start(goal.target_year):
        text = f"Off track in {year}: {fmt(progress.value)}; the target ({target}) has not been reached."
    else:
        text = (f"Off track in {year}: {fmt(progress.value)}, behind the straight path from {baseline} to the "
                f"target ({target}), which is {fmt(progress.path_value)} in {year}.")
    if progress.movement and progress.previous_year:
        text += (f" Since {progress.previous_year}: {progress.movement} ({fmt(progress.previous_value)} to "
                 f"{fmt(progress.value)}).")
    if progress.idea_above_threshold is not None:
        text += (f" IDEA significant disproportionality ({IDEA_RULE.label}): "
                 f"{'yes' if progress.idea_above_threshold else 'no'}; reasonable progress (a lower risk ratio in each "
                 f"of the last {IDEA_RULE.progress_years} years): {'yes' if progress.idea_reasonable_progress else 'no'}.")
    return text


# ---- tables and the report -------------------------------------------------------------------------------
def _row_of(progress: GoalProgress) -> dict[str, object]:
    goal = progress.goal
    across = progress.measure.across_groups  # no group and no comparison: both left empty
    return {
        "goal_id": goal.goal_id, "indicator_id": goal.indicator_id, "indicator": progress.indicator.label,
        "dimension": goal.dimension, "group_value": None if across else goal.group_value, "school": goal.school,
        "comparison": None if across else goal.comparison, "measure": goal.measure, "unit": progress.unit,
        "baseline_year": progress.baseline_year, "baseline_value": progress.baseline_value,
        "target_value": goal.target_value, "target_year": goal.target_year, "status_year": progress.status_year,
        "value": progress.value, "path_value": progress.path_value, "status": progress.status,
        "reason": progress.reason, "previous_year": progress.previous_year, "previous_value": progress.previous_value,
        "movement": progress.movement, "idea_above_threshold_each_year": progress.idea_above_threshold,
        "idea_reasonable_progress": progress.idea_reasonable_progress, "owner": goal.owner,
        "strategy": goal.strategy, "note": goal.note,
    }


def progress_frame(progresses: Iterable[GoalProgress]) -> pd.DataFrame:
    """One row per goal with GOAL_TABLE_COLUMNS (stable snake_case names)."""
    frame = pd.DataFrame([_row_of(p) for p in progresses], columns=list(GOAL_TABLE_COLUMNS))
    for column in ("baseline_value", "target_value", "value", "path_value", "previous_value"):
        frame[column] = frame[column].astype("float64")
    frame["goal_id"] = frame["goal_id"].astype("Int64")
    for column in ("idea_above_threshold_each_year", "idea_reasonable_progress"):
        frame[column] = frame[column].astype("boolean")
    return frame


def goals_table(store: Store, rates: ResultFunction = analysis.rates,
                gaps: ResultFunction = analysis.gaps) -> pd.DataFrame:
    """Every goal with its latest value and status (the `goals` command): GOAL_TABLE_COLUMNS."""
    return progress_frame(goal_progress(store, goal, rates, gaps) for goal in list_goals(store))


def moved_and_slipped(progresses: Iterable[GoalProgress]) -> tuple[list[GoalProgress], list[GoalProgress]]:
    """Goals whose latest value improved on the year before, and goals whose value worsened."""
    listed = list(progresses)
    return ([p for p in listed if p.movement == MOVEMENT_IMPROVED],
            [p for p in listed if p.movement == MOVEMENT_WORSENED])


@dataclass(frozen=True)
class GoalReport:
    """Everything a goal shows: title, progress, status sentence, chart and per-year table (for the Goals page,
    and later the report basket)."""

    goal: Goal
    progress: GoalProgress
    title: str
    sentence: str
    chart: alt.LayerChart
    table: pd.DataFrame


def report_of(progress: GoalProgress) -> GoalReport:
    from equity_metrics.goal_charts import progress_chart

    return GoalReport(progress.goal, progress, goal_title(progress.goal), progress_sentence(progress),
                      progress_chart(progress), progress.years.copy())


def goal_report(store: Store, goal_id: int, rates: ResultFunction = analysis.rates,
                gaps: ResultFunction = analysis.gaps) -> GoalReport:
    """A goal's progress chart, status sentence and per-year table, in one call."""
    return report_of(goal_progress(store, get_goal(store, goal_id), rates, gaps))
