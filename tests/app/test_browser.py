"""End to end in a real headless Chromium: the app served by `streamlit run` on a private copy of the sample
store, every page visited through the sidebar navigation, a workbook uploaded on the Data page.

Nothing leaves 127.0.0.1: every request the browser makes (documents, scripts, styles, fonts, images, fetches,
websockets) is recorded, and any to another place than the app's own server fails the test. So does an
image or link smuggled in through the data (a school named `![x](http://127.0.0.1:9/beacon.png) ...`).

Needs Debian's chromium at /usr/bin/chromium (scripts/test.sh installs it); Playwright's own browser
download is not used. Full-page screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fixtures import roster  # tests/ is on sys.path (pytest's rootdir-relative import)
from fixtures.hostile import BEACON, BEACON_HOST, make_hostile

from equity_metrics.ingest.uploads import UPLOAD_PREFIX, process_folder_name

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
NO_NETWORK_SCHEMES = {"data", "blob", "about"}  # built in the page: no request goes out
SERVER_START_TIMEOUT = 90  # seconds
RUN_TIMEOUT = 90_000  # milliseconds, for one script run (the first Overview computes every indicator)
UI_TIMEOUT = 30_000

pytestmark = pytest.mark.browser
NAVIGATION = ["Overview", "Discipline", "Course access", "Achievement", "Special education", "Staffing", "Climate",
              "Listening sessions", "Schools", "Trends", "Goals", "Impact assessments", "Report", "Present", "Data"]
# The domain pages: sidebar link, the page's own title, and how many charts it draws on the sample district.
DOMAIN_PAGES = [
    ("Course access", "Course access", 3),
    ("Achievement", "Achievement", 4),
    ("Special education", "Special education & interventions", 3),
    ("Staffing", "Staffing", 6),
    ("Climate", "Climate", 4),
    ("Listening sessions", "Listening sessions", 1),  # one theme by race; quotes of the shown groups
    ("Schools", "Schools", 1),
    ("Trends", "Trends", 2),  # the trend, and how much the group predicts it
    ("Goals", "Goals", 0),  # the sample district has no goals yet: the page explains how to add one
    ("Impact assessments", "Impact assessments", 0),  # none yet: the form to start one
    ("Report", "Report", 0),  # nothing added to the report yet
    ("Present", "Present", 1),  # the Overview's first finding, one per screen
]




# ---- the server and the browser ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(db: Path, log_path: Path, temp_dir: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port with EQUITY_EXPLORER_DB=db and its temporary folder (where uploads
    are copied) in `temp_dir`; always terminated."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EQUITY_EXPLORER_DB": str(db), "PYTHONUNBUFFERED": "1", "TMPDIR": str(temp_dir)}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not _healthy(url):
                if process.poll() is not None:
                    pytest.fail(f"streamlit exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit not healthy after {SERVER_START_TIMEOUT} s:\n"
                                f"{log_path.read_text()[-3000:]}")
                time.sleep(0.25)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


@pytest.fixture()
def server_temp(tmp_path: Path) -> Path:
    """The server's temporary folder (TMPDIR)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.fixture()
def server(sample_db: Path, tmp_path: Path, server_temp: Path) -> Iterator[str]:
    with streamlit_server(sample_db, tmp_path / "streamlit.log", server_temp) as url:
        yield url
    # A stopped server leaves no upload folder behind (its own goes when the process exits).
    assert not list(server_temp.glob(f"{UPLOAD_PREFIX}*")), list(server_temp.iterdir())


@pytest.fixture()
def hostile_server(sample_db: Path, tmp_path: Path, server_temp: Path) -> Iterator[str]:
    """The server on a copy of the sample whose school names and goal text carry Markdown (fixtures.hostile)."""
    make_hostile(sample_db)
    with streamlit_server(sample_db, tmp_path / "streamlit.log", server_temp) as url:
        yield url


class RequestLog:
    """Every request a browser context makes: documents, scripts, styles, fonts, images, fetches and websockets
    (Playwright reports websockets per page, not as requests)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def watch(self, context) -> None:
        context.on("request", lambda request: self.urls.append(request.url))
        context.on("page", lambda page: page.on("websocket", lambda socket: self.urls.append(socket.url)))

    def elsewhere(self, server: str) -> list[str]:
        """Every URL requested from anywhere but the app's own server (127.0.0.1 or localhost, its port)."""
        port = urlsplit(server).port
        return sorted({url for url in self.urls if urlsplit(url).scheme not in NO_NETWORK_SCHEMES
                       and (urlsplit(url).hostname not in LOCAL_HOSTS or urlsplit(url).port != port)})


