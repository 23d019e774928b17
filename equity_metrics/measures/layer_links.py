"""Which protected layers and tables count the same students, or a part of them, and the small helpers that
carry hidden cells from one to another (`protected` uses them; see docs/methods.md, "The same students in two
tables").

- `COUPLED`: a population that is a rate indicator's numerator (students with an IEP: identification's numerator,
  the IDEA measures' students). The layer and the table are protected together until both hide the same cells.
- `MASTERED`: a population that is one group of the all-students layer (students with an IEP are its students
  with disabilities): it hides what that layer hides there, and keeps its complements off what that layer shows.
- `NESTED`: a population inside larger sets other tables show (placement's K-12 students with an IEP, of all
  students with an IEP): where a larger count is shown and exceeds it by a small count, it is hidden; where a
  larger count is hidden and exceeds it by less than the threshold (or not at all), it is hidden too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from equity_metrics.core.constants import DIMENSIONS, GRADE_BANDS
from equity_metrics.measures.disclosure import ALL
from equity_metrics.measures.indicators import INDICATORS

__all__ = ["AVOIDED", "BAND", "COUPLED", "COUPLING_ROUNDS", "GRADE", "LARGE_GROUP", "MASTERED", "NESTED", "VEILED",
           "band_population_hidden", "coupled_flags", "has_band_populations", "importance", "large_district_groups",
           "layer_flags", "master_cells", "master_flags", "nested_flags", "population_band", "restricted_flags",
           "shown_counts", "steered"]

GRADE = "grade"  # the key of a layer's grades (the district's, for the sources compared grade by grade)
BAND = "grade_band"  # the key of a layer's grade bands


def _population_of(indicator_id: str) -> str:
    return INDICATORS[indicator_id].population


# A population that is the numerator of a rate indicator (students with an IEP: the numerator of identification
# and the population of the IDEA discipline measures): its layer and the indicator's numerators are the same
# counts, so they are protected together until both hide the same cells (`protected._coupled_pair`).
COUPLED: dict[str, str] = {"has_iep": "sped_identification", "ap": "ap_enrollment",
                           "ap_exam_taken": "ap_exam_taken", "interviewed": "interview_rate"}
COUPLING_ROUNDS = 6  # rounds of protecting two linked tables again (each only hides more; the sample's agree in 1-2)
# A population that is all students of one group of the all-students layer (its cells are that layer's cells of
# the group): protected with that layer's hidden cells hidden, and its shown cells kept off the complements.
MASTERED: dict[str, tuple[str, str]] = {"has_iep": ("disability", DIMENSIONS["disability"].values[0])}
# A population that is part of a larger set of the same source that other tables show (students with an IEP in
# grades K-12 with a placement, of all students with an IEP): where the larger count minus this one is small
# ("all but a few"), this one is hidden as that small count would be (the PK students with an IEP follow from
# identification minus placement otherwise).
NESTED: dict[str, tuple[str, ...]] = {
    _population_of("placement_regular_class_lt40"): ("has_iep", _population_of("sped_identification"), "TRUE"),
    _population_of("sped_identification"): ("TRUE",),
    _population_of("chronic_absenteeism"): ("TRUE",),
    _population_of("gifted_identification"): ("TRUE",),
    _population_of("algebra_1_grade_8"): ("TRUE",),
    # students with an IEP: none (the all-students layer holds them as its students with disabilities, MASTERED)
    "ap": ("TRUE",),
    "ap_exam_taken": ("ap", "TRUE"),
    "interviewed": ("TRUE",),
}


VEILED = "veiled_"  # the prefix of a cube column holding a larger set's count where that set's layer hides it


def shown_counts(layer: pd.DataFrame, cube: pd.DataFrame, keys: Sequence[str], hidden: bool = False) -> np.ndarray:
    """Another layer's count in each of the cube's cells where that layer shows it (NaN where it hides it or
    has no such cell); with `hidden`, where that layer hides it instead."""
    merged = cube[list(keys)].merge(layer[[*keys, "n", "hidden"]], on=list(keys), how="left", validate="m:1")
    chosen = merged["hidden"].eq(hidden).to_numpy()
    return np.where(chosen, merged["n"].to_numpy(dtype="float64"), np.nan)


def nested_flags(cube: pd.DataFrame, columns: Sequence[str], n: np.ndarray, threshold: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """For a population inside larger sets (`NESTED`; `columns`: their counts where shown, and where hidden,
    prefixed VEILED), the cells to hide and the cells to keep off the complements. A larger count that is
    hidden and exceeds this one by less than the threshold (by nothing: the same students) would be given
    away, or narrowed, by this one shown: hide it. A larger count that is shown and equal to this one is this
    one: never a complement here."""
    follow, keep = np.zeros(len(cube), dtype=bool), np.zeros(len(cube), dtype=bool)
    for column in columns:
        excess = cube[column].to_numpy(dtype="float64") - n
        if column.startswith(VEILED):
            follow |= (excess >= 0) & (excess < threshold)
        else:
            keep |= excess == 0
    return follow, keep


def coupled_flags(table: pd.DataFrame, cube: pd.DataFrame, keys: Sequence[str], shown: bool = False
                  ) -> np.ndarray:
    """For each row of `cube` (a population layer, column n), whether the same cell of a rate table whose
    numerators are the same students (`COUPLED`) hides its numerator, or counts differently (then both hide);
    with `shown`, whether that cell shows the same count instead."""
    keys = [k for k in keys if k in table.columns]
    merged = cube[keys].assign(n=cube["n"]).merge(table[[*keys, "numerator", "hide_numerator"]], on=keys,
                                                  how="left", validate="m:1")
    present = merged["numerator"].notna().to_numpy()
    same = present & (merged["numerator"].to_numpy(dtype="float64") == merged["n"].to_numpy(dtype="float64"))
    hidden = merged["hide_numerator"].fillna(False).to_numpy(dtype=bool)
    return same & ~hidden if shown else hidden | (present & ~same)


def layer_flags(layer: pd.DataFrame, table: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """For each row of a rate table, whether a population layer of the same students hides that cell."""
    if GRADE in layer.columns and GRADE not in table.columns:
        layer = layer[layer[GRADE] == ALL]
    keys = [k for k in keys if k in layer.columns]
    merged = table[keys].merge(layer[[*keys, "hidden"]], on=keys, how="left", validate="m:1")
    return merged["hidden"].fillna(False).to_numpy(dtype=bool)


def master_flags(whole: pd.DataFrame | None, population: str, cube: pd.DataFrame, keys: Sequence[str],
                 reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For a population that is all students of one group (`MASTERED`; `whole`: the all-students layer), the
    cube's cells that layer hides (to hide here too) and shows (to keep off the complements here); no cell of
    either for any other population. With `reverse`, the other way round: `whole` is the group's own layer and
    `cube` the all-students layer's cells."""
    none = np.zeros(len(cube), dtype=bool)
    if population not in MASTERED or whole is None:
        return none, none
    dimension, value = MASTERED[population]
    if dimension not in (cube if reverse else whole).columns:  # pragma: no cover - a source without the dimension
        return none, none
    keys = [k for k in keys if k in whole.columns and k in cube.columns]
    if reverse:
        target = cube[keys].assign(**{dimension: np.where(cube[dimension] == value, ALL, "\x1fnot")})
        source = whole
    else:
        target = cube[keys]
        source = whole[whole[dimension] == value].assign(**{dimension: ALL})
    merged = target.merge(source[[*keys, "n", "hidden"]], on=keys, how="left", validate="m:1")
    matched = merged["n"].to_numpy(dtype="float64") == cube["n"].to_numpy(dtype="float64")
    hidden = merged["hidden"].fillna(False).to_numpy(dtype=bool)
    return matched & hidden, matched & ~hidden


