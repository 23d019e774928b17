"""Issue 17: a picked quote in the report basket: built into the deck and the HTML report with its text (names
stripped); a quote of a hidden group, or one whose cell is hidden, never shows its text, even when its spec is
written by hand."""

from __future__ import annotations

from pathlib import Path

from equity_metrics.measures.themes import theme_cube
from equity_metrics.measures.themes_quotes import shown_quotes
from equity_metrics.reports import deck, html_report
from equity_metrics.reports.basket import add_item
from equity_metrics.reports.builders import build_basket
from equity_metrics.reports.export_tables import provenance
from equity_metrics.reports.quote_items import QuoteSpec
from equity_metrics.storage.store import Store

BLACK = "Black or African American"
NATIVE = "American Indian or Alaska Native"


def test_a_picked_quote_in_the_deck_and_the_report(sample_db: Path) -> None:
    with Store(sample_db) as store:
        quote = shown_quotes(store, "race", "Belonging", BLACK, limit=5).iloc[0]
        add_item(store, QuoteSpec("race", BLACK, "Belonging", str(quote["quote_id"])))
        cube = theme_cube(store)
        native = cube.rows[(cube.rows["race"] == NATIVE) & cube.rows["theme"].notna()].iloc[0]
        add_item(store, QuoteSpec("race", NATIVE, str(native["theme"]), str(native["excerpt_key"])))
        items = build_basket(store)
        source = provenance(store)
        assert [i.kind for i in items] == ["quote", "quote"]
        assert items[0].sentence == (f"\u201c{quote['text']}\u201d \u2014 a participant (race/ethnicity: {BLACK}), "
                                     "theme \u201cBelonging\u201d.")
        assert items[1].chart is None and "cannot be shown now" in items[1].sentence
        text = store.cursor().execute("SELECT excerpt FROM excerpts WHERE race = ?", [NATIVE]).fetchone()[0]
        report = html_report.build_report("Listening", items, source)
        assert str(quote["text"]).split(":")[-1].strip()[:30] in report
        assert text.split(":")[-1].strip() not in items[1].sentence  # (the sample's sentences repeat across people)
        assert deck.build_deck("Listening", items, source)[:2] == b"PK"


def test_a_quote_picked_for_a_finding_follows_it(sample_db: Path) -> None:
    from equity_metrics.reports.basket import IndicatorSpec, list_items, remove_item
    from equity_metrics.reports.quote_items import add_quote

    with Store(sample_db) as store:
        first = add_item(store, IndicatorSpec("oss", ("race",), ("2024-25",)), "OSS by race")
        add_item(store, IndicatorSpec("iss", ("race",), ("2024-25",)), "ISS by race")
        quote = shown_quotes(store, "race", "Discipline fairness", BLACK, limit=5).iloc[0]
        add_quote(store, QuoteSpec("race", BLACK, "Discipline fairness", str(quote["quote_id"]), first))
        assert [i.title for i in list_items(store)][:2] == ["OSS by race", QuoteSpec(
            "race", BLACK, "Discipline fairness", "").default_title()]
        item = next(i for i in build_basket(store) if i.kind == "quote")
        assert item.sentence.endswith("Picked for the finding \u201cOSS by race\u201d.")
        remove_item(store, first)
        item = next(i for i in build_basket(store) if i.kind == "quote")
        assert item.sentence.endswith("(The finding it was picked for is no longer in the report.)")
