"""The protected table of staff full-time equivalents (kind `staff_fte`) for one school year: every FTE figure a
view can show, suppressed once, jointly.

Its cells are every school, every district (the name before " - " in "Boston - Boston Latin", when the names
carry it) and the state, x every job group, x every race column, the race columns' sum (`RACE_SUM`) and the
file's reported total (`STAFF_TOTAL`). The cells are tied by the additive relations a reader of every view can
use:
- a district is the sum of its schools, the state the sum of the districts (and of the schools no district
  names);
- the race columns' sum is the sum of the races; the reported total is that sum plus the difference the file
  has (in 375 rows of the Massachusetts file it is up to 0.3 FTE off): the difference is taken as known to the
  reader, which can only make the protection stronger;
- when the file has DESE's "All staff" job group (11), it is the sum of the other job groups plus a difference,
  also taken as known.

Values are kept in tenths of an FTE (integers: the files have one decimal place), so every sum is exact. An FTE
above 0 and under the cell size (`min_cell`, default 10) is a handful of people and is hidden (primary), and
`disclosure.protect` hides enough others that every hidden small value can still be anything from 0.1 to
`min_cell` - 0.1 FTE, and no hidden value is exactly determined, proven by linear programming over all those
relations. A larger cell size (`--min-cell 20`) starts from what the table at 10 hides, so that outputs at
several cell sizes, combined, still hide at least that; a smaller one is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core.constants import DEFAULT_PRIVACY_THRESHOLD, RACE_LABELS
from equity_metrics.measures.disclosure import Relations, Requirement, protect
from equity_metrics.storage import caches
from equity_metrics.storage.staff_codes import ALL_STAFF_JOB, OTHER_COMBINED, STAFF_TOTAL
from equity_metrics.storage.store import Store

__all__ = ["RACE_SUM", "STATE", "StaffCube", "forget_staff_cubes", "staff_cube"]

RACE_SUM = "All races (sum of the race columns)"
STATE = "All schools"
_SCALE = 10  # tenths of an FTE
_ORDER = {label: i for i, label in enumerate((*RACE_LABELS, OTHER_COMBINED))}

_CELLS_SQL = f"""
SELECT school_id, max(school_name) OVER (PARTITION BY school_id) AS school_name, coalesce(job_group, '') AS job_group,
    race, CAST(round(coalesce(fte, 0) * {_SCALE}) AS BIGINT) AS value
