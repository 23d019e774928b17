#!/usr/bin/env bash
# Install everything the tests need (Python packages; Debian's chromium for the browser test when it is
# missing and apt is available), then run the whole suite, browser test included.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python-env.sh
"$PY" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# A font with Chinese glyphs (WenQuanYi Micro Hei, Apache 2.0 / GPL with the font exception), so charts rendered
# by vl-convert and the browser test draw the Chinese reports' characters instead of empty boxes.
if [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-wqy-microhei >/dev/null
fi
# Two workers (the suite's budget is 15 minutes on 2 cores); a file's tests stay in one worker, so the browser
# tests and a module's shared fixtures run once and in order. Pass -n 0 to run in one process.
exec "$PY" -m pytest -n 2 --dist loadfile "$@"
