"""Load the synthetic sample district into a store (what the app shows when the store is empty).

The files come from the repository's `sample_data/` folder; when it is missing (an installed copy), they
are generated into a temporary folder first. All files import in one transaction, marked as sample data.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from equity_metrics.ingest.importer import ImportReport, SourceSpec, import_sources
from equity_metrics.sample.district import SAMPLE_FILES
from equity_metrics.sample.files import generate_sample
from equity_metrics.storage.store import Store

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


def sample_specs(folder: Path) -> list[SourceSpec]:
    return [SourceSpec(folder / f.path, f.mapping, f.sheet, name=f"{f.path}" + (f" [{f.sheet}]" if f.sheet else ""))
            for f in SAMPLE_FILES]


def load_sample(store: Store, folder: Path | None = None) -> list[ImportReport]:
    """Import every sample file into `store` in one transaction."""
    folder = folder or SAMPLE_DIR
    if all((folder / f.path).exists() for f in SAMPLE_FILES):
        return import_sources(store, sample_specs(folder), is_sample=True)
    with tempfile.TemporaryDirectory(prefix="equity-explorer-sample-") as temporary:
        generate_sample(Path(temporary))
        return import_sources(store, sample_specs(Path(temporary)), is_sample=True)


def open_store_with_data(path: Path) -> Store:
    """Open the store at `path`, loading the sample district first if it holds nothing."""
    store = Store(path)
    if store.is_empty():
        load_sample(store)
    return store
