"""Text from data files reaches the pages escaped, never as Markdown (AppTest).

Every school of a copy of the sample district is named like `![x](http://127.0.0.1:9/beacon.png) Central
High School :red[alert]`, and a goal has Markdown in its owner, strategy and note (tests/fixtures/hostile.py).
Every element Streamlit renders as Markdown must hold that text escaped: a reader sees it literally (checked
here through `plain`, and in a real browser by test_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures.apptest import assert_ok, plain
from fixtures.hostile import NOTE, OWNER, STRATEGY, UNESCAPED, hostile_school, make_hostile
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
MARKDOWN_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                     "toast")


@pytest.fixture()
def hostile_at(monkeypatch: pytest.MonkeyPatch, sample_db: Path, entry_point_always_runs: None):
    """The app on a private copy of the sample store whose schools and goal carry Markdown; and the names."""
    names = make_hostile(sample_db)
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(sample_db))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    assert_ok(app)
    return app, names


def rendered(app: AppTest) -> list[str]:
    """The source of every element of the run that Streamlit renders as Markdown (labels included)."""
    values = [e.value for kind in MARKDOWN_ELEMENTS for e in getattr(app, kind)]
    return values + [e.label for e in app.expander] + [m.label for m in app.metric]


def assert_literal(app: AppTest) -> list[str]:
    """No Markdown from the data is left unescaped; returns what a reader sees of each element."""
    values = rendered(app)
    for value in values:
        unescaped = re.sub(r"\\.", "", value, flags=re.DOTALL)
        for pattern in UNESCAPED:
            assert pattern not in unescaped, (pattern, value)
    return [plain(v) for v in values]


def open_page(app: AppTest, page: str) -> list[str]:
    app.switch_page(f"pages/{page}.py").run()
    assert_ok(app)
    return assert_literal(app)


def test_school_names_and_goal_text_are_shown_literally(hostile_at) -> None:
    at, names = hostile_at
    assert hostile_school("Central High School") in names
    assert_literal(at)  # the Overview

    shown = open_page(at, "schools")
    assert any(v.startswith("#### Largest gap: ") and any(f" at {n}, risk ratio" in v for n in names) for v in shown), \
        shown

    open_page(at, "achievement")
    at.button_group(key="achievement_closer").set_value("Gaps by school").run()
    assert_ok(at)
    shown = assert_literal(at)
    assert any(v.startswith("#### At ![x](http://127.0.0.1:9/beacon.png) ") for v in shown), shown

    shown = open_page(at, "goals")
    card = [v for v in shown if "-badge[" in v and " Goal 1: " in v]
    assert len(card) == 1 and card[0].endswith(f"({names[0]})"), card
    assert f"Owner: {OWNER} · Strategy: {STRATEGY} · Note: {NOTE}" in shown, shown

    shown = open_page(at, "report")
    assert any(v.startswith("**1. Goal 1: ") and v.endswith(f"({names[0]})**") for v in shown), shown

    shown = open_page(at, "present")
    title = f"Out-of-school suspension, risk ratio: Black or African American students vs all other students ({names[0]})"
    assert title in shown, shown  # the goal's title above its sentence


def test_file_names_and_column_headers_are_shown_literally(at, tmp_path: Path) -> None:
    at.switch_page("pages/data.py").run()
    header = "![c](http://127.0.0.1:9/column.png) :red[x]"
    csv = (f"Student ID,School Code,Grade,Race/Ethnicity,Gender,School Year,{header}\n"
           + "".join(f"09{i:05d},0104,09,White,F,2025-26,y\n" for i in range(1, 13)))
    name = "![roster](beacon.png) $x$ :red[b].csv"  # the page stores and reports it under a safe name
    at.file_uploader[0].set_value((name, csv.encode(), "text/csv")).run()
    assert_ok(at)
    assert_literal(at)
    at.button(key="upload_import").click().run()
    assert_ok(at)
    shown = assert_literal(at)
    assert "- _roster_beacon.png_ _x_ _red_b_.csv: 12 of 12 rows imported as Enrollment roster." in shown, shown
    assert f"- Columns ignored: {header}." in shown, shown