def assert_stayed_local(network: RequestLog, server: str) -> None:
    """Nothing was requested from another machine, or from another port of this one; and the log did record
    what the app loads (the websocket and the fonts), so an empty list means something."""
    assert any(url.startswith("ws://") and url.endswith("/_stcore/stream") for url in network.urls), network.urls
    assert any(url.endswith(".woff2") for url in network.urls), network.urls
    outside = network.elsewhere(server)
    assert not outside, f"the browser requested {len(outside)} URL(s) outside {server}:\n" + "\n".join(outside)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does it with apt-get). "
                    "Playwright's own browser download is not used.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def network() -> RequestLog:
    return RequestLog()


@pytest.fixture()
def page(browser, network: RequestLog):
    context = browser.new_context(viewport=VIEWPORT)
    network.watch(context)
    context.set_default_timeout(UI_TIMEOUT)
    page = context.new_page()
    yield page
    context.close()


# ---- waiting like Streamlit's own end-to-end tests ------------------------------------------------------
def wait_for_app(page) -> None:
    """Connected, the script run finished, no skeleton left."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=RUN_TIMEOUT)
    page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=RUN_TIMEOUT)
    page.wait_for_selector('[data-testid="stSkeleton"]', state="detached", timeout=RUN_TIMEOUT)


def wait_for_page(page, title: str) -> None:
    """The page's own title is shown (so the run for this page has started), then the run has finished."""
    page.get_by_role("heading", name=title, exact=True, level=1).wait_for(timeout=RUN_TIMEOUT)
    wait_for_app(page)


def wait_for_charts(page, minimum: int) -> int:
    """At least `minimum` Vega-Lite charts, each drawn (an svg or canvas inside); returns how many."""
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    if minimum:
        charts.first.wait_for(state="visible", timeout=RUN_TIMEOUT)
    page.wait_for_function(
        """n => {
            const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
            return charts.length >= n && charts.every(c => c.querySelector('svg, canvas'));
        }""", arg=minimum, timeout=UI_TIMEOUT)
    return charts.count()


def assert_no_exception(page) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.all_inner_texts()


def go_to(page, name: str, title: str | None = None) -> None:
    page.locator('[data-testid="stSidebarNavLink"]', has_text=name).click()
    wait_for_page(page, title or name)


def nav_links(page) -> list[str]:
    """The sidebar's page names (each link's text ends with its name; the icon's ligature comes first)."""
    texts = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
    return [next((n for n in NAVIGATION if t.strip().endswith(n)), t) for t in texts]


_CONTENT_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight, ...[...document.querySelectorAll(
    '[data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stMainBlockContainer"], '
    + '[data-testid="stSidebarContent"]')].map(e => e.scrollHeight))"""
_TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def shoot(page, name: str) -> None:
    """A screenshot of the whole page. Streamlit scrolls inside its main section, not the document, so
    `full_page` alone stops at the viewport: make the viewport as tall as the content for the shot."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = min(int(page.evaluate(_CONTENT_HEIGHT_JS)) + 40, 12_000)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
    try:
        page.evaluate(_TWO_FRAMES_JS)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        page.set_viewport_size(VIEWPORT)


def choose(page, key: str, option: str) -> None:
    """Pick an option of a select box (a react-aria combobox in Streamlit 1.67) by its visible text. The
    caller then waits for what the choice changes: the rerun may not have started when this returns."""
    page.locator(f".st-key-{key} [role='combobox']").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.locator(f".st-key-{key} [role='combobox']").and_(page.locator(f"[value='{option}']")).wait_for()


# ---- the tests -----------------------------------------------------------------------------------------
def upload_copies(temp_dir: Path) -> list[Path]:
    """The files inside the app's upload folders under the server's temporary folder."""
    return [p for p in temp_dir.glob(f"{UPLOAD_PREFIX}*/**/*") if p.is_file()]


