"""The Listening sessions page under AppTest on the synthetic sample district: the protected themes table, the
chart of one theme, quotes of shown groups only (escaped, names stripped), and a picked quote in the basket."""

from __future__ import annotations

from fixtures.apptest import assert_ok, charts, dataset_with, plain, title_of
from fixtures.page_views import frame_with, open_page
from streamlit.testing.v1 import AppTest

from equity_metrics.measures.themes import themes_by
from equity_metrics.reports.basket import list_items
from equity_metrics.reports.builders import build_basket
from equity_metrics.storage.store import Store


def test_listening_page(at: AppTest, sample_store: Store) -> None:
    open_page(at, "listening")
    assert at.title[0].value == "Listening sessions"
    assert at.selectbox(key="listening_by").value == "race"
    table = frame_with(at, "Participants")
    expected = themes_by(sample_store, "race").table
    assert len(table) == len(expected)
    assert table["Participants"].isna().tolist() == expected["respondents"].isna().tolist()
    assert table["Participants"].dropna().astype(int).tolist() == expected["respondents"].dropna().astype(int).tolist()
    # the chart: one theme, only shown groups, the finding in the title
    theme = at.selectbox(key="listening_theme").value
    chart = charts(at)[0]
    drawn = dataset_with(chart, "share_of_respondents")
    shown = expected[(expected["theme"] == theme) & ~expected["suppressed"] & (expected["race"] != "All participants")]
    assert sorted(drawn["group"]) == sorted(shown["race"])
    assert title_of(chart).startswith(f"{theme}: raised by")
    assert "listening sessions 2024-25, by race/ethnicity" in title_of(chart)
    # quotes: only shown groups are offered; no hidden group appears
    offered = at.selectbox(key="listening_group").options
    assert offered == shown["race"].tolist()
    assert "American Indian or Alaska Native" not in offered
    quotes = [plain(m.value) for m in at.markdown if m.value.startswith("> ")]
    assert quotes and all("P-" not in q for q in quotes)


def test_a_quote_is_added_only_when_picked(at: AppTest) -> None:
    from views.cache import get_store  # the app's own store (the same file cannot be opened twice)

    open_page(at, "listening")
    store = get_store()
    assert not [i for i in list_items(store) if i.kind == "quote"]
    buttons = [b for b in at.button if b.key and b.key.startswith("listening_quote_")]
    buttons[0].click().run()
    assert_ok(at)
    picked = [i for i in list_items(store) if i.kind == "quote"]
    assert len(picked) == 1
    item = next(i for i in build_basket(store) if i.kind == "quote")
    assert item.sentence.startswith("\u201c") and "participant (race/ethnicity:" in item.sentence


def test_by_role_and_school(at: AppTest, sample_store: Store) -> None:
    open_page(at, "listening")
    at.selectbox(key="listening_by").select("school").run()
    assert_ok(at)
    offered = at.selectbox(key="listening_group").options
    assert "Westbrook Middle School" not in offered  # 7 participants: hidden, never quoted
    table = frame_with(at, "Participants")
    assert "School" in table.columns


def test_quotes_are_shown_literally(monkeypatch, tmp_path, entry_point_always_runs: None) -> None:
    """An excerpt full of Markdown (bold, a link, an image, a colour, a formula, HTML) is shown as written, its
    participant's name and ID stripped; the theme's twelve participants make the group shown."""
    from pathlib import Path

    from equity_metrics.cli import main

    hostile = "**bold** [link](http://x.org) ![img](http://x.org/a.png) :red[red] $x^2$ <b>tag</b>"
    rows = ["Participant ID,Speaker,Race,Role,School,Comment,Theme"]
    rows += [f'Q{i:02d},Dana Quill{i},White,Student,North,"Dana: {hostile} (Q{i:02d})",Voice' for i in range(12)]
    path = tmp_path / "comments.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "store.duckdb"
    assert main(["import", str(path), "--db", str(db), "--year", "2024-25"]) == 0
    monkeypatch.setenv("EQUITY_EXPLORER_DB", str(db))
    app = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120)
    app.run()
    open_page(app, "listening")
    quotes = [m.value for m in app.markdown if m.value.startswith("> ")]
    assert len(quotes) == 5  # exactly 5 at a time
    for quote in quotes:
        assert plain(quote) == f"> [name]: {hostile} ([participant])"
        unescaped = quote.replace("\\\\", "").replace("\\*", "").replace("\\[", "").replace("\\]", "")
        assert "**" not in unescaped and "](" not in unescaped
