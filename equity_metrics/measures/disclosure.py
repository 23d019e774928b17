"""Disclosure control for linked tables: which counts of a protected table to hide, proven by linear programming.

A protected table is a set of *cells* (counts a view can publish: a school's Black students, the district's
grade 6-8 girls, the district's total) tied by *relations*: a parent cell equals the sum of its children along
one dimension (the district is the sum of its schools; all grades the sum of the grade bands; all students the
sum of the race groups; the Black students the sum of Black girls, boys, ...). A reader who sees every view
knows every shown cell and every relation, and can bound each hidden cell by linear programming.

`protect` hides:
1. *Primary* cells (given: counts from 1 to threshold - 1, or whose complement is);
2. then, by a greedy heuristic, enough other cells that no relation has exactly one hidden cell and the hidden
   children of a relation add up to enough to move a small cell across the whole range the rule allows
   (the cheapest shown cell of the relation is added, counts weighted by size);
3. then it *proves* the pattern: per connected group of hidden cells, linear programs over every relation
   (the reader's own attack, solved with HiGHS) must let every primary cell reach both ends of
   the range the rule reveals (1 and threshold - 1; for a complement count, n - 1 and n - threshold + 1), and
   every other hidden cell must not be exactly determined. A cell that fails gets another complement from one
   of its relations and is proven again (a cell once proven stays proven: hiding more only widens ranges).

Given the table's *finest cells* (`Finest`: the cross-classification of every key the table has, from which
every cell is a sum), the proof is the reader's stronger attack: the unknowns are the finest cells (each >= 0;
a finest cell the data lack is a known zero, as a reader who knows the support would take it; an event count
at most its finest cell's population, itself tied by the table's shown denominators), not the table's cells.
Non-negativity of cells no view shows then bounds the hidden ones (Frechet-type bounds: a district's race x
sex count is at most the sum over schools of min(school x race, school x sex)), which the relations alone miss.
The program moves only the finest cells of a group's hidden cells, every other finest cell held at its true
value: every solution is then a microdata set that reproduces every shown cell, so a range it proves is a range
the reader cannot narrow (an inner bound: sound, never optimistic). A cell that fails gets as complement the
cheapest shown cell whose equation binds the failing program (a non-zero dual), else one from its relations.

Nothing here knows about students or schools: cells are rows, relations are index arrays.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = ["ALL", "Finest", "Population", "Relations", "Requirement", "protect", "relations_from_keys"]

ALL = "\x1fall"  # the margin value of a key dimension ("all schools", "all grades", "all groups")
_TOLERANCE = 1e-6
_MAX_ROUNDS = 400
_DUAL = 1e-7  # a row dual larger than this: the row binds the program
# The largest group of hidden cells proven over its finest cells while complements are still being chosen, in
# finest cells (variables): a larger group's programs grow with the schools (9,000 variables at 60 schools;
# re-proven after every widening, minutes per table), so it is proven over the published relations while the
# pattern grows, and over every finest cell once the pattern is complete (then widened again if that fails).
FINEST_LIMIT = 2_500
_BATCH_ROUNDS = 40


@dataclass(frozen=True)
class Relations:
    """Linear relations among cells: for relation r, sum(coef * value) over its entries is public.

    Entries are (relation, cell, coef) triples; coef is +1 for a child and -1 for the parent."""

    relation: np.ndarray
    cell: np.ndarray
    coef: np.ndarray
    count: int

    def constants(self, values: np.ndarray) -> np.ndarray:
        """Each relation's public value: the parent minus the children it lists (non-zero when some rows fall
        in no child, e.g. grades outside every band). Readers are assumed to know it."""
        return np.bincount(self.relation, weights=self.coef * values[self.cell], minlength=self.count)


def relations_from_keys(keys: pd.DataFrame) -> Relations:
    """Relations of a table whose rows are keyed by columns holding a value or ALL: for every column, a row
    with ALL there is the parent of the rows that differ from it only in that column. Every parent of a
    present child must be present (the table is closed under margins)."""
    frame = keys.reset_index(drop=True)
    columns = list(frame.columns)
    index = pd.Series(np.arange(len(frame)), index=pd.MultiIndex.from_frame(frame))
    if not index.index.is_unique:
        raise ValueError("protected table keys are not unique")
    rel, cell, coef, parents = [], [], [], []
    next_relation = 0
    for column in columns:
        child_rows = np.flatnonzero((frame[column] != ALL).to_numpy())
        if child_rows.size == 0:
            continue
        parent_keys = frame.iloc[child_rows].assign(**{column: ALL})
        parent_rows = index.reindex(pd.MultiIndex.from_frame(parent_keys)).to_numpy()
        if np.isnan(parent_rows.astype("float64")).any():
            raise ValueError(f"protected table is missing margins along {column}")
        parent_rows = parent_rows.astype("int64")
        unique_parents, relation_of_child = np.unique(parent_rows, return_inverse=True)
        relation_ids = next_relation + np.arange(unique_parents.size)
        rel += [relation_ids[relation_of_child], relation_ids]
        cell += [child_rows, unique_parents]
        coef += [np.ones(child_rows.size), -np.ones(unique_parents.size)]
        parents.append(unique_parents)
        next_relation += unique_parents.size
    if not rel:
        return Relations(np.zeros(0, int), np.zeros(0, int), np.zeros(0), 0)
    return Relations(np.concatenate(rel), np.concatenate(cell), np.concatenate(coef), next_relation)


@dataclass(frozen=True)
class Requirement:
    """What a reader must not learn about each cell: its range must reach `low` and `high` (NaN: no such
    requirement); every hidden cell must, at least, not be exactly determined."""

    low: np.ndarray
    high: np.ndarray
    lower_bound: np.ndarray  # the reader's own lower bound for a hidden cell (0, or 1 for a row that exists)
    upper_bound: np.ndarray  # and upper bound (inf, or a shown denominator for an event count)


@dataclass(frozen=True)
class Population:
    """The population each finest count is part of, as the reader models it: finest count f is at most
    weight[f] x units[unit_of[f]] (students with an event at most the students; favourable answers at most
    the items x the respondents), and the units are tied by the table's denominators (per cell, the sum of
    weight x unit over its finest cells), published where `shown`."""

    unit_of: np.ndarray
    weight: np.ndarray
    units: np.ndarray  # true values
    shown: np.ndarray  # per table cell: its denominator is published


@dataclass(frozen=True)
class Finest:
    """The finest cells a table is the sum of (see module): `membership` is cells x finest cells (1 where the
    finest cell is part of the cell), `values` the finest counts (every finest cell the data hold, zeros
    included where a population gives them room); `population` for counts of events."""

    membership: sparse.csr_matrix
    values: np.ndarray
    population: Population | None = None


def protect(values: np.ndarray, primary: np.ndarray, relations: Relations, requirement: Requirement,
            cost: np.ndarray | None = None, finest: Finest | None = None,
            release: np.ndarray | None = None) -> np.ndarray:
    """Hidden cells: the primary ones plus complements, proven safe against every relation, and with `finest`
    against the reader's program over the finest cells (see module). Complements marked in `release` (cells
    whose hiding costs most, such as a district's large groups) are then shown again, costliest first,
    wherever the pattern without them still passes the whole proof (see `_release`)."""
    hidden = _protect(values, primary, relations, requirement, cost, finest)
    if release is None or not (hidden & ~np.asarray(primary, dtype=bool) & release).any():
        return hidden
    cost = np.asarray(values, dtype="float64") if cost is None else np.asarray(cost, dtype="float64")
    return _release(hidden, np.asarray(primary, dtype=bool), np.asarray(release, dtype=bool),
                    np.asarray(values, dtype="float64"), relations, requirement, cost, finest)


def _protect(values: np.ndarray, primary: np.ndarray, relations: Relations, requirement: Requirement,
             cost: np.ndarray | None, finest: Finest | None) -> np.ndarray:
    """The pattern of `protect` before any complement is released."""
    values = np.asarray(values, dtype="float64")
    hidden = np.asarray(primary, dtype=bool).copy()
    if not hidden.any():
        return hidden
    cost = values.copy() if cost is None else np.asarray(cost, dtype="float64")
    reach = np.nan_to_num(requirement.high, nan=0.0)
    enough = np.maximum(reach, 1.0)
    proven = np.zeros(len(values), dtype=bool)  # stays proven: hiding more only widens every range
    loose = np.zeros(len(values), dtype=bool)  # proven over the relations only (a group past FINEST_LIMIT)
    index = _FinestIndex(finest) if finest is not None else None
    limit: int | None = FINEST_LIMIT
    for _ in range(_MAX_ROUNDS):
        hidden = _complete(hidden, values, relations, cost, reach)
        failed, blockers = _unproven(hidden, values, relations, requirement, proven, index, limit, loose)
        widened = _widen(hidden, failed, blockers, values, relations, cost, enough) if failed.size else hidden
        if (widened == hidden).all():  # proven, or nothing left to hide around what fails
            if not (hidden & loose).any():
                return hidden
            proven &= ~loose  # the pattern is complete: prove it over every finest cell
            loose[:] = False
            limit = None
            continue
        hidden = widened
    raise RuntimeError("disclosure control did not converge")  # pragma: no cover - each round hides more


RELEASE_ATTEMPTS = 24  # complements tried for release per table (each try re-proves its groups)


def _release(hidden: np.ndarray, primary: np.ndarray, release: np.ndarray, values: np.ndarray,
             relations: Relations, requirement: Requirement, cost: np.ndarray, finest: Finest | None) -> np.ndarray:
    """Show again, one at a time and costliest first, the complements in `release` that the pattern does not
    need: each try takes the cell out of the pattern and proves again, from nothing, every group of hidden
    cells it touches (shares a relation or, with `finest`, a finest cell with), over every finest cell; the
    cell stays shown only if every one of them passes. The greedy choice of complements hides what is cheap
    at each step, which can leave a large district group hidden that a later complement made unnecessary.
    Groups over FINEST_LIMIT finest cells are not tried (their proofs take minutes)."""
    index = _FinestIndex(finest) if finest is not None else None
    candidates = np.flatnonzero(hidden & ~primary & release)
    candidates = candidates[np.lexsort((candidates, -cost[candidates]))][:RELEASE_ATTEMPTS]
    for cell in candidates:
        trial = hidden.copy()
        trial[cell] = False
        if _lone_hidden_member(cell, trial, relations):
            continue  # a relation of the cell would hold one hidden cell, exactly determined: no need to prove
        affected = _touching_groups(cell, trial, relations, index)
        if index is not None and index.free_cells(affected) > FINEST_LIMIT:
            continue
        proven = trial.copy()
        proven[affected] = False
        # The published relations alone first (a cheap program that fails in most tries), then the proof.
        failed, _ = _unproven(trial, values, relations, requirement, proven.copy(), None, None)
        if not failed.size and index is not None:
            failed, _ = _unproven(trial, values, relations, requirement, proven, index, None)
        if not failed.size:
            hidden = trial
    return hidden


def _lone_hidden_member(cell: int, hidden: np.ndarray, relations: Relations) -> bool:
    """Whether a relation holding `cell` has exactly one hidden member once `cell` is shown (that member would
    then follow from the relation: the pattern without `cell` fails)."""
    mine = np.unique(relations.relation[relations.cell == cell])
    entries = np.isin(relations.relation, mine)
    counts = np.bincount(relations.relation[entries], weights=hidden[relations.cell[entries]],
                         minlength=relations.count)[mine]
    return bool((counts == 1).any())


def _touching_groups(cell: int, hidden: np.ndarray, relations: Relations, index: _FinestIndex | None
                     ) -> np.ndarray:
    """The hidden cells of every group that showing `cell` changes: groups holding a hidden cell that shares
    a relation with it, or (with finest cells) a finest cell."""
    near = relations.cell[np.isin(relations.relation, relations.relation[relations.cell == cell])]
    if index is not None:
        parts = index.rows[cell].indices
        near = np.concatenate([near, index.columns[:, parts].tocsr().nonzero()[0] if parts.size else near[:0]])
    near = np.unique(near)
    near = near[hidden[near]]
    if not near.size:
        return near
    _, labels = _components(hidden, relations)
    return np.flatnonzero(hidden & np.isin(labels, labels[near]))


def _complete(hidden: np.ndarray, values: np.ndarray, relations: Relations, cost: np.ndarray,
              reach: np.ndarray) -> np.ndarray:
    """Greedy closure: add the cheapest shown non-zero member of every relation with exactly one hidden
    member, or whose hidden children (parent shown) add up to less than the value one of them must be able
    to reach (`reach`: the others give way, down to zero)."""
    hidden = hidden.copy()
    rel, cell, coef = relations.relation, relations.cell, relations.coef
    child = coef > 0
    while True:
        hidden_members = np.bincount(rel, weights=hidden[cell], minlength=relations.count)
        hidden_children = np.bincount(rel[child], weights=hidden[cell[child]], minlength=relations.count)
        hidden_sum = np.bincount(rel[child], weights=(hidden * values)[cell[child]], minlength=relations.count)
        needed = np.zeros(relations.count)
        np.maximum.at(needed, rel[child], (hidden * reach)[cell[child]])
        parent_hidden = np.bincount(rel[~child], weights=hidden[cell[~child]], minlength=relations.count) > 0
        # The other hidden children must be able to give up what a small one needs to reach its high end.
        short = ~parent_hidden & (hidden_children >= 1) & (hidden_sum < needed)
        need = (hidden_members == 1) | short
        entries = np.flatnonzero(need[rel] & ~hidden[cell] & (values[cell] > 0))
        if entries.size == 0:
            return hidden
        # A margin costs more; a cell that also completes other relations needing a complement costs less
        # (one hidden cell then serves two lines, as the corners of a rectangle do).
        serves = np.bincount(cell, weights=need[rel].astype(float), minlength=len(hidden))
        weight = cost[cell[entries]] * np.where(coef[entries] > 0, 1.0, 4.0) / serves[cell[entries]]
        order = entries[np.lexsort((cell[entries], weight, rel[entries]))]
        _, first = np.unique(rel[order], return_index=True)
        hidden[cell[order[first]]] = True


def _components(hidden: np.ndarray, relations: Relations) -> tuple[int, np.ndarray]:
    """Connected groups of hidden cells (two hidden cells are linked when a relation holds both)."""
    rows = np.flatnonzero(hidden[relations.cell])
    n = len(hidden)
    graph = sparse.coo_matrix((np.ones(rows.size), (relations.cell[rows], n + relations.relation[rows])),
                              shape=(n + relations.count, n + relations.count))
    count, labels = connected_components(graph, directed=False)
    return count, labels[:n]


def _unproven(hidden: np.ndarray, values: np.ndarray, relations: Relations, requirement: Requirement,
              proven: np.ndarray, finest: _FinestIndex | None = None, limit: int | None = None,
              loose: np.ndarray | None = None) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Hidden cells whose protection a reader's linear programs break, and for each the shown cells whose
    equations bind the program that failed (when the finest cells were given). Cells proven in an earlier
    round are not proven again: a pattern only grows, and a cell hidden besides can only widen every other's
    range (a solution that held it at its value still holds). `proven` is updated in place, and `loose` marks
    the cells of groups over `limit` finest cells, proven over the relations only."""
    _, labels = _components(hidden, relations)
    constants = relations.constants(values)
    failed: list[int] = []
    blockers: dict[int, np.ndarray] = {}
    hidden_rows = np.flatnonzero(hidden)
    order = np.argsort(labels[hidden_rows], kind="stable")
    groups = np.split(hidden_rows[order], np.flatnonzero(np.diff(labels[hidden_rows][order])) + 1)
    for members in groups:
        check = np.flatnonzero(~proven[members])
        if not check.size:
            continue
        over = finest is not None and limit is not None and finest.free_cells(members) > limit
        if finest is None or over:
            program = _relation_program(members, hidden, values, relations, constants, requirement)
        else:
            program = _finest_program(members, hidden, finest, requirement)
        failures = _prove_component(members, program, values, requirement, check)
        proven[members[check]] = True
        if over and loose is not None:
            loose[members[check]] = True
        for cell, binding in failures.items():
            proven[cell] = False
            failed.append(cell)
            blockers[cell] = binding
    return np.asarray(failed, dtype=int), blockers


