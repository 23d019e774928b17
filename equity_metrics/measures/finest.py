"""The finest cells of a protected table: what `disclosure.protect` proves its suppression patterns over.

A protected table's cells (a school's Black students, the district's grade 6-8 girls, ...) are sums of the
*finest cells*: the cross-classification of every key the table has (school x grade band x grade x every group
dimension). A reader who sees every view can reason over those finest cells, none of which is shown, and use
that each is at least zero (a district's race x sex count is at most the sum over schools of
min(school x race, school x sex)); `disclosure.protect` takes them as the reader's unknowns. Here: which
finest cells each cell adds up (`membership`), and for a count of events the population each finest count is
part of (`population`). Nothing here reads a store: frames in, arrays out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from equity_metrics.measures.disclosure import ALL, Finest, Population

__all__ = ["counts_finest", "events_finest", "membership"]


def membership(cells: pd.DataFrame, finest: pd.DataFrame, keys: Sequence[str]) -> sparse.csr_matrix:
    """cells x finest cells: 1 where the finest cell is part of the cell (equal to it on every key the cell does
    not take ALL). Keys the finest frame lacks must be ALL in every cell (a table filled with margins only)."""
    keys = list(keys)
    present = [k for k in keys if k in finest.columns]
    for key in keys:
        if key not in finest.columns and (cells[key] != ALL).any():
            raise ValueError(f"the finest cells lack {key}, which a cell splits by")
    codes_cells, codes_finest, radix = [], [], []
    for key in present:
        codes, uniques = pd.factorize(pd.concat([cells[key], finest[key]], ignore_index=True).astype(str))
        codes_cells.append(codes[:len(cells)].astype("int64"))
        codes_finest.append(codes[len(cells):].astype("int64"))
        radix.append(max(len(uniques), 1))
    split = np.column_stack([(cells[k] != ALL).to_numpy() for k in present]) if present else \
        np.zeros((len(cells), 0), dtype=bool)
    patterns, pattern_of = np.unique(split, axis=0, return_inverse=True)
    rows, columns = [], []
    for number, pattern in enumerate(patterns):
        members = np.flatnonzero(pattern_of.ravel() == number)
        chosen = np.flatnonzero(pattern)
        cell_code, finest_code = np.zeros(len(members), "int64"), np.zeros(len(finest), "int64")
        for k in chosen:
            cell_code = cell_code * radix[k] + codes_cells[k][members]
            finest_code = finest_code * radix[k] + codes_finest[k]
        position = pd.Index(cell_code).get_indexer(finest_code)
        found = np.flatnonzero(position >= 0)
        rows.append(members[position[found]])
        columns.append(found)
    rows_all = np.concatenate(rows) if rows else np.zeros(0, "int64")
    columns_all = np.concatenate(columns) if columns else np.zeros(0, "int64")
    return sparse.csr_matrix((np.ones(rows_all.size), (rows_all, columns_all)), shape=(len(cells), len(finest)))


def counts_finest(cells: pd.DataFrame, finest: pd.DataFrame, keys: Sequence[str], count: str) -> Finest | None:
    """The finest cells of a table of counts (students of a population, respondents, students with a score):
    the finest cells holding someone (the others are known zeros). None when the finest counts do not add up
    to the table's (a person counted in two finest cells): the relations alone are proven then."""
    finest = finest[finest[count].to_numpy() > 0].reset_index(drop=True)
    matrix = membership(cells, finest, keys)
    values = finest[count].to_numpy(dtype="float64")
    if not np.allclose(matrix @ values, cells[count].to_numpy(dtype="float64")):
        return None
    return Finest(matrix, values)


def events_finest(cells: pd.DataFrame, finest: pd.DataFrame, keys: Sequence[str], shown: np.ndarray,
                  unit_keys: Sequence[str] | None = None, persons: str | None = None) -> Finest | None:
    """The finest cells of a rate table (columns `numerator`, `denominator`): every finest cell of the
    population (its events may be zero), each at most its denominator, the denominators tied by the table's
    shown ones (`shown`, per cell). For answers (`persons`: the respondents' column), a finest cell's answers
    are its respondents (one unit per cell of `unit_keys`, which leaves the construct out) times the items
    each answers, when every construct of a unit has the same respondents. None when the finest counts do not
    add up to the table's."""
    finest = finest[finest["denominator"].to_numpy() > 0].reset_index(drop=True)
    matrix = membership(cells, finest, keys)
    values = finest["numerator"].to_numpy(dtype="float64")
    denominators = finest["denominator"].to_numpy(dtype="float64")
    unit_of, weight, units = np.arange(len(finest)), np.ones(len(finest)), denominators
    if persons is not None and unit_keys:
        respondents = finest[persons].to_numpy(dtype="float64")
        unit_of = pd.MultiIndex.from_frame(finest[list(unit_keys)].astype(str)).factorize()[0]
        same = pd.Series(respondents).groupby(unit_of).nunique().to_numpy() == 1
        if same.all() and (respondents > 0).all():
            weight = denominators / respondents
            units = np.zeros(unit_of.max() + 1)
            units[unit_of] = respondents
        else:
            unit_of = np.arange(len(finest))
    if not (np.allclose(matrix @ values, cells["numerator"].to_numpy(dtype="float64"))
            and np.allclose(matrix @ denominators, cells["denominator"].to_numpy(dtype="float64"))):
        return None
    return Finest(matrix, values, Population(unit_of, weight, units, np.asarray(shown, dtype=bool)))
