"""The app in a real browser: `streamlit run` on a copy of the district's store, Debian's Chromium through
Playwright, timed from the user's action to the page being ready (connected, the script run finished, no
skeleton left, every chart drawn).

- `browser_first_load`: a new browser tab opens the app (a new session on the running server) until the
  Overview's charts are drawn.
- `browser_filter`: on the Discipline page, the sidebar's minimum group size changes to a value not used before
  (nothing cached), until the page's charts are drawn again.
- `browser_switch`: a click in the navigation between Discipline and Course access, until the page's charts
  are drawn.

The server starts untimed, and the warm-up call pays the first protection of the store's tables (kept in the
copy afterwards, as the app does). Needs /usr/bin/chromium.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.common import ROOT, Prepared
from benchmarks.district import DEFAULT_SCHOOLS, ensure_store, read_meta

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 1_800_000  # the warm-up's first protection of a large store takes minutes
READY = ('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', '[data-test-script-state="notRunning"]')
CHARTS_DRAWN = """n => { const c = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
                         return c.length >= n && c.every(e => e.querySelector('svg, canvas')); }"""


# Counts script runs that finish from now on (the state goes to "running", then back to "notRunning").
WATCH_RUNS = """() => {
    window.__finishedRuns = 0;
    let running = false;
    const app = document.querySelector('[data-test-script-state]');
    new MutationObserver(() => {
        const state = app.getAttribute('data-test-script-state');
        if (state === 'running') running = true;
        else if (running) { running = false; window.__finishedRuns += 1; }
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


class _App:
    """The server on a private copy of the store, and one Chromium; `close` ends both and removes the copy."""

    def __init__(self, rows: int, schools: int) -> None:
        from playwright.sync_api import sync_playwright

        self.folder = Path(tempfile.mkdtemp(prefix="equity-bench-browser-"))
        db = self.folder / "store.duckdb"
        source = ensure_store(rows, schools)
        shutil.copyfile(source, db)
        self.info = {"data_rows": read_meta(source)["counts"]["facts_student_year"]}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "EQUITY_EXPLORER_DB": str(db), "TMPDIR": str(self.folder)}
        self.server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_healthy()
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError("the streamlit server did not start")

    def new_page(self):
        page = self.browser.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()
        self.server.terminate()
        self.server.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def ready(page, title: str, charts: int) -> None:
    """The page titled `title` is shown, its script run finished and at least `charts` charts drawn."""
    page.get_by_role("heading", name=title, exact=True, level=1).wait_for()
    for selector in READY:
        page.wait_for_selector(selector)
    page.wait_for_selector('[data-testid="stSkeleton"]', state="detached")
    page.wait_for_function(CHARTS_DRAWN, arg=charts)


def _go(page, name: str) -> None:
    page.locator('[data-testid="stSidebarNavLink"]', has_text=name).click()


def first_load(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    app = _App(rows, schools)
    pages = []

    def run() -> None:
        page = app.new_page()
        pages.append(page)
        page.goto(app.url + "/")
        ready(page, "Overview", 1)

    def before_each() -> None:
        while pages:
            pages.pop().context.close()

    return Prepared(run, before_each=before_each, close=app.close, info=app.info)


def filter_change(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    app = _App(rows, schools)
    page = app.new_page()
    page.goto(app.url + "/discipline")
    ready(page, "Discipline", 3)
    values = itertools.count(35, 5)  # 30 is the default; every call asks for a size not seen before
    box = page.locator(".st-key-filter_min_n input")

    def run() -> None:
        page.evaluate(WATCH_RUNS)
        box.fill(str(next(values)))
        box.press("Enter")
        page.wait_for_function("() => window.__finishedRuns >= 1")
        ready(page, "Discipline", 3)

    return Prepared(run, close=app.close, info=app.info)


def page_switch(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    app = _App(rows, schools)
    page = app.new_page()
    page.goto(app.url + "/discipline")
    ready(page, "Discipline", 3)
    targets = itertools.cycle([("Course access", "Course access", 3), ("Discipline", "Discipline", 3)])

    def run() -> None:
        name, title, charts = next(targets)
        _go(page, name)
        ready(page, title, charts)

    return Prepared(run, close=app.close, info=app.info)
