"""Issue 17: themes by group on the sample district's listening sessions.

- The counts (participants and excerpts per theme per race, role and school) equal an independent pandas
  computation from the CSV file itself, with exact values.
- Privacy: from everything `themes` publishes under every --by (the three tables, their shares), a linear
  programming attacker cannot pin any hidden participant count, the hidden groups' counts included (the
  reader's bound that a theme's count is at most the group's participants is used); and no quote of a hidden
  group, or of a hidden cell, is ever returned; shown quotes carry no participant ID or name of the file.
- The command prints exactly `theme, <dim>, respondents, excerpts, share_of_respondents, suppressed, note`, and
  a theme written as a formula is neutralised.
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from equity_metrics.cli import main
from equity_metrics.measures.themes import ALL_PARTICIPANTS, ALL_THEMES, THEME_DIMENSIONS, theme_cube, themes_by
from equity_metrics.measures.themes_quotes import quotable, shown_quotes, strip_sql
from equity_metrics.reports.export_tables import cell_value
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "sample_data" / "listening_sessions.csv"
RACE_WORDS = {"Hispanic/Latino": "Hispanic or Latino", "Black/African American": "Black or African American",
              "White": "White", "Asian": "Asian", "Two or More Races": "Two or more races",
              "American Indian/Alaska Native": "American Indian or Alaska Native"}
COLUMNS = {"race": "Race/Ethnicity", "role": "Role", "school": "School"}


def _expected(by: str) -> pd.DataFrame:
    """Participants and excerpts per theme and group, from the file with pandas alone."""
    raw = pd.read_csv(FILE, dtype=str, keep_default_na=False)
    raw["group"] = raw[COLUMNS[by]].map(RACE_WORDS).fillna("Unknown") if by == "race" else raw[COLUMNS[by]]
    long = raw.assign(theme=raw["Codes"].str.split("; ")).explode("theme")
    cells = long.groupby(["theme", "group"]).agg(respondents=("Participant ID", "nunique"),
                                                 excerpts=("Excerpt ID", "nunique"))
    every = raw.groupby("group").agg(respondents=("Participant ID", "nunique"), excerpts=("Excerpt ID", "nunique"))
    every.index = pd.MultiIndex.from_product([[ALL_THEMES], every.index], names=["theme", "group"])
    return pd.concat([cells, every])


@pytest.mark.parametrize("by", THEME_DIMENSIONS)
def test_counts_equal_pandas(sample_store: Store, by: str) -> None:
    cells = theme_cube(sample_store).cells
    mine = cells[(cells["dimension"] == by)].set_index(["theme", "group"])[["respondents", "excerpts"]]
    expected = _expected(by)
    assert mine[mine["respondents"] > 0].sort_index().equals(expected.sort_index().astype("int64"))


def test_exact_values(sample_store: Store) -> None:
    table = themes_by(sample_store, "race").table.set_index(["theme", "race"])
    assert table.loc[(ALL_THEMES, ALL_PARTICIPANTS), ["respondents", "excerpts"]].tolist() == [167, 318]
    assert table.loc[("Belonging", "Black or African American"), ["respondents", "excerpts"]].tolist() == [15, 17]
    assert table.loc[("Belonging", "Black or African American"), "share_of_respondents"] == round(15 / 45, 4)
    assert table.loc[("Discipline fairness", "Black or African American"), "respondents"] == 19
    hidden = table.loc[(ALL_THEMES, "American Indian or Alaska Native")]
    assert hidden["suppressed"] and pd.isna(hidden["respondents"]) and "fewer than 10 participants" in hidden["note"]


def _published(store: Store) -> dict[tuple[str, str, str], float]:
    """Every participant count any --by publishes (margins keyed once), and the shares' counts."""
    known: dict[tuple[str, str, str], float] = {}
    for by in THEME_DIMENSIONS:
        table = themes_by(store, by).table
        for theme, group, n in zip(table["theme"], table[by], table["respondents"], strict=True):
            if not pd.isna(n):
                known[("*" if group == ALL_PARTICIPANTS else by, theme, group)] = float(n)
    return known


