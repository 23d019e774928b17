"""Slide decks, opened with python-pptx: title slide, a slide per finding with its chart and alt text, tables,
the methods slide; data source, date and the sample label."""

from __future__ import annotations

import io
import struct
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from equity_metrics.charts import specs as charts
from equity_metrics.core.constants import SAMPLE_DATA_LABEL
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.reports import deck
from equity_metrics.reports.basket import IndicatorSpec, add_item
from equity_metrics.reports.builders import build_basket
from equity_metrics.reports.export_tables import Provenance
from equity_metrics.reports.report_items import ReportItem
from equity_metrics.storage.store import Store

SOURCE = Provenance(("roster.xlsx [2024-25]", "discipline.csv"), date(2025, 6, 30), holds_sample=True,
                    only_sample=True)


def hand_table() -> pd.DataFrame:
    return pd.DataFrame({
        "race": ["Black or African American", "Asian", "White"],
        "denominator": pd.array([400, 37, 900], dtype="Int64"),
        "numerator": pd.array([50, pd.NA, 45], dtype="Int64"),
        "rate": [0.125, np.nan, 0.05], "rate_ci_low": [0.096, np.nan, 0.037], "rate_ci_high": [0.16, np.nan, 0.066],
        "risk_ratio": [2.5, np.nan, 0.4], "suppressed": [False, True, False],
        "note": ["", "count under 10 hidden (privacy)", ""],
    })


def hand_item(title: str = "OSS by race") -> ReportItem:
    table = hand_table()
    chart = charts.rate_chart(table, ["race"], INDICATORS["oss"], "OSS by group")
    return ReportItem("indicator", title, "Black students were 2.5 times as likely (12.5% vs 5.0%).", chart, table,
                      ("Asian students: count under 10 hidden (privacy)",), "Source: hand-made, 2025-06-30.",
                      "Bar chart of OSS by race. Black students were 2.5 times as likely.")


def open_deck(data: bytes):
    return Presentation(io.BytesIO(data))


def texts(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def pictures(slide) -> list:
    return [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]


def table_rows(slide) -> list[list[str]]:
    tables = [shape.table for shape in slide.shapes if shape.has_table]
    return [[cell.text for cell in row.cells] for table in tables for row in table.rows]


def test_deck_slides_charts_and_text():
    table = deck.TableSlide("Rates", hand_table()[["race", "denominator", "numerator", "rate", "note"]], "A caption.")
    data = deck.build_deck("Equity findings", [hand_item(), hand_item("Second")], SOURCE, "Board meeting", [table])
    slides = list(open_deck(data).slides)
    assert len(slides) == 1 + 2 + 1 + 1  # title, two findings, one table slide, methods
    title = texts(slides[0])
    assert "Equity findings" in title and "Board meeting" in title and "Made 2025-06-30" in title
    assert SAMPLE_DATA_LABEL in title
    finding = slides[1]
    assert "OSS by race" in texts(finding)
    assert "Black students were 2.5 times as likely (12.5% vs 5.0%)." in texts(finding)
    assert "Not fully shown: Asian students: count under 10 hidden (privacy)" in texts(finding)
    assert "Source: hand-made, 2025-06-30." in texts(finding)
    (picture,) = pictures(finding)
    assert picture._element.nvPicPr.cNvPr.get("descr") == "Bar chart of OSS by race. Black students were 2.5 times as likely."
    blob = picture.image.blob
    assert blob.startswith(b"\x89PNG")
    at = blob.index(b"pHYs")
    assert struct.unpack(">I", blob[at + 4:at + 8])[0] == 7874  # 200 pixels per inch
    assert picture.left >= 0 and picture.left + picture.width <= deck.SLIDE_WIDTH
    assert picture.top + picture.height <= deck.SLIDE_HEIGHT
    assert "12.5% vs 5.0%" in finding.notes_slide.notes_text_frame.text
    assert texts(slides[2]).startswith("Second")
    rows = table_rows(slides[3])
    assert rows[0] == ["Race/ethnicity", "n", "With outcome", "Rate", "Note"]
    assert rows[1] == ["Black or African American", "400", "50", "12.5%", ""]
    assert rows[2] == ["Asian", "37", "", "", "count under 10 hidden (privacy)"]  # hidden: no count, no rate
    methods = texts(slides[4])
    assert "Methods, privacy and data" in methods and "Counts from 1 to 9 are never shown" in methods
    assert "roster.xlsx [2024-25], discipline.csv" in methods and "Made 2025-06-30" in methods


def test_item_without_chart_and_long_tables():
    empty = ReportItem("indicator", "Gone", "No data for 1999-00.", None, source_note="Source: x.")
    long = pd.DataFrame({"race": [f"Group {i}" for i in range(30)], "rate": np.linspace(0, 0.29, 30)})
    data = deck.build_deck("T", [empty], Provenance((), date(2025, 1, 1)), tables=[deck.TableSlide("Long", long)])
    slides = list(open_deck(data).slides)
    assert len(slides) == 1 + 1 + 3 + 1  # 30 rows at 12 a slide: three table slides
    assert not pictures(slides[1]) and "No data for 1999-00." in texts(slides[1])
    assert SAMPLE_DATA_LABEL not in texts(slides[0]) and "Your district's files" in texts(slides[0])
    assert texts(slides[3]).startswith("Long (continued)")
    assert sum(len(table_rows(s)) - 1 for s in slides[2:5]) == 30
    assert table_rows(slides[4])[-1] == ["Group 29", "29.0%"]


def test_basket_deck_recomputes_the_basket(sample_db: Path):
    with Store(sample_db) as store:
        add_item(store, IndicatorSpec("oss"), "Out-of-school suspension")
        add_item(store, IndicatorSpec("math_scale_score"), "Math")
        expected = build_basket(store)
        data = deck.basket_deck(store, "Board report")
    slides = list(open_deck(data).slides)
    assert len(slides) == 1 + 2 + 1
    for slide, item in zip(slides[1:3], expected, strict=True):
        assert item.title in texts(slide) and item.sentence in texts(slide)
        (picture,) = pictures(slide)
        assert picture._element.nvPicPr.cNvPr.get("descr") == item.alt_text
    assert SAMPLE_DATA_LABEL in texts(slides[0])
    # Both items use the default options, so the methods slide states them.
    assert "compared with all other students" in texts(slides[-1]) and "n-size 30" in texts(slides[-1])
