"""The protected table of a school survey summary (kind `survey_summary`) for one school year: every count a view
can show, suppressed once, jointly, and what follows for the percentages, scores and response rates.

Counts are people: respondents and eligible per respondent type (p parents, t teachers, s students), and per
item the number choosing each option (`option_count`), with the item's `answered` (the sum of its options), and
the number checking each box of a check-all item (`checked_count`). Each school's counts and their district sums
("All schools") are cells, tied by the relations a reader of every view can use: the district is the sum of its
schools, an item's answered the sum of its options. An item given only as percentages (the student items) has
*implied* counts (percentage x respondents), tied the same way to their sum, so that no shown percentage gives a
small count away. A count from 1 to 9 is hidden (primary) and `disclosure.protect` hides enough others that each
can still be anything from 1 to 9, and no hidden count is exactly determined, proven by linear programming
per respondent type and item (items share no relation: an item's answered is not its respondents, as people
skip items; where it equals them, a reader may guess so: it is then taken as known, or hidden with them).

What follows (`SurveyCube.hidden_*`): a percentage is hidden with its count or its item's answered (count /
answered would give it back), and with the school's respondents; an item's score with any of its options; a
school's scale scores and response rate with its respondents (the 'tot' scores with any type's); the district
mean of a score is a relation over the schools' scores, protected the same way (never exactly one hidden).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_metrics.core.constants import DEFAULT_PRIVACY_THRESHOLD
from equity_metrics.measures.disclosure import Relations, Requirement, protect
from equity_metrics.storage import caches
from equity_metrics.storage.store import Store

__all__ = ["DISTRICT", "SurveyCube", "forget_survey_cubes", "survey_cube"]

DISTRICT = "All schools"
ANSWERED = "all"
_ROWS_SQL = """
SELECT school_id, max(school_name) OVER (PARTITION BY school_id) AS school_name, respondent, measure, item,
    coalesce(option, '') AS option, value
