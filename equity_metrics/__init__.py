"""Equity Explorer's library: read a district's exports, store them, and measure where outcomes differ by group,
with every count protected. Nothing here imports Streamlit.

Where things live (each layer imports only the ones above it in this list; `tests/test_layers.py` checks):

- `core`: `constants` (groups, minimums, colours), `codes` (canonical codes and their spellings),
  `school_year` (the one school-year parser), `formulas` (the one guard against spreadsheet formulas), `stats`
  (pure, vectorised formulas), `suppression` (small-count rules).
- `storage`: `schema` (the canonical tables), `store` (the `Store`: one DuckDB file, its threads and time
  limits), `facts` (the analysis tables built from the imports), `user_tables` (goals, basket, mappings),
  `caches` (what to forget when a store is erased).
- `ingest`: `readers` (CSV and workbooks; `headers`, `workbook_scan` and the other scans guard them),
  `cleaning`, `guessing` and `kinds` (what a file and its columns hold, with reasons), `mapping` and
  `mapping_schema`, `status_codes`, `crdc`, `unfit`, `import_plan`, `field_sql` (the SQL reading each
  field) and `importer`, `same_content` (duplicates), `saved_mappings`, `uploads`, `import_limits`.
- `measures`: `indicators` (the catalogue), `aggregate` (SQL to cells), `protected` and `disclosure` (one
  disclosure-controlled table per indicator and year), `metrics` (rate and gap tables), `analysis` (the
  questions the app and the CLI ask: `rates`, `gaps`, `audit`, `association_by_year`), `adjusted` and
  `adjusted_gaps` (Mantel–Haenszel, regression), `rules` and `disproportionality` (IDEA, EEOC), `stabilised`
  (empirical Bayes), `course_access`.
- `narrative`: `findings` (sentences about rates), `scope` (what a result shows, in words and file names),
  `score_gaps`, `score_distribution` and `discipline_stages`
  (composite views and their sentences).
- `goals`: `model` (goals, their CSV, progress and sentences).
- `charts`: `specs` (Altair charts), `goal_charts`, `chart_files` (PNG, SVG, PDF).
- `reports`: `basket` (the report basket), `report_items` and `goal_items` (report items), `builders` (the
  table of item builders), `export_tables`, `deck`, `html_report`, `audit_export`.
- `sample`: `district` (the synthetic district) and `sample_store` (loading it).
- `cli` (`python -m equity_metrics`).
"""

from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.analysis import NoDataError, Result, association_by_year, audit, gaps, rates
from equity_metrics.measures.indicators import INDICATORS, Indicator, get_indicator
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.storage.store import Store, StoreError, open_for_reading

__version__ = "0.1.0"

__all__ = [
    "INDICATORS",
    "Filters",
    "Indicator",
    "MetricOptions",
    "NoDataError",
    "Result",
    "Store",
    "StoreError",
    "__version__",
    "association_by_year",
    "audit",
    "gaps",
    "get_indicator",
    "open_for_reading",
    "rates",
]
