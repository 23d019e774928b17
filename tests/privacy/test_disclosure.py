"""The disclosure-control engine and the protected tables, checked from outside.

- Worked examples: a 3 x 3 table with margins and one small cell; the engine must hide at least the four
  corners of a rectangle, and scipy's own linear programs (not the engine's) must find every hidden small count
  free to reach 1 and 9 and no hidden count exactly determined.
- `relations_from_keys` on a small table, relation by relation.
- Determinism: the same data, rebuilt from scratch (cache dropped, DuckDB returning groups in another order),
  hides exactly the same cells; so a view never changes between two runs, which would let a reader combine both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from equity_metrics.measures import protected
from equity_metrics.measures.disclosure import ALL, Requirement, protect, relations_from_keys
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.storage.store import Store

THRESHOLD = 10


def table_keys(rows: list[str], columns: list[str]) -> pd.DataFrame:
    """Keys of a two-way table with every margin: (row, column) for every pair, rows and columns with ALL."""
    return pd.DataFrame([(r, c) for r in [*rows, ALL] for c in [*columns, ALL]], columns=["school", "race"])


def interior(values: np.ndarray) -> np.ndarray:
    """A full table's cells (margins appended) from its interior, in table_keys order."""
    full = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    full[:-1, :-1] = values
    full[:-1, -1] = values.sum(axis=1)
    full[-1, :-1] = values.sum(axis=0)
    full[-1, -1] = values.sum()
    return full.ravel()


