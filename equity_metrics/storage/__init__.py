"""The store: one DuckDB file in the canonical schema, the analysis (facts) tables built from it, the user's own
tables, and the caches to forget when a store is erased."""
