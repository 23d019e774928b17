"""Equity Explorer's library: read a district's exports, store them, and measure where outcomes differ by group,
with every count protected. Nothing here imports Streamlit.

Where things live (each layer imports only the ones above it in this list; `tests/test_layers.py` checks, and
`tests/test_docs.py` that this map names every module):

- `core`: `constants` (groups, minimums, colours), `codes` (canonical codes and their spellings),
  `school_year` (the one school-year parser), `formulas` (the one guard against spreadsheet formulas), `stats`
  (pure, vectorised formulas), `suppression` (small-count rules), `i18n` (languages: catalogues, glossary,
  locale numbers and dates).
- `storage`: `schema` (the canonical tables), `store` (the `Store`: one DuckDB file, its threads and time
  limits), `facts` (the analysis tables built from the imports) and `graduation_facts` (cohort counts as
  students), `staff_codes` (what the staff table stores beside race labels), `excerpt_codes` (how an excerpt's codes are
  separated), `user_tables` (the goals and the
  report basket), `caches` (what to forget when a store is erased).
- `ingest`: `readers` (CSV and workbooks) guarded by `headers` (where a table starts and ends) and the
  pre-scans `workbook_scan`, `ods_scan` and `binary_scan` (with `scan_types`), `import_limits`; `cleaning`,
  `vocabulary` (the spellings of headers), `guessing` and `kinds` (what a file and its columns hold, with
  reasons), `mapping` and `mapping_schema`, `status_codes`, `survey_answers` (answers written as words),
  `unfit`; whole layouts read from their headers:
  `crdc`, `graduation`, `excerpts`, and the published aggregates of `layouts` (`staff_fte`, `survey_summary`,
  `representation`, sharing `layout_fields`; `aggregate_checks` says what their arithmetic shows);
  `import_plan`, `field_sql` (the SQL reading each field) and `importer`, `same_content` and `same_keys` (duplicates),
  `saved_mappings`, `uploads`.
- `measures`: `indicators` (the catalogue), `aggregate` (SQL to cells), `protected`, `finest` and `disclosure`
  (one disclosure-controlled table per indicator and year), `layer_links` (which tables count the same
  students, or a part of them), `kept` (those tables kept in the store),
  `metrics` (rate and gap tables), `analysis` (the questions the app and the CLI ask: `rates`, `gaps`,
  `audit`, `association_by_year`), `adjusted` and `adjusted_gaps` (Mantel–Haenszel, regression), `rules` and
  `disproportionality` (IDEA, EEOC), `stabilised` (empirical Bayes), `course_access`, `respondents` (survey
  comparisons clustered by respondent); the published
  aggregates, each over its protected table: `staff_fte` (`staff_cube`), `survey_summary` (`survey_cube`),
  `representation`; `exposure` (students' exposure to inexperienced teachers and counselors, by group);
  `themes` and `themes_quotes` (coded excerpts: themes by group, quotes where privacy allows).
- `narrative`: `findings` (sentences about rates), `wording` (their words in a language), `scope` (what a result
  shows, in words and file names),
  `score_gaps`, `score_distribution` and `discipline_stages` (composite views and their sentences), `exposure`
  (who attends the schools with the most inexperienced teachers).
- `goals`: `model` (a goal, its measures and checks), `repository` (goals in the store), `csv_io` (goals as CSV),
  `progress` (values, path and status), `text` (goals in words), `goal_predictor` (the predictor measure),
  `impact` (equity impact assessments of a proposed decision, kept in the store, linked to goals),
  `impact_figures` (an assessment's current figures, from the protected tables).
- `charts`: `specs` (Altair charts), `exposure_chart`, `theme_chart`, `goal_charts`, `chart_files` (PNG, SVG, PDF).
- `reports`: `basket` (the report basket), `report_items`, `goal_items` and `quote_items` (report items), `builders` (the
  table of item builders), `export_tables`, `deck`, `html_report`, `audit_export`,
  `impact_report` (an impact assessment as one HTML file).
- `sample`: `district` (the synthetic district), `people` and `outcomes` (drawn from it), `xlsx_writer` and
  `files` (its files, byte for byte), `listening` (its coded listening sessions), `sample_store` (loading it).
- `cli` (`python -m equity_metrics`), with `cli_aggregates` (the published aggregates' commands) and
  `cli_themes` (the `themes` command).
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