def _prove_component(members: np.ndarray, program: _Program, values: np.ndarray, requirement: Requirement,
                     check: np.ndarray) -> dict[int, np.ndarray]:
    """Bounds of every hidden cell of one group; the cells that fail, each with the shown cells whose
    equations bound it in the program that failed.

    The group's program is re-solved (warm) for each objective: first two that push every cell up and down
    at once, whose solutions often already prove a cell's range, then one per cell still unproven."""
    truth = values[members]
    low, high = requirement.low[members], requirement.high[members]
    witnesses = [truth]
    checked = np.zeros(members.size, dtype=bool)
    checked[check] = True
    _batch_witnesses(program, witnesses, np.where(checked, low, np.nan), np.where(checked, high, np.nan), checked)
    failed = {}
    for i in check:
        if not _proven_cell(i, program, witnesses, truth[i], low[i], high[i]):
            failed[int(members[i])] = program.binding
    return failed


def _relation_program(members: np.ndarray, hidden: np.ndarray, values: np.ndarray, relations: Relations,
                      constants: np.ndarray, requirement: Requirement) -> _Program:
    """The reader's program over one group of hidden cells and the relations they appear in."""
    position = np.full(len(hidden), -1)
    position[members] = np.arange(members.size)
    touching = np.unique(relations.relation[np.isin(relations.cell, members)])
    entries = np.flatnonzero(np.isin(relations.relation, touching))
    rows = np.searchsorted(touching, relations.relation[entries])
    columns = position[relations.cell[entries]]
    is_var = columns >= 0
    coef = relations.coef[entries]
    shown_part = np.bincount(rows[~is_var], weights=(coef * values[relations.cell[entries]])[~is_var],
                             minlength=touching.size)
    matrix = sparse.csc_matrix((coef[is_var], (rows[is_var], columns[is_var])), shape=(touching.size, members.size))
    right = constants[touching] - shown_part
    return _Program(matrix, right, right, requirement.lower_bound[members], requirement.upper_bound[members],
                    sparse.identity(members.size, format="csr"), np.full(touching.size, -1))


