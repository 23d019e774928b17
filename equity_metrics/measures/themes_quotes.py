"""Quotes from coded excerpts, shown only where the privacy rules of `themes.py` allow, with names and IDs
stripped.

A quote is shown for a theme and a group of one dimension only when
- that group's cell of the theme is shown (not hidden, for being small or as a complement), and
- its participant's group is shown under *every* dimension (race, role and school): a participant of a group
  hidden anywhere (fewer than 10 participants, or hidden to protect one) is never quoted, however the page is
  browsed. An excerpt coded with several themes is quotable under each theme whose cell is shown.
The page shows exactly 5 quotes of a cell (the first 5 by the excerpts' hashed keys, an arbitrary fixed order),
or none when fewer than 5 may be quoted: how many of a shown cell's excerpts may be quoted is never shown, since
the cell's excerpt count minus it would count the excerpts of participants of groups hidden elsewhere.

What is stripped from a shown excerpt (in DuckDB, `regexp_replace`), in this order:
1. every participant ID the loaded files hold (`P-014` -> `[participant]`), as a whole word;
2. every participant or speaker name they hold, whole and word by word (`Marisol Ibarra`, `Marisol`,
   `Ibarra` -> `[name]`; any case; words of one letter are left);
3. a name after a label such as `Name:`, `Speaker:`, `Participant:` or `Respondent:` (one or two capitalised
   words -> `[name]`);
4. a speaker label at the start of the excerpt or of a line (`Marisol:`, `Ms Ibarra:` -> `[speaker]:`);
5. e-mail addresses (`[email]`) and US-style phone numbers (`[phone]`).
Names that the file does not hold and that are not written as a label (a name in the middle of a sentence) are
not found: the Data page says so, and a quote reaches a report only when the user picks it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from equity_metrics.measures.themes import ALL_THEMES, THEME_DIMENSIONS, ThemeCube, theme_cube
from equity_metrics.storage.store import Store

__all__ = ["quotable", "shown_quotes", "strip_sql"]

_META = re.compile(r"([\\.^$|?*+()\[\]{}])")
_LABELS = r"\b([Nn]ame|NAME|[Ss]peaker|SPEAKER|[Pp]articipant|[Rr]espondent)\s*:\s*[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?"
_SPEAKER = r"(^|\n)\s*[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?\s*:"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PHONE = r"(?:\(\d{3}\)\s*|\b\d{3}[-. ])\d{3}[-. ]\d{4}\b"
_TEXT_SQL = """
SELECT md5(concat_ws('|', dataset_id, coalesce(session, ''), coalesce(participant_id, participant_name, ''),
                     coalesce(excerpt_id, excerpt))) AS excerpt_key, any_value(excerpt) AS excerpt
FROM excerpts GROUP BY ALL
"""


def _escaped(values: list[str]) -> str:
    """An alternation of literal values, longest first (RE2 syntax)."""
    ordered = sorted({v for v in values if v}, key=lambda v: (-len(v), v))
    return "|".join(_META.sub(r"\\\1", v) for v in ordered)


def strip_sql(store: Store, column: str) -> tuple[str, list[str]]:
    """SQL stripping names and IDs from the text in `column` (see module), and its parameters."""
    ids, names = store.cursor().execute(
        "SELECT list(DISTINCT trim(participant_id)) FILTER (WHERE participant_id IS NOT NULL), "
        "list(DISTINCT trim(participant_name)) FILTER (WHERE participant_name IS NOT NULL) FROM excerpts").fetchone()
    words = [w for n in names or [] for w in re.split(r"[\s,]+", n) if len(w) > 1]
    sql, params = column, []
    for pattern, replacement in ((rf"\b(?:{_escaped(ids or [])})\b", "[participant]"),
                                 (rf"(?i)\b(?:{_escaped([*(names or []), *words])})\b", "[name]"),
                                 (_LABELS, r"\1: [name]"), (_SPEAKER, r"\1[speaker]:"),
                                 (_EMAIL, "[email]"), (_PHONE, "[phone]")):
        if "(?:)" in pattern:  # nothing to look for (no IDs or no names in the files)
            continue
        params += [pattern, replacement]
        sql = f"regexp_replace({sql}, ?, ?, 'g')"
    return sql, params


def quotable(cube: ThemeCube, by: str, theme: str, group: str) -> pd.DataFrame:
    """The excerpt keys that may be quoted for this theme and group (see module); empty when the cell is hidden."""
    cells = cube.cells
    cell = cells[(cells["dimension"] == by) & (cells["theme"] == theme) & (cells["group"] == group)]
    if cell.empty or bool(cell["hidden"].iloc[0]):
        return pd.DataFrame(columns=["excerpt_key", "participant_key"])
    rows = cube.rows[(cube.rows["theme"] == theme) & (cube.rows[by] == group)]
    totals = cells[cells["theme"] == ALL_THEMES].set_index(["dimension", "group"])["hidden"]
    allowed = np.ones(len(rows), dtype=bool)
    for dim in THEME_DIMENSIONS:
        keys = pd.MultiIndex.from_arrays([np.full(len(rows), dim, dtype=object), rows[dim].to_numpy()])
        allowed &= ~totals.reindex(keys).fillna(True).to_numpy(dtype=bool)
    return rows.loc[allowed, ["excerpt_key", "participant_key"]].drop_duplicates("excerpt_key")


def shown_quotes(store: Store, by: str, theme: str, group: str, limit: int = 50) -> pd.DataFrame:
    """The quotes shown for a theme and group: `quote_id` (the excerpt's key) and `text` (names and IDs stripped),
    at most `limit`, in a fixed order. Empty when the cell is hidden or no participant of it may be quoted."""
    cube = theme_cube(store)
    if cube is None:
        return pd.DataFrame(columns=["quote_id", "text"])
    keys = quotable(cube, by, theme, group)["excerpt_key"].tolist()
    if not keys:
        return pd.DataFrame(columns=["quote_id", "text"])
    stripped, params = strip_sql(store, "excerpt")
    return store.cursor().execute(
        f"SELECT excerpt_key AS quote_id, {stripped} AS text FROM ({_TEXT_SQL}) WHERE excerpt_key = ANY(?) "
        "ORDER BY excerpt_key LIMIT ?", [*params, keys, int(limit)]).df()


def quote_text(store: Store, by: str, theme: str, group: str, quote_id: str) -> str | None:
    """One quote's stripped text, when it may still be shown for this theme and group (None otherwise)."""
    cube = theme_cube(store)
    if cube is None or quote_id not in set(quotable(cube, by, theme, group)["excerpt_key"]):
        return None
    stripped, params = strip_sql(store, "excerpt")
    row = store.cursor().execute(f"SELECT {stripped} FROM ({_TEXT_SQL}) WHERE excerpt_key = ?",
                                 [*params, quote_id]).fetchone()
    return str(row[0]) if row else None
