"""Self-contained HTML reports: one file that opens offline in any browser, with no script, no stylesheet
link and no web font. Charts are inline SVG (rendered by `chart_files`, labelled with their alt text), the
CSS is inline, and every text from the data is escaped. Tables are the library's suppressed tables: a hidden
value is an empty cell and the Note column says why.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from equity_metrics.core.i18n import N_, translator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.reports.builders import build_basket
from equity_metrics.reports.export_tables import Provenance, column_kind, column_label, display_text, methods_lines, provenance
from equity_metrics.reports.report_items import ReportItem, shared_options
from equity_metrics.storage.store import Store

SAMPLE_NOTE = N_("These are invented students in an invented district, made to show how the tool works; the numbers "
                 "are not findings about any real district.")
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif;
       color: #1a1a1a; max-width: 1100px; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
.sentence { font-size: 1.1rem; }
.note, .source, figcaption { color: #444; font-size: 0.85rem; }
.sample { background: #fff4ce; border-left: 4px solid #e69f00; padding: 0.6rem 0.9rem; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.8rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.4rem; vertical-align: top; }
th { background: #1f4e79; color: #fff; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
caption { caption-side: top; text-align: left; color: #444; padding-bottom: 0.3rem; }
@media print { section { break-inside: avoid-page; } details { display: block; } }
"""


@dataclass(frozen=True)
class TableSection:
    """A table for the report: library column names, suppressed values, a caption."""

    title: str
    frame: pd.DataFrame
    caption: str = ""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def labelled_svg(svg: str, alt_text: str) -> str:
    """The chart's SVG as an image with a name: role="img", aria-label and a <title> carrying the alt text."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("not an SVG document")
    svg = svg[start:]  # drop any XML declaration before the element
    close = svg.find(">")
    return (f'<svg role="img" aria-label="{_e(alt_text)}"' + svg[4:close + 1] + f"<title>{_e(alt_text)}</title>"
            + svg[close + 1:])


def table_html(frame: pd.DataFrame, caption: str = "", lang: str = "en") -> str:
    """An HTML table with display labels and formatted numbers; missing (hidden) values are empty cells."""
    head = "".join(f'<th scope="col">{_e(column_label(c, lang))}</th>' for c in frame.columns)
    kinds = [column_kind(c) for c in frame.columns]
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = "".join(f'<td class="num">{_e(display_text(c, v, lang))}</td>' if k != "plain" and not isinstance(v, str)
                        else f"<td>{_e(display_text(c, v, lang))}</td>"
                        for c, k, v in zip(frame.columns, kinds, values, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    caption_html = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f"<table>{caption_html}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _item_html(item: ReportItem, index: int) -> str:
    tr = translator(item.lang)
    parts = [f'<section class="item" id="item-{index}">', f"<h2>{_e(item.title)}</h2>",
             f'<p class="sentence">{_e(item.sentence)}</p>']
    rendered = item.render(("svg",), with_notes=False)
    if rendered is not None:
        caption = f"<figcaption>{_e(item.hidden_note)}</figcaption>" if item.hidden_note else ""
        parts.append(f"<figure>{labelled_svg(rendered.svg, rendered.alt_text)}{caption}</figure>")
    if not item.table.empty:
        summary = tr.gettext("Table: every group")
        parts.append(f"<details><summary>{_e(summary)}</summary>{table_html(item.table, lang=item.lang)}</details>")
    parts.append(f'<p class="source">{_e(item.source_note)}</p></section>')
    return "\n".join(parts)


def build_report(title: str, items: Sequence[ReportItem], source: Provenance, subtitle: str = "",
                 tables: Sequence[TableSection] = (), options: MetricOptions | None = None, lang: str = "en") -> str:
    """The whole HTML document in `lang` (its lang attribute too): header with data source and date (and the
    sample label when it applies), one section per item, the table sections, then methods and privacy."""
    tr = translator(lang)
    options = options or shared_options(items)
    methods = methods_lines(options or MetricOptions(), lang)
    if options is None:
        methods = [tr.gettext("Each finding's source note gives the comparison group and the minimums that applied "
                              "to it."), *methods[1:]]
    sample, methods_title = tr.gettext("Sample data (synthetic)"), tr.gettext("Methods and privacy")
    made = tr.gettext("Made with Equity Explorer on {date}.").format(date=tr.date(source.created))
    banner = (f'<p class="sample"><strong>{_e(sample)}.</strong> {_e(tr.gettext(SAMPLE_NOTE))}</p>'
              if source.holds_sample else "")
    body = [
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="sentence">{_e(subtitle)}</p>' if subtitle else "",
        f'<p class="source">{_e(source.source_line_in(tr))}</p>{banner}</header>',
        "<main>",
        *(_item_html(item, index) for index, item in enumerate(items, start=1)),
        *(f'<section class="table"><h2>{_e(t.title)}</h2>{table_html(t.frame, t.caption, lang)}</section>'
          for t in tables),
        f'<section id="methods"><h2>{_e(methods_title)}</h2><ul>',
        *(f"<li>{_e(line)}</li>" for line in methods),
        "</ul></section></main>",
        f'<footer><p class="source">{_e(made)}</p></footer>',
    ]
    return (f"<!DOCTYPE html>\n<html lang=\"{tr.html_lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body>\n</html>\n")


def basket_report(store: Store, title: str = "Equity findings", subtitle: str = "") -> str:
    """One call: the report basket recomputed from the store, as a self-contained HTML document."""
    source = provenance(store)
    return build_report(title, build_basket(store, source), source, subtitle)