def reader_bounds(values: np.ndarray, hidden: np.ndarray, keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """What a reader who sees every shown cell and knows every margin relation learns about each hidden cell:
    its minimum and maximum by scipy's linprog, built here from the keys (not from the engine's relations)."""
    frame = keys.reset_index(drop=True)
    hidden_rows = np.flatnonzero(hidden)
    position = {row: i for i, row in enumerate(hidden_rows)}
    equations, rhs = [], []
    for column in frame.columns:
        others = [c for c in frame.columns if c != column]
        for _, group in frame.groupby(others):
            parent = group.index[group[column] == ALL]
            children = group.index[group[column] != ALL]
            if len(parent) != 1 or len(children) == 0:
                continue
            row = np.zeros(hidden_rows.size)
            constant = 0.0
            for index, sign in [(parent[0], -1.0), *((c, 1.0) for c in children)]:
                if hidden[index]:
                    row[position[index]] += sign
                else:
                    constant -= sign * values[index]
            if row.any():
                equations.append(row)
                rhs.append(constant)
    a_eq, b_eq = np.array(equations), np.array(rhs)
    low, high = np.zeros(hidden_rows.size), np.zeros(hidden_rows.size)
    for i in range(hidden_rows.size):
        objective = np.zeros(hidden_rows.size)
        objective[i] = 1.0
        low[i] = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs").fun
        top = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high[i] = -top.fun if top.status == 0 else np.inf
    return low, high


def small_rule(values: np.ndarray) -> tuple[np.ndarray, Requirement]:
    small = (values >= 1) & (values < THRESHOLD)
    rule = Requirement(np.where(small, 1.0, np.nan), np.where(small, THRESHOLD - 1.0, np.nan),
                       np.zeros(values.size), np.full(values.size, np.inf))
    return small, rule


def test_relations_from_keys_ties_each_margin_to_its_children() -> None:
    keys = table_keys(["A", "B"], ["x", "y"])  # rows: (A,x) (A,y) (A,all) (B,x) (B,y) (B,all) (all,x) ...
    relations = relations_from_keys(keys)
    found = set()
    for r in range(relations.count):
        members = relations.relation == r
        parent = relations.cell[members & (relations.coef < 0)]
        children = relations.cell[members & (relations.coef > 0)]
        found.add((int(parent[0]), tuple(sorted(children.tolist()))))
    assert found == {(2, (0, 1)), (5, (3, 4)), (8, (6, 7)),  # along race: each school, the district
                     (6, (0, 3)), (7, (1, 4)), (8, (2, 5))}  # along school: each race, all students
    with pytest.raises(ValueError, match="missing margins"):
        relations_from_keys(keys.drop(index=8))


def test_one_small_cell_hides_a_rectangle_no_reader_can_undo() -> None:
    counts = np.array([[40, 3, 55], [61, 48, 70], [33, 52, 29]], dtype=float)
    keys = table_keys(["A", "B", "C"], ["x", "y", "z"])
    values = interior(counts)
    small, rule = small_rule(values)
    hidden = protect(values, small, relations_from_keys(keys), rule)
    assert hidden[small].all()
    grid = hidden.reshape(4, 4)[:-1, :-1]
    # no row or column of the table holds exactly one hidden cell
    assert set(grid.sum(axis=0)) <= {0, 2, 3} and set(grid.sum(axis=1)) <= {0, 2, 3}
    low, high = reader_bounds(values, hidden, keys)
    shown_small = np.flatnonzero(hidden)[small[hidden]]
    assert shown_small.size == 1
    i = list(np.flatnonzero(hidden)).index(shown_small[0])
    assert low[i] <= 1 + 1e-6 and high[i] >= THRESHOLD - 1 - 1e-6  # 3 could be anything from 1 to 9 (or more)
    assert (high - low >= 1 - 1e-6).all()  # no hidden cell is pinned


def test_a_small_cell_beside_small_partners_gets_a_partner_big_enough() -> None:
    # Hiding 3 with its row's 2 is not enough: 3 + 2 = 5 < 9, so a reader knows 3 is at most 5.
    counts = np.array([[3, 2, 80], [50, 60, 70], [45, 35, 25]], dtype=float)
    keys = table_keys(["A", "B", "C"], ["x", "y", "z"])
    values = interior(counts)
    small, rule = small_rule(values)
    hidden = protect(values, small, relations_from_keys(keys), rule)
    low, high = reader_bounds(values, hidden, keys)
    rows = np.flatnonzero(hidden)
    for cell in np.flatnonzero(small):
        i = list(rows).index(cell)
        assert low[i] <= 1 + 1e-6 and high[i] >= THRESHOLD - 1 - 1e-6, (cell, low[i], high[i])


def test_nothing_small_hides_nothing() -> None:
    values = interior(np.array([[40, 30], [20, 50]], dtype=float))
    small, rule = small_rule(values)
    assert not protect(values, small, relations_from_keys(table_keys(["A", "B"], ["x", "y"])), rule).any()


def test_a_rebuilt_store_hides_exactly_the_same_cells(sample_store: Store) -> None:
    years = sample_store.query("SELECT DISTINCT school_year FROM facts_student_year ORDER BY 1")["school_year"]
    chosen = [INDICATORS[i] for i in ("oss", "iss", "chronic_absenteeism", "ap_enrollment")]

    def build() -> dict[tuple[str, str], pd.DataFrame]:
        return {(i.id, y): protected.rate_table(sample_store, i, y, THRESHOLD).copy() for i in chosen for y in years}

    first = build()
    assert any(t["hide_numerator"].any() for t in first.values())
    for _ in range(2):  # DuckDB's threads return the GROUPING SETS rows in a different order each run
        protected.forget_protected_tables()
        again = build()
        for key, table in first.items():
            pd.testing.assert_frame_equal(again[key], table, check_exact=True, obj=str(key))


def _common(first: pd.DataFrame, second: pd.DataFrame, count: str, hidden: str, other_count: str,
            other_hidden: str) -> pd.DataFrame:
    keys = [c for c in ("school", "grade_band", *protected.SINGLE_SPLITS) if c in first.columns and c in second.columns]
    return first[[*keys, count, hidden]].merge(second[[*keys, other_count, other_hidden]], on=keys)


def test_every_table_counting_the_same_students_hides_them_alike(sample_store: Store) -> None:
    """Two indicators with one population (out-of-school suspension and special-education identification:
    all students; the latter without its disability split) show the same denominators, so they must hide the
    same ones, in whichever order they are built; and the students tested in math, shown by the proficiency
    rates and by the score tables, are hidden alike wherever the two counts agree."""
    year = "2024-25"
    by_population: dict[str, list] = {}
    for indicator in INDICATORS.values():
        if indicator.kind == "rate" and indicator.source == "student_year" and not indicator.count_measure:
            by_population.setdefault(indicator.population, []).append(indicator)
    pairs = [(group[0], group[-1]) for group in by_population.values() if len(group) > 1]
    assert pairs
    for first, last in pairs:
        for order in ((first, last), (last, first)):
            protected.forget_protected_tables()
            tables = [protected.rate_table(sample_store, i, year, THRESHOLD) for i in order]
            both = _common(tables[0], tables[1], "denominator", "hide_denominator", "denominator", "hide_denominator")
            assert len(both) and (both["denominator_x"] == both["denominator_y"]).all()
            assert (both["hide_denominator_x"] == both["hide_denominator_y"]).all(), (first.id, last.id)
    rates = protected.rate_table(sample_store, INDICATORS["math_proficiency"], year, THRESHOLD)
    scores = protected.value_table(sample_store, INDICATORS["math_scale_score"], year, THRESHOLD)
    scores = scores[scores["grade"] == ALL]
    both = _common(rates, scores, "denominator", "hide_denominator", "n", "hide_n")
    same = both[both["denominator"] == both["n"]]
    assert len(same) > 0.9 * len(both) and same["hide_n"].any()
    assert (same["hide_denominator"] == same["hide_n"]).all()


def _population_layer(store: Store) -> tuple:
    """The sample's all-students layer in 2024-25 (grades and band pairs): its cube, keys, finest cells and
    counts, and the rule's requirement (1 to 9 for a small count)."""
    from equity_metrics.storage.facts import SOURCES

    layout = protected._layout(SOURCES["student_year"], grades=True, constructs=False, band_pairs=True)
    select, group_by = protected._grouping_sql(layout, "facts_student_year")
    cube = protected._clean(store.query(f"SELECT {select}, count(*) AS n FROM facts_student_year WHERE "
                                        f"school_year = '2024-25' {group_by}"), layout, ["n"])
    finest_layout = protected._finest_layout(layout)
    select, group_by = protected._grouping_sql(finest_layout, "facts_student_year")
    finest = protected._clean(store.query(f"SELECT {select}, count(*) AS n FROM facts_student_year WHERE "
                                          f"school_year = '2024-25' {group_by}"), finest_layout, ["n"],
                              keep_missing=True)
    n = cube["n"].to_numpy(dtype="float64")
    small = protected._small(n, 10)
    rule = Requirement(np.where(small, 1.0, np.nan), np.where(small, 9.0, np.nan), np.zeros(len(n)),
                       np.full(len(n), np.inf))
    return cube, layout.keys, finest, n, rule


def test_a_group_over_the_finest_limit_is_still_proven_over_its_finest_cells(sample_store: Store,
                                                                             monkeypatch) -> None:
    """disclosure.FINEST_LIMIT bounds the programs solved while complements are chosen (they grow with the
    schools): at 0 every group grows its pattern over the published relations alone, and the complete pattern
    is then proven over every finest cell and widened where that fails. The pattern the relations alone
    prove is not safe over the finest cells; the capped one is, by the whole program's own check."""
    from equity_metrics.measures import disclosure
    from equity_metrics.measures.finest import counts_finest

    # The table of race x sex, race x disability and sex x disability pairs, where the relations alone are
    # known to miss (with race x low income too, their pattern happens to hold on this sample).
    monkeypatch.setattr(protected, "PAIRS", (("race", "sex"), ("race", "disability"), ("sex", "disability")))
    cube, keys, finest, n, rule = _population_layer(sample_store)
    relations = relations_from_keys(cube[list(keys)])
    whole = disclosure._FinestIndex(counts_finest(cube, finest, keys, "n"))

    def failures(hidden: np.ndarray) -> int:
        """Hidden cells the program over every finest cell breaks."""
        failed, _ = disclosure._unproven(hidden, n, relations, rule, np.zeros(len(n), dtype=bool), whole)
        return len(failed)

    relations_only = protected._protect_counts(cube, keys, "n", 10)
    with_finest = protected._protect_counts(cube, keys, "n", 10, finest)
    monkeypatch.setattr(disclosure, "FINEST_LIMIT", 0)
    capped = protected._protect_counts(cube, keys, "n", 10, finest)
    assert failures(relations_only) > 0
    assert failures(with_finest) == 0 and failures(capped) == 0
    assert (capped >= relations_only).all() and capped.sum() > relations_only.sum()


def _margins(micro: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts of a microdata frame for every combination of its keys and their margins (ALL)."""
    import itertools

    frames = []
    for split in itertools.product([False, True], repeat=len(keys)):
        by = [k for k, s in zip(keys, split, strict=True) if s]
        counts = micro.groupby(by).size().reset_index(name="n") if by else pd.DataFrame({"n": [len(micro)]})
        frames.append(counts.assign(**{k: ALL for k, s in zip(keys, split, strict=True) if not s}))
    return pd.concat(frames, ignore_index=True)[[*keys, "n"]]


def _check_program(cube: pd.DataFrame, keys: list[str], finest: pd.DataFrame, rule: Requirement,
                   hidden: np.ndarray) -> int:
    """Every member of the largest group of hidden cells has the same range in the engine's program over its
    finest cells as in scipy's program written from the definition: every finest cell of the group free (at
    least 0), every shown cell it is part of at its count, every other hidden cell within the reader's
    bounds. Returns how many finest cells the engine took out of its program."""
    from equity_metrics.measures import disclosure
    from equity_metrics.measures.finest import counts_finest

    n = cube["n"].to_numpy(dtype="float64")
    index = disclosure._FinestIndex(counts_finest(cube, finest, keys, "n"))
    _, labels = disclosure._components(hidden, relations_from_keys(cube[list(keys)]))
    members = np.flatnonzero(hidden & (labels == np.bincount(labels[hidden]).argmax()))
    program = disclosure._finest_program(members, hidden, index, rule)
    membership = index.rows.toarray()
    reach = np.flatnonzero(membership[members].any(axis=0))
    parts = membership[:, reach]
    rest = np.delete(membership, reach, axis=1) @ np.delete(index.values, reach)  # parts outside the group
    touching = np.flatnonzero(parts.any(axis=1))
    shown, bounded = touching[~hidden[touching]], touching[hidden[touching]]
    upper = bounded[np.isfinite(rule.upper_bound[bounded])]
    for at in [*range(min(6, members.size)), *range(max(members.size - 6, 0), members.size)]:
        member = members[at]
        for sign in (1.0, -1.0):
            reference = linprog(sign * parts[member], A_eq=parts[shown], b_eq=n[shown] - rest[shown],
                                A_ub=np.vstack([parts[upper], -parts[bounded]]),
                                b_ub=np.concatenate([rule.upper_bound[upper] - rest[upper],
                                                     rest[bounded] - rule.lower_bound[bounded]]),
                                bounds=(0, None), method="highs")
            found = program.solve(disclosure._unit(members.size, at, sign))
            assert reference.status == 0 and found is not None
            assert found[at] == pytest.approx(sign * reference.fun + rest[member], abs=1e-6)
    return reach.size - program.matrix.shape[1]


def _reader_bounds(n: np.ndarray) -> Requirement:
    """The rule for counts of 1 to 9, with the reader's bounds 1 to 9 on them (so that held parts move into
    the bounds)."""
    small = protected._small(n, THRESHOLD)
    return Requirement(np.where(small, 1.0, np.nan), np.where(small, 9.0, np.nan), np.where(small, 1.0, 0.0),
                       np.where(small, 9.0, np.inf))


def test_the_finest_program_is_the_readers_program_with_the_fixed_cells_taken_out(sample_store: Store) -> None:
    """The engine's program over the finest cells, with the cells the shown counts alone fix taken out (a part
    of a shown 0, the only part left of a shown count), matches scipy's program from the definition: on the
    sample's all-students layer (where nothing is fixed) and on a school x race x sex table whose finest cells
    are shown too (where most are)."""
    cube, keys, finest, n, _ = _population_layer(sample_store)
    hidden = protected._protect_counts(cube, keys, "n", THRESHOLD, finest)
    assert _check_program(cube, list(keys), finest, _reader_bounds(n), hidden) == 0

    rng = np.random.default_rng(7)
    micro = pd.DataFrame({"school": rng.choice(["A", "B", "C", "D"], 400, p=[0.4, 0.3, 0.2, 0.1]),
                          "race": rng.choice(["W", "B", "H", "X"], 400, p=[0.5, 0.3, 0.17, 0.03]),
                          "sex": rng.choice(["F", "M"], 400)})
    keys = ["school", "race", "sex"]
    table = _margins(micro, keys)
    finest = table[(table[keys] != ALL).all(axis=1)].reset_index(drop=True)
    n = table["n"].to_numpy(dtype="float64")
    hidden = protected._protect_counts(table, keys, "n", THRESHOLD, finest)
    assert _check_program(table, keys, finest, _reader_bounds(n), hidden) > 0


def _district_cube(micro: pd.DataFrame, dims: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Every margin of a school x race x sex table but its interior (pairs for the district only, as the
    app's layout) and its membership matrix over the microdata cells."""
    import itertools
    parts = []
    for mask in itertools.product([0, 1], repeat=len(dims)):
        if all(mask):
            continue
        keep = [d for d, m in zip(dims, mask, strict=True) if m]
        margin = micro.groupby(keep)["v"].sum().reset_index() if keep else pd.DataFrame({"v": [micro.v.sum()]})
        parts.append(margin.assign(**{d: ALL for d in dims if d not in keep})[[*dims, "v"]])
    cube = pd.concat(parts, ignore_index=True)
    member = np.array([[all(cube.loc[i, d] in (ALL, micro.loc[j, d]) for d in dims) for j in range(len(micro))]
                       for i in range(len(cube))], dtype=float)
    return cube, member