AVOIDED = 1e6  # the cost factor of a cell another table shows: chosen as a complement only when nothing else does


def steered(cost: np.ndarray, avoid: np.ndarray | None) -> np.ndarray:
    """Costs that keep complements off the cells `avoid` marks (counts another table shows as they are)."""
    return cost if avoid is None else np.where(avoid, (cost + 1.0) * AVOIDED, cost)


def population_band(population: str) -> str | None:
    """The grade band whose students a population is (`grade_band = 'High (9-12)'`), or None: such a layer takes
    its hidden cells from the all-students layer's cells of that band (`protected._band_population_hidden`)."""
    return next((b for b in GRADE_BANDS if population == f"{BAND} = '{b}'"), None)


def has_band_populations(source_name: str) -> bool:
    """Whether an indicator of the source counts one grade band's students (AP: high-school students)."""
    return any(population_band(i.population) for i in INDICATORS.values() if i.source == source_name)


def master_cells(cube: pd.DataFrame) -> np.ndarray:
    """The cells of the all-students layer that are another population's (`MASTERED`: its students with
    disabilities are the students with an IEP), whose hiding hides that population's counts too."""
    marked = np.zeros(len(cube), dtype=bool)
    for dimension, value in MASTERED.values():
        if dimension in cube.columns:
            marked |= (cube[dimension] == value).to_numpy()
    return marked


