"""Staff composition by race from staff full-time equivalents (a state's published staff report, kind
`staff_fte`): each race's FTE and share, by job group, statewide, by district (the name before " - " in
"Boston - Boston Latin", when the names carry it) or by school.

Every figure comes from one protected table per school year (`staff_cube`): FTE under the cell size are
hidden, and enough others that none can be worked out from any combination of views (districts are sums of
schools, the state of districts, totals of races, "All staff" of the other job groups). Shown sums are exact
(tenths of an FTE, added as integers). The FTE of a unit is the file's reported total (`FTE Count`); a race's
share is of the race columns' sum, so the shares add up to 1; the two totals are shown side by side with their
difference, because in real files the race columns do not always add up to the reported total. A share is
hidden with its FTE or with the race columns' sum; the difference with either total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core.constants import DEFAULT_PRIVACY_THRESHOLD
from equity_metrics.measures.aggregate import loaded_year, loaded_years
from equity_metrics.measures.staff_cube import RACE_SUM, STATE, StaffCube, staff_cube
from equity_metrics.storage.staff_codes import OTHER_COMBINED, STAFF_TOTAL, job_label
from equity_metrics.storage.store import Store

__all__ = ["COLUMNS", "LEVELS", "NoStaffFteError", "StaffComposition", "job_groups", "staff_composition",
           "staff_years"]

LEVELS = ("state", "district", "school")
COLUMNS = ("school_year", "unit", "school_id", "job_group", "job", "race", "fte", "share", "race_sum",
           "reported_total", "difference", "schools", "schools_without")
_SCALE = 10.0


class NoStaffFteError(ValueError):
    """No staff FTE for what was asked (none loaded, another year, a level the names do not allow)."""


@dataclass(frozen=True)
class StaffComposition:
    """The table (COLUMNS) and the notes that go with it (what is hidden and why, what does not add up)."""

    table: pd.DataFrame
    school_year: str
    notes: tuple[str, ...]


def staff_years(store: Store) -> list[str]:
    """The school years with staff FTE, latest first."""
    return loaded_years(store, "staff_fte")


def job_groups(store: Store, school_year: str) -> list[tuple[str, str]]:
    """The job groups of a year (code as the file writes it, '' for none; name), in the order of the codes."""
    rows = store.cursor().execute("SELECT DISTINCT coalesce(job_group, '') FROM staff_fte WHERE school_year = ? "
                                  "ORDER BY 1", [school_year]).fetchall()
    return [(r[0], job_label(r[0] or None)) for r in rows]


def _school_counts(cube: StaffCube) -> pd.DataFrame:
    """Per unit (any level), job group and race: the schools reporting FTE above 0 for the job group, and of
    them those reporting 0 FTE of the race."""
    cells = cube.cells
    schools = cells[cells["level"] == "school"]
    totals = schools[schools["race"] == STAFF_TOTAL][["school_id", "job_group", "value"]].rename(
        columns={"value": "total"})
    races = schools[~schools["race"].isin([STAFF_TOTAL, RACE_SUM])].merge(totals, on=["school_id", "job_group"])
    races = races[races["total"] > 0].assign(without=lambda f: (f["value"] == 0).astype(int), reporting=1)
    frames = [races.assign(level="school", unit=races["unit"]),
              races[races["district"].notna()].assign(level="district", unit=races["district"]),
              races.assign(level="state", unit=STATE)]
    both = pd.concat(frames, ignore_index=True)
    key = ["level", "unit", "school_id", "job_group", "race"]
    both["school_id"] = np.where(both["level"] == "school", both["school_id"].astype(str), "")
    return both.groupby(key, as_index=False, dropna=False).agg(schools=("reporting", "sum"),
                                                               schools_without=("without", "sum"))


def _select(cube: StaffCube, level: str, job_group: str | None, unit: str | None) -> pd.DataFrame:
    cells = cube.cells[cube.cells["level"] == level]
    if job_group is not None:
        cells = cells[cells["job_group"] == job_group]
    if unit is not None:
        wanted = unit.strip().casefold()
        match = cells["unit"].str.casefold() == wanted
        if level == "school":
            match |= cells["school_id"].fillna("").str.casefold() == wanted
        cells = cells[match]
    return cells


def _wide(cells: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """One row per unit, job group and race: its FTE, the unit's race sum and reported total, and the counts."""
    key = ["unit", "school_id", "job_group"]
    cells = cells.assign(school_id=np.where(cells["level"] == "school", cells["school_id"].astype(str), ""))
    fte = cells["value"] / _SCALE
    cells = cells.assign(fte=np.where(cells["hidden"], np.nan, fte))
    margins = cells[cells["race"].isin([RACE_SUM, STAFF_TOTAL])].pivot_table(
        index=key, columns="race", values="fte", dropna=False, aggfunc="first")
    margins = margins.rename(columns={RACE_SUM: "race_sum", STAFF_TOTAL: "reported_total"}).reset_index()
    races = cells[~cells["race"].isin([RACE_SUM, STAFF_TOTAL])]
    table = races.merge(margins, on=key, how="left")
    table = table.merge(counts, on=["level", "unit", "school_id", "job_group", "race"], how="left")
    table["share"] = np.where(table["race_sum"] > 0, table["fte"] / table["race_sum"], np.nan)
    table["difference"] = (table["reported_total"] * _SCALE - table["race_sum"] * _SCALE).round() / _SCALE
    table[["schools", "schools_without"]] = table[["schools", "schools_without"]].fillna(0)
    table.loc[table["fte"].isna(), "schools_without"] = np.nan  # at a school: whether the value is 0
    return table