def test_a_large_district_group_the_pattern_does_not_need_is_shown_again() -> None:
    from scipy import sparse

    from equity_metrics.measures import disclosure
    dims = ["school", "race", "sex"]
    micro = pd.DataFrame([(f"s{i}", f"r{j}", f"x{k}") for i in range(3) for j in range(3) for k in range(3)],
                         columns=dims)
    micro["v"] = [46, 57, 0, 12, 50, 0, 18, 22, 1, 28, 20, 2, 19, 27, 0, 35, 9, 1, 52, 46, 1, 34, 49, 2, 29, 48, 0]
    cube, member = _district_cube(micro, dims)
    values = cube["v"].to_numpy(dtype=float)
    small, rule = small_rule(values)
    district = (cube["school"] == ALL).to_numpy()
    cost = values * np.where(district, 4.0, 1.0)
    finest = disclosure.Finest(sparse.csr_matrix(member), micro["v"].to_numpy(dtype=float))
    relations = relations_from_keys(cube[dims])
    greedy = protect(values, small, relations, rule, cost, finest)
    released = protect(values, small, relations, rule, cost, finest, release=district & (values >= 100))
    assert released.sum() == greedy.sum() - 2 and not (released & ~greedy).any()
    shown_again = cube[greedy & ~released]
    assert sorted(zip(shown_again["race"], shown_again["sex"], shown_again["v"], strict=True)) == [("r0", "x0", 126),
                                                                                     ("r1", "x1", 126)]
    # The strongest reader, written here from the definition: the microdata cells are unknowns >= 0 and
    # every shown cell is the sum of its own; each hidden cell's range by scipy's linprog.
    for hidden in (greedy, released):
        a_eq, b_eq = member[~hidden], values[~hidden]
        for i in np.flatnonzero(hidden):
            low = linprog(member[i], A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs").fun
            high = -linprog(-member[i], A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs").fun
            if small[i]:
                assert low <= 1 + 1e-6 and high >= THRESHOLD - 1 - 1e-6, (cube.loc[i].tolist(), low, high)
            assert high - low >= 1 - 1e-6, (cube.loc[i].tolist(), low, high)