def band_population_hidden(whole: pd.DataFrame, cube: pd.DataFrame, keys: Sequence[str], band: str
                           ) -> np.ndarray | None:
    """The hidden flags of a population that is one grade band's students (high-school students, the
    denominator of AP and dual enrollment), from `whole`, the all-students layer: every one of its cells is the
    same students as a cell of that layer under the band (its district total is the district's grades 9-12), so
    it takes that cell's flag. Protected on its own, the two layers could hide the same students differently,
    and a count one hides would be the sum of what the other shows. None when the counts do not match."""
    keys = list(keys)
    mapped = cube[keys].assign(**{BAND: band}).merge(whole[[*keys, "n", "hidden"]], on=keys, how="left",
                                                      validate="m:1")
    if not np.array_equal(mapped["n"].to_numpy(dtype="float64"), cube["n"].to_numpy(dtype="float64")):
        return None  # pragma: no cover - the band's cells hold exactly its students
    return mapped["hidden"].to_numpy(dtype=bool)


def restricted_flags(layer: pd.DataFrame, cube: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """The layer's hidden flags for the cube's rows (the layer's all-grades rows when the cube has no grades;
    a survey construct's cells take their respondents' flag)."""
    if GRADE in layer.columns and GRADE not in keys:
        layer = layer[layer[GRADE] == ALL]
    keys = [k for k in keys if k in layer.columns]
    merged = cube[keys].merge(layer[[*keys, "n", "hidden"]], on=keys, how="left", validate="m:1")
    if merged["hidden"].isna().any():
        raise RuntimeError("a protected table has a cell its population layer lacks")  # pragma: no cover
    return merged["hidden"].to_numpy(dtype=bool)


LARGE_GROUP = 100  # a district group this large is shown again wherever the pattern does not need it hidden


def large_district_groups(cube: pd.DataFrame, keys: Sequence[str], size: str, geography: str) -> np.ndarray:
    """Cells of the district (any grade band, any split) whose `size` (students, respondents) is LARGE_GROUP
    or more: the complements whose hiding costs a board most, offered to `protect` for release."""
    district = (cube[geography] == ALL).to_numpy() if geography in keys else np.ones(len(cube), dtype=bool)
    return district & (cube[size].to_numpy(dtype="float64") >= LARGE_GROUP)


def importance(cube: pd.DataFrame, keys: Sequence[str], splits: Sequence[str], geography: str) -> np.ndarray:
    """How much hiding a cell costs besides its count: a unit's total most (every comparison rests on it), then
    the district's students with an IEP by group (`MASTERED`), then the district's groups (they head pages)."""
    groups = [k for k in keys if k in splits]
    whole = (cube[groups] == ALL).all(axis=1).to_numpy() if groups else np.ones(len(cube), dtype=bool)
    district = (cube[geography] == ALL).to_numpy() if geography in cube.columns else np.ones(len(cube), dtype=bool)
    shared = district & master_cells(cube)  # another table's headline counts (students with an IEP by group)
    return np.where(whole, 100.0, np.where(shared, 50.0, np.where(district, 4.0, 1.0)))
