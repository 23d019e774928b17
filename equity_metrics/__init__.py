"""Equity Explorer's library: read, map, store, aggregate, measure, chart and export school equity data.

The data flow runs one way: `readers` -> `importer` (with `mapping` and `codes`) -> `store` and `facts`
-> `aggregate` (SQL) -> `metrics` (with `stats` and `suppression`) -> `findings` and `charts`.
`analysis` answers the app's and the command line's questions the same way. Nothing here imports Streamlit.
"""

__version__ = "0.1.0"