FROM survey_summary WHERE school_year = ?
-- the same figure loaded in two datasets: the latest, never both
QUALIFY row_number() OVER (PARTITION BY school_id, respondent, measure, item, option ORDER BY dataset_id DESC) = 1
-- a fixed order: the same figures are always protected the same way (complements are chosen in order)
ORDER BY school_id, respondent, measure, item, option
"""


@dataclass(frozen=True)
class SurveyCube:
    """`rows`: the stored figures of the year; `counts`: the count cells (unit, respondent, item, option, kind
    count/implied, value, hidden); `scores`: scale scores per unit (district: the mean, `sum`, `schools`) with
    `hidden`; `schools`: school_id -> name."""

    rows: pd.DataFrame
    counts: pd.DataFrame
    scores: pd.DataFrame
    schools: dict[str, str]


_CACHE: dict[tuple, SurveyCube] = {}


@caches.register
def forget_survey_cubes() -> None:
    """Drop every cached survey table (after the store file is erased)."""
    _CACHE.clear()


def survey_cube(store: Store, year: str) -> SurveyCube:
    """The protected survey summary table of one school year (cached per content of the year's rows)."""
    row = store.cursor().execute("SELECT count(*), CAST(sum(hash(t)) AS VARCHAR) FROM survey_summary AS t "
                                 "WHERE school_year = ?", [year]).fetchone()
    key = (hashlib.sha256(repr(row).encode()).hexdigest(), year)
    if key not in _CACHE:
        if len(_CACHE) >= 16:
            _CACHE.clear()
        _CACHE[key] = _build(store.cursor().execute(_ROWS_SQL, [year]).df())
    return _CACHE[key]


def _count_cells(rows: pd.DataFrame) -> pd.DataFrame:
    """Every school's counts (respondents, eligible, options, answered, boxes) and implied counts."""
    key = ["unit", "respondent", "item", "option"]
    rows = rows.rename(columns={"school_id": "unit"})
    people = rows[rows["measure"].isin(["respondents", "eligible"])].assign(option=lambda f: f["measure"])
    options = rows[rows["measure"] == "option_count"]
    boxes = rows[rows["measure"] == "checked_count"]
    counted = set(zip(options["respondent"], options["item"], strict=True))
    shares = rows[(rows["measure"] == "option_percent")
                  & ~pd.Series(list(zip(rows["respondent"], rows["item"], strict=True)), index=rows.index).isin(counted)]
    respondents = people[people["option"] == "respondents"].set_index(["unit", "respondent"])["value"]
    base = respondents.reindex(pd.MultiIndex.from_frame(shares[["unit", "respondent"]])).to_numpy()
    implied = shares.assign(value=shares["value"].to_numpy() / 100.0 * base)
    frames = []
    for frame, kind in ((people, "count"), (options, "count"), (boxes, "count"), (implied, "implied")):
        frames.append(frame[key + ["value"]].dropna(subset=["value"]).assign(kind=kind))
    for frame, kind in ((options, "count"), (implied, "implied")):
        answered = frame.dropna(subset=["value"]).groupby(["unit", "respondent", "item"], as_index=False)["value"].sum()
        frames.append(answered.assign(option=ANSWERED, kind=kind)[key + ["value", "kind"]])
    cells = pd.concat(frames, ignore_index=True)
    district = cells[cells["kind"] == "count"].groupby(["respondent", "item", "option"], as_index=False)["value"].sum()
    return pd.concat([cells, district.assign(unit=DISTRICT, kind="count")], ignore_index=True)


def _relations(cells: pd.DataFrame, known: np.ndarray) -> Relations:
    """Schools to the district, options to their answered (see module), within one respondent type and item;
    `known` cells are left out of every relation (their value is part of its constant, known to the reader)."""
    index = pd.Series(np.arange(len(cells)), index=pd.MultiIndex.from_frame(cells[["unit", "option"]]))
    pairs = []
    schools = np.flatnonzero(((cells["unit"] != DISTRICT) & (cells["kind"] == "count")).to_numpy())
    pairs.append((schools, index.reindex(pd.MultiIndex.from_arrays(
        [np.full(schools.size, DISTRICT, dtype=object), cells["option"].to_numpy()[schools]])).to_numpy()))
    if (cells["option"] == ANSWERED).any():
        options = np.flatnonzero((cells["option"] != ANSWERED).to_numpy())
        pairs.append((options, index.reindex(pd.MultiIndex.from_arrays(
            [cells["unit"].to_numpy()[options], np.full(options.size, ANSWERED, dtype=object)])).to_numpy()))
    rel, cell, coef, count = [], [], [], 0
    for children, parents in pairs:
        keep = ~np.isnan(parents.astype("float64"))
        children, parents = children[keep], parents[keep].astype("int64")
        unique, of_child = np.unique(parents, return_inverse=True)
        ids = count + np.arange(unique.size)
        rel += [ids[of_child], ids]
        cell += [children, unique]
        coef += [np.ones(children.size), -np.ones(unique.size)]
        count += unique.size
    relation, members, signs = np.concatenate(rel), np.concatenate(cell), np.concatenate(coef)
    keep = ~known[members]
    return Relations(relation[keep], members[keep], signs[keep], count)


def _known_answered(cells: pd.DataFrame, hidden: np.ndarray, min_cell: int) -> tuple[np.ndarray, np.ndarray]:
    """Schools' answered equal to their respondents (no one skipped the item): a reader may guess it. With the
    respondents shown (and not small) it is taken as known, folded into the relation's constant; with them
    hidden it is hidden too (primary). An item given as percentages has its implied answered known with the
    respondents (the shares add up to 100%). Returns (known, forced)."""
    people = cells[(cells["option"] == "respondents")].assign(gone=hidden[(cells["option"] == "respondents").to_numpy()])
    lookup = people.set_index(["unit", "respondent"])
    keys = pd.MultiIndex.from_frame(cells[["unit", "respondent"]])
    n = lookup["value"].reindex(keys).to_numpy(dtype="float64")
    gone = lookup["gone"].reindex(keys).fillna(False).to_numpy(dtype=bool)
    same = ((cells["option"] == ANSWERED) & (cells["kind"] == "count") & (cells["unit"] != DISTRICT)).to_numpy() \
        & (cells["value"].to_numpy(dtype="float64") == n)
    implied = ((cells["option"] == ANSWERED) & (cells["kind"] == "implied")).to_numpy()  # shares add up to 100%
    return (same & ~gone & (n >= min_cell)) | (implied & ~gone), same & gone


def _protect_counts(cells: pd.DataFrame, min_cell: int) -> np.ndarray:
    """Hidden count cells: from 1 to min_cell - 1 (implied counts: above 0 and under min_cell), and complements,
    per respondent type and item; the respondents first, then every item (see `_known_answered`)."""
    hidden = np.zeros(len(cells), dtype=bool)
    groups = cells.groupby(["respondent", "item"], sort=False).indices
    order = sorted(groups, key=lambda key: key[1] != "response")
    known = forced = np.zeros(len(cells), dtype=bool)
    for key in order:
        rows = groups[key]
        if key[1] != "response" and not known.any() and not forced.any():
            known, forced = _known_answered(cells, hidden, min_cell)
        part = cells.iloc[rows].reset_index(drop=True)
        values = part["value"].to_numpy(dtype="float64")
        small = ((values > 0) & (values < min_cell)) | forced[rows]
        if not small.any():
            continue
        none = np.full(len(part), np.nan)
        rule = Requirement(np.where(small, np.minimum(values, 1.0), none), np.where(small, min_cell - 1.0, none),
                           np.zeros(len(part)), np.full(len(part), np.inf))
        cost = values * np.where(part["unit"] == DISTRICT, 10.0, 1.0) * np.where(part["option"] == ANSWERED, 4.0, 1.0)
        hidden[rows] = protect(values, small, _relations(part, known[rows]), rule, cost)
    return hidden


def _scores(rows: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Scale scores per school (hidden with the respondents) and their district mean, protected as a sum."""
    scores = rows[rows["measure"] == "scale_score"].dropna(subset=["value"])[["school_id", "respondent", "item", "value"]]
    people = counts[(counts["option"] == "respondents") & (counts["unit"] != DISTRICT)]
    gone = people[people["hidden"]]
    hidden_types = set(zip(gone["unit"], gone["respondent"], strict=True))
    any_gone = set(gone["unit"])
    primary = np.array([(s, r) in hidden_types or (r == "tot" and s in any_gone)
                        for s, r in zip(scores["school_id"], scores["respondent"], strict=True)], dtype=bool)
    scores = scores.assign(primary=primary, tenths=np.round(scores["value"].to_numpy() * 10))
    out = []
    for (respondent, scale), part in scores.groupby(["respondent", "item"], sort=False):
        part = part.reset_index(drop=True)
        values = np.append(part["tenths"].to_numpy(dtype="float64"), part["tenths"].sum())
        n = len(part)
        relation = Relations(np.zeros(n + 1, dtype=int), np.arange(n + 1), np.append(np.ones(n), -1.0), 1)
        none = np.full(n + 1, np.nan)
        rule = Requirement(none, none, np.zeros(n + 1), np.full(n + 1, np.inf))
        cost = np.append(np.ones(n), 1e6)
        hidden = protect(values, np.append(part["primary"].to_numpy(), False), relation, rule, cost)
        district = pd.DataFrame({"school_id": [DISTRICT], "respondent": [respondent], "item": [scale],
                                 "value": [round(values[-1] / 10 / n, 3)], "sum": [values[-1] / 10], "schools": [n]})
        out += [part.assign(hidden=hidden[:n], sum=np.nan, schools=1), district.assign(hidden=hidden[n])]
    columns = ["school_id", "respondent", "item", "value", "sum", "schools", "hidden"]
    return pd.concat(out, ignore_index=True)[columns] if out else pd.DataFrame(columns=columns)


def _build(rows: pd.DataFrame, min_cell: int = DEFAULT_PRIVACY_THRESHOLD) -> SurveyCube:
    counts = _count_cells(rows)
    counts["hidden"] = _protect_counts(counts, min_cell)
    schools = dict(rows.drop_duplicates("school_id")[["school_id", "school_name"]].itertuples(index=False))
    return SurveyCube(rows, counts, _scores(rows, counts), {str(k): str(v or k) for k, v in schools.items()})