class _FinestIndex:
    """A table's finest cells (see `Finest`), indexed by cell and by finest cell once per protection."""

    def __init__(self, finest: Finest) -> None:
        self.rows = sparse.csr_matrix(finest.membership, dtype="float64")  # cells x finest
        self.columns = self.rows.tocsc()
        self.values = np.asarray(finest.values, dtype="float64")
        self.totals = self.rows @ self.values  # each cell's count, the sum of its finest counts
        self.cap = max(float(self.values.sum()), 1.0)  # no count exceeds all of them (keeps programs bounded)
        self.population = finest.population
        if self.population is not None:
            population = self.population
            weights = sparse.csr_matrix((np.asarray(population.weight, dtype="float64"),
                                         (np.arange(self.values.size), population.unit_of)),
                                        shape=(self.values.size, len(population.units)))
            self.by_unit = weights.T.tocsr()  # units x finest, weighted
            self.denominators = (self.rows @ weights).tocsc()  # cells x units
            self.unit_cap = max(float(np.asarray(population.units).sum()), 1.0)

    def free_cells(self, members: np.ndarray) -> int:
        """How many finest cells the hidden cells `members` are made of (the variables of their program)."""
        return int(np.unique(self.rows[members].indices).size)


def _finest_program(members: np.ndarray, hidden: np.ndarray, finest: _FinestIndex,
                    requirement: Requirement) -> _Program:
    """The reader's program over the finest cells of one group of hidden cells (the others held at their
    true values): every shown cell they are part of keeps its value, every hidden one stays within the
    reader's own bounds; with a population, each finest count is at most its share of a unit, and the units
    keep every shown denominator (see module)."""
    reach = np.unique(finest.rows[members].indices)
    parts = finest.columns[:, reach].tocsr()[~hidden]
    free = reach[~_pinned(parts, parts @ finest.values[reach])]
    touch = finest.columns[:, free].tocsr()  # cells x free finest cells
    touching = np.flatnonzero(np.diff(touch.indptr))
    shown = touching[~hidden[touching]]
    lower_bound, upper_bound = requirement.lower_bound[touching], requirement.upper_bound[touching]
    bounded = touching[hidden[touching] & ((lower_bound > 0) | np.isfinite(upper_bound))]
    fixed = touch[shown] @ finest.values[free]
    held = finest.totals - touch @ finest.values[free]  # per cell: its finest counts held at their value
    blocks = [touch[shown], touch[bounded]]
    row_lower = [fixed, requirement.lower_bound[bounded] - held[bounded]]
    row_upper = [fixed, requirement.upper_bound[bounded] - held[bounded]]
    col_lower, col_upper = [np.zeros(free.size)], [np.full(free.size, finest.cap)]
    units = 0
    if finest.population is not None:
        units, link, tie, known, col_upper[0], room = _population_rows(reach, free, finest)
        blocks = [sparse.hstack([b, sparse.csr_matrix((b.shape[0], units))]) for b in blocks]
        blocks += [link, sparse.hstack([sparse.csr_matrix((tie.shape[0], free.size)), tie])]
        row_lower += [np.full(link.shape[0], -np.inf), known]
        row_upper += [np.zeros(link.shape[0]), known]
        col_lower.append(room)
        col_upper.append(np.full(units, finest.unit_cap))
    matrix = sparse.vstack(blocks, format="csc")
    cells = sparse.hstack([finest.rows[members][:, free], sparse.csr_matrix((members.size, units))], format="csr")
    row_cell = np.concatenate([shown, np.full(matrix.shape[0] - shown.size, -1)])
    return _Program(matrix, np.concatenate(row_lower), np.concatenate(row_upper), np.concatenate(col_lower),
                    np.concatenate(col_upper), cells, row_cell, offset=held[members])


