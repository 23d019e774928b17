#!/usr/bin/env bash
# Install the app's dependencies and start it (on the synthetic sample district when the store is empty).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet -r requirements.txt
exec python3 -m streamlit run app.py "$@"
