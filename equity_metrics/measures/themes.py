"""Themes by group from coded excerpts (kind `excerpts`): how many participants raised each theme, and in how
many excerpts, per group of participants (race, role or school), with the privacy rules applied to participants.

Counting (in DuckDB, over every loaded excerpts dataset):
- a *theme* is one code of an excerpt; a cell holding several ("Belonging; Safety", or split by '|' or a line
  break) counts for each, and an excerpt coded twice with the same theme counts once for it;
- an *excerpt* is its text within its dataset, session and participant (or its excerpt ID when the file has one);
- a *participant* is the participant ID (else the participant's name) within its dataset; a file with neither
  counts each excerpt as its own participant, and the notes say so;
- a participant has one group value per dimension: the first value the file gives them (a participant written
  with two races is counted under the first, alphabetically); a missing value is the group 'Unknown';
- `respondents` is the number of participants of the group with at least one excerpt coded with the theme;
  `excerpts` the number of their excerpts coded with it; `share_of_respondents` respondents divided by all the
  group's participants (theme 'All themes': every participant of the group, whatever their codes).

Protection (`_protect_people`): every participant count that can be published, under every dimension, is one
cell of one table: per dimension, each theme's groups add up to the theme's participants ('All participants',
the same number under every dimension), and each group's participants ('All themes') add up to all the
participants. A group of fewer than `DEFAULT_PRIVACY_THRESHOLD` (10) participants is hidden whole (its every
cell, zeros included), a count from 1 to 9 is hidden, and `disclosure.protect` hides complements until linear
programming over all those relations cannot pin any hidden count (a reader's bound that a group's theme count
is at most its participants is included). Excerpt counts are then protected the same way, starting from every
hidden participant cell, and a cell is hidden for both counts when either is; a share is shown only with its
count and its group's participants. Quotes: see `themes_quotes.py`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equity_metrics.core.constants import DEFAULT_PRIVACY_THRESHOLD, RACE_LABELS
from equity_metrics.measures.disclosure import Relations, Requirement, protect
from equity_metrics.storage import caches
from equity_metrics.storage.excerpt_codes import CODE_SEPARATORS
from equity_metrics.storage.store import Store

__all__ = ["ALL_PARTICIPANTS", "ALL_THEMES", "THEME_COLUMNS", "THEME_DIMENSIONS", "ThemeCube", "ThemesResult",
           "forget_theme_cubes", "theme_cube", "themes_by"]

THEME_DIMENSIONS = ("race", "role", "school")
ALL_THEMES = "All themes"
ALL_PARTICIPANTS = "All participants"
UNKNOWN = "Unknown"
THEME_COLUMNS = ("theme", "respondents", "excerpts", "share_of_respondents", "suppressed", "note")
_RACE_ORDER = {label: i for i, label in enumerate(RACE_LABELS)}
_MARGIN = "*"  # the dimension of the cells every dimension shares (a theme's participants, all participants)

# One row per excerpt and theme, with its excerpt and participant keys and the participant's group per dimension.
ROWS_SQL = f"""
WITH raw AS (
    SELECT dataset_id, excerpt, theme, excerpt_id, participant_id, participant_name, session, role, race, school,
        md5(concat_ws('|', dataset_id, coalesce(session, ''), coalesce(participant_id, participant_name, ''),
                      coalesce(excerpt_id, excerpt))) AS excerpt_key
    FROM excerpts
), keyed AS (
    SELECT *, CASE WHEN participant_id IS NOT NULL OR participant_name IS NOT NULL
                   THEN concat_ws('|', 'p', dataset_id, coalesce(participant_id, participant_name))
                   ELSE concat_ws('|', 'e', excerpt_key) END AS participant_key
    FROM raw
), people AS (
    SELECT participant_key, coalesce(min(race), '{UNKNOWN}') AS race,
        coalesce(min(nullif(trim(role), '')), '{UNKNOWN}') AS role,
        coalesce(min(nullif(trim(school), '')), '{UNKNOWN}') AS school
    FROM keyed GROUP BY participant_key
), coded AS (
    SELECT participant_key, excerpt_key, trim(unnest(string_split_regex(theme, '{CODE_SEPARATORS}'))) AS theme
    FROM keyed
)
SELECT DISTINCT k.participant_key, k.excerpt_key, nullif(c.theme, '') AS theme, p.race, p.role, p.school
FROM keyed k JOIN people p USING (participant_key)
LEFT JOIN coded c ON c.participant_key = k.participant_key AND c.excerpt_key = k.excerpt_key
"""


@dataclass(frozen=True)
class ThemeCube:
    """Every published cell, protected once: `cells` (dimension, theme, group, respondents, excerpts, group_size,
    hidden, small_group); `rows` the excerpt x theme rows it was counted from (keys and groups, no text)."""

    cells: pd.DataFrame
    rows: pd.DataFrame
    anonymous: bool = False  # no participant ID or name: each excerpt counted as one participant
    min_size: int = DEFAULT_PRIVACY_THRESHOLD


@dataclass(frozen=True)
class ThemesResult:
    """Themes by one dimension as published: `table` has `theme, <dim>, respondents, excerpts,
    share_of_respondents, suppressed, note`; `notes` say what is hidden and why."""

    by: str
    table: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)


_CACHE: dict[str, ThemeCube] = {}


@caches.register
def forget_theme_cubes() -> None:
    """Drop every cached theme table (after the store file is erased)."""
    _CACHE.clear()


def theme_cube(store: Store) -> ThemeCube | None:
    """The protected theme table of every loaded excerpt (None without excerpts), cached per content."""
    if not store.table_exists("excerpts") or not store.scalar("SELECT count(*) FROM excerpts"):
        return None
    digest = store.cursor().execute("SELECT count(*), CAST(sum(hash(t)) AS VARCHAR) FROM excerpts AS t").fetchone()
    key = hashlib.sha256(repr(digest).encode()).hexdigest()
    if key not in _CACHE:
        if len(_CACHE) >= 8:
            _CACHE.clear()
        rows = store.cursor().execute(ROWS_SQL + " ORDER BY 1, 2, 3").df()
        anonymous = not bool(store.scalar("SELECT count(*) > 0 FROM excerpts WHERE participant_id IS NOT NULL "
                                          "OR participant_name IS NOT NULL"))
        _CACHE[key] = build_cube(rows, anonymous=anonymous)
    return _CACHE[key]


def _counts(rows: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """Participants and excerpts per theme (and 'All themes') per group of `group` (None: all participants)."""
    keys = ["theme"] + ([group] if group else [])
    coded = rows.dropna(subset=["theme"])
    per_theme = coded.groupby(keys).agg(respondents=("participant_key", "nunique"),
                                        excerpts=("excerpt_key", "nunique")).reset_index()
    every = rows.groupby([group] if group else lambda _: 0).agg(
        respondents=("participant_key", "nunique"), excerpts=("excerpt_key", "nunique")).reset_index()
    every = every.assign(theme=ALL_THEMES)[keys + ["respondents", "excerpts"]] if group else \
        every.assign(theme=ALL_THEMES)[["theme", "respondents", "excerpts"]]
    return pd.concat([per_theme, every], ignore_index=True)


def _cells(rows: pd.DataFrame) -> pd.DataFrame:
    """Every cell: per dimension, each theme x each group (zeros included), and the shared margins."""
    themes = sorted(rows["theme"].dropna().unique().tolist()) + [ALL_THEMES]
    margin = _counts(rows, None).assign(dimension=_MARGIN, group=ALL_PARTICIPANTS)
    margin = margin.set_index("theme").reindex(themes, fill_value=0).reset_index()
    frames = [margin.assign(dimension=_MARGIN, group=ALL_PARTICIPANTS)]
    for dim in THEME_DIMENSIONS:
        counts = _counts(rows, dim).rename(columns={dim: "group"})
        groups = sorted(rows[dim].unique().tolist(), key=lambda g: (g == UNKNOWN, _RACE_ORDER.get(g, 99), g))
        full = pd.MultiIndex.from_product([themes, groups], names=["theme", "group"])
        counts = counts.set_index(["theme", "group"]).reindex(full, fill_value=0).reset_index()
        frames.append(counts.assign(dimension=dim))
    cells = pd.concat(frames, ignore_index=True)[["dimension", "theme", "group", "respondents", "excerpts"]]
    size = cells[cells["theme"] == ALL_THEMES].set_index(["dimension", "group"])["respondents"]
    cells["group_size"] = size.reindex(pd.MultiIndex.from_frame(cells[["dimension", "group"]])).to_numpy()
    return cells.astype({"respondents": "int64", "excerpts": "int64", "group_size": "int64"})


def _relations(cells: pd.DataFrame) -> Relations:
    """Per dimension and theme: the groups add up to the theme's margin cell (shared by every dimension)."""
    margin = cells[cells["dimension"] == _MARGIN].reset_index().set_index("theme")["index"]
    children = np.flatnonzero((cells["dimension"] != _MARGIN).to_numpy())
    parents = margin.reindex(cells["theme"].to_numpy()[children]).to_numpy()
    pairs = pd.DataFrame({"dimension": cells["dimension"].to_numpy()[children], "parent": parents})
    relation_of_child = pairs.groupby(["dimension", "parent"], sort=False).ngroup().to_numpy()
    count = int(relation_of_child.max()) + 1 if children.size else 0
    firsts = pairs.assign(r=relation_of_child).drop_duplicates("r").sort_values("r")
    return Relations(np.concatenate([relation_of_child, firsts["r"].to_numpy()]),
                     np.concatenate([children, firsts["parent"].to_numpy().astype("int64")]),
                     np.concatenate([np.ones(children.size), -np.ones(len(firsts))]), count)


