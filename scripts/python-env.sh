# Sourced by run.sh and test.sh: sets PY to a Python with this project's packages installable.
# Uses the project's virtual environment .venv (created on first use), so a system Python that refuses
# global installs (Debian/Ubuntu "externally managed") works too; falls back to the current interpreter
# when the venv module is missing.
BASE_PYTHON="${PYTHON:-python3}"
if [ -x .venv/bin/python ] || "$BASE_PYTHON" -m venv .venv >/dev/null 2>&1; then
  PY=.venv/bin/python
else
  echo "note: could not create .venv (is python3-venv installed?); installing into $BASE_PYTHON" >&2
  PY="$BASE_PYTHON"
fi
