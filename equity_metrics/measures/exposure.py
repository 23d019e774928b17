"""Students' exposure to a school figure, by group: ESSA's equitable access to teachers.

An *exposure* is a student-weighted average of a figure each school has: for a group g,

    exposure_g = sum over schools s of n_gs * value_s / sum over schools s of n_gs

where n_gs is the number of g students enrolled at school s in the year (the enrollment roster) and value_s the
school's figure that year (from the staff file): "Black students attend schools where 24% of teachers are in
their first or second year, vs 11% for White students". Exposures are declared as data (`EXPOSURES`); one engine
(`exposure_table`) computes them all.

- `inexperienced_teachers`: the share of a school's teachers (role Teacher, years of experience known) with
  fewer than 2 years of experience, in their first or second year: the CRDC's definition of inexperienced.
- `students_per_counselor`: a school's enrolled students per counselor (role Counselor, head count). Schools
  with no counselor in the staff file are left out of the average and named in the notes.

**Privacy.** The student counts n_gs are the enrolled students' protected table (`protected.population_layer`),
whose hidden cells are hidden in every view. A group's exposure, with the school figures, is one more linear
equation over its school counts: with a hidden count at two schools it would solve them. So a group's exposure
and its number of students are shown only when every one of its school counts that enters the average is shown
(the figure is then a function of published numbers, and reveals nothing new); otherwise both are hidden and the
note says why. A group of fewer than `min_n` students gets no exposure (the n-size rule), like a rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core.constants import DEFAULT_MIN_N, DEFAULT_PRIVACY_THRESHOLD, DIMENSIONS
from equity_metrics.measures import protected
from equity_metrics.measures.analysis import data_years
from equity_metrics.storage.facts import SOURCES
from equity_metrics.storage.store import Store

__all__ = ["ALL_STUDENTS", "EXPOSURES", "EXPOSURE_COLUMNS", "Exposure", "ExposureResult", "NoExposureDataError",
           "displayed_exposure", "exposure_table", "exposure_years", "school_figures"]

ALL_STUDENTS = "All students"
EXPOSURE_COLUMNS = ("students", "exposure")  # after the group column: the command's interface


class NoExposureDataError(ValueError):
    """The store lacks what an exposure needs (a staff file and an enrollment roster for the same year)."""


@dataclass(frozen=True)
class Exposure:
    """One school figure to weigh by students: `staff_sql` counts, per school, the staff behind it
    (`staff`: the figure's denominator, `counted`: its numerator), from `facts_staff` for `$year`.
    `kind` "share" (counted / staff) or "students_per" (the school's enrolled students / counted)."""

    id: str
    label: str
    kind: str
    staff_sql: str
    definition: str
    counted_label: str


def _staff_sql(staff: str, counted: str) -> str:
    return (f"SELECT school, {staff} AS staff, {counted} AS counted FROM facts_staff "
            "WHERE school_year = $year AND school_id IS NOT NULL GROUP BY school ORDER BY school")


EXPOSURES: dict[str, Exposure] = {e.id: e for e in (
    Exposure("inexperienced_teachers", "Teachers in their first or second year", "share",
             _staff_sql("count(*) FILTER (WHERE role = 'Teacher' AND years_experience IS NOT NULL)",
                        "count(*) FILTER (WHERE role = 'Teacher' AND years_experience < 2)"),
             "share of the school's teachers with fewer than 2 years of experience (CRDC's inexperienced teachers)",
             "inexperienced teachers"),
    Exposure("students_per_counselor", "Students per counselor", "students_per",
             _staff_sql("count(*) FILTER (WHERE role = 'Counselor')", "count(*) FILTER (WHERE role = 'Counselor')"),
             "the school's enrolled students per counselor (head count); schools with no counselor are left out",
             "counselors"),
)}


@dataclass(frozen=True)
class ExposureResult:
    """`table`: the dimension's column, then `students`, `exposure`, `suppressed` and `note`, one row per group
    and a last row for all students; `schools`: each school's figure (school, students, staff, counted, value)."""

    exposure: Exposure
    year: str
    dimension: str
    table: pd.DataFrame
    schools: pd.DataFrame
    notes: tuple[str, ...]


def exposure_years(store: Store) -> list[str]:
    """School years with both a staff file and an enrollment roster, oldest first."""
    years = data_years(store)
    return sorted(years.get("facts_staff", set()) & years.get(SOURCES["student_year"].table, set()))


def _population(store: Store, year: str, threshold: int) -> pd.DataFrame:
    """Every school's enrolled students (all grades), per group of every dimension, with its hidden flag."""
    return protected.population_layer(store, SOURCES["student_year"], "TRUE", year, threshold)


def _school_rows(layer: pd.DataFrame, dimension: str | None) -> pd.DataFrame:
    """The layer's rows for each school, all grades, split by `dimension` only (None: the school's total)."""
    keep = (layer[protected.GEOGRAPHY] != protected.ALL)
    if protected.BAND in layer.columns:
        keep &= layer[protected.BAND] == protected.ALL
    for split in protected.SINGLE_SPLITS:
        if split in layer.columns:
            keep &= (layer[split] != protected.ALL) if split == dimension else (layer[split] == protected.ALL)
    return layer[keep]


def school_figures(store: Store, exposure: Exposure, year: str, threshold: int = DEFAULT_PRIVACY_THRESHOLD
                   ) -> pd.DataFrame:
    """Each school's figure in the year: school, students (enrolled, all grades), staff, counted, value (NaN
    where the school has no staff behind the figure). A share needs at least `threshold` staff behind it: a
    school's teachers are counted in the staff views too, where fewer than 10 are hidden, and a share of 1/3
    would narrow that hidden count to 3, 6 or 9; such a school has no figure and no staff counts shown."""
    totals = _school_rows(_population(store, year, threshold), None)
    shown = ~totals["hidden"].to_numpy(bool)
    students = pd.DataFrame({"school": totals[protected.GEOGRAPHY].to_numpy(),
                             "students": pd.array(np.where(shown, totals["n"].to_numpy("float64"), np.nan), dtype="Int64")})
    staff = store.query(exposure.staff_sql, {"year": year})
    schools = students.merge(staff, on="school", how="left").fillna({"staff": 0, "counted": 0})
    schools[["staff", "counted"]] = schools[["staff", "counted"]].astype("int64")
    counted, staff_n = schools["counted"].to_numpy("float64"), schools["staff"].to_numpy("float64")
    if exposure.kind == "share":
        enough = staff_n >= threshold
        value = np.divide(counted, staff_n, out=np.full(len(schools), np.nan), where=enough)
        schools["staff"] = pd.array(np.where(enough, staff_n, np.nan), dtype="Int64")
        schools["counted"] = pd.array(np.where(enough, counted, np.nan), dtype="Int64")
    else:  # a hidden school total is never divided: the figure would give it back
        enrolled = schools["students"].to_numpy("float64", na_value=np.nan)
        value = np.divide(enrolled, counted, out=np.full(len(schools), np.nan), where=(counted > 0) & shown)
    return schools.assign(value=value).sort_values("school", ignore_index=True)


def exposure_table(store: Store, exposure_id: str, dimension: str = "race", year: str | None = None,
                   min_n: int = DEFAULT_MIN_N, threshold: int = DEFAULT_PRIVACY_THRESHOLD) -> ExposureResult:
    """The exposure of each group of `dimension` (and of all students) in one school year (default: the
    latest with staff and students)."""
    exposure = _exposure(exposure_id)
    if dimension not in protected.SINGLE_SPLITS:
        raise ValueError(f"exposure is split by one of {', '.join(protected.SINGLE_SPLITS)}, not {dimension!r}")
    years = exposure_years(store)
    if not years:
        raise NoExposureDataError("no school year has both a staff file and an enrollment roster: load both")
    if year is None:
        year = years[-1]
    elif year not in years:
        raise NoExposureDataError(f"{year} has no staff file and enrollment roster together; years that do: "
                                  f"{', '.join(years)}")
    schools = school_figures(store, exposure, year, threshold)
    layer = _population(store, year, threshold)
    cells = pd.concat([_school_rows(layer, dimension)[[protected.GEOGRAPHY, dimension, "n", "hidden"]],
                       _school_rows(layer, None)[[protected.GEOGRAPHY, "n", "hidden"]].assign(**{dimension: ALL_STUDENTS})],
                      ignore_index=True).rename(columns={protected.GEOGRAPHY: "school"})
    cells = cells.merge(schools[["school", "value"]], on="school", how="left")
    district = _district_rows(layer, dimension)
    rows = [_group_row(str(group), part, district.get(str(group)), _room(cells, dimension, part), min_n)
            for group, part in cells.groupby(dimension, sort=False)]
    table = pd.DataFrame(rows, columns=["group", *EXPOSURE_COLUMNS, "exposure_low", "exposure_high", "suppressed",
                                        "note"]).rename(columns={"group": dimension})
    table["students"] = pd.array(table["students"], dtype="Int64")
    return ExposureResult(exposure, year, dimension, _in_order(table, dimension), schools,
                          _left_out(schools, exposure))


def displayed_exposure(result: ExposureResult) -> np.ndarray:
    """Each row's figure as a chart or a sentence can give it: the exposure, or the middle of its range when
    the range is narrower than the figure's last shown digit (0.1 percentage point, one student: it reads the
    same either way, and the range comes from published counts only), else NaN."""
    table = result.table
    exact = table["exposure"].to_numpy("float64")
    low, high = table["exposure_low"].to_numpy("float64"), table["exposure_high"].to_numpy("float64")
    digit = 0.0005 if result.exposure.kind == "share" else 0.5
    narrow = np.isfinite(low) & np.isfinite(high) & ((high - low) < digit)
    return np.where(np.isfinite(exact), exact, np.where(narrow, (low + high) / 2, np.nan))


def _exposure(exposure_id: str) -> Exposure:
    if exposure_id not in EXPOSURES:
        raise ValueError(f"unknown exposure {exposure_id!r}; use one of {', '.join(EXPOSURES)}")
    return EXPOSURES[exposure_id]


def _district_rows(layer: pd.DataFrame, dimension: str) -> dict[str, float | None]:
    """The district's students per group (and all students), None where the count is hidden."""
    keep = layer[protected.GEOGRAPHY] == protected.ALL
    if protected.BAND in layer.columns:
        keep &= layer[protected.BAND] == protected.ALL
    for split in protected.SINGLE_SPLITS:
        if split in layer.columns and split != dimension:
            keep &= layer[split] == protected.ALL
    rows = layer[keep]
    return {(ALL_STUDENTS if group == protected.ALL else str(group)): (None if hidden else float(n))
            for group, n, hidden in zip(rows[dimension], rows["n"], rows["hidden"], strict=True)}


def _room(cells: pd.DataFrame, dimension: str, part: pd.DataFrame) -> np.ndarray:
    """For each of a group's school cells, the most students it can hold as a reader of every view sees it: the
    school's total less the shown counts of the school's other groups (the hidden total itself where the
    school's total is hidden: no bound), infinity for all students (no row to subtract from)."""
    if (part[dimension] == ALL_STUDENTS).all():
        return np.full(len(part), np.inf)
    groups = cells[cells[dimension] != ALL_STUDENTS]
    shown = groups.loc[~groups["hidden"].astype(bool)].groupby("school")["n"].sum()
    totals = cells[cells[dimension] == ALL_STUDENTS].set_index("school")
    room = []
    for school in part["school"]:
        total_hidden = bool(totals.at[school, "hidden"]) if school in totals.index else True
        room.append(np.inf if total_hidden else float(totals.at[school, "n"]) - float(shown.get(school, 0.0)))
    return np.array(room, dtype="float64")


def _group_row(group: str, part: pd.DataFrame, district: float | None, room: np.ndarray, min_n: int) -> tuple:
    """One group's row: (group, students, exposure, low, high, suppressed, note). The exposure is exact when
    every school count it weighs is shown; else, when the group's number of students at the schools with a
    figure follows from published counts, its range over every set of hidden counts those counts allow
    (computed from published numbers only); else hidden."""
    value = part["value"].to_numpy("float64")
    n = part["n"].to_numpy("float64")
    hidden = part["hidden"].to_numpy(bool)
    usable = np.isfinite(value)
    if not hidden[usable].any() and not hidden[~usable].any():
        students = float(n[usable].sum())
    elif district is not None and not hidden[~usable].any():
        students = district - float(n[~usable].sum())
    else:
        return (group, None, np.nan, np.nan, np.nan, True,
                f"hidden (privacy): the number of these students is hidden at {int(hidden.sum())} school"
                f"{'s' if hidden.sum() != 1 else ''}")
    if students < min_n:
        return (group, students, np.nan, np.nan, np.nan, True, f"fewer than {min_n} students: not calculated (n-size)")
    known = usable & ~hidden
    base = float((n[known] * value[known]).sum())
    if not hidden[usable].any():
        exact = base / students
        return (group, students, exact, exact, exact, False, "")
    rest = students - float(n[known].sum())
    slots = usable & hidden
    low, high = _fill(value[slots], np.minimum(room[slots], rest), rest)
    count = int(slots.sum())
    return (group, students, np.nan, (base + low) / students, (base + high) / students, True,
            f"a range (privacy): the number of these students is hidden at {count} school{'s' if count != 1 else ''}")


def _fill(values: np.ndarray, room: np.ndarray, total: float) -> tuple[float, float]:
    """The least and the most sum of value x count over cells holding `total` students, each at most its
    room (a fractional knapsack: fill the lowest values first, then the highest)."""
    results = []
    for order in (np.argsort(values, kind="stable"), np.argsort(-values, kind="stable")):
        left, weighted = total, 0.0
        for index in order:
            take = min(room[index], left)
            weighted += take * values[index]
            left -= take
        results.append(weighted)
    return results[0], results[1]


def _in_order(table: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Groups in the dimension's order, Unknown after them, all students last."""
    known = list(DIMENSIONS[dimension].values) if dimension in DIMENSIONS else []
    rank = {value: i for i, value in enumerate(known)}
    order = [rank.get(v, len(known) + (2 if v == ALL_STUDENTS else 1)) for v in table[dimension]]
    return table.assign(_order=order).sort_values(["_order", dimension]).drop(columns="_order").reset_index(drop=True)


def _left_out(schools: pd.DataFrame, exposure: Exposure) -> tuple[str, ...]:
    missing = schools.loc[~np.isfinite(schools["value"].to_numpy("float64")), "school"].tolist()
    if not missing:
        return ()
    plural = "s" if len(missing) != 1 else ""
    if exposure.kind == "share":
        why = "fewer than 10 teachers with a known experience in the staff file (privacy)"
    else:
        why = f"no {exposure.counted_label} in the staff file, or whose number of students is hidden"
    return (f"Left out: {len(missing)} school{plural} with {why} ({', '.join(map(str, missing))}).",)

