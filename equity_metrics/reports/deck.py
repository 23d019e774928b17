"""Slide decks (python-pptx): a title slide, one slide per finding (title, sentence, chart picture with alt
text, what is not shown and the source), optional table slides, and a methods-and-privacy slide.

Charts are PNGs rendered offline at 200 ppi (`chart_files`); each picture's description (alt text) is the
item's alt text, and the speaker notes repeat the sentence and the notes. Tables come from the library's
suppressed tables: a hidden value is an empty cell.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from equity_metrics.charts.chart_files import PNG_PPI
from equity_metrics.core.i18n import translator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.reports.builders import build_basket
from equity_metrics.reports.export_tables import Provenance, column_label, display_text, methods_lines, provenance
from equity_metrics.reports.report_items import ReportItem, shared_options
from equity_metrics.storage.store import Store

SLIDE_WIDTH = Inches(13.333)  # 16:9
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.5)
TABLE_ROWS_PER_SLIDE = 12
MAX_ENLARGEMENT = 1.3  # a small chart is drawn at most this much larger than its own size (text stays readable)
GREY = RGBColor(0x44, 0x44, 0x44)
_TITLE_LAYOUT, _TITLE_ONLY_LAYOUT = 0, 5  # the default template's "Title Slide" and "Title Only"


@dataclass(frozen=True)
class TableSlide:
    """A table to put on slides (split over several when long): library column names, suppressed values."""

    title: str
    frame: pd.DataFrame
    caption: str = ""


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header."""
    return struct.unpack(">II", png[16:24])


def _text_box(slide, left: int, top: int, width: int, height: int, paragraphs: Sequence[str], size: int,
              bold: bool = False, colour: RGBColor | None = None) -> None:
    frame = slide.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    for index, text in enumerate(p for p in paragraphs if p):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = text
        paragraph.font.size = Pt(size)
        paragraph.font.bold = bold
        if colour is not None:
            paragraph.font.color.rgb = colour


def _title_slide(deck, title: str, subtitle: str, source: Provenance, lang: str = "en") -> None:
    tr = translator(lang)
    slide = deck.slides.add_slide(deck.slide_layouts[_TITLE_LAYOUT])
    heading, below = slide.shapes.title, slide.placeholders[1]
    width = SLIDE_WIDTH - 2 * MARGIN
    heading.left, heading.top, heading.width, heading.height = MARGIN, Inches(1.6), width, Inches(1.5)
    below.left, below.top, below.width, below.height = MARGIN, Inches(3.3), width, Inches(2.6)
    heading.text = title
    lines = [subtitle, source.label_in(tr), tr.gettext("Made {date}").format(date=tr.date(source.created))]
    below.text = "\n".join(line for line in lines if line)
    for paragraph in below.text_frame.paragraphs:
        paragraph.font.size = Pt(18)
    if source.holds_sample:
        _text_box(slide, MARGIN, SLIDE_HEIGHT - Inches(1.3), SLIDE_WIDTH - 2 * MARGIN, Inches(0.8),
                  [tr.gettext("{sample}: invented students in an invented district, made to show how the tool "
                              "works. The numbers are not findings about any real district.").format(
                      sample=tr.gettext("Sample data (synthetic)"))], 14, bold=True)


def _titled_slide(deck, title: str):
    slide = deck.slides.add_slide(deck.slide_layouts[_TITLE_ONLY_LAYOUT])
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.3), SLIDE_WIDTH - 2 * MARGIN, Inches(0.9)
    shape.text = title
    shape.text_frame.paragraphs[0].font.size = Pt(26)
    return slide


def _finding_slide(deck, item: ReportItem) -> None:
    slide = _titled_slide(deck, item.title)
    width = SLIDE_WIDTH - 2 * MARGIN
    _text_box(slide, MARGIN, Inches(1.2), width, Inches(0.9), [item.sentence], 16)
    rendered = item.render(("png",), with_notes=False)
    if rendered is not None:
        pixels_wide, pixels_high = png_size(rendered.png)
        box_width, box_height = width, Inches(4.1)
        natural = Inches(1) / PNG_PPI  # EMU per pixel at the chart's own size
        scale = min(box_width / pixels_wide, box_height / pixels_high, natural * MAX_ENLARGEMENT)
        picture_width, picture_height = int(pixels_wide * scale), int(pixels_high * scale)
        left = Emu(int((SLIDE_WIDTH - picture_width) / 2))
        picture = slide.shapes.add_picture(io.BytesIO(rendered.png), left, Inches(2.2), picture_width,
                                           picture_height)
        picture._element.nvPicPr.cNvPr.set("descr", rendered.alt_text)  # the alt text PowerPoint reads out
        picture.name = "Chart"
    _text_box(slide, MARGIN, Inches(6.4), width, Inches(0.9), [item.hidden_note, item.source_note], 9, colour=GREY)
    slide.notes_slide.notes_text_frame.text = "\n".join(p for p in (item.sentence, item.hidden_note,
                                                                    item.source_note) if p)


