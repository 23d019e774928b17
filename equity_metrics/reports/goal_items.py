"""Goals in the report basket: a goal's progress chart, status sentence and per-year table as a report item.

A basket item of kind "goal" names a stored goal by its id; the deck and the HTML report recompute its
progress from the store when they are built, so they always show the latest year's status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from equity_metrics import goals
from equity_metrics.charts import goal_charts
from equity_metrics.reports.basket import BasketItem
from equity_metrics.reports.export_tables import Provenance
from equity_metrics.reports.report_items import ReportItem, source_note, unavailable_item
from equity_metrics.storage.store import Store

GOAL_KIND = "goal"


@dataclass(frozen=True)
class GoalSpec:
    """A stored goal, by id."""

    kind: ClassVar[str] = GOAL_KIND

    goal_id: int

    def to_json(self) -> str:
        return json.dumps({"goal_id": int(self.goal_id)})

    @classmethod
    def from_json(cls, text: str) -> GoalSpec:
        return cls(int(json.loads(text)["goal_id"]))


def goal_item(store: Store, goal_id: int, source: Provenance) -> ReportItem:
    """The goal's progress as a report item: chart with the target and the straight path, status sentence."""
    report = goal_charts.goal_report(store, goal_id)
    options = report.goal.options
    return ReportItem(GOAL_KIND, report.title, report.sentence, report.chart, table=report.table,
                      source_note=source_note(source, options), alt_text=report.sentence, options=options,
                      source=source)


def build_goal_item(store: Store, item: BasketItem, source: Provenance) -> ReportItem:
    spec = GoalSpec.from_json(item.spec_json)
    try:
        return goal_item(store, spec.goal_id, source)
    except goals.GoalNotFoundError:
        return unavailable_item(GOAL_KIND, item.title, "This goal was deleted after it was added to the report.",
                                source)
