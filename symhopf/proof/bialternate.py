"""The bialternate product ``2A (.) I`` of an n x n matrix (dimension ``m = n(n-1)/2``, basis
``e_p ^ e_q``, p > q), the restriction of ``A (x) I + I (x) A`` to antisymmetric tensors:

    (2A (.) I)[(p,q),(r,s)] = [s=q] a_pr - [s=p] a_qr + [r=p] a_qs - [r=q] a_ps,

whose eigenvalues are ``lambda_i + lambda_j`` (i < j): ``det(2 Df (.) I) = 0`` exactly when Df has a
pair ``lambda, -lambda`` (a Hopf pair ``+-i w`` or a neutral saddle). In floats and
numpy balls (each entry a signed sum of at most four entries of A), and the bordered matrix
``[[M, b], [c^T, 0]]`` of tube.py's Hopf pieces.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..runtime.fpbounds import gamma, up as fp_up
from ..runtime.npball import NBall


@lru_cache(maxsize=None)
def _bialt_structure(n: int) -> tuple[tuple[tuple[int, int, tuple[tuple[int, int, int], ...]], ...], int]:
    """Nonzero entries of 2A (.) I: (row, col, ((sign, i, j), ...)) meaning sum sign * A[i, j]."""
    pairs = [(p, q) for p in range(n) for q in range(p)]
    out = []
    for R, (p, q) in enumerate(pairs):
        for C, (r, s) in enumerate(pairs):
            terms = []
            if s == q:
                terms.append((1, p, r))
            if s == p:
                terms.append((-1, q, r))
            if r == p:
                terms.append((1, q, s))
            if r == q:
                terms.append((-1, p, s))
            if terms:
                out.append((R, C, tuple(terms)))
    return tuple(out), len(pairs)


@lru_cache(maxsize=None)
def _bialt_index(n: int) -> tuple[np.ndarray, ...]:
    """Rows, columns, signs and A-indices of the terms of 2A (.) I, as flat arrays."""
    st, m = _bialt_structure(n)
    flat = [(r, c, sg, i, j) for r, c, terms in st for sg, i, j in terms]
    R, C, S, I, J = np.array(flat, dtype=int).reshape(-1, 5).T   # n = 1: no terms, 0 x 0
    return R, C, S, I, J, m


def bialt_float(A: np.ndarray) -> np.ndarray:
    R, C, S, I, J, m = _bialt_index(A.shape[0])
    M = np.zeros((m, m), dtype=A.dtype)
    np.add.at(M, (R, C), S * A[I, J])
    return M


def bialt_nball(A: NBall) -> NBall:
    """``2A (.) I`` for every matrix of the ball A (numpy balls): each entry is a signed sum of at
    most four entries of A, so its rounding errs by at most gamma_4 times their moduli' sum."""
    R, C, S, I, J, m = _bialt_index(A.nrows())
    mid, rad, ab = np.zeros((m, m)), np.zeros((m, m)), np.zeros((m, m))
    np.add.at(mid, (R, C), S * A.mid[I, J])
    np.add.at(rad, (R, C), A.rad[I, J])
    np.add.at(ab, (R, C), np.abs(A.mid[I, J]))
    return NBall(mid, fp_up(rad + gamma(4) * ab, 8))


def _bordered_nb(M: NBall, b: np.ndarray, c: np.ndarray) -> NBall:
    """``N = [[M, b], [c^T, 0]]`` (b, c exact floats)."""
    m = M.nrows()
    mid = np.zeros((m + 1, m + 1))
    rad = np.zeros((m + 1, m + 1))
    mid[:m, :m], rad[:m, :m] = M.mid, M.rad
    mid[:m, m], mid[m, :m] = b, c
    return NBall(mid, rad)
