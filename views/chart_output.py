"""Charts on the page: the library's Altair charts sent to the browser without validating them again.

`st.altair_chart` converts each chart with Altair's `to_dict()`, which validates the whole spec against the
Vega-Lite JSON schema on every rerun: about a quarter of a page rerun (issue 16's speed target). The library's
chart specs are validated by its tests (tests/charts), so the pages convert them with `validate=False`, the way
Streamlit does otherwise: the chart's data as Arrow datasets named by their content, no Altair default theme,
under one lock (Altair's data transformers and themes are global to every session's thread).
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import nullcontext
from typing import Any

import altair
import streamlit as st
from streamlit import dataframe_util

__all__ = ["show_chart", "vega_lite_spec"]

_TRANSFORMER = "equity_explorer_arrow"
_LOCK = threading.Lock()


def _to_arrow_dataset(data: Any, datasets: dict[str, bytes]) -> dict[str, str]:
    """Altair data transformer: the chart's data as Arrow IPC bytes under the hash of those bytes."""
    data_bytes = dataframe_util.convert_anything_to_arrow_bytes(data)
    name = hashlib.md5(data_bytes, usedforsecurity=False).hexdigest()
    datasets[name] = data_bytes
    return {"name": name}


def vega_lite_spec(chart: altair.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec with its data as Arrow datasets (what st.vega_lite_chart sends as is)."""
    datasets: dict[str, bytes] = {}
    altair.data_transformers.register(_TRANSFORMER, _to_arrow_dataset)
    with _LOCK:
        theme = altair.theme.enable("none") if altair.theme.active == "default" else nullcontext()
        with theme, altair.data_transformers.enable(_TRANSFORMER, datasets=datasets):
            spec = chart.to_dict(validate=False)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def show_chart(chart: altair.TopLevelMixin, *, key: str, alt: str, **options: Any) -> None:
    """Draw a library chart, as `st.altair_chart(chart, key=key, alt=alt, **options)` would."""
    st.vega_lite_chart(spec=vega_lite_spec(chart), key=key, alt=alt, **options)
