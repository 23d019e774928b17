"""Protected tables kept in the store file between processes (see `Store.keep`).

A table is kept under a key naming what it was made from: the protected table's own key (the store's content,
the indicator, the year, the threshold) and the source of the code that computes and proves it (every module
of `measures`, `storage` and `core`), so that no change of data or of method ever reads an old table. Tables
travel as Arrow IPC bytes, which give back the same columns, types and values.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from equity_metrics.storage.store import Store, StoreError

__all__ = ["collect_pending", "keep_pending", "kept_or_built"]

_PACKAGES = ("core", "measures", "storage")


@functools.cache
def code_version() -> str:
    """A fingerprint of the code that makes a protected table (its source files)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(p for package in _PACKAGES for p in (root / package).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def kept_or_built(store: Store, key: tuple, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The table kept in the store under `key` (with this code), else `build()`, kept for next time."""
    name = hashlib.sha256(repr((code_version(), key)).encode()).hexdigest()
    found = store.read_kept(name)
    if found is not None:
        return _from_bytes(found)
    version = store.data_version()
    table = build()
    if not store.read_only:
        store.keep(name, _to_bytes(table), version)
    elif _COLLECTING:  # a command that only reads: kept when it ends (`keep_pending`), if the store can take it
        _PENDING.setdefault(store.path.resolve(), []).append((name, _to_bytes(table), version))
    return table


_PENDING: dict[Path, list[tuple[str, bytes, str]]] = {}
_COLLECTING = False  # set by the command line (one command per process); a library user's read-only store keeps
# nothing, so a long-lived process never holds what it could not write


def collect_pending() -> None:
    """From now on, remember the tables that stores opened read-only had to prove (see `keep_pending`)."""
    global _COLLECTING
    _COLLECTING = True


def keep_pending() -> None:
    """Keep the tables that stores opened read-only had to prove (a command that only reads, once its answer is
    out): each store is opened for writing a moment, and a store that cannot be (a read-only folder, a lock) keeps
    nothing, silently; the tables are proven again next time."""
    while _PENDING:
        path, tables = _PENDING.popitem()
        with contextlib.suppress(StoreError, duckdb.Error, OSError), Store(path) as store:
            for name, cells, version in tables:
                store.keep(name, cells, version)


def _to_bytes(table: pd.DataFrame) -> bytes:
    sink = pa.BufferOutputStream()
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return sink.getvalue().to_pybytes()


def _from_bytes(data: bytes) -> pd.DataFrame:
    """The table back, text columns as Python strings (object), as the protected tables hold their keys."""
    arrow = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    frame = arrow.to_pandas()
    for field in arrow.schema:
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            frame[field.name] = frame[field.name].astype(object)
    return frame