def _population_rows(reach: np.ndarray, free: np.ndarray, finest: _FinestIndex) -> tuple:
    """The units of a program over the finest cells `free`: how many stay free, the rows that hold each free
    finest count within its share of a free unit, the shown denominators over the free units with their
    values, each free finest count's upper bound (its share of its unit where the shown denominators alone
    fix the unit), and each free unit's least value (see `_room`)."""
    population = finest.population
    truth = np.asarray(population.units, dtype="float64")
    weight = np.asarray(population.weight, dtype="float64")
    chosen = np.unique(population.unit_of[reach])
    denominators = finest.denominators[:, chosen].tocsr()
    tied = np.flatnonzero(np.diff(denominators.indptr))
    tie = denominators[tied[population.shown[tied]]]
    known = tie @ truth[chosen]
    settled = _pinned(tie, known)
    open_units = chosen[~settled]
    known = known - tie[:, np.flatnonzero(settled)] @ truth[chosen[settled]]
    tie = tie[:, np.flatnonzero(~settled)].tocsr()
    keep = np.flatnonzero(np.diff(tie.indptr))
    unit = population.unit_of[free]
    linked = np.flatnonzero(np.isin(unit, open_units))
    upper = np.where(np.isin(unit, open_units), finest.cap, np.minimum(finest.cap, weight[free] * truth[unit]))
    link = sparse.hstack([sparse.identity(free.size, format="csr")[linked], sparse.csr_matrix(
        (-weight[free][linked], (np.arange(linked.size), np.searchsorted(open_units, unit[linked]))),
        shape=(linked.size, open_units.size))])
    return open_units.size, link, tie[keep], known[keep], upper, _room(open_units, free, finest)


