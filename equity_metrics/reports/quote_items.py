"""Quotes in the report basket: a quote the user picked on the Listening sessions page, recomputed when the
report is built.

A basket item of kind "quote" names the excerpt (its key), the theme and the group it was shown under, and
optionally the finding it was picked for (another basket item: `add_quote` places the quote right after it, and
the quote says which finding it supports). When
the report is built the privacy rules are applied again (`themes_quotes.quote_text`): if the group or the cell
is hidden now (data was added or deleted), the item says so and no text is shown. Names and IDs are stripped
as on the page. A quote is never added by anything but the user's pick.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from equity_metrics.measures.themes_quotes import quote_text
from equity_metrics.reports.basket import BasketItem, add_item, list_items, move_item
from equity_metrics.reports.export_tables import Provenance
from equity_metrics.reports.report_items import ReportItem, unavailable_item
from equity_metrics.storage.store import Store

QUOTE_KIND = "quote"
_WORDS = {"race": "race/ethnicity", "role": "role", "school": "school"}


@dataclass(frozen=True)
class QuoteSpec:
    """One picked quote: the dimension and group it was shown under, its theme and the excerpt's key."""

    kind: ClassVar[str] = QUOTE_KIND

    by: str
    group: str
    theme: str
    quote_id: str
    finding_item_id: int | None = None  # the basket item (a finding) this quote was picked for

    def to_json(self) -> str:
        data = {"by": self.by, "group": self.group, "theme": self.theme, "quote_id": self.quote_id}
        if self.finding_item_id is not None:
            data["finding_item_id"] = int(self.finding_item_id)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> QuoteSpec:
        data = json.loads(text)
        finding = data.get("finding_item_id")
        return cls(str(data["by"]), str(data["group"]), str(data["theme"]), str(data["quote_id"]),
                   int(finding) if finding is not None else None)

    def default_title(self) -> str:
        return f"{self.theme}: a {self.group} participant (listening sessions)"


def add_quote(store: Store, spec: QuoteSpec) -> int:
    """Put a picked quote in the basket, right after the finding it was picked for (if any); its item id."""
    item_id = add_item(store, spec)
    finding = next((i for i in list_items(store) if i.item_id == spec.finding_item_id), None)
    if finding is not None:
        move_item(store, item_id, finding.position + 1)
    return item_id


def _supports(store: Store, spec: QuoteSpec) -> str:
    if spec.finding_item_id is None:
        return ""
    finding = next((i for i in list_items(store) if i.item_id == spec.finding_item_id), None)
    if finding is None:
        return " (The finding it was picked for is no longer in the report.)"
    return f" Picked for the finding \u201c{finding.title}\u201d."


def build_quote_item(store: Store, item: BasketItem, source: Provenance) -> ReportItem:
    """The quote as a report item (no chart): the stripped text, the theme and the group, or why it is gone."""
    spec = QuoteSpec.from_json(item.spec_json)
    text = quote_text(store, spec.by, spec.theme, spec.group, spec.quote_id)
    if text is None:
        return unavailable_item(QUOTE_KIND, item.title, "This quote cannot be shown now: its group or its theme's "
                                "count for the group is hidden by the privacy rules, or the excerpt was deleted.",
                                source)
    sentence = f"\u201c{text}\u201d \u2014 a participant ({_WORDS.get(spec.by, spec.by)}: {spec.group}), theme " \
               f"\u201c{spec.theme}\u201d." + _supports(store, spec)
    return ReportItem(QUOTE_KIND, item.title, sentence, None, source_note="Listening sessions: coded excerpts; names "
                      "and IDs stripped.", alt_text=sentence, source=source)