def test_no_hidden_participant_count_can_be_recovered(sample_store: Store) -> None:
    cells = theme_cube(sample_store).cells
    keys = [("*" if d == "*" else d, t, g) for d, t, g in zip(cells["dimension"], cells["theme"], cells["group"],
                                                               strict=True)]
    index = {k: i for i, k in enumerate(keys)}
    known = _published(sample_store)
    n = len(keys)
    equalities, totals = [], []
    for key, value in known.items():  # every shown count
        row = np.zeros(n)
        row[index[key]] = 1
        equalities.append(row)
        totals.append(value)
    for (dim, theme, _group), i in index.items():  # per dimension and theme, the groups add up to the margin
        if dim == "*":
            continue
        relation = [j for (d, t, _g), j in index.items() if d == dim and t == theme]
        if i == relation[0]:
            row = np.zeros(n)
            row[relation] = 1
            row[index[("*", theme, ALL_PARTICIPANTS)]] = -1
            equalities.append(row)
            totals.append(0.0)
    upper = []  # a theme's count is at most the group's participants
    for (dim, theme, group), i in index.items():
        if theme != ALL_THEMES:
            row = np.zeros(n)
            row[i] = 1
            row[index[(dim, ALL_THEMES, group)]] = -1
            upper.append(row)
    a_eq, b_eq, a_ub = np.array(equalities), np.array(totals), np.array(upper)
    hidden = [i for k, i in index.items() if k not in known]
    assert hidden
    small_groups = set(zip(cells.loc[cells["small_group"], "dimension"], cells.loc[cells["small_group"], "group"],
                           strict=True))
    assert ("race", "American Indian or Alaska Native") in small_groups and ("school", "Westbrook Middle School") \
        in small_groups
    for i in hidden:
        bounds = []
        for sign in (1, -1):
            c = np.zeros(n)
            c[i] = sign
            result = linprog(c, A_ub=a_ub, b_ub=np.zeros(len(a_ub)), A_eq=a_eq, b_eq=b_eq, bounds=(0, None),
                             method="highs")
            assert result.status in (0, 3)
            bounds.append(np.inf if result.status == 3 else sign * result.fun)
        low, high = bounds[0], bounds[1]
        assert high - low >= 1 - 1e-6, (keys[i], low, high)


def test_no_quote_of_a_hidden_group_or_cell(sample_store: Store) -> None:
    cube = theme_cube(sample_store)
    cells = cube.cells
    hidden_groups = cells[(cells["theme"] == ALL_THEMES) & cells["hidden"]]
    people = cube.rows.drop_duplicates("participant_key").set_index("participant_key")
    raw = pd.read_csv(FILE, dtype=str, keep_default_na=False)
    names = {w.lower() for n in raw["Speaker"] for w in n.split()}
    seen = 0
    for by in THEME_DIMENSIONS:
        table = themes_by(sample_store, by).table
        for theme, group, suppressed in zip(table["theme"], table[by], table["suppressed"], strict=True):
            if theme == ALL_THEMES or group == ALL_PARTICIPANTS:
                continue
            keys = quotable(cube, by, theme, group)
            quotes = shown_quotes(sample_store, by, theme, group, limit=1000)
            if suppressed:
                assert keys.empty and quotes.empty
                continue
            assert len(quotes) == len(keys)
            seen += len(quotes)
            for dim, gone in zip(hidden_groups["dimension"], hidden_groups["group"], strict=True):
                if dim != "*":
                    assert not (people.loc[keys["participant_key"], dim] == gone).any()
            for text in quotes["text"]:
                assert not re.search(r"P-\d{3}", text)
                assert not {w.lower().strip(".,:;()") for w in text.split()} & names, text
    assert seen > 100


def test_what_is_stripped(sample_store: Store) -> None:
    sql, params = strip_sql(sample_store, "?")
    text = ("Keisha: Name: Jordan Smith said it (P-014). Write to a.b@example.org or 555-123-4567.\n"
            "Ms Avery: yes, KEISHA was there.")
    stripped = sample_store.cursor().execute(f"SELECT {sql}", [text, *params]).fetchone()[0]
    assert stripped == ("[name]: Name: [name] said it ([participant]). Write to [email] or [phone].\n"
                        "[speaker]: yes, [name] was there.")


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("by", THEME_DIMENSIONS)
def test_command_columns(sample_db: Path, by: str) -> None:
    code, out, err = _cli("themes", "--by", by, "--format", "csv", "--db", str(sample_db))
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == ["theme", by, "respondents", "excerpts", "share_of_respondents", "suppressed",
                                   "note"]
    assert frame[frame["suppressed"]][["respondents", "excerpts", "share_of_respondents"]].isna().all().all()
    if by == "race":
        assert "note: Hidden groups" in err


FORMULA_THEMES = ['=HYPERLINK("http://x")', "+A1+B1", "-2+3", "@SUM(1)", "-3.5"]


def test_command_neutralises_formulas(tmp_path: Path) -> None:
    """Every theme cell of `themes --format csv`, read back, is the app's download cell: formula-like text
    (= + - @) gets one leading apostrophe, text that is just a number ("-3.5") is left alone."""
    path = tmp_path / "comments.csv"
    rows = "".join(f'"fine","{theme.replace(chr(34), 2 * chr(34))}",P{i}\n' for i, theme in enumerate(FORMULA_THEMES))
    path.write_text("Comment,Theme,Participant\n" + rows, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    assert _cli("import", str(path), "--db", str(db), "--year", "2024-25")[0] == 0
    code, out, err = _cli("themes", "--format", "csv", "--db", str(db))
    assert code == 0, err
    themes = {t for t in pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)["theme"]} - {ALL_THEMES}
    assert themes == {"'" + t for t in FORMULA_THEMES[:-1]} | {"-3.5"}
    assert themes == {cell_value(t) for t in FORMULA_THEMES}  # the app's own cell guard
