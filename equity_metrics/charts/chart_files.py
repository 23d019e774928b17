"""Chart files: an Altair chart rendered offline by vl-convert as PNG (200 ppi), SVG or PDF, with its alt text.

The spec rendered is the one the app draws (same colours, labels, titles), with the notes shown under the
chart on screen (hidden groups, data source) added as lines below it, so a chart file pasted into a slide
still says what is not shown and where the numbers come from. Rendering never touches the network:
vl-convert embeds Vega, Vega-Lite and a fallback font (Liberation Sans) and otherwise uses fonts installed on
the computer (version 1.9 has no web-font download), and every call passes `allowed_base_urls=[]`, so a spec
asking for external data fails instead of fetching it. Charts carry their data inline (one row per group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import vl_convert

from equity_metrics.charts.specs import wrap_title

PNG_PPI = 200  # pixels per inch of PNG files: sharp on slides and in print (Altair's default is 72)
NOTE_WRAP = 110  # characters per line of a note under the chart
NOTE_COLOUR = "#444444"
NO_EXTERNAL_URLS: list[str] = []  # vl-convert: no data may be fetched from any URL
Format = Literal["png", "svg", "pdf"]
FORMATS: tuple[Format, ...] = ("png", "svg", "pdf")
MIME_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


@dataclass(frozen=True)
class RenderedChart:
    """A chart in the formats asked for (the others None), with the alt text that describes it."""

    alt_text: str
    png: bytes | None = None
    svg: str | None = None
    pdf: bytes | None = None

    def data(self, fmt: Format) -> bytes:
        """The file's bytes in one format (SVG encoded as UTF-8)."""
        value = getattr(self, fmt)
        if value is None:
            raise ValueError(f"the chart was not rendered as {fmt}")
        return value.encode("utf-8") if isinstance(value, str) else value


def with_notes(chart: alt.TopLevelMixin, notes: Sequence[str]) -> alt.TopLevelMixin:
    """The chart with lines of text under it (e.g. 'Not fully shown: ...' and the data source), as the app
    shows them under the chart. Without notes, the chart itself."""
    lines = [line for note in notes if note for line in wrap_title(note, NOTE_WRAP)]
    if not lines:
        return chart
    return alt.vconcat(chart).properties(title=alt.TitleParams(
        lines, orient="bottom", anchor="start", fontSize=11, fontWeight="normal", color=NOTE_COLOUR, offset=14))


HEADLINE_WRAP = 80  # characters per line of the finding written above a chart file


def with_headline(chart: alt.TopLevelMixin, headline: str) -> alt.TopLevelMixin:
    """The chart with the finding (its generated sentence) above it, so a chart file used on its own still
    states what it shows. Without a headline, the chart itself."""
    if not headline:
        return chart
    return alt.vconcat(chart).properties(title=alt.TitleParams(
        wrap_title(headline, HEADLINE_WRAP), anchor="start", fontSize=16, fontWeight="bold", offset=12))


def chart_spec(chart: alt.TopLevelMixin | dict[str, Any]) -> dict[str, Any]:
    """The Vega-Lite spec (data inline) of an Altair chart."""
    return chart if isinstance(chart, dict) else chart.to_dict()


def _vl_version(spec: dict[str, Any]) -> str | None:
    """'v6.4.1' in the spec's $schema -> '6.4' when vl-convert bundles it (else its latest)."""
    schema = str(spec.get("$schema", ""))
    version = schema.rsplit("/v", 1)[-1].removesuffix(".json") if "/v" in schema else ""
    major_minor = ".".join(version.split(".")[:2])
    return major_minor if major_minor in vl_convert.get_vegalite_versions() else None


def png_bytes(chart: alt.TopLevelMixin | dict[str, Any], ppi: float = PNG_PPI) -> bytes:
    """PNG at `ppi` pixels per inch: the chart's size in inches is kept (width/72), so pixels grow by ppi/72,
    and the file records its resolution."""
    spec = chart_spec(chart)
    return vl_convert.vegalite_to_png(spec, vl_version=_vl_version(spec), ppi=ppi,
                                      allowed_base_urls=NO_EXTERNAL_URLS)


def svg_text(chart: alt.TopLevelMixin | dict[str, Any]) -> str:
    """SVG markup (text kept as text, so labels can be read and searched)."""
    spec = chart_spec(chart)
    return vl_convert.vegalite_to_svg(spec, vl_version=_vl_version(spec), allowed_base_urls=NO_EXTERNAL_URLS)


def pdf_bytes(chart: alt.TopLevelMixin | dict[str, Any]) -> bytes:
    """A one-page vector PDF of the chart."""
    spec = chart_spec(chart)
    return vl_convert.vegalite_to_pdf(spec, vl_version=_vl_version(spec), allowed_base_urls=NO_EXTERNAL_URLS)


_RENDERERS = {"png": png_bytes, "svg": svg_text, "pdf": pdf_bytes}


def render(chart: alt.TopLevelMixin, alt_text: str, formats: Sequence[Format] = FORMATS,
           notes: Sequence[str] = (), headline: str = "") -> RenderedChart:
    """Render the chart (with `headline` above it and `notes` under it) in each of `formats`, once each, and
    keep its alt text."""
    unknown = [f for f in formats if f not in _RENDERERS]
    if unknown:
        raise ValueError(f"unknown chart format {unknown[0]!r}; use one of {', '.join(FORMATS)}")
    spec = chart_spec(with_notes(with_headline(chart, headline), notes))
    return RenderedChart(alt_text=alt_text, **{fmt: _RENDERERS[fmt](spec) for fmt in dict.fromkeys(formats)})