def _table_slides(deck, table: TableSlide, lang: str = "en") -> None:
    frame, tr = table.frame, translator(lang)
    chunks = [frame.iloc[i:i + TABLE_ROWS_PER_SLIDE] for i in range(0, len(frame), TABLE_ROWS_PER_SLIDE)] or [frame]
    for index, chunk in enumerate(chunks):
        title = table.title if index == 0 else tr.gettext("{title} (continued)").format(title=table.title)
        slide = _titled_slide(deck, title)
        width = SLIDE_WIDTH - 2 * MARGIN
        top = Inches(1.2)
        if table.caption:
            _text_box(slide, MARGIN, top, width, Inches(0.6), [table.caption], 12)
            top = Inches(1.8)
        if chunk.empty:
            continue
        shape = slide.shapes.add_table(len(chunk) + 1, len(chunk.columns), MARGIN, top, width,
                                       Inches(0.3) * (len(chunk) + 1))
        grid = shape.table
        for column_index, column in enumerate(chunk.columns):
            _cell(grid.cell(0, column_index), column_label(column, lang), bold=True)
            for row_index, value in enumerate(chunk[column], start=1):
                _cell(grid.cell(row_index, column_index), display_text(column, value, lang))


def _cell(cell, text: str, bold: bool = False) -> None:
    cell.text = text
    for paragraph in cell.text_frame.paragraphs:
        paragraph.font.size = Pt(10)
        paragraph.font.bold = bold


def _methods_slide(deck, options: MetricOptions | None, source: Provenance, lang: str = "en") -> None:
    tr = translator(lang)
    slide = _titled_slide(deck, tr.gettext("Methods, privacy and data"))
    lines = methods_lines(options or MetricOptions(), lang)
    if options is None:
        lines = [tr.gettext("Each finding's source note gives the comparison group and the minimums that applied "
                            "to it."), *lines[1:]]
    lines.append(source.source_line_in(tr))
    _text_box(slide, MARGIN, Inches(1.2), SLIDE_WIDTH - 2 * MARGIN, Inches(6.0), [f"• {line}" for line in lines], 11)


# Text in a language other than English is marked with it (PowerPoint's proofing and font choice); Chinese
# text names an East Asian font that Windows has (macOS and LibreOffice substitute their own Chinese font).
_TEXT_LANGUAGE = {"es": ("es-US", None), "zh": ("zh-CN", "Microsoft YaHei")}


def _mark_language(deck, lang: str) -> None:
    """Every run of every slide marked with the language (and for Chinese its East Asian font)."""
    if lang not in _TEXT_LANGUAGE:
        return
    code, east_asian = _TEXT_LANGUAGE[lang]
    for slide in deck.slides:
        for run in slide._element.xpath(".//a:r"):
            properties = run.get_or_add_rPr()
            properties.set("lang", code)
            if east_asian and not properties.xpath("./a:ea"):
                properties.append(properties.makeelement(qn("a:ea"), {"typeface": east_asian}))


def build_deck(title: str, items: Sequence[ReportItem], source: Provenance, subtitle: str = "",
               tables: Sequence[TableSlide] = (), options: MetricOptions | None = None, lang: str = "en") -> bytes:
    """The .pptx bytes: title slide, a slide per item, the table slides, then methods and privacy (with
    `options`, or the options every item shares); the deck's own words in `lang` (items and tables come
    already in it)."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    deck.core_properties.title = title
    deck.core_properties.author = "Equity Explorer"
    _title_slide(deck, title, subtitle, source, lang)
    for item in items:
        _finding_slide(deck, item)
    for table in tables:
        _table_slides(deck, table, lang)
    _methods_slide(deck, options or shared_options(items), source, lang)
    _mark_language(deck, lang)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def basket_deck(store: Store, title: str = "Equity findings", subtitle: str = "") -> bytes:
    """One call: the report basket recomputed from the store, as a slide deck."""
    source = provenance(store)
    return build_deck(title, build_basket(store, source), source, subtitle)