def _pinned(rows: sparse.csr_matrix, totals: np.ndarray) -> np.ndarray:
    """The variables (columns of `rows`: shown cells x their parts, every coefficient positive, every
    variable at least 0) that the shown totals alone fix at their true value: every part of a total of 0,
    and the only part left unfixed in a total, again until none is left. Taking them out of a program leaves
    the same program, smaller."""
    pattern = rows.tocsr(copy=True)
    pattern.data[:] = 1.0
    pinned = np.zeros(rows.shape[1], dtype=bool)
    pinned[pattern[np.flatnonzero(np.isclose(totals, 0.0))].indices] = True
    while True:
        single = np.flatnonzero(np.isclose(pattern @ (~pinned).astype("float64"), 1.0))
        parts = pattern[single].tocoo()
        fresh = parts.col[~pinned[parts.col]]
        if not fresh.size:
            return pinned
        pinned[fresh] = True


def _room(chosen: np.ndarray, free: np.ndarray, finest: _FinestIndex) -> np.ndarray:
    """Each unit's least value: the finest counts it holds that stay at their value (outside the program)
    need their share of it."""
    held = finest.by_unit[chosen].tocoo()
    outside = ~np.isin(held.col, free)
    least = np.zeros(chosen.size)
    np.maximum.at(least, held.row[outside], finest.values[held.col[outside]] / held.data[outside])
    return least


