#!/usr/bin/env bash
# Install the app's dependencies and start it (on the synthetic sample district when the store is empty).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python-env.sh
"$PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt
exec "$PY" -m streamlit run app.py "$@"
