"""The explicit table of report item builders: each basket item kind and the function that recomputes it
from the store. Reports (the deck, the HTML report, the Present page) build items only through here."""

from __future__ import annotations

from collections.abc import Callable

from equity_metrics.reports.basket import BasketItem, list_items
from equity_metrics.reports.export_tables import Provenance, provenance
from equity_metrics.reports.goal_items import GOAL_KIND, build_goal_item
from equity_metrics.reports.quote_items import QUOTE_KIND, build_quote_item
from equity_metrics.reports.report_items import INDICATOR_KIND, ReportItem, build_indicator_item, unavailable_item
from equity_metrics.storage.store import Store

__all__ = ["BUILDERS", "build_basket", "build_item", "registered_kinds"]

ItemBuilder = Callable[[Store, BasketItem, Provenance], ReportItem]
BUILDERS: dict[str, ItemBuilder] = {INDICATOR_KIND: build_indicator_item, GOAL_KIND: build_goal_item,
                                   QUOTE_KIND: build_quote_item}


def registered_kinds() -> tuple[str, ...]:
    return tuple(BUILDERS)


def build_item(store: Store, item: BasketItem, source: Provenance) -> ReportItem:
    """Recompute one basket item; a kind with no builder becomes an item saying so (the report still builds)."""
    builder = BUILDERS.get(item.kind)
    if builder is None:
        return unavailable_item(item.kind, item.title, f"This {item.kind} item cannot be shown here (no report "
                                                       "builder for its kind is loaded).", source)
    return builder(store, item, source)


def build_basket(store: Store, source: Provenance | None = None) -> list[ReportItem]:
    """Every basket item, in basket order, recomputed from the store."""
    source = source or provenance(store)
    return [build_item(store, item, source) for item in list_items(store)]
