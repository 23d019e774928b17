"""Survey comparisons by respondent: a group's share of favourable answers against its comparison's, tested with
standard errors clustered by respondent (one respondent's answers are one cluster), never as if every answer were
an independent person.

Per group, over its respondents i (y_i favourable answers of m_i answers): Y = sum y_i, M = sum m_i, G respondents,
and the cluster sums sum y_i^2, sum y_i*m_i, sum m_i^2 (`CLUSTER_SUMS`, counted in SQL: see
`storage.facts.respondent_sums_sql`). The difference of the answer shares p1 - p0 (p = Y / M) is the slope of the
least-squares fit of "favourable" on a group indicator over both groups' answers; its cluster-robust variance
(CR1, as statsmodels' OLS with cov_type='cluster') is

    V = G/(G - 1) * (N - 1)/(N - 2) * (S1 / M1^2 + S0 / M0^2),  S = sum (y_i - p*m_i)^2
                                                                    = sum y^2 - 2p sum y*m + p^2 sum m^2,

with N = M1 + M0 answers and G = G1 + G0 respondents; z = (p1 - p0) / sqrt(V), two-sided, normal reference.
Nothing here reads a store: arrays in, arrays out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

__all__ = ["CLUSTERED_Z", "CLUSTER_SUMS", "clustered_share_test"]

CLUSTER_SUMS = ("favorable_squared", "favorable_by_answers", "answers_squared")  # sum y^2, sum y*m, sum m^2
CLUSTERED_Z = "z test, clustered by respondent"  # the test's name in a rate table's `test` column


def _spread(favorable: np.ndarray, answers: np.ndarray, sums: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The group's share p = Y / M and S = sum (y_i - p*m_i)^2 from its cluster sums."""
    yy, ym, mm = sums
    p = favorable / answers
    return p, yy - 2.0 * p * ym + p * p * mm


def clustered_share_test(group: tuple[ArrayLike, ...], comparison: tuple[ArrayLike, ...]
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference of favourable shares, its cluster-robust standard error and two-sided p-value, per row.

    `group` and `comparison` are each (favourable answers Y, answers M, respondents G, sum y^2, sum y*m,
    sum m^2), arrays broadcast together. NaN where a group has no answers, there are fewer than 2 respondents
    or 3 answers in all, a count is negative or not finite, or the variance is 0 (every respondent of both
    groups gives the same share of favourable answers: no test)."""
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype="float64") for x in (*group, *comparison)))
    first, second = arrays[:6], arrays[6:]
    with np.errstate(all="ignore"):
        p1, s1 = _spread(first[0], first[1], tuple(first[3:]))
        p0, s0 = _spread(second[0], second[1], tuple(second[3:]))
        answers, respondents = first[1] + second[1], first[2] + second[2]
        factor = respondents / (respondents - 1.0) * (answers - 1.0) / (answers - 2.0)
        variance = factor * (s1 / first[1] ** 2 + s0 / second[1] ** 2)
        ok = (np.all(np.isfinite(np.stack([*first, *second])), axis=0)
              & np.all(np.stack([*first, *second]) >= 0, axis=0)
              & (first[1] > 0) & (second[1] > 0) & (respondents >= 2) & (answers >= 3) & (variance > 0))
        difference = np.where(ok, p1 - p0, np.nan)
        se = np.where(ok, np.sqrt(np.where(ok, variance, 1.0)), np.nan)
        p_value = np.where(ok, special.erfc(np.abs(difference / se) / np.sqrt(2.0)), np.nan)
    return difference, se, p_value
