"""Goals as a CSV file (the export writes the columns the import reads, formulas neutralised)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from equity_metrics.core.formulas import neutralise, restore
from equity_metrics.goals.model import (
    _TEXT_COLUMNS,
    CSV_COLUMNS,
    MEASURES,
    REQUIRED_CSV_COLUMNS,
    Goal,
    GoalContext,
    GoalImportError,
    _problems,
    goal_context,
)
from equity_metrics.goals.repository import list_goals, save_goals
from equity_metrics.measures.metrics import ALL_OTHERS
from equity_metrics.storage.store import Store


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
        texts = [neutralise(getattr(goal, c), reversible=True) for c in _TEXT_COLUMNS]
        writer.writerow([goal.goal_id, goal.indicator_id, goal.dimension, goal.group_value,
                         neutralise(goal.school or "", reversible=True), "" if across else goal.comparison,
                         goal.measure, goal.baseline_year or "", repr(goal.target_value), goal.target_year, *texts])
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
                school=restore(row.get("school", "").strip()) or None,
                baseline_year=row.get("baseline_year", "").strip() or None,
                owner=restore(row.get("owner", "")), strategy=restore(row.get("strategy", "")),
                note=restore(row.get("note", "")), goal_id=goal_id)
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
