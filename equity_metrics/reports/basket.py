"""The report basket: the findings a user picks for a slide deck or a report, kept in the store.

Each item is a spec (what to recompute, never the numbers themselves) serialised to JSON, with its kind, a
title and its position. The kind "indicator" is defined here (`IndicatorSpec`); another module can add its
own kind (e.g. "goal") with any frozen dataclass that has a `kind` and a `to_json()`, and a builder in
`report_items`. Every change runs in one store transaction and keeps positions numbered 1..n.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from equity_metrics.core.constants import DIMENSIONS, GRADE_BANDS
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.analysis import UNIT_DIMENSIONS, split_dimensions
from equity_metrics.measures.indicators import get_indicator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative.scope import scope
from equity_metrics.storage.store import Store, quote_identifier
from equity_metrics.storage.user_tables import BASKET_TABLE

INDICATOR_KIND = "indicator"
SPEC_VERSION = 1
REPORT_UNITS = ("school_year", "school")  # a report draws a trend (years) or a heatmap (schools)
_TABLE = quote_identifier(BASKET_TABLE)


class BasketSpec(Protocol):
    """What any basket item's spec provides."""

    kind: ClassVar[str]

    def to_json(self) -> str: ...


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator by groups under filters and options, and optionally the one group the finding is about
    (`group`: (dimension, value) pairs, e.g. (("race", "Black or African American"),))."""

    kind: ClassVar[str] = INDICATOR_KIND

    indicator_id: str
    by: tuple[str, ...] = ("race",)
    school_years: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    grade_band: str | None = None
    options: MetricOptions = field(default_factory=MetricOptions)
    group: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        get_indicator(self.indicator_id)  # an unknown id raises UnknownIndicatorError with the list command
        unknown = [d for d in self.by if d not in DIMENSIONS and d not in UNIT_DIMENSIONS]
        if unknown:
            raise ValueError(f"unknown dimension {unknown[0]!r} in a basket item")
        units, groups = split_dimensions(self.by)
        if not groups:
            raise ValueError("a basket item is split by at least one student-group dimension (e.g. race)")
        if units and (len(units) > 1 or units[0] not in REPORT_UNITS or len(groups) > 1):
            raise ValueError("a basket item compares one student-group dimension across school years or across "
                             "schools, or splits by groups only")
        if units and get_indicator(self.indicator_id).kind != "rate":
            raise ValueError("score gaps go in the basket for one school year (no school or year split)")
        if self.grade_band is not None and self.grade_band not in GRADE_BANDS:
            raise ValueError(f"unknown grade band {self.grade_band!r}; use one of {', '.join(GRADE_BANDS)}")
        outside = [d for d, _ in self.group if d not in self.by]
        if outside:
            raise ValueError(f"the chosen group's dimension {outside[0]!r} is not one the item is split by")

    @property
    def filters(self) -> Filters:
        return Filters(school_years=self.school_years, schools=self.schools, grade_band=self.grade_band)

    def default_title(self) -> str:
        """'Out-of-school suspension by race/ethnicity: Maple Grove Middle, grades 6-8, 2024-25' (the district's:
        'District, all grades, 2024-25')."""
        indicator = get_indicator(self.indicator_id)
        dims = " and ".join(DIMENSIONS[d].label.lower() if d in DIMENSIONS else d.replace("_", " ") for d in self.by)
        units, groups = split_dimensions(self.by)
        return f"{indicator.label} by {dims}: {scope(self.filters, groups, units).where()}"

    def to_json(self) -> str:
        options = self.options
        return json.dumps({
            "version": SPEC_VERSION, "indicator_id": self.indicator_id, "by": list(self.by),
            "school_years": list(self.school_years), "schools": list(self.schools), "grade_band": self.grade_band,
            "options": {"comparison": options.comparison, "min_n": options.min_n, "min_cell": options.min_cell,
                        "privacy_threshold": options.privacy_threshold, "confidence": options.confidence},
            "group": [list(pair) for pair in self.group],
        }, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> IndicatorSpec:
        data: dict[str, Any] = json.loads(text)
        return cls(indicator_id=str(data["indicator_id"]), by=tuple(data.get("by", ("race",))),
                   school_years=tuple(data.get("school_years", ())), schools=tuple(data.get("schools", ())),
                   grade_band=data.get("grade_band"), options=MetricOptions(**data.get("options", {})),
                   group=tuple((str(d), str(v)) for d, v in data.get("group", ())))


@dataclass(frozen=True)
class BasketItem:
    """One row of the basket: its id, place (1 = first), kind, title and spec (JSON)."""

    item_id: int
    position: int
    kind: str
    title: str
    spec_json: str
    added_at: datetime | None = None

    def indicator_spec(self) -> IndicatorSpec:
        if self.kind != INDICATOR_KIND:
            raise ValueError(f"basket item {self.item_id} is a {self.kind!r} item, not an indicator")
        return IndicatorSpec.from_json(self.spec_json)


def list_items(store: Store) -> list[BasketItem]:
    """The basket in its order (empty when the store predates the basket table)."""
    if not store.table_exists(BASKET_TABLE):
        return []
    rows = store.cursor().execute(
        f"SELECT item_id, position, item_kind, title, spec_json, added_at FROM {_TABLE} "
        "ORDER BY position, item_id").fetchall()
    return [BasketItem(int(i), int(p), str(k), str(t), str(s), a) for i, p, k, t, s, a in rows]


def add_item(store: Store, spec: BasketSpec, title: str | None = None) -> int:
    """Put a spec at the end of the basket and return its id. The same spec twice is kept once (its id is
    returned)."""
    text = spec.to_json()
    chosen = (title or "").strip() or _default_title(spec)
    with store.transaction() as cursor:
        existing = cursor.execute(f"SELECT item_id FROM {_TABLE} WHERE item_kind = ? AND spec_json = ?",
                                  [spec.kind, text]).fetchone()
        if existing:
            return int(existing[0])
        item_id, position = cursor.execute(
            f"SELECT coalesce(max(item_id), 0) + 1, coalesce(max(position), 0) + 1 FROM {_TABLE}").fetchone()
        cursor.execute(f"INSERT INTO {_TABLE} (item_id, position, item_kind, title, spec_json, added_at) "
                       "VALUES (?, ?, ?, ?, ?, current_localtimestamp())",
                       [int(item_id), int(position), spec.kind, chosen, text])
    return int(item_id)


def _default_title(spec: BasketSpec) -> str:
    make = getattr(spec, "default_title", None)
    return make() if callable(make) else spec.kind.capitalize()


def _renumber(cursor: Any, ordered_ids: list[int]) -> None:
    for position, item_id in enumerate(ordered_ids, start=1):
        cursor.execute(f"UPDATE {_TABLE} SET position = ? WHERE item_id = ?", [position, item_id])


def _ordered_ids(cursor: Any) -> list[int]:
    return [int(r[0]) for r in cursor.execute(f"SELECT item_id FROM {_TABLE} ORDER BY position, item_id")
            .fetchall()]


def move_item(store: Store, item_id: int, position: int) -> None:
    """Move an item to `position` (1 = first; beyond the ends means first or last)."""
    with store.transaction() as cursor:
        ids = _ordered_ids(cursor)
        if item_id not in ids:
            raise KeyError(f"no basket item {item_id}")
        ids.remove(item_id)
        ids.insert(min(max(position, 1), len(ids) + 1) - 1, item_id)
        _renumber(cursor, ids)


def remove_item(store: Store, item_id: int) -> bool:
    """Take an item out of the basket; False when there was no such item."""
    with store.transaction() as cursor:
        ids = _ordered_ids(cursor)
        if item_id not in ids:
            return False
        cursor.execute(f"DELETE FROM {_TABLE} WHERE item_id = ?", [item_id])
        _renumber(cursor, [i for i in ids if i != item_id])
    return True


def clear_basket(store: Store) -> int:
    """Empty the basket; returns how many items were removed."""
    with store.transaction() as cursor:
        count = int(cursor.execute(f"SELECT count(*) FROM {_TABLE}").fetchone()[0])
        cursor.execute(f"DELETE FROM {_TABLE}")
    return count
