"""Goals kept in the store (the user's own table): list, add, update, delete, save many at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from equity_metrics.goals.model import Goal, GoalNotFoundError, goal_context, validate_goal
from equity_metrics.storage.store import Store, quote_identifier
from equity_metrics.storage.user_tables import GOALS_TABLE

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
