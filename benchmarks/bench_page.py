"""One page rerun in Streamlit's AppTest after a sidebar filter change, on a district's store.

The app starts on the store (the Overview runs the whole audit: untimed), switches to the Discipline page
(untimed), then each timed call changes the sidebar's "Minimum group size (n)" to a value not used before and
reruns: app.py (navigation and sidebar, whose year and school lists are queried every run), then the page
(indicator picker, `analysis.rates` for the new options, since the cache has never seen them, the charts and
the table). Every call is checked for exceptions and errors. AppTest runs the script in this process, so the
time includes building the element tree as a browser session would receive it, not the browser.
"""

from __future__ import annotations

import itertools
import os

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from benchmarks.common import ROOT, Prepared
from benchmarks.district import DEFAULT_SCHOOLS, ensure_store, read_meta

PAGE = "pages/discipline.py"


def _app_runs_entry_point() -> None:
    """Run app.py on every AppTest run, as a server does (with a pages/ folder, AppTest would otherwise run a
    switched-to page file on its own); the same patch as tests/conftest.py's `entry_point_always_runs`."""
    original_init = PagesManager.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


def _ok(app: AppTest) -> None:
    if app.exception or app.error:
        raise AssertionError(f"the page failed: {[e.value for e in (*app.exception, *app.error)]}")


def discipline_rerun(rows: int, schools: int = DEFAULT_SCHOOLS) -> Prepared:
    path = ensure_store(rows, schools)
    os.environ["EQUITY_EXPLORER_DB"] = str(path)
    _app_runs_entry_point()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    app.run()
    _ok(app)
    app.switch_page(PAGE).run()
    _ok(app)
    if not app.get("vega_lite_chart"):
        raise AssertionError("the Discipline page drew no chart")
    values = itertools.count(35, 5)  # 30 is the default; every call asks for a size not seen before

    def run() -> None:
        app.sidebar.number_input(key="filter_min_n").set_value(next(values)).run()
        _ok(app)

    meta = read_meta(path)
    return Prepared(run, info={"data_rows": meta["counts"]["facts_student_year"], "arrow_bytes": meta["arrow_bytes_total"],
                               "checked": "every rerun without exception or error; the page draws its charts"})