def _batch_witnesses(program: _Program, witnesses: list[np.ndarray], low: np.ndarray, high: np.ndarray,
                     checked: np.ndarray) -> None:
    """Solutions that prove many cells at once: push every cell not yet shown to reach its high end up
    together (then its low end down, then any hidden cell away from its value), again while that proves
    more; the cells left get a program of their own."""
    def unproven() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        seen = np.vstack(witnesses)
        need_high = np.isfinite(high) & (seen.max(axis=0) < high - _TOLERANCE)
        need_low = np.isfinite(low) & (seen.min(axis=0) > low + _TOLERANCE)
        fixed = checked & ((seen.max(axis=0) - seen.min(axis=0)) < 1 - _TOLERANCE)
        return need_high, need_low, fixed

    conflicts = program.conflicts()  # cells sharing a relation compete for room
    stalled = 0
    for _ in range(_BATCH_ROUNDS):
        need_high, need_low, fixed = unproven()
        before = need_high.sum() + need_low.sum() + fixed.sum()
        if not before:
            return
        ups, downs = need_high | (fixed & ~need_low), need_low | fixed
        if stalled:  # pushed together they compete: push cells that share no relation
            ups, downs = _apart(ups, conflicts), _apart(downs, conflicts)
        for objective in (-ups.astype(float), downs.astype(float)):
            if objective.any():
                found = program.solve(objective)
                if found is not None:
                    witnesses.append(found)
        need_high, need_low, fixed = unproven()
        if need_high.sum() + need_low.sum() + fixed.sum() >= before:
            stalled += 1
            if stalled > 1:
                return
        else:
            stalled = 0


