"""Charts a board can read (issue 16): each trend line has its own dash and marker besides its colour, in one
legend; the heatmap's legend labels both ends and 1."""

from __future__ import annotations

import math

from equity_metrics.charts import specs
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.storage.store import Store


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def test_each_trend_line_has_its_own_colour_dash_and_marker(sample_store: Store) -> None:
    result = analysis.rates(sample_store, "oss", ("school_year", "race"), Filters())
    spec = specs.trend_chart(result.table, "race", result.indicator, "t").to_dict()
    line = next(layer for layer in _layers(spec) if str(layer["mark"].get("type", layer["mark"])) == "line")
    encoding = line["encoding"]
    keys = encoding["strokeDash"]["scale"]["domain"]
    dashes = [tuple(d) for d in encoding["strokeDash"]["scale"]["range"]]
    shapes = encoding["shape"]["scale"]["range"]
    assert len(keys) >= 5 and len(set(dashes)) == len(keys) and len(set(shapes)) == len(keys)
    assert encoding["shape"]["scale"]["domain"] == keys
    # one legend: the three channels share the field, title and labels
    assert {encoding[c]["field"] for c in ("strokeDash", "shape", "color")} == {"colour_key"}
    assert "resolve" not in spec


def test_the_heatmap_legend_labels_both_ends_and_one(sample_store: Store) -> None:
    result = analysis.rates(sample_store, "oss", ("school", "race"), Filters(("2024-25",)))
    spec = specs.heatmap_chart(result.table, "race", result.indicator, "t", "all other students").to_dict()
    legends = [layer["encoding"]["color"].get("legend") for layer in _layers(spec)
               if layer["encoding"].get("color", {}).get("field") == "risk_ratio"]
    low, middle, high = legends[0]["values"]
    assert middle == 1.0 and math.isclose(low * high, 1.0) and low < 1 < high