def staff_composition(store: Store, *, level: str = "state", job_group: str | None = None,
                      school_year: str | None = None, unit: str | None = None,
                      min_cell: int = DEFAULT_PRIVACY_THRESHOLD) -> StaffComposition:
    """Each race's FTE and share by job group, at `level` (state, district or school), for one school year
    (default: the latest with staff FTE); `unit` keeps one district or school (by name, or a school's code).
    Small FTE are hidden (see module)."""
    if level not in LEVELS:
        raise ValueError(f"--by {level!r}: staff FTE is shown by {', '.join(LEVELS)}")
    year = loaded_year(store, "staff_fte", school_year, NoStaffFteError, "staff FTE",
                       "import a staff report by race (FTE per school and job group)")
    cube = staff_cube(store, year, min_cell)
    cells = _select(cube, level, job_group, unit)
    if cells.empty:
        what = "the school names carry no district (\"District - School\")" if level == "district" and unit is None \
            else f"nothing matches{f' {unit!r}' if unit else ''}{f' in job group {job_group}' if job_group else ''}"
        raise NoStaffFteError(f"no staff FTE to show for {year}: {what}")
    table = _wide(cells, _school_counts(cube))
    table["job"] = table["job_group"].map(lambda code: job_label(code or None))
    table["school_year"] = year
    order = {race: i for i, race in enumerate(cells["race"].drop_duplicates())}  # the cube's order of races
    table = table.assign(_race=table["race"].map(order)).sort_values(["job_group", "unit", "school_id", "_race"])
    table[["schools", "schools_without"]] = table[["schools", "schools_without"]].astype("Int64")
    table["school_id"] = table["school_id"].replace("", None)
    notes = _notes(table, cells, min_cell)
    return StaffComposition(table[list(COLUMNS)].reset_index(drop=True), year, notes)


def _notes(table: pd.DataFrame, cells: pd.DataFrame, min_cell: int) -> tuple[str, ...]:
    out = ["FTE is the file's reported total (FTE Count); a race's share is of the race columns' sum, so the "
           "shares add up to 1."]
    units = table.drop_duplicates(["unit", "school_id", "job_group"])
    off = units[units["difference"].abs() > 0]
    if len(off):
        out.append(f"In {len(off):,} of {len(units):,} rows (unit and job group) the race columns do not add up to "
                   f"the reported total (largest difference {off['difference'].abs().max():.1f} FTE); both are shown.")
    hidden = int(cells["hidden"].sum())
    if hidden:
        out.append(f"{hidden:,} FTE figures hidden here: an FTE from 0.1 to {min_cell - 0.1:.1f} (a handful of "
                   "people), or one that would reveal one with other figures; their shares are hidden too.")
    if OTHER_COMBINED in set(table["race"]):
        out.append(f"'{OTHER_COMBINED}' is one column of the file combining several races; it is never split.")
    return tuple(out)
