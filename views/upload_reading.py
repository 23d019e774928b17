"""The Data page's reading of an upload, done once per uploaded file (not on every rerun).

Streamlit reruns the whole page on every click; without this, each rerun wrote the upload's copy again, read
the file again and guessed its kind and columns again, which takes seconds to minutes for a wide file. The
copy is written once per uploaded file (`st.file_uploader`'s `file_id`); the reading and the guesses are cached
per file, sheet and header row (and kind, for the column guess). Cached objects are shared, never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from equity_metrics.ingest.guessing import ColumnGuess, guess_columns
from equity_metrics.ingest.importer import column_samples
from equity_metrics.ingest.kinds import KindGuess, choose_kind, guess_kind, guess_mapping
from equity_metrics.ingest.mapping import Mapping
from equity_metrics.ingest.readers import SourceTable, preview, read_source, safe_file_name, save_upload

_COPY_KEY = "upload_copy_of"


@dataclass(frozen=True)
class UploadReading:
    """One reading of an upload: the table, the values guesses look at, and the kind-independent guesses."""

    source: SourceTable
    samples: dict[str, list[Any]]
    choice: KindGuess
    kind: str
    preview: dict[str, str]


def upload_copy(upload: Any, folder: str) -> Path:
    """The upload's copy in `folder`, written the first time this uploaded file is seen (or when it is gone)."""
    path = Path(folder) / safe_file_name(upload.name)
    key = (upload.file_id, folder)
    if st.session_state.get(_COPY_KEY) != key or not path.exists():
        path = save_upload(upload.name, upload.getvalue(), folder)
        st.session_state[_COPY_KEY] = key
    return path


@st.cache_resource(max_entries=4, show_spinner="Reading the file…")
def upload_reading(file_id: str, path: str, sheet: str | None, header_row: int, file_name: str) -> UploadReading:
    """Read the upload's table and make the guesses that do not depend on the kind chosen (raises ReadError)."""
    del file_id  # names the uploaded file's content in the cache key
    source = read_source(Path(path), sheet, header_row)
    samples = column_samples(source)
    return UploadReading(source, samples, choose_kind(source.columns, samples, file_name),
                         guess_kind(source.columns, samples), preview(source))


@st.cache_resource(max_entries=16, show_spinner="Guessing the columns…")
def upload_guess(file_id: str, path: str, sheet: str | None, header_row: int, file_name: str,
                 kind: str) -> tuple[ColumnGuess, Mapping]:
    """The columns guessed for `kind`, with their reasons, and the guessed mapping."""
    reading = upload_reading(file_id, path, sheet, header_row, file_name)
    columns, samples = reading.source.columns, reading.samples
    return guess_columns(kind, columns, samples), guess_mapping(kind, columns, samples, file_name=file_name)