def test_every_page_and_an_upload_in_chromium(server: str, page, network: RequestLog, server_temp: Path,
                                              tmp_path: Path) -> None:
    step = "start"
    # What a killed server left: its process id no longer runs, so the app deletes it when it starts.
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    left_behind = server_temp / process_folder_name(ended.pid, "0badcafe") / "session"
    left_behind.mkdir(parents=True)
    (left_behind / "roster.xlsx").write_bytes(b"student rows")
    try:
        step = "overview"
        page.goto(server + "/")
        wait_for_page(page, "Overview")
        assert not left_behind.parent.exists()
        assert_no_exception(page)
        assert wait_for_charts(page, 1) >= 1
        metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
        assert any("Students in view" in m and "15,330" in m for m in metrics), metrics
        assert nav_links(page) == NAVIGATION
        shoot(page, "overview")

        step = "discipline"
        go_to(page, "Discipline")
        assert re.search(r"/discipline$", page.url), page.url
        assert_no_exception(page)
        assert wait_for_charts(page, 3) == 3
        assert "times as likely as all other students" in page.locator("h4").first.inner_text()
        shoot(page, "discipline")
        page.locator(".st-key-discipline_closer button", has_text="Race × sex").click()
        assert wait_for_charts(page, 4) == 4
        wait_for_app(page)
        assert_no_exception(page)
        shoot(page, "discipline_race_sex")

        for name, title, expected_charts in DOMAIN_PAGES:
            step = name.lower()
            go_to(page, name, title)
            assert_no_exception(page)
            assert wait_for_charts(page, expected_charts) == expected_charts
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0
            shoot(page, step.replace(" ", "_"))

        step = "presentation mode"
        page.locator(".st-key-presentation_mode label").click()
        page.locator('[data-testid="stSidebar"]').wait_for(state="hidden", timeout=UI_TIMEOUT)
        assert wait_for_charts(page, 1) == 1
        wait_for_app(page)
        shoot(page, "present_mode")
        step = "slides at three sizes"
        every_slide_fits_the_screen_at_three_sizes(page, server)  # ends on the Overview, sidebar shown
        step = "every page at 1280x720"
        every_page_fits_the_width(page, (1280, 720))

        step = "data"
        go_to(page, "Data")
        assert_no_exception(page)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible")
        assert page.locator('[data-testid="stFileUploaderDropzone"]').is_visible()
        shoot(page, "data")

        step = "upload"
        workbook = roster.write_roster(tmp_path / "roster_2025-26.xlsx")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(workbook))
        # The data page keys its mapping editor by upload count and kind: mapping_editor_<n>_enrollment.
        mapping_editor = page.locator("[class*='st-key-mapping_editor_'][class*='_enrollment']").first
        mapping_editor.wait_for(state="visible", timeout=RUN_TIMEOUT)
        import_button = page.locator(".st-key-upload_import button")
        import_button.wait_for(state="visible", timeout=RUN_TIMEOUT)
        wait_for_app(page)
        assert page.get_by_text(f"{roster.ROSTER_ROWS:,} rows, {len(roster.HEADER)} columns").is_visible()
        import_button.click()
        report = f"{roster.ROSTER_ROWS} of {roster.ROSTER_ROWS} rows imported as Enrollment roster"
        page.get_by_text(report).wait_for(timeout=RUN_TIMEOUT)
        wait_for_app(page)
        assert_no_exception(page)
        # The catalog grid draws on a canvas; its accessible table holds the cell text.
        catalog_cell = page.locator('[data-testid="stDataFrame"] td', has_text=workbook.name)
        catalog_cell.first.wait_for(state="attached")
        assert upload_copies(server_temp) == []  # the server's copy of the upload went with the import
        # The first file of one's own replaces the sample district, saying so (never mixed with it).
        page.get_by_text("The synthetic sample district was removed").wait_for(timeout=UI_TIMEOUT)
        shoot(page, "data_after_upload")

        step = "overview after upload"
        go_to(page, "Overview")
        assert_no_exception(page)
        choose(page, "filter_year", roster.ROSTER_YEAR)  # the only year now: enrollment only
        page.locator('[data-testid="stMetric"]', has_text="School year").filter(
            has_text=roster.ROSTER_YEAR).wait_for(timeout=RUN_TIMEOUT)
        wait_for_app(page)
        assert_no_exception(page)
        students = page.locator('[data-testid="stMetric"]', has_text="Students in view").inner_text()
        assert students.split()[-1] == f"{roster.ROSTER_ROWS:,}", students
        shoot(page, "overview_after_upload")

        step = "discipline after upload"
        go_to(page, "Discipline")
        assert_no_exception(page)
        # A roster but no discipline file: said plainly, never drawn as zero suspensions.
        page.get_by_text("No discipline data yet").wait_for(timeout=UI_TIMEOUT)
        assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0
        shoot(page, "discipline_after_upload")

        step = "requests"
        assert_stayed_local(network, server)
    except BaseException:
        with contextlib.suppress(Exception):
            shoot(page, f"failure_{step.replace(' ', '_')}")
        raise


