"""'Delete all my data': the store file, its log and its spill folder leave the disk."""

from __future__ import annotations

import shutil
from pathlib import Path

from equity_metrics.storage.store import Store, erase_store


def test_erase_store_removes_the_file_its_log_and_its_spill_folder(tmp_path: Path, sample_db: Path) -> None:
    store = Store(sample_db)
    spill = Path(store._temp_dir.name)
    assert spill.is_dir() and sample_db.exists()
    removed = erase_store(store)
    assert sample_db in removed
    assert not sample_db.exists() and not sample_db.with_name(sample_db.name + ".wal").exists()
    assert not spill.exists()
    fresh = Store(sample_db)  # a new store at the same place starts empty
    try:
        assert fresh.is_empty()
        assert not fresh.table_exists("saved_mappings")
    finally:
        fresh.close()


def test_the_data_page_erases_everything_and_starts_over(at, sample_db: Path, tmp_path: Path) -> None:
    at.switch_page("pages/data.py").run()
    upload_folder = tmp_path / "uploads"
    upload_folder.mkdir()
    (upload_folder / "roster.csv").write_text("x\n")
    at.session_state["upload_folder"] = str(upload_folder)
    before = sample_db.stat().st_ino
    at.checkbox(key="erase_confirm").check().run()
    at.button(key="erase_all").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not upload_folder.exists()
    assert any("erased" in s.value for s in at.success), [s.value for s in at.success]
    shutil.rmtree(upload_folder, ignore_errors=True)
    assert sample_db.stat().st_ino != before  # a new file: the old one was deleted, not emptied