def _apart(cells: np.ndarray, conflicts: sparse.csr_matrix) -> np.ndarray:
    """A greedy set of the given cells no two of which share a relation."""
    chosen = np.zeros(cells.size, dtype=bool)
    blocked = np.zeros(cells.size, dtype=bool)
    for i in np.flatnonzero(cells):
        if not blocked[i]:
            chosen[i] = True
            blocked[conflicts.indices[conflicts.indptr[i]:conflicts.indptr[i + 1]]] = True
    return chosen


class _Program:
    """A reader's linear program over one group of hidden cells, solved again for each objective. Its
    variables are the cells themselves or finer ones: `cells` maps them to the group's cells, plus `offset`
    (the parts held out of the program; objectives are given, and solutions returned, per cell); `row_cell`
    names the shown cell each row keeps (-1: none)."""

    def __init__(self, matrix: sparse.csc_matrix, row_lower: np.ndarray, row_upper: np.ndarray,
                 col_lower: np.ndarray, col_upper: np.ndarray, cells: sparse.csr_matrix, row_cell: np.ndarray,
                 offset: np.ndarray | None = None) -> None:
        self.size = cells.shape[0]
        self.offset = np.zeros(self.size) if offset is None else np.asarray(offset, dtype="float64")
        self.highs = _thread_highs()
        infinity = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
        lp.col_cost_ = np.zeros(matrix.shape[1])
        lp.col_lower_ = np.asarray(col_lower, dtype="float64")
        lp.col_upper_ = np.where(np.isfinite(col_upper), col_upper, infinity).astype("float64")
        lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -infinity).astype("float64")
        lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, infinity).astype("float64")
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype("float64")
        self.highs.passModel(lp)
        self.indices = np.arange(matrix.shape[1], dtype=np.int32)
        self.matrix, self.cells, self.row_cell = matrix, cells, np.asarray(row_cell)
        self.cells_t = cells.T.tocsr()
        self.binding = np.zeros(0, dtype=int)  # shown cells whose rows bound the last solution

    def solve(self, objective: np.ndarray) -> np.ndarray | None:
        """The cells' values at the solution minimising `objective` (per cell), or None when the program has
        none (unbounded)."""
        self.highs.changeColsCost(self.indices.size, self.indices, self.cells_t @ np.asarray(objective, "float64"))
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            self.binding = np.zeros(0, dtype=int)
            return None
        solution = self.highs.getSolution()
        if (self.row_cell >= 0).any():
            duals = np.abs(np.asarray(solution.row_dual))
            self.binding = self.row_cell[(duals > _DUAL) & (self.row_cell >= 0)]
        return self.cells @ np.asarray(solution.col_value) + self.offset

    def conflicts(self) -> sparse.csr_matrix:
        """Cells that compete for room: they share a row, or a finer variable."""
        shared = (abs(self.matrix) @ abs(self.cells_t)).tocsc()  # rows x cells
        return (shared.T @ shared + abs(self.cells) @ abs(self.cells_t)).tocsr()


