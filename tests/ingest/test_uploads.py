"""Uploaded files leave no copy behind: equity_metrics.ingest.uploads, and the Data page that uses it.

A copy lives in a folder of its own inside one parent folder per server process; the page deletes it when
the import ends (success or failure) or the file is removed from the uploader; start-up deletes the parents
that earlier processes left, never those of this process or of another server still running."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from fixtures.apptest import assert_ok, plain

from equity_metrics.ingest import uploads
from equity_metrics.ingest.uploads import (
    UPLOAD_PREFIX,
    is_stale,
    new_upload_folder,
    process_folder,
    process_folder_name,
    process_running,
    remove_stale_uploads,
    remove_upload,
)

ROSTER = ("Student ID,School Code,Grade,Race/Ethnicity,Gender,School Year\n"
          + "".join(f"09{i:05d},0104,09,White,F,2025-26\n" for i in range(1, 13)))


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def copies(temp_dir: Path) -> list[Path]:
    """Every file inside the app's upload folders under `temp_dir`."""
    return [p for p in temp_dir.glob(f"{UPLOAD_PREFIX}*/**/*") if p.is_file()]


# ---- the library -------------------------------------------------------------------------------------------
def test_an_upload_folder_is_private_inside_this_process_folder_and_is_removed(tmp_path: Path) -> None:
    folder = new_upload_folder(tmp_path)
    assert folder.parent == tmp_path / process_folder_name() == process_folder(tmp_path)
    assert folder.parent.name == f"{UPLOAD_PREFIX}{os.getpid()}-{uploads._PROCESS_TOKEN}"
    if os.name == "posix":
        assert folder.stat().st_mode & 0o077 == 0 and folder.parent.stat().st_mode & 0o077 == 0
    (folder / "roster.csv").write_text("x\n")
    assert new_upload_folder(tmp_path) != folder  # one folder per upload
    assert remove_upload(folder) and not folder.exists()
    assert not remove_upload(folder) and not remove_upload(None)


def test_process_running() -> None:
    assert process_running(os.getpid()) and process_running(os.getppid())
    assert not process_running(dead_pid())
    assert not process_running(0) and not process_running(-5)


def test_start_up_removes_what_earlier_processes_left_and_keeps_running_ones(tmp_path: Path) -> None:
    ours = new_upload_folder(tmp_path)
    (ours / "mine.csv").write_text("x\n")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        other_server = tmp_path / process_folder_name(sleeper.pid, "0123abcd")
        dead_server = tmp_path / process_folder_name(dead_pid(), "0123abcd")
        same_pid_earlier = tmp_path / process_folder_name(os.getpid(), "ffff0000")  # e.g. PID 1 in a container
        old_style = tmp_path / f"{UPLOAD_PREFIX}k3j_9a2b"  # tempfile.mkdtemp, before per-process folders
        new_old_style = tmp_path / f"{UPLOAD_PREFIX}zz_9a2b"
        unrelated = tmp_path / "equity-explorer-spill-1"
        for folder in (other_server, dead_server, same_pid_earlier, old_style, new_old_style, unrelated):
            (folder / "session").mkdir(parents=True)
            (folder / "session" / "roster.csv").write_text("x\n")
        an_hour_ago = uploads._PROCESS_STARTED - 3600
        os.utime(old_style, (an_hour_ago, an_hour_ago))
        future = time.time() + 3600
        os.utime(new_old_style, (future, future))
        a_file = tmp_path / f"{UPLOAD_PREFIX}note.txt"
        a_file.write_text("not a folder")

        removed = remove_stale_uploads(tmp_path)

        assert sorted(removed) == sorted([dead_server, same_pid_earlier, old_style])
        for folder in removed:
            assert not folder.exists()
        assert (ours / "mine.csv").exists()
        assert (other_server / "session" / "roster.csv").exists()
        assert new_old_style.exists() and unrelated.exists() and a_file.exists()
        assert not is_stale(ours.parent) and not is_stale(other_server)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert is_stale(other_server)  # that server has stopped now
    assert remove_stale_uploads(tmp_path) == [other_server]


# ---- the Data page -----------------------------------------------------------------------------------------
@pytest.fixture()
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temporary folder, as the app sees it, moved into the test's own folder."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def upload(at, name: str, data: bytes) -> None:
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]


def test_the_copy_is_deleted_after_an_import(at, temp_dir: Path) -> None:
    at.switch_page("pages/data.py").run()
    upload(at, "roster_2025-26.csv", ROSTER.encode())
    (copy,) = copies(temp_dir)
    assert copy.name == "roster_2025-26.csv" and copy.read_text() == ROSTER
    assert copy.parent.parent.name == process_folder_name()
    at.button(key="upload_import").click().run()
    assert_ok(at)
    assert any("12 of 12 rows imported as Enrollment roster" in plain(m.value) for m in at.markdown)
    assert copies(temp_dir) == [] and not copy.parent.exists()
    assert "upload_folder" not in at.session_state


def test_the_copy_is_deleted_after_a_failed_import_and_when_the_file_is_removed(at, temp_dir: Path) -> None:
    at.switch_page("pages/data.py").run()
    no_year = ROSTER.replace(",School Year", "").replace(",2025-26", "")
    upload(at, "roster.csv", no_year.encode())
    assert len(copies(temp_dir)) == 1
    at.button(key="upload_import").click().run()  # no school year: refused
    assert [e.value for e in at.error if e.value.startswith("Nothing was imported.")]
    assert copies(temp_dir) == []

    at.run()  # the file is still in the uploader: the next run reads it from a new copy
    assert len(copies(temp_dir)) == 1
    at.file_uploader[0].set_value(None).run()  # the user removes it
    assert not at.exception
    assert copies(temp_dir) == []
