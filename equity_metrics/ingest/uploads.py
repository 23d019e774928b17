"""Temporary copies of uploaded files, and their removal.

An upload is copied to disk while it is being imported (readers open files by path). Every copy lives in a
folder of its own inside one parent folder per server process, named after the process:
`<temp>/equity-explorer-upload-<pid>-<token>/`. The app removes a copy's folder when its import ends or
is abandoned, the parent when the process exits, and at start-up the parents that earlier processes left
behind (a crash, a killed server): those whose process is no longer running, or that carry this process's
id with another token (an earlier process that had the same id, as in a container). Parents of other servers
still running are left alone, and so are the folders of this server's sessions.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

UPLOAD_PREFIX = "equity-explorer-upload-"
_PROCESS_TOKEN = secrets.token_hex(4)  # tells this process from an earlier one that had the same id
_PROCESS_STARTED = time.time()
_PARENT_NAME = re.compile(re.escape(UPLOAD_PREFIX) + r"(\d+)-([0-9a-f]+)")
_registered: set[Path] = set()


def process_folder_name(pid: int | None = None, token: str | None = None) -> str:
    """The name of a process's parent folder: equity-explorer-upload-<pid>-<token> (default: this process)."""
    return f"{UPLOAD_PREFIX}{os.getpid() if pid is None else pid}-{_PROCESS_TOKEN if token is None else token}"


def process_folder(temp_dir: str | Path | None = None) -> Path:
    """This process's parent folder under `temp_dir` (default: the system's temporary folder), created on first
    use (private to the user) and removed when the process exits normally."""
    folder = Path(temp_dir or tempfile.gettempdir()) / process_folder_name()
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder not in _registered:
        _registered.add(folder)
        atexit.register(shutil.rmtree, folder, True)
    return folder


def new_upload_folder(temp_dir: str | Path | None = None) -> Path:
    """A new, empty, private folder for one upload's copy, inside this process's parent folder."""
    return Path(tempfile.mkdtemp(dir=process_folder(temp_dir)))


def remove_upload(folder: str | Path | None) -> bool:
    """Delete an upload's folder and everything in it; True when something was deleted."""
    if not folder or not Path(folder).exists():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return not Path(folder).exists()


def process_running(pid: int) -> bool:
    """Whether a process with this id is running (on POSIX, or on Windows through the kernel's process API)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return _windows_process_running(pid)
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True


def _windows_process_running(pid: int) -> bool:
    """OpenProcess + GetExitCodeProcess (os.kill would terminate the process on Windows)."""
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel32.GetLastError() == 5  # access denied: it exists
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def is_stale(folder: Path, started: float | None = None) -> bool:
    """Whether an `equity-explorer-upload-*` folder was left by a process that is no longer this one or
    running. A folder named in an older way (no process id) is stale when it is older than this process."""
    match = _PARENT_NAME.fullmatch(folder.name)
    if match is None:
        with contextlib.suppress(OSError):
            return folder.stat().st_mtime < (_PROCESS_STARTED if started is None else started)
        return False
    pid, token = int(match.group(1)), match.group(2)
    if pid == os.getpid():
        return token != _PROCESS_TOKEN
    return not process_running(pid)


def remove_stale_uploads(temp_dir: str | Path | None = None) -> list[Path]:
    """Delete the upload folders under `temp_dir` (default: the system's temporary folder) that earlier server
    processes left behind (see `is_stale`); returns the folders deleted."""
    removed = []
    for folder in sorted(Path(temp_dir or tempfile.gettempdir()).glob(UPLOAD_PREFIX + "*")):
        if folder.is_dir() and not folder.is_symlink() and is_stale(folder) and remove_upload(folder):
            removed.append(folder)
    return removed