def test_deep_link_is_the_first_request_of_a_fresh_server(server: str, page, network: RequestLog) -> None:
    """A bookmarked page URL opened before anyone has opened "/" since the server started. With a `pages/`
    folder, Streamlit runs such a request as a legacy (v1) multipage app: pages/discipline.py alone, without
    app.py, so no sidebar and no filter state (it used to end in KeyError 'view_state' and a v1 menu
    "app, data, discipline, overview"). The page must recover and show the app's own navigation."""
    page.goto(server + "/discipline")
    wait_for_app(page)
    try:
        wait_for_page(page, "Discipline")
        assert_no_exception(page)
        assert wait_for_charts(page, 3) == 3
        assert nav_links(page) == NAVIGATION
        assert page.locator(".st-key-filter_year").is_visible()
        assert_stayed_local(network, server)
    except BaseException:
        with contextlib.suppress(Exception):
            shoot(page, "deep_link_first_request")
        raise


_VISIBLE_TEXT_JS = "() => document.body.innerText.replaceAll('\\u2060', '')"  # without the invisible word joiners


def test_markdown_in_the_data_is_shown_as_text_and_loads_nothing(hostile_server: str, page,
                                                                network: RequestLog) -> None:
    """Schools named `![x](http://127.0.0.1:9/beacon.png) ... :red[alert]` and a goal with Markdown in its
    owner, strategy and note: each page shows the text as written, draws no image and requests nothing from
    127.0.0.1:9 (or anywhere else)."""
    server, step = hostile_server, "start"
    try:
        page.goto(server + "/")
        wait_for_page(page, "Overview")
        for name, title in (("Schools", "Schools"), ("Goals", "Goals"), ("Report", "Report"), ("Present", "Present")):
            step = name.lower()
            go_to(page, name, title)
            assert_no_exception(page)
            text = page.evaluate(_VISIBLE_TEXT_JS)
            assert f"![x]({BEACON}) " in text and " :red[alert]" in text, text  # as written in the data
            assert page.locator(f'[data-testid="stMain"] img[src*="{BEACON_HOST}"]').count() == 0
            assert page.locator(f'[data-testid="stMain"] a[href*="{BEACON_HOST}"]').count() == 0
            shoot(page, f"markdown_in_data_{step}")
        step = "requests"
        assert not [url for url in network.urls if BEACON_HOST in url], network.urls
        assert_stayed_local(network, server)
    except BaseException:
        with contextlib.suppress(Exception):
            shoot(page, f"failure_markdown_in_data_{step}")
        raise


CORPUS = ROOT.parent / "shared" / "corpus"
# Real public files that carry their school year (../shared/corpus/README.md): upload, check, import; nothing
# typed. (The Contoso roster and marks and Georgia's shares carry no year: the page asks for it.)
CORPUS_UPLOADS = (
    ("nyc_graduation/graduation.csv", "Graduation outcomes (aggregated)"),
    ("ma_staff/staff_raceeth_jobcategories_2015.csv", "Staff FTE by race (aggregated)"),
    ("nyc_survey/survey_d75.txt", "School survey summary (aggregated)"),
)


