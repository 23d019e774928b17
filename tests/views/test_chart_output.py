"""The pages draw the library's charts without validating them on every rerun (views/chart_output.py): the
spec they send must be the one st.altair_chart would send, and every chart must pass Altair's validation here,
where it is no longer paid per rerun."""

from __future__ import annotations

import re

import altair as alt
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from equity_metrics.charts import specs
from equity_metrics.measures import analysis
from equity_metrics.measures.analysis import reference_rate
from equity_metrics.storage.store import Store
from views.chart_output import vega_lite_spec


def _named(spec: dict) -> tuple[str, list[bytes]]:
    """The spec with its datasets' names replaced by their order of appearance, and the datasets in order."""
    body = repr({k: v for k, v in spec.items() if k != "datasets"})
    names: dict[str, str] = {}
    for name in re.findall(r"'name': '([0-9a-f]{16,})'", body):
        names.setdefault(name, f"D{len(names)}")
    for name, short in names.items():
        body = body.replace(name, short)
    return body, [spec["datasets"][name] for name in names]


def _library_charts(store: Store) -> list[alt.TopLevelMixin]:
    result = analysis.rates(store, "oss", ["race"])
    trend = analysis.rates(store, "oss", ["school_year", "race"])
    by_school = analysis.rates(store, "oss", ["school", "race"])
    table, indicator = result.table, result.indicator
    return [specs.rate_chart(table, ["race"], indicator, "t", reference_rate(result)),
            specs.risk_ratio_chart(table, ["race"], "t", "all other students", 3.0),
            specs.composition_chart(table, ["race"], indicator, "t"),
            specs.trend_chart(trend.table, "race", indicator, "t"),
            specs.heatmap_chart(by_school.table, "race", indicator, "t", "all other students")]


def test_the_spec_sent_is_the_one_streamlit_would_send_and_it_is_valid(sample_store: Store) -> None:
    for chart in _library_charts(sample_store):
        chart.to_dict(validate=True)  # raises on a spec Vega-Lite's schema refuses
        ours, ours_data = _named(vega_lite_spec(chart))
        theirs, theirs_data = _named(_convert_altair_to_vega_lite_spec(chart))
        assert ours == theirs
        assert ours_data == theirs_data