FROM staff_fte WHERE school_year = ?
-- the same school, job group and race loaded in two datasets: the latest, never both
QUALIFY row_number() OVER (PARTITION BY school_id, job_group, race ORDER BY dataset_id DESC) = 1
-- a fixed order: the same figures are always protected the same way (complements are chosen in order)
ORDER BY school_id, job_group, race
"""


@dataclass(frozen=True)
class StaffCube:
    """The cells (`level` state/district/school, `unit` its name, `school_id` for a school, `district`,
    `job_group`, `race`, `value` in tenths of an FTE, `hidden`) and the schools' own rows (`schools`: school_id,
    school_name, district)."""

    cells: pd.DataFrame
    schools: pd.DataFrame


_CACHE: dict[tuple, StaffCube] = {}


@caches.register
def forget_staff_cubes() -> None:
    """Drop every cached staff table (after the store file is erased)."""
    _CACHE.clear()


def _fingerprint(store: Store, year: str) -> str:
    row = store.cursor().execute("SELECT count(*), CAST(sum(hash(t)) AS VARCHAR) FROM staff_fte AS t "
                                 "WHERE school_year = ?", [year]).fetchone()
    return hashlib.sha256(repr(row).encode()).hexdigest()


def staff_cube(store: Store, year: str, min_cell: int = DEFAULT_PRIVACY_THRESHOLD) -> StaffCube:
    """The protected staff table of one school year (cached per content of the year's rows and `min_cell`).

    `min_cell` is never below the privacy threshold (10); a larger one hides everything the threshold's own
    table hides and more, so that outputs at several cell sizes together still hide all that one hides."""
    if min_cell < DEFAULT_PRIVACY_THRESHOLD:
        raise ValueError(f"--min-cell {min_cell}: FTE under {DEFAULT_PRIVACY_THRESHOLD} are always hidden; give "
                         f"{DEFAULT_PRIVACY_THRESHOLD} or more")
    key = (_fingerprint(store, year), year, int(min_cell))
    cube = _CACHE.get(key)
    if cube is None:
        base = None if min_cell == DEFAULT_PRIVACY_THRESHOLD else staff_cube(store, year).cells["hidden"].to_numpy()
        if len(_CACHE) >= 32:
            _CACHE.clear()
        cube = _CACHE[key] = _build(store.cursor().execute(_CELLS_SQL, [year]).df(), int(min_cell), base)
    return cube


def _district(name: object) -> str | None:
    text = name if isinstance(name, str) else ""
    return text.split(" - ", 1)[0].strip() or None if " - " in text else None


def _school_cells(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every school x job group x race (zeros where the file has no row), with the race columns' sum."""
    schools = rows.drop_duplicates("school_id")[["school_id", "school_name"]].reset_index(drop=True)
    schools["district"] = schools["school_name"].map(_district)
    races = sorted((r for r in rows["race"].unique() if r != STAFF_TOTAL), key=lambda r: (_ORDER.get(r, 99), r))
    grid = pd.MultiIndex.from_product([schools["school_id"], sorted(rows["job_group"].unique()),
                                       [*races, STAFF_TOTAL]], names=["school_id", "job_group", "race"])
    values = rows.set_index(["school_id", "job_group", "race"])["value"].reindex(grid, fill_value=0)
    cells = values.reset_index()
    sums = cells[cells["race"] != STAFF_TOTAL].groupby(["school_id", "job_group"], as_index=False)["value"].sum()
    cells = pd.concat([cells, sums.assign(race=RACE_SUM)], ignore_index=True)
    return cells, schools


def _build(rows: pd.DataFrame, min_cell: int, base: np.ndarray | None = None) -> StaffCube:
    school_cells, schools = _school_cells(rows)
    school_cells = school_cells.merge(schools, on="school_id")
    school_cells = school_cells.assign(level="school", unit=school_cells["school_name"].fillna(
        school_cells["school_id"]), geo="S\x1f" + school_cells["school_id"],
        parent=np.where(school_cells["district"].notna(), "D\x1f" + school_cells["district"].fillna(""), "state"))
    named = school_cells[school_cells["district"].notna()]
    districts = named.groupby(["district", "job_group", "race"], as_index=False)["value"].sum()
    districts = districts.assign(level="district", unit=districts["district"], school_id=None,
                                 geo="D\x1f" + districts["district"], parent="state")
    state = school_cells.groupby(["job_group", "race"], as_index=False)["value"].sum()
    state = state.assign(level="state", unit=STATE, school_id=None, district=None, geo="state", parent=None)
    columns = ["level", "unit", "school_id", "district", "job_group", "race", "value", "geo", "parent"]
    cells = pd.concat([state[columns], districts[columns], school_cells[columns]], ignore_index=True)
    cells["hidden"] = _protect(cells, min_cell, base)
    return StaffCube(cells.drop(columns=["geo", "parent"]), schools)


def _pairs_to_relations(pairs: list[tuple[np.ndarray, np.ndarray]]) -> Relations:
    """One relation per parent: (child rows, their parents' rows) -> `disclosure.Relations`."""
    rel, cell, coef = [], [], []
    count = 0
    for child_rows, parent_rows in pairs:
        parents, relation_of_child = np.unique(parent_rows.astype("int64"), return_inverse=True)
        ids = count + np.arange(parents.size)
        rel += [ids[relation_of_child], ids]
        cell += [child_rows, parents]
        coef += [np.ones(child_rows.size), -np.ones(parents.size)]
        count += parents.size
    if not rel:
        return Relations(np.zeros(0, int), np.zeros(0, int), np.zeros(0), 0)
    return Relations(np.concatenate(rel), np.concatenate(cell), np.concatenate(coef), count)


def _locator(cells: pd.DataFrame) -> Callable[[pd.DataFrame], np.ndarray]:
    """Row numbers of the cells keyed (geo, job_group, race) as in a frame's rows."""
    index = pd.Series(np.arange(len(cells)), index=pd.MultiIndex.from_frame(cells[["geo", "job_group", "race"]]))

    def locate(frame: pd.DataFrame) -> np.ndarray:
        return index.reindex(pd.MultiIndex.from_frame(frame[["geo", "job_group", "race"]])).to_numpy()
    return locate


def _relations(cells: pd.DataFrame) -> Relations:
    """The additive relations within one job group (see module): schools to districts to the state, races to
    their sum, their sum to the reported total."""
    locate = _locator(cells)
    children = np.flatnonzero(cells["parent"].notna().to_numpy())
    races = np.flatnonzero(~cells["race"].isin([RACE_SUM, STAFF_TOTAL]).to_numpy())
    sums = np.flatnonzero((cells["race"] == RACE_SUM).to_numpy())
    return _pairs_to_relations([
        (children, locate(cells.iloc[children].assign(geo=cells["parent"].iloc[children]))),
        (races, locate(cells.iloc[races].assign(race=RACE_SUM))),
        (sums, locate(cells.iloc[sums].assign(race=STAFF_TOTAL))),
    ])


def _job_relations(cells: pd.DataFrame) -> Relations:
    """"All staff" (job group 11) against the other job groups of the same unit and race, when the file has it."""
    jobs = set(cells["job_group"])
    if ALL_STAFF_JOB not in jobs or len(jobs) < 2:
        return _pairs_to_relations([])
    others = np.flatnonzero((cells["job_group"] != ALL_STAFF_JOB).to_numpy())
    return _pairs_to_relations([(others, _locator(cells)(cells.iloc[others].assign(job_group=ALL_STAFF_JOB)))])


def _protect(cells: pd.DataFrame, min_cell: int, base: np.ndarray | None = None) -> np.ndarray:
    """Hidden cells: FTE above 0 and under `min_cell`, and the complements `protect` proves enough within each
    job group; then, across job groups, no "All staff" relation is left with exactly one hidden value (its
    cheapest shown member is hidden too, and the job groups are protected again), until nothing changes."""
    values = cells["value"].to_numpy(dtype="float64")
    threshold = min_cell * _SCALE
    small = (values > 0) & (values < threshold)
    weight = cells["level"].map({"state": 100.0, "district": 10.0, "school": 1.0}).to_numpy()
    weight = weight * np.where(cells["race"].isin([RACE_SUM, STAFF_TOTAL]), 4.0, 1.0)
    cost = values * weight * np.where(cells["job_group"] == ALL_STAFF_JOB, 4.0, 1.0)
    groups = [np.flatnonzero((cells["job_group"] == job).to_numpy()) for job in cells["job_group"].unique()]
    relations = [_relations(cells.iloc[rows].reset_index(drop=True)) for rows in groups]
    across = _job_relations(cells)
    hidden = small.copy() if base is None else small | base
    changed = np.ones(len(groups), dtype=bool)
    for _ in range(50):
        for rows, relation in (p for p, again in zip(zip(groups, relations, strict=True), changed, strict=True) if again):
            part = small[rows]
            none = np.full(rows.size, np.nan)
            rule = Requirement(np.where(part, 1.0, none), np.where(part, threshold - 1.0, none),
                               np.zeros(rows.size), np.full(rows.size, np.inf))
            hidden[rows] = protect(values[rows], hidden[rows], relation, rule, cost[rows])
        more = _lone_hidden(hidden, values, cost, across)
        if not more.size:
            return hidden
        hidden[more] = True
        changed = np.array([np.isin(more, rows).any() for rows in groups])
    raise RuntimeError("staff FTE protection did not converge")  # pragma: no cover - each round hides more


def _lone_hidden(hidden: np.ndarray, values: np.ndarray, cost: np.ndarray, relations: Relations) -> np.ndarray:
    """For every relation with exactly one hidden member, its cheapest shown member above 0."""
    if not relations.count:
        return np.zeros(0, dtype=int)
    members = np.bincount(relations.relation, weights=hidden[relations.cell], minlength=relations.count)
    lone = members == 1
    entries = np.flatnonzero(lone[relations.relation] & ~hidden[relations.cell] & (values[relations.cell] > 0))
    order = entries[np.lexsort((cost[relations.cell[entries]], relations.relation[entries]))]
    _, first = np.unique(relations.relation[order], return_index=True)
    return np.unique(relations.cell[order[first]])
