"""Reference (tests only): the earlier exact residual of fpbounds (Lemma 3's exact slice products summed
by error-free transformations), kept to compare fpbounds.eigen_residual with; not used by symhopf."""
import math
from fractions import Fraction

import numpy as np

from symhopf.runtime.fpbounds import U, _beta, _in_range, _slices, gamma, up


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = 134217729.0 * a                       # Dekker's splitter 2^27 + 1
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p, e) with p + e = a b exactly (Dekker): valid for |a|, |b| in {0} u [2^-400, 2^400] (no overflow,
    and every partial product a multiple of ulp(a) ulp(b) >= 2^-904, so nothing underflows)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(s, e) with s + e = a + b exactly (Knuth; any order of magnitudes, no overflow)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def exact_product_terms(A: np.ndarray, B: np.ndarray, count: int = 3):
    """The products ``A_p B_q`` (p + q <= count + 1) of Lemma 3's slices of A (by rows) and B (by
    columns), each computed exactly by BLAS, and an entrywise bound ``omit`` with
    ``|A B - sum of the terms| <= omit``; or None if the entries are out of range.

    Omitted: ``sum_{p+q > count+1} A_p B_q + A_r B + (A - A_r) B_r`` (``A_r``, ``B_r`` the rests), bounded
    by ``k 2^(e_i + t_j) c`` with ``c = sum_{p+q>count+1} 2^(-(p+q-2) beta) + 2^(-count beta) (2 + 2^(-count beta))``.
    """
    k = A.shape[1]
    if not (_in_range(A) and _in_range(B)):
        return None
    beta = _beta(k)
    As, e = _slices(A, 1, beta, count)
    Bs, t = _slices(B, 0, beta, count)
    terms = [As[p] @ Bs[q] for p in range(count) for q in range(count) if p + q + 2 <= count + 1]
    c = Fraction(0)
    for p in range(1, count + 1):
        for q in range(1, count + 1):
            if p + q > count + 1:
                c += Fraction(1, 2 ** ((p + q - 2) * beta))
    r = Fraction(1, 2 ** (count * beta))
    c += r * (2 + r)
    coef = math.nextafter(float(c * k), math.inf)
    omit = up(coef * (np.exp2(e) * np.exp2(t)), 2)      # e + t >= -800 - 3 beta: no underflow
    return terms, omit


def exact_residual(A: np.ndarray, B: np.ndarray, minus: list[np.ndarray]):
    """``(R, err)``: a float matrix R and an entrywise bound with ``|A B - sum(minus) - R| <= err``,
    accurate far below ``u |A| |B|`` (Lemma 3 products summed by two_sum); None if out of range."""
    got = exact_product_terms(A, B)
    if got is None:
        return None
    terms, omit = got
    s = terms[0]
    errs = []
    for T in terms[1:] + [-M for M in minus]:
        s, e = two_sum(s, T)
        errs.append(e)
    # sum(terms) - sum(minus) = s + sum(errs) exactly; the float sum of errs errs by gamma_m sum |errs|
    m = len(errs)
    e = sum(errs[1:], errs[0])
    R = s + e
    abserr = sum((np.abs(x) for x in errs[1:]), np.abs(errs[0]))
    err = up(omit + gamma(m) * abserr + U * np.abs(R), m + 4)
    return R, err