_LOCAL = threading.local()


def _thread_highs() -> highspy.Highs:
    """This thread's HiGHS instance (made once: each program replaces the last one's model)."""
    highs = getattr(_LOCAL, "highs", None)
    if highs is None:
        highs = _LOCAL.highs = _new_highs()
    return highs


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance (its constructor prints a banner on standard output, which would end up in
    the command line's CSV: the banner is sent to /dev/null)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    # Primal simplex: each objective changes only costs, so the last solution stays primal feasible and
    # primal simplex restarts from it (5 times faster than dual simplex on the finest-cell programs).
    highs.setOptionValue("simplex_strategy", 4)
    return highs


def _proven_cell(i: int, program: _Program, witnesses: list[np.ndarray], truth: float, low: float,
                 high: float) -> bool:
    """Whether cell i reaches its required ends and is not exactly determined, solving only what the
    witnesses found so far do not already show."""
    def seen() -> np.ndarray:
        return np.array([w[i] for w in witnesses])

    def push(sign: float) -> np.ndarray | None:
        found = program.solve(_unit(program.size, i, sign))
        if found is not None:
            witnesses.append(found)
        return found

    if np.isfinite(high) and seen().max() < high - _TOLERANCE:
        found = push(-1.0)
        if found is None or found[i] < high - _TOLERANCE:
            return False
    if np.isfinite(low) and seen().min() > low + _TOLERANCE:
        found = push(1.0)
        if found is None or found[i] > low + _TOLERANCE:
            return False
    if seen().max() - seen().min() >= 1 - _TOLERANCE:
        return True
    return any(found is not None and abs(found[i] - truth) >= 1 - _TOLERANCE
               for found in (push(-1.0), push(1.0)))


def _unit(size: int, index: int, sign: float) -> np.ndarray:
    vector = np.zeros(size)
    vector[index] = sign
    return vector


def _widen(hidden: np.ndarray, failed: np.ndarray, blockers: dict[int, np.ndarray], values: np.ndarray,
           relations: Relations, cost: np.ndarray, enough: np.ndarray) -> np.ndarray:
    """Give every failed cell more room: the cheapest shown non-zero cell whose equation bound the program
    that failed, when there is one; else, in each relation holding it, the cheapest shown non-zero member
    large enough to give way (`enough`: the failed cell's high end), else the largest (children before
    parents)."""
    hidden = hidden.copy()
    for target in failed:
        binding = blockers.get(int(target), np.zeros(0, dtype=int))
        binding = binding[~hidden[binding] & (values[binding] > 0)]
        if binding.size:
            hidden[binding[np.lexsort((binding, cost[binding]))[0]]] = True
            continue
        for relation in np.unique(relations.relation[relations.cell == target]):
            entries = np.flatnonzero(relations.relation == relation)
            entries = entries[~hidden[relations.cell[entries]] & (values[relations.cell[entries]] > 0)]
            if entries.size == 0:
                continue
            cells = relations.cell[entries]
            weight = cost[cells] * np.where(relations.coef[entries] > 0, 1.0, 2.0)
            roomy = values[cells] >= enough[target]
            pick = entries[np.argmin(np.where(roomy, weight, np.inf))] if roomy.any() else entries[np.argmax(values[cells])]
            hidden[relations.cell[pick]] = True
    return hidden
