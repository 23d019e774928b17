"""The Goals page's shared pieces: the state its sections read (`GoalsPage`), the target box of a measure, the
target years offered, and saving a change with its message on the next run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from equity_metrics import goals
from equity_metrics.storage.store import Store, StoreError
from views.text import escape_markdown

MESSAGE_KEY = "goals_message"
TARGET_YEARS_AHEAD = 10


@dataclass(frozen=True)
class GoalsPage:
    """What every section of the Goals page reads: the store, every goal's progress, and the school years."""

    store: Store
    progresses: list[goals.GoalProgress]
    known_years: list[str]

    @property
    def latest(self) -> str | None:
        return self.known_years[-1] if self.known_years else None

    def target_years(self, *extra: str | None) -> list[str]:
        """Every school year from the first with data to ten years after the latest, and any of `extra`."""
        first = self.known_years[0] if self.known_years else goals.SCHOOL_YEAR_EXAMPLE
        last = goals.school_year_of(goals.year_start(self.latest or first) + TARGET_YEARS_AHEAD)
        return sorted(set(goals.year_span(first, last)) | {y for y in extra if y}, key=goals.year_start)


def target_input(label: str, measure: goals.Measure, value: float, key: str) -> float:
    """A number box fitted to the measure: a ratio, a percentage, a share of variance or points."""
    if measure.id == "risk_ratio":
        return st.number_input(label, min_value=0.01, max_value=100.0, value=max(value, 0.01), step=0.1, format="%.2f",
                               key=key)
    if measure.id == "rate":
        return st.number_input(label, min_value=0.0, max_value=100.0, value=min(max(value, 0.0), 100.0), step=0.5,
                               format="%.1f", key=key)
    if measure.across_groups:  # Cramér's V or eta squared
        return st.number_input(label, min_value=0.0, max_value=1.0, value=min(max(value, 0.0), 1.0), step=0.01,
                               format="%.3f", key=key)
    return st.number_input(label, value=value, step=0.5, format="%.1f", key=key)


def _problems_text(error: goals.GoalError) -> str:
    return "\n".join(f"- {escape_markdown(column.replace('_', ' '))}: {escape_markdown(text)}"
                     for column, text in error.problems)


def save_goal(action: str, call: Callable[[], int]) -> None:
    """Run a store change; say what happened on the next run, or what was wrong now."""
    try:
        saved = call()
    except goals.GoalError as error:
        st.error(f"The goal was not {action}:\n{_problems_text(error)}")
    except (goals.GoalNotFoundError, StoreError) as error:
        st.error(f"The goal was not {action}: {escape_markdown(error)}")
    else:
        st.session_state[MESSAGE_KEY] = f"Goal {saved} {action}."
        st.rerun()