@pytest.mark.skipif(not (CORPUS / "README.md").exists(), reason="the shared corpus is not here")
def test_real_public_files_load_with_upload_check_and_import(server: str, page, network: RequestLog,
                                                            server_temp: Path) -> None:
    """Issue 13: each real export is guessed (kind, columns, year) and imported with one click."""
    step = "data"
    try:
        page.goto(server + "/")
        wait_for_page(page, "Overview")
        go_to(page, "Data")
        assert_no_exception(page)
        for number, (name, kind) in enumerate(CORPUS_UPLOADS, start=1):
            step = f"corpus {number}"
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(CORPUS / name))
            import_button = page.locator(".st-key-upload_import button")
            import_button.wait_for(state="visible", timeout=RUN_TIMEOUT)
            wait_for_app(page)
            assert_no_exception(page)
            import_button.click()
            page.get_by_text(re.compile(rf"[\d,]+ of [\d,]+ rows imported as {re.escape(kind)}")).first.wait_for(
                timeout=RUN_TIMEOUT)
            wait_for_app(page)
            assert_no_exception(page)
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0
            assert upload_copies(server_temp) == []
            shoot(page, f"data_corpus_{number}")
        step = "requests"
        assert_stayed_local(network, server)
    except BaseException:
        with contextlib.suppress(Exception):
            shoot(page, f"failure_{step.replace(' ', '_')}")
        raise


SLIDE_SIZES = [(1280, 720), (1440, 900), (1920, 1080)]  # a laptop on a projector, a 16:10 screen, full HD
# Where the slide's parts end: the sentence (h3), the chart, the Next button; and how far the page scrolls.
_SLIDE_EXTENT_JS = """() => {
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    const parts = [...main.querySelectorAll('h3, [data-testid="stVegaLiteChart"], .st-key-present_next button')];
    const boxes = parts.map(p => p.getBoundingClientRect()).filter(r => r.height > 0);
    const scroller = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
    return {bottom: Math.max(...boxes.map(r => r.bottom)), right: Math.max(...boxes.map(r => r.right)),
            parts: boxes.length, scroll: scroller.scrollHeight - scroller.clientHeight,
            wide: document.documentElement.scrollWidth - window.innerWidth};
}"""


def every_slide_fits_the_screen_at_three_sizes(page, server: str) -> None:
    """Presentation mode at 1280x720, 1440x900 and 1920x1080: every slide's sentence, chart and Next button lie
    inside the screen, with nothing to scroll, from the first slide to the last (each size in a new session,
    screenshots slide_<size>_<n>.png). Ends on the Overview of a new session at the usual size."""
    try:
        for width, height in SLIDE_SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(server + "/present")
            wait_for_page(page, "Present")
            page.locator(".st-key-presentation_mode label").click()
            page.locator('[data-testid="stSidebar"]').wait_for(state="hidden", timeout=UI_TIMEOUT)
            next_button = page.locator(".st-key-present_next button")
            for number in range(1, 20):
                shot = f"slide_{width}x{height}_{number}"
                wait_for_charts(page, 1)
                wait_for_app(page)
                page.evaluate(_TWO_FRAMES_JS)
                assert_no_exception(page)
                extent = page.evaluate(_SLIDE_EXTENT_JS)
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"{shot}.png"))
                assert extent["parts"] == 3, (shot, extent)
                assert extent["bottom"] <= height and extent["right"] <= width, (shot, extent)
                assert extent["scroll"] <= 1 and extent["wide"] <= 0, (shot, extent)
                if next_button.is_disabled():
                    break
                where = page.get_by_text(f"{number + 1} of ", exact=False)
                next_button.click()
                where.first.wait_for(timeout=UI_TIMEOUT)
            assert number >= 2, "the sample district's Overview gives several findings"
    finally:
        page.set_viewport_size(VIEWPORT)
    page.goto(server + "/")
    wait_for_page(page, "Overview")


_TITLES = {name: title for name, title, _ in DOMAIN_PAGES}
_WIDER_THAN_SCREEN_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


def every_page_fits_the_width(page, size: tuple[int, int]) -> None:
    """Every page of the navigation at a laptop's screen size: no exception, nothing wider than the screen (the
    page never scrolls sideways), a screenshot of what the screen shows (<page>_<size>.png)."""
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    try:
        for name in NAVIGATION:
            go_to(page, name, _TITLES.get(name, name))
            assert_no_exception(page)
            page.evaluate(_TWO_FRAMES_JS)
            assert page.evaluate(_WIDER_THAN_SCREEN_JS) <= 0, name
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name.lower().replace(' ', '_')}_{width}x{height}.png"))
    finally:
        page.set_viewport_size(VIEWPORT)
