"""Create the virtual environment the Aequitas baseline runs in: benchmarks/.venv-aequitas (git-ignored).

    python -m benchmarks.aequitas_venv          # create it (once) and print the interpreter's path
    python -m benchmarks.aequitas_venv --fresh  # delete it and create it again

Aequitas 1.1.0 pins pandas < 3, so it cannot share the app's environment (pandas 3.1). The environment gets
`aequitas==1.1.0` from PyPI with pip's resolver choosing the rest. When it cannot be created, the reason (pip's
last lines) is written to the cache folder's aequitas-install.log and printed, and the benchmark table says so.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from benchmarks.common import BENCH_DIR, cache_dir

VENV = BENCH_DIR / ".venv-aequitas"
REQUIREMENT = "aequitas==1.1.0"
READY = VENV / "equity-bench-ready.json"


def python_path() -> Path:
    return VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def log_path() -> Path:
    return cache_dir() / "aequitas-install.log"


def ensure(fresh: bool = False) -> tuple[Path | None, str]:
    """The venv's interpreter, or None and why it could not be made."""
    if fresh and VENV.exists():
        shutil.rmtree(VENV)
    if READY.exists() and python_path().exists():
        return python_path(), json.loads(READY.read_text()).get("versions", "")
    if VENV.exists():
        shutil.rmtree(VENV)
    log = log_path()
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        (VENV / ".gitignore").write_text("# created by benchmarks/aequitas_venv.py\n*\n")  # as Python 3.13's venv does
    except (OSError, subprocess.CalledProcessError) as error:
        reason = f"python -m venv failed: {error}"
        log.write_text(reason + "\n")
        return None, reason
    steps = [
        [str(python_path()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", REQUIREMENT],
        [str(python_path()), "-c", "import aequitas, pandas, fastparquet; from aequitas.group import Group; "
         "print(f'aequitas {aequitas.__version__}, pandas {pandas.__version__}, fastparquet {fastparquet.__version__}')"],
    ]
    output = ""
    for step in steps:
        completed = subprocess.run(step, capture_output=True, text=True)
        output = completed.stdout + completed.stderr
        with log.open("a") as handle:
            handle.write(f"$ {' '.join(step)}\n{output}\n")
        if completed.returncode != 0:
            last = " ".join(line.strip() for line in output.strip().splitlines()[-3:])
            return None, f"`pip install {REQUIREMENT}` failed (see {log}): {last}"
    versions = output.strip().splitlines()[-1]
    READY.write_text(json.dumps({"requirement": REQUIREMENT, "versions": versions}))
    return python_path(), versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="delete the environment and create it again")
    args = parser.parse_args(argv)
    python, detail = ensure(args.fresh)
    if python is None:
        print(f"Aequitas environment not available: {detail}", file=sys.stderr)
        return 1
    print(f"{python} ({detail})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
