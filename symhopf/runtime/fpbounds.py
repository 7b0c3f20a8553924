"""Rigorous bounds for float64 (numpy/BLAS) computations: a-priori error lemmas and error-free products.

Model: IEEE binary64, round to nearest, gradual underflow; ``u = 2^-53``, ``eta = 2^-1074``,
``gamma_k = k u / (1 - k u)``. A BLAS matrix product computes every entry as a sum of its k
products in some order, with or without FMA (true of OpenBLAS/MKL ``dgemm``; not of
Strassen-like algorithms, which numpy does not use).

Lemma 1 (Higham, Thm 3.5, with underflow): for real float matrices with inner dimension k,
``|fl(A B) - A B| <= gamma_k |A| |B| + k eta`` entrywise. Complex products as four real ones.
Lemma 2: if ``s`` is the float evaluation of a sum of k products of non-negative floats with
exact value S, then ``S <= (s + k eta)(1 + 2 gamma_k)``; :func:`up` evaluates this with two more
eta and one more factor ``(1 + 4u)``, which pay for its own two roundings to nearest, so ``up(s, k)``
bounds the exact value of a non-negative float expression of depth <= k evaluated on non-negative inputs.
Lemma 3 (exact slice products, Ozaki-Ogita-Oishi-Rump): if every entry of row i of A is an
integer multiple of ``2^s_i`` of modulus <= ``2^(beta-1) 2^s_i``, every entry of column j of B an
integer multiple of ``2^t_j`` of modulus <= ``2^(beta-1) 2^t_j``, ``k 2^(2 beta - 2) <= 2^53`` and
``s_i + t_j >= -1074``, then every partial sum of ``(A B)_ij`` is an integer multiple of
``2^(s_i + t_j)`` of modulus <= ``2^53 2^(s_i + t_j)``, hence a float: ``fl(A B) = A B`` exactly.
Lemma 4 (the residual of a block diagonalisation with one exact slice product): for ``A`` (n x n),
``B`` (n x m) and ``Lb`` (m x m) whose column j is ``d_j e_j + o_j e_w(j)`` (``w`` a permutation; blocks of
size 1 and 2), ``A B - B Lb = Ah Bh`` with ``Ah = [A, B]``, ``Bh = [B; -Lb]``, inner dimension ``n + 2``
after dropping zeros. Slice ``Ah`` by rows (one scale ``2^e_i`` for row i of A and of B) and ``Bh`` by
columns (``2^t_j`` for column j of B and d_j, o_j) into first slices and rests (Lemma 3 with one slice,
``beta`` for ``k = n + 2``): ``Ah Bh = Ah1 Bh1 + Ah1 Bhr + Ahr Bh`` exactly, and
``T = fl(A1 B1) - (B1' Lb1)`` is exact (``B1'`` the row slice of B; every partial sum of ``(Ah1 Bh1)_ij`` is
a float by Lemma 3, and ``(B1' Lb1)_ij`` is a sum of two exact products). The rests ``|Ar|, |Br'| <=
2^(e_i - beta)``, ``|Br|, |dr|, |or| <= 2^(t_j - beta)`` give rank-one bounds of the float products:
``|fl(A1 Br) - A1 Br| <= gamma_k 2^(t_j - beta) sum_l |A1_il| + k eta``, ``|fl(Ar B) - Ar B| <= gamma_k
2^(e_i - beta) sum_l |B_lj| + k eta``, and the two-term column scalings err by ``gamma_2`` times their
modulus plus ``eta``: every rounding is ``2^-beta`` times that of ``fl(A B)``.
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

U = 2.0 ** -53
ETA = 2.0 ** -1074
#: the exact-product kernels refuse entries outside [2^-400, 2^400] (zero allowed): no overflow or underflow
TINY = 2.0 ** -400
HUGE = 2.0 ** 400


@lru_cache(maxsize=4096)
def gamma(k: int) -> float:
    """An upper bound of gamma_k = k u / (1 - k u) (Higham's bound on k roundings holds for k u < 1 only:
    ValueError beyond)."""
    if not 0 <= k < 2 ** 53:
        raise ValueError(f"gamma_k is defined for 0 <= k u < 1 only (k = {k})")
    g = Fraction(k) * Fraction(1, 2 ** 53) / (1 - Fraction(k) * Fraction(1, 2 ** 53))
    return math.nextafter(float(g), math.inf)


@lru_cache(maxsize=4096)
def _up_factor(k: int) -> float:
    """An upper bound of (1 + 2 gamma_(k+2)) (1 + 4u), computed exactly in rationals (cached: a pure function of k)."""
    return math.nextafter(float((1 + 2 * Fraction(gamma(k + 2))) * (1 + 4 * Fraction(1, 2 ** 53))), math.inf)


def up(s, k: int):
    """Rigorous upper bound of the exact value of a non-negative depth-k float expression s (Lemma 2):
    ``fl(fl(s + (k+2) eta) F)``, ``F >= (1 + 2 gamma_(k+2))(1 + 4u)``, rounded to nearest (no step up by one
    ulp: ``np.nextafter`` costs 15 times the rest on large arrays). For ``s >= 0``, ``a = fl(s + (k+2) eta)
    >= (s + (k+2) eta)(1 - u)`` (additions below the normal range are exact) and ``fl(a F) >= a F (1 - u) -
    eta/2`` (also where ``a F`` rounds down to the largest float), so ``fl(a F) >= (s + (k+2) eta)(1 + 2
    gamma_(k+2)) - eta/2 > (s + k eta)(1 + 2 gamma_k)`` (``(1 + 4u)(1 - u)^2 >= 1``). nan stays nan, inf inf."""
    return (np.asarray(s, dtype=float) + (k + 2) * ETA) * _up_factor(int(k))


#: the name family.py imports (up was one ulp wider before; the two are one function now)
upper = up


def abs1(z: np.ndarray) -> np.ndarray:
    """|Re z| + |Im z| (>= |z|); |z| for real z."""
    return np.abs(z.real) + np.abs(z.imag) if np.iscomplexobj(z) else np.abs(z)


def real_matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """fl(A B) for real or complex float matrices by real BLAS products (a real factor is not
    promoted to complex: half or a quarter of the products)."""
    Ar, Ai = (A.real, A.imag) if np.iscomplexobj(A) else (A, None)
    Br, Bi = (B.real, B.imag) if np.iscomplexobj(B) else (B, None)
    re = Ar @ Br
    if Ai is not None and Bi is not None:
        re = re - Ai @ Bi
    im = None if Bi is None else Ar @ Bi
    if Ai is not None:
        im = Ai @ Br if im is None else im + Ai @ Br
    return re if im is None else re + 1j * im


def cmatmul(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """fl(A B) by real products (:func:`real_matmul`) and an entrywise bound of the modulus of its
    error (Lemma 1): ``|fl(AB) - AB| <= 2 gamma_2k |A|_1 |B|_1 + 2 u |fl(AB)|_1 + 4 k eta``."""
    k = A.shape[1] if A.ndim == 2 else A.shape[0]
    mid = real_matmul(A, B)
    T = abs1(A) @ abs1(B)
    err = up(2 * gamma(2 * k) * T + 2 * U * abs1(mid) + 4 * k * ETA, 2 * k)
    return mid, err


def _slices(M: np.ndarray, axis: int, beta: int, count: int) -> tuple[list[np.ndarray], np.ndarray]:
    """``count`` slices of M along rows (axis=1: one scale per row) or columns (axis=0), and the
    exponents e with ``max |M| < 2^e`` per row/column.

    Slice p (1-based) has entries that are integer multiples of ``2^(e - p beta + 1)`` of modulus
    <= ``2^(e - (p-1) beta)``; ``|M - sum of the slices| <= 2^(e - count beta)`` (Lemma 3's form).
    Extraction: ``hi = fl(fl(r + sigma) - sigma)`` with ``sigma = 1.5 * 2^(s + 52)`` rounds the rest r
    to a multiple of ``2^s`` (|r| <= 2^(s + 51): r + sigma stays in sigma's binade, the subtraction
    is exact by Sterbenz, and ``r - hi`` is the exact rounding error).
    """
    big = np.abs(M).max(axis=axis, keepdims=True)
    e = np.frexp(big)[1].astype(float)                  # 2^(e-1) <= max < 2^e
    e[big == 0] = -1100.0                               # a zero row: zero slices, 2^e = 0 in the bounds
    out = []
    rest = M.copy()
    for p in range(1, count + 1):
        s = e - p * beta + 1
        sigma = 1.5 * np.exp2(s + 52)
        hi = (rest + sigma) - sigma
        out.append(hi)
        rest = rest - hi
    return out, e


#: eigen_residual's balance: D = 2^round(BALANCE log2(|Lb row| / max |B column|)) (any D is sound)
BALANCE = 0.75


def eigen_residual(A: np.ndarray, B: np.ndarray, d: np.ndarray, o: np.ndarray, swap: np.ndarray,
                   small: list[np.ndarray]):
    """For a square A: ``(R, err)``, a float matrix R and an entrywise bound with ``|A B - B Lb - sum(small) - R| <= err``,
    ``(B Lb)_ij = B_ij d_j + B_(i, swap_j) o_j`` (Lemma 4: three float products, one of them exact, and
    O(nm) column scalings); None if an entry is out of range.

    ``R = fl(T + X1 + X2 - X3 - X4 - sum(small))`` by recursive summation of the m terms (error
    ``<= gamma_(m-1) sum |x|``, with the moduli of X1..X4 bounded by their rank-one bounds times 2):
    ``T`` exact, ``X1 = fl(A1 Br)``, ``X2 = fl(Ar B)``, ``X3 = fl(B1' dr + B1'_swap or)``,
    ``X4 = fl(Br' d + Br'_swap o)``. Accurate far below ``u |A| |B|`` when ``A B - B Lb`` cancels (B, Lb
    an approximate block diagonalisation of A).
    """
    k = A.shape[1]
    if A.shape != (k, k) or B.shape[0] != k:
        raise ValueError("eigen_residual: A must be square and B have as many rows")
    if not all(_in_range(M) for M in (A, B, d, o)):
        return None
    beta = _beta(k + 2)
    Ba = np.abs(B)
    bcol = Ba.max(axis=0)
    # [A, B D] [B; -D^-1 Lb] with D = diag(2^p) (exact scalings; any D gives A B - B Lb): p balances the
    # rows of Lb against the columns of B, so that neither block sets the scales of the other's slices
    lrow = np.maximum(np.abs(d), np.abs(o))
    ok = (lrow > 0) & (bcol > 0)
    p = np.zeros(len(d), dtype=int)
    p[ok] = np.clip(np.round(BALANCE * np.log2(lrow[ok] / bcol[ok])), -100, 100)   # scaled entries, sigma: normal
    ps = p[swap]
    E = _exponent(np.maximum(np.abs(A).max(axis=1), np.ldexp(Ba, p[None, :]).max(axis=1)))[:, None]   # rows of [A, B D]
    Tc = _exponent(np.maximum(bcol, np.maximum(np.ldexp(np.abs(d), -p), np.ldexp(np.abs(o), -ps))))  # columns
    A1, Ar = _cut(A, E, beta)
    Bq1, Bqr = _cut(B, E, beta, np.ldexp(1.0, -p)[None, :])   # B D sliced by rows, times D^-1
    B1, Br = _cut(B, Tc[None, :], beta)
    d1, dr = _cut(d, Tc + p, beta)                    # D^-1 Lb sliced by columns, times D
    o1, orr = _cut(o, Tc + ps, beta)
    Bq1s = Bq1[:, swap]
    R = A1 @ B1
    R -= Bq1 * d1 + Bq1s * o1                          # T, exact
    absum = np.abs(R)
    R += A1 @ Br
    R += Ar @ B
    R -= Bq1 * dr + Bq1s * orr
    R -= Bqr * d + Bqr[:, swap] * o
    for M in small:
        R -= M
        absum += np.abs(M)
    m = 5 + len(small)
    rs = up(np.abs(A1).sum(axis=1), k)[:, None]        # row sums of |A1|, column sums of |B|
    cs = up(np.abs(B).sum(axis=0), k)[None, :]
    pe, pt = np.ldexp(1.0, E - beta), np.ldexp(1.0, Tc - beta)[None, :]    # exact powers of 2 (0 below)
    L1 = rs * pt + pe * cs                             # >= |A1| |Br| + |Ar| |B|
    L2 = np.ldexp(2.0, E) * pt + pe * (np.ldexp(np.abs(d), -p) + np.ldexp(np.abs(o), -ps))[None, :]   # >= |X3| + |X4|
    rounding = gamma(k) * L1 + gamma(2) * L2 + (2 * k + 2) * ETA
    err = upper(rounding + gamma(m) * (absum + 2 * (L1 + L2) + (2 * k + 2) * ETA), m + 12)
    return R, err


def _exponent(big: np.ndarray) -> np.ndarray:
    """Integers e with ``2^(e-1) <= big < 2^e`` (-1100 for 0: a zero row or column slices to 0)."""
    e = np.frexp(big)[1]
    e[big == 0] = -1100
    return e


def _cut(M: np.ndarray, e: np.ndarray, beta: int, scale: np.ndarray | float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``(M1, M - M1)``: M1 = M rounded to integer multiples of ``2^(e - beta + 1) scale`` (``|M| <= 2^e scale``,
    e broadcast along rows or columns, ``scale`` powers of 2 along the other axis), so ``|M1| <= 2^e scale``
    and ``|M - M1| <= 2^(e - beta) scale``, the rest exact (:func:`_slices`' extraction with
    ``sigma = 1.5 * 2^(e - beta + 53) scale``, a product of powers of 2: exact in the normal range)."""
    sigma = np.ldexp(1.5, e - beta + 53) * scale
    M1 = (M + sigma) - sigma
    return M1, M - M1

def _in_range(M: np.ndarray) -> bool:
    """Entries finite, of modulus 0 or in [TINY, HUGE] (the exact-product kernels' range)."""
    a = np.abs(M)
    return bool(np.all(np.isfinite(M)) and a.max(initial=0.0) <= HUGE and np.all((a == 0) | (a >= TINY)))


def _beta(k: int) -> int:
    """Slice width of Lemma 3 for inner dimension k: ``k 2^(2 beta - 2) <= 2^53``."""
    return (55 - math.ceil(math.log2(max(k, 2)))) // 2
