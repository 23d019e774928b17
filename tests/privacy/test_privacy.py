"""Privacy walk: every page of the sample district, as the user sees it, holds no count below the privacy
threshold and no student, staff, applicant or respondent ID.

Counts are read where the app shows counts: the table columns "n", "With outcome", "Selected", "Students at
the stage", "Of", and the chart data fields count, numerator, denominator and n. Text (headlines, captions,
notes) and every table cell are searched for any stored ID. The Data page is left out: it shows file
statistics (rows read, bytes), not counts of students.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from fixtures.apptest import assert_ok, charts, datasets_of

from equity_metrics.core.constants import DEFAULT_PRIVACY_THRESHOLD
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py") if p.name != "data.py")
TABLE_COUNTS = {"n", "With outcome", "Selected", "Students at the stage", "Of"}
CHART_COUNTS = {"count", "numerator", "denominator", "n"}
ID_TOKEN = re.compile(r"(?<![.\d])[A-Za-z0-9_]{6,}")  # not the digits of a decimal (0.0557521)


@pytest.fixture(scope="module")
def stored_ids(sample_store: Store) -> set[str]:
    ids = set()
    for table, column in (("enrollment", "student_id"), ("staff", "staff_id"), ("applicants", "applicant_id"),
                          ("survey", "response_id")):
        ids |= set(sample_store.query(f"SELECT DISTINCT {column} AS id FROM {table}")["id"].astype(str))
    return ids


def small_counts(frame: pd.DataFrame, columns: set[str]) -> list[tuple[str, float]]:
    found = []
    for column in set(map(str, frame.columns)) & columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values[(values >= 1) & (values < DEFAULT_PRIVACY_THRESHOLD)]
        found += [(column, float(v)) for v in bad]
    return found


def texts(app) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "title", "subheader", "header"):
        out += [str(element.value) for element in getattr(app, kind)]
    out += [str(m.value) + " " + str(m.label) for m in app.metric]
    return out


def leaks_on_page(app, stored_ids: set[str]) -> list[tuple[str, str, object]]:
    leaks = []
    for table in app.dataframe:
        frame = table.value
        leaks += [("table", c, v) for c, v in small_counts(frame, TABLE_COUNTS)]
        cells = {str(v) for v in frame.astype(str).to_numpy().ravel()}
        leaks += [("table cell", "id", v) for v in cells & stored_ids]
    for chart in charts(app):
        for frame in datasets_of(chart):
            leaks += [("chart", c, v) for c, v in small_counts(frame, CHART_COUNTS)]
            cells = {str(v) for v in frame.astype(str).to_numpy().ravel()}
            leaks += [("chart cell", "id", v) for v in cells & stored_ids]
    for text in texts(app):
        leaks += [("text", "id", token) for token in set(ID_TOKEN.findall(text)) & stored_ids]
    return leaks


@pytest.mark.parametrize("dimension", ["race", "sex", "disability"])
def test_no_small_count_and_no_id_on_any_page(at, stored_ids: set[str], dimension: str) -> None:
    at.sidebar.selectbox(key="filter_dimension").select(dimension).run()
    shown = {}
    for page in PAGES:
        at.switch_page(page).run()
        assert_ok(at)
        shown[page] = len(at.dataframe) + len(charts(at))
        leaks = leaks_on_page(at, stored_ids)
        assert not leaks, (page, leaks[:10])
    # the walk looked at real content: every page with findings shows tables or charts (no goal, report or
    # impact assessment yet)
    assert all(shown[page] for page in PAGES if page not in ("pages/goals.py", "pages/report.py", "pages/impact.py")
               ), sorted(shown.items())


# ---- exports ----------------------------------------------------------------------------------------------
EXPORT_COUNT_HEADERS = {"n", "With outcome", "Students in the group", "Students at the stage"}


def test_the_audit_workbook_holds_no_small_count_and_no_id(sample_store: Store, stored_ids: set[str]) -> None:
    import io

    import openpyxl

    from equity_metrics.reports.audit_export import audit_xlsx, run_audit

    book = openpyxl.load_workbook(io.BytesIO(audit_xlsx(run_audit(sample_store))), read_only=True)
    counted, leaks = 0, []
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            continue
        header = [str(h) if h is not None else "" for h in rows[0]]
        count_columns = [i for i, h in enumerate(header) if h in EXPORT_COUNT_HEADERS]
        for row in rows[1:]:
            for i in count_columns:
                value = row[i] if i < len(row) else None
                if isinstance(value, (int, float)):
                    counted += 1
                    if 1 <= value < DEFAULT_PRIVACY_THRESHOLD:
                        leaks.append((sheet.title, header[i], value))
            leaks += [(sheet.title, "id", v) for v in row if isinstance(v, str) and v in stored_ids]
    assert counted > 100  # the check read real count columns
    assert not leaks, leaks[:10]


def test_the_audit_report_and_deck_name_no_id(sample_store: Store, stored_ids: set[str]) -> None:
    import io

    from pptx import Presentation

    from equity_metrics.reports.audit_export import audit_deck, audit_html, run_audit

    audit = run_audit(sample_store)
    html = audit_html(audit)
    deck = Presentation(io.BytesIO(audit_deck(audit)))
    text = html + " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes
                           if shape.has_text_frame)
    assert len(text) > 10_000
    assert not set(ID_TOKEN.findall(text)) & stored_ids
