"""Greedy nearest matching of two eigenvalue lists (closest pairs first), in O(m^2) numpy work.

The greedy matching takes the pairs ``(i, j)`` in increasing order of ``|U0[i] - U1[j]|`` and keeps
a pair when neither ``i`` nor ``j`` is taken. A *strict mutual* pair, whose distance is the unique
minimum of its row ``i`` and of its column ``j``, is always kept: no pair of row ``i`` or column
``j`` comes before it. Removing the strict mutual rows and columns changes no other decision (their
other pairs come after them and are refused), so the greedy matching is the strict mutual pairs
plus the greedy matching of the remaining rows and columns, done pair by pair. Between nearby
points of a branch almost every eigenvalue is a strict mutual pair, and the loop is short.
"""
from __future__ import annotations

import numpy as np


def greedy_match(U0: np.ndarray, U1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays ``(i, j)`` of the greedy nearest matching of ``U0`` and ``U1`` (see module
    docstring); ``min(len(U0), len(U1))`` pairs."""
    m0, m1 = len(U0), len(U1)
    if m0 == 0 or m1 == 0:
        return np.zeros(0, int), np.zeros(0, int)
    D = np.abs(np.asarray(U0)[:, None] - np.asarray(U1)[None, :])
    rows = np.arange(m0)
    jr = D.argmin(axis=1)
    dmin = D[rows, jr]
    strict = (D.argmin(axis=0)[jr] == rows) & ((D == dmin[:, None]).sum(axis=1) == 1) \
        & ((D[:, jr] == dmin[None, :]).sum(axis=0) == 1)
    i_fast, j_fast = rows[strict], jr[strict]
    if len(i_fast) == min(m0, m1):
        return i_fast, j_fast
    rest_i = rows[~strict]
    rest_j = np.setdiff1d(np.arange(m1), j_fast)
    sub = D[np.ix_(rest_i, rest_j)]
    used0, used1 = np.zeros(len(rest_i), bool), np.zeros(len(rest_j), bool)
    out_i, out_j = list(i_fast), list(j_fast)
    want = min(m0, m1)
    for flat in np.argsort(sub, axis=None):
        a, b = divmod(int(flat), len(rest_j))
        if not used0[a] and not used1[b]:
            used0[a] = used1[b] = True
            out_i.append(int(rest_i[a]))
            out_j.append(int(rest_j[b]))
            if len(out_i) == want:
                break
    return np.array(out_i, int), np.array(out_j, int)
