"""Shared fixtures: the sample district's files, a store loaded with them (built once per session), and a
fresh copy of that store per test for anything that writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from equity_metrics.sample import SAMPLE_FILES, generate_sample
from equity_metrics.sample_store import SAMPLE_DIR, load_sample
from equity_metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample files, or freshly generated ones if the folder is incomplete."""
    if all((SAMPLE_DIR / f.path).exists() for f in SAMPLE_FILES):
        return SAMPLE_DIR
    folder = tmp_path_factory.mktemp("sample")
    generate_sample(folder)
    return folder


@pytest.fixture(scope="session")
def sample_db_template(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A store file holding the whole sample district; never written after this fixture."""
    path = tmp_path_factory.mktemp("store") / "sample.duckdb"
    with Store(path) as store:
        load_sample(store, sample_dir)
        store.cursor().execute("CHECKPOINT")
    return path


@pytest.fixture(scope="session")
def sample_store(sample_db_template: Path) -> Store:
    """Read-only store on the sample district, shared by library tests that only read."""
    store = Store(sample_db_template, read_only=True)
    yield store
    store.close()


@pytest.fixture()
def sample_db(tmp_path: Path, sample_db_template: Path) -> Path:
    """A private, writable copy of the sample store's file."""
    path = tmp_path / "store.duckdb"
    shutil.copyfile(sample_db_template, path)
    return path


@pytest.fixture()
def empty_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "empty.duckdb")
    yield store
    store.close()
