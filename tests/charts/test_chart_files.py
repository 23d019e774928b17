"""Chart files: PNG at 200 ppi, SVG and PDF rendered offline from the same spec the app draws."""

from __future__ import annotations

import re
import struct

import altair as alt
import pandas as pd
import pytest

from equity_metrics.charts import chart_files
from equity_metrics.charts import specs as charts
from equity_metrics.core.constants import GROUP_COLOURS, RACE_SHORT_LABELS
from equity_metrics.measures import analysis
from equity_metrics.narrative import findings

TINY = {"data": {"values": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}, "mark": "bar",
        "encoding": {"x": {"field": "a", "type": "quantitative"}, "y": {"field": "b", "type": "nominal"}},
        "width": 200, "height": 100}


def png_header(png: bytes) -> tuple[int, int, int]:
    """Width, height and pixels per metre (pHYs) of a PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    at = png.index(b"pHYs")
    per_metre_x, per_metre_y, unit = struct.unpack(">IIB", png[at + 4:at + 13])
    assert unit == 1 and per_metre_x == per_metre_y
    return width, height, per_metre_x


def svg_size(svg: str) -> tuple[float, float]:
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"', svg)
    return float(match.group(1)), float(match.group(2))


def test_png_is_200_ppi_at_the_chart_size():
    width, height = svg_size(chart_files.svg_text(TINY))
    png_width, png_height, per_metre = png_header(chart_files.png_bytes(TINY))
    # 200 ppi: the chart keeps its size in inches (CSS pixels / 72), so pixels grow by 200 / 72.
    assert png_width == pytest.approx(width * 200 / 72, abs=1) and png_height == pytest.approx(height * 200 / 72, abs=1)
    assert round(per_metre * 0.0254) == 200  # 7874 pixels per metre = 200 per inch
    wider, _, _ = png_header(chart_files.png_bytes(TINY, ppi=300))
    assert wider == pytest.approx(width * 300 / 72, abs=1)


def test_pdf_is_a_pdf():
    pdf = chart_files.pdf_bytes(TINY)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def test_external_data_is_refused_not_fetched():
    spec = {**TINY, "data": {"url": "https://example.com/data.json"}}
    for render in (chart_files.png_bytes, chart_files.svg_text, chart_files.pdf_bytes):
        with pytest.raises(ValueError, match="not allowed"):
            render(spec)


@pytest.fixture(scope="module")
def oss(sample_store):
    result = analysis.rates(sample_store, "oss", ["race"])
    chart = charts.rate_chart(result.table, ["race"], result.indicator, "OSS by group, 2024-25", 0.05)
    return result, chart


def test_svg_has_the_screen_colours_labels_and_notes(oss):
    result, chart = oss
    hidden = "Not fully shown: " + " · ".join(findings.suppressed_groups(result.table, ["race"]))
    rendered = chart_files.render(chart, "Alt text of the chart", ("svg",), notes=[hidden, "Data: sample. Made today."])
    assert rendered.alt_text == "Alt text of the chart" and rendered.png is None and rendered.pdf is None
    svg = rendered.svg
    texts = " ".join(re.sub(r"<[^>]+>", " ", t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S))
    shown = result.table[~result.table["suppressed"]]
    for race in shown["race"]:
        assert RACE_SHORT_LABELS[race] in texts  # every drawn group is named on the axis
        assert GROUP_COLOURS[race].lower() in svg.lower()  # in its fixed colour
    for race in result.table[result.table["suppressed"]]["race"]:
        assert RACE_SHORT_LABELS[race] in texts  # hidden groups are named too, with the reason
    assert "hidden to protect privacy" in texts
    assert "OSS by group, 2024-25" in texts and "Out-of-school suspension rate" in texts
    assert "Not fully shown:" in texts and "Data: sample. Made today." in texts
    # Nothing in the file points at the network (the xmlns declarations are names, not requests).
    assert not re.search(r'(href|src)="https?:', svg)


def test_render_every_format_once(oss):
    _, chart = oss
    rendered = chart_files.render(chart, "alt")
    assert rendered.data("png").startswith(b"\x89PNG") and rendered.data("pdf").startswith(b"%PDF-")
    assert rendered.data("svg").startswith(b"<svg")
    assert png_header(rendered.png)[2] == 7874
    with pytest.raises(ValueError, match="unknown chart format"):
        chart_files.render(chart, "alt", ("gif",))
    with pytest.raises(ValueError, match="not rendered"):
        chart_files.render(chart, "alt", ("svg",)).data("png")


def test_without_notes_the_spec_is_the_apps_own(oss):
    _, chart = oss
    assert chart_files.with_notes(chart, []) is chart
    wrapped = chart_files.with_notes(chart, ["a note"]).to_dict()
    inner = dict(wrapped["vconcat"][0])
    own = chart.to_dict()
    assert inner["layer"] == own["layer"] and inner["title"] == own["title"]
    assert wrapped["title"]["text"] == ["a note"] and wrapped["title"]["orient"] == "bottom"


def test_version_from_schema():
    assert chart_files._vl_version({"$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json"}) == "6.4"
    assert chart_files._vl_version({"$schema": "https://vega.github.io/schema/vega-lite/v1.0.0.json"}) is None
    assert chart_files._vl_version({}) is None
    chart = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a:Q")
    assert chart_files._vl_version(chart.to_dict()) is not None  # the installed Altair's version is bundled


def test_a_chart_file_states_its_finding_above_the_chart(oss):
    result, chart = oss
    sentence = findings.rate_headline(result.indicator, result.table, ["race"], result.options)
    spec = chart_files.with_headline(chart, sentence).to_dict()
    assert spec["title"]["text"] == charts.wrap_title(sentence, chart_files.HEADLINE_WRAP)
    assert spec["title"].get("orient", "top") == "top"  # above the chart (the notes go under it)
    svg = chart_files.render(chart, sentence, ("svg",), headline=sentence).svg
    from html import unescape

    texts = " ".join(unescape(re.sub(r"<[^>]+>", " ", t)) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S))
    assert sentence in " ".join(texts.split())
    assert chart_files.with_headline(chart, "") is chart