def _protect_people(cells: pd.DataFrame, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Hidden participant cells (see module) and which groups are hidden for being small."""
    values = cells["respondents"].to_numpy(dtype="float64")
    size = cells["group_size"].to_numpy(dtype="float64")
    small_group = (cells["dimension"] != _MARGIN).to_numpy() & (size < min_size)
    small = (values > 0) & (values < min_size)
    primary = small | small_group
    high = np.where(small, np.minimum(min_size - 1.0, np.maximum(size, 1.0)), np.nan)
    upper = np.where(cells["theme"].to_numpy() == ALL_THEMES, np.inf, size)
    rule = Requirement(np.where(small, 1.0, np.nan), high, np.zeros(len(cells)), upper)
    cost = values + np.where((cells["dimension"] == _MARGIN).to_numpy(), 1000.0, 0.0)
    hidden = protect(values, primary, _relations(cells), rule, cost) if primary.any() else primary
    return hidden, small_group


def _protect_excerpts(cells: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    """Excerpt cells hidden wherever participant cells are, and complements so that none is pinned."""
    if not hidden.any():
        return hidden
    values = cells["excerpts"].to_numpy(dtype="float64")
    none = np.full(len(cells), np.nan)
    rule = Requirement(none, none, np.zeros(len(cells)), np.full(len(cells), np.inf))
    cost = values + np.where((cells["dimension"] == _MARGIN).to_numpy(), 1000.0, 0.0)
    return protect(values, hidden, _relations(cells), rule, cost)


def build_cube(rows: pd.DataFrame, min_size: int = DEFAULT_PRIVACY_THRESHOLD, anonymous: bool = False) -> ThemeCube:
    """The protected cells of these excerpt x theme rows (see `ROWS_SQL` for their columns)."""
    cells = _cells(rows)
    people, small_group = _protect_people(cells, min_size)
    hidden = people | _protect_excerpts(cells, people)
    return ThemeCube(cells.assign(hidden=hidden, small_group=small_group), rows, anonymous, min_size)


def _notes(part: pd.DataFrame, min_size: int) -> np.ndarray:
    """Each published cell's note: why it is hidden (empty when shown)."""
    small_group = part["small_group"].to_numpy(dtype=bool)
    hidden = part["hidden"].to_numpy(dtype=bool)
    people = part["respondents"].to_numpy()
    return np.select(
        [small_group, hidden & (people > 0) & (people < min_size), hidden],
        [f"hidden: fewer than {min_size} participants in this group (its quotes are never shown)",
         f"hidden: fewer than {min_size} participants",
         "hidden so that a hidden count cannot be worked out from the totals"], default="").astype(object)


def themes_by(store: Store, by: str = "race") -> ThemesResult:
    """Themes by one dimension (race, role or school) as published: every theme x group and the theme's
    participants ('All participants'), then 'All themes'; hidden cells blank with the reason."""
    if by not in THEME_DIMENSIONS:
        raise ValueError(f"themes are compared by {', '.join(THEME_DIMENSIONS)}; not {by!r}")
    cube = theme_cube(store)
    if cube is None:
        raise ValueError("no coded excerpts are loaded: import a file of excerpts and their codes (Data page or "
                         "`import`), such as Taguette's highlights export or QualCoder's coded text export")
    return publish(cube, by)


def publish(cube: ThemeCube, by: str) -> ThemesResult:
    """The published table of one dimension from the protected cube."""
    cells = cube.cells
    part = cells[(cells["dimension"] == by) | (cells["dimension"] == _MARGIN)]
    order = {t: i for i, t in enumerate(sorted(set(part["theme"]) - {ALL_THEMES}) + [ALL_THEMES])}
    part = part.assign(_t=part["theme"].map(order), _m=(part["dimension"] == _MARGIN))
    part = part.sort_values(["_t", "_m"], kind="stable").reset_index(drop=True)
    size = cells[cells["theme"] == ALL_THEMES].set_index(["dimension", "group"])["hidden"]
    size_hidden = size.reindex(pd.MultiIndex.from_frame(part[["dimension", "group"]])).to_numpy(dtype=bool)
    shown = ~part["hidden"].to_numpy(dtype=bool)
    people = part["respondents"].to_numpy(dtype="float64")
    group_size = part["group_size"].to_numpy(dtype="float64")
    share = np.where(shown & ~size_hidden & (group_size > 0), people / np.maximum(group_size, 1.0), np.nan)
    part = part.assign(share_of_respondents=np.round(share, 4),
                       note=_notes(part, cube.min_size))
    table = pd.DataFrame({
        "theme": part["theme"].to_numpy(), by: part["group"].to_numpy(),
        "respondents": pd.array(np.where(shown, part["respondents"], np.nan), dtype="Int64"),
        "excerpts": pd.array(np.where(shown, part["excerpts"], np.nan), dtype="Int64"),
        "share_of_respondents": part["share_of_respondents"].to_numpy(),
        "suppressed": part["hidden"].to_numpy(dtype=bool), "note": part["note"].to_numpy()})
    notes = []
    small = sorted(set(part.loc[part["small_group"] & (part["dimension"] == by), "group"]))
    if small:
        notes.append(f"Hidden groups (fewer than {cube.min_size} participants; none of their quotes is shown): "
                     f"{', '.join(small)}.")
    if cube.anonymous:
        notes.append("The excerpts name no participant: each excerpt is counted as one participant.")
    return ThemesResult(by, table.reset_index(drop=True), tuple(notes))
