"""Small-cell suppression: which counts may be shown, applied inside the library before anything leaves it.

Primary suppression hides any count from 1 to `threshold - 1`, and a count whose complement (denominator
minus numerator) is in that range, since "all but 3 students" discloses as much as "3 students".
Complementary suppression then hides more cells so that no hidden count can be recovered by subtracting the
shown ones from a published total: along every *line* (the cells that share all values but one dimension's,
whose total is public), a line with exactly one hidden cell gets its smallest shown cell hidden too. Zero
counts are shown: they disclose nothing about any one student that the total does not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def small_count(counts: pd.Series | np.ndarray, threshold: int) -> np.ndarray:
    """True where a count is between 1 and threshold - 1."""
    values = np.asarray(counts, dtype="float64")
    return (values >= 1) & (values < threshold)


def primary_suppression(numerator: pd.Series, denominator: pd.Series, threshold: int) -> np.ndarray:
    """True where the numerator (or its complement, or the denominator) is a small count."""
    return (
        small_count(numerator, threshold)
        | small_count(np.asarray(denominator) - np.asarray(numerator), threshold)
        | small_count(denominator, threshold)
    )


def complementary_suppression(
    cells: pd.DataFrame,
    counts: str,
    hidden: np.ndarray,
    dimensions: Sequence[str],
    line_dimensions: Sequence[str],
) -> np.ndarray:
    """Extend `hidden` until no line has exactly one hidden cell.

    A line is the set of cells sharing the values of every one of `dimensions` except one of
    `line_dimensions`. The cell added is the line's smallest shown count (ties: first in order).
    Lines are numbered once per call; each round is a few vectorised numpy passes, and rounds end when
    nothing changes.
    """
    hidden = np.array(hidden, dtype=bool)
    if not hidden.any() or not line_dimensions or len(cells) < 2:
        return hidden
    frame = cells.reset_index(drop=True)
    values = np.asarray(frame[counts], dtype="float64")
    order_index = np.arange(len(frame))
    lines = []
    for along in line_dimensions:
        keys = [d for d in dimensions if d != along]
        line = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy() if keys else np.zeros(len(frame), int)
        lines.append((line, np.bincount(line)))
    while True:
        changed = False
        for line, size in lines:
            hidden_in_line = np.bincount(line, weights=hidden, minlength=len(size))
            needs = (hidden_in_line == 1) & (size > 1)
            candidates = np.flatnonzero(needs[line] & ~hidden)
            if candidates.size == 0:
                continue
            ranked = candidates[np.lexsort((order_index[candidates], values[candidates], line[candidates]))]
            _, first = np.unique(line[ranked], return_index=True)
            hidden[ranked[first]] = True
            changed = True
        if not changed:
            return hidden
